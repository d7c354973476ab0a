"""vtrack serve's core, no HTTP: batches of html5 records in, the messages a replay makes out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serve_feed import Batch, batches_of, by_session, interleaved, media, replayed

from vtrack import Settings
from vtrack.serve import BadBatch, Conflict, Sessionizer, SessionsFull, TooManySessions, read_batch
from vtrack.serve.clock import CLOCK_JUMP, corrected, next_offset
from vtrack.serve.recording import Recorder
from vtrack.testing.dialect_logs import damage, damage_lists, html5_records
from vtrack.testing.strategies import viewings
from vtrack.testing.viewing import Pause, Seek, Viewing, Watch

T0 = 1_700_000_000.0
HEADER = {"t": T0, "session": "s1", "anonymous_id": "v1", "content": {"asset_id": "a"}}


def body(*records: dict) -> bytes:
    return b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)


def run(
    sessionizer: Sessionizer, batches: list[Batch], *, expire: bool = True
) -> list[dict[str, object]]:
    """Feed batches as a server does (idle sessions swept before each, a refused batch
    dropped as the client drops it); end what is left."""
    out: list[dict[str, object]] = []
    for batch in batches:
        if expire:
            out += sessionizer.expire(batch.received_at)
        try:
            lines = read_batch(batch.body)
            out += sessionizer.accept(
                lines, received_at=batch.received_at, sent_at=batch.sent_at, batch=batch.batch_id
            )
        except (BadBatch, Conflict):
            continue
    out += sessionizer.finish()
    return out


def sessions(draw: st.DrawFn, count: int) -> list[Viewing]:
    drawn = draw(st.lists(viewings(ads=False), min_size=count, max_size=count))
    starts = draw(st.lists(st.floats(0, 120), min_size=count, max_size=count))
    return [
        attrs.evolve(v, session_id=f"s{i}", viewer=f"v{i}", start_at=T0 + round(start, 2))
        for i, (v, start) in enumerate(zip(drawn, starts, strict=True))
    ]


@st.composite
def players(draw: st.DrawFn, hostile: bool = False) -> list[list[Batch]]:
    """A few players at once, each with its own clock, batch size and transit time (and, if
    ``hostile``, logs damaged as real logs get damaged)."""
    count = draw(st.integers(1, 6))
    out = []
    for viewing in sessions(draw, count):
        records = html5_records(viewing)
        if hostile:
            records = damage(records, draw(damage_lists(len(records), 4)), "html5").records
        out.append(
            batches_of(
                viewing,
                records=records,
                size=draw(st.integers(1, 20)),
                skew=draw(st.sampled_from([0.0, 0.3, -2.5, 3600.0, -86_400.0])),
                latency=draw(st.floats(0.001, 0.5)),
            )
        )
    return out


def served_and_replayed(
    players: list[list[Batch]], folder: Path
) -> tuple[dict[str, list[bytes]], dict[str, list[bytes]]]:
    """What serve made of the players' batches, and the replays of what it recorded in
    ``folder``, both by session."""
    sessionizer = Sessionizer(idle_timeout=3600, recording=Recorder(folder))
    served = by_session(run(sessionizer, interleaved(players)))
    replays: dict[str, list[bytes]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        replays |= by_session(replayed(path))
    return served, replays


class TestSessionizingEqualsReplay:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(players=players())
    def test_each_session_is_its_recorded_logs_replay(
        self, tmp_path_factory: pytest.TempPathFactory, players: list[list[Batch]]
    ) -> None:
        """Interleaved batches of many players: each session's messages are, byte for byte,
        the replay of the records --record kept for it."""
        folder = tmp_path_factory.mktemp("record")
        served, replays = served_and_replayed(players, folder)
        assert replays == served
        assert len(players) == len(list(folder.glob("*.jsonl")))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(players=players(hostile=True))
    def test_damaged_logs_too(
        self, tmp_path_factory: pytest.TempPathFactory, players: list[list[Batch]]
    ) -> None:
        """Damaged logs (duplicated, dropped, reordered, unreadable records): what serve took
        is still, session by session, the replay of what it recorded."""
        folder = tmp_path_factory.mktemp("record")
        served, replays = served_and_replayed(players, folder)
        assert replays == served

    def test_the_command_line_replay_of_the_records_is_what_serve_made(
        self, tmp_path: Path
    ) -> None:
        """Thirty players at once: `vtrack replay --dialect html5 DIR/*` writes, session by
        session, the very bytes serve made."""
        watch = (Watch(12.0), Pause(3.0), Seek(40.0), Watch(30.0), Seek(5.0), Watch(8.0))
        viewings_ = [
            Viewing(
                90.0,
                watch[: 2 + i % 5],
                ending=("leave", "end", "silent")[i % 3],
                tick=0.25,
                start_at=T0 + 7 * i,
                session_id=f"s{i}",
                viewer=f"v{i}",
            )
            for i in range(30)
        ]
        skews = [0.0, 120.0, -3.2]
        batches = interleaved([batches_of(v, skew=skews[i % 3]) for i, v in enumerate(viewings_)])
        sessionizer = Sessionizer(idle_timeout=3600, recording=Recorder(tmp_path / "rec"))
        served = b"".join(
            orjson.dumps(m, option=orjson.OPT_APPEND_NEWLINE) for m in run(sessionizer, batches)
        )
        out = tmp_path / "replay.jsonl"
        logs = sorted(str(p) for p in (tmp_path / "rec").glob("*.jsonl"))
        command = [sys.executable, "-m", "vtrack.cli", "replay", "--dialect", "html5", "--quiet"]
        subprocess.run([*command, *logs, "--out", str(out)], check=True, timeout=120)
        assert by_lines(out.read_bytes()) == by_lines(served)
        assert 30 == len(by_lines(served))


def by_lines(data: bytes) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for line in data.splitlines():
        session = orjson.loads(line)["properties"]["session_id"]
        out.setdefault(session, []).append(line)
    return out


def started(sessionizer: Sessionizer, at: float = T0) -> list[dict[str, object]]:
    """A session s1 of viewer v1, playing from 0 at ``at``."""
    lines = read_batch(
        body(
            {**HEADER, "t": at},
            media(at, "loadedmetadata", 0),
            media(at, "play", 0),
            media(at, "playing", 0),
        )
    )
    return sessionizer.accept(lines, received_at=at, sent_at=at)


class TestClientClocks:
    def test_a_session_keeps_its_offset_through_small_jitter(self) -> None:
        """An estimate within CLOCK_JUMP of the session's offset leaves it as it was."""
        assert 10.0 == next_offset(10.0, 10.0 + CLOCK_JUMP / 2)

    def test_a_clock_set_meanwhile_moves_the_offset(self) -> None:
        """An estimate further than CLOCK_JUMP away replaces the offset."""
        assert 10.0 + 2 * CLOCK_JUMP == next_offset(10.0, 10.0 + 2 * CLOCK_JUMP)

    def test_a_batch_without_sent_at_keeps_the_offset(self) -> None:
        """No send time: the session's offset stays (0 for a new session)."""
        assert (0.0, 5.0) == (next_offset(None, None), next_offset(5.0, None))

    def test_no_record_is_dated_after_its_arrival_or_before_the_last(self) -> None:
        """A corrected time is clamped to the batch's arrival and the session's last record."""
        assert (T0 + 1, T0 + 5, T0 + 3) == (
            corrected(T0 + 9, 0.0, None, T0 + 1),
            corrected(T0 + 3, 0.0, T0 + 5, T0 + 9),
            corrected(T0 + 1, 2.0, T0, T0 + 9),
        )

    def test_a_clock_an_hour_ahead_is_dated_on_the_servers_clock(self) -> None:
        """Records from a clock 3600 s ahead make messages dated by the server's clock."""
        sessionizer = Sessionizer()
        ahead = T0 + 3600
        lines = read_batch(
            body(
                {**HEADER, "t": ahead},
                media(ahead, "loadedmetadata", 0),
                media(ahead, "play", 0),
                media(ahead, "playing", 0),
            )
        )
        messages = sessionizer.accept(lines, received_at=T0 + 0.05, sent_at=ahead + 0.05)
        assert ["2023-11-14T22:13:20.000Z"] == sorted({m["timestamp"] for m in messages})

    def test_a_session_never_goes_back_in_time(self, tmp_path: Path) -> None:
        """A batch whose clock went back 30 s is dated at the session's last record."""
        recorder = Recorder(tmp_path)
        sessionizer = Sessionizer(recording=recorder)
        started(sessionizer)
        lines = read_batch(body(media(T0 + 5, "timeupdate", 5), media(T0 + 6, "pause", 6)))
        sessionizer.accept(lines, received_at=T0 + 6, sent_at=T0 + 36)
        times = [orjson.loads(line)["t"] for line in (tmp_path / "s1.jsonl").read_bytes().split()]
        assert [T0] * 6 == times


class TestIdleSessions:
    def test_a_silent_session_exits_at_its_last_record(self, tmp_path: Path) -> None:
        """Idle for the timeout: Video Playback Exited, dated at the session's last record."""
        sessionizer = Sessionizer(idle_timeout=60, recording=Recorder(tmp_path))
        started(sessionizer)
        lines = read_batch(body(media(T0 + 4, "timeupdate", 4)))
        sessionizer.accept(lines, received_at=T0 + 4, sent_at=T0 + 4)
        assert [] == sessionizer.expire(T0 + 63.9)
        ended = sessionizer.expire(T0 + 64)
        assert ["Video Playback Exited"] == [m["event"] for m in ended]
        assert "2023-11-14T22:13:24.000Z" == ended[0]["timestamp"]
        assert (0, replayed(tmp_path / "s1.jsonl")[-1]) == (sessionizer.open_sessions, ended[-1])

    def test_a_session_id_back_after_its_end_is_a_new_part(self, tmp_path: Path) -> None:
        """A batch of an ended session starts a new one: its own file, and the messages the
        replay of that file makes."""
        sessionizer = Sessionizer(idle_timeout=60, recording=Recorder(tmp_path))
        first = started(sessionizer) + sessionizer.expire(T0 + 60)
        second = started(sessionizer, T0 + 100) + list(sessionizer.finish())
        assert (replayed(tmp_path / "s1.jsonl"), replayed(tmp_path / "s1.2.jsonl")) == (
            first,
            second,
        )
        assert not {m["messageId"] for m in first} & {m["messageId"] for m in second}


class TestRefusals:
    def test_another_viewer_is_a_conflict_and_nothing_is_applied(self, tmp_path: Path) -> None:
        """A record naming another viewer refuses the batch whole: nothing recorded or made."""
        sessionizer = Sessionizer(recording=Recorder(tmp_path))
        started(sessionizer)
        before = (tmp_path / "s1.jsonl").read_bytes()
        lines = read_batch(body(media(T0 + 1, "pause", 1), {**HEADER, "anonymous_id": "v2"}))
        with pytest.raises(Conflict) as caught:
            sessionizer.accept(lines, received_at=T0 + 2)
        assert (2, before, 4) == (
            caught.value.line,
            (tmp_path / "s1.jsonl").read_bytes(),
            sessionizer.stats.records,
        )

    def test_an_ended_session_stays_bound_to_its_viewer(self) -> None:
        """After its end, the session's id still belongs to its viewer."""
        sessionizer = Sessionizer()
        started(sessionizer)
        list(sessionizer.finish())
        with pytest.raises(Conflict):
            other = {"t": T0 + 9, "session": "s1", "user_id": "u"}
            sessionizer.accept(read_batch(body(other)), received_at=T0 + 9)

    @pytest.mark.parametrize(
        ("line", "reason"),
        [
            (b"{nope", "not JSON"),
            (b"[1]", "must be a JSON object"),
            (body({**HEADER, "session": "../etc"}), '"session" must be 1 to 128'),
            (body({"t": T0, "anonymous_id": "v"}), 'no "session"'),
            (body(media(T0, "fly", 0)), "unknown media event type 'fly'"),
            (body(media(T0, "play", "zero")), '"currentTime" must be a finite number'),
            (body({**HEADER, "t": "now"}), '"t" must be a number'),
        ],
    )
    def test_an_unreadable_line_is_named(self, line: bytes, reason: str) -> None:
        """The batch is refused with the number of its first unreadable line and why."""
        with pytest.raises(BadBatch) as caught:
            read_batch(body(HEADER) + b"\n" + line)
        assert (3, True) == (caught.value.line, reason in caught.value.reason)

    def test_a_new_session_must_name_its_viewer(self) -> None:
        """The first batch of a session the server does not know names the viewer."""
        with pytest.raises(BadBatch) as caught:
            Sessionizer().accept(read_batch(body(media(T0, "play", 0))), received_at=T0)
        assert 1 == caught.value.line

    def test_a_batch_sent_again_is_not_applied_again(self) -> None:
        """The same batch id twice: applied once."""
        sessionizer = Sessionizer()
        started(sessionizer)
        lines = read_batch(body(media(T0 + 1, "pause", 1)))
        once = sessionizer.accept(lines, received_at=T0 + 1, batch="b1")
        again = sessionizer.accept(
            read_batch(body(media(T0 + 1, "pause", 1))), received_at=T0 + 2, batch="b1"
        )
        assert (["Video Playback Paused"], [], 1) == (
            [m["event"] for m in once],
            again,
            sessionizer.stats.duplicates,
        )

    def test_a_record_the_session_refuses_is_skipped_as_a_replay_skips_it(
        self, tmp_path: Path
    ) -> None:
        """Content changing its asset_id without a load is skipped (counted), as in a replay."""
        sessionizer = Sessionizer(recording=Recorder(tmp_path), settings=Settings())
        served = started(sessionizer)
        lines = read_batch(body(media(T0 + 2, "pause", 2, content={"asset_id": "b"})))
        served += sessionizer.accept(lines, received_at=T0 + 2)
        served += list(sessionizer.finish())
        assert (1, replayed(tmp_path / "s1.jsonl")) == (sessionizer.stats.bad_records, served)


class TestReturningSessions:
    def test_a_returning_session_needs_no_viewer_beside_a_new_one(self, tmp_path: Path) -> None:
        """A batch with a new session and one that ended by idle timeout, naming no viewer for
        it: both are taken, the returning one as a new part of its remembered viewer's."""
        sessionizer = Sessionizer(idle_timeout=60, recording=Recorder(tmp_path))
        started(sessionizer)
        sessionizer.expire(T0 + 60)
        newcomer = {**HEADER, "t": T0 + 100, "session": "s2", "anonymous_id": "v2"}
        back = [media(T0 + 100, kind, 4) for kind in ("loadedmetadata", "play", "playing")]
        lines = read_batch(body(newcomer, *back, media(T0 + 101, "pause", 5)))
        served = sessionizer.accept(lines, received_at=T0 + 101) + list(sessionizer.finish())
        s1 = [m for m in served if m["properties"]["session_id"] == "s1"]  # type: ignore[index]
        assert (replayed(tmp_path / "s1.2.jsonl"), {"v1"}, 2) == (
            s1 or None,
            {m["anonymousId"] for m in s1},
            sessionizer.stats.sessions - 1,
        )

    def test_a_batch_sent_again_after_its_session_ended_is_not_applied_again(
        self, tmp_path: Path
    ) -> None:
        """The same batch id once the session ended by idle timeout: a duplicate, no new part."""
        sessionizer = Sessionizer(idle_timeout=60, recording=Recorder(tmp_path))
        playing = [{**HEADER}, *(media(T0, kind, 0) for kind in ("loadedmetadata", "play"))]
        sessionizer.accept(read_batch(body(*playing)), received_at=T0, batch="b1")
        sessionizer.expire(T0 + 60)
        again = sessionizer.accept(read_batch(body(*playing)), received_at=T0 + 61, batch="b1")
        assert ([], 1, 0, ["s1.jsonl", "s1.jsonl.ended"]) == (
            again,
            sessionizer.stats.duplicates,
            sessionizer.open_sessions,
            sorted(p.name for p in tmp_path.iterdir()),
        )

    def test_a_batch_of_an_ended_part_sent_again_is_known_in_the_next_part(self) -> None:
        """The last batch of an ended part, sent again once the session is back: a duplicate."""
        sessionizer = Sessionizer(idle_timeout=60)
        playing = [{**HEADER}, *(media(T0, kind, 0) for kind in ("loadedmetadata", "play"))]
        sessionizer.accept(read_batch(body(*playing)), received_at=T0, batch="b1")
        sessionizer.expire(T0 + 60)
        back = {**HEADER, "t": T0 + 70}
        sessionizer.accept(read_batch(body(back)), received_at=T0 + 70, batch="b2")
        again = sessionizer.accept(read_batch(body(*playing)), received_at=T0 + 71, batch="b1")
        assert ([], 1, 2) == (again, sessionizer.stats.duplicates, sessionizer.stats.sessions)


class TestAllOrNothing:
    def test_a_batch_the_recording_fails_is_not_applied_and_its_retry_is(
        self, tmp_path: Path
    ) -> None:
        """A batch whose second part cannot be written (its file a directory: an OSError) is
        not applied at all, its new part's file is gone; sent again once the file is back, it
        is applied as if it never failed."""
        first = [HEADER, media(T0, "loadedmetadata", 0), media(T0, "play", 0)]
        newcomer = {**HEADER, "t": T0 + 3, "session": "s2", "anonymous_id": "v2"}
        second = [newcomer, media(T0 + 3, "pause", 3), media(T0 + 3, "play", 3, session="s2")]
        control = Sessionizer(recording=Recorder(tmp_path / "control"))
        sessionizer = Sessionizer(recording=Recorder(tmp_path / "rec"))
        expected, served = [], []
        for each in (control, sessionizer):
            each.accept(read_batch(body(*first)), received_at=T0, sent_at=T0, batch="b1")
        s1 = tmp_path / "rec" / "s1.jsonl"
        s1.rename(tmp_path / "s1.saved")
        s1.mkdir()
        with pytest.raises(OSError):
            sessionizer.accept(read_batch(body(*second)), received_at=T0 + 5, batch="b2")
        failed = (
            sessionizer.open_sessions,
            sessionizer.stats.records,
            (s1.parent / "s2.jsonl").exists(),
        )
        s1.rmdir()
        (tmp_path / "s1.saved").rename(s1)
        for each, out in ((control, expected), (sessionizer, served)):
            out += each.accept(read_batch(body(*second)), received_at=T0 + 6, batch="b2")
            out += each.finish()
        assert (1, 3, False) == failed
        assert (expected, files(tmp_path / "control")) == (served, files(tmp_path / "rec"))

    def test_the_recorder_cuts_back_what_it_wrote_of_a_batch_it_could_not_write_whole(
        self, tmp_path: Path
    ) -> None:
        """Two parts, the second not writable: the first part's file is as it was."""
        recorder = Recorder(tmp_path)
        recorder.begin(1, "a")
        recorder.begin(2, "b")
        recorder.write([(1, [HEADER])])
        before = (tmp_path / "a.jsonl").read_bytes()
        (tmp_path / "b.jsonl").unlink()
        (tmp_path / "b.jsonl").mkdir()
        with pytest.raises(OSError):
            recorder.write([(1, [HEADER, HEADER]), (2, [HEADER])])
        assert before == (tmp_path / "a.jsonl").read_bytes()


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


class TestSessionLimits:
    def test_a_batch_past_the_open_sessions_limit_is_refused_until_one_times_out(
        self, tmp_path: Path
    ) -> None:
        """Two sessions held of two: a third is refused (retry when the oldest times out),
        nothing of its batch applied; once the oldest timed out, it is taken."""
        sessionizer = Sessionizer(
            idle_timeout=60, max_open_sessions=2, recording=Recorder(tmp_path)
        )
        for i in (1, 2):
            header = {**HEADER, "t": T0 + i, "session": f"s{i}"}
            sessionizer.accept(read_batch(body(header)), received_at=T0 + i)
        third = read_batch(body({**HEADER, "t": T0 + 10, "session": "s3"}))
        with pytest.raises(SessionsFull) as caught:
            sessionizer.accept(third, received_at=T0 + 10)
        refused = (caught.value.retry_after, sessionizer.stats.records, sorted(tmp_path.iterdir()))
        sessionizer.expire(T0 + 61)
        sessionizer.accept(third, received_at=T0 + 61)
        assert ((51.0, 2, [tmp_path / "s1.jsonl", tmp_path / "s2.jsonl"]), 2) == (
            refused,
            sessionizer.open_sessions,
        )

    def test_a_batch_starting_more_than_16_sessions_is_refused_naming_the_limit(self) -> None:
        """17 new sessions in one batch: refused at the 17th's record, naming the limit;
        16 are taken."""
        headers = [{**HEADER, "session": f"s{i}"} for i in range(17)]
        sessionizer = Sessionizer()
        with pytest.raises(TooManySessions) as caught:
            sessionizer.accept(read_batch(body(*headers)), received_at=T0)
        sessionizer.accept(read_batch(body(*headers[:16])), received_at=T0)
        assert (17, True, 16) == (
            caught.value.line,
            "at most 16 sessions" in str(caught.value),
            sessionizer.open_sessions,
        )
