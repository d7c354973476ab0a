"""Sessions from batches of html5 records: each played exactly as ``vtrack replay`` plays its log.

Each session has its own :class:`~vtrack.replay.dialects.DialectReader` (the html5 translator)
and :class:`~vtrack.replay.engine.Replayer`, fed line by line as
:class:`~vtrack.replay.run.ReplayRun` feeds a log's lines, so the messages a session makes are
those a replay of its records makes (the records as recorded: with the client's clock
corrected, see :mod:`vtrack.serve.clock`). What falls due between records (heartbeats,
milestones) comes with the session's next records, dated when it fell due. A session silent
for ``idle_timeout`` seconds ends as a replay ends at the end of its input: what the
translator holds is told, then the session exits at its last record. A later batch of the same
session id starts a new session (a new part of its recording) for the same viewer.

A batch is refused whole, before anything is applied: :class:`~vtrack.serve.batch.BadBatch`
for an unreadable line, :class:`Conflict` for a record naming another viewer than the one the
session is bound to, :class:`TooManySessions` for a batch starting more than
:data:`MAX_NEW_SESSIONS` sessions, :class:`SessionsFull` when the server holds
``max_open_sessions`` already. The sessionizer does no I/O: records go to a
:class:`Recording`, messages are returned. A recording that fails (an ``OSError``: a full
disk) leaves the batch unapplied too: the sessions' state changes, and the batch's id is
remembered, only once it is recorded.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, Protocol

import attrs

from vtrack.core.errors import VtrackError
from vtrack.core.settings import Settings
from vtrack.players.base import MIN_STALL
from vtrack.replay.dialects import DialectReader
from vtrack.replay.engine import Replayer, Where
from vtrack.replay.log_format import BadRecord, Record
from vtrack.serve import clock
from vtrack.serve.batch import BadBatch, Line

#: How many ended sessions' viewers are remembered (a later batch naming another is refused),
#: with their last batch ids (a batch sent again after its session ended is not applied again).
VIEWERS_KEPT: Final = 65_536
#: How many recent batch ids a session remembers (a batch sent again is not applied again).
BATCHES_KEPT: Final = 16
#: How many of them are kept once the session ended (a client sends one batch at a time: a
#: batch sent again after the end is one of its last).
BATCHES_KEPT_ENDED: Final = 4
#: How long a session may be silent before it ends (s), by default: browsers run a hidden tab's
#: timers as rarely as once a minute, vtrack.js's 20 s keepalive with them.
IDLE_TIMEOUT: Final = 120.0
#: How many sessions a server holds at most, by default (about 10 KB each).
MAX_OPEN_SESSIONS: Final = 100_000
#: How many sessions one batch may start (vtrack.js puts at most 2 in a batch: the one ending
#: and the next).
MAX_NEW_SESSIONS: Final = 16

Message = dict[str, Any]


class Conflict(VtrackError):
    """A record names another viewer than the one its session is bound to."""

    def __init__(self, line: int, session: str) -> None:
        self.line = line
        self.session = session
        super().__init__(f"line {line}: session {session!r} belongs to another viewer")


class TooManySessions(BadBatch):
    """A batch starting more than :data:`MAX_NEW_SESSIONS` sessions (``line``: the first
    record of the first one past it)."""

    def __init__(self, line: int) -> None:
        super().__init__(
            line,
            f"a batch may start at most {MAX_NEW_SESSIONS} sessions (vtrack.js starts at most "
            "2): this record's is one more",
        )


class SessionsFull(VtrackError):
    """The batch would start sessions past ``max_open_sessions``: try again in ``retry_after``
    seconds (when the least recently active session times out, at the latest)."""

    def __init__(self, limit: int, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"the server holds {limit:,} sessions, its most")


class Recording(Protocol):
    """Where a session's records are kept as they are applied (``--record DIR``).

    ``key`` names one session part (a session id used again after its session ended is a
    new part): :meth:`begin` comes before its first records, :meth:`end` after its last.
    :meth:`write` takes a batch's records, by part, all or none: if it raises OSError, no
    part has any of them; then the parts begun for the batch are given up (:meth:`discard`).
    """

    def begin(self, key: int, session: str) -> None: ...

    def write(self, parts: list[tuple[int, list[dict[str, Any]]]]) -> None: ...

    def end(self, key: int) -> None: ...

    def discard(self, key: int) -> None: ...


@attrs.define(slots=True)
class _Live:
    """One session the server holds: its translator and engine, clock and last activity."""

    session: str
    key: int
    identity: tuple[str, str]
    reader: DialectReader
    replayer: Replayer
    seen_at: float
    offset: float | None = None
    last_at: float | None = None
    batches: deque[str] = attrs.field(factory=lambda: deque(maxlen=BATCHES_KEPT))


@attrs.define(slots=True)
class _Group:
    """A batch's records of one session, as they are checked, corrected and applied."""

    session: str
    lines: list[Line]
    identity: tuple[str, str]
    #: The session held, or None: the batch starts it (a new session, or a new part).
    live: _Live | None
    offset: float = 0.0
    last_at: float | None = None
    #: Its recording's part (0: not yet known).
    key: int = 0


@attrs.frozen(slots=True)
class _Ended:
    """What is kept of a session that ended: its viewer, and the ids of its last batches."""

    identity: tuple[str, str]
    batches: tuple[str, ...]


@attrs.define
class SessionizerStats:
    """What the sessionizer did, counted as it goes."""

    records: int = 0
    messages: int = 0
    sessions: int = 0
    #: Records the replay's rules skipped (a callback the session's state refuses ...).
    bad_records: int = 0
    #: Batches sent again (their id seen already): answered, not applied.
    duplicates: int = 0


class Sessionizer:
    """Batches of html5 records in, the messages of their sessions out (see the module)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        min_stall: float = MIN_STALL,
        recording: Recording | None = None,
        on_bad_record: Callable[[Where, str], None] | None = None,
        max_open_sessions: int = MAX_OPEN_SESSIONS,
    ) -> None:
        if isinstance(idle_timeout, bool) or not 0 < idle_timeout < float("inf"):
            raise ValueError(f"idle_timeout must be a number of seconds > 0; got {idle_timeout!r}")
        if type(max_open_sessions) is not int or max_open_sessions < 1:
            raise ValueError(f"max_open_sessions must be an int >= 1; got {max_open_sessions!r}")
        self.max_open_sessions = max_open_sessions
        self.settings = settings if settings is not None else Settings()
        self.idle_timeout = float(idle_timeout)
        self.min_stall = min_stall
        self.recording = recording
        self.on_bad_record = on_bad_record
        self.stats = SessionizerStats()
        #: Sessions held, the least recently active first.
        self._live: OrderedDict[str, _Live] = OrderedDict()
        #: The viewers (and last batch ids) of sessions that ended, the oldest first.
        self._ended: OrderedDict[str, _Ended] = OrderedDict()
        self._keys = 0

    @property
    def open_sessions(self) -> int:
        """How many sessions the server holds."""
        return len(self._live)

    def accept(
        self,
        lines: list[Line],
        *,
        received_at: float,
        sent_at: float | None = None,
        batch: str | None = None,
        ticks: float | None = None,
    ) -> list[Message]:
        """Apply one batch (read by :func:`~vtrack.serve.batch.read_batch`); its messages.

        ``received_at`` is when it arrived (the server's epoch time), ``sent_at`` when the
        client sent it (the client's clock), ``batch`` an id the client gives it (a batch sent
        again with the same id is not applied again), ``ticks`` when it arrived by the clock
        idleness is measured on (a monotonic one, as :meth:`expire`'s ``now``; by default
        ``received_at``: an epoch clock set meanwhile would end sessions early or late). All
        or nothing: raises
        :class:`BadBatch` or :class:`Conflict` before anything is applied, and an ``OSError``
        of the recording with nothing applied either (the batch may be sent again).
        """
        groups = self._check(lines)
        if batch is not None and any(batch in self._batches(g.session) for g in groups):
            self.stats.duplicates += 1
            return []
        ticks = received_at if ticks is None else ticks
        self._check_room(groups, ticks)
        estimate = clock.estimate(received_at, sent_at)
        for group in groups:
            self._correct(group, estimate, received_at)
        self._record(groups)
        out: list[Message] = []
        for group in groups:
            out += self._apply(group, ticks)
        if batch is not None:  # only once every group is applied: a batch sent again is not
            for group in groups:
                assert group.live is not None
                group.live.batches.append(batch)
        self.stats.messages += len(out)
        return out

    def expire(self, now: float) -> list[Message]:
        """End the sessions silent for ``idle_timeout`` by ``now`` (on the clock of
        :meth:`accept`'s ``ticks``); their last messages."""
        return [message for messages in self.expiring(now) for message in messages]

    def expiring(self, now: float) -> Iterator[list[Message]]:
        """:meth:`expire`, a session at a time: each ended session's last messages.

        A session whose end raises is dropped all the same (the error goes to the caller,
        and iterating anew goes on with the next session).
        """
        limit = now - self.idle_timeout
        while self._live:
            live = next(iter(self._live.values()))
            if live.seen_at > limit:
                break
            messages = self._end(live)
            self.stats.messages += len(messages)
            yield messages

    def finish(self) -> Iterator[Message]:
        """End every session held (the server stops); their last messages, a session at a time
        (a session whose end raises is dropped: iterating anew goes on with the next)."""
        while self._live:
            messages = self._end(next(iter(self._live.values())))
            self.stats.messages += len(messages)
            yield from messages

    # ------------------------------------------------------------------ internals
    def _check(self, lines: list[Line]) -> list[_Group]:
        """The batch's records by session, in time order, each with the session's viewer;
        raises if it must be refused."""
        by_session: dict[str, list[Line]] = {}
        for line in lines:
            by_session.setdefault(line.session, []).append(line)
        groups: list[_Group] = []
        for session, group in by_session.items():
            live = self._live.get(session)
            ended = self._ended.get(session)
            known = live.identity if live is not None else None
            if known is None and ended is not None:
                known = ended.identity
            for line in group:
                if line.identity is None:
                    continue
                if known is None:
                    known = line.identity
                elif line.identity != known:
                    raise Conflict(line.number, session)
            if known is None:
                raise BadBatch(
                    group[0].number,
                    f"session {session!r} is new here and no record of it names the viewer: "
                    "give anonymous_id or user_id (vtrack.js puts them on each batch's first "
                    "record)",
                )
            group.sort(key=_time)  # stable: records of the same time keep their order
            groups.append(_Group(session, group, known, live))
        return groups

    def _check_room(self, groups: list[_Group], now: float) -> None:
        """Raise if the batch starts too many sessions, or more than the server may hold."""
        new = [group for group in groups if group.live is None]
        if len(new) > MAX_NEW_SESSIONS:
            raise TooManySessions(new[MAX_NEW_SESSIONS].lines[0].number)
        if new and len(self._live) + len(new) > self.max_open_sessions:
            oldest = next(iter(self._live.values()), None)
            freed_at = now if oldest is None else oldest.seen_at + self.idle_timeout
            raise SessionsFull(self.max_open_sessions, max(1.0, freed_at - now))

    def _correct(self, group: _Group, estimate: float | None, received_at: float) -> None:
        """The records' times on the server's clock (the session itself is not changed yet)."""
        live = group.live
        offset, last = (live.offset, live.last_at) if live is not None else (None, None)
        group.offset = offset = clock.next_offset(offset, estimate)
        for line in group.lines:
            line.record["t"] = last = clock.corrected(line.at, offset, last, received_at)
        group.last_at = last
        if live is None:
            _name_viewer(group.lines[0], group.identity)

    def _record(self, groups: list[_Group]) -> None:
        """Record the groups' records: all or none (an OSError leaves every part as it was)."""
        recording = self.recording
        if recording is None:
            return
        begun: list[int] = []
        try:
            for group in groups:
                if group.live is None:
                    self._keys += 1
                    group.key = self._keys
                    recording.begin(group.key, group.session)
                    begun.append(group.key)
                else:
                    group.key = group.live.key
            recording.write([(g.key, [line.record for line in g.lines]) for g in groups])
        except OSError:
            for key in begun:
                recording.discard(key)
            raise

    def _start(self, group: _Group) -> _Live:
        if group.key == 0:  # no recording
            self._keys += 1
            group.key = self._keys
        session = group.session
        reader = DialectReader("html5", min_stall=self.min_stall)
        live = _Live(session, group.key, group.identity, reader, Replayer(self.settings), 0.0)
        self._live[session] = live
        ended = self._ended.pop(session, None)
        if ended is not None:  # a batch of the last part sent again is known still
            live.batches.extend(ended.batches)
        self.stats.sessions += 1
        return live

    def _apply(self, group: _Group, ticks: float) -> list[Message]:
        """Take a group's corrected, recorded records: feed them as a replay feeds lines."""
        live = group.live
        if live is None:
            live = group.live = self._start(group)
        else:
            self._live.move_to_end(live.session)
        live.seen_at = ticks
        live.offset, live.last_at = group.offset, group.last_at
        self.stats.records += len(group.lines)
        out: list[Message] = []
        for line in group.lines:
            out += self._line(live, line.record, (live.session, line.number))
        return out

    def _line(self, live: _Live, obj: dict[str, Any], where: Where) -> list[Message]:
        """The messages of one raw record (``ReplayRun``'s handling of a dialect's line)."""
        reader, replayer = live.reader, live.replayer
        try:
            records = reader.records(obj)
        except BadRecord as exc:
            self._bad(where, str(exc))
            return []
        out: list[Message] = []
        for record in records:
            out += self._feed(live, record, where)
        session = live.session
        if not replayer.is_open(session) and (records or reader.finished(session)):
            reader.forget(session)
        return out

    def _feed(self, live: _Live, record: Record, where: Where) -> list[Message]:
        try:
            return live.replayer.feed(record, where)
        except BadRecord as exc:
            self._bad(where, str(exc))
            return []

    def _end(self, live: _Live) -> list[Message]:
        """The end of a session's input, as the end of a replay's: released, then exited."""
        # Forgotten first: a session whose end raises is not tried again at every sweep.
        del self._live[live.session]
        if len(self._ended) >= VIEWERS_KEPT:
            del self._ended[next(iter(self._ended))]
        kept = tuple(live.batches)[-BATCHES_KEPT_ENDED:]
        self._ended[live.session] = _Ended(live.identity, kept)
        if self.recording is not None:
            self.recording.end(live.key)
        out: list[Message] = []
        for record in live.reader.release():
            out += self._feed(live, record, (live.session, 0))
        out += live.replayer.finish()
        return out

    def _batches(self, session: str) -> Iterable[str]:
        """The ids of the session's recent batches (kept across its end)."""
        live = self._live.get(session)
        if live is not None:
            return live.batches
        ended = self._ended.get(session)
        return ended.batches if ended is not None else ()

    def _bad(self, where: Where, reason: str) -> None:
        self.stats.bad_records += 1
        if self.on_bad_record is not None:
            self.on_bad_record(where, reason)


def _time(line: Line) -> float:
    return line.at


def _name_viewer(line: Line, identity: tuple[str, str]) -> None:
    """A new session part's first record names its viewer (the replay of its log needs it)."""
    if line.identity is None:
        key, value = identity
        line.record[key] = value
        line.identity = identity
