"""The real-player traps: each rule of the translators (and the core) that a real log broke."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import T0, SessionFactory, events, props, watch

from vtrack import Content
from vtrack.cli import main
from vtrack.players import Html5Translator, MpvTranslator, VlcTranslator
from vtrack.players.base import MIN_STALL, Emitted
from vtrack.replay import replay


def html5(kind: str, t: float, position: float, **state: Any) -> dict[str, Any]:
    """One html5 dialect record of session s."""
    return {"t": T0 + t, "session": "s", "type": kind, "currentTime": position,
            "duration": 60.0, "paused": False, "ended": False, "playbackRate": 1,
            **state}  # fmt: skip


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    head = {"t": T0, "session": "s", "anonymous_id": "v", "content": {"asset_id": "a"}}
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in [head, *records]))
    return path


def names(emitted: list[Emitted]) -> list[str]:
    return [name for _, name, _ in emitted]


class TestHtml5Rate:
    def test_the_rate_every_record_carries_is_the_rate(self, tmp_path: Path) -> None:
        """A page that set playbackRate 2 before recording: Seek Started is where 2x got to."""
        records = [
            html5("loadedmetadata", 0.0, 0.0, paused=True, playbackRate=2),
            html5("play", 0.1, 0.0, playbackRate=2),
            html5("playing", 0.2, 0.0, playbackRate=2),
            html5("seeking", 5.2, 40.0, playbackRate=2),  # 5 s at 2x: the player was at 10
            html5("seeked", 5.3, 40.0, playbackRate=2),
            html5("playing", 5.4, 40.0, playbackRate=2),
        ]
        messages = list(replay([write(tmp_path / "rate.log", records)], dialect="html5"))
        started = next(m for m in messages if m["event"] == "Video Playback Seek Started")
        assert 10 == started["properties"]["position"]

    def test_a_carried_rate_is_told_once_after_the_load(self) -> None:
        """The first record's rate 2 is a ratechange after the load; the same rate again, none."""
        translator = Html5Translator()
        first = translator.feed(T0, html5("loadedmetadata", 0, 0.0, playbackRate=2))
        again = translator.feed(T0 + 1, html5("play", 1, 0.0, playbackRate=2))
        assert (["load", "ratechange"], ["play"]) == (names(first), names(again))
        assert {"rate": 2.0} == first[1][2]

    def test_playing_again_after_the_end_keeps_the_rate(self) -> None:
        """The next session (played again after the end) starts at the rate the page has."""
        translator = Html5Translator()
        translator.feed(T0, html5("loadedmetadata", 0, 0.0, playbackRate=2))
        translator.feed(T0 + 1, html5("playing", 1, 0.0, playbackRate=2))
        translator.feed(T0 + 30, html5("ended", 30, 60.0, ended=True, playbackRate=2))
        again = translator.feed(T0 + 31, html5("play", 31, 0.0, playbackRate=2))
        assert ["exit", "load", "ratechange", "play"] == names(again)


class TestMinimumStall:
    def test_a_waiting_of_milliseconds_is_no_stall(self) -> None:
        """html5: a 5 ms waiting then playing (Chromium at 16x) makes no Buffer pair."""
        translator = Html5Translator()
        translator.feed(T0, html5("playing", 0, 0.0))
        assert [] == translator.feed(T0 + 3.0, html5("waiting", 3.0, 48.0))
        resumed = translator.feed(T0 + 3.005, html5("playing", 3.005, 48.0))
        assert ["playing"] == names(resumed)  # its position only

    def test_the_refill_just_after_a_seek_is_no_stall(self) -> None:
        """html5: a waiting 20 ms after the first playing after a seek makes no Buffer pair."""
        translator = Html5Translator()
        translator.feed(T0, html5("playing", 0, 0.0))
        told = []
        for t, kind in ((5.0, "seeking"), (5.01, "waiting"), (5.05, "seeked"), (5.06, "playing"),
                        (5.08, "waiting"), (5.1, "playing")):  # fmt: skip
            told += names(translator.feed(T0 + t, html5(kind, t, 45.0)))
        assert ["seeking", "seeked", "playing", "playing"] == told

    def test_a_lasting_waiting_is_a_stall_from_its_start(self) -> None:
        """html5: a waiting that lasts 1 s is told dated when it began, then playing."""
        translator = Html5Translator()
        translator.feed(T0, html5("playing", 0, 0.0))
        assert [] == translator.feed(T0 + 3.0, html5("waiting", 3.0, 3.0))
        resumed = translator.feed(T0 + 4.0, html5("playing", 4.0, 3.0))
        assert [(T0 + 3.0, "waiting", {}), (T0 + 4.0, "playing", {"position": 3.0})] == resumed

    def test_a_stall_is_told_at_the_first_event_once_it_lasted(self) -> None:
        """html5: an event 0.3 s into a waiting tells the stall then, dated at its start."""
        translator = Html5Translator()
        translator.feed(T0, html5("playing", 0, 0.0))
        translator.feed(T0 + 3.0, html5("waiting", 3.0, 3.0))
        assert [(T0 + 3.0, "waiting", {})] == translator.feed(
            T0 + 3.3, {**html5("progress", 3.3, 3.0)}
        )

    @pytest.mark.parametrize("factory", [Html5Translator, MpvTranslator, VlcTranslator])
    def test_every_translator_takes_the_one_minimum(self, factory: Any) -> None:
        """Every translator's minimum stall is MIN_STALL unless given, and refuses nonsense."""
        with pytest.raises(ValueError, match="min_stall must be a number of seconds from 0"):
            factory(min_stall=-1)
        assert 0.25 == MIN_STALL

    def test_min_stall_zero_counts_every_waiting_at_once(self) -> None:
        """html5 with min_stall 0: a waiting is told at once, as it comes."""
        translator = Html5Translator(min_stall=0)
        translator.feed(T0, html5("playing", 0, 0.0))
        assert ["waiting"] == names(translator.feed(T0 + 3.0, html5("waiting", 3.0, 3.0)))

    def test_mpv_cache_pauses_shorter_than_the_minimum_are_no_stall(self) -> None:
        """mpv: paused-for-cache true then false 50 ms later makes nothing."""
        translator = mpv_playing()
        assert [] == translator.feed(3.0, {"property": "paused-for-cache", "value": True})
        assert [] == translator.feed(3.05, {"property": "paused-for-cache", "value": False})

    def test_vlc_takes_the_minimum_given(self) -> None:
        """VLC with min_stall 2: a 1 s buffering burst while playing is a refill, no stall."""
        said: dict[float, list[str]] = {}
        for minimum in (MIN_STALL, 2.0):
            translator = VlcTranslator(min_stall=minimum)
            told: list[str] = []
            for at, event in (
                (0.0, {"event": "MediaPlayerLengthChanged", "length": 60000}),
                (0.1, {"event": "MediaPlayerPlaying"}),
                (0.2, {"event": "MediaPlayerBuffering", "cache": 100.0}),
                (3.0, {"event": "MediaPlayerTimeChanged", "time": 2800}),
                (3.1, {"event": "MediaPlayerBuffering", "cache": 10.0}),
                (4.1, {"event": "MediaPlayerBuffering", "cache": 100.0}),
            ):
                told += names(translator.feed(at, event))
            said[minimum] = told
        assert "waiting" in said[MIN_STALL] and "waiting" not in said[2.0]

    def test_replay_and_the_cli_take_min_stall(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--min-stall 0 makes a 5 ms waiting a stall; bad values and the vtrack format say so."""
        log = write(tmp_path / "w.log", [html5("playing", 0.1, 0.0),
                                         html5("waiting", 3.0, 3.0),
                                         html5("playing", 3.005, 3.0)])  # fmt: skip
        default = [m["event"] for m in replay([log], dialect="html5")]
        every = [m["event"] for m in replay([log], dialect="html5", min_stall=0)]
        assert (
            "Video Playback Buffer Started" in default,
            "Video Playback Buffer Started" in every,
        ) == (False, True)
        with pytest.raises(SystemExit):
            main(["replay", str(log), "--dialect", "html5", "--min-stall", "soon"])
        assert (
            "--min-stall: a number of seconds from 0 to 60; got 'soon'" in capsys.readouterr().err
        )
        assert 2 == main(["replay", str(log), "--min-stall", "0.5", "--quiet"])
        assert "min_stall applies to players' raw logs" in capsys.readouterr().err


def mpv_playing(duration: float | None = 60.0) -> MpvTranslator:
    """An mpv translator past the first frame of a file of ``duration`` seconds."""
    translator = MpvTranslator()
    events: list[dict[str, Any]] = [{"event": "start-file"}, {"event": "file-loaded"}]
    if duration is not None:
        events.append({"property": "duration", "value": duration})
    events += [{"event": "playback-restart"}, {"property": "time-pos", "value": 0.0}]
    for event in events:
        translator.feed(1.0, event)
    return translator


class TestMpvDurationAfterTheFirstFrame:
    def test_a_duration_just_after_the_first_frame_reaches_the_load(self) -> None:
        """The duration 1 ms after playback-restart is the load's: Playback Started has it."""
        translator = MpvTranslator()
        for at, event in ((1.0, {"event": "start-file"}), (1.001, {"event": "file-loaded"}),
                          (1.05, {"event": "playback-restart"})):  # fmt: skip
            assert [] == translator.feed(at, event)
        told = translator.feed(1.051, {"property": "duration", "value": 60.0})
        assert [(1.001, "load", {"duration": 60.0}), (1.001, "play", {}),
                (1.05, "playing", {"position": 0.0})] == told  # fmt: skip

    def test_a_duration_that_never_comes_lets_the_load_go(self) -> None:
        """No duration within DURATION_WAIT of the first frame: the load goes without it."""
        translator = MpvTranslator()
        for at, event in ((1.0, {"event": "start-file"}), (1.001, {"event": "file-loaded"}),
                          (1.05, {"event": "playback-restart"})):  # fmt: skip
            translator.feed(at, event)
        assert [] == translator.feed(1.1, {"property": "time-pos", "value": 0.05})
        told = translator.feed(1.4, {"property": "time-pos", "value": 0.35})
        assert ["load", "play", "playing", "timeupdate"] == names(told)
        assert {} == told[0][2]

    def test_a_pause_during_the_wait_comes_after_the_first_frame(self) -> None:
        """A pause while the load waits: load, play, playing first, then the pause."""
        translator = MpvTranslator()
        for at, event in ((1.0, {"event": "start-file"}), (1.001, {"event": "file-loaded"}),
                          (1.05, {"event": "playback-restart"})):  # fmt: skip
            translator.feed(at, event)
        told = translator.feed(1.06, {"property": "pause", "value": True})
        assert ["load", "play", "playing", "pause"] == names(told)

    def test_an_unreadable_record_while_waiting_changes_nothing(self) -> None:
        """An unreadable record during the wait raises and leaves what was held as it was."""
        translator = MpvTranslator()
        for at, event in ((1.0, {"event": "start-file"}), (1.001, {"event": "file-loaded"}),
                          (1.05, {"event": "playback-restart"})):  # fmt: skip
            translator.feed(at, event)
        with pytest.raises(ValueError, match="must be a finite number"):
            translator.feed(2.0, {"property": "speed", "value": "fast"})
        told = translator.feed(1.051, {"property": "duration", "value": 60.0})
        assert ["load", "play", "playing"] == names(told)


class TestMpvEndIsNoPause:
    def test_a_pause_just_before_eof_reached_is_the_end(self) -> None:
        """keep-open, no audio: pause 70 us before eof-reached makes only the end."""
        translator = mpv_playing()
        translator.feed(59.7, {"property": "time-pos", "value": 59.8})
        assert [] == translator.feed(59.9, {"property": "pause", "value": True})
        told = translator.feed(59.90007, {"property": "eof-reached", "value": True})
        assert [(59.90007, "ended", {})] == told

    def test_a_pause_near_the_end_that_is_not_the_end_is_a_pause(self) -> None:
        """A pause near the end followed by a seek back is a pause, dated when it came."""
        translator = mpv_playing()
        translator.feed(59.7, {"property": "time-pos", "value": 59.8})
        assert [] == translator.feed(59.9, {"property": "pause", "value": True})
        told = translator.feed(61.0, {"event": "seek"})
        assert [(59.9, "pause", {})] == told

    def test_a_pause_far_from_the_end_is_told_at_once(self) -> None:
        """A pause mid-file is a pause at once."""
        translator = mpv_playing()
        translator.feed(10.0, {"property": "time-pos", "value": 10.0})
        assert ["pause"] == names(translator.feed(10.1, {"property": "pause", "value": True}))


class TestAStallEndsWhereItBegan:
    def test_buffer_completed_is_never_behind_buffer_started(
        self, make_session: SessionFactory
    ) -> None:
        """A playing after a stall reporting 48 where the stall began at 49 completes at 49."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="c", duration=100.0))
        session.timeupdate(48.6, at=T0 + 48.6)
        session.waiting(at=T0 + 49.0)
        session.playing(48.0, at=T0 + 52.0)
        started = props(sink, "Video Playback Buffer Started")[0]["position"]
        completed = props(sink, "Video Playback Buffer Completed")[0]["position"]
        assert (49, 49) == (started, completed)
        assert "Video Playback Buffer Completed" in events(sink)


TRAPS = Path(__file__).parent / "data" / "traps"


def recorded(name: str, **options: Any) -> list[dict[str, Any]]:
    """The messages of a replay of the recorded log ``tests/data/traps/NAME``."""
    run = replay([TRAPS / name], dialect=name.split("-")[0], **options)
    messages = list(run)
    assert [] == run.bad_lines
    return messages


def at(messages: list[dict[str, Any]], event: str) -> list[int]:
    return [m["properties"]["position"] for m in messages if m["event"] == event]


class TestRecordedTraps:
    """Each trap on the real player's log that showed it (``examples/record_*``)."""

    def test_mpv_duration_a_moment_after_the_first_frame(self) -> None:
        """mpv reported the duration 81 us after the first frame: Playback Started has it."""
        messages = recorded("mpv-duration-after-frame.log")
        started = next(m for m in messages if m["event"] == "Video Playback Started")
        assert 30 == started["properties"]["total_length"]

    def test_html5_rate_set_before_recording(self) -> None:
        """A page at 2x with no ratechange in its log: Seek Started at 10 (the player's 10.03)."""
        assert [10] == at(recorded("html5-rate-before-play.log"), "Video Playback Seek Started")

    def test_mpv_stall_ends_where_it_began_or_later(self) -> None:
        """mpv's throttled stream: no Buffer Completed is behind its Buffer Started."""
        messages = recorded("mpv-throttled-stall.log")
        pairs = list(
            zip(
                at(messages, "Video Playback Buffer Started"),
                at(messages, "Video Playback Buffer Completed"),
                strict=True,
            )
        )
        assert pairs and all(end >= start for start, end in pairs)

    def test_html5_millisecond_waits_at_16x_are_no_stall(self) -> None:
        """Chromium at 16x: a 2.9 ms waiting and a refill 22 ms after a seek make no stall."""
        events = [m["event"] for m in recorded("html5-rate16.log")]
        assert "Video Playback Buffer Started" not in events

    def test_mpv_pause_before_eof_is_the_end(self) -> None:
        """mpv keep-open, no audio track: pause 52 us before eof-reached is not a pause."""
        messages = recorded("mpv-no-audio-keep-open.log")
        assert [5] == at(messages, "Video Playback Paused")
        assert "Video Content Completed" in [m["event"] for m in messages]

    @pytest.mark.parametrize(
        "log",
        ["html5-seek45.log", "mpv-seek45.log", "vlc-seek45.log", "mpv-seek45-mp4.log",
         "vlc-seek45-mp4.log"],
    )  # fmt: skip
    def test_a_seek_landing_on_45_of_60_plays_75_percent(self, log: str) -> None:
        """Played basis: seeks land on 45.000 (WebM: 60.008 s, MP4: 60.000 s); 75 and 90 % fire."""
        messages = recorded(log, milestone_basis="played")
        fired = [m["properties"]["milestone"] for m in messages if "milestone" in m["properties"]]
        assert [75, 90] == fired

    def test_vlc_media_that_cannot_play_is_a_start_failure(self) -> None:
        """libVLC given 100 bytes of garbage: Playback Started, then Interrupted; no content."""
        messages = recorded("vlc-garbage.log")
        assert ["Video Playback Started", "Video Playback Interrupted"] == [
            m["event"] for m in messages
        ]
        assert messages[1]["properties"]["method"].startswith("error: libVLC could not play")

    def test_mpv_seek_that_lands_elsewhere_completes_where_it_landed(self) -> None:
        """mpv over a throttled link: a seek to 20 lands on 2.2; Seek Completed says 2."""
        messages = recorded("mpv-throttled-webm-seek-lands-early.log")
        assert ([20], [2]) == (
            [
                m["properties"]["seek_position"]
                for m in messages
                if "seek_position" in m["properties"]
            ],
            at(messages, "Video Playback Seek Completed"),
        )


class TestVlcFirstFrame:
    def feed(self, translator: VlcTranslator, *events: tuple[float, dict[str, Any]]) -> list[str]:
        told: list[str] = []
        for moment, event in events:
            told += names(translator.feed(moment, event))
        return told

    def test_media_of_unknown_length_starts_at_its_first_time(self) -> None:
        """No length: Content Started waits for the first TimeChanged, dated at Playing."""
        translator = VlcTranslator()
        assert ["load", "play"] == self.feed(translator, (1.0, {"event": "MediaPlayerPlaying"}))
        told = translator.feed(1.4, {"event": "MediaPlayerTimeChanged", "time": 400})
        assert [(1.0, "playing", {"position": 0.0}), (1.4, "timeupdate", {"position": 0.4})] == told

    def test_a_stop_before_the_first_frame_is_leaving_before_the_start(self) -> None:
        """No length, stopped before any frame: exit, no Content Started."""
        translator = VlcTranslator()
        told = self.feed(
            translator,
            (1.0, {"event": "MediaPlayerPlaying"}),
            (1.1, {"event": "MediaPlayerStopped"}),
        )
        assert ["load", "play", "exit"] == told

    def test_media_with_a_length_starts_at_once(self) -> None:
        """A known length: Content Started at Playing, as before."""
        translator = VlcTranslator()
        told = self.feed(
            translator,
            (0.9, {"event": "MediaPlayerLengthChanged", "length": 30000}),
            (1.0, {"event": "MediaPlayerPlaying"}),
        )
        assert ["load", "play", "playing"] == told


class TestHeldCallbacksAreNeverLost:
    """What a translator holds comes out: at the end of the input, and live, on a timer."""

    def test_an_html5_log_that_ends_while_buffering_tells_the_stall(self, tmp_path: Path) -> None:
        """A log ending in a waiting (no pagehide): Buffer Started, then Exited at its time."""
        log = write(tmp_path / "w.log", [html5("playing", 0.1, 0.0), html5("waiting", 25.1, 25.0)])
        messages = list(replay([log], dialect="html5"))
        started = [m for m in messages if m["event"] == "Video Playback Buffer Started"]
        assert [25] == [m["properties"]["position"] for m in started]
        assert "Video Playback Exited" == messages[-1]["event"]

    def test_an_mpv_log_that_ends_with_a_pause_near_the_end_tells_the_pause(
        self, tmp_path: Path
    ) -> None:
        """mpv: a pause 0.4 s before the end, then nothing: the pause is told, dated then."""
        head = {"t": T0, "session": "m", "anonymous_id": "v", "content": {"asset_id": "a"}}
        events: list[dict[str, Any]] = [
            {"event": "start-file"},
            {"event": "file-loaded"},
            {"property": "duration", "value": 60.0},
            {"event": "playback-restart"},
            {"property": "time-pos", "value": 59.6},
            {"property": "pause", "value": True},
        ]
        records = [head] + [
            {"t": T0 + n * 0.01, "session": "m", **event} for n, event in enumerate(events)
        ]
        path = tmp_path / "m.log"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        events_made = [m["event"] for m in replay([path], dialect="mpv")]
        assert "Video Playback Paused" in events_made

    def test_mpv_tells_a_held_stall_and_pause_when_they_fall_due(self) -> None:
        """mpv: due_at says when; expire() then tells the stall (dated at its start)."""
        translator = mpv_playing()
        translator.feed(3.0, {"property": "paused-for-cache", "value": True})
        assert 3.0 + MIN_STALL == translator.due_at
        assert [(3.0, "waiting", {})] == translator.expire(3.0 + MIN_STALL)
        assert translator.due_at is None

    def test_vlc_keeps_its_first_frame_past_an_unreadable_event(self) -> None:
        """VLC, unknown length: an unreadable TimeChanged raises and the first frame still comes."""
        translator = VlcTranslator()
        translator.feed(1.0, {"event": "MediaPlayerPlaying"})
        with pytest.raises(ValueError, match="time"):
            translator.feed(1.2, {"event": "MediaPlayerTimeChanged", "time": "oops"})
        told = translator.feed(1.4, {"event": "MediaPlayerTimeChanged", "time": 400})
        assert ["playing", "timeupdate"] == names(told)

    def test_html5_a_rate_set_before_an_error_reaches_the_load(self) -> None:
        """html5: the first record an error at 2x, then the load: ratechange 2 after it."""
        translator = Html5Translator()
        translator.feed(T0, html5("error", 0, 0.0, playbackRate=2))
        told = translator.feed(T0 + 1, html5("loadedmetadata", 1, 0.0, playbackRate=2))
        assert ["load", "ratechange"] == names(told)

    def test_a_live_adapter_tells_a_stall_with_no_further_event(self) -> None:
        """Live: a waiting and then silence gives Buffer Started once it lasted, on a timer."""
        from vtrack import MemorySink
        from vtrack.adapters.translated import TranslatedPlayer
        from vtrack.live import ManualDriver, Tracker

        sink = MemorySink()
        tracker = Tracker("s", sink=sink, anonymous_id="v", driver=ManualDriver())
        adapter = TranslatedPlayer(tracker, Html5Translator(), content=Content(asset_id="a"))
        adapter._feed(html5("playing", 0, 0.0))
        adapter._feed(html5("waiting", 0, 0.5))
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and "Video Playback Buffer Started" not in events(sink):
            time.sleep(0.02)
        told_before_close = "Video Playback Buffer Started" in events(sink)
        adapter.close()
        assert told_before_close
