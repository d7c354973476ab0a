"""QoE summaries of playback sessions from Segment video messages (pure: no I/O).

Feed vtrack's own output (either profile) or any export that follows the Segment Video Spec
to a :class:`StatsCollector` (or :func:`summarize`) and get one :class:`SessionStats` per
playback session: startup time, play, pause, buffering and ad time, rebuffering ratio, exits
before video start, unique seconds watched, completion, bitrate, ... :func:`aggregate` sums
sessions up by group. docs/stats.md defines every figure.
"""

from __future__ import annotations

from vtrack.stats.aggregate import AGGREGATE_FIELDS, GROUP_BY, aggregate, group_of
from vtrack.stats.collector import StatsCollector, summarize
from vtrack.stats.summary import ENDS, FIELDS, SessionStats
from vtrack.stats.vocabulary import BadMessage

__all__ = [
    "AGGREGATE_FIELDS",
    "ENDS",
    "FIELDS",
    "GROUP_BY",
    "BadMessage",
    "SessionStats",
    "StatsCollector",
    "aggregate",
    "group_of",
    "summarize",
]
