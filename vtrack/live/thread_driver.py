"""One timer thread for any number of live trackers, sleeping exactly until the next deadline."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Final

from vtrack.live.deadline_queue import DeadlineQueue

if TYPE_CHECKING:
    from vtrack.live.tracker import Tracker

log = logging.getLogger("vtrack.live")

#: The longest single sleep: a guard, deadlines are met by sleeping exactly until them.
MAX_SLEEP: Final = 60.0
#: How long a tracker whose tick failed waits before the next try.
RETRY_AFTER: Final = 1.0


class ThreadDriver:
    """A daemon thread that ticks each tracker when its next deadline comes.

    A callback that changes a tracker's deadline wakes the thread early (:meth:`wake`, safe
    from any thread). The thread never holds its own lock while it works on a tracker, and a
    tracker never holds its lock while it wakes the thread, so the two cannot deadlock.
    Deadlines are kept as monotonic times, so trackers with different clocks sort right.
    """

    def __init__(self, name: str = "vtrack-timer") -> None:
        self._cond = threading.Condition()
        self._queue: DeadlineQueue[Tracker] = DeadlineQueue()
        self._trackers: set[Tracker] = set()
        self._dirty: set[Tracker] = set()
        self._name = name
        self._thread: threading.Thread | None = None
        self._stopped = False

    def add(self, tracker: Tracker) -> None:
        """Start timing ``tracker`` (starts the thread if needed)."""
        with self._cond:
            self._trackers.add(tracker)
            self._dirty.add(tracker)
            self._stopped = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def wake(self, tracker: Tracker) -> None:
        """``tracker``'s deadline may have changed: look again."""
        with self._cond:
            if tracker in self._trackers:
                self._dirty.add(tracker)
                self._cond.notify()

    def remove(self, tracker: Tracker) -> None:
        """Stop timing ``tracker``."""
        with self._cond:
            self._trackers.discard(tracker)
            self._dirty.discard(tracker)
            self._queue.discard(tracker)
            self._cond.notify()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the thread (trackers still added are no longer ticked)."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def trackers(self) -> int:
        """How many trackers are timed."""
        with self._cond:
            return len(self._trackers)

    def _run(self) -> None:
        while True:
            try:
                if not self._round():
                    return
            except Exception:  # the shared timer must live on, whatever one tracker does
                log.exception("vtrack: the live timer thread hit an error; it goes on")
                time.sleep(0.1)

    def _round(self) -> bool:
        """Wait for work and do it; False once stopped."""
        with self._cond:
            due = self._wait_for_work()
            if due is None:
                return False
            dirty, self._dirty = self._dirty, set()
        # Outside the lock: a tracker's own lock is taken in there.
        for tracker in dirty:
            self._reschedule(tracker, tracker.next_deadline())
        for tracker in due:
            try:
                deadline = tracker.tick()
            except Exception:  # one tracker must not stop the others' timing
                log.exception("vtrack: a live tracker failed on its deadline; retried in 1 s")
                self._reschedule(tracker, None, retry=True)
                continue
            self._reschedule(tracker, deadline)
        return True

    def _wait_for_work(self) -> list[Tracker] | None:
        """Under the lock: wait until trackers are due or changed; None once stopped."""
        while not self._stopped:
            if self._dirty:
                return []
            first = self._queue.first()
            if first is None:
                self._cond.wait()
                continue
            delay = first[0] - time.monotonic()
            if delay > 0:
                self._cond.wait(min(delay, MAX_SLEEP))
                continue
            due = []
            now = time.monotonic()
            while (first := self._queue.first()) is not None and first[0] <= now:
                due.append(first[1])
                self._queue.pop(first[1])
            return due
        return None

    def _reschedule(self, tracker: Tracker, deadline: float | None, retry: bool = False) -> None:
        """Queue ``tracker`` for its clock's ``deadline``, as a monotonic time."""
        if retry:
            when: float | None = time.monotonic() + RETRY_AFTER
        elif deadline is None:
            when = None
        else:
            when = time.monotonic() + tracker.seconds_until(deadline)
        with self._cond:
            if tracker in self._trackers:
                self._queue.set(tracker, when)


_SHARED: ThreadDriver | None = None
_SHARED_LOCK = threading.Lock()


def shared_driver() -> ThreadDriver:
    """The process's shared timer thread (created on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ThreadDriver()
        return _SHARED
