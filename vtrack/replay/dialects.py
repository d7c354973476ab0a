"""Reading real players' raw logs (``--dialect html5|mpv|vlc``) as core callbacks.

A raw record carries the same ``t``, ``session``, ``user_id`` / ``anonymous_id`` and
``content`` fields as the vtrack format; its other fields are the player's own event, which
the player's translator (:mod:`vtrack.players`) turns into callbacks, knowing its traps. A
record with nothing but those shared fields (a recorder's first line, naming the viewer and
the content) sticks them to the session.
"""

from __future__ import annotations

from typing import Any, Final

from vtrack.players import TRANSLATORS, Translator, UnreadableEvent
from vtrack.players.base import MIN_STALL, check_min_stall
from vtrack.players.mpv import EVENTS as MPV_EVENTS
from vtrack.players.vlc import EVENTS as VLC_EVENTS
from vtrack.replay.log_format import BadRecord, Record, parse_envelope

#: The log dialects: vtrack's own format, and one per player translator.
DIALECTS: Final = ("vtrack", *TRANSLATORS)


def guess_dialect(obj: dict[str, Any]) -> str | None:
    """The player whose raw log ``obj`` looks like a record of (for a hint), or None."""
    event = obj.get("event")
    if "type" in obj and "currentTime" in obj:
        return "html5"
    if "property" in obj or event in MPV_EVENTS:
        return "mpv"
    if event in VLC_EVENTS:
        return "vlc"
    return None


class DialectReader:
    """Turns one dialect's decoded records into :class:`Record` objects, session by session."""

    def __init__(self, dialect: str, *, min_stall: float = MIN_STALL) -> None:
        factory = TRANSLATORS.get(dialect)
        if factory is None:
            raise ValueError(
                f"unknown log dialect {dialect!r}; the dialects are: {', '.join(DIALECTS)}"
            )
        self.dialect = dialect
        self.min_stall = check_min_stall(min_stall)
        self._factory = factory
        self._translators: dict[str, Translator] = {}
        #: Viewer and content given before the session's first callback, per session.
        self._pending: dict[str, tuple[tuple[str, str] | None, dict[str, Any] | None]] = {}
        #: The time of each session's last raw record: time must not go back.
        self._last_at: dict[str, float] = {}

    def finished(self, session: str) -> bool:
        """Whether the player of ``session`` said it is done (see ``Translator.finished``)."""
        translator = self._translators.get(session)
        return translator is not None and translator.finished

    def forget(self, session: str) -> None:
        """The session ended: a later record of the same id starts afresh."""
        self._translators.pop(session, None)
        self._pending.pop(session, None)
        self._last_at.pop(session, None)

    def release(self) -> list[Record]:
        """The input ends: what each session's translator still holds, as records.

        A stall the viewer left in, a pause mpv said just before the end of the log, a first
        frame still waiting for its duration: told at the session's last record.
        """
        out: list[Record] = []
        for session, translator in self._translators.items():
            at = self._last_at.get(session)
            if at is None:
                continue
            identity, content = self._pending.pop(session, (None, None))
            for emitted_at, name, args in translator.release(at):
                out.append(Record(emitted_at, session, name, args, identity, content))
                identity = content = None
        return out

    def records(self, obj: Any) -> list[Record]:
        """The records one raw record means (raises :class:`BadRecord`)."""
        envelope = parse_envelope(obj)
        session = envelope.session
        last = self._last_at.get(session)
        if last is not None and envelope.at < last:
            raise BadRecord(
                f"time went backwards in session {session!r} ({envelope.at!r} < {last!r})"
            )
        self._last_at[session] = envelope.at
        identity, content = envelope.identity, envelope.content
        pending = self._pending.pop(session, None)
        if pending is not None:
            identity = identity or pending[0]
            content = {**pending[1], **content} if pending[1] and content else content or pending[1]
        if not envelope.event:
            if identity is not None or content is not None:
                self._pending[session] = (identity, content)
            return []
        translator = self._translators.get(session)
        if translator is None:
            translator = self._translators[session] = self._factory(min_stall=self.min_stall)
        try:
            emitted = translator.feed(envelope.at, envelope.event)
        except UnreadableEvent as exc:
            if pending is not None:
                self._pending[session] = pending
            raise BadRecord(f"{self.dialect}: {exc}") from None
        if not emitted:
            if identity is not None or content is not None:
                self._pending[session] = (identity, content)
            return []
        records = []
        for at, name, args in emitted:
            records.append(Record(at, session, name, args, identity, content))
            identity = content = None
        return records
