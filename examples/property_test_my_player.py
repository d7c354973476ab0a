"""Property-test your player integration in 20 lines (docs/property-testing.md).

Run: .venv/bin/pytest examples/property_test_my_player.py

``MyTracker`` stands for the integration you wrote yourself: it listens to a player and
sends Segment video events, with a heartbeat every 10 s of playing time. The test at the
bottom (``CheckMyTracker``) has Hypothesis play hundreds of viewers at it and at vtrack, and
fails with the shortest sequence of viewer actions after which the two disagree.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from vtrack.core.callbacks import Callback
from vtrack.testing import Pause, PlayerWrapperModel, Watch

HEARTBEAT = 10.0


class MyTracker:
    """A hand-written player integration: player events in, Segment events in ``sent``."""

    def __init__(self, *, forget_resume_heartbeat: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.forget_resume_heartbeat = forget_resume_heartbeat
        self.started = self.content_started = self.playing = False
        self.position = self.reported_at = 0.0
        self.next_beat = math.inf

    def on_player_event(self, name: str, at: float, **args: Any) -> None:
        """The player's event ``name`` happened at ``at`` (epoch seconds)."""
        self._beats_until(at)
        if "position" in args and isinstance(args["position"], float):
            self.position, self.reported_at = args["position"], at
        if name == "play" and not self.started:
            self.started = True
            self._send("Video Playback Started", at)
        elif name == "playing" and not self.content_started:
            self.content_started = self.playing = True
            self.next_beat = at + HEARTBEAT
            self._send("Video Content Started", at)
        elif name == "pause" and self.playing:
            self._hold(at)
            self._send("Video Playback Paused", at)
        elif name == "play" and not self.playing and self.content_started:
            self.playing, self.reported_at = True, at
            self._send("Video Playback Resumed", at)
            if not self.forget_resume_heartbeat:
                self._send("Video Content Playing", at)
            self.next_beat = at + HEARTBEAT
        elif name == "ended":
            self._hold(at)
            self._send("Video Content Completed", at)
            self._send("Video Playback Completed", at)
        elif name == "exit":
            self._hold(at)
            self._send("Video Playback Exited", at)

    def _hold(self, at: float) -> None:
        self.position, self.reported_at = self._position(at), at
        self.playing, self.next_beat = False, math.inf

    def _beats_until(self, at: float) -> None:
        while self.playing and self.next_beat <= at:
            self._send("Video Content Playing", self.next_beat)
            self.next_beat += HEARTBEAT

    def _position(self, at: float) -> float:
        return self.position + (at - self.reported_at if self.playing else 0.0)

    def _send(self, event: str, at: float) -> None:
        stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
        position = math.floor(self._position(at))
        self.sent.append({"event": event, "timestamp": stamp, "properties": {"position": position}})


# ---------------------------------------------------------------- the test: 20 lines
class CheckMyTracker(PlayerWrapperModel):
    """vtrack's reference model, told how to drive and read MyTracker."""

    heartbeat = 10
    allowed_actions = (Watch, Pause)  # what MyTracker handles: watching, pausing
    rates, preroll = (1.0,), False
    compared_events = frozenset({
        "Video Playback Started", "Video Content Started", "Video Content Playing",
        "Video Playback Paused", "Video Playback Resumed", "Video Content Completed",
        "Video Playback Completed", "Video Playback Exited",
    })  # fmt: skip

    def make_wrapper(self) -> MyTracker:
        return MyTracker()

    def send(self, wrapper: MyTracker, callback: Callback) -> None:
        wrapper.on_player_event(callback.name, callback.at or 0.0, **callback.args)

    def messages(self, wrapper: MyTracker) -> list[dict[str, Any]]:
        return wrapper.sent


TestMyTracker = CheckMyTracker.TestCase
