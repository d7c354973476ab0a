"""Events an :class:`~vtrack.sinks.http.HttpSink` took but has not committed to its outbox yet.

The outbox commits events in groups (one SQLite transaction for ``spool_commit_every`` events,
instead of one each): ``emit()`` stages the event in memory and commits the group once it is
full; the sender commits a group that is not full :data:`COMMIT_DELAY` seconds after its first
event (or as soon as it is done with the attempt in hand), and ``flush()`` and ``close()``
commit whatever is staged before they wait (within their timeout: what a busy outbox does not
take in time stays staged, for the sender). So a crash or ``kill -9`` loses at most the events
staged since the last commit (fewer than ``spool_commit_every``), and never one emitted before
a ``flush()`` whose report has ``uncommitted == 0``. Staged events are in no batch: only
committed events are sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from vtrack.sinks.spool import OutboxError

if TYPE_CHECKING:
    from vtrack.delivery.policy import Batch
    from vtrack.sinks.delivery_state import DeliveryState

log = logging.getLogger("vtrack.http")

#: Seconds a group that is not full waits for more events before the sender commits it.
COMMIT_DELAY = 0.1
#: Seconds before trying again after the outbox could not take a group.
COMMIT_RETRY = 1.0


class Staged:
    """The encoded events waiting for the outbox's next group commit, oldest first.

    Guarded by the sink: added to and committed under its append-order lock, taken out under
    its state lock (so a report never misses an event between the two).
    """

    def __init__(self, every: int, ticks: Callable[[], float]) -> None:
        #: Events per group commit.
        self.every = every
        self.events: list[bytes] = []
        self._ticks = ticks
        #: When the sender commits what is staged, whether or not the group is full (ticks).
        self._due_at: float | None = None

    def add(self, data: bytes) -> bool:
        """Stage one event; True when the group is full (commit it now)."""
        if not self.events:
            self._due_at = self._ticks() + COMMIT_DELAY
        self.events.append(data)
        return len(self.events) >= self.every

    def drop_last(self) -> None:
        """The last event staged was not accepted after all (the outbox refused its group)."""
        self.events.pop()
        if not self.events:
            self._due_at = None

    def deadline(self) -> float | None:
        """When the sender commits what is staged (None: nothing is)."""
        return self._due_at if self.events else None

    def due(self) -> bool:
        """Whether the sender should commit what is staged now."""
        due_at = self.deadline()
        return due_at is not None and self._ticks() >= due_at

    def retry_later(self) -> None:
        """The outbox could not take the group: the sender tries again in COMMIT_RETRY s."""
        self._due_at = self._ticks() + COMMIT_RETRY

    def take(self, count: int) -> list[bytes]:
        """The ``count`` oldest events, committed: no longer staged."""
        taken, self.events = self.events[:count], self.events[count:]
        if not self.events:
            self._due_at = None
        return taken

    def __len__(self) -> int:
        return len(self.events)


class GroupCommits:
    """How an HttpSink commits what is staged; it shares the sink's two locks.

    ``append_order`` orders the outbox and the dispatch (emit holds it from staging to
    committing); ``lock`` is the sink's state lock, taken after it, never before.
    """

    def __init__(
        self,
        state: DeliveryState,
        append_order: threading.Lock,
        lock: threading.Condition,
        compress: Callable[[list[Batch]], None],
    ) -> None:
        self._state = state
        self._append_order = append_order
        self._lock = lock
        self._compress = compress

    def full_group(self, event: object) -> None:
        """Commit the full group (emit, holding the append order); the last event is refused
        if the outbox cannot take it, the others stay staged for the sender to retry."""
        try:
            self._commit()
        except OutboxError as exc:
            with self._lock:
                self._state.staged.drop_last()
            raise OutboxError(f"{exc}; message {event!r} was not accepted") from exc

    def everything(self, wait: float | None) -> None:
        """Commit what is staged (flush), waiting up to ``wait`` s in all for an emit in
        progress and for the outbox: what is not committed by then stays staged."""
        if not self._state.groups_commits:
            return
        limit = None if wait is None else time.monotonic() + wait
        if not self._append_order.acquire(timeout=-1 if wait is None else max(0.0, wait)):
            return
        try:
            self.held(None if limit is None else limit - time.monotonic())
        finally:
            self._append_order.release()

    def held(self, wait: float | None = None) -> bool:
        """Commit what is staged (holding the append order; waiting at most ``wait`` s for the
        outbox); what the outbox does not take stays staged, counts as pending and is logged
        (the sender tries again). Whether it all went."""
        try:
            self._commit(wait)
        except OutboxError as exc:
            if wait is None:
                log.exception("vtrack: could not commit staged events to the outbox")
            else:
                log.warning("vtrack: staged events not committed in time (%s); will retry", exc)
            return False
        return True

    def due(self) -> None:
        """The sender: commit a group that waited COMMIT_DELAY s without filling."""
        staged = self._state.staged
        if staged.due():
            with self._append_order:
                if staged.due() and not self.held():
                    staged.retry_later()

    def _commit(self, wait: float | None = None) -> None:
        """Commit what is staged and hand it to the dispatch (the caller holds the append
        order, so nothing is staged meanwhile). Raises OutboxError; then it stays staged."""
        state = self._state
        rows = state.commit_staged(wait)
        with self._lock:
            closed = state.queue_committed(rows)
            self._lock.notify_all()
        self._compress(closed)  # ahead of the sender, unlocked
