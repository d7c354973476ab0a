"""The vtrack command: the built-in demo."""

from __future__ import annotations

import json

import pytest

from vtrack.cli import main
from vtrack.testing.schema import validate


def run_demo(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert 0 == main(["demo", *args])
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
