"""Live timing on an asyncio loop: a task per tracker, cancelled cleanly on close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vtrack.live.tracker import Tracker

log = logging.getLogger("vtrack.live")

#: How long a tracker whose tick failed waits before the next try.
RETRY_AFTER = 1.0


class AsyncDriver:
    """Ticks each tracker from a task on the running loop, sleeping until its deadline.

    Create it (and the trackers using it) inside the loop. Callbacks may still come from other
    threads (a player's): they wake the task through the loop, thread-safely.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._tasks: dict[Tracker, tuple[asyncio.Task[None], asyncio.Event]] = {}

    def add(self, tracker: Tracker) -> None:
        """Start a task timing ``tracker``."""
        event = asyncio.Event()
        task = self._loop.create_task(self._run(tracker, event), name="vtrack-timer")
        self._tasks[tracker] = (task, event)

    def wake(self, tracker: Tracker) -> None:
        """``tracker``'s deadline may have changed (safe from any thread)."""
        entry = self._tasks.get(tracker)
        if entry is None or self._loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            entry[1].set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(entry[1].set)

    def remove(self, tracker: Tracker) -> None:
        """Cancel ``tracker``'s task."""
        entry = self._tasks.pop(tracker, None)
        if entry is None or self._loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            entry[0].cancel()
        else:
            self._loop.call_soon_threadsafe(entry[0].cancel)

    async def aclose(self) -> None:
        """Cancel every task and wait for them to end."""
        tasks = [task for task, _ in self._tasks.values()]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, tracker: Tracker, event: asyncio.Event) -> None:
        while True:
            deadline = tracker.next_deadline()
            timeout = None if deadline is None else max(0.0, tracker.seconds_until(deadline))
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                try:
                    tracker.tick()
                except Exception:  # one tracker must not stop the loop's other work
                    log.exception("vtrack: a live tracker failed on its deadline; retried in 1 s")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), RETRY_AFTER)
                continue
            event.clear()
