"""Raw logs of real players (html5, mpv, vlc) replayed: the same viewing, whatever the player.

The logs under tests/data were recorded from the real players by the scripts in examples/
(``record_html5.mjs``, ``record_mpv.py``, ``record_vlc.py``): a 30 s video played, paused 2 s
at 5 s, resumed, sought to 20 s at 10 s, played to the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vtrack.players import Html5Translator, MpvTranslator, VlcTranslator
from vtrack.replay import BadRecord, replay
from vtrack.replay.dialects import DialectReader
from vtrack.testing.schema import validate

DATA = Path(__file__).parent / "data"

#: What the scripted viewing makes, heartbeats left out (they follow playing time).
VIEWING = [
    "Video Playback Started",
    "Video Content Started",
    "Video Playback Paused",
    "Video Playback Resumed",
    "25% Content Completed",
    "Video Playback Seek Started",
    "Video Playback Seek Completed",
    "50% Content Completed",
    "75% Content Completed",
    "90% Content Completed",
    "Video Content Completed",
    "Video Playback Completed",
    "Video Playback Exited",
]

LOGS = [
    ("html5", "html5-webm.log"),
    ("html5", "html5-mp4-rate4.log"),
    ("html5", "html5-hls.log"),
    ("mpv", "mpv-keep-open.log"),
    ("mpv", "mpv-keep-open-no.log"),
    ("mpv", "mpv-speed4.log"),
    ("vlc", "vlc.log"),
    ("vlc", "vlc-rate4.log"),
]


def replayed(dialect: str, name: str) -> list[dict[str, Any]]:
    run = replay([DATA / name], dialect=dialect, strict=True)
    messages = list(run)
    assert run.bad_line_count == 0 and run.stats.anomaly_count == 0
    return messages


@pytest.mark.parametrize(("dialect", "name"), LOGS)
def test_every_player_gives_the_same_viewing(dialect: str, name: str) -> None:
    messages = replayed(dialect, name)
    assert [m["event"] for m in messages if m["event"] != "Video Content Playing"] == VIEWING
    by_event = {m["event"]: m["properties"] for m in messages}
    assert by_event["Video Playback Seek Started"]["position"] == 10
    assert by_event["Video Playback Seek Started"]["seek_position"] == 20
    assert by_event["Video Playback Seek Completed"]["position"] == 20
    assert by_event["Video Playback Started"]["total_length"] == 30
    assert by_event["Video Playback Paused"]["position"] == 5
    for message in messages:
        validate(message)


@pytest.mark.parametrize(("dialect", "name"), [log for log in LOGS if "4" not in log[1]])
def test_resuming_sends_its_heartbeat(dialect: str, name: str) -> None:
    events = [m["event"] for m in replayed(dialect, name)]
    resumed = events.index("Video Playback Resumed")
    assert events[resumed + 1] == "Video Content Playing"


def test_a_looping_video_goes_back_as_a_seek_and_fires_no_milestone_twice() -> None:
    messages = replayed("html5", "html5-loop.log")
    events = [m["event"] for m in messages]
    assert events.count("Video Playback Seek Started") == 2
    back = [m for m in messages if m["event"] == "Video Playback Seek Completed"][-1]
    assert back["properties"]["position"] == 0
    assert "Video Content Completed" not in events  # a loop has no `ended`
    assert events.count("25% Content Completed") == 1
    assert events[-1] == "Video Playback Exited"  # the page went away


class TestHtml5Traps:
    def feed(self, translator: Html5Translator, kind: str, **state: Any) -> list[str]:
        event = {"type": kind, "currentTime": 5.0, "duration": 30.0, "paused": False,
                 "ended": False, "playbackRate": 1, **state}  # fmt: skip
        return [name for _, name, _ in translator.feed(100.0, event)]

    def test_the_pause_at_the_end_is_not_a_user_pause(self) -> None:
        translator = Html5Translator()
        self.feed(translator, "playing")
        assert self.feed(translator, "pause", currentTime=30.0, paused=True, ended=True) == []
        assert self.feed(translator, "ended", currentTime=30.0, ended=True) == ["ended"]

    def test_a_user_pause_is(self) -> None:
        translator = Html5Translator()
        self.feed(translator, "playing")
        assert self.feed(translator, "pause", paused=True) == ["pause"]

    def test_the_wait_of_a_seek_is_not_a_stall(self) -> None:
        translator = Html5Translator()
        self.feed(translator, "playing")
        assert self.feed(translator, "seeking", currentTime=20.0) == ["seeking"]
        assert self.feed(translator, "waiting", currentTime=20.0) == []
        assert self.feed(translator, "seeked", currentTime=20.0) == ["seeked"]
        assert self.feed(translator, "playing", currentTime=20.0) == ["playing"]
        assert self.feed(translator, "waiting", currentTime=21.0) == ["waiting"]

    def test_a_jump_back_without_seek_events_is_a_seek(self) -> None:
        translator = Html5Translator()
        self.feed(translator, "playing")
        self.feed(translator, "timeupdate", currentTime=29.9)
        assert self.feed(translator, "timeupdate", currentTime=0.1) == ["seeking", "seeked"]

    def test_the_first_event_loads_with_the_duration(self) -> None:
        emitted = Html5Translator().feed(1.0, {"type": "durationchange", "currentTime": 0,
                                               "duration": 30.0})  # fmt: skip
        assert emitted == [(1.0, "load", {"duration": 30.0})]

    def test_an_unknown_event_type(self) -> None:
        with pytest.raises(ValueError, match="unknown media event type 'jump'"):
            Html5Translator().feed(1.0, {"type": "jump", "currentTime": 0})


class TestMpvTraps:
    def playing(self) -> MpvTranslator:
        translator = MpvTranslator()
        for event in ({"event": "start-file"}, {"event": "file-loaded"},
                      {"property": "duration", "value": 30.0},
                      {"event": "playback-restart"}):  # fmt: skip
            translator.feed(1.0, event)
        return translator

    def test_the_keep_open_pause_at_the_end_is_not_a_user_pause(self) -> None:
        translator = self.playing()
        assert translator.feed(2.0, {"property": "eof-reached", "value": True}) == [
            (2.0, "ended", {})
        ]
        assert translator.feed(2.1, {"property": "pause", "value": True}) == []

    def test_without_keep_open_end_file_eof_is_the_end(self) -> None:
        translator = self.playing()
        assert translator.feed(2.0, {"event": "end-file", "reason": "eof"}) == [(2.0, "ended", {})]

    def test_paused_for_cache_is_buffering(self) -> None:
        translator = self.playing()
        translator.feed(2.0, {"property": "time-pos", "value": 3.0})
        assert translator.feed(2.1, {"property": "paused-for-cache", "value": True}) == [
            (2.1, "waiting", {})
        ]
        assert translator.feed(4.0, {"property": "paused-for-cache", "value": False}) == [
            (4.0, "playing", {"position": 3.0})
        ]

    def test_loading_a_file_is_not_a_seek(self) -> None:
        translator = MpvTranslator()
        names = []
        for event in ({"event": "start-file"}, {"event": "file-loaded"},
                      {"property": "seeking", "value": True},
                      {"property": "duration", "value": 30.0},
                      {"event": "playback-restart"},
                      {"property": "seeking", "value": False}):  # fmt: skip
            names += [name for _, name, _ in translator.feed(1.0, event)]
        assert names == ["load", "play", "playing"]

    def test_a_seek_to_where_it_is(self) -> None:
        translator = self.playing()
        translator.feed(2.0, {"event": "seek"})
        emitted = translator.feed(2.1, {"event": "playback-restart"})
        assert [name for _, name, _ in emitted] == ["seeking", "seeked"]

    def test_an_unknown_property(self) -> None:
        with pytest.raises(ValueError, match="unknown mpv property 'volume'"):
            MpvTranslator().feed(1.0, {"property": "volume", "value": 50})


class TestVlcTraps:
    @staticmethod
    def start(translator: VlcTranslator) -> VlcTranslator:
        translator.feed(1.0, {"event": "MediaPlayerLengthChanged", "length": 30000})
        translator.feed(1.0, {"event": "MediaPlayerPlaying"})
        translator.feed(1.0, {"event": "MediaPlayerBuffering", "cache": 0.0})
        translator.feed(1.0, {"event": "MediaPlayerBuffering", "cache": 100.0})
        return translator

    def playing(self) -> VlcTranslator:
        return self.start(VlcTranslator())

    def test_the_burst_after_a_seek_is_not_a_stall(self) -> None:
        translator = self.playing()
        translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 1000})
        jump = translator.feed(2.01, {"event": "MediaPlayerTimeChanged", "time": 20000})
        assert [name for _, name, _ in jump] == ["seeking", "seeked"]
        for cache in (0.0, 50.0):
            assert translator.feed(2.02, {"event": "MediaPlayerBuffering", "cache": cache}) == []
        assert translator.feed(2.5, {"event": "MediaPlayerBuffering", "cache": 100.0}) == []

    def test_a_lasting_burst_is_a_stall_from_its_start(self) -> None:
        translator = self.playing()
        translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 1000})
        assert translator.feed(2.1, {"event": "MediaPlayerBuffering", "cache": 0.0}) == []
        assert translator.feed(3.5, {"event": "MediaPlayerBuffering", "cache": 100.0}) == [
            (2.1, "waiting", {}),
            (3.5, "playing", {"position": 1.0}),
        ]

    def test_a_short_burst_is_not_a_stall(self) -> None:
        translator = self.playing()
        translator.feed(2.0, {"event": "MediaPlayerBuffering", "cache": 10.0})
        assert translator.feed(2.05, {"event": "MediaPlayerBuffering", "cache": 100.0}) == []

    def test_the_rate_keeps_fast_playback_from_looking_like_seeks(self) -> None:
        translator = VlcTranslator()
        translator.feed(1.0, {"event": "RateChanged", "rate": 4.0})
        translator.feed(1.0, {"event": "MediaPlayerPlaying"})
        emitted = translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 4000})
        assert [name for _, name, _ in emitted] == ["timeupdate"]

    def test_stopped_after_the_end_exits_once(self) -> None:
        translator = self.playing()
        assert translator.feed(5.0, {"event": "MediaPlayerEndReached"}) == [(5.0, "ended", {})]
        assert translator.feed(5.0, {"event": "MediaPlayerStopped"}) == [(5.0, "exit", {})]
        assert translator.feed(5.3, {"event": "MediaPlayerStopped"}) == []


class TestDialectReader:
    def test_a_line_of_only_viewer_and_content_sticks_to_the_next_callback(self) -> None:
        reader = DialectReader("vlc")
        assert reader.records({"t": 1.0, "session": "v", "anonymous_id": "a",
                               "content": {"title": "T"}}) == []  # fmt: skip
        assert reader.records({"t": 1.1, "session": "v", "event": "MediaPlayerOpening"}) == []
        first = reader.records({"t": 1.2, "session": "v", "event": "MediaPlayerPlaying"})
        assert [r.event for r in first] == ["load", "play", "playing"]
        assert first[0].identity == ("anonymous_id", "a") and first[0].content == {"title": "T"}
        assert first[1].identity is None

    def test_a_bad_event_names_the_dialect(self) -> None:
        with pytest.raises(BadRecord, match=r"^mpv: unknown mpv event 'boom'"):
            DialectReader("mpv").records({"t": 1.0, "event": "boom"})

    def test_an_unknown_dialect(self) -> None:
        with pytest.raises(ValueError, match="unknown log dialect 'flash'"):
            DialectReader("flash")

    def test_bad_lines_of_a_dialect_log_are_reported_with_their_line(self, tmp_path: Path) -> None:
        lines = (DATA / "vlc.log").read_text().splitlines()
        lines.insert(5, '{"t": 1, "event": "MediaPlayerTimeChanged", "time": "soon"}')
        path = tmp_path / "vlc.log"
        path.write_text("\n".join(lines) + "\n")
        run = replay([path], dialect="vlc")
        events = [m["event"] for m in run if m["event"] != "Video Content Playing"]
        assert events == VIEWING
        assert run.bad_lines == [
            ((str(path), 6), "vlc: \"time\" must be a finite number; got 'soon'")
        ]


class TestPlayingOnAfterTheEnd:
    """After the end the session is complete; playing again starts the next one."""

    def names(self, translator: Any, events: list[dict[str, Any]]) -> list[str]:
        return [name for event in events for _, name, _ in translator.feed(1.0, event)]

    def test_html5_played_again_after_ended(self) -> None:
        translator = Html5Translator()
        base = {"currentTime": 30.0, "duration": 30.0}
        names = self.names(
            translator,
            [
                {"type": "playing", **base, "currentTime": 0.0},
                {"type": "pause", **base, "ended": True},
                {"type": "ended", **base, "ended": True},
                {"type": "seeking", **base, "currentTime": 3.0},
                {"type": "seeked", **base, "currentTime": 3.0},
                {"type": "play", **base, "currentTime": 3.0},
                {"type": "playing", **base, "currentTime": 3.0},
            ],
        )
        assert names == ["load", "playing", "ended", "exit", "load", "play", "playing"]

    def test_mpv_loaded_paused_starts_when_unpaused(self) -> None:
        translator = MpvTranslator()
        names = self.names(
            translator,
            [
                {"property": "pause", "value": True},
                {"event": "start-file"},
                {"event": "file-loaded"},
                {"property": "duration", "value": 30.0},
                {"event": "playback-restart"},
                {"property": "pause", "value": False},
                {"property": "time-pos", "value": 0.5},
            ],
        )
        assert names == ["load", "play", "playing", "timeupdate"]

    def test_mpv_next_file_of_a_playlist_is_the_next_session(self) -> None:
        translator = MpvTranslator()
        one_file = [
            {"event": "start-file"},
            {"event": "file-loaded"},
            {"property": "duration", "value": 30.0},
            {"event": "playback-restart"},
            {"event": "end-file", "reason": "eof"},
        ]
        names = self.names(translator, one_file + one_file + [{"event": "shutdown"}])
        session = ["load", "play", "playing", "ended"]
        assert names == [*session, "exit", *session, "exit"]

    def test_mpv_keep_open_seek_back_then_play(self) -> None:
        translator = MpvTranslator()
        names = self.names(
            translator,
            [
                {"event": "start-file"},
                {"event": "file-loaded"},
                {"property": "duration", "value": 30.0},
                {"event": "playback-restart"},
                {"property": "eof-reached", "value": True},
                {"property": "pause", "value": True},
                {"event": "seek"},
                {"property": "time-pos", "value": 10.0},
                {"event": "playback-restart"},
                {"property": "pause", "value": False},
            ],
        )
        assert names == ["load", "play", "playing", "ended", "exit", "load", "play", "playing"]

    def test_replayed_sessions_play_again_without_anomalies(self, tmp_path: Path) -> None:
        lines = (DATA / "mpv-keep-open.log").read_text().splitlines()
        t_end = json.loads(lines[-3])["t"]
        extra = [
            {"t": t_end + 1, "session": "mpv-1", "event": "seek"},
            {"t": t_end + 1, "session": "mpv-1", "property": "time-pos", "value": 10.0},
            {"t": t_end + 1.1, "session": "mpv-1", "event": "playback-restart"},
            {"t": t_end + 2, "session": "mpv-1", "property": "pause", "value": False},
            {"t": t_end + 4, "session": "mpv-1", "property": "time-pos", "value": 12.0},
        ]
        body = [line for line in lines if '"shutdown"' not in line and '"end-file"' not in line]
        text = "\n".join(body + [json.dumps(e) for e in extra]) + "\n"
        path = tmp_path / "again.log"
        path.write_text(text)
        run = replay([path], dialect="mpv", strict=True)
        messages = list(run)
        events = [m["event"] for m in messages]
        assert events.count("Video Playback Started") == 2
        assert run.stats.anomaly_count == 0
        # The translator lived on: the next session plays on from 10 s (position 12 at exit).
        assert messages[-1]["event"] == "Video Playback Exited"
        assert messages[-1]["properties"]["position"] == 12


def test_vlc_time_moving_during_a_burst_is_not_a_stall() -> None:
    translator = TestVlcTraps().playing()
    translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 1000})
    translator.feed(2.1, {"event": "MediaPlayerBuffering", "cache": 0.0})
    moved = translator.feed(2.5, {"event": "MediaPlayerTimeChanged", "time": 1500})
    assert [name for _, name, _ in moved] == ["timeupdate"]
    assert translator.feed(2.9, {"event": "MediaPlayerBuffering", "cache": 100.0}) == []


def test_html5_an_unknown_first_event_does_not_swallow_the_load() -> None:
    translator = Html5Translator()
    with pytest.raises(ValueError, match="unknown media event type"):
        translator.feed(1.0, {"type": "enterpictureinpicture", "currentTime": 0.0})
    emitted = translator.feed(1.1, {"type": "loadedmetadata", "currentTime": 0, "duration": 9})
    assert emitted == [(1.1, "load", {"duration": 9.0})]


def test_ended_sessions_leave_no_translator_behind(tmp_path: Path) -> None:
    lines = (DATA / "vlc.log").read_text().splitlines()
    many = []
    for index in range(20):
        for line in lines:
            record = json.loads(line)
            record["session"] = f"vlc-{index}"
            many.append(json.dumps(record))
    path = tmp_path / "many.log"
    path.write_text("\n".join(many) + "\n")
    run = replay([path], dialect="vlc", strict=True)
    assert sum(1 for m in run if m["event"] == "Video Playback Exited") == 20
    assert run.reader is not None
    assert run.reader._translators == {} and run.reader._last_at == {}


class TestVlcPlaybackClock:
    """A ``time`` report is a seek only if it strays from where playback got to.

    The clock runs at the rate from the last report, stands still while paused and through a
    lasting burst, goes on through a short one (a refill), and follows rate changes.
    """

    def feed(self, translator: VlcTranslator, at: float, name: str, **payload: Any) -> list[str]:
        return [n for _, n, _ in translator.feed(at, {"event": f"MediaPlayer{name}", **payload})]

    def playing(self, rate: float = 1.0) -> VlcTranslator:
        translator = VlcTranslator()
        translator.feed(1.0, {"event": "RateChanged", "rate": rate})
        return TestVlcTraps.start(translator)

    def test_time_after_a_stall_goes_on_from_where_it_stood(self) -> None:
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        assert self.feed(translator, 4.0, "Buffering", cache=100.0) == ["waiting", "playing"]
        assert self.feed(translator, 5.0, "TimeChanged", time=2000) == ["timeupdate"]

    def test_a_seek_after_a_stall_is_still_one(self) -> None:
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        self.feed(translator, 4.0, "Buffering", cache=100.0)
        # 3 s from where playback stood (2 s): the old clock, run through the stall, said 4 s.
        assert self.feed(translator, 5.0, "TimeChanged", time=5000) == ["seeking", "seeked"]

    def test_a_long_start_up_burst_is_no_seek(self) -> None:
        translator = VlcTranslator()
        self.feed(translator, 1.0, "Playing")
        self.feed(translator, 1.0, "Buffering", cache=0.0)
        assert self.feed(translator, 3.0, "Buffering", cache=100.0) == []
        assert self.feed(translator, 3.4, "TimeChanged", time=400) == ["timeupdate"]

    def test_time_after_a_slow_seek_goes_on_from_its_target(self) -> None:
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        assert self.feed(translator, 2.0, "TimeChanged", time=30000) == ["seeking", "seeked"]
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        assert self.feed(translator, 4.0, "Buffering", cache=100.0) == []  # the seek's
        assert self.feed(translator, 5.0, "TimeChanged", time=31000) == ["timeupdate"]

    def test_a_refill_does_not_stop_the_clock(self) -> None:
        translator = self.playing(8.0)
        self.feed(translator, 2.0, "TimeChanged", time=8000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        assert self.feed(translator, 2.2, "Buffering", cache=100.0) == []
        # Played on through it (12 s); had it stood still, 10.4 s.
        assert self.feed(translator, 2.5, "TimeChanged", time=12000) == ["timeupdate"]

    def test_time_moving_on_at_8x_during_a_burst_is_no_seek(self) -> None:
        translator = self.playing(8.0)
        self.feed(translator, 2.0, "TimeChanged", time=8000)
        self.feed(translator, 2.1, "Buffering", cache=0.0)
        assert self.feed(translator, 2.25, "TimeChanged", time=10000) == ["timeupdate"]
        assert self.feed(translator, 2.6, "Buffering", cache=100.0) == []  # no stall either

    def test_a_rate_change_brings_the_clock_up_to_date(self) -> None:
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        assert translator.feed(2.4, {"event": "RateChanged", "rate": 8.0}) == [
            (2.4, "ratechange", {"rate": 8.0})
        ]
        # 1 s + 0.4 s at 1x + 0.1 s at 8x
        assert self.feed(translator, 2.5, "TimeChanged", time=2200) == ["timeupdate"]

    def test_a_pause_stops_the_clock_where_playback_got_to(self) -> None:
        translator = self.playing(8.0)
        self.feed(translator, 2.0, "TimeChanged", time=8000)
        assert self.feed(translator, 2.25, "Paused") == ["pause"]  # at 10 s, not 8 s
        assert self.feed(translator, 3.0, "Playing") == ["play"]
        assert self.feed(translator, 3.25, "TimeChanged", time=12000) == ["timeupdate"]

    def test_a_jump_while_paused_is_a_seek(self) -> None:
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.0, "Paused")
        assert self.feed(translator, 9.0, "TimeChanged", time=1000) == ["timeupdate"]
        assert self.feed(translator, 9.5, "TimeChanged", time=20000) == ["seeking", "seeked"]


class TestMpvSeekToWhereItIs:
    """mpv says nothing of a seek's target when the position does not change (no ``time-pos``)."""

    def playing_at_9(self) -> MpvTranslator:
        translator = TestMpvTraps().playing()
        translator.feed(9.0, {"property": "time-pos", "value": 9.0})
        translator.feed(9.0, {"event": "seek"})
        return translator

    def test_it_starts_at_seek(self) -> None:
        translator = self.playing_at_9()
        assert translator.feed(9.001, {"property": "seeking", "value": True}) == [
            (9.0, "seeking", {"position": 9.0})
        ]
        assert translator.feed(11.0, {"event": "playback-restart"}) == [
            (11.0, "seeked", {"position": 9.0})
        ]

    def test_it_starts_at_seek_whatever_comes_next(self) -> None:
        translator = self.playing_at_9()
        assert translator.feed(11.0, {"event": "playback-restart"}) == [
            (9.0, "seeking", {"position": 9.0}),
            (11.0, "seeked", {"position": 9.0}),
        ]

    def test_a_target_starts_it_when_it_comes(self) -> None:
        translator = self.playing_at_9()
        assert translator.feed(9.001, {"property": "time-pos", "value": 20.0}) == [
            (9.001, "seeking", {"position": 20.0})
        ]
        assert translator.feed(9.002, {"property": "seeking", "value": True}) == []

    def test_an_unreadable_record_changes_nothing(self) -> None:
        translator = self.playing_at_9()
        with pytest.raises(ValueError, match='"value" must be true or false'):
            translator.feed(9.001, {"property": "seeking", "value": "yes"})
        assert translator.feed(9.002, {"property": "time-pos", "value": 20.0}) == [
            (9.002, "seeking", {"position": 20.0})
        ]

    def test_replayed_it_does_not_play_on_through_the_seek(self, tmp_path: Path) -> None:
        records = [
            {"anonymous_id": "viewer"},
            {"event": "start-file"},
            {"event": "file-loaded"},
            {"property": "time-pos", "value": 0.0},
            {"property": "duration", "value": 40.0},
            {"event": "playback-restart"},
            {"t": 9.0, "property": "time-pos", "value": 9.0},
            {"t": 9.0, "event": "seek"},
            {"t": 9.0, "property": "seeking", "value": True},
            {"t": 11.0, "event": "playback-restart"},
            {"t": 11.0, "property": "seeking", "value": False},
            {"t": 12.0, "property": "time-pos", "value": 10.0},
        ]
        path = tmp_path / "mpv.log"
        path.write_text(
            "".join(json.dumps({"t": 0.0, "session": "m", **r}) + "\n" for r in records)
        )
        messages = list(replay([path], dialect="mpv", strict=True))
        by_event = {m["event"]: m for m in messages}
        started = by_event["Video Playback Seek Started"]
        assert started["properties"]["position"] == 9  # it had played to 11 through the seek
        assert started["timestamp"].endswith("00:00:09.000Z")
        # 25% of 40 s is reached at the exit (12 s: 9 s, the seek, 1 s), no earlier.
        assert by_event["25% Content Completed"]["timestamp"].endswith("00:00:12.000Z")


class TestHtml5UnreadableEvents:
    """An event the translator cannot read changes nothing (see ``Translator.feed``)."""

    def test_an_unreadable_first_event_does_not_load(self) -> None:
        translator = Html5Translator()
        with pytest.raises(ValueError, match='"playbackRate" must be a finite number'):
            translator.feed(1.0, {"type": "ratechange", "currentTime": 0, "duration": 30,
                                  "playbackRate": "2"})  # fmt: skip
        emitted = translator.feed(1.1, {"type": "play", "currentTime": 0, "duration": 30})
        assert emitted == [(1.1, "load", {"duration": 30.0}), (1.1, "play", {})]

    def test_an_unreadable_event_does_not_change_the_duration(self) -> None:
        translator = Html5Translator()
        translator.feed(1.0, {"type": "playing", "currentTime": 0, "duration": 30})
        with pytest.raises(ValueError, match='"volume" must be a finite number'):
            translator.feed(1.1, {"type": "volumechange", "currentTime": 0.1, "duration": 60,
                                  "volume": "loud"})  # fmt: skip
        emitted = translator.feed(1.2, {"type": "timeupdate", "currentTime": 0.2, "duration": 60})
        assert emitted == [
            (1.2, "durationchange", {"duration": 60.0}),
            (1.2, "timeupdate", {"position": 0.2}),
        ]


class TestVlcStallsMeetOtherEvents:
    """A lasting burst is a stall (the playhead stands still) whatever else happens during it."""

    feed = TestVlcPlaybackClock.feed

    def stalling(self) -> VlcTranslator:
        """Played to 5 s (reported every 0.25 s, at 6 s), then buffering from 6.1 s."""
        translator = TestVlcPlaybackClock().playing()
        for k in range(1, 21):
            self.feed(translator, 1.0 + 0.25 * k, "TimeChanged", time=250 * k)
        self.feed(translator, 6.1, "Buffering", cache=0.0)
        return translator

    def test_a_pause_in_a_stall_ends_it_and_invents_no_seek(self) -> None:
        translator = self.stalling()
        assert translator.feed(8.6, {"event": "MediaPlayerPaused"}) == [
            (6.1, "waiting", {}),
            (8.6, "pause", {}),
        ]
        assert self.feed(translator, 10.6, "Playing") == ["play"]
        assert self.feed(translator, 10.7, "Buffering", cache=100.0) == []
        # Playback stood at 5 s through the stall: not a jump back from 7.5 s.
        assert self.feed(translator, 10.95, "TimeChanged", time=5250) == ["timeupdate"]

    def test_buffering_still_after_the_resume_is_a_stall_from_the_resume(self) -> None:
        translator = self.stalling()
        translator.feed(6.5, {"event": "RateChanged", "rate": 4.0})
        assert self.feed(translator, 8.6, "Paused") == ["pause"]
        assert self.feed(translator, 10.6, "Playing") == ["play"]
        assert translator.feed(11.6, {"event": "MediaPlayerBuffering", "cache": 100.0}) == [
            (10.6, "waiting", {}),
            (11.6, "playing", {"position": 5.0}),
        ]
        # It stood at 5 s until 11.6 s (running from the resume, the clock would say 9 s).
        assert self.feed(translator, 11.85, "TimeChanged", time=6000) == ["timeupdate"]

    def test_a_rate_change_in_a_stall_comes_after_it_and_invents_no_seek(self) -> None:
        translator = self.stalling()
        assert translator.feed(8.6, {"event": "RateChanged", "rate": 2.0}) == [
            (6.1, "waiting", {}),
            (8.6, "ratechange", {"rate": 2.0}),
        ]
        assert translator.feed(9.1, {"event": "MediaPlayerBuffering", "cache": 100.0}) == [
            (9.1, "playing", {"position": 5.0})
        ]
        assert self.feed(translator, 9.35, "TimeChanged", time=5500) == ["timeupdate"]

    def test_a_stall_is_never_dated_before_the_last_callback(self) -> None:
        translator = self.stalling()
        # Still a refill when the rate changes; the stall it became starts no earlier.
        translator.feed(6.2, {"event": "RateChanged", "rate": 2.0})
        assert translator.feed(7.0, {"event": "MediaPlayerBuffering", "cache": 100.0}) == [
            (6.2, "waiting", {}),
            (7.0, "playing", {"position": 5.0}),
        ]

    def test_a_seek_during_a_stall_is_found(self) -> None:
        translator = self.stalling()
        # 8 s into the stall the viewer seeks to 11 s (the running clock said 13.1 s).
        assert self.feed(translator, 14.1, "TimeChanged", time=11000) == [
            "waiting",
            "seeking",
            "seeked",
        ]
        assert self.feed(translator, 14.11, "Buffering", cache=0.0) == []
        assert self.feed(translator, 15.1, "Buffering", cache=100.0) == []  # the seek's
        assert self.feed(translator, 15.35, "TimeChanged", time=11250) == ["timeupdate"]

    def test_a_seek_soon_after_a_lasting_burst_began_is_found(self) -> None:
        translator = self.stalling()
        # 1 s into the burst (the running clock said 6.1 s): with no report, playback cannot
        # have gone on for more than STALL_MIN, so 7.5 s is more than JUMP away.
        assert self.feed(translator, 7.1, "TimeChanged", time=7500) == [
            "waiting",
            "seeking",
            "seeked",
        ]

    def test_replayed_a_pause_or_rate_change_in_a_stall_reads_cleanly(self, tmp_path: Path) -> None:
        records: list[dict[str, Any]] = [
            {"t": 0.0, "anonymous_id": "viewer"},
            {"t": 0.0, "event": "MediaPlayerOpening"},
            {"t": 0.0, "event": "MediaPlayerLengthChanged", "length": 60000},
            {"t": 0.0, "event": "MediaPlayerPlaying"},
            {"t": 0.0, "event": "MediaPlayerBuffering", "cache": 0.0},
            {"t": 0.01, "event": "MediaPlayerBuffering", "cache": 100.0},
        ]
        records += [{"t": 0.25 * k, "event": "MediaPlayerTimeChanged", "time": 250 * k}
                    for k in range(1, 21)]  # fmt: skip
        records += [
            {"t": 5.1, "event": "MediaPlayerBuffering", "cache": 0.0},
            {"t": 6.0, "event": "RateChanged", "rate": 2.0},
            {"t": 6.5, "event": "MediaPlayerPaused"},
            {"t": 8.0, "event": "MediaPlayerPlaying"},
            {"t": 8.5, "event": "MediaPlayerBuffering", "cache": 100.0},
            {"t": 8.75, "event": "MediaPlayerTimeChanged", "time": 5500},
            {"t": 9.0, "event": "MediaPlayerStopped"},
        ]
        path = tmp_path / "vlc.log"
        path.write_text("".join(json.dumps({"session": "v", **r}) + "\n" for r in records))
        run = replay([path], dialect="vlc", strict=True)
        events = [m["event"] for m in run if m["event"] != "Video Content Playing"]
        assert run.bad_line_count == 0 and run.stats.anomaly_count == 0
        assert events[2:] == [
            "Video Playback Buffer Started",
            "Video Playback Paused",
            "Video Playback Resumed",
            "Video Playback Buffer Started",  # still buffering after the resume
            "Video Playback Buffer Completed",
            "Video Playback Exited",
        ]


class TestVlcSeekBursts:
    """The burst a seek brings is not a stall; it does not outlive the seek."""

    feed = TestVlcPlaybackClock.feed

    def test_a_stall_after_a_seek_with_no_burst_is_one(self) -> None:
        translator = TestVlcPlaybackClock().playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        assert self.feed(translator, 2.1, "TimeChanged", time=30000) == ["seeking", "seeked"]
        for k in range(1, 9):
            self.feed(translator, 2.1 + 0.25 * k, "TimeChanged", time=30000 + 250 * k)
        self.feed(translator, 4.15, "Buffering", cache=0.0)
        assert self.feed(translator, 7.15, "Buffering", cache=100.0) == ["waiting", "playing"]

    def test_a_stall_after_a_seek_made_while_paused_is_one(self) -> None:
        translator = TestVlcPlaybackClock().playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.1, "Paused")
        assert self.feed(translator, 3.0, "TimeChanged", time=30000) == ["seeking", "seeked"]
        self.feed(translator, 3.001, "Buffering", cache=0.0)
        self.feed(translator, 3.05, "Buffering", cache=100.0)  # while paused
        self.feed(translator, 4.0, "Playing")
        # Stalls before time moves on.
        self.feed(translator, 4.05, "Buffering", cache=0.0)
        assert self.feed(translator, 7.05, "Buffering", cache=100.0) == ["waiting", "playing"]

    def test_the_seeks_burst_after_a_report_at_its_target_is_still_its(self) -> None:
        translator = TestVlcPlaybackClock().playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.1, "TimeChanged", time=30000)
        assert self.feed(translator, 2.2, "TimeChanged", time=30000) == ["timeupdate"]
        self.feed(translator, 2.3, "Buffering", cache=0.0)
        assert self.feed(translator, 4.0, "Buffering", cache=100.0) == []


def test_vlc_another_media_starts_afresh() -> None:
    """The live adapter keeps one translator: the next media is not where the last one was."""
    translator = TestVlcTraps().playing()
    feed = TestVlcPlaybackClock().feed
    for k in range(1, 81):
        feed(translator, 1.0 + 0.25 * k, "TimeChanged", time=250 * k)
    assert feed(translator, 21.1, "Stopped") == ["exit"]
    assert feed(translator, 22.0, "Opening") == []
    translator.feed(22.01, {"event": "MediaPlayerLengthChanged", "length": 10000})
    assert translator.feed(22.02, {"event": "MediaPlayerPlaying"}) == [
        (22.02, "load", {"duration": 10.0}),
        (22.02, "play", {}),
        (22.02, "playing", {"position": 0.0}),
    ]
    feed(translator, 22.03, "Buffering", cache=0.0)
    feed(translator, 22.04, "Buffering", cache=100.0)
    assert feed(translator, 22.27, "TimeChanged", time=250) == ["timeupdate"]


class TestMpvSeeksAndFiles:
    def test_the_next_file_does_not_start_where_the_last_one_was(self) -> None:
        translator = TestMpvTraps().playing()
        translator.feed(20.0, {"property": "time-pos", "value": 20.0})
        translator.feed(20.1, {"event": "end-file", "reason": "eof"})
        translator.feed(20.1, {"property": "time-pos", "value": None})
        translator.feed(20.2, {"event": "start-file"})
        translator.feed(20.2, {"event": "file-loaded"})
        translator.feed(20.2, {"property": "duration", "value": 60.0})
        # Its first `time-pos` comes after its first frame (mpv merged the changes).
        assert translator.feed(20.25, {"event": "playback-restart"}) == [
            (20.25, "playing", {"position": 0.0})
        ]

    def test_a_seek_asked_twice_goes_to_its_target(self) -> None:
        translator = TestMpvTraps().playing()
        translator.feed(2.0, {"property": "time-pos", "value": 2.0})
        assert translator.feed(2.2, {"event": "seek"}) == []
        assert translator.feed(2.25, {"event": "seek"}) == []
        assert translator.feed(2.25, {"property": "time-pos", "value": 30.0}) == [
            (2.25, "seeking", {"position": 30.0})
        ]
        assert translator.feed(2.4, {"event": "playback-restart"}) == [
            (2.4, "seeked", {"position": 30.0})
        ]

    def test_a_seek_to_where_it_is_asked_twice_starts_at_the_first(self) -> None:
        translator = TestMpvTraps().playing()
        translator.feed(2.0, {"property": "time-pos", "value": 2.0})
        translator.feed(2.2, {"event": "seek"})
        translator.feed(2.25, {"event": "seek"})
        assert translator.feed(2.4, {"event": "playback-restart"}) == [
            (2.2, "seeking", {"position": 2.0}),
            (2.4, "seeked", {"position": 2.0}),
        ]
