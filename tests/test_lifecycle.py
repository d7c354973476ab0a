"""The Segment Video Spec's example event lifecycle, steps 1 to 9 (seed 001, spec notes)."""

from __future__ import annotations

from typing import Any

from conftest import T0

from vtrack import Content, MemorySink, ScheduledAd, Session
from vtrack.testing.schema import validate

CONTENT = Content(
    asset_id="0129370",
    pod_ids=("segA", "segB"),
    duration=360.0,
    title="Test Video",
    ad_schedule=(
        ScheduledAd("ad123", "adSegA", "mid-roll", 21.0),
        ScheduledAd("ad097", "adSegB", "post-roll", 11.0),
    ),
)


def play_example(sink: MemorySink) -> Session:
    """Drive the example: play, 20 s, pause/resume at 21, 21 s mid-roll, end, 11 s post-roll."""
    s = Session("12345", user_id="u1", sink=sink, heartbeat=10, milestones=(50,))
    s.load(CONTENT, at=T0)
    s.play(at=T0)  # 1
    s.playing(0.0, at=T0 + 0.5)  # 2
    s.pause(at=T0 + 21.5)  # 3, 4: 21 s of viewing, then pause
    s.play(at=T0 + 30.0)
    s.ad_break_start("adSegA", "mid-roll", 1, at=T0 + 30.0)  # 5
    s.ad_start("ad123", title="Ad", length=21.0, at=T0 + 30.0)
    s.ad_end(at=T0 + 51.0)  # 6
    s.ad_break_end(at=T0 + 51.0)  # 7: content continues from 21 to 360
    s.ended(at=T0 + 51.0 + 339.0)
    s.ad_break_start("adSegB", "post-roll", 1, at=T0 + 390.0)  # 8
    s.ad_start("ad097", length=11.0, at=T0 + 390.0)
    s.ad_end(at=T0 + 401.0)
    s.ad_break_end(at=T0 + 401.0)  # 9
    return s


def summary(message: dict[str, Any]) -> tuple[Any, ...]:
    p = message["properties"]
    return (
        message["event"],
        p.get("position"),
        p.get("total_length"),
        p.get("pod_id"),
        p.get("quartile"),
    )


class TestExampleLifecycle:
    def test_steps_1_to_9(self) -> None:
        """Every event of the example, in order, with the example's positions."""
        sink = MemorySink()
        session = play_example(sink)
        got = [summary(m) for m in sink.messages]
        content_heartbeats = [
            ("Video Content Playing", p, 360, "segB", None) for p in range(31, 360, 10)
        ]
        content_heartbeats.insert(15, ("50% Content Completed", 180, 360, "segB", None))
        expected = [
            ("Video Playback Started", 0, 392, None, None),  # 1
            ("Video Content Started", 0, 360, "segA", None),  # 2
            ("Video Content Playing", 10, 360, "segA", None),  # 3
            ("Video Content Playing", 20, 360, "segA", None),
            ("Video Playback Paused", 21, 392, None, None),  # 4
            ("Video Playback Resumed", 21, 392, None, None),
            ("Video Content Playing", 21, 360, "segA", None),  # the "Resuming playback" heartbeat
            ("Video Ad Started", 0, 21, "adSegA", None),  # 5
            ("Video Ad Playing", 5, 21, "adSegA", 1),
            ("Video Ad Playing", 10, 21, "adSegA", None),  # 6
            ("Video Ad Playing", 10, 21, "adSegA", 2),
            ("Video Ad Playing", 15, 21, "adSegA", 3),
            ("Video Ad Playing", 20, 21, "adSegA", None),
            ("Video Ad Completed", 21, 21, "adSegA", None),
            *content_heartbeats,  # 7: 31, 41, ... 351
            ("Video Content Completed", 360, 360, "segB", None),
            ("Video Ad Started", 0, 11, "adSegB", None),  # 8
            ("Video Ad Playing", 2, 11, "adSegB", 1),
            ("Video Ad Playing", 5, 11, "adSegB", 2),
            ("Video Ad Playing", 8, 11, "adSegB", 3),
            ("Video Ad Playing", 10, 11, "adSegB", None),
            ("Video Ad Completed", 11, 11, "adSegB", None),
            ("Video Playback Completed", 392, 392, None, None),  # 9
        ]
        assert expected == got
        assert [] == session.anomalies
        assert "completed" == session.state

    def test_playback_started_lists_assets_pods_and_ads(self) -> None:
        """Step 1 carries content_asset_ids / content_pod_ids and the ad ids as arrays."""
        sink = MemorySink()
        play_example(sink)
        started = sink.messages[0]["properties"]
        assert ["0129370"] == started["content_asset_ids"]
        assert ["segA", "segB"] == started["content_pod_ids"]
        assert ["ad123", "ad097"] == started["ad_asset_id"]
        assert ["adSegA", "adSegB"] == started["ad_pod_id"]
        assert "12345" == started["session_id"]

    def test_ads_carry_type_and_pod_and_playback_events_count_ads(self) -> None:
        """Ad events carry their type and pod; playback position 392 = 360 + 21 + 11."""
        sink = MemorySink()
        play_example(sink)
        ad_started = [m["properties"] for m in sink.messages if m["event"] == "Video Ad Started"]
        assert ["mid-roll", "post-roll"] == [p["type"] for p in ad_started]
        assert [1, 1] == [p["pod_position"] for p in ad_started]
        assert "Test Video" == ad_started[0]["content"]["title"]
        completed = sink.messages[-1]["properties"]
        assert (392, 392) == (completed["position"], completed["total_length"])

    def test_every_message_satisfies_the_schema(self) -> None:
        """The whole example validates against seed 004."""
        sink = MemorySink()
        play_example(sink)
        for message in sink.messages:
            validate(message)

    def test_timestamps_follow_the_callbacks(self) -> None:
        """Heartbeats are stamped at their exact due time, in order."""
        sink = MemorySink()
        play_example(sink)
        stamps = [m["timestamp"] for m in sink.messages]
        assert stamps == sorted(stamps)
        assert "2023-11-14T22:13:30.500Z" == sink.messages[2]["timestamp"]  # 10 s after frame 1
