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
    """Every recorded log replays to the scripted events, positions and length, all schema-valid."""
    messages = replayed(dialect, name)
    assert VIEWING == [m["event"] for m in messages if m["event"] != "Video Content Playing"]
    by_event = {m["event"]: m["properties"] for m in messages}
    assert 10 == by_event["Video Playback Seek Started"]["position"]
    assert 20 == by_event["Video Playback Seek Started"]["seek_position"]
    assert 20 == by_event["Video Playback Seek Completed"]["position"]
    assert 30 == by_event["Video Playback Started"]["total_length"]
    assert 5 == by_event["Video Playback Paused"]["position"]
    for message in messages:
        validate(message)


@pytest.mark.parametrize(("dialect", "name"), [log for log in LOGS if "4" not in log[1]])
def test_resuming_sends_its_heartbeat(dialect: str, name: str) -> None:
    """At normal speed, Video Playback Resumed is followed at once by a Video Content Playing."""
    events = [m["event"] for m in replayed(dialect, name)]
    resumed = events.index("Video Playback Resumed")
    assert "Video Content Playing" == events[resumed + 1]


def test_a_looping_video_goes_back_as_a_seek_and_fires_no_milestone_twice() -> None:
    """A loop's jump back to 0 is a seek; 25% fires once, no Content Completed, Exited last."""
    messages = replayed("html5", "html5-loop.log")
    events = [m["event"] for m in messages]
    assert 2 == events.count("Video Playback Seek Started")
    back = [m for m in messages if m["event"] == "Video Playback Seek Completed"][-1]
    assert 0 == back["properties"]["position"]
    assert "Video Content Completed" not in events  # a loop has no `ended`
    assert 1 == events.count("25% Content Completed")
    assert "Video Playback Exited" == events[-1]  # the page went away


class TestHtml5Traps:
    def feed(
        self, translator: Html5Translator, kind: str, at: float = 100.0, **state: Any
    ) -> list[str]:
        event = {"type": kind, "currentTime": 5.0, "duration": 30.0, "paused": False,
                 "ended": False, "playbackRate": 1, **state}  # fmt: skip
        return [name for _, name, _ in translator.feed(at, event)]

    def test_the_pause_at_the_end_is_not_a_user_pause(self) -> None:
        """A pause with ended: true just before ended is the end of the media, not a user pause."""
        translator = Html5Translator()
        self.feed(translator, "playing")
        assert [] == self.feed(translator, "pause", currentTime=30.0, paused=True, ended=True)
        assert ["ended"] == self.feed(translator, "ended", currentTime=30.0, ended=True)

    def test_a_user_pause_is(self) -> None:
        """A pause with ended: false while playing is a user pause."""
        translator = Html5Translator()
        self.feed(translator, "playing")
        assert ["pause"] == self.feed(translator, "pause", paused=True)

    def test_the_wait_of_a_seek_is_not_a_stall(self) -> None:
        """The waiting between seeking and seeked is dropped; a lasting one after it is a stall."""
        translator = Html5Translator()
        self.feed(translator, "playing")
        assert ["seeking"] == self.feed(translator, "seeking", currentTime=20.0)
        assert [] == self.feed(translator, "waiting", currentTime=20.0)
        assert ["seeked"] == self.feed(translator, "seeked", currentTime=20.0)
        assert ["playing"] == self.feed(translator, "playing", currentTime=20.0)
        assert [] == self.feed(translator, "waiting", 101.0, currentTime=21.0)
        assert ["waiting", "playing"] == self.feed(translator, "playing", 102.0, currentTime=21.0)

    def test_a_jump_back_without_seek_events_is_a_seek(self) -> None:
        """A timeupdate jumping back from 29.9 s to 0.1 s with no seek events is a seek."""
        translator = Html5Translator()
        self.feed(translator, "playing")
        self.feed(translator, "timeupdate", currentTime=29.9)
        assert ["seeking", "seeked"] == self.feed(translator, "timeupdate", currentTime=0.1)

    def test_the_first_event_loads_with_the_duration(self) -> None:
        """The first media event (a durationchange) emits load with the element's duration."""
        emitted = Html5Translator().feed(1.0, {"type": "durationchange", "currentTime": 0,
                                               "duration": 30.0})  # fmt: skip
        assert [(1.0, "load", {"duration": 30.0})] == emitted

    def test_an_unknown_event_type(self) -> None:
        """An unknown html5 media event type raises ValueError naming the type."""
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
        """With keep-open, eof-reached is the end, and the pause mpv then sets is no user pause."""
        translator = self.playing()
        assert [(2.0, "ended", {})] == translator.feed(
            2.0, {"property": "eof-reached", "value": True}
        )
        assert [] == translator.feed(2.1, {"property": "pause", "value": True})

    def test_without_keep_open_end_file_eof_is_the_end(self) -> None:
        """Without keep-open, end-file with reason eof is the end of the media."""
        translator = self.playing()
        assert [(2.0, "ended", {})] == translator.feed(2.0, {"event": "end-file", "reason": "eof"})

    def test_paused_for_cache_is_buffering(self) -> None:
        """paused-for-cache lasting is a stall, told at its end from its start; false plays."""
        translator = self.playing()
        translator.feed(2.0, {"property": "time-pos", "value": 3.0})
        assert [] == translator.feed(2.1, {"property": "paused-for-cache", "value": True})
        assert [(2.1, "waiting", {}), (4.0, "playing", {"position": 3.0})] == translator.feed(
            4.0, {"property": "paused-for-cache", "value": False}
        )

    def test_loading_a_file_is_not_a_seek(self) -> None:
        """The seeking flag mpv raises while loading a file is no seek: just load, play, playing."""
        translator = MpvTranslator()
        names = []
        for event in ({"event": "start-file"}, {"event": "file-loaded"},
                      {"property": "seeking", "value": True},
                      {"property": "duration", "value": 30.0},
                      {"event": "playback-restart"},
                      {"property": "seeking", "value": False}):  # fmt: skip
            names += [name for _, name, _ in translator.feed(1.0, event)]
        assert ["load", "play", "playing"] == names

    def test_a_seek_to_where_it_is(self) -> None:
        """A seek then playback-restart with no time-pos change is still seeking and seeked."""
        translator = self.playing()
        translator.feed(2.0, {"event": "seek"})
        emitted = translator.feed(2.1, {"event": "playback-restart"})
        assert ["seeking", "seeked"] == [name for _, name, _ in emitted]

    def test_an_unknown_property(self) -> None:
        """An unknown mpv property raises ValueError naming the property."""
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
        """A jump of time is a seek, and the buffering burst right after it is not a stall."""
        translator = self.playing()
        translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 1000})
        jump = translator.feed(2.01, {"event": "MediaPlayerTimeChanged", "time": 20000})
        assert ["seeking", "seeked"] == [name for _, name, _ in jump]
        for cache in (0.0, 50.0):
            assert [] == translator.feed(2.02, {"event": "MediaPlayerBuffering", "cache": cache})
        assert [] == translator.feed(2.5, {"event": "MediaPlayerBuffering", "cache": 100.0})

    def test_a_lasting_burst_is_a_stall_from_its_start(self) -> None:
        """A 1.4 s buffering burst is told at its end as a stall dated from its start."""
        translator = self.playing()
        translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 1000})
        assert [] == translator.feed(2.1, {"event": "MediaPlayerBuffering", "cache": 0.0})
        assert [
            (2.1, "waiting", {}),
            (3.5, "playing", {"position": 1.0}),
        ] == translator.feed(3.5, {"event": "MediaPlayerBuffering", "cache": 100.0})

    def test_a_short_burst_is_not_a_stall(self) -> None:
        """A 50 ms buffering burst is a refill, not a stall: nothing is emitted."""
        translator = self.playing()
        translator.feed(2.0, {"event": "MediaPlayerBuffering", "cache": 10.0})
        assert [] == translator.feed(2.05, {"event": "MediaPlayerBuffering", "cache": 100.0})

    def test_the_rate_keeps_fast_playback_from_looking_like_seeks(self) -> None:
        """At rate 4, time moving 4 s in 1 s is a timeupdate, not a seek."""
        translator = VlcTranslator()
        translator.feed(1.0, {"event": "RateChanged", "rate": 4.0})
        translator.feed(1.0, {"event": "MediaPlayerLengthChanged", "length": 30000})
        translator.feed(1.0, {"event": "MediaPlayerPlaying"})
        emitted = translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 4000})
        assert ["timeupdate"] == [name for _, name, _ in emitted]

    def test_stopped_after_the_end_exits_once(self) -> None:
        """After EndReached the first Stopped exits, and a second Stopped emits nothing."""
        translator = self.playing()
        assert [(5.0, "ended", {})] == translator.feed(5.0, {"event": "MediaPlayerEndReached"})
        assert [(5.0, "exit", {})] == translator.feed(5.0, {"event": "MediaPlayerStopped"})
        assert [] == translator.feed(5.3, {"event": "MediaPlayerStopped"})


class TestDialectReader:
    def test_a_line_of_only_viewer_and_content_sticks_to_the_next_callback(self) -> None:
        """A viewer-and-content line emits nothing; both go on the next record emitted, only."""
        reader = DialectReader("vlc")
        assert [] == reader.records({"t": 1.0, "session": "v", "anonymous_id": "a",
                                     "content": {"title": "T"}})  # fmt: skip
        assert [] == reader.records({"t": 1.1, "session": "v", "event": "MediaPlayerOpening"})
        length = {"t": 1.15, "session": "v", "event": "MediaPlayerLengthChanged", "length": 9000}
        assert [] == reader.records(length)
        first = reader.records({"t": 1.2, "session": "v", "event": "MediaPlayerPlaying"})
        assert ["load", "play", "playing"] == [r.event for r in first]
        assert first[0].identity == ("anonymous_id", "a") and first[0].content == {"title": "T"}
        assert first[1].identity is None

    def test_a_bad_event_names_the_dialect(self) -> None:
        """The BadRecord for an unknown mpv event starts with the dialect's name."""
        with pytest.raises(BadRecord, match=r"^mpv: unknown mpv event 'boom'"):
            DialectReader("mpv").records({"t": 1.0, "event": "boom"})

    def test_an_unknown_dialect(self) -> None:
        """DialectReader rejects an unknown dialect with ValueError naming it."""
        with pytest.raises(ValueError, match="unknown log dialect 'flash'"):
            DialectReader("flash")

    def test_bad_lines_of_a_dialect_log_are_reported_with_their_line(self, tmp_path: Path) -> None:
        """A lenient replay reports a bad line with its file and number, and tells the viewing."""
        lines = (DATA / "vlc.log").read_text().splitlines()
        lines.insert(5, '{"t": 1, "event": "MediaPlayerTimeChanged", "time": "soon"}')
        path = tmp_path / "vlc.log"
        path.write_text("\n".join(lines) + "\n")
        run = replay([path], dialect="vlc")
        events = [m["event"] for m in run if m["event"] != "Video Content Playing"]
        assert VIEWING == events
        assert [
            ((str(path), 6), "vlc: \"time\" must be a finite number; got 'soon'")
        ] == run.bad_lines


class TestPlayingOnAfterTheEnd:
    """After the end the session is complete; playing again starts the next one."""

    def names(self, translator: Any, events: list[dict[str, Any]]) -> list[str]:
        return [name for event in events for _, name, _ in translator.feed(1.0, event)]

    def test_html5_played_again_after_ended(self) -> None:
        """html5: seeking and playing again after ended exits the session and loads a new one."""
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
        assert ["load", "playing", "ended", "exit", "load", "play", "playing"] == names

    def test_mpv_loaded_paused_starts_when_unpaused(self) -> None:
        """mpv: a file loaded paused emits load, then play and playing only when unpaused."""
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
        assert ["load", "play", "playing", "timeupdate"] == names

    def test_mpv_next_file_of_a_playlist_is_the_next_session(self) -> None:
        """mpv: each file of a playlist is a session of its own, ended then exited."""
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
        assert [*session, "exit", *session, "exit"] == names

    def test_mpv_keep_open_seek_back_then_play(self) -> None:
        """mpv keep-open: seeking back and unpausing after eof exits and starts a new session."""
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
        assert ["load", "play", "playing", "ended", "exit", "load", "play", "playing"] == names

    def test_replayed_sessions_play_again_without_anomalies(self, tmp_path: Path) -> None:
        """Replayed, mpv played again after the end is a second session from 10 s, no anomaly."""
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
        assert 2 == events.count("Video Playback Started")
        assert 0 == run.stats.anomaly_count
        # The translator lived on: the next session plays on from 10 s (position 12 at exit).
        assert "Video Playback Exited" == messages[-1]["event"]
        assert 12 == messages[-1]["properties"]["position"]


def test_vlc_time_moving_during_a_burst_is_not_a_stall() -> None:
    """VLC: time moving on during a buffering burst is a timeupdate, and the burst no stall."""
    translator = TestVlcTraps().playing()
    translator.feed(2.0, {"event": "MediaPlayerTimeChanged", "time": 1000})
    translator.feed(2.1, {"event": "MediaPlayerBuffering", "cache": 0.0})
    moved = translator.feed(2.5, {"event": "MediaPlayerTimeChanged", "time": 1500})
    assert ["timeupdate"] == [name for _, name, _ in moved]
    assert [] == translator.feed(2.9, {"event": "MediaPlayerBuffering", "cache": 100.0})


def test_html5_an_unknown_first_event_does_not_swallow_the_load() -> None:
    """html5: an unknown first event raises, and the next event still emits the load."""
    translator = Html5Translator()
    with pytest.raises(ValueError, match="unknown media event type"):
        translator.feed(1.0, {"type": "enterpictureinpicture", "currentTime": 0.0})
    emitted = translator.feed(1.1, {"type": "loadedmetadata", "currentTime": 0, "duration": 9})
    assert [(1.1, "load", {"duration": 9.0})] == emitted


def test_ended_sessions_leave_no_translator_behind(tmp_path: Path) -> None:
    """Replaying 20 ended VLC sessions exits each and keeps no translator or last time behind."""
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
    assert 20 == sum(1 for m in run if m["event"] == "Video Playback Exited")
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
        """After a 2 s stall, time goes on from where it stood: a timeupdate, not a seek."""
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        assert ["waiting", "playing"] == self.feed(translator, 4.0, "Buffering", cache=100.0)
        assert ["timeupdate"] == self.feed(translator, 5.0, "TimeChanged", time=2000)

    def test_a_seek_after_a_stall_is_still_one(self) -> None:
        """A 3 s jump after a stall is a seek, measured from where playback stood."""
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        self.feed(translator, 4.0, "Buffering", cache=100.0)
        # 3 s from where playback stood (2 s): the old clock, run through the stall, said 4 s.
        assert ["seeking", "seeked"] == self.feed(translator, 5.0, "TimeChanged", time=5000)

    def test_a_long_start_up_burst_is_no_seek(self) -> None:
        """A 2 s buffering burst at start-up is no stall, and the first time report no seek."""
        translator = VlcTranslator()
        self.feed(translator, 1.0, "LengthChanged", length=30000)
        self.feed(translator, 1.0, "Playing")
        self.feed(translator, 1.0, "Buffering", cache=0.0)
        assert [] == self.feed(translator, 3.0, "Buffering", cache=100.0)
        assert ["timeupdate"] == self.feed(translator, 3.4, "TimeChanged", time=400)

    def test_time_after_a_slow_seek_goes_on_from_its_target(self) -> None:
        """A seek's 2 s burst is no stall, and time goes on from the seek's target."""
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        assert ["seeking", "seeked"] == self.feed(translator, 2.0, "TimeChanged", time=30000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        assert [] == self.feed(translator, 4.0, "Buffering", cache=100.0)  # the seek's
        assert ["timeupdate"] == self.feed(translator, 5.0, "TimeChanged", time=31000)

    def test_a_refill_does_not_stop_the_clock(self) -> None:
        """At 8x the clock runs on through a 0.2 s refill, so the next report is no seek."""
        translator = self.playing(8.0)
        self.feed(translator, 2.0, "TimeChanged", time=8000)
        self.feed(translator, 2.0, "Buffering", cache=0.0)
        assert [] == self.feed(translator, 2.2, "Buffering", cache=100.0)
        # Played on through it (12 s); had it stood still, 10.4 s.
        assert ["timeupdate"] == self.feed(translator, 2.5, "TimeChanged", time=12000)

    def test_time_moving_on_at_8x_during_a_burst_is_no_seek(self) -> None:
        """At 8x, time moving on during a burst is a timeupdate, and the burst no stall."""
        translator = self.playing(8.0)
        self.feed(translator, 2.0, "TimeChanged", time=8000)
        self.feed(translator, 2.1, "Buffering", cache=0.0)
        assert ["timeupdate"] == self.feed(translator, 2.25, "TimeChanged", time=10000)
        assert [] == self.feed(translator, 2.6, "Buffering", cache=100.0)  # no stall either

    def test_a_rate_change_brings_the_clock_up_to_date(self) -> None:
        """A rate change emits ratechange; time before it is counted at the old rate."""
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        assert [(2.4, "ratechange", {"rate": 8.0})] == translator.feed(
            2.4, {"event": "RateChanged", "rate": 8.0}
        )
        # 1 s + 0.4 s at 1x + 0.1 s at 8x
        assert ["timeupdate"] == self.feed(translator, 2.5, "TimeChanged", time=2200)

    def test_a_pause_stops_the_clock_where_playback_got_to(self) -> None:
        """At 8x a pause stops the clock where playback got to (10 s), so resuming is no seek."""
        translator = self.playing(8.0)
        self.feed(translator, 2.0, "TimeChanged", time=8000)
        assert ["pause"] == self.feed(translator, 2.25, "Paused")  # at 10 s, not 8 s
        assert ["play"] == self.feed(translator, 3.0, "Playing")
        assert ["timeupdate"] == self.feed(translator, 3.25, "TimeChanged", time=12000)

    def test_a_jump_while_paused_is_a_seek(self) -> None:
        """While paused, an unchanged time is a timeupdate and a jump to 20 s is a seek."""
        translator = self.playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.0, "Paused")
        assert ["timeupdate"] == self.feed(translator, 9.0, "TimeChanged", time=1000)
        assert ["seeking", "seeked"] == self.feed(translator, 9.5, "TimeChanged", time=20000)


class TestMpvSeekToWhereItIs:
    """mpv says nothing of a seek's target when the position does not change (no ``time-pos``)."""

    def playing_at_9(self) -> MpvTranslator:
        translator = TestMpvTraps().playing()
        translator.feed(9.0, {"property": "time-pos", "value": 9.0})
        translator.feed(9.0, {"event": "seek"})
        return translator

    def test_it_starts_at_seek(self) -> None:
        """seeking: true with no time-pos starts the seek at the seek event, at 9 s."""
        translator = self.playing_at_9()
        assert [(9.0, "seeking", {"position": 9.0})] == translator.feed(
            9.001, {"property": "seeking", "value": True}
        )
        assert [(11.0, "seeked", {"position": 9.0})] == translator.feed(
            11.0, {"event": "playback-restart"}
        )

    def test_it_starts_at_seek_whatever_comes_next(self) -> None:
        """With no seeking flag, playback-restart dates seeking from the seek event, then seeked."""
        translator = self.playing_at_9()
        assert [
            (9.0, "seeking", {"position": 9.0}),
            (11.0, "seeked", {"position": 9.0}),
        ] == translator.feed(11.0, {"event": "playback-restart"})

    def test_a_target_starts_it_when_it_comes(self) -> None:
        """A time-pos after a seek starts it then, at its target; seeking: true adds nothing."""
        translator = self.playing_at_9()
        assert [(9.001, "seeking", {"position": 20.0})] == translator.feed(
            9.001, {"property": "time-pos", "value": 20.0}
        )
        assert [] == translator.feed(9.002, {"property": "seeking", "value": True})

    def test_an_unreadable_record_changes_nothing(self) -> None:
        """A seeking record with a bad value raises, and the next time-pos still starts the seek."""
        translator = self.playing_at_9()
        with pytest.raises(ValueError, match='"value" must be true or false'):
            translator.feed(9.001, {"property": "seeking", "value": "yes"})
        assert [(9.002, "seeking", {"position": 20.0})] == translator.feed(
            9.002, {"property": "time-pos", "value": 20.0}
        )

    def test_replayed_it_does_not_play_on_through_the_seek(self, tmp_path: Path) -> None:
        """Replayed, a seek to where it is starts at 9 s and 25% of 40 s is reached at 12 s."""
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
        assert 9 == started["properties"]["position"]  # it had played to 11 through the seek
        assert started["timestamp"].endswith("00:00:09.000Z")
        # 25% of 40 s is reached at the exit (12 s: 9 s, the seek, 1 s), no earlier.
        assert by_event["25% Content Completed"]["timestamp"].endswith("00:00:12.000Z")


class TestHtml5UnreadableEvents:
    """An event the translator cannot read changes nothing (see ``Translator.feed``)."""

    def test_an_unreadable_first_event_does_not_load(self) -> None:
        """An unreadable first event raises without loading; the next one emits load and play."""
        translator = Html5Translator()
        with pytest.raises(ValueError, match='"playbackRate" must be a finite number'):
            translator.feed(1.0, {"type": "ratechange", "currentTime": 0, "duration": 30,
                                  "playbackRate": "2"})  # fmt: skip
        emitted = translator.feed(1.1, {"type": "play", "currentTime": 0, "duration": 30})
        assert [(1.1, "load", {"duration": 30.0}), (1.1, "play", {})] == emitted

    def test_an_unreadable_event_does_not_change_the_duration(self) -> None:
        """An unreadable event's duration is not taken: the next event emits the durationchange."""
        translator = Html5Translator()
        translator.feed(1.0, {"type": "playing", "currentTime": 0, "duration": 30})
        with pytest.raises(ValueError, match='"volume" must be a finite number'):
            translator.feed(1.1, {"type": "volumechange", "currentTime": 0.1, "duration": 60,
                                  "volume": "loud"})  # fmt: skip
        emitted = translator.feed(1.2, {"type": "timeupdate", "currentTime": 0.2, "duration": 60})
        assert [
            (1.2, "durationchange", {"duration": 60.0}),
            (1.2, "timeupdate", {"position": 0.2}),
        ] == emitted


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
        """A pause in a stall emits the stall, then the pause; time from 5 s after it is no seek."""
        translator = self.stalling()
        assert [
            (6.1, "waiting", {}),
            (8.6, "pause", {}),
        ] == translator.feed(8.6, {"event": "MediaPlayerPaused"})
        assert ["play"] == self.feed(translator, 10.6, "Playing")
        assert [] == self.feed(translator, 10.7, "Buffering", cache=100.0)
        # Playback stood at 5 s through the stall: not a jump back from 7.5 s.
        assert ["timeupdate"] == self.feed(translator, 10.95, "TimeChanged", time=5250)

    def test_buffering_still_after_the_resume_is_a_stall_from_the_resume(self) -> None:
        """Buffering still going at the resume is a new stall from the resume, standing at 5 s."""
        translator = self.stalling()
        translator.feed(6.5, {"event": "RateChanged", "rate": 4.0})
        assert ["pause"] == self.feed(translator, 8.6, "Paused")
        assert ["play"] == self.feed(translator, 10.6, "Playing")
        assert [
            (10.6, "waiting", {}),
            (11.6, "playing", {"position": 5.0}),
        ] == translator.feed(11.6, {"event": "MediaPlayerBuffering", "cache": 100.0})
        # It stood at 5 s until 11.6 s (running from the resume, the clock would say 9 s).
        assert ["timeupdate"] == self.feed(translator, 11.85, "TimeChanged", time=6000)

    def test_a_rate_change_in_a_stall_comes_after_it_and_invents_no_seek(self) -> None:
        """A rate change in a stall comes after its waiting; playback goes on from 5 s, no seek."""
        translator = self.stalling()
        assert [
            (6.1, "waiting", {}),
            (8.6, "ratechange", {"rate": 2.0}),
        ] == translator.feed(8.6, {"event": "RateChanged", "rate": 2.0})
        assert [(9.1, "playing", {"position": 5.0})] == translator.feed(
            9.1, {"event": "MediaPlayerBuffering", "cache": 100.0}
        )
        assert ["timeupdate"] == self.feed(translator, 9.35, "TimeChanged", time=5500)

    def test_a_stall_is_never_dated_before_the_last_callback(self) -> None:
        """A refill that became a stall after a rate change is dated from the rate change."""
        translator = self.stalling()
        # Still a refill when the rate changes; the stall it became starts no earlier.
        translator.feed(6.2, {"event": "RateChanged", "rate": 2.0})
        assert [
            (6.2, "waiting", {}),
            (7.0, "playing", {"position": 5.0}),
        ] == translator.feed(7.0, {"event": "MediaPlayerBuffering", "cache": 100.0})

    def test_a_seek_during_a_stall_is_found(self) -> None:
        """A jump in a stall gives waiting, seeking and seeked; the burst after it is no stall."""
        translator = self.stalling()
        # 8 s into the stall the viewer seeks to 11 s (the running clock said 13.1 s).
        assert [
            "waiting",
            "seeking",
            "seeked",
        ] == self.feed(translator, 14.1, "TimeChanged", time=11000)
        assert [] == self.feed(translator, 14.11, "Buffering", cache=0.0)
        assert [] == self.feed(translator, 15.1, "Buffering", cache=100.0)  # the seek's
        assert ["timeupdate"] == self.feed(translator, 15.35, "TimeChanged", time=11250)

    def test_a_seek_soon_after_a_lasting_burst_began_is_found(self) -> None:
        """1 s into a burst, a report of 7.5 s is a seek: unreported play is capped at STALL_MIN."""
        translator = self.stalling()
        # 1 s into the burst (the running clock said 6.1 s): with no report, playback cannot
        # have gone on for more than STALL_MIN, so 7.5 s is more than JUMP away.
        assert [
            "waiting",
            "seeking",
            "seeked",
        ] == self.feed(translator, 7.1, "TimeChanged", time=7500)

    def test_replayed_a_pause_or_rate_change_in_a_stall_reads_cleanly(self, tmp_path: Path) -> None:
        """Replayed, a rate change and a pause in a stall give clean buffer and pause events."""
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
        assert (
            [
                "Video Playback Buffer Started",
                "Video Playback Paused",
                "Video Playback Resumed",
                "Video Playback Buffer Started",  # still buffering after the resume
                "Video Playback Buffer Completed",
                "Video Playback Exited",
            ]
            == events[2:]
        )


class TestVlcSeekBursts:
    """The burst a seek brings is not a stall; it does not outlive the seek."""

    feed = TestVlcPlaybackClock.feed

    def test_a_stall_after_a_seek_with_no_burst_is_one(self) -> None:
        """After a seek that had no burst, a later 3 s burst is a stall."""
        translator = TestVlcPlaybackClock().playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        assert ["seeking", "seeked"] == self.feed(translator, 2.1, "TimeChanged", time=30000)
        for k in range(1, 9):
            self.feed(translator, 2.1 + 0.25 * k, "TimeChanged", time=30000 + 250 * k)
        self.feed(translator, 4.15, "Buffering", cache=0.0)
        assert ["waiting", "playing"] == self.feed(translator, 7.15, "Buffering", cache=100.0)

    def test_a_stall_after_a_seek_made_while_paused_is_one(self) -> None:
        """A seek made while paused has its burst then; a 3 s burst after resuming is a stall."""
        translator = TestVlcPlaybackClock().playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.1, "Paused")
        assert ["seeking", "seeked"] == self.feed(translator, 3.0, "TimeChanged", time=30000)
        self.feed(translator, 3.001, "Buffering", cache=0.0)
        self.feed(translator, 3.05, "Buffering", cache=100.0)  # while paused
        self.feed(translator, 4.0, "Playing")
        # Stalls before time moves on.
        self.feed(translator, 4.05, "Buffering", cache=0.0)
        assert ["waiting", "playing"] == self.feed(translator, 7.05, "Buffering", cache=100.0)

    def test_the_seeks_burst_after_a_report_at_its_target_is_still_its(self) -> None:
        """A seek's burst after a report at its target still belongs to the seek: no stall."""
        translator = TestVlcPlaybackClock().playing()
        self.feed(translator, 2.0, "TimeChanged", time=1000)
        self.feed(translator, 2.1, "TimeChanged", time=30000)
        assert ["timeupdate"] == self.feed(translator, 2.2, "TimeChanged", time=30000)
        self.feed(translator, 2.3, "Buffering", cache=0.0)
        assert [] == self.feed(translator, 4.0, "Buffering", cache=100.0)


def test_vlc_another_media_starts_afresh() -> None:
    """The live adapter keeps one translator: the next media is not where the last one was."""
    translator = TestVlcTraps().playing()
    feed = TestVlcPlaybackClock().feed
    for k in range(1, 81):
        feed(translator, 1.0 + 0.25 * k, "TimeChanged", time=250 * k)
    assert ["exit"] == feed(translator, 21.1, "Stopped")
    assert [] == feed(translator, 22.0, "Opening")
    translator.feed(22.01, {"event": "MediaPlayerLengthChanged", "length": 10000})
    assert [
        (22.02, "load", {"duration": 10.0}),
        (22.02, "play", {}),
        (22.02, "playing", {"position": 0.0}),
    ] == translator.feed(22.02, {"event": "MediaPlayerPlaying"})
    feed(translator, 22.03, "Buffering", cache=0.0)
    feed(translator, 22.04, "Buffering", cache=100.0)
    assert ["timeupdate"] == feed(translator, 22.27, "TimeChanged", time=250)


class TestMpvSeeksAndFiles:
    def test_the_next_file_does_not_start_where_the_last_one_was(self) -> None:
        """After end-file, the next file's first playing is at 0 s, not where the last one was."""
        translator = TestMpvTraps().playing()
        translator.feed(20.0, {"property": "time-pos", "value": 20.0})
        translator.feed(20.1, {"event": "end-file", "reason": "eof"})
        translator.feed(20.1, {"property": "time-pos", "value": None})
        translator.feed(20.2, {"event": "start-file"})
        translator.feed(20.2, {"event": "file-loaded"})
        translator.feed(20.2, {"property": "duration", "value": 60.0})
        # Its first `time-pos` comes after its first frame (mpv merged the changes).
        assert [(20.25, "playing", {"position": 0.0})] == translator.feed(
            20.25, {"event": "playback-restart"}
        )

    def test_a_seek_asked_twice_goes_to_its_target(self) -> None:
        """Two seek events then a time-pos of 30 s make one seek to 30 s, done at the restart."""
        translator = TestMpvTraps().playing()
        translator.feed(2.0, {"property": "time-pos", "value": 2.0})
        assert [] == translator.feed(2.2, {"event": "seek"})
        assert [] == translator.feed(2.25, {"event": "seek"})
        assert [(2.25, "seeking", {"position": 30.0})] == translator.feed(
            2.25, {"property": "time-pos", "value": 30.0}
        )
        assert [(2.4, "seeked", {"position": 30.0})] == translator.feed(
            2.4, {"event": "playback-restart"}
        )

    def test_a_seek_to_where_it_is_asked_twice_starts_at_the_first(self) -> None:
        """Two seek events with no time-pos make one seek, dated from the first."""
        translator = TestMpvTraps().playing()
        translator.feed(2.0, {"property": "time-pos", "value": 2.0})
        translator.feed(2.2, {"event": "seek"})
        translator.feed(2.25, {"event": "seek"})
        assert [
            (2.2, "seeking", {"position": 2.0}),
            (2.4, "seeked", {"position": 2.0}),
        ] == translator.feed(2.4, {"event": "playback-restart"})
