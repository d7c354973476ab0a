"""Where a session's wall time goes: each moment in exactly one state, each state in a bucket.

The messages mark the changes of state (Paused, Buffer Started, Ad Started, ...); the time
between two consecutive messages of a session belongs to the state the first one left it in.
So the buckets add up to the time from the session's first message to its last, exactly (but
for the rounding of floats).
"""

from __future__ import annotations

from typing import Final

# The states a session is seen in.
STARTING: Final = "starting"  # play pressed, no first frame yet (outside ads and pauses)
PLAYING: Final = "playing"
PAUSED: Final = "paused"
BUFFERING: Final = "buffering"
SEEKING: Final = "seeking"
IN_AD: Final = "ad"
ENDED: Final = "ended"  # the content item ended; a post-roll or the next item may follow
OVER: Final = "over"  # completed, exited or interrupted

#: The bucket each state's time is counted in.
BUCKETS: Final = {
    STARTING: "startup",
    PLAYING: "play",
    PAUSED: "pause",
    BUFFERING: "buffer",
    SEEKING: "seek",
    IN_AD: "ad",
    ENDED: "idle",
    OVER: "idle",
}
BUCKET_NAMES: Final = ("startup", "play", "pause", "buffer", "seek", "ad", "idle")


class StateClock:
    """The state a session is in and the seconds spent in each bucket so far."""

    __slots__ = ("bucket", "last_at", "seconds", "state")

    def __init__(self, state: str, at: float) -> None:
        self.state = state
        self.bucket = BUCKETS[state]
        self.last_at = at
        self.seconds = dict.fromkeys(BUCKET_NAMES, 0.0)

    def advance(self, at: float) -> float:
        """Count the time up to ``at`` in the current state's bucket; returns that time."""
        elapsed = at - self.last_at
        if elapsed <= 0.0:
            return 0.0
        self.seconds[self.bucket] += elapsed
        self.last_at = at
        return elapsed

    def enter(self, state: str) -> None:
        """From now on, time counts in ``state``."""
        self.state = state
        self.bucket = BUCKETS[state]
