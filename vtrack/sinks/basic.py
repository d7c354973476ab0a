"""Sinks that need no I/O: a list in memory, a callable, and fan-out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vtrack.core.protocols import Sink


class MemorySink:
    """Keeps every message in :attr:`messages` (tests, notebooks)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.closed = False

    def emit(self, message: dict[str, Any]) -> None:
        """Append the message."""
        if self.closed:
            raise RuntimeError("MemorySink is closed")
        self.messages.append(message)

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Refuse further messages (the ones kept stay readable)."""
        self.closed = True

    @property
    def events(self) -> list[str]:
        """The event names, in order."""
        return [message["event"] for message in self.messages]


class CallbackSink:
    """Calls ``function(message)`` for every message."""

    def __init__(self, function: Callable[[dict[str, Any]], object]) -> None:
        self.function = function

    def emit(self, message: dict[str, Any]) -> None:
        """Hand the message to the function."""
        self.function(message)

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Nothing to release."""


class FanoutSink:
    """Sends every message to each of several sinks, in order.

    If one raises, the sinks after it in the list still get the message, and the first error
    is raised afterwards (so a failing sink does not starve the others).
    """

    def __init__(self, sinks: Iterable[Sink]) -> None:
        self.sinks = tuple(sinks)

    def emit(self, message: dict[str, Any]) -> None:
        """Emit to every sink."""
        self._each(lambda sink: sink.emit(message))

    def flush(self) -> None:
        """Flush every sink."""
        self._each(lambda sink: sink.flush())

    def close(self) -> None:
        """Close every sink."""
        self._each(lambda sink: sink.close())

    def _each(self, action: Callable[[Sink], object]) -> None:
        first_error: BaseException | None = None
        for sink in self.sinks:
            try:
                action(sink)
            except Exception as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
