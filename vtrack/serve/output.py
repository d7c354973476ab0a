"""Where the server's messages go: ``--out`` and ``--sink``, on a thread of their own.

The event loop never waits for a disk or an endpoint: it hands each batch's messages to
:meth:`Output.put` and answers. One thread writes them, in the order they were made, as
``vtrack replay`` writes its messages (``--out``: the same bytes; ``--sink``: the replay's
:class:`~vtrack.cli.delivery.Delivery`, ``--spool`` outbox included). :meth:`Output.close`
writes what is left and finishes the delivery as the replay does at its end. An error writing
or delivering is logged and the thread goes on (a message the delivery raised on is kept in
the undelivered file): the queue always drains.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import IO, Any, Final

import orjson

from vtrack.cli.delivery import Delivery, Outcome

log = logging.getLogger("vtrack.serve")

#: Messages waiting for the thread past which the server refuses batches (503) until it catches
#: up: memory stays bounded when the endpoint is slower than the players.
MAX_BACKLOG: Final = 100_000

_STOP: Final = object()


class Output:
    """Writes messages to ``out`` (a binary stream, or None) and hands them to ``delivery``."""

    def __init__(self, out: IO[bytes] | None, delivery: Delivery | None) -> None:
        self.out = out
        self.delivery = delivery
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._queued = 0
        #: Messages written (to ``out``) or handed to the delivery.
        self.done = 0
        #: Why writing ``out`` stopped, if it did (a full disk ...): the delivery goes on.
        self.error: OSError | None = None
        #: Errors the thread went on after (writing or delivering raised; see the log).
        self.failed = 0
        #: Messages neither written nor delivered nor kept (an error, see the log).
        self.lost = 0
        #: What is failing now ("out", "delivery"): the first error of a run of them is logged.
        self._failing: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="vtrack-serve-output", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        """Messages handed over and not yet taken by the thread."""
        return self._queued

    @property
    def backlog(self) -> int:
        """Messages made and not yet written or delivered (with a sink: not yet delivered)."""
        waiting = self._queued
        if self.delivery is not None:
            counters = self.delivery.sink.counters
            waiting += max(0, counters.emitted - counters.delivered - counters.dead)
        return waiting

    @property
    def undelivered(self) -> int:
        """Messages written to ``--undelivered`` instead of delivered (the endpoint away, or
        refusing them)."""
        return self.delivery.outcome.in_file if self.delivery is not None else 0

    @property
    def overflowing(self) -> bool:
        """The endpoint is away: messages go to ``--undelivered`` until it takes them again."""
        return self.delivery is not None and self.delivery.overflowing_since is not None

    def put(self, messages: list[dict[str, Any]]) -> None:
        """Hand messages over (never waits)."""
        if not messages:
            return
        with self._lock:
            self._queued += len(messages)
        self._queue.put(messages)

    def close(self) -> Outcome | None:
        """Write what is left, then finish the delivery (within ``--deliver-timeout``, keeping
        the rest as the replay does); its outcome, if there is a sink. What could be neither
        written nor delivered (an error, see the log) is counted in :attr:`lost`."""
        self._queue.put(_STOP)
        self._thread.join()
        self._drain()
        if self.out is not None:
            try:
                self.out.flush()
            except OSError as exc:
                self.error = self.error or exc
        return self.delivery.finish() if self.delivery is not None else None

    def _drain(self) -> None:
        """Count what the thread left (it ended on an error it cannot go on after, a
        BaseException: the messages it held and those still queued)."""
        left = self._queued
        if left:
            self.lost += left
            self._queued = 0
            log.error("%d messages were not written or delivered: the output thread died", left)

    def _run(self) -> None:
        while True:
            messages = self._queue.get()
            if messages is _STOP:
                return
            self._write(messages)
            if self.delivery is not None:
                for message in messages:
                    self._deliver(self.delivery, message)
            with self._lock:
                self._queued -= len(messages)
                self.done += len(messages)

    def _write(self, messages: list[dict[str, Any]]) -> None:
        """Write messages to ``out`` (until it fails: then :attr:`error` says why)."""
        if self.out is None or self.error is not None:
            return
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        try:
            self.out.write(b"".join(dumps(m, option=newline) for m in messages))
            if self._queue.empty():
                self.out.flush()
            self._failing.discard("out")
        except OSError as exc:
            self.error = exc
        except Exception:
            self._failed("out", f"writing {len(messages)} messages to --out")
            if self.delivery is None:
                self.lost += len(messages)

    def _deliver(self, delivery: Delivery, message: dict[str, Any]) -> None:
        """Hand a message to the delivery; on an error, keep it in the undelivered file."""
        try:
            delivery.take(message)
            self._failing.discard("delivery")
            return
        except Exception:
            self._failed("delivery", "delivering a message (it goes to --undelivered)")
        try:
            delivery.keep(message)
        except Exception:
            self.lost += 1
            log.exception("a message could not be kept either: it is lost")

    def _failed(self, kind: str, what: str) -> None:
        """Count an error; log it, the first of a run of them (the thread goes on)."""
        self.failed += 1
        if kind not in self._failing:
            log.exception("%s failed; the output goes on", what)
        self._failing.add(kind)
