"""Where the playhead of one pod (a content item or an ad) is, between observations.

The player reports positions now and then; between reports the position is interpolated from
the last one at the playback rate, clamped to the pod's length. This is the only place a
position is interpolated or clamped; what falls due on the way is the clockwork's business.
"""

from __future__ import annotations

from typing import NamedTuple

#: An observed position farther than this (seconds) from the interpolated one is a jump
#: (a seek the player did not announce), not continuous playback.
CONTINUITY_TOLERANCE = 1.5


class Report(NamedTuple):
    """A position the player reported while playing, beside where the playhead stood."""

    #: Where the playhead stood before the report, and since when.
    start: float
    start_at: float
    #: The reported position, clamped to the pod.
    observed: float
    #: Where interpolation put the playhead at the report's time.
    predicted: float
    #: Whether the report is continuous playback from ``start`` (else a jump).
    continuous: bool


class Playhead:
    """Position ``pos`` (seconds into the pod) as of time ``at``; moves at ``rate`` when played.

    A plain class, not attrs: compiled (setup.py), it keeps its floats in its own fields, so
    a session holds no float objects for them, and compiled callers read them directly.
    """

    __slots__ = ("at", "length", "pos", "rate")

    def __init__(
        self, pos: float = 0.0, at: float = 0.0, rate: float = 1.0, length: float | None = None
    ) -> None:
        self.pos = pos
        self.at = at
        self.rate = rate
        self.length = length

    def __repr__(self) -> str:
        fields = f"pos={self.pos!r}, at={self.at!r}, rate={self.rate!r}, length={self.length!r}"
        return f"Playhead({fields})"

    def position_at(self, t: float, moving: bool) -> float:
        """The interpolated position at time ``t``."""
        if not moving or t <= self.at:
            return self.pos
        position = self.pos + self.rate * (t - self.at)
        length = self.length
        return length if length is not None and position > length else position

    def settle(self, t: float, moving: bool) -> float | None:
        """Bring the position up to time ``t``; where it started if it moved (else ``None``).

        The stretch from the returned position to :attr:`pos` was played.
        """
        start = None
        if moving and t > self.at:
            start = self.pos
            self.pos = self.position_at(t, True)
        if t > self.at:
            self.at = t
        return start

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

    def report(self, position: float, t: float) -> Report:
        """Take a position reported at time ``t`` while playing; say how it relates to before."""
        observed = self.clamp(position)
        start, start_at = self.pos, self.at
        predicted = self.position_at(t, True)
        continuous = start - CONTINUITY_TOLERANCE <= observed <= predicted + CONTINUITY_TOLERANCE
        self.pos = observed
        if t > self.at:
            self.at = t
        return Report(start, start_at, observed, predicted, continuous)

    def time_to_reach(self, position: float) -> float:
        """When playing on from here reaches ``position`` (now if it is not ahead)."""
        if position <= self.pos:
            return self.at
        return self.at + (position - self.pos) / self.rate
