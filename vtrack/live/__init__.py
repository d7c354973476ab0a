"""Live sessions: a player's callbacks as they happen, heartbeats on time.

The core never sleeps; here a driver calls :meth:`Tracker.tick` when
:meth:`vtrack.Session.next_deadline` says: :class:`ThreadDriver` (one timer thread for any
number of trackers, the default), :class:`AsyncDriver` (a task per tracker on an asyncio loop)
or :class:`ManualDriver` (when told: tests, custom loops). Time comes from a
:class:`LiveClock`: epoch seconds that a step of the system clock cannot move back.
"""

from vtrack.live.async_driver import AsyncDriver
from vtrack.live.clock import LiveClock
from vtrack.live.manual_driver import ManualDriver
from vtrack.live.thread_driver import ThreadDriver, shared_driver
from vtrack.live.tracker import Driver, Tracker

__all__ = [
    "AsyncDriver",
    "Driver",
    "LiveClock",
    "ManualDriver",
    "ThreadDriver",
    "Tracker",
    "shared_driver",
]
