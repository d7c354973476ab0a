"""Sinks, and what a session does when one fails."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MOVIE, T0

from vtrack import CallbackSink, FanoutSink, JsonLinesSink, MemorySink, Session, SinkError
from vtrack.core.protocols import Sink


class FlakySink:
    """Fails on the calls whose numbers are in ``failures`` (1-based)."""

    def __init__(self, failures: set[int]) -> None:
        self.failures = failures
        self.calls = 0
        self.messages: list[dict[str, Any]] = []

    def emit(self, message: dict[str, Any]) -> None:
        self.calls += 1
        if self.calls in self.failures:
            raise ConnectionError("down")
        self.messages.append(message)

    def flush(self) -> None: ...

    def close(self) -> None: ...


class TestBuiltInSinks:
    @pytest.mark.parametrize("sink", [MemorySink(), CallbackSink(print), FanoutSink([])])
    def test_they_are_sinks(self, sink: object) -> None:
        """Every built-in sink satisfies the Sink protocol."""
        assert isinstance(sink, Sink)

    def test_json_lines_to_a_path(self, tmp_path: Path) -> None:
        """One compact JSON object per line, appended to the file."""
        path = tmp_path / "events.jsonl"
        sink = JsonLinesSink(path)
        session = Session("s", anonymous_id="a", sink=sink)
        session.play(at=T0)
        session.playing(at=T0 + 1)
        sink.close()
        lines = path.read_text(encoding="utf-8").splitlines()
        assert ["Video Playback Started", "Video Content Started"] == [
            json.loads(line)["event"] for line in lines
        ]
        assert all(": " not in line for line in lines)

    def test_json_lines_to_a_stream_leaves_it_open(self) -> None:
        """A stream given to the sink stays open after close()."""
        stream = io.StringIO()
        sink = JsonLinesSink(stream)
        sink.emit({"event": "x"})
        sink.close()
        assert '{"event":"x"}\n' == stream.getvalue()

    def test_json_lines_refuses_nan(self) -> None:
        """NaN is not JSON: refused rather than written."""
        with pytest.raises(ValueError, match="JSON compliant"):
            JsonLinesSink(io.StringIO()).emit({"x": float("nan")})

    def test_callback_and_fanout(self) -> None:
        """Fan-out reaches every sink, even after one raised; the error surfaces."""
        seen: list[str] = []
        memory = MemorySink()
        fanout = FanoutSink(
            [FlakySink({1}), CallbackSink(lambda m: seen.append(m["event"])), memory]
        )
        with pytest.raises(ConnectionError):
            fanout.emit({"event": "x"})
        assert (["x"], ["x"]) == (seen, memory.events)

    def test_memory_sink_refuses_after_close(self) -> None:
        """A closed MemorySink says so."""
        sink = MemorySink()
        sink.close()
        with pytest.raises(RuntimeError, match="closed"):
            sink.emit({})


class TestFailingSink:
    def test_error_names_the_message_and_nothing_is_lost(self) -> None:
        """SinkError carries the message; it and later ones are offered again, in order."""
        sink = FlakySink({2})
        session = Session("s", anonymous_id="a", sink=sink, heartbeat=10, milestones=())
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        with pytest.raises(SinkError) as caught:
            session.playing(at=T0 + 1)
        assert "Video Content Started" == caught.value.message["event"]
        assert isinstance(caught.value.cause, ConnectionError)
        assert ["Video Content Started"] == [m["event"] for m in session.undelivered]
        assert "playing" == session.state  # the session itself moved on consistently
        session.pause(at=T0 + 11.5)
        assert [
            "Video Playback Started",
            "Video Content Started",
            "Video Content Playing",
            "Video Playback Paused",
        ] == [m["event"] for m in sink.messages]
        assert [] == session.undelivered

    def test_retry_delivery(self) -> None:
        """retry_delivery() offers the backlog without a new callback."""
        sink = FlakySink({1})
        session = Session("s", anonymous_id="a", sink=sink)
        with pytest.raises(SinkError):
            session.play(at=T0)
        session.retry_delivery()
        assert ["Video Playback Started"] == [m["event"] for m in sink.messages]
