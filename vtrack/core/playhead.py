"""Where the playhead of one pod (a content item or an ad) is, between observations.

The player reports positions now and then; between reports the position is interpolated from
the last one at the playback rate, clamped to the pod's length. A playhead also knows its
milestones (content) or quartiles (ads) and answers when the next one is reached.
"""

from __future__ import annotations

import math

import attrs

from vtrack.core.schedule import MilestoneTracker

#: An observed position farther than this (seconds) from the interpolated one is a jump
#: (a seek the player did not announce), not continuous playback.
CONTINUITY_TOLERANCE = 1.5


@attrs.define(slots=True)
class Playhead:
    """Position ``pos`` (seconds into the pod) as of time ``at``; moves at ``rate`` when played."""

    pos: float = 0.0
    at: float = 0.0
    rate: float = 1.0
    length: float | None = None
    tracker: MilestoneTracker | None = None

    def position_at(self, t: float, moving: bool) -> float:
        """The interpolated position at time ``t``."""
        if not moving or t <= self.at:
            return self.pos
        position = self.pos + self.rate * (t - self.at)
        length = self.length
        return length if length is not None and position > length else position

    def settle(self, t: float, moving: bool) -> None:
        """Bring the position up to time ``t`` (recording the content played on the way)."""
        if moving and t > self.at:
            position = self.position_at(t, True)
            if self.tracker is not None:
                self.tracker.record(self.pos, position)
            self.pos = position
        if t > self.at:
            self.at = t

    def jump(self, position: float, t: float) -> None:
        """Put the playhead at ``position`` (clamped to the pod) at time ``t``, playing nothing."""
        self.pos = self.clamp(position)
        if t > self.at:
            self.at = t

    def clamp(self, position: float) -> float:
        """``position`` limited to ``[0, length]``."""
        if position < 0.0:
            return 0.0
        length = self.length
        return length if length is not None and position > length else position

    def observe(self, position: float, t: float) -> list[tuple[float, int, float]]:
        """Take a position reported at time ``t`` while playing.

        Returns the milestones crossed by continuous playback up to it that were not yet due
        by interpolation, as ``(moment, index, threshold position)``: the moment is
        interpolated between the last settled point and this report. A report too far from
        the interpolation is a jump: nothing in between counts as played.
        """
        observed = self.clamp(position)
        start, start_at = self.pos, self.at
        predicted = self.position_at(t, True)
        crossed: list[tuple[float, int, float]] = []
        tracker = self.tracker
        if start - CONTINUITY_TOLERANCE <= observed <= predicted + CONTINUITY_TOLERANCE:
            # Milestones up to the predicted position were due by interpolation already.
            if observed <= predicted:
                if tracker is not None:
                    tracker.record(start, observed)
            elif tracker is not None and self.length is not None:
                head = start
                while (target := tracker.next_target(head, self.length)) is not None:
                    index, reached = target
                    if reached > observed:
                        break
                    reached = max(reached, head)
                    moment = start_at + (reached - start) / (observed - start) * (t - start_at)
                    tracker.record(head, reached)
                    tracker.fire(index)
                    crossed.append((moment, index, reached))
                    head = reached
                tracker.record(head, observed)
        elif tracker is not None:
            tracker.record(start, predicted)
        self.pos = observed
        if t > self.at:
            self.at = t
        return crossed

    def steady_target(self) -> tuple[float | None, int]:
        """Where (content position) the next milestone is reached, and its index.

        Only when that depends on nothing but the position (the ``position`` basis, playing
        forward); ``inf`` when no milestone is pending; ``None`` when it depends on more (the
        ``played`` and ``watched`` bases, which must record every stretch played).
        """
        tracker, length = self.tracker, self.length
        if self.rate <= 0.0:
            return None, 0
        if tracker is None:
            return math.inf, 0
        if tracker.basis != "position":
            return None, 0
        done = tracker.done
        if length is None or done >= len(tracker.percents):
            return math.inf, 0
        return tracker.percents[done] * length / 100.0, done

    def next_milestone(self) -> tuple[float, int] | None:
        """When (time) the next milestone is reached while playing, and its index."""
        tracker, length = self.tracker, self.length
        if tracker is None or length is None or self.rate <= 0.0:
            return None
        target = tracker.next_target(self.pos, length)
        if target is None:
            return None
        index, reached = target
        if reached <= self.pos:
            return self.at, index
        return self.at + (reached - self.pos) / self.rate, index
