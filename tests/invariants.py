"""Invariants every session's output must satisfy, checked on the emitted messages."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from schema import MILESTONE, validate

HEARTBEATS = ("Video Content Playing", "Video Ad Playing")
#: Events after which a pod's heartbeat count starts again from zero.
RESTARTS = (
    "Video Content Started",
    "Video Ad Started",
    "Video Ad Completed",
    "Video Playback Resumed",
)


def epoch(message: dict[str, Any]) -> float:
    return datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00")).timestamp()


def is_heartbeat(message: dict[str, Any]) -> bool:
    return message["event"] in HEARTBEATS and "quartile" not in message["properties"]


def playing_time(intervals: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] covered by the playing intervals."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)


def check_messages(messages: Sequence[dict[str, Any]], schema: bool = True) -> None:
    """Unique messageIds, ordered timestamps, positions in range, milestones once/ascending."""
    ids = [m["messageId"] for m in messages]
    assert len(ids) == len(set(ids)), "messageIds repeat"
    times = [epoch(m) for m in messages]
    assert times == sorted(times), "timestamps go backwards"
    fired: dict[Any, list[float]] = {}
    for message in messages:
        p = message["properties"]
        position, total = p.get("position"), p.get("total_length")
        if position is not None:
            assert isinstance(position, int) and position >= 0, message
            if total is not None:
                assert position <= total, message
        if MILESTONE.match(message["event"]) and "milestone" in p:  # segment profile
            done = fired.setdefault(p.get("asset_id"), [])
            assert p["milestone"] not in done, f"milestone {p['milestone']} twice"
            assert not done or done[-1] < p["milestone"], "milestones out of order"
            done.append(p["milestone"])
            assert math.floor(p["milestone"] * p["total_length"] / 100) <= p["position"] + 1
        if schema:
            validate(message)


def check_heartbeats(
    messages: Sequence[dict[str, Any]],
    playing: Sequence[tuple[float, float]],
    restarts: Sequence[float],
    interval: int,
) -> None:
    """Heartbeats fall in playing time, ``interval`` s of playing time apart.

    ``playing`` lists the wall-time intervals during which a pod played; ``restarts`` extra
    times (besides the restart events) at which the count started again.
    """
    previous: float | None = None
    marks = sorted(restarts)
    for message in messages:
        t = epoch(message)
        if message["event"] in RESTARTS:
            previous = None
        if any(previous is not None and previous <= r <= t for r in marks):
            previous = None
        if not is_heartbeat(message):
            continue
        assert interval > 0, "heartbeat while heartbeats are off"
        assert any(a - 1e-3 <= t <= b + 1e-3 for a, b in playing), f"heartbeat at {t} not playing"
        if previous is not None:
            gap = playing_time(playing, previous, t)
            assert abs(gap - interval) < 2e-3, f"heartbeats {gap} s of playing time apart"
        previous = t
