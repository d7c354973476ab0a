"""The live clock: epoch seconds that never go backwards, and sleeping by the monotonic clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LiveClock:
    """Epoch seconds read as ``epoch at start + monotonic time since``.

    Message timestamps need epoch seconds; a step of the system clock (NTP, a person) must not
    reorder events or fire a burst of heartbeats. So the epoch is read once, and time moves on
    with the monotonic clock: deadlines in this clock are monotonic deadlines, which is how the
    live drivers sleep. ``wall`` and ``monotonic`` are injectable for tests.
    """

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._epoch = wall()
        self._origin = monotonic()
        self._last = self._epoch

    def __call__(self) -> float:
        """Now, in epoch seconds; never less than any earlier reading."""
        with self._lock:
            now = self._epoch + (self._monotonic() - self._origin)
            if now < self._last:  # a monotonic clock does not go back; be sure anyway
                now = self._last
            self._last = now
            return now

    def seconds_until(self, at: float) -> float:
        """How long to sleep (monotonic seconds) until this clock reads ``at``."""
        return at - (self._epoch + (self._monotonic() - self._origin))


_SHARED: LiveClock | None = None
_SHARED_LOCK = threading.Lock()


def shared_clock() -> LiveClock:
    """The process's live clock: every tracker reads the same time (and sorts deadlines alike)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = LiveClock()
        return _SHARED
