"""What the threaded and the asyncio HTTP sinks share: everything but how they wait.

:class:`DeliveryState` holds the destination, the :class:`~vtrack.delivery.Dispatch`, the byte
budget and the optional SQLite outbox, and applies each answer to them. It knows no threads
and no event loop; each sink guards it in its own way (a lock, or the loop's single thread).
"""

from __future__ import annotations

import gzip
import itertools
import logging
import os
import random
import sqlite3
from collections import deque
from collections.abc import Callable

import attrs

from vtrack.core.errors import QueueFull
from vtrack.delivery.destinations import KEY_VARIABLES, Destination, destination
from vtrack.delivery.dispatch import DeadLetter, Dispatch, Request
from vtrack.delivery.encoding import MessageTooLarge
from vtrack.delivery.policy import Batch, Outcome
from vtrack.sinks.dead_letters import DeadLetterKeeper
from vtrack.sinks.delivery_options import DeliveryReport, SinkOptions
from vtrack.sinks.spool import OutboxError, Spool
from vtrack.sinks.staging import Staged

log = logging.getLogger("vtrack.http")

#: Outbox rows read back per step when the sender pages in events that wait on disk only.
PAGE_ROWS = 256
#: Seconds before reading back again after the outbox could not be read.
PAGE_IN_RETRY = 1.0
#: How hard request bodies are compressed (zlib's default).
GZIP_LEVEL = 6
#: Delivered outbox rows are deleted at least this many at a time (see DeliveryState.settle).
FORGET_EVERY = 1_000


@attrs.frozen
class Settled:
    """Outbox rows of the events an answer made dead letters, and those letters (delivered
    rows wait in ``DeliveryState.delivered_rows``)."""

    rows: list[int]
    letters: tuple[DeadLetter, ...]


#: How often a sink with an outbox looks for rows ended processes left there (s).
ORPHAN_CHECK = 2.0


class DeliveryState:
    """The destination, dispatch, budget and outbox of one sink."""

    def __init__(self, options: SinkOptions) -> None:
        self.dead = DeadLetterKeeper(options)
        #: Why this (forked) process has no outbox though the sink has one, if so.
        self.spool_error: str | None = None
        #: When to look next for what ended processes left in the outbox (ticks).
        self._orphans_next = 0.0
        name = options.destination_name
        key = options.write_key
        if key is None:
            key = os.environ.get(KEY_VARIABLES.get(name, ""), "")
        self.options = options
        self.destination: Destination = destination(
            name,
            key,
            region=options.region,
            url=options.url,
            strict=options.strict,
            gzip=options.gzip_body,
        )
        self.headers = dict(self.destination.headers())
        self.clock = options.clock
        self.ticks = options.ticks
        self.dispatch = Dispatch(options.limits, options.retry, random=random.Random().random)
        #: The largest event a batch may hold (the limits never change).
        self.largest_event = self.dispatch.largest_event()
        self.pending_bytes = 0
        #: Events taken but not committed to the outbox yet (HttpSink's group commits).
        self.staged = Staged(options.spool_commit_every, options.ticks)
        #: Outbox rows delivered but not deleted yet (see :meth:`settle`).
        self.delivered_rows: list[int] = []
        self.spool = (
            Spool(options.spool, fsync=options.spool_fsync) if options.spool is not None else None
        )
        #: Spool row ids of the events in the dispatch, in the same order.
        self.rows: deque[int] = deque()
        #: Spool row ids of later events, kept on disk only while the budget is full (with an
        #: outbox, memory holds at most the budget however long the destination is away).
        self.waiting: deque[int] = deque()
        self._page_in_not_before = 0.0
        #: The next event on disk does not fit in the budget: read nothing until some settle.
        self._no_room = False
        if self.spool is not None:
            leftovers = self.spool.claim_leftovers()
            if leftovers is None:
                log.info(
                    "vtrack: another sink has %s open; what earlier runs left there waits for "
                    "a sink that opens it alone",
                    self.spool.path,
                )
            else:
                self.waiting.extend(leftovers)  # what earlier runs left goes first
                self.refill()

    def orphans_due(self) -> bool:
        """Whether it is time to look for rows that ended processes left in the outbox."""
        return self.spool is not None and self.ticks() >= self._orphans_next

    def orphans_looked_for(self) -> None:
        """The look for orphans is done (or under way): the next one in ORPHAN_CHECK s."""
        self._orphans_next = self.ticks() + ORPHAN_CHECK

    def adopt(self, rows: list[int]) -> None:
        """Rows taken over from ended processes: they wait their turn after what waits."""
        if rows:
            log.info("vtrack: took over %d event(s) an ended process left in the outbox", len(rows))
            self.waiting.extend(rows)  # read back by the sender's next page-in, unlocked

    def over_budget(self, size: int) -> bool:
        """Taking ``size`` more bytes would pass the budget (never with an outbox)."""
        return (
            self.spool is None
            and self.pending_bytes + size > self.options.max_pending_bytes
            and self.pending_bytes > 0
        )

    def queue_full(self, event: object, waited: float) -> QueueFull:
        return QueueFull(
            f"{self.pending_bytes:,} bytes are waiting to be sent (the budget is "
            f"{self.options.max_pending_bytes:,}); message {event!r} was not taken"
            + (f" after {waited} s" if waited else "")
        )

    def store(self, data: bytes, event: object) -> int | None:
        """Commit one encoded event to the outbox (its row id; None without an outbox).

        An event larger than a batch may hold is refused here, before anything is stored.
        This may wait for the disk: callers keep it outside any lock that flush() needs.
        """
        self._check_size(data, event)
        if self.spool is None:
            if self.spool_error is not None:
                raise OutboxError(self.spool_error)
            return None
        try:
            return self.spool.append(data)
        except sqlite3.Error as exc:
            raise OutboxError(
                f"{self.spool.path}: the outbox cannot take the event ({exc}); it was not accepted"
            ) from exc

    def _check_size(self, data: bytes, event: object) -> None:
        if len(data) > self.largest_event:
            raise MessageTooLarge(event, len(data), self.largest_event)

    @property
    def groups_commits(self) -> bool:
        """Whether events are staged and committed to the outbox in groups (see :meth:`stage`)."""
        return self.spool is not None and self.staged.every > 1

    def stage(self, data: bytes, event: object) -> bool:
        """Stage one encoded event for the outbox's next group commit (see vtrack.sinks.staging).

        True when the group is full: pass :meth:`commit_staged` to :meth:`queue_committed`.
        Refuses an event larger than a batch may hold, as :meth:`store` does.
        """
        self._check_size(data, event)
        return self.staged.add(data)

    def commit_staged(self, timeout: float | None = None) -> list[int]:
        """Commit the staged events in one transaction; their rows (disk: call unlocked, with
        nothing staged meanwhile; waiting at most ``timeout`` s for the outbox). Raises
        OutboxError, and they stay staged."""
        if self.spool is None or not self.staged:
            return []
        try:
            return self.spool.append_many(list(self.staged.events), timeout)
        except sqlite3.Error as exc:
            raise OutboxError(
                f"{self.spool.path}: the outbox cannot take {len(self.staged):,} event(s) ({exc})"
            ) from exc

    def queue_committed(self, rows: list[int]) -> list[Batch]:
        """Hand the events :meth:`commit_staged` committed to the dispatch, in order; return
        the batches that closed (for :meth:`compress`)."""
        closed: list[Batch] = []
        for data, row in zip(self.staged.take(len(rows)), rows, strict=True):
            closed += self.queue(data, row)
        return closed

    def queue(self, data: bytes, row: int | None) -> list[Batch]:
        """Hand a stored event to the dispatch (in the order the events were stored); return
        the batches that closed (for :meth:`compress`).

        With an outbox and the budget full, the event stays on disk only, behind the others
        waiting there; :meth:`admit` brings it in when there is room.
        """
        if row is not None:
            if self.waiting or (
                self.pending_bytes > 0
                and self.pending_bytes + len(data) > self.options.max_pending_bytes
            ):
                self.waiting.append(row)
                # The batch cannot fill while the budget is full: send it without waiting.
                self.dispatch.flush()
                return []
            self.rows.append(row)
        self.pending_bytes += len(data)
        return self.dispatch.add(data, self.ticks())

    @property
    def idle(self) -> bool:
        """Nothing staged, batched, in flight, waiting in the outbox to be read back, nor
        delivered and still to delete from it."""
        return (
            self.dispatch.idle and not self.waiting and not self.staged and not self.delivered_rows
        )

    def rows_to_load(self) -> list[int]:
        """The outbox rows to read back now (oldest first): none while the budget is full.

        Pass them to :meth:`Spool.load` with :meth:`room`, then what it read to :meth:`admit`.
        Reading may wait for the disk: do it outside any lock that ``flush()`` needs. Only one
        caller (the sender) may page in at a time.
        """
        if (
            not self.waiting
            or self._no_room
            or (self.pending_bytes > 0 and self.pending_bytes >= self.options.max_pending_bytes)
            or self.ticks() < self._page_in_not_before
        ):
            return []
        return list(itertools.islice(self.waiting, PAGE_ROWS))

    def room(self) -> tuple[int, bool]:
        """Bytes the budget has room for now, and whether one event may pass it (none held)."""
        return max(0, self.options.max_pending_bytes - self.pending_bytes), self.pending_bytes == 0

    def admit(self, loaded: list[tuple[int, bytes | None]]) -> list[tuple[int, int]]:
        """Hand events read back from the outbox to the dispatch, in order.

        A row no longer waiting (a person settled it) is skipped. Returns ``(row, size)`` of
        events too large for any batch (stored by a run with larger limits), for :meth:`bury`.
        """
        now, largest = self.ticks(), self.dispatch.largest_event()
        oversized: list[tuple[int, int]] = []
        if not loaded:
            self._no_room = True
        for row, data in loaded:
            if not self.waiting or self.waiting[0] != row:
                raise RuntimeError("outbox rows were paged in by two callers at once")
            self.waiting.popleft()
            if data is None:
                continue
            if len(data) > largest:
                oversized.append((row, len(data)))
                continue
            self.dispatch.add(data, now)
            self.rows.append(row)
            self.pending_bytes += len(data)
        if self.waiting:  # the budget is full again: the open batch will not fill; send it
            self.dispatch.flush()
        return oversized

    def bury(self, oversized: list[tuple[int, int]]) -> None:
        """Keep events no batch can hold as dead letters for a person (disk: call unlocked)."""
        if not oversized or self.spool is None:
            return
        largest = self.dispatch.largest_event()
        try:
            for row, size in oversized:
                self.spool.dead([row], 413, f"{size:,} bytes; batches hold {largest:,}")
        except Exception:
            log.exception("vtrack: could not set aside %d oversized event(s)", len(oversized))
        else:
            log.warning(
                "vtrack: %d event(s) in the outbox are larger than a batch may hold; kept as "
                "dead letters",
                len(oversized),
            )

    def page_in_failed(self) -> None:
        """The outbox could not be read: log it, try again a little later."""
        log.exception("vtrack: could not read events back from the outbox; will retry")
        self._page_in_not_before = self.ticks() + PAGE_IN_RETRY

    def refill(self) -> None:
        """Read back what fits in the budget now (for callers that hold no lock)."""
        while self.spool is not None and (rows := self.rows_to_load()):
            room, at_least_one = self.room()
            try:
                loaded = self.spool.load(rows, room, at_least_one=at_least_one)
            except Exception:
                self.page_in_failed()
                return
            self.bury(self.admit(loaded))
            if not loaded:
                return

    def take(self, data: bytes, event: object) -> None:
        """:meth:`store` then :meth:`queue`."""
        self.queue(data, self.store(data, event))

    def next_request(self) -> tuple[Request | None, float]:
        """The request to send now (or None) and the scheduling time it was asked at."""
        now = self.ticks()
        return self.dispatch.next_request(now, self.clock()), now

    def body(self, request: Request) -> bytes:
        """The bytes to post for ``request``."""
        if not self.destination.gzip:
            return request.body
        if not request.sent_at:  # a request made by hand
            return gzip.compress(request.body, GZIP_LEVEL)
        return request.batch.gzip_body(request.sent_at, GZIP_LEVEL)

    def news_for_sender(self, closed: list[Batch]) -> bool:
        """Whether the event just queued changed what the sender waits for: a batch closed, a
        batch opened (a new deadline), or the first event to wait on disk."""
        return bool(closed) or self.dispatch.batched == 1 or len(self.waiting) == 1

    def compress(self, batches: list[Batch]) -> None:
        """Deflate closed batches ahead of sending (call unlocked: the sender goes on meanwhile,
        as zlib lets go of the GIL; the sender would do it at its send otherwise)."""
        if self.destination.gzip:
            for batch in batches:
                batch.compress(GZIP_LEVEL)

    def answered(
        self, request: Request, status: int, retry_after: str | None, answer: str
    ) -> Settled:
        """Apply the server's answer; return what to write to the outbox and report.

        Pass the result to :meth:`settle` (outside any lock: it may wait for the disk).
        """
        outcome = self.dispatch.answered(status, retry_after, answer, self.ticks(), self.clock())
        letters = self.dispatch.dead_letters[:]
        self.dispatch.dead_letters.clear()  # the keeper holds them, within its bound
        for letter in letters:  # under the sink's lock, like every count a report reads
            self.dead.keep(letter, in_outbox=self.spool is not None)
        rows: list[int] = []
        if outcome in (Outcome.DELIVERED, Outcome.DEAD):
            self.pending_bytes -= sum(len(event) for event in request.batch.events)
            self._no_room = False
            if self.spool is not None:
                # Batches settle oldest first (one in flight, halves of a split go back in
                # front), so the settled events are always the first rows.
                rows = [self.rows.popleft() for _ in range(len(request.batch))]
                if outcome is Outcome.DELIVERED:  # to delete: idle only once they are gone
                    self.delivered_rows += rows
                    rows = []
        return Settled(rows, tuple(letters))

    def settle(self, settled: Settled, *, defer: bool = False) -> None:
        """Update the outbox for settled events, then report dead letters.

        ``defer``: delivered rows are deleted in groups (:meth:`forget_delivered`, at least
        every :data:`FORGET_EVERY` rows): the caller forgets the rest whenever it is idle.
        """
        if settled.rows and self.spool is not None and settled.letters:
            letter = settled.letters[0]
            _update_outbox(self.spool.dead, settled.rows, letter.status, letter.answer)
        if self.delivered_rows and (not defer or len(self.delivered_rows) >= FORGET_EVERY):
            self.forget_delivered()
        for letter in settled.letters:
            report_dead(letter, self.options.on_error)

    def forget_delivered(self) -> None:
        """Delete the delivered rows not deleted yet, in one transaction (disk: unlocked; only
        the sender adds rows, so none comes meanwhile)."""
        if self.delivered_rows and self.spool is not None:
            _update_outbox(self.spool.delivered, self.delivered_rows)
        self.delivered_rows = []

    def failed(self, reason: str) -> None:
        """No answer came; the dispatch schedules the retry."""
        self.dispatch.failed(self.ticks())
        log.warning("vtrack: delivery attempt failed (%s); will retry", reason)

    def report(self) -> DeliveryReport:
        counters = self.dispatch.counters
        return DeliveryReport(
            emitted=counters.emitted + len(self.waiting) + len(self.staged),
            delivered=counters.delivered,
            retried=counters.retried,
            dead=counters.dead,
            pending=tuple(self.dispatch.pending_events() + self.staged.events),
            in_outbox=len(self.waiting),
            dead_in_outbox=self.dead.in_outbox,
            dead_in_memory=self.dead.in_memory,
            dead_in_file=self.dead.in_file,
            dead_dropped=self.dead.dropped,
            uncommitted=len(self.staged),
        )

    def release(self) -> None:
        """The sender is gone: close the outbox (and give up this sink's share of its lock),
        committing first what is still staged (a close that timed out): a later sink sends it."""
        if self.spool is not None:
            if self.staged:
                try:
                    self.spool.append_many(self.staged.events)
                except Exception:
                    log.exception("vtrack: %d staged event(s) are lost", len(self.staged))
                else:
                    log.info("vtrack: %d staged event(s) committed late", len(self.staged))
            self.forget_delivered()
            self.spool.close()

    def warn_of(self, report: DeliveryReport) -> None:
        """Log what a closing sink leaves undelivered."""
        if not report.complete:
            log.warning(
                "vtrack: %d event(s) not delivered when the sink closed%s",
                len(report.pending) + report.in_outbox,
                " (they wait in the outbox)" if self.spool is not None else "",
            )
        if report.uncommitted:
            log.error(
                "vtrack: %d of them could not be committed to the outbox: they are in the "
                "report only, and lost when this process ends",
                report.uncommitted,
            )

    def start_afresh(self) -> None:
        """In a forked child: an empty dispatch and a connection of its own to the outbox."""
        self.dispatch = Dispatch(
            self.options.limits, self.options.retry, random=random.Random().random
        )
        self.pending_bytes = 0
        self.staged = Staged(self.options.spool_commit_every, self.ticks)  # the parent's stay
        self.delivered_rows = []
        self.rows = deque()
        self.waiting = deque()
        self._no_room = False
        if self.options.spool is not None:
            try:
                self.spool = Spool(self.options.spool, fsync=self.options.spool_fsync)
            except (sqlite3.Error, OSError, OutboxError) as exc:
                self.spool = None
                self.spool_error = (
                    f"{self.options.spool}: this forked process cannot open the outbox ({exc}); "
                    "events are not accepted (a sink made in this process may work)"
                )
                log.error("vtrack: %s", self.spool_error)
                return
            self.spool.claim_leftovers()  # the parent is open: this only takes a share


def report_dead(letter: DeadLetter, on_error: Callable[[DeadLetter], object] | None) -> None:
    """Log a dead letter and hand it to ``on_error`` (whose exceptions are only logged).

    Every exception ``on_error`` raises is caught, ``SystemExit`` and ``KeyboardInterrupt``
    included: it runs on the sender (a thread, or the async sink's task), where either
    would end delivery for good while ``emit()`` kept accepting events.
    """
    log.warning(
        "vtrack: %d event(s) refused with HTTP %d; kept as a dead letter",
        len(letter.events),
        letter.status,
    )
    if on_error is None:
        return
    try:
        on_error(letter)
    except BaseException:  # SystemExit and KeyboardInterrupt too: the sender must go on
        log.exception("vtrack: on_error raised; the sender goes on")


def _update_outbox(update: Callable[..., None], rows: list[int], *args: object) -> None:
    try:
        update(rows, *args)
    except Exception:  # a locked or full disk must not stop delivery
        log.exception(
            "vtrack: could not update the outbox for %d settled event(s); a later sink on "
            "it may send them again (messageIds let the destination drop repeats)",
            len(rows),
        )
