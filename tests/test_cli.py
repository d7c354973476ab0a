"""The vtrack command: the built-in demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vtrack.cli import main
from vtrack.testing.schema import validate


def run_demo(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert 0 == main(["demo", "--json", *args])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


class TestDemo:
    def test_demo_plays_the_whole_story(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Pre-roll, pause, stall, seek, mid-roll, to the end; every message schema-valid."""
        messages = run_demo(capsys)
        names = [m["event"] for m in messages]
        for expected in [
            "Video Playback Started",
            "Video Ad Started",
            "Video Content Started",
            "Video Playback Paused",
            "Video Playback Resumed",
            "Video Playback Buffer Started",
            "Video Playback Seek Started",
            "Video Playback Seek Completed",
            "90% Content Completed",
            "Video Content Completed",
            "Video Playback Completed",
            "Video Playback Exited",
        ]:
            assert expected in names
        for message in messages:
            validate(message)  # type: ignore[arg-type]

    def test_demo_is_deterministic(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Two runs print the same bytes."""
        assert run_demo(capsys) == run_demo(capsys)

    def test_options(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--profile, --heartbeat and --milestones change the output."""
        messages = run_demo(
            capsys, "--profile", "vimeo-ott", "--heartbeat", "0", "--milestones", "50"
        )
        names = [m["event"] for m in messages]
        assert "Video Content Playing" not in names
        assert ["50% Content Completed"] == [n for n in names if "%" in str(n)]

    def test_bad_heartbeat_is_explained(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An invalid interval exits 2 and says what is allowed."""
        with pytest.raises(SystemExit) as caught:
            main(["demo", "--heartbeat", "15"])
        assert 2 == caught.value.code
        assert "0, 10, 20, ..., 600" in capsys.readouterr().err


class TestReadableDemo:
    def test_shows_the_timeline_and_the_summary(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """vtrack demo shows a row per message, the QoE summary, and where the JSON Lines are."""
        out = tmp_path / "demo.jsonl"
        assert 0 == main(["demo", "--out", str(out)])
        shown = capsys.readouterr().out
        written = out.read_bytes().splitlines()
        assert 43 == len(written)
        assert 43 == shown.count("│ Video ") + shown.count("% Content Completed")
        for figure in ("rebuffer_ratio", "startup_time", "completion", "milestones"):
            assert f"│ {figure} " in shown
        assert f"The 43 messages, as JSON Lines: {out}" in " ".join(shown.split())
        json_lines = subprocess.run(
            [sys.executable, "-m", "vtrack.cli", "demo", "--json"],
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout
        assert json_lines.splitlines() == written

    def test_an_unwritable_out_is_explained(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """--out into a missing folder exits 2 naming the file, with no traceback."""
        missing = tmp_path / "no" / "such.jsonl"
        assert 2 == main(["demo", "--out", str(missing)])
        assert f"vtrack demo: cannot write {missing}" in capsys.readouterr().err

    def test_json_into_a_closed_pipe_ends_quietly(self) -> None:
        """vtrack demo --json into a pipe nobody reads any more ends with no traceback."""
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before the first line
        try:
            done = subprocess.run(
                [sys.executable, "-m", "vtrack.cli", "demo", "--json"],
                stdout=write_end,
                stderr=subprocess.PIPE,
                timeout=60,
            )
        finally:
            os.close(write_end)
        assert (0, b"") == (done.returncode, done.stderr)
