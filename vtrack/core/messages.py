"""The Segment track envelope around each event: identity, timestamp, messageId, context."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from hashlib import sha1
from typing import Any, Final

from vtrack._version import __version__

#: Namespace of vtrack's deterministic messageIds (UUIDv5).
MESSAGE_ID_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/vtrack/vtrack")
_NAMESPACE_BYTES: Final = MESSAGE_ID_NAMESPACE.bytes
_VARIANT: Final = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def iso_timestamp(at: float) -> str:
    """``at`` (seconds since the epoch) as ISO-8601 UTC with milliseconds, e.g. ``...00.250Z``."""
    scaled = at * 1000.0 + 1e-6
    millis = int(scaled) if scaled >= 0 else math.floor(scaled)
    second = millis // 1000
    prefix = _SECOND_PREFIXES.get(second)
    if prefix is None:
        prefix = _second_prefix(second)
    return prefix + _MILLIS[millis - second * 1000]


def _second_prefix(second: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of ``second``, remembered for the next events of that second."""
    minute = second // 60
    minute_prefix = _MINUTE_PREFIXES.get(minute)
    if minute_prefix is None:
        if len(_MINUTE_PREFIXES) >= _PREFIXES_KEPT:
            _MINUTE_PREFIXES.clear()
        minute_prefix = f"{datetime.fromtimestamp(minute * 60, UTC):%Y-%m-%dT%H:%M:}"
        _MINUTE_PREFIXES[minute] = minute_prefix
    if len(_SECOND_PREFIXES) >= _PREFIXES_KEPT:
        _SECOND_PREFIXES.clear()
    prefix = _SECOND_PREFIXES[second] = minute_prefix + _TWO_DIGITS[second - minute * 60]
    return prefix


#: Formatting a date costs ten times the rest of a timestamp, and seconds and minutes repeat
#: (events of many sessions interleave; one session's events move on a second at a time).
_SECOND_PREFIXES: dict[int, str] = {}
_MINUTE_PREFIXES: dict[int, str] = {}
_PREFIXES_KEPT: Final = 4096
_TWO_DIGITS: Final = tuple(f"{number:02d}" for number in range(60))
_MILLIS: Final = tuple(f".{milli:03d}Z" for milli in range(1000))


def message_id_hasher(identity: str, session_id: str, start_at: float) -> Any:
    """The SHA-1 state shared by every messageId of one session (see :func:`message_id`)."""
    return sha1(_NAMESPACE_BYTES + f"{identity}\x1f{session_id}\x1f{start_at!r}\x1f".encode())


def message_id_from(hasher: Any, sequence: int) -> str:
    """The messageId of event ``sequence`` of the session whose hasher this is."""
    state = hasher.copy()
    state.update(b"%d" % sequence)
    d = state.hexdigest()
    # RFC 4122 layout: version nibble 5, variant bits 10xx.
    return f"{d[:8]}-{d[8:12]}-5{d[13:16]}-{_VARIANT[d[16]]}{d[17:20]}-{d[20:32]}"


def message_id(identity: str, session_id: str, start_at: float, sequence: int) -> str:
    """A deterministic messageId: the same input always gives the same id.

    It is the UUIDv5 (RFC 4122) of the identity, the session id, the session's start time and
    the event's sequence number, so a replay of the same log yields the same ids (downstream
    dedup drops repeats) while two logs that both call a session "s1" do not collide.
    """
    # uuid.uuid5 by hand: the same bytes, without building a UUID object (3x faster).
    return message_id_from(message_id_hasher(identity, session_id, start_at), sequence)


def track_message(
    event: str,
    identity_key: str,
    identity: str,
    properties: dict[str, Any],
    at: float,
    message_id: str,
    context: Mapping[str, Any] | None = None,
    integrations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete Segment track message (``identity_key`` is ``userId`` or ``anonymousId``)."""
    library = {"name": "vtrack", "version": __version__}
    full_context = {**context, "library": library} if context else {"library": library}
    message: dict[str, Any] = {
        "type": "track",
        "event": event,
        identity_key: identity,
        "properties": properties,
        "timestamp": iso_timestamp(at),
        "messageId": message_id,
        "context": full_context,
    }
    if integrations:
        message["integrations"] = dict(integrations)
    return message
