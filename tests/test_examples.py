"""The examples and documented snippets run and say what they claim."""

from __future__ import annotations

import doctest
import hashlib
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


class TestMessageIdIsUuid8:
    def test_same_as_the_documented_derivation(self) -> None:
        """A messageId is the UUIDv8 of the session's SHA-1, its last 48 bits plus the sequence."""
        last_group = (1 << 48) - 1
        for identity, session, start, sequence in [
            ("a", "s", 1.5, 0),
            ("ü-user", "s1", 1700000000.123, 99),
            ("a", "s", 1.5, last_group + 5),
        ]:
            name = f"{identity}\x1f{session}\x1f{start!r}\x1f".encode()
            digest = hashlib.sha1(MESSAGE_ID_NAMESPACE.bytes + name).digest()[:16]
            value = int.from_bytes(digest, "big")
            value = (value & ~last_group) | ((value + sequence) & last_group)
            value = (value & ~(0xF << 76)) | (8 << 76)  # version 8
            value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10xx
            expected = uuid.UUID(int=value)
            assert (8, uuid.RFC_4122) == (expected.version, expected.variant)
            assert str(expected) == message_id(identity, session, start, sequence)
