"""When heartbeats and milestones are due: pure arithmetic on playing time and position.

Nothing here reads a clock. The session tells a schedule when playing time starts and stops;
the schedule answers when the next heartbeat is due. A milestone tracker is told what content
was played and answers at which playhead position the next milestone is reached.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import attrs

#: The heartbeat intervals the spec allows (Vimeo OTT's ``seconds``: 0-600 in steps of 10).
HEARTBEAT_INTERVALS: Final = tuple(range(0, 601, 10))
DEFAULT_MILESTONES: Final = (25, 50, 75, 90)
MilestoneBasis = Literal["position", "played", "watched"]
MILESTONE_BASES: Final = ("position", "played", "watched")


def validate_heartbeat(interval: object) -> int:
    """Return ``interval`` if it is an allowed heartbeat interval, else raise ``ValueError``."""
    if isinstance(interval, bool) or not isinstance(interval, int):
        raise ValueError(
            f"heartbeat must be an int in 0, 10, 20, ..., 600 (0 turns heartbeats off); "
            f"got {interval!r} of type {type(interval).__name__}"
        )
    if interval not in HEARTBEAT_INTERVALS:
        raise ValueError(
            f"heartbeat must be one of 0, 10, 20, ..., 600 seconds (a multiple of 10 up to "
            f"600; 0 turns heartbeats off); got {interval}"
        )
    return interval


#: A milestone's percent as the settings gave it: ``25`` is written as 25, ``25.0`` as 25.0 (an
#: int is not a float to mypyc, which would turn it into one: see setup.py).
Percent = int | float


def validate_milestones(percents: object) -> tuple[Percent, ...]:
    """Return the milestone percentages as a tuple, or raise ``ValueError`` saying why not.

    They must be numbers with 0 < p < 100, unique and in ascending order.
    """
    if isinstance(percents, str | bytes) or not hasattr(percents, "__iter__"):
        raise ValueError(f"milestones must be a sequence of percentages; got {percents!r}")
    values = tuple(percents)
    for p in values:
        if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p):
            raise ValueError(f"milestone {p!r} is not a finite number")
        if not 0 < p < 100:
            raise ValueError(f"milestone {p!r} is outside 0 < p < 100")
    if len(set(values)) != len(values):
        raise ValueError(f"milestones must be unique; got {values!r}")
    if list(values) != sorted(values):
        raise ValueError(f"milestones must be in ascending order; got {values!r}")
    return values


def validate_basis(basis: object) -> MilestoneBasis:
    """Return ``basis`` if it names a milestone basis, else raise ``ValueError``."""
    if basis == "position":
        return "position"
    if basis == "played":
        return "played"
    if basis == "watched":
        return "watched"
    raise ValueError(f"milestone_basis must be one of {', '.join(MILESTONE_BASES)}; got {basis!r}")


def threshold(percent: float, length: float) -> float:
    """The position at which ``percent`` of ``length`` is reached."""
    return percent * length / 100.0


def shared_threshold(percent: float, length: float) -> float:
    """:func:`threshold`, as one float object for every session that asks the same.

    A playing session holds its next milestone's position until it is reached: with a
    hundred thousand sessions open, one float each adds up.
    """
    key = (percent, length)
    found = _THRESHOLDS.get(key)
    if found is None:
        if len(_THRESHOLDS) >= _THRESHOLDS_KEPT:
            _THRESHOLDS.clear()
        found = _THRESHOLDS[key] = threshold(percent, length)
    return found


_THRESHOLDS: dict[tuple[float, float], float] = {}
_THRESHOLDS_KEPT: Final = 4096


class HeartbeatSchedule:
    """Heartbeats every ``interval`` seconds of playing time of the current pod.

    ``played`` is the playing time banked before the current stretch, ``since`` when the
    current stretch began (NaN while not playing), ``beats`` how many heartbeats fired
    since the last restart. Heartbeat k is due when the playing time reaches ``k * interval``,
    computed from the restart point, so rounding never accumulates from beat to beat.

    The :class:`~vtrack.core.clockwork.Clockwork` is one (a subclass, not a part: a replay
    holds thousands of sessions open, and one object fewer per session saves 32 bytes), so
    the method names say they are about beats.
    """

    __slots__ = ("beats", "interval", "played", "since")

    def __init__(self, interval: int) -> None:
        self.interval = interval
        self.played = 0.0
        #: When playing time started running; NaN while it does not. A float, not None:
        #: compiled (setup.py), a float field holds no object, and most sessions play.
        self.since = math.nan
        self.beats = 0

    def restart_beats(self, at: float, playing: bool) -> None:
        """Count playing time from zero again (a pod started, or playback resumed)."""
        self.played = 0.0
        self.beats = 0
        self.since = at if playing else math.nan

    def start_beats(self, at: float) -> None:
        """Playing time starts running at ``at`` (no-op if it already runs)."""
        if math.isnan(self.since):
            self.since = at

    def stop_beats(self, at: float) -> None:
        """Playing time stops at ``at`` (no-op if it was not running)."""
        if not math.isnan(self.since):
            self.played += at - self.since
            self.since = math.nan

    def beat_deadline(self) -> float | None:
        """When the next heartbeat is due, or ``None`` while not playing or turned off."""
        if math.isnan(self.since) or self.interval == 0:
            return None
        return self.since + ((self.beats + 1) * self.interval - self.played)

    def fire_beat(self) -> None:
        """Record that the due heartbeat was sent."""
        self.beats += 1


@attrs.frozen(weakref_slot=False)
class MilestoneTracker:
    """Once-only progress milestones of one content item (or quartiles of one ad): a value.

    Milestones are done in ascending order: ``done`` counts the leading percentages that fired
    or were passed by a higher one, so none ever fires twice or out of order, whatever the
    duration does later. ``ranges`` holds the merged ranges of continuous playback (for the
    ``played`` and ``watched`` bases), so a duration learned late still finds what was played.

    Firing or recording gives the next tracker (:meth:`fired`, :meth:`recorded`). Trackers
    without ranges are shared (:func:`milestone_tracker`): sessions at the same milestone of
    the same settings hold one object, not one each.
    """

    percents: tuple[Percent, ...]
    basis: MilestoneBasis = "position"
    done: int = 0
    ranges: tuple[tuple[float, float], ...] | None = None

    def next_target(self, position: float, duration: float) -> tuple[int, float] | None:
        """The next milestone (its index) and the playhead position at which it is reached.

        Assumes playback continues from ``position``. A returned position at or behind
        ``position`` means the milestone is due now.
        """
        percents = self.percents
        if self.done >= len(percents):
            return None
        if self.basis == "position":
            return self.done, shared_threshold(percents[self.done], duration)
        if self.basis == "played":
            for index in range(self.done, len(percents)):
                reached = threshold(percents[index], duration)
                if self._crossed(reached):
                    return index, position  # played through before it could be known
                if reached >= position:
                    return index, reached  # playing from the very point plays it
            return None
        needed = threshold(percents[self.done], duration) - self.watched()
        reached_at = self._playhead_after_gaining(position, needed, duration)
        return None if reached_at is None else (self.done, reached_at)

    def fired(self, index: int) -> MilestoneTracker:
        """The tracker with milestone ``index`` (and any lower one still pending) done."""
        if self.ranges is None:
            return milestone_tracker(self.percents, self.basis, index + 1)
        return attrs.evolve(self, done=index + 1)

    def recorded(self, start: float, end: float) -> MilestoneTracker:
        """The tracker once content from ``start`` to ``end`` was played continuously.

        Only the ``played`` and ``watched`` bases keep what was played.
        """
        if self.basis == "position" or end <= start:
            return self
        merged: list[tuple[float, float]] = []
        placed = False
        for a, b in self.ranges or ():
            if b < start or placed:
                merged.append((a, b))
            elif a > end:
                merged.append((start, end))
                merged.append((a, b))
                placed = True
            else:
                start, end = min(a, start), max(b, end)
        if not placed:
            merged.append((start, end))
        return attrs.evolve(self, ranges=tuple(merged))

    def _crossed(self, position: float) -> bool:
        # Every point of a merged range was played, its ends included: a stretch that starts
        # exactly on a point (a seek landing on 45.000 of 60 s, then playing) plays it, as
        # one that stops exactly on it does. Ranges are never empty (see recorded).
        return any(a <= position <= b for a, b in self.ranges or ())

    def watched(self) -> float:
        """Seconds of unique content played so far."""
        return sum(b - a for a, b in self.ranges or ())

    def _playhead_after_gaining(
        self, position: float, needed: float, duration: float
    ) -> float | None:
        if needed <= 0:
            return position
        head = position
        for a, b in self.ranges or ():
            if b <= head:
                continue
            if a > head:
                if a - head >= needed:
                    return head + needed
                needed -= a - head
            head = b
        if duration - head >= needed:
            return head + needed
        return None


def milestone_tracker(
    percents: tuple[Percent, ...], basis: MilestoneBasis = "position", done: int = 0
) -> MilestoneTracker:
    """The shared tracker of ``percents`` on ``basis`` with ``done`` milestones done.

    Keyed by the percents' types too: ``(25, 50)`` and ``(25.0, 50.0)`` are equal, but a
    milestone's percent is written as given, so they must not share a tracker.
    """
    key = (percents, tuple(map(type, percents)), basis, done)
    tracker = _SHARED_TRACKERS.get(key)
    if tracker is None:
        if len(_SHARED_TRACKERS) >= _TRACKERS_KEPT:
            _SHARED_TRACKERS.clear()
        tracker = _SHARED_TRACKERS[key] = MilestoneTracker(percents, basis, done)
    return tracker


#: Trackers are values: sharing them is safe, and a bound keeps odd settings from piling up.
_SHARED_TRACKERS: dict[tuple[Any, ...], MilestoneTracker] = {}
_TRACKERS_KEPT: Final = 1024
