"""The sink protocol: where a session's messages go. Implementations live in ``vtrack.sinks``."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Sink(Protocol):
    """Takes messages. ``emit`` may raise; the session keeps what was not taken."""

    def emit(self, message: dict[str, Any]) -> None:
        """Take one message (a Segment track call as a dict)."""

    def flush(self) -> object:
        """Push out anything buffered (a sink may return a report of what it did)."""

    def close(self) -> object:
        """Flush and release resources; nothing may be emitted afterwards."""
