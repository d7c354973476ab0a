"""Reading log files line by line: plain or gzip-compressed files, or standard input (``-``)."""

from __future__ import annotations

import gzip
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Final

from vtrack.core.errors import VtrackError, caused_by

_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"

#: The longest line read (bytes, its newline not counted): a longer one is a bad line, read past
#: in bounded memory. Player records are a few hundred bytes; a load with a long ad
#: schedule a few kilobytes.
MAX_LINE_BYTES: Final = 1_048_576
#: How much of an overlong line is read at a time while skipping it.
_SKIP_CHUNK: Final = 1 << 16


class LongLine:
    """Stands for a line longer than the cap: read past, not kept. ``size`` is its length."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


class SourceError(VtrackError):
    """A log that cannot be read at all: missing, unreadable, empty or a broken gzip file."""


def source_name(path: str | os.PathLike[str]) -> str:
    """How messages name the source: its path, or ``<stdin>`` for ``-``."""
    text = os.fspath(path)
    return "<stdin>" if text == "-" else text


def read_lines(
    path: str | os.PathLike[str], max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | LongLine]]:
    """``(line number, line)`` of every line of ``path``, from 1; gzip is recognised by content.

    A line longer than ``max_line_bytes`` comes as a :class:`LongLine` (its size), read past
    a chunk at a time: memory never holds more than the cap.

    Raises :class:`SourceError` (its message starts with the source's name) when the file is
    missing or unreadable, when it holds nothing, and when compressed data turns out broken,
    also midway: the lines before were given already; nothing is skipped in silence.
    """
    name = source_name(path)
    stdin = os.fspath(path) == "-"
    try:
        raw: IO[bytes] = sys.stdin.buffer if stdin else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise caused_by(SourceError(f"{name}: cannot read: {exc.strerror or exc}"), None)  # noqa: B904
    count = 0
    data = False  # a line with something on it was seen
    try:
        stream: IO[bytes] = raw
        if _peek(raw, 2) == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        # One loop, not a generator of lines inside another: this runs for every line.
        readline, cap = stream.readline, max_line_bytes
        while read := readline(cap + 1):
            line: bytes | LongLine = read
            if len(read) > cap and not read.endswith(b"\n"):
                line = _skip_long_line(readline, len(read))
            count += 1  # after the skip: an error while skipping names this line (count + 1)
            if not data:
                if isinstance(line, LongLine):
                    data = True
                else:
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
        raise caused_by(SourceError(f"{where}: {kind}: {exc}"), None)  # noqa: B904
    finally:
        if not stdin:
            raw.close()
    if not data:
        raise SourceError(f"{name}: the log is empty" + (" (blank lines only)" if count else ""))


def _skip_long_line(readline: Callable[[int], bytes], size: int) -> LongLine:
    """Read past the rest of a line longer than the cap (``size`` bytes of it read so far)."""
    while (chunk := readline(_SKIP_CHUNK)) and not chunk.endswith(b"\n"):
        size += len(chunk)
    size += len(chunk)
    return LongLine(size - 1 if chunk.endswith(b"\n") else size)  # its newline not counted


def _peek(stream: IO[bytes], size: int) -> bytes:
    peek = getattr(stream, "peek", None)
    return peek(size)[:size] if peek is not None else b""
