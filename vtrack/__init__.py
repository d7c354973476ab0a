"""vtrack: a video player's raw callbacks in, Segment Video Spec events out.

The core (:class:`Session`, the machine table, the schedules and the profiles) is pure: no
I/O, no threads, no clock. Sinks and the command line are edges around it.
"""

from vtrack._version import __version__
from vtrack.core.callbacks import Anomaly, Callback
from vtrack.core.content import Content, ScheduledAd
from vtrack.core.errors import InvalidCallback, MissingTime, QueueFull, SinkError, VtrackError
from vtrack.core.protocols import Sink
from vtrack.core.schedule import DEFAULT_MILESTONES, HEARTBEAT_INTERVALS
from vtrack.core.session import Session
from vtrack.core.settings import Settings
from vtrack.profiles import PROFILES, SEGMENT, VIMEO_OTT, Profile, get_profile
from vtrack.sinks import CallbackSink, FanoutSink, JsonLinesSink, MemorySink

__all__ = [
    "DEFAULT_MILESTONES",
    "HEARTBEAT_INTERVALS",
    "PROFILES",
    "SEGMENT",
    "VIMEO_OTT",
    "Anomaly",
    "Callback",
    "CallbackSink",
    "Content",
    "FanoutSink",
    "InvalidCallback",
    "JsonLinesSink",
    "MemorySink",
    "MissingTime",
    "Profile",
    "QueueFull",
    "ScheduledAd",
    "Session",
    "Settings",
    "Sink",
    "SinkError",
    "VtrackError",
    "__version__",
    "get_profile",
]
