"""``--record DIR``: each session's raw records, as applied, in an html5 log of its own.

A session's first part is ``DIR/<session>.jsonl``; a session id used again after its session
ended (or found in DIR from an earlier run) gets the next free ``DIR/<session>.<n>.jsonl``.
Records are written as the server applied them (times corrected), compact, keys in order:
``vtrack replay --dialect html5 FILE`` makes the very messages the server made of them. Each
batch is appended and flushed before its messages are handed on, all or none of it (a write
that fails is cut back, in every file of the batch); no file is held open between batches (a
server holds more sessions than it may open files).

A part that ended (idle timeout, SIGTERM, or recovered) gets an empty sidecar file beside it,
``<part>.jsonl.ended``, made in one step (a file is there or not: nothing half written), and
the part itself is never changed. A part without one was left open by a process that did not
end it (a crash, ``kill -9``): :meth:`Recorder.left_open` finds them, for
:mod:`vtrack.serve.recovery`. Servers sharing a folder each hold a shared lock on its
``.vtrack-record.lock`` (:meth:`Recorder.join`); only one that finds no other there may
recover, or it would take their parts under way for a crash's.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Final

import orjson

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no advisory locks, one server per folder)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("vtrack.serve")

#: The lock file servers recording to a folder hold (shared) while they run.
LOCK_FILE: Final = ".vtrack-record.lock"
#: What a part's name gets to name its sidecar file, made when the part ended.
ENDED: Final = ".ended"


def ended_marker(path: Path) -> Path:
    """The sidecar file that says the part at ``path`` ended."""
    return path.with_name(path.name + ENDED)


def mark_ended(path: Path) -> None:
    """Say the part at ``path`` ended (its sidecar made, if not there yet; the part is not
    touched). Raises OSError if it cannot be made."""
    with contextlib.suppress(FileExistsError), ended_marker(path).open("xb"):
        pass


def is_ended(path: Path) -> bool:
    """Whether the part at ``path`` was ended (its sidecar is there)."""
    return ended_marker(path).exists()


class Recorder:
    """Writes session parts' records to files in ``folder`` (made if missing)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._paths: dict[int, Path] = {}
        self._lock_fd: int | None = None

    def join(self) -> bool:
        """Join the servers recording to the folder: whether this one is alone there (then it
        holds the folder's lock exclusively until :meth:`share`; else it holds it shared, as
        long as the process lives). Raises OSError if the lock file cannot be made."""
        if fcntl is None:
            return True
        if self._lock_fd is None:
            self._lock_fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
            return False
        return True

    def share(self) -> None:
        """Hold the folder's lock shared (after :meth:`join` found this server alone): others
        may join."""
        if fcntl is not None and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)

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
        """The part ended: nothing more is written to it, and its sidecar says so (if it
        cannot be made, a warning is logged: the next start recovers the part, its messages
        sent again with the same messageIds)."""
        path = self._paths.pop(key, None)
        if path is None:
            return
        try:
            mark_ended(path)
        except OSError as exc:
            log.warning("cannot mark %s ended (%s): the next start recovers it", path, exc)

    def left_open(self) -> list[Path]:
        """The parts in the folder no process ended (a crash), in name order; none of this
        recorder's own parts under way."""
        own = set(self._paths.values())
        return [
            path
            for path in sorted(self.folder.glob("*.jsonl"))
            if path.is_file() and path not in own and not is_ended(path)
        ]

    def discard(self, key: int) -> None:
        """A part begun for a batch that was not taken: forgotten, its (empty) file removed."""
        path = self._paths.pop(key, None)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def path(self, key: int) -> Path | None:
        """Where a part still under way is written."""
        return self._paths.get(key)
