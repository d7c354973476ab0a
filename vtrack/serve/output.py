"""Where the server's messages go: ``--out`` and ``--sink``, on a thread of their own.

The event loop never waits for a disk or an endpoint: it hands each batch's messages to
:meth:`Output.put` and answers. One thread writes them, in the order they were made, as
``vtrack replay`` writes its messages (``--out``: the same bytes; ``--sink``: the replay's
:class:`~vtrack.cli.delivery.Delivery`, ``--spool`` outbox included). :meth:`Output.close`
writes what is left and finishes the delivery as the replay does at its end.
"""

from __future__ import annotations

import queue
import threading
from typing import IO, Any, Final

import orjson

from vtrack.cli.delivery import Delivery, Outcome

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
        the rest as the replay does); its outcome, if there is a sink."""
        self._queue.put(_STOP)
        self._thread.join()
        if self.out is not None:
            try:
                self.out.flush()
            except OSError as exc:
                self.error = self.error or exc
        return self.delivery.finish() if self.delivery is not None else None

    def _run(self) -> None:
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        while True:
            messages = self._queue.get()
            if messages is _STOP:
                return
            if self.out is not None and self.error is None:
                try:
                    self.out.write(b"".join(dumps(m, option=newline) for m in messages))
                    if self._queue.empty():
                        self.out.flush()
                except OSError as exc:
                    self.error = exc
            if self.delivery is not None:
                for message in messages:
                    self.delivery.take(message)
            with self._lock:
                self._queued -= len(messages)
                self.done += len(messages)
