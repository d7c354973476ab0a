"""A live session: callbacks from any thread, heartbeats on time, closed once."""

from __future__ import annotations

import atexit
import inspect
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from vtrack.core.errors import SinkError
from vtrack.core.machine import TERMINAL_STATES
from vtrack.core.protocols import Sink
from vtrack.core.session import Session
from vtrack.core.settings import Settings
from vtrack.live.clock import shared_clock

log = logging.getLogger("vtrack.live")


class Driver(Protocol):
    """Calls :meth:`Tracker.tick` when a tracker's next deadline comes."""

    def add(self, tracker: Tracker) -> None:
        """Start timing ``tracker``."""

    def wake(self, tracker: Tracker) -> None:
        """``tracker``'s next deadline may have changed (safe from any thread)."""

    def remove(self, tracker: Tracker) -> None:
        """Stop timing ``tracker``."""


class Tracker:
    """One live playback session, driven by a player's callbacks as they happen.

    Callbacks may come from any thread (a player's event thread, the UI thread): a lock around
    the session makes them safe, and the time of each is read from the live clock then (one
    :class:`~vtrack.live.LiveClock` for the process, unless ``clock`` is given). A driver (the
    shared :class:`~vtrack.live.thread_driver.ThreadDriver` by default, or an
    :class:`~vtrack.live.async_driver.AsyncDriver`) calls :meth:`tick` when a heartbeat,
    milestone or quartile falls due, sleeping exactly until then.

    When the player ends the session (exit, interrupt) and then loads content again (the next
    file of a playlist, playing on after the end), the next session starts under the same id
    and viewer, its messageIds numbered on. :meth:`close` (also run at interpreter exit) sends
    Video Playback Exited, flushes the sink and stops the timing; nothing is sent after it. It
    may be called from anywhere, a sink's callback included: it then takes effect as soon as
    the session's current callback is done.
    """

    def __init__(
        self,
        session_id: str,
        *,
        sink: Sink,
        user_id: str | None = None,
        anonymous_id: str | None = None,
        settings: Settings | None = None,
        driver: Driver | None = None,
        clock: Callable[[], float] | None = None,
        **options: Any,
    ) -> None:
        self.clock: Callable[[], float] = clock if clock is not None else shared_clock()
        if settings is None:
            settings = Settings(**options)
        elif options:
            raise TypeError("pass either settings= or individual options, not both")
        self.settings = attrs.evolve(settings, clock=self.clock)
        self._user_id, self._anonymous_id = user_id, anonymous_id
        self.session = Session(
            session_id,
            sink=sink,
            settings=self.settings,
            user_id=user_id,
            anonymous_id=anonymous_id,
        )
        self.sink = sink
        self._lock = threading.RLock()
        self._closed = False  # close() was called: nothing more, ever
        self._busy = False  # inside a session call (a sink callback may run now)
        self._close_asked = False  # close() was called from inside a session call
        if driver is None:
            from vtrack.live.thread_driver import shared_driver

            driver = shared_driver()
        self.driver = driver
        _register_exit_hook()
        _OPEN.add(self)
        driver.add(self)

    @property
    def lock(self) -> threading.RLock:
        """The lock around the session (adapters hold it while they translate)."""
        return self._lock

    # ------------------------------------------------------------------ callbacks
    def call(self, name: str, /, **args: Any) -> None:
        """Apply the callback ``name`` (a :class:`vtrack.Session` method) now."""
        self.call_at(name, None, **args)

    def call_at(self, name: str, at: float | None, /, **args: Any) -> None:
        """Apply the callback ``name`` as of ``at`` (clock seconds), or now if None.

        A time before the session's last one is taken as that time: a live session's time
        never goes back.
        """
        with self._lock:
            if self._closed:
                return  # nothing after close
            now = self.clock() if at is None else at
            last = self.session.last_at
            if last is not None and now < last:
                now = last
            if name == "load" and self.session.state in TERMINAL_STATES:
                self._next_session()
            self._run(lambda: getattr(self.session, name)(**args, at=now))
        self.driver.wake(self)

    def _next_session(self) -> None:
        """The player plays on after its session ended: the next one starts."""
        old = self.session
        self.session = Session(
            old.session_id,
            sink=self.sink,
            settings=self.settings,
            first_sequence=old.next_sequence,
            user_id=self._user_id,
            anonymous_id=self._anonymous_id,
        )

    def _run(self, step: Callable[[], None]) -> None:
        """Run one session call; a close asked for during it happens right after."""
        self._busy = True
        try:
            step()
        finally:
            self._busy = False
            if self._close_asked:
                self._close_now()

    # ------------------------------------------------------------------ timing
    def next_deadline(self) -> float | None:
        """When the next heartbeat, milestone or quartile is due (clock seconds), or None."""
        with self._lock:
            return None if self._closed else self.session.next_deadline()

    def seconds_until(self, at: float) -> float:
        """How long to sleep until the clock reads ``at``."""
        until = getattr(self.clock, "seconds_until", None)
        return float(until(at)) if until is not None else at - self.clock()

    def tick(self) -> float | None:
        """Emit what is due now; return the next deadline (for the driver)."""
        with self._lock:
            if self._closed:
                return None
            try:
                self._run(lambda: self.session.advance(self.clock()))
            except SinkError:
                log.exception("vtrack: the sink failed; the messages wait for the next try")
            return None if self._closed else self.session.next_deadline()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self, *, flush: bool = True) -> None:
        """Send Video Playback Exited (unless the session is over), flush, stop timing.

        If the sink fails on Exited, the error is logged and the message stays in
        ``tracker.session.undelivered``; the tracker is closed all the same.
        """
        with self._lock:
            if self._closed:
                return
            if self._busy:  # called from inside the session (a sink callback)
                self._close_asked = True
                return
            self._close_now(flush=flush)

    def _close_now(self, *, flush: bool = True) -> None:
        """Under the lock: end the session and stop."""
        self._closed = True
        self._close_asked = False
        try:
            if self.session.state not in TERMINAL_STATES:
                self.session.exit(at=max(self.clock(), self.session.last_at or 0.0))
        except SinkError:
            log.exception("vtrack: the sink failed on Video Playback Exited; it stays undelivered")
        finally:
            self.driver.remove(self)
            _OPEN.discard(self)
        if flush:
            try:
                self.sink.flush()
            except Exception:
                log.exception("vtrack: flushing the sink of a closed tracker failed")
        else:
            _flush_briefly(self.sink)

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Trackers not closed yet, closed at interpreter exit.
_OPEN: weakref.WeakSet[Tracker] = weakref.WeakSet()
_HOOKED = False


def _register_exit_hook() -> None:
    """Register the exit hook when the first tracker is made.

    By then its sink exists (and any exit hook of the sink's own), and exit hooks run last
    registered first: the trackers send Video Playback Exited before their sinks close.
    """
    global _HOOKED
    if not _HOOKED:
        _HOOKED = True
        atexit.register(_close_open_trackers)


def _flush_briefly(sink: Sink) -> None:
    """Flush within a second where the sink takes a timeout (at exit there is no time)."""
    flush: Any = sink.flush
    try:
        takes_timeout = "timeout" in inspect.signature(flush).parameters
    except (TypeError, ValueError):
        takes_timeout = False
    try:
        if takes_timeout:
            flush(timeout=1.0)
        else:
            flush()
    except Exception:
        log.exception("vtrack: flushing a sink at exit failed")


def _close_open_trackers() -> None:
    for tracker in list(_OPEN):
        try:
            # A brief flush: a sink with an exit hook of its own bounds its time (HttpSink: 2 s).
            tracker.close(flush=False)
        except Exception:  # at exit, one failing tracker must not stop the rest
            log.exception("vtrack: closing a tracker at exit failed")
