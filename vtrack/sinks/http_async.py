"""HTTP delivery from an asyncio task: the twin of :class:`vtrack.sinks.http.HttpSink`.

The same rules (:class:`vtrack.delivery.Dispatch`), the same options and reports; the sender is
a task on the running loop using ``httpx.AsyncClient``. ``emit()`` must be called from the
loop's thread (a session driven by asyncio code). It never blocks the loop: when the byte
budget is used up it raises :class:`~vtrack.sinks.http.QueueFull` at once (``await
sink.wait_for_room()`` first to wait for room instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx

from vtrack.delivery.dispatch import DeadLetter, Request
from vtrack.delivery.encoding import encode
from vtrack.delivery.policy import BatchLimits, RetryPolicy
from vtrack.sinks.delivery_options import DeliveryReport, SinkOptions
from vtrack.sinks.delivery_state import DeliveryState, log

_LONGEST_NAP = 1.0


#: How long a sink the program never closed may go on delivering as its event loop ends (s).
UNCLOSED_TIMEOUT: Final = 5.0


class AsyncHttpSink:
    """Sends messages to a Segment-compatible batch API from a task on the running loop.

    Options as for :class:`~vtrack.sinks.http.HttpSink`. Create it while a loop runs (or use
    ``async with AsyncHttpSink(...) as sink``); finish with ``await sink.aclose(timeout)``,
    which returns a :class:`~vtrack.sinks.http.DeliveryReport` within the timeout.
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
        max_pending_bytes: int = 8 * 1024 * 1024,
        on_error: Callable[[DeadLetter], object] | None = None,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        spool: str | Path | None = None,
        spool_fsync: bool = False,
        max_dead_letter_bytes: int = 8 * 1024 * 1024,
        dead_letter_file: str | Path | None = None,
    ) -> None:
        self._state = DeliveryState(
            SinkOptions(
                destination_name=destination_name,
                write_key=write_key,
                region=region,
                url=url,
                strict=strict,
                gzip_body=gzip_body,
                limits=limits or BatchLimits(),
                retry=retry or RetryPolicy(),
                timeout=timeout,
                max_pending_bytes=max_pending_bytes,
                on_error=on_error,
                clock=clock,
                spool=spool,
                spool_fsync=spool_fsync,
                max_dead_letter_bytes=max_dead_letter_bytes,
                dead_letter_file=dead_letter_file,
            )
        )
        self.destination = self._state.destination
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._own_client = client is None
        self._closing = False  # no more emits
        self._stopping = False  # the sender stops once nothing can go right away
        self._wake = asyncio.Event()  # something to send, or closing
        self._changed = asyncio.Event()  # an answer came
        self._task = asyncio.get_running_loop().create_task(self._run())

    def __repr__(self) -> str:
        return f"AsyncHttpSink({getattr(self, 'destination', None)!r})"

    async def __aenter__(self) -> AsyncHttpSink:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ the Sink protocol
    def emit(self, message: dict[str, Any]) -> None:
        """Encode ``message`` and queue it (raises EncodingError, MessageTooLarge, QueueFull)."""
        data = encode(message)
        state = self._state
        if self._closing:
            raise RuntimeError("AsyncHttpSink is closed")
        if state.over_budget(len(data)):
            raise state.queue_full(message.get("event"), 0)
        state.take(data, message.get("event"))
        self._wake.set()

    def flush(self) -> None:
        """Ask for everything batched to be sent now (``await aflush()`` to wait for it)."""
        self._state.dispatch.flush()
        self._wake.set()

    def close(self) -> None:
        """Refuse further emits and send what is left; ``await aclose()`` to wait for it."""
        self._closing = True
        self.flush()

    async def wait_for_room(self, size: int = 32 * 1024, timeout: float = 5.0) -> bool:
        """Wait until ``size`` more bytes fit the budget; say whether they do."""
        limit = time.monotonic() + timeout
        while self._state.over_budget(size) and time.monotonic() < limit:
            await self._answer_or_timeout(limit - time.monotonic())
        return not self._state.over_budget(size)

    async def aflush(self, timeout: float | None = 30.0) -> DeliveryReport:
        """Send everything batched; wait until it is delivered or ``timeout`` s have passed."""
        self.flush()
        limit = None if timeout is None else time.monotonic() + timeout
        while not self._state.idle and not self._task.done():
            left = None if limit is None else limit - time.monotonic()
            if left is not None and left <= 0:
                break
            await self._answer_or_timeout(_LONGEST_NAP if left is None else left)
        return self._state.report()

    async def aclose(self, timeout: float | None = 5.0) -> DeliveryReport:
        """Flush, stop the sender and release the client; returns within ``timeout`` s."""
        started = time.monotonic()
        self._closing = True  # no more emits: the report accounts for every event taken
        report = await self.aflush(timeout)
        self._stopping = True
        self._wake.set()
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        try:
            await asyncio.wait_for(asyncio.shield(self._task), left)
        except TimeoutError:
            self._task.cancel()  # a request still out: cancel it, its events stay pending
            await asyncio.gather(self._task, return_exceptions=True)
        if self._own_client:
            await self._client.aclose()
        report = self._state.report()
        self._state.release()
        self._state.warn_of(report)
        return report

    @property
    def counters(self) -> DeliveryReport:
        """Emitted, delivered, retried, dead and pending, as of now."""
        return self._state.report()

    # ------------------------------------------------------------------ the sender
    async def _answer_or_timeout(self, seconds: float) -> None:
        await _wait(self._changed, seconds)

    async def _run(self) -> None:
        try:
            await self._loop()
        except asyncio.CancelledError:
            if not self._stopping:  # cancelled with the event loop: the sink was never closed
                await self._last_delivery()
            raise

    async def _last_delivery(self) -> None:
        """The loop ends with the sink still open (no ``aclose``): deliver what is left.

        ``asyncio.run`` cancels the tasks still running and lets them finish: the events
        batched so far get :data:`UNCLOSED_TIMEOUT` seconds to go; what is then still
        undelivered is logged with its count (with an outbox it stays there for the next
        sink).
        """
        self._closing = self._stopping = True
        self._state.dispatch.flush()
        try:
            async with asyncio.timeout(UNCLOSED_TIMEOUT):
                await self._loop()
        except (asyncio.CancelledError, TimeoutError):
            pass
        report = self._state.report()
        if not report.complete:
            log.warning(
                "vtrack: AsyncHttpSink was never closed (await sink.aclose() before the loop "
                "ends): %d event(s) not delivered%s",
                len(report.pending) + report.in_outbox,
                " (they wait in the outbox)" if self._state.spool is not None else "",
            )
        if self._own_client:
            await self._client.aclose()
        self._state.release()

    async def _loop(self) -> None:
        state = self._state
        while True:
            state.refill()  # what waits in the outbox only, as far as the budget allows
            request, now = state.next_request()
            dispatch = state.dispatch
            if request is None:
                if self._stopping:
                    return
                wake = dispatch.wakeup(now)
                await _wait(self._wake, _LONGEST_NAP if wake is None else wake - now)
                continue
            await self._send(request)
            self._changed.set()

    async def _send(self, request: Request) -> None:
        state = self._state
        try:
            # The timeout bounds the attempt as a whole, not each read of a dripping server.
            async with asyncio.timeout(state.options.timeout):
                answer = await self._client.post(
                    state.destination.url, content=state.body(request), headers=state.headers
                )
        except asyncio.CancelledError:
            state.failed("cancelled")  # the events stay pending, in order
            raise
        except Exception as exc:
            state.failed(f"{type(exc).__name__}: {exc}")  # one failed attempt; live on
            return
        state.settle(
            state.answered(
                request, answer.status_code, answer.headers.get("Retry-After"), answer.text
            )
        )


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait for ``event`` (cleared first) at most ``seconds``, and never over a second."""
    event.clear()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), max(0.0, min(seconds, _LONGEST_NAP)))
