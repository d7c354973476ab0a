"""Reading a request body: JSON Lines of html5 records, each checked before any is applied.

A batch is taken whole or refused whole: a line that is not a record the html5 dialect can
read refuses the batch (:class:`BadBatch`, naming the line), so a client that fixes nothing
can send nothing half-applied. What only the session can tell (a callback its state refuses)
is left to the replay's rules, which skip such a record as a replay skips its line.
"""

from __future__ import annotations

import re
from typing import Any, Final

import attrs
import orjson

from vtrack.core.errors import VtrackError
from vtrack.players.base import UnreadableEvent, flag, number, text
from vtrack.players.html5 import KNOWN_EVENTS, POSITION_EVENTS
from vtrack.replay.log_format import BadRecord, parse_envelope

#: A session id: it names the session's ``--record`` file, so it is kept to these characters.
SESSION_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: The longest reason a refusal gives (a value quoted in it is cut short).
REASON_LIMIT: Final = 300


class BadBatch(VtrackError, ValueError):
    """A line of a batch that is no readable html5 record: ``line`` (1-based) and why."""

    def __init__(self, line: int, reason: str) -> None:
        if len(reason) > REASON_LIMIT:
            reason = reason[: REASON_LIMIT - 3] + "..."
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}")


@attrs.define(slots=True)
class Line:
    """One record of a batch: its line number, the record, and the fields read off it."""

    number: int
    record: dict[str, Any]
    session: str
    at: float
    identity: tuple[str, str] | None


def read_batch(body: bytes) -> list[Line]:
    """The records of a body of JSON Lines, in order (blank lines are skipped).

    Raises :class:`BadBatch` for the first line that is not JSON, not an object, or not a
    record the html5 dialect reads (its envelope, its event type and the numbers the
    translator reads).
    """
    out: list[Line] = []
    for number_, raw in enumerate(body.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadBatch(number_, f"not JSON: {exc}") from None
        out.append(_line(number_, obj))
    return out


def _line(line: int, obj: Any) -> Line:
    try:
        envelope = parse_envelope(obj)
    except BadRecord as exc:
        raise BadBatch(line, str(exc)) from None
    if "session" not in obj:
        raise BadBatch(line, 'no "session": every record names its session')
    if not SESSION_ID.fullmatch(envelope.session):
        raise BadBatch(
            line,
            '"session" must be 1 to 128 letters, digits, - or _ (a UUID fits); got '
            f"{envelope.session!r}",
        )
    if envelope.event:
        try:
            _check_event(envelope.event)
        except UnreadableEvent as exc:
            raise BadBatch(line, f"html5: {exc}") from None
    return Line(line, obj, envelope.session, envelope.at, envelope.identity)


def _check_event(event: dict[str, Any]) -> None:
    """What the html5 translator reads of an event, read the same way (raises as it does)."""
    kind = text(event, "type")
    if kind not in KNOWN_EVENTS:
        raise UnreadableEvent(f"unknown media event type {kind!r}")
    if kind not in POSITION_EVENTS:
        return
    number(event, "currentTime")
    number(event, "duration", optional=True)
    number(event, "playbackRate", optional=kind != "ratechange")
    number(event, "volume", optional=True)
    for key in ("paused", "ended", "muted"):
        flag(event, key)
