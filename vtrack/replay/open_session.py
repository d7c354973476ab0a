"""What the replay engine keeps of one session of the log while it is open.

A replay may hold hundreds of thousands of sessions open at once, so the usual one costs four
slots: its :class:`~vtrack.core.session.Session`, the time of its last record, the content
item it plays, and a :class:`Pending` part made only while something unusual is pending (the
session has not named its viewer yet, its records carried content metadata that sticks, or a
changed item waits to be applied).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from vtrack.core.session import Session
    from vtrack.replay.log_format import Record

Where = tuple[str, int]

#: The ``sticky`` of a session without any (shared: a session's is replaced, never changed).
NOTHING_STICKY: Final[dict[str, Any]] = {}


@attrs.define(slots=True, weakref_slot=False)
class Pending:
    """The rarely needed part of an open session (see :class:`OpenSession`'s properties)."""

    key: str
    waiting: list[tuple[Record, Where]] | None = None
    sticky: dict[str, Any] = NOTHING_STICKY
    taken: dict[str, Any] | None = None
    before: tuple[tuple[str, str], int] | None = None


class OpenSession:
    """One session of the log while it is open."""

    __slots__ = ("item", "last_at", "pending", "session")

    def __init__(
        self, key: str, last_at: float, before: tuple[tuple[str, str], int] | None
    ) -> None:
        self.session: Session | None = None
        self.last_at = last_at
        #: The fields of the content item the session plays (its load's fields over ``sticky``).
        self.item: dict[str, Any] | None = None
        #: The rarely needed part (None: nothing unusual is pending; see the module docstring).
        self.pending: Pending | None = Pending(key, before=before)

    @property
    def key(self) -> str:
        """The session id of the log."""
        pending = self.pending
        if pending is not None:
            return pending.key
        assert self.session is not None  # without one, the pending part holds the key
        return self.session.session_id

    @property
    def waiting(self) -> list[tuple[Record, Where]] | None:
        """Records that came before the session named its viewer, with where they came from."""
        pending = self.pending
        return None if pending is None else pending.waiting

    @waiting.setter
    def waiting(self, records: list[tuple[Record, Where]] | None) -> None:
        self._part().waiting = records
        self._compact()

    @property
    def sticky(self) -> dict[str, Any]:
        """Content metadata from ``content`` objects: sticks to the session."""
        pending = self.pending
        return NOTHING_STICKY if pending is None else pending.sticky

    @sticky.setter
    def sticky(self, fields: dict[str, Any]) -> None:
        if fields is not self.sticky:
            self._part().sticky = fields

    @property
    def taken(self) -> dict[str, Any] | None:
        """The item as the session last took it, when it changed since (applied when it can)."""
        pending = self.pending
        return None if pending is None else pending.taken

    @taken.setter
    def taken(self, item: dict[str, Any] | None) -> None:
        self._part().taken = item
        self._compact()

    @property
    def before(self) -> tuple[tuple[str, str], int] | None:
        """What the earlier session of the same id left: its viewer and next message number.

        Needed until the session starts (then it is forgotten).
        """
        pending = self.pending
        return None if pending is None else pending.before

    def start(self, session: Session) -> None:
        """The session named its viewer and started."""
        self.session = session
        self._compact()

    def _part(self) -> Pending:
        pending = self.pending
        if pending is None:
            assert self.session is not None
            pending = self.pending = Pending(self.session.session_id)
        return pending

    def _compact(self) -> None:
        """Drop the pending part once the session runs and nothing unusual is pending."""
        pending = self.pending
        if (
            pending is not None
            and self.session is not None
            and pending.waiting is None
            and pending.taken is None
            and pending.sticky is NOTHING_STICKY
        ):
            self.pending = None
