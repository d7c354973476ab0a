"""A live session: callbacks from any thread, heartbeats on time, closed once."""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from vtrack.errors import SinkError
from vtrack.live.clock import LiveClock
from vtrack.machine import TERMINAL_STATES
from vtrack.protocols import Sink
from vtrack.session import Session
from vtrack.settings import Settings

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
    the session makes them safe, and the time of each is read from the live clock then. A
    driver (the shared :class:`~vtrack.live.thread_driver.ThreadDriver` by default, or an
    :class:`~vtrack.live.async_driver.AsyncDriver`) calls :meth:`tick` when a heartbeat,
    milestone or quartile falls due, sleeping exactly until then.

    :meth:`close` (also run at interpreter exit) sends Video Playback Exited, flushes the sink
    and stops the timing; nothing is sent after it.
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
        self.clock: Callable[[], float] = clock if clock is not None else LiveClock()
        if settings is None:
            settings = Settings(**options)
        elif options:
            raise TypeError("pass either settings= or individual options, not both")
        self.session = Session(
            session_id,
            sink=sink,
            user_id=user_id,
            anonymous_id=anonymous_id,
            settings=attrs.evolve(settings, clock=self.clock),
        )
        self.sink = sink
        self._lock = threading.RLock()
        self._closed = False
        if driver is None:
            from vtrack.live.thread_driver import shared_driver

            driver = shared_driver()
        self.driver = driver
        _OPEN.add(self)
        driver.add(self)

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
            getattr(self.session, name)(**args, at=now)
            if self.session.state in TERMINAL_STATES:
                self._closed = True
        self.driver.wake(self)

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
                self.session.advance(self.clock())
            except SinkError:
                log.exception("vtrack: the sink failed; the messages wait for the next try")
            return self.session.next_deadline()

    @property
    def closed(self) -> bool:
        """Whether the session is over (closed, exited or interrupted)."""
        return self._closed

    def close(self) -> None:
        """Send Video Playback Exited (unless the session is over), flush, stop timing."""
        with self._lock:
            self._closed = True
            if self.session.state not in TERMINAL_STATES:
                self.session.exit(at=max(self.clock(), self.session.last_at or 0.0))
        self.driver.remove(self)
        _OPEN.discard(self)
        self.sink.flush()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Trackers not closed yet, closed at interpreter exit.
_OPEN: weakref.WeakSet[Tracker] = weakref.WeakSet()


@atexit.register
def _close_open_trackers() -> None:
    for tracker in list(_OPEN):
        try:
            tracker.close()
        except Exception:  # at exit, one failing tracker must not stop the rest
            log.exception("vtrack: closing a tracker at exit failed")
