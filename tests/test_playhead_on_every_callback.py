"""Any callback may carry the playhead: taken as a timeupdate at its time, never on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import T0
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrack import Callback, Content, MemorySink, Session
from vtrack.core.machine import IN_AD, PLAYING_STATES
from vtrack.replay import replay
from vtrack.testing import callback_sequences

#: Callbacks whose own argument ``position`` is (they take it as before).
OWN_POSITION = frozenset({"timeupdate", "playing", "seeking", "seeked"})


def session(**options: Any) -> tuple[Session, MemorySink]:
    sink = MemorySink()
    return Session("s", anonymous_id="a", sink=sink, heartbeat=10, **options), sink


def started(at: float = T0) -> tuple[Session, MemorySink]:
    """A session of 100 s of content playing since ``at``."""
    played, sink = session()
    played.load(Content(asset_id="c", duration=100.0), at=at)
    played.play(at=at)
    played.playing(0.0, at=at)
    return played, sink


class TestPlayheadOnACallback:
    def test_a_pause_with_its_playhead_is_a_timeupdate_then_a_pause(self) -> None:
        """pause(position=p, at=t) sends what timeupdate(p, at=t) then pause(at=t) sends."""
        carried, carried_sink = started()
        carried.pause(position=60.0, at=T0 + 5.0)
        separate, separate_sink = started()
        separate.timeupdate(60.0, at=T0 + 5.0)
        separate.pause(at=T0 + 5.0)
        assert separate_sink.messages == carried_sink.messages
        assert ["25% Content Completed", "50% Content Completed"] == [
            m["event"] for m in carried_sink.messages if "%" in m["event"]
        ]

    def test_the_paused_position_is_the_playhead_carried(self) -> None:
        """Video Playback Paused reports the position the pause carried."""
        played, sink = started()
        played.pause(position=4.0, at=T0 + 5.0)
        assert 4 == sink.messages[-1]["properties"]["position"]

    def test_an_unusable_playhead_is_no_anomaly(self) -> None:
        """A NaN or negative playhead is left out; the callback applies, with no anomaly."""
        for position in (float("nan"), -1.0, "x"):
            played, _ = started()
            played.pause(position=position, at=T0 + 5.0)  # type: ignore[arg-type]
            assert ([], "paused") == (played.anomalies, played.state)

    def test_a_callback_back_in_time_is_one_anomaly(self) -> None:
        """A callback whose time goes back is refused once: its playhead adds no anomaly."""
        played, _ = started(T0 + 10.0)
        played.pause(position=3.0, at=T0)
        assert ["pause"] == [anomaly.callback for anomaly in played.anomalies]

    def test_an_ad_callback_carries_the_ads_playhead(self) -> None:
        """ad_skip(position=...) moves the ad's playhead: the skipped ad's end says where."""
        played, sink = started()
        played.ad_break_start("pod", "mid-roll", at=T0 + 1.0)
        played.ad_start("ad", length=30.0, at=T0 + 1.0)
        played.ad_skip(position=7.0, at=T0 + 1.5)
        skipped = next(m for m in sink.messages if m["event"] == "Video Ad Completed")
        assert (True, 7) == (skipped["properties"]["skipped"], skipped["properties"]["position"])

    def test_a_finished_session_ignores_a_playhead(self) -> None:
        """After Exited, a callback's playhead is no timeupdate (only the callback is refused)."""
        played, _ = started()
        played.exit(at=T0 + 1.0)
        played.pause(position=5.0, at=T0 + 2.0)
        assert ["pause"] == [anomaly.callback for anomaly in played.anomalies]


class TestPlayheadInLogs:
    def test_a_pause_record_may_carry_the_playhead(self, tmp_path: Path) -> None:
        """A log writing the playhead on its pause replays as one with a timeupdate before it."""
        head = [
            {"t": T0, "session": "s", "anonymous_id": "a", "event": "load", "asset_id": "c",
             "duration": 100.0, "position": 0.0},
            {"t": T0, "session": "s", "event": "play", "position": 0.0},
            {"t": T0, "session": "s", "event": "playing", "position": 0.0},
        ]  # fmt: skip
        carried = [*head, {"t": T0 + 30.0, "session": "s", "event": "pause", "position": 30.0}]
        separate = [
            *head,
            {"t": T0 + 30.0, "session": "s", "event": "timeupdate", "position": 30.0},
            {"t": T0 + 30.0, "session": "s", "event": "pause"},
        ]
        outputs = []
        for name, records in (("carried", carried), ("separate", separate)):
            path = tmp_path / f"{name}.log"
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
            outputs.append(list(replay([path])))
        assert outputs[1] == outputs[0]
        assert "Video Playback Paused" in [m["event"] for m in outputs[0]]


def playheads_added(script: list[Callback]) -> tuple[list[Callback], Session, MemorySink]:
    """The script with the playhead the session models added to every callback that has none.

    The playhead is read off a session running the plain script, just before each callback:
    where a timeupdate at that instant would put it.
    """
    plain, sink = session()
    out = []
    for callback in script:
        args = dict(callback.args)
        at, state = callback.at, plain.state
        if callback.name not in OWN_POSITION and at is not None:
            head = plain._playback.playing_head(state in IN_AD)
            last = plain.last_at
            if last is None or at >= last:
                args["position"] = head.position_at(at, state in PLAYING_STATES)
        out.append(Callback(callback.name, at, args))
        plain.handle(callback)
    return out, plain, sink


class TestPlayheadProperty:
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(callback_sequences(), callback_sequences(hostility=3)))
    def test_the_true_playhead_on_every_callback_changes_no_message(
        self, script: list[Callback]
    ) -> None:
        """Adding the playhead to every callback changes no message and refuses no callback."""
        with_playheads, plain, plain_sink = playheads_added(script)
        carried, carried_sink = session()
        for callback in with_playheads:
            carried.handle(callback)
        assert plain_sink.messages == carried_sink.messages
        assert plain.anomalies == carried.anomalies
