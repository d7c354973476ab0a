"""A sink that writes one JSON object per line, to a file path or an open text stream."""

from __future__ import annotations

import json
import os
from typing import IO, Any


class JsonLinesSink:
    """Writes each message as one line of JSON.

    Give a path (opened for appending, closed by :meth:`close`) or a text stream (left open).
    Keys keep their order; output is compact and ASCII-safe, so the same messages always give
    the same bytes.
    """

    def __init__(self, target: str | os.PathLike[str] | IO[str], *, flush_each: bool = False):
        if isinstance(target, str | os.PathLike):
            self._stream: IO[str] = open(target, "a", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._stream = target
            self._owned = False
        self._flush_each = flush_each

    def emit(self, message: dict[str, Any]) -> None:
        """Write the message as one line."""
        line = json.dumps(message, separators=(",", ":"), allow_nan=False)
        self._stream.write(line + "\n")
        if self._flush_each:
            self._stream.flush()

    def flush(self) -> None:
        """Flush the stream."""
        self._stream.flush()

    def close(self) -> None:
        """Flush, and close the file if this sink opened it."""
        self._stream.flush()
        if self._owned:
            self._stream.close()
