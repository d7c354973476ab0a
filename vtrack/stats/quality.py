"""The bitrate a session played at: its peak, its changes, its mean over playing time."""

from __future__ import annotations


class Bitrate:
    """The bitrates a session's messages report (in their unit: kbps in the Segment spec)."""

    __slots__ = ("_weighted", "_weighted_time", "changes", "current", "peak")

    def __init__(self) -> None:
        self.current: float | None = None
        #: The highest bitrate reported (None: none was).
        self.peak: float | None = None
        #: How many times the reported bitrate changed from one known value to another.
        self.changes = 0
        self._weighted = 0.0
        self._weighted_time = 0.0

    def observe(self, value: float | None) -> None:
        """A message reports ``value`` (None: it says nothing of the bitrate)."""
        if value is None:
            return
        if self.current is not None and value != self.current:
            self.changes += 1
        self.current = value
        if self.peak is None or value > self.peak:
            self.peak = value

    def count_playing(self, seconds: float, playing: bool) -> None:
        """``seconds`` went by at the current bitrate, playing content or not."""
        if playing and seconds > 0.0 and self.current is not None:
            self._weighted += self.current * seconds
            self._weighted_time += seconds

    def mean(self) -> float | None:
        """The mean bitrate weighted by playing time, over the time it was known."""
        if self._weighted_time <= 0.0:
            return None
        return round(self._weighted / self._weighted_time, 3)
