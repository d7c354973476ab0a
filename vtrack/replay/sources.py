"""Reading log files line by line: plain or gzip-compressed files, or standard input (``-``)."""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from collections.abc import Iterator
from typing import IO, Final

from vtrack.core.errors import VtrackError

_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"


class SourceError(VtrackError):
    """A log that cannot be read at all: missing, unreadable, empty or a broken gzip file."""


def source_name(path: str | os.PathLike[str]) -> str:
    """How messages name the source: its path, or ``<stdin>`` for ``-``."""
    text = os.fspath(path)
    return "<stdin>" if text == "-" else text


def read_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of every line of ``path``, from 1; gzip is recognised by content.

    Raises :class:`SourceError` (its message starts with the source's name) when the file is
    missing or unreadable, when it holds nothing, and when compressed data turns out broken,
    also midway: the lines before were given already; nothing is skipped in silence.
    """
    name = source_name(path)
    stdin = os.fspath(path) == "-"
    try:
        raw: IO[bytes] = sys.stdin.buffer if stdin else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise SourceError(f"{name}: cannot read: {exc.strerror or exc}") from None
    count = 0
    data = False  # a line with something on it was seen
    try:
        stream: IO[bytes] = raw
        if _peek(raw, 2) == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        for count, line in enumerate(stream, 1):
            if not data:
                if count == 1 and line.startswith(_BOM):
                    line = line[len(_BOM) :]  # some Windows tools write one
                data = not line.isspace() and bool(line)
            yield count, line
    except (OSError, EOFError, zlib.error) as exc:
        where = f"{name}:{count + 1}" if count else name
        if isinstance(exc, EOFError):
            kind = "the gzip data ends early (a truncated file?)"
        elif isinstance(exc, gzip.BadGzipFile | zlib.error):
            kind = "not a valid gzip file"
        else:
            kind = "read failed"
        raise SourceError(f"{where}: {kind}: {exc}") from None
    finally:
        if not stdin:
            raw.close()
    if not data:
        raise SourceError(f"{name}: the log is empty" + (" (blank lines only)" if count else ""))


def _peek(stream: IO[bytes], size: int) -> bytes:
    peek = getattr(stream, "peek", None)
    return peek(size)[:size] if peek is not None else b""
