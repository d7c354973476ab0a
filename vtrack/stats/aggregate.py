"""QoE figures over many sessions, grouped by a field or by day (docs/stats.md defines each)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Final

from vtrack.stats.summary import FIELDS, SessionStats

#: The figures of a group, in order (after the group's own column).
AGGREGATE_FIELDS: Final = (
    "attempts",
    "plays",
    "ebvs_rate",
    "start_failure_rate",
    "startup_time_p50",
    "startup_time_p90",
    "startup_time_p95",
    "rebuffer_ratio",
    "mean_play_time",
    "completion_rate",
)
#: What sessions may be grouped by: the day they started (UTC), their first content asset,
#: or any field of the summary.
GROUP_BY: Final = ("day", "asset_id", *FIELDS)
#: The group's column when every session is one group (``--aggregate``).
ALL: Final = "all"


def group_of(stats: SessionStats, by: str) -> str | None:
    """The group ``stats`` falls in when grouped ``by`` (see :data:`GROUP_BY`)."""
    if by == "day":
        return stats.started_at[:10]
    if by == "asset_id":
        return stats.asset_ids[0] if stats.asset_ids else None
    if by not in FIELDS:
        raise ValueError(f"cannot group by {by!r}; allowed: {', '.join(GROUP_BY)}")
    value = getattr(stats, by)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


class GroupTotals:
    """The running totals of one group: what its figures are made of."""

    def __init__(self) -> None:
        self.attempts = 0
        self.plays = 0
        self.ebvs = [0, 0]  # [exits before start, attempts where it is known]
        self.failures = [0, 0]
        self.startup_times: list[float] = []
        self.play_time = 0.0
        self.buffer_time = 0.0
        self.play_times: list[float] = []
        self.completions = [0, 0]  # [plays completed, plays of known length and end]

    def add(self, stats: SessionStats) -> None:
        """Count one session in."""
        self.attempts += 1
        # The content started: neither an exit before the start nor a failure to start.
        if stats.exited_before_start is False and stats.start_failed is False:
            self.plays += 1
            self.play_times.append(stats.play_time)
            if stats.completion is not None and stats.end is not None:
                self.completions[0] += stats.end == "completed"
                self.completions[1] += 1
        _count(self.ebvs, stats.exited_before_start)
        _count(self.failures, stats.start_failed)
        if stats.startup_time is not None:
            self.startup_times.append(stats.startup_time)
        self.play_time += stats.play_time
        self.buffer_time += stats.buffer_time

    def figures(self) -> dict[str, Any]:
        """The group's figures, named as in :data:`AGGREGATE_FIELDS`."""
        startup = sorted(self.startup_times)
        watched = self.play_time + self.buffer_time
        return {
            "attempts": self.attempts,
            "plays": self.plays,
            "ebvs_rate": _share(self.ebvs),
            "start_failure_rate": _share(self.failures),
            "startup_time_p50": percentile(startup, 50),
            "startup_time_p90": percentile(startup, 90),
            "startup_time_p95": percentile(startup, 95),
            "rebuffer_ratio": round(self.buffer_time / watched, 6) if watched > 0 else None,
            "mean_play_time": (
                round(sum(self.play_times) / len(self.play_times), 3) if self.play_times else None
            ),
            "completion_rate": _share(self.completions),
        }


def _count(tally: list[int], value: bool | None) -> None:
    if value is not None:
        tally[0] += value
        tally[1] += 1


def _share(tally: list[int]) -> float | None:
    return round(tally[0] / tally[1], 6) if tally[1] else None


def percentile(ordered: list[float], percent: float) -> float | None:
    """The nearest-rank percentile of ``ordered`` (sorted): a value that occurred."""
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def aggregate(sessions: Iterable[SessionStats], by: str | None = None) -> list[dict[str, Any]]:
    """One row per group of ``sessions`` grouped ``by`` (None: one group, :data:`ALL`).

    Each row holds the group (under the name ``by``, or ``group``) and the figures of
    :data:`AGGREGATE_FIELDS`; rows come in the order of their groups (None last).
    """
    groups: dict[str | None, GroupTotals] = {}
    for stats in sessions:
        key = ALL if by is None else group_of(stats, by)
        totals = groups.get(key)
        if totals is None:
            totals = groups[key] = GroupTotals()
        totals.add(stats)
    column = by or "group"
    order = sorted(groups, key=lambda key: (key is None, key or ""))
    return [{column: key, **groups[key].figures()} for key in order]
