"""What ``vtrack demo`` shows a person: the session as a timeline, then its QoE summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from vtrack.cli.stats_output import cell
from vtrack.stats import FIELDS, SessionStats

#: Where a message's playhead is, by profile: Segment's ``position``, Vimeo OTT's ``timecode``.
_POSITION_KEYS = ("position", "timecode")


class TimelineRow:
    """One message of the demo: when, in which state the session was left, what, where."""

    __slots__ = ("at", "callback", "event", "position", "state")

    def __init__(self, message: dict[str, Any], callback: str, state: str) -> None:
        self.at = _seconds(message["timestamp"])
        self.callback = callback
        self.state = state
        self.event = str(message["event"])
        properties = message.get("properties") or {}
        found = (properties.get(key) for key in _POSITION_KEYS)
        self.position: Any = next((value for value in found if value is not None), None)


def _seconds(timestamp: str) -> float:
    """Seconds since the epoch of an ISO-8601 UTC timestamp with a ``Z``."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def timeline_table(rows: Sequence[TimelineRow], start: float) -> Any:
    """A rich table: one row per message, time from the start of the session."""
    from rich.table import Table

    table = Table(
        title="The session, message by message (position: the message's own; the playback "
        "events count the ads in)",
        title_justify="left",
    )
    table.add_column("time", justify="right")
    table.add_column("callback")
    table.add_column("state after")
    table.add_column("event")
    table.add_column("position", justify="right")
    for row in rows:
        minutes, seconds = divmod(row.at - start, 60)
        position = "-" if row.position is None else f"{row.position:g} s"
        table.add_row(
            f"{int(minutes)}:{seconds:04.1f}", row.callback, row.state, row.event, position
        )
    return table


def summary_table(summary: SessionStats) -> Any:
    """The QoE summary of one session (``vtrack.stats``), a field a line."""
    from rich.table import Table

    table = Table(title="Its QoE summary (vtrack stats; docs/stats.md)", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    row = summary.as_row()
    for name in FIELDS:
        if name not in _LEFT_OUT:
            table.add_row(name, cell(name, row[name]))
    return table


#: Figures the demo's table leaves out: its ids and times are in the timeline already.
_LEFT_OUT = frozenset({"session_id", "user_id", "anonymous_id", "started_at", "ended_at"})
