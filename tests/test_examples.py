"""The examples and documented snippets run and say what they claim."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
import uuid
from pathlib import Path

import vtrack.core.session
from vtrack.core.messages import MESSAGE_ID_NAMESPACE, message_id

ROOT = Path(__file__).parent.parent


class TestExamples:
    def test_quickstart_runs(self) -> None:
        """examples/quickstart.py prints a complete session as JSON Lines."""
        out = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "quickstart.py")],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        names = [json.loads(line)["event"] for line in out.splitlines()]
        assert "Video Playback Started" == names[0]
        assert ["Video Playback Completed", "Video Playback Exited"] == names[-2:]

    def test_session_docstring(self) -> None:
        """The Session docstring's example is true."""
        result = doctest.testmod(vtrack.core.session)
        assert (0, 1) == (result.failed, result.attempted > 0)


class TestMessageIdIsUuid5:
    def test_same_as_the_standard_library(self) -> None:
        """The hand-rolled UUIDv5 equals uuid.uuid5 of the documented name."""
        for identity, session, start, sequence in [
            ("a", "s", 1.5, 0),
            ("ü-user", "s1", 1700000000.123, 99),
        ]:
            name = f"{identity}\x1f{session}\x1f{start!r}\x1f{sequence}"
            assert str(uuid.uuid5(MESSAGE_ID_NAMESPACE, name)) == message_id(
                identity, session, start, sequence
            )
