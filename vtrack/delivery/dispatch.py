"""The delivery state machine: which batch goes out next, when, and what each answer does.

One request is in flight at a time and a batch being retried holds back the batches behind it,
so every session's events arrive in the order they were emitted, retries included. The driver
(a thread or an asyncio task with an HTTP client) only moves bytes::

    while True:
        request = dispatch.next_request(now)
        if request is None:
            sleep until dispatch.wakeup(now), or until an event arrives
        else:
            send request.body; then dispatch.answered(status, retry_after, text, now)
            (or dispatch.failed(reason, now) when no answer came)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

import attrs

from vtrack.delivery.policy import (
    Batch,
    Batcher,
    BatchLimits,
    Outcome,
    RetryPolicy,
    classify,
    parse_retry_after,
)

#: How much of a refusing server's answer a dead letter keeps.
ANSWER_KEPT: Final = 2_000


def sent_at(now: float) -> str:
    """``now`` as the 24-character ISO timestamp of ``sentAt`` (UTC, milliseconds)."""
    stamp = datetime.fromtimestamp(now, UTC)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{stamp.microsecond // 1000:03d}Z"


@attrs.frozen
class Request:
    """One attempt at sending a batch: its body (with this attempt's ``sentAt``)."""

    batch: Batch
    body: bytes
    attempt: int
    #: This attempt's ``sentAt`` (in ``body``), for :meth:`Batch.gzip_body`.
    sent_at: str = ""


@attrs.frozen
class DeadLetter:
    """A batch the server refused in a way that will not change: kept for a person."""

    events: tuple[bytes, ...]
    status: int
    answer: str
    at: float


@attrs.define
class Counters:
    """Events by fate, readable at any time. ``pending`` is emitted minus settled."""

    emitted: int = 0
    delivered: int = 0
    retried: int = 0  # events sent again after a failed attempt (counted per attempt)
    dead: int = 0

    @property
    def pending(self) -> int:
        return self.emitted - self.delivered - self.dead


@attrs.define
class Dispatch:
    """Batches events and decides every send and retry; does no I/O and reads no clock."""

    limits: BatchLimits = attrs.field(factory=BatchLimits)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    #: Floats in [0, 1) for the jitter; inject a seeded one to replay a run.
    random: Callable[[], float] = attrs.field(kw_only=True)
    counters: Counters = attrs.field(factory=Counters, init=False)
    dead_letters: list[DeadLetter] = attrs.field(factory=list, init=False)
    _batcher: Batcher = attrs.field(init=False)
    _ready: deque[Batch] = attrs.field(factory=deque, init=False)
    _in_flight: Request | None = attrs.field(default=None, init=False)
    _attempt: int = attrs.field(default=0, init=False)
    _not_before: float = attrs.field(default=0.0, init=False)
    _flushing: bool = attrs.field(default=False, init=False)

    def __attrs_post_init__(self) -> None:
        self._batcher = Batcher(self.limits)

    # ------------------------------------------------------------------ events in
    def largest_event(self) -> int:
        """The size of the largest event :meth:`add` takes (the batch byte limit allows it)."""
        return self._batcher.largest_event()

    def add(self, event: bytes, now: float) -> list[Batch]:
        """Take one encoded event (see :func:`vtrack.delivery.encode`); return the batches
        that closed (to :meth:`Batch.compress` ahead of sending, if the caller likes)."""
        closed = self._batcher.add(event, now)
        self._ready.extend(closed)
        self.counters.emitted += 1
        return closed

    def flush(self) -> None:
        """Send what is batched without waiting for the interval."""
        self._close_open_batch()
        self._flushing = True

    # ------------------------------------------------------------------ requests out
    def next_request(self, now: float, wall: float | None = None) -> Request | None:
        """The request to send now, or None (one is in flight, a retry waits, or nothing).

        ``now`` is the scheduling clock (monotonic in a live sink), ``wall`` the epoch time
        for ``sentAt`` (``now`` itself when not given).
        """
        if self._in_flight is not None or now < self._not_before:
            return None
        if not self._ready and (self._flushing or self._batcher.due(now)):
            self._close_open_batch()
        if not self._ready:
            self._flushing = False
            return None
        batch = self._ready[0]
        stamp = sent_at(now if wall is None else wall)
        request = Request(batch, batch.body(stamp), self._attempt, stamp)
        self._in_flight = request
        return request

    def wakeup(self, now: float) -> float | None:
        """When :meth:`next_request` may next have something (None: only when events come)."""
        if self._in_flight is not None:
            return None  # the answer wakes the driver
        if self._ready or (self._flushing and len(self._batcher)):
            return max(now, self._not_before)
        deadline = self._batcher.deadline()
        return None if deadline is None else max(deadline, self._not_before)

    @property
    def batched(self) -> int:
        """Events in the open batch (not closed yet)."""
        return self._batcher.__len__()

    @property
    def idle(self) -> bool:
        """Nothing batched, waiting or in flight."""
        return self._in_flight is None and not self._ready and not len(self._batcher)

    # ------------------------------------------------------------------ answers in
    def answered(
        self,
        status: int,
        retry_after: str | None,
        answer: str,
        now: float,
        wall: float | None = None,
    ) -> Outcome:
        """The server answered the request in flight with ``status``.

        ``wall`` (epoch seconds; ``now`` when not given) dates a dead letter and reads a
        ``Retry-After`` given as an HTTP date.
        """
        wall = now if wall is None else wall
        request = self._take_in_flight()
        outcome = classify(status)
        if outcome is Outcome.DELIVERED:
            self._settle()
            self.counters.delivered += len(request.batch)
        elif outcome is Outcome.SPLIT and len(request.batch) > 1:
            self._ready.popleft()
            self._ready.extendleft(reversed(request.batch.halves()))
            self._attempt = 0
        elif outcome in (Outcome.DEAD, Outcome.SPLIT):
            self._settle()
            self.counters.dead += len(request.batch)
            letter = DeadLetter(tuple(request.batch.events), status, answer[:ANSWER_KEPT], wall)
            self.dead_letters.append(letter)
            outcome = Outcome.DEAD
        else:
            self._back_off(request, now, parse_retry_after(retry_after, wall))
        return outcome

    def failed(self, now: float) -> Outcome:
        """No answer came for the request in flight (refused, reset, timed out)."""
        self._back_off(self._take_in_flight(), now, None)
        return Outcome.RETRY

    # ------------------------------------------------------------------ inside
    def _take_in_flight(self) -> Request:
        request = self._in_flight
        if request is None:
            raise RuntimeError("no request is in flight")
        self._in_flight = None
        return request

    def _settle(self) -> None:
        self._ready.popleft()
        self._attempt = 0

    def _back_off(self, request: Request, now: float, retry_after: float | None) -> None:
        self.counters.retried += len(request.batch)
        self._not_before = now + self.retry.delay(self._attempt, self.random, retry_after)
        self._attempt += 1

    def _close_open_batch(self) -> None:
        if len(self._batcher):
            self._ready.append(self._batcher.take())

    def pending_events(self) -> list[bytes]:
        """Every event not yet delivered nor dead, in order (for an outbox or a report)."""
        waiting = [event for batch in self._ready for event in batch.events]
        return waiting + self._batcher.waiting()
