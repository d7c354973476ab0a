"""Which seconds of the content were played: the union of intervals, merged as they come."""

from __future__ import annotations

from bisect import bisect_left
from typing import Final

#: The fastest playback rate taken at its word. A position that moved further than this
#: times the playing time since the last one jumped (a seek the messages did not report).
MAX_RATE: Final = 16.0
#: Positions in messages are whole seconds (rounded down): a move may look one second longer.
POSITION_SLACK: Final = 1.0


class PlayedIntervals:
    """The union of played intervals of one content item, ``[start, end]`` in seconds.

    Memory grows with the number of separate stretches (seeks), not with messages.
    """

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []

    def add(self, start: float, end: float) -> None:
        """Count ``[start, end]`` as played."""
        if end <= start:
            return
        starts, ends = self._starts, self._ends
        first = bisect_left(ends, start)  # the first interval that ends at or after start
        last = first
        while last < len(starts) and starts[last] <= end:
            last += 1
        if first < last:
            start = min(start, starts[first])
            end = max(end, ends[last - 1])
        starts[first:last] = [start]
        ends[first:last] = [end]

    def __len__(self) -> int:
        """How many separate stretches were played (what the memory grows with)."""
        return len(self._starts)

    def total(self, length: float | None = None) -> float:
        """Seconds played, counting only ``[0, length]`` when the length is known."""
        cap = length if length is not None else float("inf")
        return sum(
            max(0.0, min(end, cap) - max(start, 0.0))
            for start, end in zip(self._starts, self._ends, strict=True)
        )

    def furthest(self) -> float | None:
        """The furthest position played, if any was."""
        return self._ends[-1] if self._ends else None


class Coverage:
    """Follows the content's playhead through a session's messages and keeps what it played.

    Consecutive positions not separated by a seek bound a stretch that was played (the
    position moves only while playing), unless it moved faster than :data:`MAX_RATE` allows
    for the playing time between them.
    """

    __slots__ = (
        "_anchor",
        "_anchor_play",
        "_length",
        "_prior_length",
        "_prior_played",
        "furthest",
        "item",
    )

    def __init__(self) -> None:
        self.item = PlayedIntervals()
        self._anchor: float | None = None
        self._anchor_play = 0.0
        self._length: float | None = None
        #: Items before this one: seconds played, and their lengths (None: one was unknown).
        self._prior_played = 0.0
        self._prior_length: float | None = 0.0
        #: The furthest position any item was played to (None: nothing played).
        self.furthest: float | None = None

    def observe(self, position: float, play_time: float) -> None:
        """The playhead is at ``position`` after ``play_time`` seconds of playing in all."""
        anchor = self._anchor
        if anchor is not None and position >= anchor:
            allowed = (play_time - self._anchor_play) * MAX_RATE + POSITION_SLACK
            if position - anchor <= allowed:
                self.item.add(anchor, position)
                if position > anchor and (self.furthest is None or position > self.furthest):
                    self.furthest = position
        self._anchor, self._anchor_play = position, play_time

    def jump(self, position: float | None, play_time: float) -> None:
        """A seek: what comes next does not continue what came before."""
        self._anchor, self._anchor_play = position, play_time

    @property
    def item_length(self) -> float | None:
        """The current item's length (None: unknown or live)."""
        return self._length

    def set_length(self, length: float | None) -> None:
        """The current item's length (None: unknown or live)."""
        self._length = length

    def next_item(self, play_time: float) -> None:
        """Another content item starts: the one before is folded into the totals."""
        self._prior_played += self.item.total(self._length)
        if self._prior_length is not None and self._length is not None:
            self._prior_length += self._length
        else:
            self._prior_length = None
        self.item = PlayedIntervals()
        self._anchor, self._anchor_play, self._length = None, play_time, None

    def unique_seconds(self) -> float:
        """Seconds of content played at least once, over every item."""
        return self._prior_played + self.item.total(self._length)

    def length(self) -> float | None:
        """The length of every item together, if each one's is known."""
        if self._prior_length is None or self._length is None:
            return None
        return self._prior_length + self._length
