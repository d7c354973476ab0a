"""``--record DIR``: each session's raw records, as applied, in an html5 log of its own.

A session's first part is ``DIR/<session>.jsonl``; a session id used again after its session
ended (or found in DIR from an earlier run) gets the next free ``DIR/<session>.<n>.jsonl``.
Records are written as the server applied them (times corrected), compact, keys in order:
``vtrack replay --dialect html5 FILE`` makes the very messages the server made of them. Each
batch is appended and flushed before its messages are handed on, all or none of it (a write
that fails is cut back, in every file of the batch); no file is held open between batches (a
server holds more sessions than it may open files).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson


class Recorder:
    """Writes session parts' records to files in ``folder`` (made if missing)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._paths: dict[int, Path] = {}

    def begin(self, key: int, session: str) -> None:
        """A new session part: the first free name for it (the file is made at once)."""
        number = 1
        while True:
            name = f"{session}.jsonl" if number == 1 else f"{session}.{number}.jsonl"
            path = self.folder / name
            try:
                with path.open("xb"):
                    break
            except FileExistsError:
                number += 1
        self._paths[key] = path

    def write(self, parts: list[tuple[int, list[dict[str, Any]]]]) -> None:
        """Append records to their parts' files: all or none (on OSError, a full disk ...,
        every file is cut back to what it held, and the error raised)."""
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        written: list[tuple[Path, int]] = []
        try:
            for key, records in parts:
                path = self._paths[key]
                data = b"".join(dumps(record, option=newline) for record in records)
                with path.open("ab") as stream:
                    written.append((path, stream.tell()))
                    stream.write(data)
        except OSError:
            for path, size in written:  # a part written, or half written: as it was
                with contextlib.suppress(OSError):
                    os.truncate(path, size)
            raise

    def end(self, key: int) -> None:
        """The part ended: nothing more is written to it."""
        self._paths.pop(key, None)

    def discard(self, key: int) -> None:
        """A part begun for a batch that was not taken: forgotten, its (empty) file removed."""
        path = self._paths.pop(key, None)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def path(self, key: int) -> Path | None:
        """Where a part still under way is written."""
        return self._paths.get(key)
