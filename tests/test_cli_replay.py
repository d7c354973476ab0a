"""``vtrack replay``: JSON Lines out, errors as FILE:LINE on stderr, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_replay import T, viewing, write_log

from vtrack.cli import main
from vtrack.replay import replay
from vtrack.testing.schema import validate


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["replay", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def log_of_two(tmp_path: Path) -> Path:
    records = viewing("s1", T, "a") + viewing("s2", T + 0.5, "b")
    records.sort(key=lambda record: record["t"])
    return write_log(tmp_path / "two.log", records)


class TestOutput:
    def test_messages_go_to_stdout_as_json_lines(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Messages go to stdout as valid JSON lines, the same ones replay() gives."""
        path = log_of_two(tmp_path)
        status, out, err = run(capsys, str(path), "--quiet")
        assert status == 0 and err == ""
        messages = [json.loads(line) for line in out.splitlines()]
        assert messages == list(replay([path]))
        for message in messages:
            validate(message)

    def test_the_same_input_gives_the_same_bytes(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Two runs with --out on the same input write identical, non-empty files."""
        path = log_of_two(tmp_path)
        first = tmp_path / "first.jsonl"
        second = tmp_path / "second.jsonl"
        assert 0 == run(capsys, str(path), "--out", str(first), "--quiet")[0]
        assert 0 == run(capsys, str(path), "--out", str(second), "--quiet")[0]
        assert first.read_bytes() == second.read_bytes() and first.stat().st_size > 0

    def test_out_replaces_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--out overwrites an existing file instead of appending to it."""
        path = log_of_two(tmp_path)
        target = tmp_path / "out.jsonl"
        target.write_text("old\n")
        run(capsys, str(path), "--out", str(target), "--quiet")
        assert not target.read_text().startswith("old")

    def test_options_reach_the_sessions(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--heartbeat 0 drops heartbeats; --milestones 10,20 adds a 10% milestone per session."""
        path = log_of_two(tmp_path)
        status, out, _ = run(
            capsys, str(path), "--quiet", "--heartbeat", "0", "--milestones", "10,20",
            "--profile", "vimeo-ott", "--keep-open",
        )  # fmt: skip
        names = [json.loads(line)["event"] for line in out.splitlines()]
        assert 0 == status
        assert "Video Content Playing" not in names
        assert 2 == names.count("10% Content Completed")

    def test_the_summary_goes_to_stderr(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The summary of sessions, speed and event counts is written to stderr."""
        _, _, err = run(capsys, str(log_of_two(tmp_path)), "--out", str(tmp_path / "o"))
        assert "sessions" in err and "callbacks per second" in err
        assert "Video Playback Started" in err


class TestBadInput:
    def test_bad_lines_are_reported_and_the_status_is_1(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad line is reported on stderr as FILE:LINE, the rest replays, and the status is 1."""
        path = tmp_path / "bad.log"
        lines = [json.dumps(record) for record in viewing("s1", T)]
        lines.insert(2, "oops")
        path.write_text("\n".join(lines) + "\n")
        status, out, err = run(capsys, str(path), "--quiet")
        assert 1 == status
        reason = "not JSON: unexpected character, expected a JSON value: line 1 column 1 (char 0)"
        assert f"{path}:3: {reason}\n" == err
        assert 7 == len(out.splitlines())

    def test_strict_stops_with_status_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --strict an unknown event stops the replay with status 2 after earlier messages."""
        records: list[dict[str, Any]] = viewing("s1", T)
        records[6]["event"] = "fast_forward"
        status, out, err = run(capsys, str(write_log(tmp_path / "a.log", records)), "--strict",
                               "--quiet")  # fmt: skip
        assert 2 == status
        assert err.startswith(f"vtrack replay: {tmp_path / 'a.log'}:7: unknown event")
        assert [
            "Video Playback Started",
            "Video Content Started",
        ] == [json.loads(line)["event"] for line in out.splitlines()]

    def test_a_missing_file_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A missing file gives status 2, no output and a one-line error."""
        status, out, err = run(capsys, str(tmp_path / "gone.log"))
        assert (2, "") == (status, out)
        assert f"vtrack replay: {tmp_path / 'gone.log'}: no such file\n" == err

    def test_an_empty_file_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An empty file gives status 2 and a one-line error saying the log is empty."""
        (tmp_path / "empty.log").write_text("")
        status, _, err = run(capsys, str(tmp_path / "empty.log"), "--quiet")
        assert 2 == status
        assert f"vtrack replay: {tmp_path / 'empty.log'}: the log is empty\n" == err

    @pytest.mark.parametrize("kind", ["empty", "directory", "broken-gzip"])
    def test_a_log_that_cannot_be_read_prints_only_its_error(
        self, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An empty file, a directory or a broken gzip file: one error line, no summary."""
        path = tmp_path / "day.log.gz"
        if kind == "empty":
            path.write_bytes(b"")
        elif kind == "directory":
            path.mkdir()
        else:
            path.write_bytes(b"\x1f\x8b\x08\x00garbage")
        status, out, err = run(capsys, str(path))
        assert (2, "", 1) == (status, out, len(err.splitlines()))
        assert err.startswith(f"vtrack replay: {path}")

    def test_a_raw_player_log_without_its_dialect_is_one_hint(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A VLC log replayed as the vtrack format stops at once, naming the --dialect to use."""
        log = str(Path(__file__).parent / "data" / "vlc.log")
        status, out, err = run(capsys, log)
        assert (2, "", 1) == (status, out, len(err.splitlines()))
        assert "this looks like a raw vlc log" in err and "--dialect vlc" in err

    def test_a_binary_file_is_one_line_saying_it_is_no_log(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file of binary junk stops after its first 20 lines, with one line, not hundreds."""
        path = tmp_path / "video.mp4"
        path.write_bytes(bytes(range(256)) * 40 + b"\n" * 5 + bytes(range(200, 256)) * 300)
        status, out, err = run(capsys, str(path))
        assert (2, "", 1) == (status, out, len(err.splitlines()))
        assert f"vtrack replay: {path}: not a log: its first 20 lines are not records" in err

    def test_bad_lines_before_good_ones_are_all_reported_in_order(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A few bad lines at the start are held, then reported in order once good lines come."""
        good = '{"t": 1700000000.0, "session": "s", "anonymous_id": "a", "event": "play"}'
        path = tmp_path / "day.log"
        path.write_text("not json\n[1]\n" + good + "\n")
        status, _, err = run(capsys, str(path), "--quiet")
        assert 1 == status
        assert [f"{path}:1:", f"{path}:2:"] == [line.split(" ")[0] for line in err.splitlines()]

    def test_a_bad_option_says_what_is_allowed(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An invalid --heartbeat exits with status 2 and names the allowed values."""
        with pytest.raises(SystemExit) as exited:
            main(["replay", "x.log", "--heartbeat", "15"])
        assert 2 == exited.value.code
        assert "heartbeat must be one of 0, 10, 20, ..., 600 seconds" in capsys.readouterr().err


def test_the_installed_command_reads_standard_input(tmp_path: Path) -> None:
    """python -m vtrack.cli replay - reads stdin and prints the same messages as replay()."""
    path = log_of_two(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "vtrack.cli", "replay", "-", "--quiet"],
        input=path.read_bytes(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert 0 == done.returncode, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == list(replay([path]))


def test_a_progress_bar_on_a_terminal_leaves_the_output_alone(tmp_path: Path) -> None:
    """With stderr on a terminal the progress bar and the summary go there, not into stdout."""
    import os
    import pty

    path = log_of_two(tmp_path)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "vtrack.cli", "replay", str(path)],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=60,
            check=False,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert 0 == done.returncode
    assert [json.loads(line) for line in done.stdout.splitlines()] == list(replay([path]))
    assert b"callbacks per second" in shown


class TestReviewedEdges:
    def test_a_number_too_large_for_a_message_is_a_bad_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A position of 1e20 is a bad line, status 1, while the rest still replays."""
        records = viewing("s1", T)
        records[5]["position"] = 1e20
        status, out, err = run(capsys, str(write_log(tmp_path / "a.log", records)), "--quiet")
        assert 1 == status
        assert (
            ':6: timeupdate: "position" must be a finite number of at most 1e12; got 1e+20' in err
        )
        assert out  # the rest replays

    def test_out_may_not_be_a_directory_or_missing_its_folder(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--out naming a directory, or a file in a missing folder, fails with status 2."""
        log = str(log_of_two(tmp_path))
        status, _, err = run(capsys, log, "--out", str(tmp_path))
        assert (2, f"vtrack replay: --out {tmp_path}: is a directory\n") == (status, err)
        status, _, err = run(capsys, log, "--out", str(tmp_path / "no" / "x.jsonl"))
        assert 2 == status
        assert err.startswith(f"vtrack replay: cannot write {tmp_path / 'no' / 'x.jsonl'}: ")

    def test_out_may_not_be_an_input(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--out naming an input file fails with status 2 and leaves that input unchanged."""
        log = log_of_two(tmp_path)
        before = log.read_bytes()
        status, _, err = run(capsys, str(log), "--out", str(log))
        assert status == 2 and "it would be emptied before it is read" in err
        assert log.read_bytes() == before

    def test_standard_input_only_once(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Giving - twice fails with status 2: standard input can be read only once."""
        status, _, err = run(capsys, "-", "-")
        assert (2, "vtrack replay: standard input (-) can be read only once\n") == (status, err)

    def test_a_byte_order_mark_is_not_data(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A UTF-8 byte order mark is skipped: same status and output as without it."""
        path = log_of_two(tmp_path)
        marked = tmp_path / "bom.log"
        marked.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
        assert run(capsys, str(marked), "--quiet")[:2] == run(capsys, str(path), "--quiet")[:2]

    def test_blank_lines_only_is_an_empty_log(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file of blank lines only fails with status 2 as an empty log."""
        (tmp_path / "blank.log").write_text("\n  \n\n")
        status, _, err = run(capsys, str(tmp_path / "blank.log"), "--quiet")
        assert status == 2 and err.endswith("the log is empty (blank lines only)\n")

    def test_the_progress_bar_never_reads_from_a_pipe(self, tmp_path: Path) -> None:
        """The progress bar sizes only regular files: a FIFO or a directory gives no total."""
        import os

        from vtrack.cli.replay import _total_bytes

        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        assert _total_bytes([str(fifo)]) is None  # returns at once: nothing opened
        assert _total_bytes([str(tmp_path)]) is None
        assert _total_bytes([str(log_of_two(tmp_path))]) == (tmp_path / "two.log").stat().st_size


class TestStartup:
    def test_a_replay_without_sink_loads_no_http_or_console_library(self, tmp_path: Path) -> None:
        """vtrack replay --quiet without --sink imports neither httpx nor rich (they cost a
        tenth of a second of every run's start)."""
        example = Path(__file__).parent.parent / "examples" / "player.log"
        code = (
            "import sys; from vtrack.cli import main; "
            f"status = main(['replay', {str(example)!r}, '--out', {str(tmp_path / 'o')!r}, "
            "'--quiet']); print(status, 'httpx' in sys.modules, 'rich' in sys.modules)"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert "0 False False" == done.stdout.strip()
