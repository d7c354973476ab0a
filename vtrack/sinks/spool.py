"""A durable outbox in SQLite: what an HttpSink has committed survives a crash until delivered.

WAL mode: :meth:`Spool.append` (one event) and :meth:`Spool.append_many` (a group, in one
transaction: what HttpSink uses by default, see :mod:`vtrack.sinks.staging`) return only after
the transaction is committed to the write-ahead log, so a ``kill -9`` at any moment loses
nothing they stored. With ``fsync=True`` each commit also waits for the disk
(``synchronous=FULL``), which a power cut cannot undo either, at the cost of one disk flush
per commit. Delivered rows are deleted; dead letters stay (with the status and answer that
refused them) until a person re-queues or exports them (``vtrack outbox``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from vtrack.core.errors import VtrackError

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no advisory locks, one sink per file)
    fcntl = None  # type: ignore[assignment]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    data BLOB NOT NULL,
    created REAL NOT NULL,
    dead INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS events_by_state ON events (dead, id);
"""


#: How long a write waits for another writer to let go of the outbox (seconds).
BUSY_TIMEOUT = 5.0
#: The columns an outbox's ``events`` table has.
_COLUMNS = frozenset({"id", "data", "created", "dead", "status", "answer"})
#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


class OutboxError(VtrackError):
    """A file that is not a vtrack outbox, or an outbox that cannot be opened; names it."""


def open_read_only(path: str | Path, *, being_made: bool = False) -> sqlite3.Connection:
    """A read-only connection to the outbox at ``path``, checked to be one.

    Nothing is written: no table is created, the journal mode is left alone. Raises
    :class:`OutboxError` for a file that is missing, unreadable, not SQLite, or SQLite
    without an outbox's ``events`` table. ``being_made``: an SQLite file with no table at
    all passes too (another process is making the outbox this very moment).
    """
    name = str(path)
    try:
        with open(path, "rb") as stream:
            head = stream.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise OutboxError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if head != _SQLITE_HEADER:
        what = "an empty file" if not head else "not an SQLite database"
        raise OutboxError(f"{name}: not a vtrack outbox ({what})")
    try:
        db = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None
        )
        # One read transaction: another process making the outbox may commit its table
        # between two reads, and columns read before it with tables read after is no outbox.
        db.execute("BEGIN")
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        raise OutboxError(f"{name}: cannot read it as an outbox: {exc}") from None
    if being_made and not tables:
        return db
    if not _COLUMNS <= columns:
        db.close()
        raise OutboxError(f"{name}: not a vtrack outbox (an SQLite database with no events table)")
    return db


#: Row ids per ``IN (...)`` query (SQLite's default limit of host parameters is 999 or more).
_ROWS_PER_QUERY = 500


def _chunks(rows: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(rows), _ROWS_PER_QUERY):
        yield rows[start : start + _ROWS_PER_QUERY]


@attrs.frozen
class SpoolStatus:
    """Counts and ages (seconds) of what an outbox holds."""

    pending: int
    dead: int
    oldest_pending_age: float | None
    oldest_dead_age: float | None


class Spool:
    """One SQLite file of events waiting (in order) or dead. Safe to share between threads.

    A file that exists and holds anything must be an outbox already (:class:`OutboxError`
    otherwise: an unrelated database is never given tables). ``read_only`` opens it for a
    look only (:func:`open_read_only`): nothing is written.
    """

    def __init__(self, path: str | Path, *, fsync: bool = False, read_only: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._lock_fd: int | None = None
        #: This object came through a fork: its connection is the parent's, never touched.
        self._inherited = False
        if read_only:
            self._db = open_read_only(self.path)
            return
        with _REGISTRY:  # a fork waits for the set-up below: no thread in SQLite at a fork
            _OPEN_SPOOLS.add(self)
            self._lock.acquire()
        try:
            self._db = _open_for_writing(self.path, fsync)
        except BaseException:
            with _REGISTRY:
                _OPEN_SPOOLS.discard(self)
            raise
        finally:
            self._lock.release()

    def claim_leftovers(self) -> list[int] | None:
        """Join the sinks using this file; return the rows this one may send (None: others').

        Every sink holds a shared lock on ``<path>.lock`` while open. A sink that finds no
        other one open adopts the waiting rows (left by processes that ended), read while it
        still holds the lock alone; one that finds others open must not, or it would send
        events they still have in hand.
        """
        if fcntl is None:
            return self._take_all_pending()
        self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
            return None
        try:
            return self._take_all_pending()  # no other sink can have added one yet
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)  # now one among others

    def _take_all_pending(self) -> list[int]:
        """Make every waiting row this process's (the sink that opened the file alone)."""
        with self._lock:
            rows = [
                row
                for (row,) in self._db.execute(
                    "UPDATE events SET owner = ? WHERE dead = 0 RETURNING id", (os.getpid(),)
                )
            ]
        return sorted(rows)

    def append(self, data: bytes) -> int:
        """Store one encoded event; return its row id once it is committed."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO events (data, created, owner) VALUES (?, ?, ?)",
                (data, time.time(), os.getpid()),
            )
            row = cursor.lastrowid
        assert row is not None
        return row

    def append_many(self, datas: list[bytes], timeout: float | None = None) -> list[int]:
        """Store encoded events in one transaction (a group commit); their row ids, in order.

        All are committed or none is (the error is raised). ``timeout``: wait at most that
        long for the outbox (this process's other users, and other processes' writers),
        instead of :data:`BUSY_TIMEOUT`; past it ``sqlite3.OperationalError`` is raised.
        """
        created, owner = time.time(), os.getpid()
        rows: list[int] = []
        if not self._lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            raise sqlite3.OperationalError("the outbox is busy (in use by this process)")
        try:
            if timeout is not None:
                self._db.execute(f"PRAGMA busy_timeout={max(0, int(timeout * 1000))}")
            try:
                with self._transaction():
                    for data in datas:
                        row = self._db.execute(
                            "INSERT INTO events (data, created, owner) VALUES (?, ?, ?)",
                            (data, created, owner),
                        ).lastrowid
                        assert row is not None
                        rows.append(row)
            finally:
                if timeout is not None:
                    self._db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        finally:
            self._lock.release()
        return rows

    def adopt_orphans(self) -> list[int]:
        """Take over the waiting rows of processes that ended without sending them.

        Each row records the process that stored it; a process that no longer runs (a child
        killed, or one that ended without closing its sink) left its rows to whoever finds
        them first: they are moved to this process in one statement each, so two live sinks
        never both take them. Returns the rows taken, oldest first. (A process not reaped
        yet still counts as running; so does an unrelated one that got its pid.)
        """
        me = os.getpid()
        with self._lock:
            owners = [
                pid
                for (pid,) in self._db.execute(
                    "SELECT DISTINCT owner FROM events WHERE dead = 0 AND owner != ?", (me,)
                )
            ]
            rows: list[int] = []
            for pid in owners:
                if not _running(pid):
                    rows += [
                        row
                        for (row,) in self._db.execute(
                            "UPDATE events SET owner = ? WHERE dead = 0 AND owner = ? RETURNING id",
                            (me, pid),
                        )
                    ]
        return sorted(rows)

    def pending(self) -> Iterator[tuple[int, bytes]]:
        """The waiting events, oldest first, as ``(row id, data)``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, data FROM events WHERE dead = 0 ORDER BY id"
            ).fetchall()
        return iter(rows)

    def pending_rows(self) -> list[int]:
        """The row ids of the waiting events, oldest first (their data stays on disk)."""
        with self._lock:
            return [
                row
                for (row,) in self._db.execute("SELECT id FROM events WHERE dead = 0 ORDER BY id")
            ]

    def load(
        self, rows: list[int], room: int, *, at_least_one: bool = False
    ) -> list[tuple[int, bytes | None]]:
        """Read back the first of these waiting rows that fit in ``room`` bytes.

        Returns ``(row id, data)`` in order; data is None for a row no longer waiting (a
        person settled it). With ``at_least_one``, the first row comes whatever its size.
        """
        with self._lock:
            sizes: dict[int, int] = {}
            for chunk in _chunks(rows):
                sizes.update(
                    self._db.execute(
                        "SELECT id, length(data) FROM events WHERE dead = 0 AND id IN "
                        f"({','.join('?' * len(chunk))})",
                        chunk,
                    )
                )
            taken: list[int] = []
            for row in rows:
                size = sizes.get(row, 0)
                if size > room and (taken or not at_least_one):
                    break
                taken.append(row)
                room -= size
            found: dict[int, bytes] = {}
            for chunk in _chunks([row for row in taken if row in sizes]):
                found.update(
                    self._db.execute(
                        f"SELECT id, data FROM events WHERE id IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
                )
        return [(row, found.get(row)) for row in taken]

    def delivered(self, rows: Iterable[int]) -> None:
        """Forget delivered events (a batch's rows in one transaction, not one each)."""
        with self._lock, self._transaction():
            for chunk in _chunks(list(rows)):
                self._db.execute(
                    f"DELETE FROM events WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )

    def dead(self, rows: Iterable[int], status: int, answer: str) -> None:
        """Keep refused events aside, with the answer that refused them (one transaction)."""
        with self._lock, self._transaction():
            for chunk in _chunks(list(rows)):
                self._db.execute(
                    "UPDATE events SET dead = 1, status = ?, answer = ? WHERE id IN "
                    f"({','.join('?' * len(chunk))})",
                    (status, answer, *chunk),
                )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction around what the caller does (under the lock)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def dead_letters(self) -> list[tuple[int, bytes, int | None, str | None]]:
        """``(row id, data, status, answer)`` of every dead event, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT id, data, status, answer FROM events WHERE dead = 1 ORDER BY id"
            ).fetchall()

    def requeue_dead(self) -> int:
        """Put every dead event back in line (after what is waiting); return how many."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(
                    "SELECT data, created, ? FROM events WHERE dead = 1 ORDER BY id",
                    (os.getpid(),),  # this process's: a running sink takes them once it ends
                ).fetchall()
                self._db.execute("DELETE FROM events WHERE dead = 1")
                self._db.executemany(
                    "INSERT INTO events (data, created, owner) VALUES (?, ?, ?)", rows
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def status(self, now: float | None = None) -> SpoolStatus:
        """How many events wait and are dead, and the age of the oldest of each."""
        now = time.time() if now is None else now
        with self._lock:
            (pending, oldest_pending), (dead, oldest_dead) = (
                self._db.execute(
                    "SELECT COUNT(*), MIN(created) FROM events WHERE dead = ?", (flag,)
                ).fetchone()
                for flag in (0, 1)
            )
        return SpoolStatus(
            pending=pending,
            dead=dead,
            oldest_pending_age=None if oldest_pending is None else now - oldest_pending,
            oldest_dead_age=None if oldest_dead is None else now - oldest_dead,
        )

    def close(self) -> None:
        """Close the file (and this sink's share of the outbox's lock)."""
        if not self._inherited:  # the parent's connection: closing it could undo its locks
            with self._lock:  # still registered: a fork waits for the close
                self._db.close()
                if self._lock_fd is not None:
                    os.close(self._lock_fd)  # releases this sink's share of the lock
                    self._lock_fd = None
        with _REGISTRY:
            _OPEN_SPOOLS.discard(self)


def _open_for_writing(path: Path, fsync: bool) -> sqlite3.Connection:
    """A connection to the outbox at ``path`` (made if need be), its schema up to date."""
    if _holds_something(path):
        open_read_only(path, being_made=True).close()  # an outbox, or a one-line error
    db = sqlite3.connect(path, timeout=5.0, check_same_thread=False, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")  # first: others may be making it
    _use_wal(db)
    db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
    db.executescript(_SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
    if "owner" not in columns:  # an outbox from before rows recorded their process
        try:
            db.execute("ALTER TABLE events ADD COLUMN owner INTEGER")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another process added it just now
                raise
    db.execute("CREATE INDEX IF NOT EXISTS events_by_owner ON events (owner) WHERE dead = 0")
    return db


def _use_wal(db: sqlite3.Connection) -> None:
    """Put the outbox in WAL mode; processes making it at once take turns (SQLite refuses
    the switch while another connection holds the file, without waiting on its own)."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (on this host: an outbox is one machine's file)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _holds_something(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False  # not there (yet): SQLite makes it, or says why it cannot


#: Outboxes open in this process (the fork hooks below quiesce them), and its lock.
_OPEN_SPOOLS: weakref.WeakSet[Spool] = weakref.WeakSet()
_REGISTRY = threading.Lock()
#: The outbox locks a fork in progress holds (released after it, in the parent).
_HELD: list[threading.Lock] = []
#: Connections a forked child inherited: kept, never closed (SQLite must not close the
#: parent's connection in the child), never used.
_INHERITED: list[sqlite3.Connection] = []


def _before_fork() -> None:
    """No thread may be inside SQLite when the process forks (the child would inherit its
    mutexes locked and hang in its first SQLite call): hold every outbox's lock across it.

    The registry's lock first (no outbox is set up or forgotten meanwhile), then each
    outbox's, in one order; exactly those are released after.
    """
    _REGISTRY.acquire()
    locks = sorted((spool._lock for spool in _OPEN_SPOOLS), key=id)
    for lock in locks:
        lock.acquire()
    _HELD[:] = locks


def _after_fork_in_parent() -> None:
    for lock in reversed(_HELD):
        lock.release()
    _HELD.clear()
    _REGISTRY.release()


def _after_fork_in_child() -> None:
    """The child owns none of the parent's outbox connections: each is set aside untouched."""
    global _REGISTRY
    _REGISTRY = threading.Lock()
    _HELD.clear()
    for spool in list(_OPEN_SPOOLS):
        spool._inherited = True
        spool._lock = threading.Lock()
        _INHERITED.append(spool._db)
        _OPEN_SPOOLS.discard(spool)


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)
