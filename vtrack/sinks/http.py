"""HTTP delivery on a background thread: the edge that drives :class:`vtrack.delivery.Dispatch`.

``emit()`` encodes the message at once (a bad one is refused to the caller's face), adds it to
the current batch and returns; one sender thread sends batches in order with ``httpx``,
retrying as the dispatch decides. ``flush(timeout)`` and ``close(timeout)`` always return
within their timeout with a :class:`DeliveryReport`; whatever was not delivered by then is
listed in it, never dropped silently.
"""

from __future__ import annotations

import atexit
import gzip
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx

from vtrack.delivery.destinations import KEY_VARIABLES, Destination, destination
from vtrack.delivery.dispatch import DeadLetter, Dispatch, Request
from vtrack.delivery.encoding import encode
from vtrack.delivery.policy import BatchLimits, Outcome, RetryPolicy
from vtrack.errors import VtrackError
from vtrack.sinks.spool import Spool

log = logging.getLogger("vtrack.http")

#: The longest the sender sleeps at once, so a step of the wall clock cannot stall it long.
_LONGEST_NAP = 1.0


class QueueFull(VtrackError):
    """``emit()`` waited its timeout for room under the sink's byte budget; nothing was taken."""


@attrs.frozen
class DeliveryReport:
    """What a sink had done when :meth:`HttpSink.flush` or :meth:`HttpSink.close` returned."""

    emitted: int
    delivered: int
    retried: int
    dead: int
    #: Encoded events not yet delivered (nor dead), in order.
    pending: tuple[bytes, ...]

    @property
    def complete(self) -> bool:
        """Everything emitted was delivered or is a dead letter."""
        return not self.pending


class HttpSink:
    """Sends messages to a Segment-compatible batch API from one background thread.

    ``destination`` is ``segment``, ``customerio``, ``rudderstack`` or ``endpoint`` (then
    ``url=`` is the batch URL). The write key comes from ``write_key=`` or the destination's
    environment variable (``SEGMENT_WRITE_KEY``, ``CUSTOMERIO_API_KEY``,
    ``RUDDERSTACK_WRITE_KEY``, ``VTRACK_WRITE_KEY``); it appears in no repr, log or error.

    Memory is bounded by ``max_pending_bytes``: when that much is waiting, ``emit()`` waits up
    to ``emit_timeout`` seconds for room, then raises :class:`QueueFull`. ``on_error`` is called
    with each :class:`~vtrack.delivery.DeadLetter` (a batch refused with 400/401/403/404/422); an
    exception it raises is logged and never stops the sender.

    With ``spool="outbox.db"`` every event is committed to a SQLite outbox before ``emit()``
    returns and deleted once delivered: a crash or ``kill -9`` loses nothing, and the next
    sink opened on the same file sends what is left first. Dead letters stay in it.
    """

    def __init__(
        self,
        destination_name: str = "segment",
        *,
        write_key: str | None = None,
        region: str = "us",
        url: str | None = None,
        strict: bool | None = None,
        gzip_body: bool = True,
        limits: BatchLimits | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        max_pending_bytes: int = 64 * 1024 * 1024,
        emit_timeout: float = 5.0,
        on_error: Callable[[DeadLetter], object] | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        spool: str | Path | None = None,
    ) -> None:
        key = (
            write_key
            if write_key is not None
            else os.environ.get(KEY_VARIABLES.get(destination_name, ""), "")
        )
        self.destination: Destination = destination(
            destination_name, key, region=region, url=url, strict=strict, gzip=gzip_body
        )
        self._headers = dict(self.destination.headers())
        self._limits, self._retry, self._timeout = (
            limits or BatchLimits(),
            retry or RetryPolicy(),
            timeout,
        )
        self._dispatch = Dispatch(self._limits, self._retry, random=random.Random().random)
        self._client = client or httpx.Client(timeout=timeout)
        self._own_client = client is None
        self._clock = clock
        self._max_pending_bytes = max_pending_bytes
        self._emit_timeout = emit_timeout
        self._on_error = on_error
        self._pending_bytes = 0
        self._spool_path = spool
        self._spool = Spool(spool) if spool is not None else None
        #: Spool row ids of the events in the dispatch, in the same order.
        self._rows: deque[int] = deque()
        if self._spool is not None:
            now = clock()
            for row, data in self._spool.pending():  # what an earlier run left: first in line
                self._dispatch.add(data, now)
                self._rows.append(row)
        self._lock = threading.Condition()
        self._closing = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="vtrack-http-sender", daemon=True)
        self._thread.start()
        _OPEN_SINKS.add(self)

    def _start_afresh_after_fork(self) -> None:
        """In a forked child: a new lock, client, spool connection and sender of its own.

        What was pending belongs to the parent, which still delivers it; the child delivers
        what it emits. Inherited connections are left alone (they are the parent's sockets).
        """
        self._lock = threading.Condition()
        self._dispatch = Dispatch(self._limits, self._retry, random=random.Random().random)
        self._pending_bytes = 0
        self._rows = deque()
        if self._own_client:
            self._client = httpx.Client(timeout=self._timeout)
        if self._spool_path is not None:
            self._spool = Spool(self._spool_path)
        self._thread = threading.Thread(target=self._run, name="vtrack-http-sender", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"HttpSink({self.destination!r})"

    # ------------------------------------------------------------------ the Sink protocol
    def emit(self, message: dict[str, Any]) -> None:
        """Encode ``message`` and queue it (raises EncodingError, MessageTooLarge, QueueFull)."""
        data = encode(message)
        with self._lock:
            if self._closing:
                raise RuntimeError("HttpSink is closed")
            if self._spool is not None:
                self._rows.append(self._spool.append(data))  # committed before we return
            elif self._pending_bytes + len(data) > self._max_pending_bytes:
                limit = time.monotonic() + self._emit_timeout
                while self._pending_bytes + len(data) > self._max_pending_bytes:
                    left = limit - time.monotonic()
                    if left <= 0:
                        raise QueueFull(
                            f"{self._pending_bytes:,} bytes are waiting to be sent (the budget "
                            f"is {self._max_pending_bytes:,}); message {message.get('event')!r} "
                            f"was not taken after {self._emit_timeout} s"
                        )
                    self._lock.wait(left)
            self._dispatch.add(data, self._clock())
            self._pending_bytes += len(data)
            self._lock.notify_all()

    def flush(self, timeout: float | None = 30.0) -> DeliveryReport:
        """Send everything batched; wait until it is delivered or ``timeout`` s have passed."""
        with self._lock:
            self._dispatch.flush()
            self._lock.notify_all()
            if threading.current_thread() is not self._thread:  # not from inside on_error
                self._wait_idle(timeout)
            return self._report()

    def close(self, timeout: float | None = 5.0) -> DeliveryReport:
        """Flush, stop the sender and release the client; returns within ``timeout`` s."""
        started = time.monotonic()
        report = self.flush(timeout)
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        self._thread.join(left)
        if not self._thread.is_alive():
            if self._own_client:
                self._client.close()
            if self._spool is not None:
                self._spool.close()
        self._closed = True
        _OPEN_SINKS.discard(self)
        if report.pending:
            log.warning(
                "vtrack: %d event(s) not delivered when the sink closed", len(report.pending)
            )
        return report

    @property
    def counters(self) -> DeliveryReport:
        """Emitted, delivered, retried, dead and pending, as of now."""
        with self._lock:
            return self._report()

    @property
    def dead_letters(self) -> list[DeadLetter]:
        with self._lock:
            return list(self._dispatch.dead_letters)

    # ------------------------------------------------------------------ the sender
    def _run(self) -> None:
        while True:
            with self._lock:
                request = self._next_request()
                if request is None:
                    return
            self._send(request)

    def _next_request(self) -> Request | None:
        """Wait (holding the lock) for the next request; None when closing and nothing can go."""
        while True:
            now = self._clock()
            request = self._dispatch.next_request(now)
            if request is not None:
                return request
            if self._closing:
                return None
            wake = self._dispatch.wakeup(now)
            nap = _LONGEST_NAP if wake is None else min(_LONGEST_NAP, max(0.0, wake - now))
            self._lock.wait(nap)

    def _send(self, request: Request) -> None:
        body = gzip.compress(request.body, 6) if self.destination.gzip else request.body
        try:
            answer = self._client.post(self.destination.url, content=body, headers=self._headers)
        except httpx.HTTPError as exc:
            with self._lock:
                self._dispatch.failed(self._clock())
                self._lock.notify_all()
            log.info("vtrack: delivery attempt failed (%s); will retry", type(exc).__name__)
            return
        with self._lock:
            dead_before = len(self._dispatch.dead_letters)
            outcome = self._dispatch.answered(
                answer.status_code, answer.headers.get("Retry-After"), answer.text, self._clock()
            )
            letters = self._dispatch.dead_letters[dead_before:]
            if outcome in (Outcome.DELIVERED, Outcome.DEAD):
                self._pending_bytes -= sum(len(event) for event in request.batch.events)
                self._settle_rows(len(request.batch), letters[0] if letters else None)
            self._lock.notify_all()
        for letter in letters:
            self._report_dead(letter)

    def _settle_rows(self, count: int, letter: DeadLetter | None) -> None:
        # Batches settle oldest first (one in flight, halves of a split go back in front), so
        # the settled events are always the first ``count`` rows.
        if self._spool is None:
            return
        rows = [self._rows.popleft() for _ in range(count)]
        if letter is None:
            self._spool.delivered(rows)
        else:
            self._spool.dead(rows, letter.status, letter.answer)

    def _report_dead(self, letter: DeadLetter) -> None:
        log.warning(
            "vtrack: %d event(s) refused with HTTP %d; kept as a dead letter",
            len(letter.events),
            letter.status,
        )
        if self._on_error is None:
            return
        try:
            self._on_error(letter)
        except Exception:
            log.exception("vtrack: on_error raised; the sender goes on")

    def _wait_idle(self, timeout: float | None) -> None:
        limit = None if timeout is None else time.monotonic() + timeout
        while not self._dispatch.idle and self._thread.is_alive():
            left = None if limit is None else limit - time.monotonic()
            if left is not None and left <= 0:
                return
            self._lock.wait(_LONGEST_NAP if left is None else min(left, _LONGEST_NAP))

    def _report(self) -> DeliveryReport:
        counters = self._dispatch.counters
        return DeliveryReport(
            emitted=counters.emitted,
            delivered=counters.delivered,
            retried=counters.retried,
            dead=counters.dead,
            pending=tuple(self._dispatch.pending_events()),
        )


#: Sinks not closed yet: closed at interpreter exit, restarted in a forked child.
_OPEN_SINKS: weakref.WeakSet[HttpSink] = weakref.WeakSet()
#: How long the exit hook gives each open sink to deliver what it holds.
EXIT_TIMEOUT = 2.0


def _close_open_sinks() -> None:
    for sink in list(_OPEN_SINKS):
        report = sink.close(EXIT_TIMEOUT)  # logs a warning with the count of what is pending
        if report.pending and sink._spool is None:
            log.warning(
                "vtrack: at exit, %d event(s) were not delivered and had no outbox to wait in",
                len(report.pending),
            )


def _after_fork_in_child() -> None:
    for sink in list(_OPEN_SINKS):
        if not sink._closing:
            sink._start_afresh_after_fork()


atexit.register(_close_open_sinks)
os.register_at_fork(after_in_child=_after_fork_in_child)
