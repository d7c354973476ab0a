"""Replaying recorded player logs into messages (``vtrack replay``).

:func:`replay` reads vtrack player logs (:mod:`vtrack.replay.log_format`) and yields the
messages their sessions make, exactly as live sessions given the same callbacks would.
"""

from vtrack.replay.engine import Replayer, ReplayError
from vtrack.replay.log_format import BadRecord, Record, parse_record
from vtrack.replay.replay_stats import ReplayStats
from vtrack.replay.run import ReplayRun, replay
from vtrack.replay.schema import LogSchema, SchemaError
from vtrack.replay.sources import SourceError

__all__ = [
    "BadRecord",
    "LogSchema",
    "Record",
    "ReplayError",
    "ReplayRun",
    "ReplayStats",
    "Replayer",
    "SchemaError",
    "SourceError",
    "parse_record",
    "replay",
]
