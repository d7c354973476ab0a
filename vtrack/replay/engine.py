"""Playing checked log records through sessions: many interleaved, each in its own order.

The engine reads nothing and writes nothing: it takes :class:`~vtrack.replay.log_format.Record`
objects one at a time and returns the messages each one made. Memory holds the sessions open at
once: a session leaves the table when it exits (or is interrupted). A later record with the
same session id starts a new session for the same viewer (a new start time, and messageIds
numbered on from the earlier session's, so they never collide); the last
:data:`CLOSED_KEPT` closed sessions are remembered for that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import attrs

from vtrack.core.content import Content, ScheduledAd
from vtrack.core.errors import InvalidCallback, VtrackError, caused_by
from vtrack.core.machine import METADATA_UPDATE_STATES, TERMINAL_STATES
from vtrack.core.session import Session
from vtrack.core.settings import Settings
from vtrack.replay.log_format import BadRecord, Record, parse_record, quick_record
from vtrack.replay.open_session import OpenSession
from vtrack.replay.open_session import Where as Where  # where a record came from, for callers
from vtrack.replay.replay_stats import ReplayStats

#: How many records of a session may wait for it to name its viewer.
WAITING_LIMIT: Final = 10_000
#: How many distinct content items are shared before the table starts afresh.
SHARED_ITEMS: Final = 4096
#: How many closed sessions are remembered (their viewer and how many messages they made).
CLOSED_KEPT: Final = 65_536


class ReplayError(VtrackError):
    """A record that stops a strict replay: ``where`` is ``(source, line)``."""

    def __init__(self, where: Where, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where[0]}:{where[1]}: {reason}")


class Replayer:
    """Feeds records to sessions made with ``settings``; collects their messages.

    ``keep_open``: sessions still open at the end are left as they are (no Video Playback
    Exited). ``strict``: the first callback a session refuses raises :class:`ReplayError`
    (``settings.strict`` is set for the sessions). ``max_open_sessions``: when a new session
    would pass the bound, the least recently active one exits at its last record (counted in
    :attr:`ReplayStats.ended_early`; a later record of it starts the next session).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        keep_open: bool = False,
        strict: bool = False,
        max_open_sessions: int | None = None,
    ) -> None:
        if max_open_sessions is not None and (
            isinstance(max_open_sessions, bool)
            or not isinstance(max_open_sessions, int)
            or max_open_sessions < 1
        ):
            raise ValueError(
                f"max_open_sessions must be a whole number >= 1 (or None: no bound); "
                f"got {max_open_sessions!r}"
            )
        self.max_open_sessions = max_open_sessions
        settings = settings if settings is not None else Settings()
        if strict and not settings.strict:
            settings = attrs.evolve(settings, strict=True)
        self.settings = settings
        self.keep_open = keep_open
        self.strict = strict
        self.stats = ReplayStats()
        #: Sessions that never named their viewer: (their first record, reason, how many
        #: records were dropped). Filled as they are given up (too many records waiting) and
        #: by :meth:`finish`.
        self.unnamed_sessions: list[tuple[Where, str, int]] = []
        self._open: dict[str, OpenSession] = {}
        #: Closed sessions, oldest first: id -> (viewer, next message number).
        self._closed: dict[str, tuple[tuple[str, str], int]] = {}
        #: Sessions given up for want of a viewer: their later records are refused too.
        self._unnamed: set[str] = set()
        self._out: list[dict[str, Any]] = []
        #: The sink of every session: it appends to ``_out``.
        self._collector = _Collector(self)
        #: Content items and their Content, by the item's repr: sessions playing the same
        #: content share both (see :meth:`_known`).
        self._items: dict[str, tuple[dict[str, Any], Content]] = {}
        #: The last load record checked, its shared item and content (looked up once, not twice).
        self._built: tuple[Record, dict[str, Any], Content] | None = None

    @property
    def open_sessions(self) -> int:
        """How many sessions are open now."""
        return len(self._open)

    def is_open(self, session: str) -> bool:
        """Whether the session ``session`` is open (it has records and has not ended)."""
        return session in self._open

    def feed(self, record: Record, where: Where) -> list[dict[str, Any]]:
        """Apply one record; return the messages it made (raises :class:`BadRecord`).

        Nothing is applied when it raises: the record is refused whole.
        """
        state = self._open.get(record.session)
        if state is not None:
            if self.max_open_sessions is not None:
                self._open[record.session] = self._open.pop(record.session)  # most recent last
            if record.event == "timeupdate" and record.identity is None and record.content is None:
                messages = self._steady(
                    state, "timeupdate", record.at, record.args["position"], where
                )
                if messages is not None:
                    return messages
        return self._feed(state, record, where)

    def feed_object(self, obj: Any, where: Where) -> list[dict[str, Any]]:
        """``feed(parse_record(obj), where)``, without making a record for the usual one."""
        quick = quick_record(obj)
        if quick is not None:
            at, key, event, position = quick
            state = self._open.get(key)
            if state is not None:
                if self.max_open_sessions is not None:
                    self._open[key] = self._open.pop(key)  # most recent last
                messages = self._steady(state, event, at, position, where)
                if messages is not None:
                    return messages
        return self.feed(parse_record(obj), where)

    def _steady(
        self, state: OpenSession, event: str, at: float, position: float | None, where: Where
    ) -> list[dict[str, Any]] | None:
        """A callback of the playhead only, to a session under way; None if :meth:`_feed` must
        take it (as it would, with nothing to do for the viewer, the content or waiting records).
        """
        session = state.session
        pending = state.pending
        if session is None or (pending is not None and pending.taken is not None):
            return None
        if at < state.last_at:
            return None
        state.last_at = at
        self.stats.callbacks += 1
        try:
            if event == "timeupdate":
                assert position is not None
                session.timeupdate(position, at=at)
            elif position is None:
                getattr(session, event)(at=at)
            else:
                getattr(session, event)(position=position, at=at)
        except InvalidCallback as exc:
            raise caused_by(ReplayError(where, f"{exc} (strict)"), exc)  # noqa: B904
        if session._anomalies:
            self._count_anomalies(session)
        if event != "timeupdate" and session.state in TERMINAL_STATES:
            self._close(state)
        out = self._out
        if not out:
            return []
        self._out = []
        return out

    def _feed(
        self, state: OpenSession | None, record: Record, where: Where
    ) -> list[dict[str, Any]]:
        if record.session in self._unnamed:
            raise BadRecord(f"session {record.session!r} never named its viewer")
        session = state.session if state is not None else None
        if state is not None and record.at < state.last_at:
            raise BadRecord(
                f"time went backwards in session {record.session!r} "
                f"({record.at!r} < {state.last_at!r})"
            )
        # A session id used again after its session ended keeps its viewer unless the
        # records name another (then it is another viewer's session, with that id).
        before = self._closed.get(record.session) if state is None else state.before
        if session is not None and record.identity is not None:
            known = _record_identity(session)
            if record.identity != known:
                key, value = record.identity
                raise BadRecord(
                    f"session {record.session!r} already belongs to {known[0]} {known[1]!r}; "
                    f"got {key} {value!r}"
                )
        if state is None:
            state = OpenSession(record.session, record.at, before)
        if record.content is not None or record.event == "load":
            self._check_content(state, record)  # the last check: it changes nothing if it fails
        if session is None and state.waiting is not None and len(state.waiting) >= WAITING_LIMIT:
            self._give_up(state)
            raise BadRecord(f"session {record.session!r} never named its viewer")
        if record.session not in self._open:
            if self.max_open_sessions is not None:
                while len(self._open) >= self.max_open_sessions:
                    self._end_early(next(iter(self._open.values())))
            self._open[record.session] = state
            self._closed.pop(record.session, None)
        state.last_at = record.at
        if session is None:
            identity = record.identity or (before[0] if before is not None else None)
            if identity is None:
                if state.waiting is None:
                    state.waiting = []
                state.waiting.append((record, where))
                return []
            session = self._start(state, identity)
        if state.waiting is not None:
            waiting, state.waiting = state.waiting, None
            for earlier, earlier_where in waiting:
                self._apply(state, session, earlier, where, earlier_where)
        self._apply(state, session, record, where, where)
        return self._taken()

    def finish(self) -> list[dict[str, Any]]:
        """End the input: exit the sessions still open (unless ``keep_open``).

        Sessions that never named their viewer could not be replayed: they are listed in
        :attr:`unnamed_sessions` (check it before taking the messages returned, to stop a
        strict replay before them).
        """
        return list(self.finish_lazily())

    def finish_lazily(self) -> Iterator[dict[str, Any]]:
        """:meth:`finish`, a session at a time: memory holds one session's last messages.

        The sessions that never named their viewer are listed in :attr:`unnamed_sessions`
        when this returns, before the first message is taken. Each open session is exited as
        the iteration reaches it: iterate to the end (sessions not reached stay open).
        """
        named = []
        for state in list(self._open.values()):
            if state.session is None:
                assert state.waiting
                self._give_up(state)
            else:
                named.append(state)
        return self._exit(named)

    def _exit(self, named: list[OpenSession]) -> Iterator[dict[str, Any]]:
        # Taken from the list as they go, so each exited session is freed at once.
        named.reverse()
        while named:
            state = named.pop()
            if self._open.get(state.key) is not state:
                continue  # closed meanwhile (by a record fed since, or another finish)
            self.stats.open_at_end += 1
            session = state.session
            assert session is not None
            if not self.keep_open:
                at = session.last_at if session.last_at is not None else state.last_at
                session.exit(at=at)  # always allowed: no anomaly, even in strict mode
            self._close(state)
            yield from self._taken()

    # ------------------------------------------------------------------ internals
    def _taken(self) -> list[dict[str, Any]]:
        out = self._out
        if not out:
            return []
        self._out = []
        return out

    def _start(self, state: OpenSession, identity: tuple[str, str]) -> Session:
        key, value = identity
        ids = {"user_id": value} if key == "user_id" else {"anonymous_id": value}
        first = state.before[1] if state.before is not None else 0
        session = Session(
            state.key,
            sink=self._collector,
            settings=self.settings,
            first_sequence=first,
            **ids,
        )
        state.start(session)
        self.stats.sessions += 1
        return session

    def _give_up(self, state: OpenSession) -> None:
        """A session without a viewer: report it, drop its records, refuse its later ones."""
        assert state.waiting
        first = state.waiting[0][1]
        self.unnamed_sessions.append(
            (
                first,
                f"session {state.key!r} never named its viewer (user_id or anonymous_id): its "
                f"{len(state.waiting)} records from this one on were not replayed",
                len(state.waiting),
            )
        )
        del self._open[state.key]
        if len(self._unnamed) < CLOSED_KEPT:
            self._unnamed.add(state.key)

    def _end_early(self, state: OpenSession) -> None:
        """End the least recently active session at its last record, to make room."""
        self.stats.ended_early += 1
        session = state.session
        if session is None:
            self._give_up(state)  # it never named its viewer: reported as such
            return
        at = session.last_at if session.last_at is not None else state.last_at
        session.exit(at=at)  # always allowed: no anomaly, even in strict mode
        self._close(state)

    def _close(self, state: OpenSession) -> None:
        self._open.pop(state.key, None)
        session = state.session
        if session is None:
            return
        if len(self._closed) >= CLOSED_KEPT:
            del self._closed[next(iter(self._closed))]
        self._closed[state.key] = (_record_identity(session), session.next_sequence)

    def _check_content(self, state: OpenSession, record: Record) -> None:
        """Work out the content a record implies; raise BadRecord before anything changes."""
        sticky = state.sticky
        if record.content is not None:
            sticky = {**sticky, **record.content}
        if record.event == "load":
            item = {**sticky, **_content_args(record.args)}
        elif state.item is not None and record.content is not None:
            item = {**state.item, **record.content}
            if item.get("asset_id") != state.item.get("asset_id"):
                raise BadRecord(
                    "a content object may not change the asset_id of the content playing; "
                    "a new item starts with a load record"
                )
        else:
            item = state.item or {}
        shared, content = self._known(item)  # raises BadRecord for values Content refuses
        if record.event == "load":
            self._built = (record, shared, content)  # _apply loads it
        state.sticky = sticky
        if record.event != "load" and state.item is not None and item != state.item:
            if state.taken is None:
                state.taken = state.item
            state.item = item

    def _apply(
        self, state: OpenSession, session: Session, record: Record, where: Where, origin: Where
    ) -> None:
        """Apply one record; ``origin`` is where it came from, ``where`` the line being read."""
        self.stats.callbacks += 1
        seen = len(session._anomalies or ())
        try:
            if state.taken is not None and session.state in METADATA_UPDATE_STATES:
                assert state.item is not None
                taken, state.taken = state.taken, None
                if not self._load(session, self._known(state.item)[1], record.at, seen):
                    state.item = taken  # refused: the session plays what it played
                seen = len(session._anomalies or ())
            event, args = record.event, record.args
            if event == "timeupdate":
                session.timeupdate(args["position"], at=record.at)
            elif event == "load":
                built, self._built = self._built, None
                # Only the record checked just now (a waiting one met other content since).
                if built is not None and built[0] is record and origin == where:
                    _, item, content = built
                else:
                    item, content = self._known({**state.sticky, **_content_args(args)})
                if self._load(session, content, record.at, seen, args.get("position")):
                    state.item, state.taken = item, None
            else:
                getattr(session, event)(**args, at=record.at)
        except InvalidCallback as exc:
            reason = f"{exc} (strict)"
            if origin != where:
                reason = (
                    f"the record of line {origin[1]}, applied once the viewer was named: {reason}"
                )
            raise caused_by(ReplayError(where, reason), exc)  # noqa: B904
        if session._anomalies:
            self._count_anomalies(session)
        if session.state in TERMINAL_STATES:
            self._close(state)

    def _known(self, item: dict[str, Any]) -> tuple[dict[str, Any], Content]:
        """The item equal to ``item`` (the same repr, keys sorted) checked before, and its
        :class:`Content`; raises :class:`BadRecord` for values Content refuses (never kept).

        Items are never changed in place (a change makes a new one): sessions playing the same
        content share one, and memory holds an item per content, not per session. Content's
        checks cost tens of microseconds: they run once per item, not once per load. The
        table keeps every item checked (also those of loads a session then refused), up to
        :data:`SHARED_ITEMS`. Items come from JSON, where equal reprs mean equal values; a
        caller of :meth:`feed` with other values must keep to values whose repr tells them
        apart.
        """
        # repr, not JSON: 1, 1.0 and True, a list and a tuple, inf and None stay apart.
        key = repr(sorted(item.items()))
        found = self._items.get(key)
        if found is None:
            content = _content(item)
            if len(self._items) >= SHARED_ITEMS:
                self._items.clear()
            found = self._items[key] = (item, content)
        return found

    def _load(
        self,
        session: Session,
        content: Content,
        at: float,
        seen: int,
        position: float | None = None,
    ) -> bool:
        """Load ``content``; whether the session took it (a refused load is an anomaly)."""
        session.load(content, at=at, position=position)
        return len(session._anomalies or ()) == seen

    def _count_anomalies(self, session: Session) -> None:
        anomalies = session.anomalies
        for anomaly in anomalies:
            self.stats.anomalies[f"{anomaly.callback} in {anomaly.state}"] += 1
        # Counted: a long session's list must not grow with the log.
        anomalies.clear()


class _Collector:
    """The sink of every replayed session: appends to the replay's output list."""

    def __init__(self, replayer: Replayer) -> None:
        self._replayer = replayer

    def emit(self, message: dict[str, Any]) -> None:
        self._replayer._out.append(message)
        self._replayer.stats.events[message["event"]] += 1

    def flush(self) -> None: ...

    def close(self) -> None: ...


def _content_args(args: dict[str, Any]) -> dict[str, Any]:
    """A load record's content fields (without the playhead it may carry)."""
    return {key: value for key, value in args.items() if key != "position"}


def _content(fields: dict[str, Any]) -> Content:
    args = dict(fields)
    schedule = args.get("ad_schedule")
    try:
        if schedule is not None:
            args["ad_schedule"] = tuple(ScheduledAd(**entry) for entry in schedule)
        return Content(**args)
    except (TypeError, ValueError) as exc:
        raise caused_by(BadRecord(f"content: {exc}"), None)  # noqa: B904


def _record_identity(session: Session) -> tuple[str, str]:
    key = "user_id" if session.identity_key == "userId" else "anonymous_id"
    return (key, session.identity)
