"""HTTP delivery on a background thread: the edge that drives :class:`vtrack.delivery.Dispatch`.

``emit()`` encodes the message at once (a bad one is refused to the caller's face), adds it to
the current batch and returns; one sender thread sends batches in order with ``httpx``,
retrying as the dispatch decides. ``flush(timeout)`` and ``close(timeout)`` always return
within their timeout with a :class:`DeliveryReport`; whatever was not delivered by then is
listed in it (and kept in the outbox, if there is one), never dropped silently.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from vtrack.core.errors import QueueFull
from vtrack.delivery.dispatch import DeadLetter, Request
from vtrack.delivery.encoding import encode
from vtrack.delivery.policy import Batch, BatchLimits, RetryPolicy
from vtrack.sinks.deadline import AttemptDeadline
from vtrack.sinks.delivery_options import DeliveryReport, SinkOptions
from vtrack.sinks.delivery_state import DeliveryState, log
from vtrack.sinks.posting import poster_for
from vtrack.sinks.staging import GroupCommits

#: The longest the sender sleeps at once (it is woken early when events or answers come).
_LONGEST_NAP = 1.0


class _DiskWork:
    """What the sender's wait returns when the outbox has work: events staged to commit,
    events waiting there to read back, or orphans to look for."""


_DISK_WORK = _DiskWork()
#: What the sender's wait returns when it has nothing to send but delivered rows to delete.
_FORGET = _DiskWork()


class HttpSink:
    """Sends messages to a Segment-compatible batch API from one background thread.

    ``destination_name`` is ``segment``, ``customerio``, ``rudderstack`` or ``endpoint`` (then
    ``url=`` is the batch URL). The write key comes from ``write_key=`` or the destination's
    environment variable (``SEGMENT_WRITE_KEY``, ``CUSTOMERIO_API_KEY``,
    ``RUDDERSTACK_WRITE_KEY``, ``VTRACK_WRITE_KEY``); it appears in no repr, log or error.

    Memory is bounded by ``max_pending_bytes``: when that much is waiting, ``emit()`` waits up
    to ``emit_timeout`` seconds for room, then raises :class:`QueueFull` (with an outbox, later
    events wait on disk instead and are read back as room comes). ``on_error`` is called
    with each :class:`~vtrack.delivery.DeadLetter` (a batch refused with 400/401/403/404/422); an
    exception it raises is logged and never stops the sender. Dead letters are never held
    without bound: with an outbox they are in it; without one, memory keeps
    ``max_dead_letter_bytes`` of them (``dead_letters``) and the rest go to
    ``dead_letter_file`` (JSON Lines) or, with none, are counted; the report's ``dead_in_*``
    counts say where each one is.

    With ``spool="outbox.db"`` events are committed to a SQLite outbox, ``spool_commit_every``
    (100) to a transaction, and deleted once delivered (1,000 at a time at most, and whenever
    the sender has nothing to send: after a crash, events delivered just before may be sent
    again; their messageIds let destinations drop repeats); the next sink opened on the same file
    sends what is left first. Dead letters stay in it. ``flush()`` and ``close()`` commit
    everything emitted before them first (within their timeout): a crash or ``kill -9`` loses
    nothing emitted before a ``flush()`` whose report has ``uncommitted == 0``, and otherwise
    at most the events not committed yet (fewer than ``spool_commit_every``, the newest; see
    :mod:`vtrack.sinks.staging`).
    ``spool_commit_every=1`` commits each event before ``emit()`` returns (about half the
    throughput): then a kill loses nothing ``emit()`` accepted. ``spool_fsync=True`` also
    waits for the disk on each commit, so a power cut loses no committed event either.

    Open sinks are closed at interpreter exit (within :data:`EXIT_TIMEOUT` s each); in a child
    made by ``os.fork()`` a sink starts afresh with its own client and sender.
    """

    def __init__(
        self,
        destination_name: str = "segment",
        *,
        write_key: str | None = None,
        region: str = "us",
        url: str | None = None,
        strict: bool | None = None,
        gzip_body: bool = True,
        limits: BatchLimits | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        max_pending_bytes: int = 8 * 1024 * 1024,
        emit_timeout: float = 5.0,
        on_error: Callable[[DeadLetter], object] | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        spool: str | Path | None = None,
        spool_fsync: bool = False,
        spool_commit_every: int = 100,
        max_dead_letter_bytes: int = 8 * 1024 * 1024,
        dead_letter_file: str | Path | None = None,
    ) -> None:
        self._state = DeliveryState(
            SinkOptions(
                destination_name=destination_name,
                write_key=write_key,
                region=region,
                url=url,
                strict=strict,
                gzip_body=gzip_body,
                limits=limits or BatchLimits(),
                retry=retry or RetryPolicy(),
                timeout=timeout,
                max_pending_bytes=max_pending_bytes,
                on_error=on_error,
                clock=clock,
                spool=spool,
                spool_fsync=spool_fsync,
                spool_commit_every=spool_commit_every,
                max_dead_letter_bytes=max_dead_letter_bytes,
                dead_letter_file=dead_letter_file,
            )
        )
        self.destination = self._state.destination
        self._emit_timeout = emit_timeout
        #: Ends each attempt on time, however slowly the server answers (own client only).
        self._deadline = AttemptDeadline()
        self._poster = poster_for(client, timeout, self._deadline)
        self._own_client = client is None
        self._closing = False  # no more emits
        self._stopping = False  # the sender stops once nothing can go right away
        self._start_sender()
        _OPEN_SINKS.add(self)
        _close_at_multiprocessing_exit()

    def _start_sender(self) -> None:
        # New locks here also replace, in a forked child, any the parent held at the fork.
        self._append_order = threading.Lock()
        self._lock = threading.Condition()
        #: emit (compressing ahead) and the sender take turns: the second finds the work done.
        self._deflating = threading.Lock()
        self._commits = GroupCommits(self._state, self._append_order, self._lock, self._compress)
        self._released = False
        #: An answer settled events, but the threads waiting on the lock are woken only once the
        #: next request is on its way: an emit woken by the room it made then runs while the
        #: server works, instead of holding the GIL the sender needs to send (see _send).
        self._owed_wake = False
        self._thread = threading.Thread(target=self._run, name="vtrack-http-sender", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"HttpSink({getattr(self, 'destination', None)!r})"

    # ------------------------------------------------------------------ the Sink protocol
    def emit(self, message: dict[str, Any]) -> None:
        """Encode ``message`` and queue it (raises EncodingError, MessageTooLarge, QueueFull)."""
        data = encode(message)
        state = self._state
        event = message.get("event")
        closed: list[Batch] = []
        with self._append_order:  # the outbox and the dispatch see events in the same order
            if state.spool is None:  # no outbox: all at once under the lock
                if len(data) > state.largest_event or state.spool_error is not None:
                    state.store(data, event)  # raises MessageTooLarge or OutboxError
                with self._lock:
                    if self._closing or state.over_budget(len(data)):
                        self._wait_for_room(data, event)
                    closed = state.queue(data, None)
                    if state.news_for_sender(closed):  # not each time: waking it costs
                        self._lock.notify_all()
            elif state.groups_commits:
                if self._closing:  # close() sets it holding the append order, as this emit does
                    raise RuntimeError("HttpSink is closed")
                if state.stage(data, event):  # the group is full: commit it (disk: unlocked)
                    self._commits.full_group(event)
                elif len(state.staged) == 1:  # the sender commits it in COMMIT_DELAY s at most
                    with self._lock:
                        self._lock.notify_all()
            else:
                with self._lock:
                    self._wait_for_room(data, event)
                row = state.store(data, event)  # may wait for the disk: not under the lock
                with self._lock:
                    if self._closing:
                        raise RuntimeError(
                            "HttpSink closed while the event was being stored; it waits in the "
                            "outbox for the next sink"
                        )
                    closed = state.queue(data, row)
                    self._lock.notify_all()
        if closed:
            self._compress(closed)  # ahead of the sender, unlocked

    def _compress(self, batches: list[Batch]) -> None:
        """Compress closed batches for sending (not under the lock; zlib lets go of the GIL)."""
        with self._deflating:
            self._state.compress(batches)

    def _wait_for_room(self, data: bytes, event: object) -> None:
        """Wait (holding the lock) up to ``emit_timeout`` s for the budget to take ``data``."""
        if self._closing:
            raise RuntimeError("HttpSink is closed")
        state = self._state
        if not state.over_budget(len(data)):
            return
        limit = time.monotonic() + self._emit_timeout
        while state.over_budget(len(data)):
            left = limit - time.monotonic()
            if left <= 0:
                raise state.queue_full(event, self._emit_timeout)
            self._lock.wait(left)
            if self._closing:  # closed while this emit waited: it must not slip in
                raise RuntimeError("HttpSink is closed")

    def flush(self, timeout: float | None = 30.0) -> DeliveryReport:
        """Commit everything emitted to the outbox (if any), send everything batched, and wait
        until it is delivered or ``timeout`` s have passed."""
        started = time.monotonic()
        self._commits.everything(timeout)
        with self._lock:
            self._state.dispatch.flush()
            self._lock.notify_all()
            if threading.current_thread() is not self._thread:  # not from inside on_error
                spent = time.monotonic() - started
                self._wait_idle(None if timeout is None else max(0.0, timeout - spent))
            return self._state.report()

    def close(self, timeout: float | None = 5.0) -> DeliveryReport:
        """Flush, stop the sender and release the client; returns within ``timeout`` s.

        No emit is taken once closing starts, so the report accounts for every event taken.
        """
        started = time.monotonic()
        if self._state.groups_commits and self._append_order.acquire(
            timeout=-1 if timeout is None else max(0.0, timeout / 2)
        ):  # no emit is half-way: every event accepted is committed before closing starts
            try:
                with self._lock:
                    self._closing = True
                spent = time.monotonic() - started
                self._commits.held(None if timeout is None else timeout / 2 - spent)
            finally:
                self._append_order.release()
        with self._lock:
            self._closing = True
            self._state.dispatch.flush()
            self._lock.notify_all()
            if threading.current_thread() is not self._thread:
                # Keep a tenth of the time (at most 0.25 s) for the sender to stop and let
                # go of the outbox, so the next sink on it can take over at once.
                reserve = 0.0 if timeout is None else min(0.25, timeout / 10)
                spent = time.monotonic() - started
                self._wait_idle(None if timeout is None else timeout - reserve - spent)
            self._stopping = True
            self._lock.notify_all()
        if threading.current_thread() is not self._thread:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            self._thread.join(left)
        _OPEN_SINKS.discard(self)
        with self._lock:
            report = self._state.report()
        self._state.warn_of(report)
        return report

    @property
    def counters(self) -> DeliveryReport:
        """Emitted, delivered, retried, dead and pending, as of now."""
        with self._lock:
            return self._state.report()

    @property
    def dead_letter_file(self) -> Path | None:
        """Where dead letters past ``max_dead_letter_bytes`` go now (a temporary file if the
        one given could not be written), or None."""
        return self._state.dead.file

    @property
    def dead_letters(self) -> list[DeadLetter]:
        """The refused batches held in memory (none with an outbox: they are in it), oldest
        first, up to ``max_dead_letter_bytes``; ``report.dead_in_*`` say where the rest are."""
        with self._lock:
            return list(self._state.dead.letters)

    # ------------------------------------------------------------------ the sender
    def _run(self) -> None:
        try:
            while True:
                self._adopt_orphans()
                self._commits.due()
                self._page_in()
                with self._lock:
                    request = self._next_request()
                    if request is None:
                        break
                if request is _FORGET:
                    self._forget_delivered()
                elif not isinstance(request, _DiskWork):
                    self._send(request)
        finally:
            self._release()  # the sender is the last user of the client and the outbox

    def _release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._poster.close()  # the caller's client is left open
        self._state.release()

    def _next_request(self) -> Request | _DiskWork | None:
        """Wait (holding the lock) for the next request; None when closing and nothing can go.

        :data:`_DISK_WORK` when the outbox has work first (see :class:`_DiskWork`).
        """
        state = self._state
        while True:
            if self._stopping:  # closed (or its timeout passed): start nothing new
                self._pay_wake()
                return None
            if state.rows_to_load() or state.orphans_due() or state.staged.due():
                self._pay_wake()
                return _DISK_WORK  # back to the loop's top: the outbox's turn
            request, now = state.next_request()
            if request is not None:
                return request  # the owed wake goes once it is sent
            self._pay_wake()
            if state.delivered_rows:
                return _FORGET  # nothing to send: time to delete what was delivered
            wakes = [
                at for at in (state.dispatch.wakeup(now), state.staged.deadline()) if at is not None
            ]
            nap = min(_LONGEST_NAP, max(0.0, min(wakes) - now)) if wakes else _LONGEST_NAP
            self._lock.wait(nap)

    def _pay_wake(self) -> None:
        """Wake the threads waiting on the lock if an answer owes them (the lock is held)."""
        if self._owed_wake:
            self._owed_wake = False
            self._lock.notify_all()

    def _wake_waiters(self) -> None:
        """The request is on its way: wake what the last answer owes (the lock is not held)."""
        with self._lock:
            self._pay_wake()

    def _send(self, request: Request) -> None:
        state = self._state
        if not request.batch.compressed:
            self._compress([request.batch])  # or wait for emit, compressing it just now
        self._deadline.start(state.options.timeout, self._wake_waiters)
        try:
            answer = self._poster.post(state.destination.url, state.body(request), state.headers)
        except Exception as exc:
            # Whatever it is, it is one failed attempt: the sender must live on.
            with self._lock:
                state.failed(f"{type(exc).__name__}: {exc}")
                self._pay_wake()
                self._lock.notify_all()
            return
        finally:
            self._deadline.stop()
        with self._lock:
            self._pay_wake()  # if the request never read (a client of the caller's)
            settled = state.answered(request, answer.status, answer.retry_after, answer.text)
            if self._own_client:  # its reads tell when the next request is on its way
                self._owed_wake = True
            else:
                self._lock.notify_all()
        state.settle(settled, defer=True)  # outbox writes and on_error: outside the lock

    def _forget_delivered(self) -> None:
        """Delete the delivered rows from the outbox (disk: unlocked); flush() may be waiting."""
        self._state.forget_delivered()
        with self._lock:
            self._lock.notify_all()

    def _adopt_orphans(self) -> None:
        """Now and then, take over what ended processes left in the outbox (disk: unlocked)."""
        state = self._state
        if not state.orphans_due():  # no lock needed: only the sender sets when it is due
            return
        with self._lock:
            due = state.orphans_due()
            if due:
                state.orphans_looked_for()
        if not due or state.spool is None:
            return
        try:
            rows = state.spool.adopt_orphans()
        except Exception:
            log.exception("vtrack: could not look for what ended processes left in the outbox")
            return
        with self._lock:
            state.adopt(rows)
            self._lock.notify_all()

    def _page_in(self) -> None:
        """Read back from the outbox what the budget has room for (disk: unlocked)."""
        state = self._state
        while state.spool is not None:
            with self._lock:
                rows, (room, at_least_one) = state.rows_to_load(), state.room()
            if not rows:
                return
            try:
                loaded = state.spool.load(rows, room, at_least_one=at_least_one)
            except Exception:
                with self._lock:
                    state.page_in_failed()
                return
            with self._lock:
                oversized = state.admit(loaded)
                self._lock.notify_all()
            state.bury(oversized)

    def _wait_idle(self, timeout: float | None) -> None:
        limit = None if timeout is None else time.monotonic() + timeout
        while not self._state.idle and self._thread.is_alive():
            left = None if limit is None else limit - time.monotonic()
            if left is not None and left <= 0:
                return
            self._lock.wait(_LONGEST_NAP if left is None else min(left, _LONGEST_NAP))

    def _start_afresh_after_fork(self) -> None:
        """In a forked child: a new lock, client, outbox connection and sender of its own.

        What was pending belongs to the parent, which still delivers it; the child delivers
        what it emits. Inherited connections are left alone (they are the parent's sockets).
        """
        self._state.start_afresh()
        if self._own_client:
            self._deadline = AttemptDeadline()
            self._poster = poster_for(None, self._state.options.timeout, self._deadline)
        else:
            log.warning(
                "vtrack: HttpSink forked with a client you passed in; parent and child now "
                "share its connections (pass no client= to get a fresh one per process)"
            )
        self._start_sender()


#: Sinks not closed yet: closed at interpreter exit, restarted in a forked child.
_OPEN_SINKS: weakref.WeakSet[HttpSink] = weakref.WeakSet()
#: How long the exit hook gives each open sink to deliver what it holds.
EXIT_TIMEOUT = 2.0


def _close_open_sinks() -> None:
    for sink in list(_OPEN_SINKS):
        sink.close(EXIT_TIMEOUT)  # logs a warning with the count of what is pending


def _after_fork_in_child() -> None:
    for sink in list(_OPEN_SINKS):
        if not sink._closing:
            sink._start_afresh_after_fork()


#: The process whose multiprocessing exit closes its open sinks (see below).
_finalized_pid: int | None = None


def _close_at_multiprocessing_exit(_: object = None) -> None:
    """In a multiprocessing child, close the open sinks when it ends, as atexit would.

    A child started with the fork (or forkserver) method ends with ``os._exit``: ``atexit``
    never runs there, only multiprocessing's own finalizers. Without this, a child that
    emits and returns without closing its sink loses every event it held, silently.
    """
    global _finalized_pid
    if multiprocessing.parent_process() is None or _finalized_pid == os.getpid():
        return
    _finalized_pid = os.getpid()
    multiprocessing.util.Finalize(None, _close_open_sinks, exitpriority=100)


class _AfterFork:
    """Lets multiprocessing tell this module that it made a child (weak-referenceable)."""


_AFTER_FORK = _AfterFork()


atexit.register(_close_open_sinks)
os.register_at_fork(after_in_child=_after_fork_in_child)
# Inherited sinks too: the child's finalizers are set once multiprocessing cleared the
# parent's (its after-fork hooks run then).
multiprocessing.util.register_after_fork(_AFTER_FORK, _close_at_multiprocessing_exit)

__all__ = ["EXIT_TIMEOUT", "DeliveryReport", "HttpSink", "QueueFull"]
