"""A session's timeline, read from its messages: the states it was in, its playhead, its marks.

What ``vtrack plot`` draws. The states are those of the QoE clock (:mod:`vtrack.stats.clock`):
each stretch between two messages of a session belongs to the state the first one left it
in. Pure: messages in, :class:`Timeline` objects out.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from typing import Any, Final

import attrs

from vtrack.profiles import base as kinds
from vtrack.stats.collector import StatsCollector
from vtrack.stats.summary import SessionStats
from vtrack.stats.tracker import SessionTracker
from vtrack.stats.vocabulary import Event

#: The marks a timeline keeps, by the kind of event: what a plot labels them.
MARKS: Final = {
    kinds.CONTENT_PLAYING: "heartbeat",
    kinds.CONTENT_MILESTONE: "milestone",
    kinds.SEEK_STARTED: "seek",
    kinds.QUALITY_UPDATED: "quality",
}


@attrs.frozen
class Timeline:
    """One playback session as time goes by (times in seconds since the epoch)."""

    summary: SessionStats
    #: ``(start, end, state)``, one per stretch between two messages, in order.
    states: tuple[tuple[float, float, str], ...]
    #: ``(at, seconds into the content)`` wherever a message said where the playhead was.
    positions: tuple[tuple[float, float], ...]
    #: ``(at, mark, label)``: heartbeats, milestones (label: the percentage), seeks and
    #: quality changes (label: the bitrate, if known).
    marks: tuple[tuple[float, str, str], ...]


class TimelineRecorder:
    """Keeps what each session went through: pass it as a :class:`StatsCollector`'s
    ``on_update``, then ask for :meth:`timelines`. Memory grows with the messages."""

    def __init__(self) -> None:
        self._points: dict[SessionTracker, list[tuple[Event, str, float | None]]] = {}

    def __call__(self, tracker: SessionTracker, event: Event) -> None:
        position = tracker.item_position if event.kind != kinds.CONTENT_MILESTONE else None
        self._points.setdefault(tracker, []).append((event, tracker.clock.state, position))

    def timelines(
        self, sessions: Collection[str] | None = None, limit: int | None = None
    ) -> list[Timeline]:
        """The sessions' timelines in the order they began (only ``sessions``, if given; the
        first ``limit``, if given)."""
        chosen = [t for t in self._points if sessions is None or t.session_id in sessions]
        return [_timeline(tracker, self._points[tracker]) for tracker in chosen[:limit]]


def timelines(messages: Iterable[Any], limit: int | None = None) -> list[Timeline]:
    """The timeline of each session in ``messages`` (the first ``limit`` sessions, if given).

    Raises :class:`~vtrack.stats.BadMessage` at the first message that cannot be read.
    """
    recorder = TimelineRecorder()
    collector = StatsCollector(on_update=recorder)
    for message in messages:
        collector.add(message)
    collector.finish()
    return recorder.timelines(limit=limit)


def _timeline(tracker: SessionTracker, points: list[tuple[Event, str, float | None]]) -> Timeline:
    states = tuple(
        (event.at, following[0].at, state)
        for (event, state, _), following in itertools.pairwise(points)
        if following[0].at > event.at
    )
    positions = tuple((event.at, position) for event, _, position in points if position is not None)
    marks = tuple(
        (event.at, MARKS[event.kind], _label(event))
        for event, _, _ in points
        if event.kind in MARKS
    )
    return Timeline(tracker.summary(), states, positions, marks)


def _label(event: Event) -> str:
    if event.kind == kinds.CONTENT_MILESTONE and event.milestone is not None:
        return f"{event.milestone:g}%"
    if event.kind == kinds.QUALITY_UPDATED:
        bitrate = event.properties.get("bitrate")
        return "" if bitrate is None else f"{bitrate:g}"
    return ""
