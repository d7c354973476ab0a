"""QoE summaries of hand-computed sessions, one family of fields at a time (docs/stats.md)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import T0

from vtrack import Content, MemorySink, ScheduledAd, Session
from vtrack.cli.demo import demo_callbacks
from vtrack.stats import FIELDS, SessionStats, StatsCollector, summarize
from vtrack.stats.coverage import PlayedIntervals

MOVIE = Content(asset_id="movie", duration=100.0, title="Movie")


def played(
    script: list[tuple[str, float, dict[str, Any]]],
    content: Content = MOVIE,
    profile: str = "segment",
    heartbeat: int = 10,
) -> SessionStats:
    """The one summary of a session that loads ``content`` at T0 and then runs ``script``."""
    sink = MemorySink()
    session = Session("s1", anonymous_id="viewer-1", sink=sink, heartbeat=heartbeat)
    if profile != "segment":
        session = Session(
            "s1", anonymous_id="viewer-1", sink=sink, heartbeat=heartbeat, profile=profile
        )
    session.load(content, at=T0)
    for name, offset, args in script:
        getattr(session, name)(**args, at=T0 + offset)
    summaries = list(summarize(sink.messages))
    assert 1 == len(summaries)
    return summaries[0]


def pick(stats: SessionStats, *names: str) -> dict[str, Any]:
    return {name: getattr(stats, name) for name in names}


#: The issue's example: play at 0, first frame at 0, stall from 15 s to 20 s, pause at 40 s
#: (playhead 35), leave at 41 s.
STALL = [
    ("play", 0, {}),
    ("playing", 0, {"position": 0.0}),
    ("waiting", 15, {}),
    ("playing", 20, {}),
    ("timeupdate", 40, {"position": 35.0}),
    ("pause", 40, {}),
    ("exit", 41, {}),
]


class TestStalls:
    def test_the_issues_example(self) -> None:
        """The issue's example: play 35, buffer 5 in 1 stall, ratio 0.125, startup 0, pause 1."""
        expected = {
            "play_time": 35.0,
            "buffer_time": 5.0,
            "buffer_count": 1,
            "rebuffer_ratio": 0.125,
            "startup_time": 0.0,
            "pause_time": 1.0,
            "max_position": 35.0,
            "unique_seconds": 35.0,
            "completion": 0.35,
            "end": "exited",
        }
        assert expected == pick(played(STALL), *expected)

    def test_the_same_session_under_vimeo_ott(self) -> None:
        """Vimeo OTT's messages give the same times; what it never sends is None (it has no
        Exited event: its messages end at the pause)."""
        stats = played(STALL, profile="vimeo-ott")
        expected = {
            "play_time": 35.0,
            "buffer_time": 5.0,
            "buffer_count": 1,
            "rebuffer_ratio": 0.125,
            "pause_time": 0.0,
            "max_position": 35.0,
            "unique_seconds": 35.0,
            "startup_time": None,
            "end": None,
            "errors": None,
        }
        assert expected == pick(stats, *expected)

    def test_two_stalls_are_counted_apart(self) -> None:
        """Two stalls of 2 s and 3 s: buffer_count 2, buffer_time 5."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("waiting", 10, {}),
                ("playing", 12, {}),
                ("waiting", 20, {}),
                ("playing", 23, {}),
                ("exit", 30, {}),
            ]
        )
        assert {"buffer_count": 2, "buffer_time": 5.0, "play_time": 25.0} == pick(
            stats, "buffer_count", "buffer_time", "play_time"
        )

    def test_a_wait_before_the_first_frame_is_startup_not_a_stall(self) -> None:
        """A wait before the first frame counts in startup_time, not as rebuffering."""
        stats = played(
            [("play", 0, {}), ("waiting", 0.5, {}), ("playing", 2.5, {}), ("exit", 10, {})]
        )
        expected = {"startup_time": 2.5, "buffer_count": 0, "buffer_time": 0.0, "play_time": 7.5}
        assert expected == pick(stats, *expected)


class TestPauses:
    def test_pauses_add_up(self) -> None:
        """Two pauses of 4 s and 6 s: pause_time 10; play time goes on after each."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("pause", 10, {}),
                ("play", 14, {}),
                ("pause", 20, {}),
                ("play", 26, {}),
                ("exit", 30, {}),
            ]
        )
        expected = {"pause_time": 10.0, "play_time": 20.0, "max_position": 20.0}
        assert expected == pick(stats, *expected)

    def test_a_pause_before_the_first_frame_is_not_startup(self) -> None:
        """Paused for 5 s before the first frame: pause_time 5, startup_time the rest."""
        stats = played(
            [
                ("play", 0, {}),
                ("pause", 1, {}),
                ("play", 6, {}),
                ("playing", 7, {"position": 0.0}),
                ("exit", 17, {}),
            ]
        )
        expected = {"pause_time": 5.0, "startup_time": 2.0, "startup_time_with_ads": 7.0}
        assert expected == pick(stats, *expected)


PREROLL_POD = Content(
    asset_id="movie",
    duration=100.0,
    ad_schedule=(
        ScheduledAd("pre-1", "pre-pod", "pre-roll", 10.0),
        ScheduledAd("pre-2", "pre-pod", "pre-roll", 5.0),
    ),
)


class TestPrerollPods:
    def test_startup_leaves_the_preroll_out(self) -> None:
        """Play at 0, a pod of 10 s + 5 s ads from 1 s, first frame at 17: startup 2, with
        ads 17, ad_time 15."""
        stats = played(
            [
                ("play", 0, {}),
                ("ad_break_start", 1, {"pod_id": "pre-pod", "type": "pre-roll", "ad_count": 2}),
                ("ad_start", 1, {"asset_id": "pre-1", "length": 10.0}),
                ("ad_end", 11, {}),
                ("ad_start", 11, {"asset_id": "pre-2", "length": 5.0}),
                ("ad_skip", 13, {}),
                ("ad_break_end", 13, {}),
                ("playing", 14, {"position": 0.0}),
                ("pause", 24, {}),
                ("exit", 25, {}),
            ],
            content=PREROLL_POD,
        )
        expected = {
            "startup_time": 2.0,
            "startup_time_with_ads": 14.0,
            "ad_time": 12.0,
            "ads_started": 2,
            "ads_completed": 1,
            "ads_skipped": 1,
            "ads_failed": None,
            "play_time": 10.0,
            "max_position": 10.0,
            "unique_seconds": 10.0,
        }
        assert expected == pick(stats, *expected)

    def test_a_midroll_leaves_positions_alone(self) -> None:
        """A 20 s mid-roll at 30 s: content positions after it do not count the ad."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("ad_break_start", 30, {"pod_id": "mid", "type": "mid-roll", "ad_count": 1}),
                ("ad_start", 30, {"asset_id": "mid-1", "length": 20.0}),
                ("ad_end", 50, {}),
                ("ad_break_end", 50, {}),
                ("timeupdate", 60, {"position": 40.0}),
                ("pause", 60, {}),
                ("exit", 61, {}),
            ]
        )
        expected = {"ad_time": 20.0, "play_time": 40.0, "max_position": 40.0}
        expected |= {"unique_seconds": 40.0, "ads_completed": 1}
        assert expected == pick(stats, *expected)


class TestRate:
    def test_at_2x(self) -> None:
        """At 2x, 24 s of playing: play_time 24, max_position 48, unique_seconds 48."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("ratechange", 0, {"rate": 2.0}),
                ("timeupdate", 24, {"position": 48.0}),
                ("pause", 24, {}),
                ("exit", 25, {}),
            ]
        )
        expected = {"play_time": 24.0, "max_position": 48.0, "unique_seconds": 48.0}
        assert expected == pick(stats, *expected)


class TestSeeksBack:
    def test_seconds_played_twice_count_once(self) -> None:
        """Play 0-40, seek back to 10, play to 50: unique_seconds 50, seek_count 1."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("seeking", 40, {"position": 10.0}),
                ("seeked", 41, {"position": 10.0}),
                ("timeupdate", 81, {"position": 50.0}),
                ("exit", 81, {}),
            ]
        )
        expected = {
            "seek_count": 1,
            "unique_seconds": 50.0,
            "max_position": 50.0,
            "play_time": 80.0,
            "completion": 0.5,
        }
        assert expected == pick(stats, *expected)
        assert 1.0 == stats.seconds_by_state["seek"]

    def test_a_seek_forward_skips_what_it_passes(self) -> None:
        """Play 0-10, seek to 60, play to 70: 20 unique seconds, furthest 70."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("seeking", 10, {"position": 60.0}),
                ("seeked", 10, {"position": 60.0}),
                ("timeupdate", 20, {"position": 70.0}),
                ("exit", 20, {}),
            ]
        )
        assert {"unique_seconds": 20.0, "max_position": 70.0} == pick(
            stats, "unique_seconds", "max_position"
        )


class TestPlaylists:
    def test_items_add_up(self) -> None:
        """Item a (30 s) played to its end, item b (40 s) to 20: unique 50, completion 50/70;
        the wait between them is idle, and b's pause is read in b's positions."""
        first = Content(asset_id="a", duration=30.0, playlist=("a", "b"))
        second = Content(asset_id="b", duration=40.0)
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("timeupdate", 30, {"position": 30.0}),
                ("ended", 30, {}),
                ("load", 31, {"content": second}),
                ("playing", 32, {"position": 0.0}),
                ("timeupdate", 52, {"position": 20.0}),
                ("pause", 52, {}),
                ("exit", 53, {}),
            ],
            content=first,
        )
        expected = {
            "asset_ids": ["a", "b"],
            "play_time": 50.0,
            "pause_time": 1.0,
            "unique_seconds": 50.0,
            "completion": round(50 / 70, 6),
            "max_position": 30.0,
        }
        assert expected == pick(stats, *expected)
        assert 2.0 == stats.seconds_by_state["idle"]


class TestLive:
    def test_live_has_no_completion(self) -> None:
        """A livestream: completion None (it has no length), the times as usual."""
        live = Content(asset_id="channel", live=True)
        stats = played(
            [("play", 0, {}), ("playing", 0, {"position": 0.0}), ("exit", 30, {})], content=live
        )
        expected = {"completion": None, "play_time": 30.0, "milestones": []}
        assert expected == pick(stats, *expected)


class TestExitsBeforeStart:
    def test_leaving_before_the_first_frame_is_ebvs(self) -> None:
        """Play pressed, no frame, the viewer leaves 3 s later: EBVS, not a failure."""
        stats = played([("play", 0, {}), ("exit", 3, {})])
        expected = {
            "exited_before_start": True,
            "start_failed": False,
            "startup_time": None,
            "play_time": 0.0,
            "unique_seconds": 0.0,
            "max_position": None,
            "completion": None,  # no content event said how long the content is
            "end": "exited",
        }
        assert expected == pick(stats, *expected)

    def test_leaving_during_the_preroll_is_ebvs(self) -> None:
        """The viewer leaves in the middle of a pre-roll: EBVS, the ad's time counted."""
        stats = played(
            [
                ("play", 0, {}),
                ("ad_break_start", 0, {"pod_id": "p", "type": "pre-roll", "ad_count": 1}),
                ("ad_start", 0, {"asset_id": "ad", "length": 15.0}),
                ("exit", 6, {}),
            ]
        )
        expected = {"exited_before_start": True, "ad_time": 6.0, "ads_completed": 0}
        assert expected == pick(stats, *expected)

    def test_an_open_session_without_a_frame_is_unknown(self) -> None:
        """Still waiting for a frame when the messages end: EBVS is not known (None)."""
        stats = played([("play", 0, {})])
        assert {"exited_before_start": None, "end": "open"} == pick(
            stats, "exited_before_start", "end"
        )


class TestFatalErrors:
    def test_a_fatal_error_before_the_first_frame_is_a_start_failure(self) -> None:
        """A fatal error 2 s after play, before any frame: start_failed, not EBVS."""
        stats = played(
            [("play", 0, {}), ("error", 2, {"message": "decode", "fatal": True}), ("exit", 3, {})]
        )
        expected = {
            "start_failed": True,
            "exited_before_start": False,
            "errors": 1,
            "end": "interrupted",
            "startup_time": None,
        }
        assert expected == pick(stats, *expected)

    def test_a_fatal_error_after_the_start_is_an_error_only(self) -> None:
        """A fatal error while playing: one error, the start did not fail."""
        stats = played(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("error", 9, {"message": "network", "fatal": True}),
            ]
        )
        expected = {"start_failed": False, "errors": 1, "end": "interrupted", "play_time": 9.0}
        assert expected == pick(stats, *expected)


class TestQuality:
    def test_bitrate_is_weighted_by_playing_time(self) -> None:
        """1000 for 10 s then 4000 for 30 s (a pause between): mean 3250, peak 4000."""
        stats = played(
            [
                ("play", 0, {}),
                ("quality", 0, {"bitrate": 1000}),
                ("playing", 0, {"position": 0.0}),
                ("pause", 10, {}),
                ("quality", 12, {"bitrate": 4000}),
                ("play", 20, {}),
                ("exit", 50, {}),
            ]
        )
        expected = {"bitrate_mean": 3250.0, "bitrate_peak": 4000.0, "quality_changes": 1}
        assert expected == pick(stats, *expected)


class TestDemoSession:
    def test_the_demo_session(self) -> None:
        """The built-in demo: two ads, one pause, one stall, one seek, completed."""
        sink = MemorySink()
        session = Session("demo", anonymous_id="viewer-1", sink=sink)
        for callback in demo_callbacks():
            session.handle(callback)
        (stats,) = summarize(sink.messages)
        expected = {
            "end": "completed",
            "ads_started": 2,
            "ads_completed": 2,
            "buffer_count": 1,
            "seek_count": 1,
            "milestones": [25.0, 50.0, 75.0, 90.0],
            "quality_changes": 1,
            "max_position": 180.0,
        }
        assert expected == pick(stats, *expected)


class TestCollector:
    def test_summaries_have_exactly_the_issues_fields(self) -> None:
        """A row holds the 31 fields the issue names, in its order."""
        row = played(STALL).as_row()
        assert list(FIELDS) == list(row)
        assert 31 == len(row)

    def test_a_session_is_handed_out_when_it_exits(self) -> None:
        """add() returns a session's summary with the message that ends it."""
        sink = MemorySink()
        session = Session("s1", anonymous_id="v", sink=sink)
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        session.exit(at=T0 + 1)
        collector = StatsCollector()
        handed = [len(collector.add(message)) for message in sink.messages]
        assert [0, 1] == handed and 0 == collector.open_sessions

    @pytest.mark.parametrize(
        ("message", "reason"),
        [
            ([1, 2], "not a JSON object but an array"),
            ({"type": "track"}, "missing field: event (the event's name, a string)"),
            (
                {"event": "Video Playback Paused", "properties": {}, "timestamp": "x"},
                "'Video Playback Paused': missing field: properties.session_id",
            ),
            (
                {"event": "Video Playback Paused", "properties": {"session_id": "s"}},
                "'Video Playback Paused': missing field: timestamp (ISO-8601)",
            ),
        ],
    )
    def test_bad_messages_say_why(self, message: Any, reason: str) -> None:
        """A message that cannot be read raises BadMessage saying what is wrong."""
        from vtrack.stats import BadMessage

        with pytest.raises(BadMessage) as raised:
            StatsCollector().add(message)
        assert reason == str(raised.value)

    def test_other_calls_are_ignored(self) -> None:
        """identify calls and non-video track events are counted as ignored, not errors."""
        collector = StatsCollector()
        collector.add({"type": "identify", "userId": "u"})
        collector.add({"type": "track", "event": "Order Completed", "properties": {}})
        assert 2 == collector.ignored

    def test_a_started_for_an_open_session_starts_the_next_one(self) -> None:
        """A second Video Playback Started under the same id and viewer hands out the first
        session (still open) and starts another."""
        sink = MemorySink()
        session = Session("s1", anonymous_id="v", sink=sink)
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        session.playing(0.0, at=T0)
        first = list(sink.messages)
        day_after = [m["timestamp"].replace("2023-11-14", "2023-11-15") for m in first]
        later = [{**m, "timestamp": stamp} for m, stamp in zip(first, day_after, strict=True)]
        summaries = list(summarize(first + later))
        assert [("open", "2023-11-14"), ("open", "2023-11-15")] == [
            (stats.end, stats.started_at[:10]) for stats in summaries
        ]


class TestMemory:
    def test_played_stretches_merge_as_they_come(self) -> None:
        """1,000 consecutive positions and a replay of part of them keep one stretch."""
        played = PlayedIntervals()
        for second in range(1000):
            played.add(float(second), second + 1.0)
        played.add(100.0, 200.0)
        assert (1, 1000.0) == (len(played), played.total())

    def test_a_seek_makes_a_second_stretch(self) -> None:
        """Stretches apart stay apart; one that bridges them joins them."""
        played = PlayedIntervals()
        played.add(0.0, 10.0)
        played.add(50.0, 60.0)
        separate = len(played)
        played.add(5.0, 55.0)
        assert (2, 1, 60.0) == (separate, len(played), played.total())
