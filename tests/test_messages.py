"""The track envelope: identity, timestamp, deterministic messageId, context."""

from __future__ import annotations

import io
import json
import math
import uuid
from datetime import UTC, datetime

import pytest
from conftest import MOVIE, T0, SessionFactory
from hypothesis import given
from hypothesis import strategies as st

from vtrack import JsonLinesSink, MemorySink, Session, __version__
from vtrack.core import messages
from vtrack.core.messages import iso_timestamp


def short_session(sink: MemorySink, start: float = T0, **options: object) -> Session:
    options.setdefault("anonymous_id", "a1")
    session = Session(str(options.pop("session_id", "s1")), sink=sink, **options)  # type: ignore[arg-type]
    session.load(MOVIE, at=start)
    session.play(at=start)
    session.playing(at=start + 0.5)
    session.pause(at=start + 12.25)
    return session


class TestEnvelope:
    def test_track_message_shape(self, make_session: SessionFactory) -> None:
        """type, event, one identity, properties, timestamp, messageId, context.library."""
        session, sink = make_session(user_id="u1", anonymous_id=None)
        session.play(at=T0 + 0.0015)
        message = sink.messages[0]
        assert ["type", "event", "userId", "properties", "timestamp", "messageId", "context"] == (
            list(message)
        )
        assert ("track", "u1") == (message["type"], message["userId"])
        assert "anonymousId" not in message
        assert "2023-11-14T22:13:20.001Z" == message["timestamp"]
        assert {"library": {"name": "vtrack", "version": __version__}} == message["context"]

    def test_context_and_integrations_are_copied(self, make_session: SessionFactory) -> None:
        """Given context keys and integrations appear in every message."""
        session, sink = make_session(
            context={"ip": "0.0.0.0", "app": {"name": "tv"}}, integrations={"All": False}
        )
        session.play(at=T0)
        message = sink.messages[0]
        assert "0.0.0.0" == message["context"]["ip"]
        assert "vtrack" == message["context"]["library"]["name"]
        assert {"All": False} == message["integrations"]

    @pytest.mark.parametrize(
        ("at", "expected"),
        [
            (0.0, "1970-01-01T00:00:00.000Z"),
            (1705314600.999, "2024-01-15T10:30:00.999Z"),
            (1705314600.9999, "2024-01-15T10:30:00.999Z"),
            (1705314600.25, "2024-01-15T10:30:00.250Z"),
        ],
    )
    def test_timestamps(self, at: float, expected: str) -> None:
        """ISO-8601 UTC with milliseconds, rounded down."""
        assert expected == iso_timestamp(at)

    @given(st.floats(min_value=0.0, max_value=253402300799.0))
    def test_timestamps_agree_with_datetime(self, at: float) -> None:
        """The cached second and minute prefixes give what datetime formats, at any time."""
        millis = math.floor(at * 1000.0 + 1e-6)
        second = datetime.fromtimestamp(millis // 1000, UTC)
        assert f"{second:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z" == iso_timestamp(at)

    def test_timestamp_caches_are_bounded(self) -> None:
        """A session running for days does not grow the caches without end."""
        for second in range(0, 70 * messages._PREFIXES_KEPT, 7):
            iso_timestamp(T0 + second)
        assert len(messages._SECOND_PREFIXES) <= messages._PREFIXES_KEPT
        assert len(messages._MINUTE_PREFIXES) <= messages._PREFIXES_KEPT
        assert "2024-01-15T10:30:00.250Z" == iso_timestamp(1705314600.25)

    def test_positions_are_whole_seconds_rounded_down(self, make_session: SessionFactory) -> None:
        """12.25 s into the content is written 11 (0.5 s start) -> floor."""
        session, sink = make_session()
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        session.playing(at=T0 + 0.5)
        session.pause(at=T0 + 12.25)
        assert 11 == sink.messages[-1]["properties"]["position"]


class TestMessageIds:
    def test_same_input_same_ids(self) -> None:
        """Replaying the same callbacks gives byte-identical messages."""
        first, second = io.StringIO(), io.StringIO()
        for stream in (first, second):
            sink = JsonLinesSink(stream)
            short_session(sink)  # type: ignore[arg-type]
        assert first.getvalue() == second.getvalue()
        ids = [json.loads(line)["messageId"] for line in first.getvalue().splitlines()]
        assert len(ids) == len(set(ids)) == 4
        assert all(uuid.UUID(i).version == 8 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
        assert all(len(i) == 36 for i in ids)

    @pytest.mark.parametrize(
        "change", [{"session_id": "s2"}, {"anonymous_id": "a2"}, {"start": T0 + 1}]
    )
    def test_ids_differ_between_sessions(self, change: dict[str, object]) -> None:
        """Another session id, identity or start time never reuses a messageId."""
        base, other = MemorySink(), MemorySink()
        short_session(base)
        short_session(other, **change)
        assert not {m["messageId"] for m in base.messages} & {
            m["messageId"] for m in other.messages
        }
