"""A driver that ticks trackers only when told: deterministic, for tests and custom loops."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vtrack.live.deadline_queue import DeadlineQueue

if TYPE_CHECKING:
    from vtrack.live.tracker import Tracker


class ManualDriver:
    """Keeps the trackers' deadlines; :meth:`run_until` ticks what is due, earliest first.

    With a fake clock this replays a live run exactly: each tracker is ticked with the clock
    set to its deadline, as a timer that wakes on time would.
    """

    def __init__(self) -> None:
        self._queue: DeadlineQueue[Tracker] = DeadlineQueue()

    def add(self, tracker: Tracker) -> None:
        """Start timing ``tracker``."""
        self._queue.set(tracker, tracker.next_deadline())

    def wake(self, tracker: Tracker) -> None:
        """``tracker``'s deadline may have changed."""
        self._queue.set(tracker, tracker.next_deadline())

    def remove(self, tracker: Tracker) -> None:
        """Stop timing ``tracker``."""
        self._queue.discard(tracker)

    def next_deadline(self) -> float | None:
        """The earliest deadline of all trackers, or None."""
        first = self._queue.first()
        return None if first is None else first[0]

    def run_until(self, at: float, set_clock: Callable[[float], None] | None = None) -> int:
        """Tick every tracker due by ``at``, in deadline order; return how many ticks.

        ``set_clock`` (a fake clock's setter) is called with each deadline before its tick,
        then with ``at``.
        """
        ticks = 0
        while (first := self._queue.first()) is not None and first[0] <= at:
            deadline, tracker = first
            self._queue.pop(tracker)
            if set_clock is not None:
                set_clock(deadline)
            self._queue.set(tracker, tracker.tick())
            ticks += 1
        if set_clock is not None:
            set_clock(at)
        return ticks
