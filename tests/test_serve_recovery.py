"""Crash recovery from --record: the parts a killed server left open are replayed and sent at
the next start; the parts ended (idle timeout, SIGTERM, recovered) are not."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
from serve_feed import batches_of, interleaved, media, post_batches, replayed
from serve_server import serve_process, stop

from vtrack.core.settings import Settings
from vtrack.serve import Sessionizer, read_batch
from vtrack.serve.output import Output
from vtrack.serve.recording import Recorder, ended_marker, is_ended, mark_ended
from vtrack.serve.recovery import recover
from vtrack.testing.viewing import Pause, Seek, Viewing, Watch

ORIGIN = "https://www.example.com"
T0 = time.time() - 600
HEADER = {"t": T0, "session": "s1", "anonymous_id": "v1", "content": {"asset_id": "a"}}


def viewing(session: str, i: int) -> Viewing:
    """A player watching, pausing and seeking; silent at the end (its session stays open)."""
    actions = (Watch(4.0), Pause(2.0), Seek(20.0), Watch(6.0))
    return Viewing(
        40.0,
        actions,
        ending="silent",
        tick=0.25,
        start_at=T0 + i,
        session_id=session,
        viewer=f"v{i}",
    )


def post(url: str, sessions: list[str]) -> int:
    """Post the sessions' batches as they would arrive; how many were not answered 204."""
    batches = interleaved([batches_of(viewing(s, i)) for i, s in enumerate(sessions)])
    return len(batches) - post_batches(url, batches, ORIGIN)


def ready(url: str, timeout: float = 30.0) -> None:
    """Wait until the server answers (its SIGTERM handler is set then)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} does not answer"
        time.sleep(0.05)


def written(out: Path) -> list[dict[str, Any]]:
    """The messages --out holds (a line a crash cut short left out)."""
    messages = []
    for line in out.read_bytes().splitlines():
        try:
            messages.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return messages


def ids_by_session(messages: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for message in messages:
        out.setdefault(message["properties"]["session_id"], set()).add(message["messageId"])
    return out


def last_events(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {m["properties"]["session_id"]: m["event"] for m in messages}


class TestKilled:
    def test_the_sessions_a_kill_left_open_are_recovered_and_the_ended_ones_are_not(
        self, tmp_path: Path
    ) -> None:
        """SIGTERM after a0, a1; kill -9 after k0..k2; the restart sends each killed session's
        whole replay (ending with Video Playback Exited) and nothing more of a0, a1."""
        record, out = tmp_path / "record", tmp_path / "out.jsonl"
        common = ["--allow-origin", ORIGIN, "--record", str(record), "--out", str(out)]
        common += ["--rate-limit", "1000"]
        with serve_process(*common) as (process, url):
            refused = post(url, ["a0", "a1"])
            stopped, _ = stop(process)
        with serve_process(*common) as (process, url):
            refused += post(url, ["k0", "k1", "k2"])
            process.kill()
            process.wait(30)
        with serve_process(*common) as (process, url):
            ready(url)
            restarted, said = stop(process)
        with serve_process(*common) as (process, url):
            ready(url)
            again, said_again = stop(process)
        expected = {}
        for path in sorted(record.glob("*.jsonl")):
            expected |= ids_by_session(replayed(path))
        messages = written(out)
        counts = Counter(m["messageId"] for m in messages)
        ended_once = [counts[i] for s in ("a0", "a1") for i in expected[s]]
        recovered = {s: expected[s] <= ids_by_session(messages)[s] for s in ("k0", "k1", "k2")}
        assert (0, 0, 0, 0) == (refused, stopped, restarted, again)
        assert "recovered 3 sessions" in said and "recovered" not in said_again
        assert {"k0": True, "k1": True, "k2": True} == recovered
        assert [1] * len(ended_once) == ended_once
        assert {s: "Video Playback Exited" for s in expected} == last_events(messages)
        assert [True] * 5 == [is_ended(p) for p in sorted(record.glob("*.jsonl"))]


def body(*records: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)


class TestMarker:
    def test_a_part_ended_by_idle_timeout_is_marked_and_its_content_unchanged(
        self, tmp_path: Path
    ) -> None:
        """The end makes the sidecar; the part's bytes are those written before it."""
        sessionizer = Sessionizer(idle_timeout=60, recording=Recorder(tmp_path))
        playing = [HEADER, media(T0, "loadedmetadata", 0), media(T0, "play", 0)]
        sessionizer.accept(read_batch(body(*playing)), received_at=T0)
        before = ((tmp_path / "s1.jsonl").read_bytes(), is_ended(tmp_path / "s1.jsonl"))
        sessionizer.expire(T0 + 60)
        after = ((tmp_path / "s1.jsonl").read_bytes(), is_ended(tmp_path / "s1.jsonl"))
        assert (before[0], False, True) == (after[0], before[1], after[1])
        assert b"" == ended_marker(tmp_path / "s1.jsonl").read_bytes()

    def test_a_session_back_after_its_end_leaves_only_its_open_part_unmarked(
        self, tmp_path: Path
    ) -> None:
        """s1 ended, then back (s1.2.jsonl, open): only s1.2.jsonl is left open."""
        sessionizer = Sessionizer(idle_timeout=60, recording=Recorder(tmp_path))
        sessionizer.accept(read_batch(body(HEADER, media(T0, "play", 0))), received_at=T0)
        sessionizer.expire(T0 + 60)
        back = {**HEADER, "t": T0 + 70}
        sessionizer.accept(read_batch(body(back)), received_at=T0 + 70)
        assert [tmp_path / "s1.2.jsonl"] == Recorder(tmp_path).left_open()

    def test_a_recorder_does_not_count_its_own_open_parts_as_left_open(
        self, tmp_path: Path
    ) -> None:
        """Its parts under way are not left open; another recorder's view sees them."""
        recorder = Recorder(tmp_path)
        recorder.begin(1, "a")
        assert ([], [tmp_path / "a.jsonl"]) == (
            recorder.left_open(),
            Recorder(tmp_path).left_open(),
        )

    def test_marking_twice_is_harmless(self, tmp_path: Path) -> None:
        """mark_ended again: no error, still ended, the part untouched."""
        part = tmp_path / "s1.jsonl"
        part.write_bytes(b"x\n")
        mark_ended(part)
        mark_ended(part)
        assert (True, b"x\n") == (is_ended(part), part.read_bytes())

    def test_recover_replays_each_left_open_part_and_marks_it(self, tmp_path: Path) -> None:
        """Two parts left open, one ended: the two replays' messages, in order; all marked."""
        for session in ("s1", "s2", "s3"):
            head = {**HEADER, "session": session}
            play = media(T0, "play", 0, session)
            (tmp_path / f"{session}.jsonl").write_bytes(body(head, play))
        mark_ended(tmp_path / "s2.jsonl")
        output = Output(None, None)
        taken: list[dict[str, Any]] = []
        output.put = taken.extend  # type: ignore[method-assign]
        done = recover(Recorder(tmp_path), Settings(), output)
        output.close()
        expected = replayed(tmp_path / "s1.jsonl") + replayed(tmp_path / "s3.jsonl")
        assert (2, len(expected), expected, True) == (
            done.parts,
            done.messages,
            taken,
            "Video Playback Exited" in {m["event"] for m in expected},
        )
        assert [] == Recorder(tmp_path).left_open()

    def test_a_server_not_alone_on_the_folder_recovers_nothing(self, tmp_path: Path) -> None:
        """Another server joined the folder: its part under way is not recovered, nor marked."""
        running = Recorder(tmp_path)
        alone = running.join()
        running.share()
        running.begin(1, "s1")
        running.write([(1, [HEADER, media(T0, "play", 0)])])
        output = Output(None, None)
        done = recover(Recorder(tmp_path), Settings(), output)
        output.close()
        assert (True, True, 0, False) == (
            alone,
            done.shared,
            done.parts,
            is_ended(tmp_path / "s1.jsonl"),
        )
