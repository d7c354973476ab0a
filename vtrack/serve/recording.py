"""``--record DIR``: each session's raw records, as applied, in an html5 log of its own.

A session's first part is ``DIR/<session>.jsonl``; a session id used again after its session
ended (or found in DIR from an earlier run) gets the next free ``DIR/<session>.<n>.jsonl``.
Records are written as the server applied them (times corrected), compact, keys in order:
``vtrack replay --dialect html5 FILE`` makes the very messages the server made of them. Each
batch is appended and flushed before its messages are handed on; no file is held open between
batches (a server holds more sessions than it may open files).
"""

from __future__ import annotations

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

    def write(self, key: int, records: list[dict[str, Any]]) -> None:
        """Append records to the part's file."""
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        data = b"".join(dumps(record, option=newline) for record in records)
        with self._paths[key].open("ab") as stream:
            stream.write(data)

    def end(self, key: int) -> None:
        """The part ended: nothing more is written to it."""
        self._paths.pop(key, None)

    def path(self, key: int) -> Path | None:
        """Where a part still under way is written."""
        return self._paths.get(key)
