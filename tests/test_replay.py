"""Replaying logs: interleaved sessions, sticky identity and content, bad input, live = replay."""

from __future__ import annotations

import gzip
import io
import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from vtrack import Callback, MemorySink, Session, Settings
from vtrack.cli import main
from vtrack.cli.demo import demo_callbacks
from vtrack.replay import ReplayError, SourceError, replay
from vtrack.replay.log_format import callback_record
from vtrack.replay.sources import read_lines
from vtrack.testing.schema import validate

T = 1_700_000_000.0


def write_log(path: Path, records: list[dict[str, Any]], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(record) + "\n" for record in records)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def viewing(session: str, start: float, viewer: str = "v") -> list[dict[str, Any]]:
    """A short viewing: load, play, 25 s of content with timeupdates, pause, exit."""
    records: list[dict[str, Any]] = [
        {"t": start, "session": session, "anonymous_id": viewer, "event": "load",
         "asset_id": "c1", "duration": 100.0},
        {"t": start + 0.1, "session": session, "event": "play"},
        {"t": start + 0.3, "session": session, "event": "playing", "position": 0.0},
    ]  # fmt: skip
    records += [
        {"t": start + 0.3 + p, "session": session, "event": "timeupdate", "position": float(p)}
        for p in range(1, 26)
    ]
    records += [
        {"t": start + 30.0, "session": session, "event": "pause"},
        {"t": start + 31.0, "session": session, "event": "exit"},
    ]
    return records


def events(messages: list[dict[str, Any]]) -> list[str]:
    return [message["event"] for message in messages]


class TestInterleavedSessions:
    def test_each_session_replays_as_if_alone(self, tmp_path: Path) -> None:
        """Interleaved with another, a session yields the same messages as when replayed alone."""
        one, two = viewing("s1", T, "a"), viewing("s2", T + 0.05, "b")
        mixed = sorted(one + two, key=lambda record: record["t"])
        together = list(replay([write_log(tmp_path / "mixed.log", mixed)]))
        alone = list(replay([write_log(tmp_path / "one.log", one)]))
        assert [m for m in together if m["anonymousId"] == "a"] == alone
        assert [
            "Video Playback Started",
            "Video Content Started",
            "Video Content Playing",
            "Video Content Playing",
            "25% Content Completed",
            "Video Playback Paused",
            "Video Playback Exited",
        ] == events(alone)

    def test_a_session_leaves_memory_when_it_exits(self, tmp_path: Path) -> None:
        """Two sessions in turn: at most one is held open, both are counted, none left open."""
        run = replay([write_log(tmp_path / "a.log", viewing("s1", T) + viewing("s2", T + 40))])
        counts = []
        for _ in run:
            counts.append(run.replayer.open_sessions)
        assert 1 == max(counts)
        assert run.stats.sessions == 2 and run.stats.open_at_end == 0

    def test_a_session_id_used_again_after_exit_starts_a_new_session(self, tmp_path: Path) -> None:
        """A session id reused after its exit starts a second playback; no message id repeats."""
        messages = list(replay([write_log(tmp_path / "a.log", viewing("s1", T) * 1)]))
        again = list(
            replay([write_log(tmp_path / "b.log", viewing("s1", T) + viewing("s1", T + 40))])
        )
        assert again[: len(messages)] == messages
        assert 2 == events(again).count("Video Playback Started")
        assert len({m["messageId"] for m in again}) == len(again)

    def test_a_session_open_at_the_end_exits_at_its_last_time(self, tmp_path: Path) -> None:
        """A session still open at the end of input is exited at the time of its last record."""
        records = viewing("s1", T)[:-2]  # no pause, no exit
        messages = list(replay([write_log(tmp_path / "a.log", records)]))
        assert "Video Playback Exited" == messages[-1]["event"]
        assert "2023-11-14T22:13:45.300Z" == messages[-1]["timestamp"]

    def test_keep_open_leaves_it_as_it_is(self, tmp_path: Path) -> None:
        """With keep_open a session open at the end is not exited and is counted as open."""
        records = viewing("s1", T)[:-2]
        run = replay([write_log(tmp_path / "a.log", records)], keep_open=True)
        messages = list(run)
        assert "Video Playback Exited" not in events(messages)
        assert 1 == run.stats.open_at_end

    def test_records_from_several_files_continue_one_session(self, tmp_path: Path) -> None:
        """A session split over a plain and a gzip file replays the same as from one file."""
        records = viewing("s1", T)
        whole = list(replay([write_log(tmp_path / "whole.log", records)]))
        first = write_log(tmp_path / "part1.log", records[:10])
        second = write_log(tmp_path / "part2.log.gz", records[10:], compress=True)
        assert list(replay([first, second])) == whole


class TestStickyFields:
    def test_records_before_the_viewer_is_named_wait_for_it(self, tmp_path: Path) -> None:
        """Records before the one naming the viewer are held, then replayed as if it came first."""
        records = viewing("s1", T, "late")
        del records[0]["anonymous_id"]
        records[5]["anonymous_id"] = "late"
        messages = list(replay([write_log(tmp_path / "a.log", records)]))
        assert messages == list(replay([write_log(tmp_path / "b.log", viewing("s1", T, "late"))]))

    def test_a_session_that_never_names_its_viewer_is_reported(self, tmp_path: Path) -> None:
        """A session never naming its viewer sends nothing; its 30 lines are reported at line 1."""
        records = viewing("s1", T)
        del records[0]["anonymous_id"]
        run = replay([write_log(tmp_path / "a.log", records)])
        assert [] == list(run)
        assert 30 == run.bad_line_count  # every line of the session, reported once
        (where, reason) = run.bad_lines[0]
        assert (str(tmp_path / "a.log"), 1) == where
        assert "never named its viewer" in reason and "30 records" in reason

    def test_another_viewer_in_the_same_session_is_a_bad_line(self, tmp_path: Path) -> None:
        """A record naming another viewer for a session already owned is a bad line at its line."""
        records = viewing("s1", T)
        records[3]["user_id"] = "someone-else"
        run = replay([write_log(tmp_path / "a.log", records)])
        list(run)
        assert [
            (
                (str(tmp_path / "a.log"), 4),
                "session 's1' already belongs to anonymous_id 'v'; got user_id 'someone-else'",
            )
        ] == run.bad_lines

    def test_content_metadata_on_a_later_record_sticks(self, tmp_path: Path) -> None:
        """A content object on a later record sets the title from then on, with no new playback."""
        records = viewing("s1", T)
        records[10]["content"] = {"title": "Named later"}
        messages = list(replay([write_log(tmp_path / "a.log", records)]))
        titles = [m["properties"].get("title") for m in messages if "Content" in m["event"]]
        assert [None, "Named later", "Named later", "Named later"] == titles
        assert "Video Playback Started" not in events(messages)[1:]  # an update, not an item

    def test_content_metadata_before_the_load_is_used_by_it(self, tmp_path: Path) -> None:
        """Content metadata on a record before the load is used in the loaded content's messages."""
        records = viewing("s1", T)
        records.insert(0, {"t": T - 1, "session": "s1", "event": "volume", "level": 50,
                           "content": {"title": "Early", "program": "P"}})  # fmt: skip
        messages = list(replay([write_log(tmp_path / "a.log", records)]))
        started = messages[1]
        assert "Video Content Started" == started["event"]
        assert "Early" == started["properties"]["title"]
        assert "P" == started["properties"]["program"]

    def test_a_content_object_may_not_switch_the_asset(self, tmp_path: Path) -> None:
        """A content object changing the asset_id is a bad line: a new item needs a load record."""
        records = viewing("s1", T)
        records[10]["content"] = {"asset_id": "other"}
        run = replay([write_log(tmp_path / "a.log", records)])
        list(run)
        assert 1 == run.bad_line_count
        assert "a new item starts with a load record" in run.bad_lines[0][1]

    def test_content_the_core_refuses_is_a_bad_line(self, tmp_path: Path) -> None:
        """A load whose ad schedule the core refuses is reported as a bad line at line 1."""
        records = viewing("s1", T)
        records[0]["ad_schedule"] = [{"type": "sometimes"}]
        run = replay([write_log(tmp_path / "a.log", records)])
        list(run)
        assert 1 == run.bad_lines[0][0][1]
        assert "type must be one of pre-roll, mid-roll, post-roll" in run.bad_lines[0][1]


class TestBadInput:
    def test_bad_lines_are_skipped_counted_and_named(self, tmp_path: Path) -> None:
        """Non-JSON, unknown event, NaN and non-UTF-8 lines are skipped and reported by line."""
        path = tmp_path / "a.log"
        lines = [json.dumps(r) for r in viewing("s1", T)]
        lines.insert(3, "{not json")
        lines.insert(5, json.dumps({"t": T + 0.31, "session": "s1", "event": "rewind"}))
        lines.insert(7, '{"t": NaN, "event": "play"}')
        path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
        seen: list[tuple[tuple[str, int], str]] = []
        run = replay([path], on_bad_line=lambda where, reason: seen.append((where, reason)))
        messages = list(run)
        assert [4, 6, 8, 34] == [where[1] for where, _ in seen]
        assert seen[0][1].startswith("not JSON: unexpected character, expected a string key")
        assert seen[1][1].startswith("unknown event 'rewind'")
        assert "(NaN and Infinity are not JSON numbers)" in seen[2][1]
        assert seen[3][1].startswith("not UTF-8 text")
        assert run.bad_line_count == 4 and run.bad_lines == seen
        assert messages == list(replay([write_log(tmp_path / "b.log", viewing("s1", T))]))

    def test_time_going_back_within_a_session_is_a_bad_line(self, tmp_path: Path) -> None:
        """A record whose time goes backwards within its session is a bad line at its line."""
        records = viewing("s1", T)
        records[5]["t"] = T - 10
        run = replay([write_log(tmp_path / "a.log", records)])
        list(run)
        assert 6 == run.bad_lines[0][0][1]
        assert run.bad_lines[0][1].startswith("time went backwards in session 's1'")

    def test_strict_stops_at_the_first_bad_line(self, tmp_path: Path) -> None:
        """With strict the first bad line raises ReplayError as FILE:LINE after earlier messages."""
        records = viewing("s1", T)
        records[5]["position"] = "five"
        run = replay([write_log(tmp_path / "a.log", records)], strict=True)
        taken: list[dict[str, Any]] = []
        with pytest.raises(ReplayError) as caught:
            taken.extend(run)
        assert (
            f"{tmp_path / 'a.log'}:6: timeupdate: \"position\" must be a number; got 'five'"
            == str(caught.value)
        )
        assert ["Video Playback Started", "Video Content Started"] == events(taken)

    def test_strict_stops_at_a_refused_callback(self, tmp_path: Path) -> None:
        """With strict a callback refused in the session's state raises ReplayError at its line."""
        records = viewing("s1", T)
        records.insert(4, {"t": T + 1.35, "session": "s1", "event": "seeked"})
        with pytest.raises(ReplayError, match=r"a\.log:5: 'seeked' refused in state 'playing'"):
            list(replay([write_log(tmp_path / "a.log", records)], strict=True))

    def test_refused_callbacks_are_counted_when_lenient(self, tmp_path: Path) -> None:
        """Without strict a refused callback is counted as an anomaly, not as a bad line."""
        records = viewing("s1", T)
        records.insert(4, {"t": T + 1.35, "session": "s1", "event": "seeked"})
        run = replay([write_log(tmp_path / "a.log", records)])
        list(run)
        assert {"seeked in playing": 1} == run.stats.anomalies
        assert 0 == run.bad_line_count

    def test_an_empty_file(self, tmp_path: Path) -> None:
        """An empty log file raises SourceError saying the log is empty."""
        (tmp_path / "empty.log").write_text("")
        with pytest.raises(SourceError, match=r"empty\.log: the log is empty"):
            list(replay([tmp_path / "empty.log"]))

    def test_a_missing_file(self, tmp_path: Path) -> None:
        """A missing log file raises SourceError saying it cannot be read."""
        with pytest.raises(SourceError, match=r"nope\.log: cannot read: No such file"):
            list(replay([tmp_path / "nope.log"]))

    def test_a_broken_gzip_file(self, tmp_path: Path) -> None:
        """A .gz file with a gzip header but no valid data raises SourceError: not valid gzip."""
        path = tmp_path / "broken.log.gz"
        path.write_bytes(b"\x1f\x8b" + b"\x00" * 30)
        with pytest.raises(SourceError, match=r"broken\.log\.gz: not a valid gzip file"):
            list(replay([path]))

    def test_a_truncated_gzip_file_fails_after_its_readable_lines(self, tmp_path: Path) -> None:
        """A truncated gzip log raises SourceError naming the line where its data ends early."""
        data = gzip.compress("".join(json.dumps(r) + "\n" for r in viewing("s1", T)).encode())
        path = tmp_path / "cut.log.gz"
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(SourceError, match=r"cut\.log\.gz:\d+: the gzip data ends early"):
            list(replay([path]))

    def test_a_gzip_file_cut_inside_an_overlong_line_names_that_line(self, tmp_path: Path) -> None:
        """A gzip log whose data ends inside a line longer than the cap names that line."""
        first = b'{"t": 1700000000.0, "event": "pause", "anonymous_id": "v"}\n'
        data = gzip.compress(first + b"x" * 300_000 + b"\n", mtime=0)
        path = tmp_path / "cut.log.gz"
        path.write_bytes(data[: len(data) // 2])
        lines = read_lines(path, max_line_bytes=64)
        assert (1, first) == next(lines)
        with pytest.raises(SourceError) as raised:
            next(lines)
        assert str(raised.value).startswith(f"{path}:2: the gzip data ends early")

    def test_nothing_to_replay(self) -> None:
        """Calling replay with no sources raises ValueError: nothing to replay."""
        with pytest.raises(ValueError, match="nothing to replay"):
            replay([])


class TestSources:
    def test_gzip_and_plain_give_the_same_messages(self, tmp_path: Path) -> None:
        """A gzip log and its plain-text copy replay to the same messages."""
        records = viewing("s1", T)
        plain = write_log(tmp_path / "a.log", records)
        packed = write_log(tmp_path / "a.log.gz", records, compress=True)
        assert list(replay([plain])) == list(replay([packed]))

    def test_standard_input(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The source - reads the log from standard input, giving the same messages as a file."""
        records = viewing("s1", T)
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
        assert list(replay(["-"])) == list(replay([write_log(tmp_path / "a.log", records)]))

    def test_blank_lines_are_ignored(self, tmp_path: Path) -> None:
        """Blank lines between records are skipped and not counted as bad lines."""
        path = tmp_path / "a.log"
        path.write_text("\n".join(json.dumps(r) for r in viewing("s1", T)).replace("\n", "\n\n"))
        run = replay([path])
        assert len(list(run)) == 7 and run.bad_line_count == 0


class TestDeterminism:
    def test_the_same_input_gives_the_same_messages(self, tmp_path: Path) -> None:
        """Replaying the same log twice gives identical messages, message ids included."""
        records = viewing("s1", T) + viewing("s2", T + 1)
        records.sort(key=lambda r: r["t"])
        path = write_log(tmp_path / "a.log", records)
        assert list(replay([path])) == list(replay([path]))

    def test_two_logs_calling_a_session_s1_do_not_collide(self, tmp_path: Path) -> None:
        """Two logs each with a session s1 produce no message id in common."""
        one = list(replay([write_log(tmp_path / "a.log", viewing("s1", T, "a"))]))
        two = list(replay([write_log(tmp_path / "b.log", viewing("s1", T + 5, "a"))]))
        assert not {m["messageId"] for m in one} & {m["messageId"] for m in two}


def live_run(
    scripts: dict[str, list[Callback]], heartbeat: int
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Drive sessions live: a fake clock, a timer that calls advance() at each deadline.

    Returns each session's messages and the log a recorder wrote of their callbacks.
    """
    now = [0.0]
    settings = Settings(heartbeat=heartbeat, clock=lambda: now[0])
    sinks = {key: MemorySink() for key in scripts}
    sessions = {
        key: Session(key, anonymous_id=f"viewer-{key}", sink=sinks[key], settings=settings)
        for key in scripts
    }
    steps = sorted(
        ((callback.at or 0.0, key, index, callback) for key, script in scripts.items()
         for index, callback in enumerate(script)),
        key=lambda step: step[:3],
    )  # fmt: skip
    log: list[dict[str, Any]] = []
    for at, key, index, callback in steps:
        # The live timer: everything due before this callback fires at its own moment.
        while True:
            due = [
                (deadline, k)
                for k, s in sessions.items()
                if (deadline := s.next_deadline()) is not None and deadline <= at
            ]
            if not due:
                break
            deadline, due_key = min(due)
            now[0] = deadline
            sessions[due_key].advance()
        now[0] = at
        live = Callback(callback.name, None, callback.args)
        sessions[key].handle(live)  # no at=: the session reads the clock
        record = callback_record(callback, session=key)
        if index == 0:
            record["anonymous_id"] = f"viewer-{key}"
        log.append(record)
    return {key: sink.messages for key, sink in sinks.items()}, log


def scripted_viewing(rng: random.Random, start: float) -> list[Callback]:
    """A random but plausible viewing of the demo content, ending with exit."""
    script = [c for c in demo_callbacks() if c.name == "load"][:1]
    t = start
    script = [Callback("load", t, script[0].args), Callback("play", t + 0.2)]
    t += 0.5
    position = 0.0
    script.append(Callback("playing", t, {"position": position}))
    for _ in range(rng.randrange(20, 80)):
        roll = rng.random()
        if roll < 0.75:
            step = rng.uniform(0.2, 3.0)
            t, position = t + step, min(position + step, 180.0)
            script.append(Callback("timeupdate", t, {"position": position}))
        elif roll < 0.85:
            script.append(Callback("pause", t))
            t += rng.uniform(0.5, 20)
            script += [Callback("play", t), Callback("playing", t + 0.1, {"position": position})]
            t += 0.1
        elif roll < 0.95:
            target = rng.uniform(0, 170)
            script.append(Callback("seeking", t, {"position": target}))
            t += rng.uniform(0.1, 2)
            script.append(Callback("seeked", t, {"position": target}))
            position = target
        else:
            script.append(Callback("quality", t, {"bitrate": rng.choice([800, 1600])}))
    script.append(Callback("exit", t + 1))
    return script


@pytest.mark.parametrize("seed", range(5))
def test_replay_equals_live(tmp_path: Path, seed: int) -> None:
    """Sessions driven live with a fake clock, recorded, replayed: the very same messages."""
    rng = random.Random(seed)
    scripts = {f"s{i}": scripted_viewing(rng, T + rng.uniform(0, 30)) for i in range(4)}
    live, log = live_run(scripts, heartbeat=10)
    replayed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in replay([write_log(tmp_path / "live.log", log)], heartbeat=10):
        replayed[message["anonymousId"].removeprefix("viewer-")].append(message)
    assert sum(len(messages) for messages in live.values()) > 20
    assert dict(replayed) == live


def test_the_documented_example_replays_as_documented() -> None:
    """docs/log-format.md's example is examples/player.log, and makes what the text says."""
    root = Path(__file__).parent.parent
    doc = (root / "docs" / "log-format.md").read_text()
    example = root / "examples" / "player.log"
    assert doc.split("```json\n")[1].split("```")[0] == example.read_text()
    run = replay([example])
    messages = list(run)
    assert len(messages) == 32 and run.bad_line_count == 0 and run.stats.anomaly_count == 0
    for message in messages:
        validate(message)
    s1 = [m for m in messages if m.get("userId") == "u-42"]
    milestone = next(m for m in s1 if m["event"] == "25% Content Completed")
    assert 150 == milestone["properties"]["position"]
    assert "Video Playback Exited" == s1[-1]["event"]
    assert 645 == s1[-1]["properties"]["total_length"]
    s2 = [m for m in messages if m.get("anonymousId") == "anon-7"]
    assert all(m["properties"]["livestream"] is True for m in s2)
    assert "Video Playback Exited" == s2[-1]["event"]
    assert "2023-11-14T22:14:25.000Z" == s2[-1]["timestamp"]


def live_messages(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages of one live session fed the callbacks the records of session s describe."""
    from vtrack.replay.engine import _content
    from vtrack.replay.log_format import parse_record

    sink = MemorySink()
    session = None
    for obj in records:
        record = parse_record(obj)
        if session is None:
            assert record.identity is not None
            key, value = record.identity
            session = Session(record.session, sink=sink, **{key: value})
        if record.event == "load":
            session.load(_content(dict(record.args)), at=record.at)
        else:
            getattr(session, record.event)(**record.args, at=record.at)
    assert session is not None
    session.exit(at=session.last_at)
    return sink.messages


class TestRegressions:
    """Cases a review found, each checked against what a live session does."""

    def test_a_load_the_session_refused_is_not_taken_up_later(self, tmp_path: Path) -> None:
        """A load refused mid-ad is an anomaly; later records keep asset a, as live sessions do."""
        records = [
            {"t": T, "user_id": "u", "event": "load", "asset_id": "a", "duration": 100},
            {"t": T + 1, "event": "play"},
            {"t": T + 2, "event": "ad_break_start", "pod_id": "p", "type": "pre-roll",
             "ad_count": 1},
            {"t": T + 2, "event": "ad_start", "asset_id": "ad1", "length": 5},
            {"t": T + 3, "event": "load", "asset_id": "b", "duration": 50},  # refused in an ad
            {"t": T + 7, "event": "ad_end"},
            {"t": T + 7, "event": "ad_break_end"},
            {"t": T + 7, "event": "playing", "position": 0},
            {"t": T + 10, "event": "timeupdate", "position": 3, "content": {"title": "New"}},
            {"t": T + 20, "event": "timeupdate", "position": 13},
        ]  # fmt: skip
        run = replay([write_log(tmp_path / "a.log", records)])
        messages = list(run)
        assert {"load in ad_playing": 1} == run.stats.anomalies
        untitled = {key: value for key, value in records[8].items() if key != "content"}
        live = live_messages([*records[:8], untitled, *records[9:]])
        assert [m["event"] for m in messages] == [m["event"] for m in live]
        assert 105 == messages[-1]["properties"]["total_length"]  # a's 100 s + the 5 s ad
        assert all(m["properties"].get("asset_id") in (None, "a", "ad1") for m in messages)

    def test_records_after_a_fatal_error_belong_to_the_same_viewer(self, tmp_path: Path) -> None:
        """The exit after a fatal error is no bad line even with strict; the last is Interrupted."""
        records = [
            {"t": T, "user_id": "u", "event": "load", "duration": 100, "asset_id": "a"},
            {"t": T + 1, "event": "play"},
            {"t": T + 1.5, "event": "playing", "position": 0},
            {"t": T + 5, "event": "error", "message": "decode", "fatal": True},
            {"t": T + 6, "event": "exit"},
        ]
        run = replay([write_log(tmp_path / "a.log", records)], strict=True)
        assert "Video Playback Interrupted" == [m["event"] for m in run][-1]
        assert 0 == run.bad_line_count

    def test_a_session_started_again_at_the_same_moment_gets_new_message_ids(
        self, tmp_path: Path
    ) -> None:
        """A session run twice at the same instant gives 4 messages with 4 distinct ids."""
        once = [
            {"t": T, "session": "s", "user_id": "u", "event": "load", "asset_id": "a"},
            {"t": T, "session": "s", "event": "play"},
            {"t": T, "session": "s", "event": "exit"},
        ]
        messages = list(replay([write_log(tmp_path / "a.log", once + once)]))
        assert 4 == len(messages)
        assert 4 == len({m["messageId"] for m in messages})

    def test_strict_stops_at_the_line_where_a_waiting_record_is_refused(
        self, tmp_path: Path
    ) -> None:
        """With strict a held record refused once its viewer is named fails at the naming line."""
        records = [{"t": T, "session": "a", "event": "pause"}, *viewing("b", T, "u")[:5],
                   {"t": T + 31, "session": "a", "user_id": "v", "event": "play"}]  # fmt: skip
        run = replay([write_log(tmp_path / "a.log", records)], strict=True)
        taken: list[dict[str, Any]] = []
        with pytest.raises(ReplayError) as caught:
            taken.extend(run)
        assert 7 == caught.value.where[1]
        assert caught.value.reason.startswith("the record of line 1, applied once the viewer")
        assert ["Video Playback Started", "Video Content Started"] == events(taken)

    def test_strict_stops_for_a_session_without_viewer_before_the_end_of_input(
        self, tmp_path: Path
    ) -> None:
        """With strict a session never naming its viewer raises before open sessions exit."""
        records = [{"t": T, "session": "z", "event": "play"}, *viewing("b", T, "u")[:5]]
        run = replay([write_log(tmp_path / "a.log", records)], strict=True)
        taken: list[dict[str, Any]] = []
        with pytest.raises(ReplayError, match="never named its viewer"):
            taken.extend(run)
        assert "Video Playback Exited" not in events(taken)

    def test_records_waiting_for_a_viewer_are_bounded(self, tmp_path: Path) -> None:
        """Past WAITING_LIMIT held records a viewerless session is dropped, every line reported."""
        # The real limit (the engine may be compiled: a patched constant would not be seen).
        from vtrack.replay.engine import WAITING_LIMIT

        lines = WAITING_LIMIT + 7
        records = [{"t": T + i, "session": "n", "event": "timeupdate", "position": float(i)}
                   for i in range(lines)]  # fmt: skip
        run = replay([write_log(tmp_path / "a.log", records)])
        assert [] == list(run)
        assert lines == run.bad_line_count
        assert (
            (str(tmp_path / "a.log"), 1),
            f"session 'n' never named its viewer (user_id or anonymous_id): its {WAITING_LIMIT} "
            "records from this one on were not replayed",
        ) == run.bad_lines[0]
        assert 0 == run.replayer.open_sessions


class TestLineCap:
    def write(self, path: Path, long_line: bytes) -> Path:
        good = viewing("s1", T, "a")
        lines = [json.dumps(record).encode() for record in good]
        path.write_bytes(b"\n".join([lines[0], long_line, *lines[1:]]) + b"\n")
        return path

    def test_an_overlong_line_is_a_bad_line_and_the_rest_replays(self, tmp_path: Path) -> None:
        """A 5 MB line under a 1 MiB cap: FILE:2 names it; every other line replays."""
        path = self.write(tmp_path / "long.log", b'{"t": 1, "pad": "' + b"x" * 5_000_000 + b'"}')
        plain = tmp_path / "plain.log"
        lines = path.read_bytes().split(b"\n")
        plain.write_bytes(b"\n".join(line for n, line in enumerate(lines) if n != 1))
        run = replay([path])
        messages = list(run)
        reason = (
            "a line of 5,000,019 bytes, longer than the cap of 1,048,576 (max_line_bytes): skipped"
        )
        assert [((str(path), 2), reason)] == run.bad_lines
        assert list(replay([plain])) == messages

    def test_memory_stays_bounded_by_the_cap(self, tmp_path: Path) -> None:
        """A 64 MB line (gzip-compressed) is read past holding at most a few MB."""
        import tracemalloc

        path = tmp_path / "huge.log.gz"
        with gzip.open(path, "wb") as stream:
            stream.write(b'{"t": 1, "event": "play"}\n' + b"y" * 64_000_000 + b"\n")
        tracemalloc.start()
        try:
            run = replay([path])
            list(run)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert any("a line of 64,000,000 bytes" in reason for _, reason in run.bad_lines)
        assert peak < 8_000_000

    def test_the_cap_is_configurable_and_checked(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--max-line-bytes lowers the cap; a cap under 64 bytes is refused in one line."""
        path = self.write(tmp_path / "long.log", b'{"t": 1, "pad": "' + b"x" * 500 + b'"}')
        assert 1 == main(["replay", str(path), "--max-line-bytes", "200", "--quiet"])
        err = capsys.readouterr().err
        assert f"{path}:2: a line of 519 bytes, longer than the cap of 200" in err
        with pytest.raises(SystemExit):
            main(["replay", str(path), "--max-line-bytes", "10"])
        assert "a whole number of bytes, at least 64; got '10'" in capsys.readouterr().err
        with pytest.raises(ValueError, match="max_line_bytes must be a whole number"):
            replay([path], max_line_bytes=0)


class TestMaxOpenSessions:
    def interleaved(self, tmp_path: Path, sessions: int) -> Path:
        records = [r for n in range(sessions) for r in viewing(f"s{n}", T + n * 0.01, f"v{n}")]
        records.sort(key=lambda record: record["t"])
        return write_log(tmp_path / "many.log", records)

    def test_the_least_recently_active_session_exits_at_its_last_record(
        self, tmp_path: Path
    ) -> None:
        """Bound 3 on 10 interleaved sessions: every session started also exits, all valid."""
        path = self.interleaved(tmp_path, 10)
        run = replay([path], max_open_sessions=3)
        messages = list(run)
        assert [] == run.bad_lines and run.stats.ended_early > 0
        exits = [m for m in messages if m["event"] == "Video Playback Exited"]
        starts = [m for m in messages if m["event"] == "Video Playback Started"]
        assert len(starts) == len(exits) > 10  # sessions ended early start again later
        for message in messages:
            validate(message)

    def test_a_bound_that_is_never_reached_changes_nothing(self, tmp_path: Path) -> None:
        """With a bound above the sessions open at once the output is the same, byte for byte."""
        path = self.interleaved(tmp_path, 10)
        assert list(replay([path])) == list(replay([path], max_open_sessions=10))

    def test_the_open_sessions_stay_within_the_bound(self, tmp_path: Path) -> None:
        """The replayer never holds more open sessions than the bound."""
        path = self.interleaved(tmp_path, 20)
        run = replay([path], max_open_sessions=4)
        most = 0
        for _ in run:
            most = max(most, run.replayer.open_sessions)
        assert 4 >= most and run.stats.ended_early >= 16

    def test_the_cli_warns_with_the_count(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--max-open-sessions: a warning names how many were ended early; bad values refused."""
        path = self.interleaved(tmp_path, 10)
        assert 0 == main(["replay", str(path), "--max-open-sessions", "3", "--quiet"])
        err = capsys.readouterr().err
        assert "sessions were ended early at their last record to keep at most 3 open" in err
        with pytest.raises(SystemExit):
            main(["replay", str(path), "--max-open-sessions", "0"])
        assert "a whole number of sessions, at least 1; got '0'" in capsys.readouterr().err
        with pytest.raises(ValueError, match="max_open_sessions must be a whole number >= 1"):
            replay([path], max_open_sessions=0)
