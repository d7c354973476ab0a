"""The adapters without a real player: a fake mpv that calls back from its own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from vtrack import CallbackSink, Content
from vtrack.adapters.mpv import attach_mpv
from vtrack.live import ManualDriver


class FakeEvent:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def as_dict(self, decoder: Callable[[bytes], str]) -> dict[str, Any]:
        return self.data


class FakeMpv:
    """Stores the adapter's handlers; the test plays events through them from a thread."""

    def __init__(self) -> None:
        self.observers: dict[str, Callable[[str, Any], None]] = {}
        self.events: list[Callable[[Any], None]] = []
        self.calls_after_attach = 0

    def observe_property(self, name: str, handler: Callable[[str, Any], None]) -> None:
        self.observers[name] = handler

    def register_event_callback(self, handler: Callable[[Any], None]) -> None:
        self.events.append(handler)

    def __getattr__(self, name: str) -> Any:  # anything else the adapter might call
        self.calls_after_attach += 1
        raise AssertionError(f"the adapter called the player: {name}")

    def prop(self, name: str, value: Any) -> None:
        self.observers[name](name, value)

    def event(self, name: str, **data: Any) -> None:
        for handler in self.events:
            handler(FakeEvent({"event": name, **data}))

    def play_file(self) -> None:
        self.event("start-file")
        self.event("file-loaded")
        self.prop("duration", 30.0)
        self.prop("time-pos", 0.0)
        self.event("playback-restart")
        for step in range(1, 31):
            self.prop("time-pos", float(step))
        self.event("end-file", reason="eof")


def test_closing_from_a_sink_callback_on_the_player_thread_does_not_deadlock() -> None:
    """A sink closing the adapter on mpv's thread lets it end; Exited last; mpv is never called."""
    player = FakeMpv()
    messages: list[str] = []
    box: list[Any] = []

    def take(message: dict[str, Any]) -> None:
        messages.append(message["event"])
        if message["event"] == "Video Content Completed":
            box[0].close()

    adapter = attach_mpv(player, "m", sink=CallbackSink(take), anonymous_id="v",
                         content=Content(asset_id="x"), driver=ManualDriver())  # fmt: skip
    box.append(adapter)
    thread = threading.Thread(target=player.play_file, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the player's thread is stuck"
    assert "Video Playback Exited" == messages[-1]
    assert 0 == player.calls_after_attach  # nothing called back into the player


def test_a_playlist_is_one_session_per_file() -> None:
    """Two files in one mpv make two sessions: Started, Completed, Exited twice; ids unique."""
    player = FakeMpv()
    messages: list[dict[str, Any]] = []
    adapter = attach_mpv(player, "m", sink=CallbackSink(messages.append), anonymous_id="v",
                         content=Content(asset_id="x"), driver=ManualDriver())  # fmt: skip
    player.play_file()
    player.play_file()
    player.event("shutdown")
    adapter.close()
    events = [m["event"] for m in messages]
    assert 2 == events.count("Video Playback Started")
    assert 2 == events.count("Video Playback Completed")
    assert 2 == events.count("Video Playback Exited")
    assert len({m["messageId"] for m in messages}) == len(messages)
