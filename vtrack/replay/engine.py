"""Playing checked log records through sessions: many interleaved, each in its own order.

The engine reads nothing and writes nothing: it takes :class:`~vtrack.replay.log_format.Record`
objects one at a time and returns the messages each one made. Memory holds the sessions open at
once: a session leaves the table when it exits (or is interrupted), and a later record with
the same session id starts a new session (a new start time, so new messageIds).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import attrs

from vtrack.content import Content, ScheduledAd
from vtrack.errors import InvalidCallback
from vtrack.machine import CONTENT_IN_PROGRESS, STARTING, TERMINAL_STATES
from vtrack.replay.log_format import BadRecord, Record
from vtrack.session import Session
from vtrack.settings import Settings

#: States in which the core takes a ``load`` of the playing asset as a metadata update.
_UPDATABLE: Final = frozenset({STARTING, *CONTENT_IN_PROGRESS})


@attrs.define
class ReplayStats:
    """What a replay did: counted as it goes, complete once :meth:`Replayer.finish` ran."""

    sessions: int = 0
    callbacks: int = 0
    events: Counter[str] = attrs.field(factory=Counter)
    #: Callbacks the sessions absorbed (:attr:`vtrack.Session.anomalies`), by reason.
    anomalies: Counter[str] = attrs.field(factory=Counter)
    #: Sessions still open at the end of the input (exited there unless kept open).
    open_at_end: int = 0

    @property
    def anomaly_count(self) -> int:
        """How many callbacks were absorbed."""
        return sum(self.anomalies.values())


class ReplayError(Exception):
    """A record that stops a strict replay: ``where`` is ``(source, line)``."""

    def __init__(self, where: tuple[str, int], reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where[0]}:{where[1]}: {reason}")


Where = tuple[str, int]


@attrs.define(slots=True)
class _Open:
    """One session of the log while it is open."""

    key: str
    session: Session | None = None
    last_at: float = 0.0
    #: Records that came before the session named its viewer, with where they came from.
    waiting: list[tuple[Record, Where]] | None = None
    #: Content metadata from ``content`` objects: sticks to the session.
    sticky: dict[str, Any] = attrs.field(factory=dict)
    #: The fields of the content item playing (its load's fields over ``sticky``).
    item: dict[str, Any] | None = None
    #: The item changed since the session last took it (applied when it can take it).
    item_changed: bool = False


class Replayer:
    """Feeds records to sessions made with ``settings``; collects their messages.

    ``keep_open``: sessions still open at the end are left as they are (no Video Playback
    Exited). ``strict``: the first callback a session refuses raises :class:`ReplayError`
    (``settings.strict`` is set for the sessions).
    """

    def __init__(
        self, settings: Settings | None = None, *, keep_open: bool = False, strict: bool = False
    ) -> None:
        settings = settings if settings is not None else Settings()
        if strict and not settings.strict:
            settings = attrs.evolve(settings, strict=True)
        self.settings = settings
        self.keep_open = keep_open
        self.strict = strict
        self.stats = ReplayStats()
        #: Sessions that ended the input without naming their viewer: (first record, reason).
        self.unnamed_sessions: list[tuple[Where, str]] = []
        self._open: dict[str, _Open] = {}
        self._out: list[dict[str, Any]] = []

    @property
    def open_sessions(self) -> int:
        """How many sessions are open now."""
        return len(self._open)

    def feed(self, record: Record, where: Where) -> list[dict[str, Any]]:
        """Apply one record; return the messages it made (raises :class:`BadRecord`).

        Nothing is applied when it raises: the record is refused whole.
        """
        state = self._open.get(record.session)
        # The usual record: a timeupdate of a session under way, nothing else on it.
        if (
            state is not None
            and record.event == "timeupdate"
            and record.identity is None
            and record.content is None
            and state.waiting is None
            and not state.item_changed
            and record.at >= state.last_at
        ):
            session = state.session
            if session is not None:
                state.last_at = record.at
                self.stats.callbacks += 1
                try:
                    session.timeupdate(record.args["position"], at=record.at)
                except InvalidCallback as exc:
                    raise ReplayError(where, f"{exc} (strict)") from exc
                if session._anomalies:
                    self._count_anomalies(session)
                out = self._out
                if not out:
                    return []
                self._out = []
                return out
        session = state.session if state is not None else None
        if state is not None and record.at < state.last_at:
            raise BadRecord(
                f"time went backwards in session {record.session!r} "
                f"({record.at!r} < {state.last_at!r})"
            )
        if (
            record.identity is not None
            and session is not None
            and (session.identity_key, session.identity) != _message_identity(record.identity)
        ):
            key, value = record.identity
            raise BadRecord(
                f"session {record.session!r} already belongs to {_record_identity(session)}; "
                f"got {key} {value!r}"
            )
        if state is None:
            state = _Open(record.session, last_at=record.at)
        if record.content is not None or record.event == "load":
            self._check_content(state, record)  # the last check: it changes nothing if it fails
        self._open[record.session] = state
        state.last_at = record.at
        if session is None:
            if record.identity is None:
                if state.waiting is None:
                    state.waiting = []
                state.waiting.append((record, where))
                return []
            session = self._start(state, record.identity)
        if state.waiting is not None:
            waiting, state.waiting = state.waiting, None
            for earlier, earlier_where in waiting:
                self._apply(state, session, earlier, earlier_where)
        self._apply(state, session, record, where)
        if session.state in TERMINAL_STATES:
            del self._open[state.key]
        out = self._out
        if not out:
            return []
        self._out = []
        return out

    def finish(self) -> list[dict[str, Any]]:
        """End the input: exit the sessions still open (unless ``keep_open``).

        Sessions that never named their viewer could not be replayed: they are listed in
        :attr:`unnamed_sessions`.
        """
        for state in list(self._open.values()):
            self.stats.open_at_end += 1
            session = state.session
            if session is None:
                assert state.waiting
                first = state.waiting[0][1]
                self.unnamed_sessions.append(
                    (
                        first,
                        f"session {state.key!r} never named its viewer (user_id or "
                        f"anonymous_id): its {len(state.waiting)} records were not replayed",
                    )
                )
                del self._open[state.key]
                continue
            if not self.keep_open:
                at = session.last_at if session.last_at is not None else state.last_at
                try:
                    session.exit(at=at)
                except InvalidCallback as exc:  # pragma: no cover - exit is always allowed
                    raise ReplayError(("<end of input>", 0), str(exc)) from exc
            del self._open[state.key]
        out, self._out = self._out, []
        return out

    # ------------------------------------------------------------------ internals
    def _start(self, state: _Open, identity: tuple[str, str]) -> Session:
        key, value = identity
        ids = {"user_id": value} if key == "user_id" else {"anonymous_id": value}
        session = Session(state.key, sink=_Collector(self), settings=self.settings, **ids)
        state.session = session
        self.stats.sessions += 1
        return session

    def _check_content(self, state: _Open, record: Record) -> None:
        """Work out the content a record implies; raise BadRecord before anything changes."""
        sticky = state.sticky
        if record.content is not None:
            sticky = {**sticky, **record.content}
        if record.event == "load":
            item = {**sticky, **record.args}
        elif state.item is not None and record.content is not None:
            item = {**state.item, **record.content}
            if item.get("asset_id") != state.item.get("asset_id"):
                raise BadRecord(
                    "a content object may not change the asset_id of the content playing; "
                    "a new item starts with a load record"
                )
        else:
            item = state.item or {}
        content = _content(item)  # raises BadRecord for values Content refuses
        del content
        state.sticky = sticky
        if record.event == "load":
            state.item, state.item_changed = item, False
        elif state.item is not None and item != state.item:
            state.item, state.item_changed = item, True

    def _apply(self, state: _Open, session: Session, record: Record, where: Where) -> None:
        self.stats.callbacks += 1
        try:
            if state.item_changed and session.state in _UPDATABLE:
                assert state.item is not None
                state.item_changed = False
                session.load(_content(state.item), at=record.at)
            event, args = record.event, record.args
            if event == "timeupdate":
                session.timeupdate(args["position"], at=record.at)
            elif event == "load":
                assert state.item is not None
                session.load(_content(state.item), at=record.at)
            else:
                getattr(session, event)(**args, at=record.at)
        except InvalidCallback as exc:
            raise ReplayError(where, f"{exc} (strict)") from exc
        if session._anomalies:
            self._count_anomalies(session)

    def _count_anomalies(self, session: Session) -> None:
        anomalies = session.anomalies
        if anomalies:
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


def _content(fields: dict[str, Any]) -> Content:
    args = dict(fields)
    schedule = args.get("ad_schedule")
    try:
        if schedule is not None:
            args["ad_schedule"] = tuple(ScheduledAd(**entry) for entry in schedule)
        return Content(**args)
    except (TypeError, ValueError) as exc:
        raise BadRecord(f"content: {exc}") from None


def _message_identity(identity: tuple[str, str]) -> tuple[str, str]:
    key, value = identity
    return ("userId" if key == "user_id" else "anonymousId", value)


def _record_identity(session: Session) -> str:
    key = "user_id" if session.identity_key == "userId" else "anonymous_id"
    return f"{key} {session.identity!r}"
