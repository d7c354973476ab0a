"""What an HTTP sink reports (:class:`DeliveryReport`) and the options both sinks take."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import attrs

from vtrack.delivery.dispatch import DeadLetter
from vtrack.delivery.policy import BatchLimits, RetryPolicy


@attrs.frozen
class DeliveryReport:
    """What a sink had done when a flush or close returned (or when its counters were read)."""

    emitted: int
    delivered: int
    retried: int
    dead: int
    #: Encoded events in memory not yet delivered (nor dead): those in batches, in order, then
    #: any staged but not committed to the outbox yet (the newest; see vtrack.sinks.staging).
    pending: tuple[bytes, ...]
    #: Events after those, not delivered, waiting in the outbox only (not read back yet).
    in_outbox: int = 0
    #: Where the dead events are: in the outbox, in memory (``sink.dead_letters``), in the
    #: dead-letter file, or nowhere (past the memory bound with no file: counted only).
    dead_in_outbox: int = 0
    dead_in_memory: int = 0
    dead_in_file: int = 0
    dead_dropped: int = 0
    #: Of ``pending``, the events not committed to the outbox yet (the newest): a crash now
    #: would lose them. 0 after a ``flush()`` or ``close()`` that could commit (see
    #: :mod:`vtrack.sinks.staging`), and always 0 without an outbox or group commits.
    uncommitted: int = 0

    @property
    def complete(self) -> bool:
        """Everything emitted was delivered or is a dead letter."""
        return not self.pending and not self.in_outbox


@attrs.frozen
class SinkOptions:
    """The options both HTTP sinks take (see :class:`vtrack.sinks.http.HttpSink`)."""

    destination_name: str = "segment"
    write_key: str | None = attrs.field(default=None, repr=False)
    region: str = "us"
    url: str | None = None
    strict: bool | None = None
    gzip_body: bool = True
    limits: BatchLimits = attrs.field(factory=BatchLimits)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    timeout: float = 10.0
    max_pending_bytes: int = attrs.field(default=8 * 1024 * 1024)
    on_error: Callable[[DeadLetter], object] | None = None
    clock: Callable[[], float] = time.time
    #: The clock batches and retries are scheduled on: it must never step backwards.
    ticks: Callable[[], float] = time.monotonic
    spool: str | Path | None = None
    spool_fsync: bool = False
    #: HttpSink: events per outbox transaction (1: each one committed before emit() returns).
    spool_commit_every: int = attrs.field(default=100)
    #: Without an outbox: the bytes of dead letters kept in memory (``sink.dead_letters``).
    max_dead_letter_bytes: int = attrs.field(default=8 * 1024 * 1024)
    #: Where dead letters past that go (JSON Lines, appended); None: counted and reported.
    dead_letter_file: str | Path | None = None

    @spool_commit_every.validator
    @max_dead_letter_bytes.validator
    @max_pending_bytes.validator
    def _positive(self, _: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            what = "events" if _.name == "spool_commit_every" else "bytes"
            raise ValueError(f"{_.name} must be a positive number of {what}; got {value!r}")


__all__ = ["DeliveryReport", "SinkOptions"]
