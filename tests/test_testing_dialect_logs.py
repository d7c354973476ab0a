"""The raw player logs of ``vtrack.testing.dialect_logs``: real shapes, clean replays, one story.

A generated log of any dialect replays through the real reader with no unreadable line and no
anomaly; the players tell the same viewing the same way (where their events can); the ending
shows; damaged logs are reported line by line, never raised; the record shapes are pinned.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, example, find, given, settings
from hypothesis import strategies as st

from vtrack.players.vlc import JUMP, STALL_MIN
from vtrack.replay import replay
from vtrack.replay.run import ReplayRun
from vtrack.testing import check_invariants
from vtrack.testing.dialect_logs import (
    DAMAGE_KINDS,
    DIALECTS,
    Record,
    as_jsonl,
    damage,
    damage_lists,
    dialect_logs,
    html5_logs,
    html5_records,
    moments,
    mpv_logs,
    mpv_records,
    raw_log_lines,
    vlc_logs,
    vlc_records,
)
from vtrack.testing.strategies import quarter_seconds, viewings
from vtrack.testing.timeline import epoch_seconds, is_heartbeat
from vtrack.testing.viewing import ChangeRate, Ending, Pause, Seek, Stall, Viewing, Watch

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Viewings short enough to replay fast (a few hundred records), live ones and ads included.
SHORT: dict[str, Any] = {"duration": quarter_seconds(10.0, 120.0), "max_actions": 8}
#: The simulators, one per (dialect, variant) a log can come from.
PLAYERS = {
    "html5": ("html5", html5_records),
    "mpv keep-open=yes": ("mpv", lambda v: mpv_records(v, keep_open=True)),
    "mpv keep-open=no": ("mpv", lambda v: mpv_records(v, keep_open=False)),
    "vlc": ("vlc", vlc_records),
}


@pytest.fixture(scope="module")
def logs() -> Iterator[Path]:
    """A folder for the logs replayed (module-scoped: hypothesis runs many examples)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def replayed(folder: Path, dialect: str, text: str) -> tuple[list[dict[str, Any]], ReplayRun]:
    """The messages of the log ``text`` replayed in ``dialect`` (lenient), and the run."""
    path = folder / f"{dialect}.log"
    path.write_text(text, encoding="utf-8")
    run = replay([path], dialect=dialect)
    return list(run), run


def story(folder: Path, dialect: str, records: list[Record]) -> list[str]:
    """The event names a clean log replays to, heartbeats left out (they follow wall time)."""
    messages, run = replayed(folder, dialect, as_jsonl(records))
    assert [] == run.bad_lines
    assert 0 == run.stats.anomaly_count
    return [m["event"] for m in messages if not is_heartbeat(m)]


def reported(run: ReplayRun) -> set[int]:
    return {line for (_, line), _ in run.bad_lines}


# ---------------------------------------------------------------------------- clean logs
@pytest.mark.parametrize("dialect", DIALECTS)
@BOUNDED
@given(data=st.data())
def test_a_realistic_log_replays_cleanly(logs: Path, dialect: str, data: st.DataObject) -> None:
    """A generated log runs forward in time and replays cleanly, keeping the invariants."""
    records = data.draw(dialect_logs(dialect, **SHORT), label="records")
    times = [record["t"] for record in records]
    assert times == sorted(times), "time went back"
    assert {"t", "session", "anonymous_id", "content"} == set(records[0])
    messages, run = replayed(logs, dialect, as_jsonl(records, compact=dialect == "html5"))
    assert [] == run.bad_lines
    assert 0 == run.stats.anomaly_count
    check_invariants(messages, heartbeat=10)  # the replay's default heartbeat
    assert "Video Playback Started" == messages[0]["event"]
    assert "Video Playback Exited" == messages[-1]["event"]
    assert {"viewer-1"} == {m["anonymousId"] for m in messages}


@BOUNDED
@given(records=html5_logs(**SHORT))
def test_html5_events_carry_the_elements_state(records: list[Record]) -> None:
    """html5 records carry the element's state; ended follows a pause, a playing seek a waiting."""
    for record in records[1:]:
        if record["type"] == "pagehide":
            assert ["t", "session", "type"] == list(record)
        else:
            assert ["t", "type", "currentTime", "duration", "paused", "ended",
                    "playbackRate", "session"] == list(record)  # fmt: skip
    kinds = [record.get("type") for record in records]
    for index, kind in enumerate(kinds):
        if kind == "ended":  # the end's pause comes just before, with ended: true
            assert kinds[index - 1] == "pause" and records[index - 1]["ended"] is True
        if kind == "seeking" and not records[index]["paused"]:
            assert "waiting" == kinds[index + 1]  # every seek's: not a stall


@BOUNDED
@given(records=vlc_logs(**SHORT))
def test_vlc_counts_milliseconds(records: list[Record]) -> None:
    """VLC's time and length fields are integers (milliseconds)."""
    for record in records:
        for key in ("time", "length"):
            if key in record:
                assert type(record[key]) is int


# ---------------------------------------------------------------------------- one story
@BOUNDED
@given(viewing=viewings(**SHORT))
def test_html5_and_mpv_tell_the_same_story(logs: Path, viewing: Viewing) -> None:
    """html5 and mpv logs (keep-open yes and no) of one viewing replay to the same events."""
    # mpv reports no time-pos for a seek to where it is (the property did not change): the
    # translator dates the seek from the ``seek`` event all the same.
    told = {name: story(logs, dialect, make(viewing)) for name, (dialect, make) in PLAYERS.items()}
    del told["vlc"]
    assert told["html5"] == told["mpv keep-open=yes"] == told["mpv keep-open=no"]


def instant_seeks(viewing: Viewing) -> Viewing:
    """``viewing`` with its seeks taking no time.

    libVLC has no seek event: the translator takes a seek as done at the jump of ``time``, and
    the buffering burst after it as playing; the other players say when the seek is done.
    """
    actions = tuple(attrs.evolve(a, seconds=0.0) if isinstance(a, Seek) else a
                    for a in viewing.actions)  # fmt: skip
    return attrs.evolve(viewing, actions=actions)


def vlc_can_tell(viewing: Viewing) -> bool:
    """Whether the VLC translator can read from libVLC's events all the viewing did.

    Inherent to libVLC: a seek is only a jump of ``time`` of more than ``JUMP`` from where
    playback got to (a nearby one, a seek to where it is included, looks like playing on), and
    a stall is a burst of at least ``STALL_MIN``; media of unknown length starts (Content
    Started) once something after ``Playing`` shows it plays. The translator's clock follows
    playback: it stops at a pause, stands still through a stall and goes on at each new rate.
    A margin of half a second keeps clear of ``JUMP``.
    """
    at = position = 0.0
    rate = 1.0
    # Media of unknown length shows it plays only by what follows its Playing (a time, the
    # viewer acting, a stall): a viewer who leaves (or an end that comes) before is a start
    # the translator cannot tell from media that failed to play.
    shown = viewing.duration is not None
    for moment in moments(viewing):
        if not shown and moment.kind in ("leave", "end"):
            return False
        shown = shown or moment.kind in ("tick", "pause", "seek", "stall", "rate")
        expected = position + (moment.t - at) * rate
        if moment.kind == "start":
            at, position = moment.t, moment.position
        elif moment.kind == "tick":
            if abs(moment.position - expected) > JUMP - 0.5:
                return False
            at, position = moment.t, moment.position
        elif moment.kind == "pause":  # stopped where it got to; Playing again restarts it
            at, position = moment.t + moment.seconds, expected
        elif moment.kind == "seek":
            assert moment.target is not None
            if abs(moment.target - expected) < JUMP + 0.5:
                return False
            at, position = moment.t + moment.seconds, moment.target
        elif moment.kind == "stall":
            if moment.seconds < STALL_MIN:
                return False
            at, position = moment.t + moment.seconds, expected  # time stood still
        elif moment.kind == "rate":
            at, position, rate = moment.t, expected, moment.rate
    return shown  # a log that falls silent before anything shows it plays: no start


@BOUNDED
@given(viewing=viewings(**SHORT).map(instant_seeks))
def test_vlc_tells_the_same_story(logs: Path, viewing: Viewing) -> None:
    """A viewing libVLC's events can show replays to the same events from VLC as from html5."""
    assume(vlc_can_tell(viewing))
    assert story(logs, "vlc", vlc_records(viewing)) == story(logs, "html5", html5_records(viewing))


@pytest.mark.parametrize("player", PLAYERS)
@pytest.mark.parametrize("ending", ["end", "leave", "silent"])
@settings(BOUNDED, max_examples=15)
@given(data=st.data())
def test_the_ending_shows(logs: Path, player: str, ending: Ending, data: st.DataObject) -> None:
    """Each ending shows: Exited last, Completed only if the end came, a leave at its time."""
    live = False if ending == "end" else None  # a livestream has no end
    viewing = data.draw(viewings(endings=(ending,), live=live, **SHORT), label="viewing")
    dialect, make = PLAYERS[player]
    messages, run = replayed(logs, dialect, as_jsonl(make(viewing)))
    assert run.bad_lines == [] and run.stats.anomaly_count == 0
    events = [m["event"] for m in messages]
    ended = any(m.kind == "end" for m in moments(viewing))
    assert "Video Playback Exited" == events[-1]
    assert ("Video Playback Completed" in events) == ended
    if ending == "end":
        assert ended and events[-3:-1] == ["Video Content Completed", "Video Playback Completed"]
    if ending == "leave" and not ended:
        left = next(m for m in moments(viewing) if m.kind == "leave")
        assert epoch_seconds(messages[-1]) == pytest.approx(left.t, abs=0.002)


# ---------------------------------------------------------------------------- damage
@pytest.mark.parametrize("dialect", DIALECTS)
@BOUNDED
@given(data=st.data())
def test_damage_is_reported_never_raised(logs: Path, dialect: str, data: st.DataObject) -> None:
    """Damaged logs replay without raising and report their unreadable lines; clean ones none."""
    records = data.draw(dialect_logs(dialect, **SHORT), label="records")
    damages = data.draw(damage_lists(len(records), 6), label="damages")
    damaged = damage(records, damages, dialect)
    _, run = replayed(logs, dialect, as_jsonl(damaged.records))  # raises nothing
    lines = reported(run)
    assert lines <= set(range(1, len(damaged.records) + 1))
    assert set(damaged.unreadable) <= lines
    if not damages:
        assert lines == set() and run.stats.anomaly_count == 0


@pytest.mark.parametrize("dialect", DIALECTS)
@BOUNDED
@given(data=st.data())
def test_garbled_lines_are_reported_with_their_number(
    logs: Path, dialect: str, data: st.DataObject
) -> None:
    """Every line that is not a JSON object is reported by its number, and no line beyond."""
    lines = data.draw(raw_log_lines(dialect, hostile=True, garbage=4, **SHORT), label="lines")
    _, run = replayed(logs, dialect, "".join(line + "\n" for line in lines))
    undecodable = set()
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line, parse_constant=lambda name: 1 / 0)
        except (ValueError, ZeroDivisionError):
            if line.strip():
                undecodable.add(number)
            continue
        if not isinstance(record, dict):
            undecodable.add(number)
    assert undecodable <= reported(run) <= set(range(1, len(lines) + 1))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_each_damage_on_its_own(logs: Path, dialect: str, kind: str) -> None:
    """One damage at line 10: unreadable ones reported there, others only where time goes back."""
    records = PLAYERS["mpv keep-open=yes" if dialect == "mpv" else dialect][1](PINNED)
    damaged = damage(records, [(kind, 9)], dialect)
    assert damaged.records != records
    messages, run = replayed(logs, dialect, as_jsonl(damaged.records))
    assert "Video Playback Exited" == messages[-1]["event"]
    if kind in ("wrong-type", "missing-field", "unknown-event"):
        assert (10,) == damaged.unreadable
        assert {10} == reported(run)
    else:  # readable lines, but one may now come before an earlier one's time
        assert () == damaged.unreadable
        if kind == "time-back":
            assert damaged.records[9]["t"] == pytest.approx(max(r["t"] for r in records[:9]) - 1)
        times = [record["t"] for record in damaged.records]
        backwards = {line for line in range(2, len(times) + 1)
                     if times[line - 1] < max(times[: line - 1])}  # fmt: skip
        assert reported(run) == backwards
        if kind == "time-back":
            assert {10} == backwards


@pytest.mark.parametrize("dialect", DIALECTS)
def test_hostile_logs_shrink_to_the_clean_log(dialect: str) -> None:
    """Hostile logs shrink to the clean log, or else to it with its header line doubled."""
    clean = {
        "html5": [html5_records(PINNED)],
        "mpv": [
            mpv_records(PINNED, keep_open=False),
            mpv_records(PINNED, keep_open=True),
            mpv_records(PINNED, keep_open=True, pause_first=True),
        ],
        "vlc": [vlc_records(PINNED, stops=1), vlc_records(PINNED, stops=2)],
    }[dialect]
    hostile = dialect_logs(dialect, PINNED, hostile=True)
    assert find(hostile, lambda records: True) == clean[0]
    simplest = damage(clean[0], [("duplicate", 0)], dialect).records
    assert find(hostile, lambda records: records not in clean) == simplest


def test_the_options() -> None:
    """Bad options raise with clear messages, and compact as_jsonl writes no spaces."""
    with pytest.raises(ValueError, match="unknown log dialect 'flash'; the dialects are: html5, "
                                         "mpv, vlc"):  # fmt: skip
        dialect_logs("flash")
    with pytest.raises(ValueError, match="keep_open is an mpv option"):
        dialect_logs("vlc", keep_open=True)
    with pytest.raises(TypeError, match="not both"):
        mpv_logs(PINNED, max_actions=3)
    with pytest.raises(ValueError, match="hostility must be >= 0"):
        vlc_logs(hostility=-1)
    assert '{"t":1.5,"type":"play"}\n' == as_jsonl([{"t": 1.5, "type": "play"}], compact=True)


# ---------------------------------------------------------------------------- pinned shapes
#: Play 1 s, pause 0.5 s, seek to 4 s (0.25 s), stall 0.5 s, double speed, play to the end.
PINNED = Viewing(
    duration=7.0,
    actions=(Watch(1.0), Pause(0.5), Seek(4.0, 0.25), Stall(0.5), ChangeRate(2.0)),
    ending="end",
    tick=1.0,
)
PINNED_STORY = [
    "Video Playback Started",
    "Video Content Started",
    "Video Playback Paused",
    "Video Playback Resumed",
    "Video Playback Seek Started",
    "Video Playback Seek Completed",
    "25% Content Completed",
    "50% Content Completed",
    "Video Playback Buffer Started",
    "Video Playback Buffer Completed",
    "75% Content Completed",
    "90% Content Completed",
    "Video Content Completed",
    "Video Playback Completed",
    "Video Playback Exited",
]


def state(t: float, kind: str, at: float, *, paused: bool = False, ended: bool = False,
          duration: float | None = 7, rate: float = 1) -> Record:  # fmt: skip
    """An HTML5 media event as the recorder writes it."""
    return {"t": t, "type": kind, "currentTime": at, "duration": duration, "paused": paused,
            "ended": ended, "playbackRate": rate, "session": "session-1"}  # fmt: skip


T = 1_700_000_000.0
HEADER = {"t": T, "session": "session-1", "anonymous_id": "viewer-1",
          "content": {"asset_id": "video-1"}}  # fmt: skip


def test_html5_pinned(logs: Path) -> None:
    """The pinned viewing's html5 records, compact JSON lines and replayed story are pinned."""
    records = html5_records(PINNED)
    assert [
        HEADER,
        state(T, "loadstart", 0, paused=True, duration=None),
        state(T + 0.04, "durationchange", 0, paused=True),
        state(T + 0.04, "loadedmetadata", 0, paused=True),
        state(T + 0.06, "loadeddata", 0, paused=True),
        state(T + 0.06, "canplay", 0, paused=True),
        state(T + 0.06, "canplaythrough", 0, paused=True),
        state(T + 0.1, "play", 0),
        state(T + 0.1, "playing", 0),
        state(T + 1.1, "timeupdate", 1),
        state(T + 1.1, "timeupdate", 1, paused=True),  # the pause's
        state(T + 1.1, "pause", 1, paused=True),
        state(T + 1.6, "play", 1),
        state(T + 1.6, "playing", 1),
        state(T + 1.6, "seeking", 4),
        state(T + 1.6, "waiting", 4),  # the seek's: not a stall
        state(T + 1.85, "timeupdate", 4),
        state(T + 1.85, "seeked", 4),
        state(T + 1.85, "canplay", 4),
        state(T + 1.85, "playing", 4),
        state(T + 1.85, "canplaythrough", 4),
        state(T + 1.85, "waiting", 4),  # the stall
        state(T + 2.35, "canplay", 4),
        state(T + 2.35, "playing", 4),
        state(T + 2.35, "ratechange", 4, rate=2),
        state(T + 3.35, "timeupdate", 6, rate=2),
        state(T + 3.85, "timeupdate", 7, paused=True, ended=True, rate=2),
        state(T + 3.85, "pause", 7, paused=True, ended=True, rate=2),  # the end's
        state(T + 3.85, "ended", 7, paused=True, ended=True, rate=2),
    ] == records
    assert (
        '{"t":1700000000.1,"type":"playing","currentTime":0,"duration":7,"paused":false,'
        '"ended":false,"playbackRate":1,"session":"session-1"}\n'
        '{"t":1700000001.1,"type":"timeupdate","currentTime":1,"duration":7,"paused":false,'
        '"ended":false,"playbackRate":1,"session":"session-1"}\n'
    ) == as_jsonl(records[8:10], compact=True)
    assert PINNED_STORY == story(logs, "html5", records)


def mpv(t: float, name: str, value: Any = None, **fields: Any) -> Record:
    """An mpv record: a property change (``name``, ``value``) or, with ``event=``, an event."""
    if name == "event":
        return {"t": t, "session": "session-1", "event": value, **fields}
    return {"t": t, "session": "session-1", "property": name, "value": value}


def test_mpv_pinned(logs: Path) -> None:
    """The pinned viewing's mpv records, with and without keep-open, JSON and story are pinned."""
    load = [
        HEADER,
        mpv(T + 0.01, "pause", False),
        mpv(T + 0.01, "time-pos", None),
        mpv(T + 0.01, "duration", None),
        mpv(T + 0.01, "seeking", None),
        mpv(T + 0.01, "paused-for-cache", None),
        mpv(T + 0.01, "eof-reached", None),
        mpv(T + 0.01, "speed", 1.0),
        mpv(T + 0.02, "event", "start-file"),
        mpv(T + 0.03, "event", "file-loaded"),
        mpv(T + 0.03, "time-pos", 0.0),
        mpv(T + 0.03, "duration", 7.0),
        mpv(T + 0.03, "seeking", True),  # the load's: not a seek
        mpv(T + 0.03, "paused-for-cache", False),
        mpv(T + 0.03, "eof-reached", False),
        mpv(T + 0.1, "event", "playback-restart"),
        mpv(T + 0.1, "seeking", False),
        mpv(T + 1.1, "time-pos", 1.0),
        mpv(T + 1.1, "pause", True),
        mpv(T + 1.6, "pause", False),
        mpv(T + 1.6, "event", "seek"),
        mpv(T + 1.6, "time-pos", 4.0),
        mpv(T + 1.6, "seeking", True),
        mpv(T + 1.85, "event", "playback-restart"),
        mpv(T + 1.85, "seeking", False),
        mpv(T + 1.85, "paused-for-cache", True),
        mpv(T + 2.35, "paused-for-cache", False),
        mpv(T + 2.35, "speed", 2.0),
        mpv(T + 3.35, "time-pos", 6.0),
    ]
    keep_open = mpv_records(PINNED, keep_open=True)
    assert [
        *load,
        mpv(T + 3.85, "time-pos", 7.0),
        mpv(T + 3.85, "eof-reached", True),
        mpv(T + 4.1, "pause", True),  # the end's: not the viewer's
    ] == keep_open
    closing = mpv_records(PINNED, keep_open=False)
    assert [
        *load,
        mpv(T + 3.85, "time-pos", None),  # eof-reached never becomes true
        mpv(T + 3.85, "event", "end-file", reason="eof"),
        mpv(T + 4.1, "duration", None),
        mpv(T + 4.1, "seeking", None),
        mpv(T + 4.1, "paused-for-cache", None),
        mpv(T + 4.1, "eof-reached", None),
        mpv(T + 4.35, "event", "shutdown"),
    ] == closing
    assert (
        '{"t": 1700000004.1, "session": "session-1", "property": "pause", "value": true}\n'
    ) == as_jsonl(keep_open[-1:])
    assert story(logs, "mpv", keep_open) == story(logs, "mpv", closing) == PINNED_STORY


def vlc(t: float, event: str, **payload: Any) -> Record:
    return {"t": t, "session": "session-1", "event": event, **payload}


def test_vlc_pinned(logs: Path) -> None:
    """The pinned viewing's VLC records and replayed story are pinned."""
    records = vlc_records(PINNED)
    assert [
        HEADER,
        vlc(T + 0.02, "MediaPlayerOpening"),
        vlc(T + 0.02, "MediaPlayerBuffering", cache=0.0),
        vlc(T + 0.04, "MediaPlayerSeekableChanged", seekable=1),
        vlc(T + 0.04, "MediaPlayerLengthChanged", length=7000),
        vlc(T + 0.0995, "MediaPlayerPlaying"),
        vlc(T + 0.0995, "MediaPlayerBuffering", cache=0.0),  # start-up's burst
        vlc(T + 0.099625, "MediaPlayerBuffering", cache=25.0),
        vlc(T + 0.09975, "MediaPlayerBuffering", cache=50.0),
        vlc(T + 0.099875, "MediaPlayerBuffering", cache=75.0),
        vlc(T + 0.1, "MediaPlayerBuffering", cache=100.0),
        vlc(T + 1.1, "MediaPlayerTimeChanged", time=1000),
        vlc(T + 1.1, "MediaPlayerPaused"),
        vlc(T + 1.6, "MediaPlayerPlaying"),
        vlc(T + 1.6, "MediaPlayerTimeChanged", time=4000),  # the seek: a jump, then a burst
        vlc(T + 1.6, "MediaPlayerBuffering", cache=0.0),
        vlc(T + 1.6625, "MediaPlayerBuffering", cache=25.0),
        vlc(T + 1.725, "MediaPlayerBuffering", cache=50.0),
        vlc(T + 1.7875, "MediaPlayerBuffering", cache=75.0),
        vlc(T + 1.85, "MediaPlayerBuffering", cache=100.0),
        vlc(T + 1.85, "MediaPlayerBuffering", cache=0.0),  # the stall: time stands still
        vlc(T + 1.975, "MediaPlayerBuffering", cache=25.0),
        vlc(T + 2.1, "MediaPlayerBuffering", cache=50.0),
        vlc(T + 2.225, "MediaPlayerBuffering", cache=75.0),
        vlc(T + 2.35, "MediaPlayerBuffering", cache=100.0),
        vlc(T + 2.35, "RateChanged", rate=2.0),
        vlc(T + 3.35, "MediaPlayerTimeChanged", time=6000),
        vlc(T + 3.85, "MediaPlayerEndReached"),
        vlc(T + 3.851, "MediaPlayerStopped"),
        vlc(T + 4.15, "MediaPlayerStopped"),
    ] == records
    assert PINNED_STORY == story(logs, "vlc", records)


def test_leaving_pinned(logs: Path) -> None:
    """Leaving after 1 s ends each player's log as pinned, replaying to started, content, exited."""
    viewing = Viewing(duration=7.0, actions=(Watch(1.0),), ending="leave", tick=1.0)
    assert {"t": T + 1.1, "session": "session-1", "type": "pagehide"} == html5_records(viewing)[-1]
    for keep_open in (True, False):
        assert [
            mpv(T + 1.1, "time-pos", None),
            mpv(T + 1.1, "event", "end-file", reason="quit"),
            mpv(T + 1.101, "event", "shutdown"),
        ] == mpv_records(viewing, keep_open=keep_open)[-3:]
    assert [
        vlc(T + 1.1, "MediaPlayerTimeChanged", time=1000),
        vlc(T + 1.1, "MediaPlayerStopped"),
    ] == vlc_records(viewing)[-2:]
    left = ["Video Playback Started", "Video Content Started", "Video Playback Exited"]
    for _, (dialect, make) in PLAYERS.items():
        assert left == story(logs, dialect, make(viewing))


def test_the_start_position_is_where_the_player_opens_the_file(logs: Path) -> None:
    """A viewing from 30 s replays from position 30 in every player and exits at 32."""
    viewing = Viewing(duration=70.0, actions=(Watch(2.0),), start_position=30.0)
    for _, (dialect, make) in PLAYERS.items():
        messages, _ = replayed(logs, dialect, as_jsonl(make(viewing)))
        assert [
            "Video Playback Started",
            "Video Content Started",
            "25% Content Completed",
            "Video Playback Exited",
        ] == [m["event"] for m in messages if not is_heartbeat(m)]
        started = next(m for m in messages if m["event"] == "Video Content Started")
        assert 30 == started["properties"]["position"]
        assert 32 == messages[-1]["properties"]["position"]


def test_ads_and_renditions_are_ignored_and_actions_after_the_end_too() -> None:
    """Player logs leave out ads, quality changes and actions after the end."""
    from vtrack.testing.viewing import AdBreak, ChangeQuality

    plain = Viewing(duration=3.0, actions=(Watch(5.0),), ending="leave")
    busy = attrs.evolve(plain, actions=(ChangeQuality(800_000), AdBreak((5.0,)), Watch(5.0),
                                        Pause(1.0), Stall(1.0)), preroll=(10.0,))  # fmt: skip
    for _, (_, make) in PLAYERS.items():
        assert make(busy) == make(plain)
    assert ["start", "tick", "tick", "end", "leave"] == [m.kind for m in moments(plain)]


# ---------------------------------------------------------------------------- translator bugs
# Found with these simulators; left to the translators' owners. Each test says what should
# happen: an XPASS means the bug is fixed and its marker can go.
def log(*records: Record) -> str:
    return as_jsonl([{"t": 0.0, "session": "s", "anonymous_id": "a"},
                     *({"session": "s", **r} for r in records)])  # fmt: skip


def seeks(messages: list[dict[str, Any]]) -> int:
    return sum(m["event"] == "Video Playback Seek Started" for m in messages)


VLC_PLAYING = (
    {"t": 0.0, "event": "MediaPlayerLengthChanged", "length": 60000},
    {"t": 0.0, "event": "MediaPlayerPlaying"},
    {"t": 0.0, "event": "MediaPlayerBuffering", "cache": 0.0},
    {"t": 0.0, "event": "MediaPlayerBuffering", "cache": 100.0},
    {"t": 1.0, "event": "MediaPlayerTimeChanged", "time": 1000},
)


def test_vlc_playing_on_after_a_two_second_stall_is_no_seek(logs: Path) -> None:
    """VLC: time going on from where a 2 s stall stood is no seek."""
    messages, _ = replayed(logs, "vlc", log(
        *VLC_PLAYING,
        {"t": 1.0, "event": "MediaPlayerBuffering", "cache": 0.0},
        {"t": 3.0, "event": "MediaPlayerBuffering", "cache": 100.0},
        {"t": 4.0, "event": "MediaPlayerTimeChanged", "time": 2000},
    ))  # fmt: skip
    assert 0 == seeks(messages)


def test_vlc_playing_on_after_a_slow_seek_is_no_second_seek(logs: Path) -> None:
    """VLC: time going on from a slow seek's target makes no second seek."""
    messages, _ = replayed(logs, "vlc", log(
        *VLC_PLAYING,
        {"t": 1.0, "event": "MediaPlayerTimeChanged", "time": 30000},
        {"t": 1.0, "event": "MediaPlayerBuffering", "cache": 0.0},
        {"t": 3.0, "event": "MediaPlayerBuffering", "cache": 100.0},
        {"t": 4.0, "event": "MediaPlayerTimeChanged", "time": 31000},
    ))  # fmt: skip
    assert 1 == seeks(messages)


def test_vlc_a_rate_change_between_reports_is_no_seek(logs: Path) -> None:
    """VLC: a rate change between time reports is counted at each rate, so no seek."""
    messages, _ = replayed(logs, "vlc", log(
        *VLC_PLAYING,
        {"t": 1.4, "event": "RateChanged", "rate": 8.0},
        {"t": 1.5, "event": "MediaPlayerTimeChanged", "time": 2200},  # 1 + 0.4 + 0.1 * 8
    ))  # fmt: skip
    assert 0 == seeks(messages)


def test_vlc_playing_on_after_a_pause_at_8x_is_no_seek(logs: Path) -> None:
    """VLC at 8x: time after a pause goes on from where the pause stopped it, so no seek."""
    messages, _ = replayed(logs, "vlc", log(
        {"t": 0.0, "event": "RateChanged", "rate": 8.0},
        *VLC_PLAYING[:4],
        {"t": 1.0, "event": "MediaPlayerTimeChanged", "time": 8000},
        {"t": 1.25, "event": "MediaPlayerPaused"},  # at 10 s: libVLC reports every 250 ms
        {"t": 2.0, "event": "MediaPlayerPlaying"},
        {"t": 2.25, "event": "MediaPlayerTimeChanged", "time": 12000},
    ))  # fmt: skip
    assert 0 == seeks(messages)


def test_mpv_a_seek_to_where_it_is_starts_when_asked(logs: Path) -> None:
    """mpv: a seek to where it is starts at 9 s when asked, and 25% is reached at 12 s."""
    messages, _ = replayed(logs, "mpv", log(
        {"t": 0.0, "event": "start-file"},
        {"t": 0.0, "event": "file-loaded"},
        {"t": 0.0, "property": "time-pos", "value": 0.0},
        {"t": 0.0, "property": "duration", "value": 40.0},
        {"t": 0.0, "event": "playback-restart"},
        {"t": 9.0, "property": "time-pos", "value": 9.0},
        {"t": 9.0, "event": "seek"},  # no time-pos: it does not change
        {"t": 9.0, "property": "seeking", "value": True},
        {"t": 11.0, "event": "playback-restart"},
        {"t": 11.0, "property": "seeking", "value": False},
        {"t": 12.0, "property": "time-pos", "value": 10.0},
    ))  # fmt: skip
    started = next(m for m in messages if m["event"] == "Video Playback Seek Started")
    assert 9 == started["properties"]["position"]  # not 11: it played on through the seek
    # Playing stopped during the seek: 10 s (25 %) is reached at 12, not at 10.
    reached = [epoch_seconds(m) for m in messages if m["event"] == "25% Content Completed"]
    assert [12.0] == reached


def test_html5_an_unreadable_first_event_keeps_the_duration(logs: Path) -> None:
    """html5: an unreadable first event is reported at line 2, and the duration is still 30 s."""
    element = {"duration": 30, "paused": False, "ended": False}
    messages, run = replayed(logs, "html5", log(
        {"t": 0.1, "type": "ratechange", "currentTime": 0, "playbackRate": "2", **element},
        {"t": 0.2, "type": "play", "currentTime": 0, "playbackRate": 1, **element},
        {"t": 0.2, "type": "playing", "currentTime": 0, "playbackRate": 1, **element},
    ))  # fmt: skip
    assert {2} == reported(run)
    assert 30 == messages[0]["properties"].get("total_length")


# ---------------------------------------------------------------------------- the traps
class TestTheStrategiesKnowTheTraps:
    """The simulators write the traps real players showed, so property tests meet them."""

    def test_a_rate_picked_at_the_start_is_set_before_the_page_listens(self) -> None:
        """html5: a viewing that starts with a rate: every record carries it, no ratechange."""
        viewing = Viewing(duration=30.0, actions=(ChangeRate(2.0), Watch(5.0)), ending="leave")
        records = [r for r in html5_records(viewing) if "type" in r and r["type"] != "pagehide"]
        assert ({2}, False) == (
            {r["playbackRate"] for r in records},
            any(r["type"] == "ratechange" for r in records),
        )

    def test_fast_playback_brings_millisecond_waits(self) -> None:
        """html5 at 16x: waits of a few ms after reports, and a refill 20 ms after a seek."""
        viewing = Viewing(
            duration=600.0,
            actions=(ChangeRate(16.0), Watch(2.0), Seek(300.0), Watch(2.0)),
            ending="leave",
        )
        records = [r for r in html5_records(viewing) if r.get("type") in ("waiting", "playing")]
        waits = [
            round(after["t"] - before["t"], 4)
            for before, after in itertools.pairwise(records)
            if before["type"] == "waiting" and after["type"] == "playing"
        ]
        # The seek's own waiting lasts the seek; the others a few milliseconds.
        assert 3 <= len([wait for wait in waits if wait < 0.01])

    def test_mpv_may_pause_just_before_the_end(self) -> None:
        """mpv keep-open without audio: pause comes 70 us before eof-reached."""
        viewing = Viewing(duration=5.0, actions=(), ending="end")
        records = mpv_records(viewing, keep_open=True, pause_first=True)
        changes = [(r["property"], r["value"]) for r in records if "property" in r]
        assert changes.index(("pause", True)) < changes.index(("eof-reached", True))

    @BOUNDED
    @given(viewing=viewings(**SHORT))
    def test_a_pause_before_the_end_tells_the_same_story(
        self, logs: Path, viewing: Viewing
    ) -> None:
        """mpv pausing 70 us before eof-reached replays to the story of the usual order."""
        usual = story(logs, "mpv", mpv_records(viewing, keep_open=True))
        reverse = story(logs, "mpv", mpv_records(viewing, keep_open=True, pause_first=True))
        assert usual == reverse


def at_16x(viewing: Viewing) -> Viewing:
    """The viewing, played at 16x from the start for 2 s first (Chromium's millisecond waits)."""
    return attrs.evolve(viewing, actions=(ChangeRate(16.0), Watch(2.0), *viewing.actions))


@BOUNDED
@given(
    viewing=viewings(duration=quarter_seconds(60.0, 120.0), rates=(4.0, 16.0), max_actions=6).map(
        at_16x
    )
)
@example(
    viewing=Viewing(duration=120.0, actions=(ChangeRate(16.0), Watch(2.0), Seek(30.0), Watch(2.0)))
)
def test_fast_html5_tells_the_same_story(logs: Path, viewing: Viewing) -> None:
    """At 16x (millisecond waits, refills after seeks) html5 tells mpv's story."""
    html5 = story(logs, "html5", html5_records(viewing))
    assert story(logs, "mpv", mpv_records(viewing, keep_open=True)) == html5


def seek_started_at(folder: Path, dialect: str, records: list[Record]) -> list[int]:
    messages, _ = replayed(folder, dialect, as_jsonl(records))
    return [
        m["properties"]["position"] for m in messages if m["event"] == "Video Playback Seek Started"
    ]


@BOUNDED
@given(
    rate=st.sampled_from([2.0, 4.0]),
    watch=quarter_seconds(1.25, 6.0),
    tick=st.sampled_from([1.0, 0.5]),
)
def test_a_rate_set_before_the_page_listened_moves_the_playhead_at_that_rate(
    logs: Path, rate: float, watch: float, tick: float
) -> None:
    """html5 with the rate preset (no ratechange): Seek Started where mpv says, at the rate."""
    viewing = Viewing(
        duration=120.0,
        actions=(ChangeRate(rate), Watch(watch), Seek(100.0), Watch(1.0)),
        tick=tick,
    )
    expected = seek_started_at(logs, "mpv", mpv_records(viewing, keep_open=True))
    assert expected == seek_started_at(logs, "html5", html5_records(viewing))
