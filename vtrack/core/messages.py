"""The Segment track envelope around each event: identity, timestamp, messageId, context."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from hashlib import sha1
from typing import Any, Final

from vtrack._version import __version__

#: Namespace of vtrack's deterministic messageIds (see :func:`message_id`).
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


def message_id_base(identity: str, session_id: str, start_at: float) -> tuple[str, int]:
    """What every messageId of one session is derived from (see :func:`message_id`).

    ``(the first four groups of the UUID text, the last group as a number)``, from one SHA-1
    per session.
    """
    d = sha1(
        _NAMESPACE_BYTES + f"{identity}\x1f{session_id}\x1f{start_at!r}\x1f".encode()
    ).hexdigest()
    # RFC 9562 layout: version nibble 8 (a vendor-specific derivation), variant bits 10xx.
    prefix = f"{d[:8]}-{d[8:12]}-8{d[13:16]}-{_VARIANT[d[16]]}{d[17:20]}-"
    return prefix, int(d[20:32], 16)


def message_id_from(prefix: str, base: int, sequence: int) -> str:
    """The messageId of event ``sequence`` of the session whose base this is."""
    return prefix + "%012x" % ((base + sequence) & _LAST_GROUP)


#: The last group of a UUID: 48 bits, the room a session's sequence numbers count in.
_LAST_GROUP: Final = (1 << 48) - 1


def message_id(identity: str, session_id: str, start_at: float, sequence: int) -> str:
    """A deterministic messageId: the same input always gives the same id.

    A UUIDv8 (RFC 9562): the first 74 free bits are the SHA-1 of the identity, the session id
    and the session's start time (in vtrack's namespace), the last 48 bits that hash's plus
    the event's sequence number. So a replay of the same log yields the same ids (downstream
    dedup drops repeats); the events of one session never share an id (2**48 of them fit);
    two sessions, such as two logs that both call a session "s1", share none unless their
    74-bit hashes collide. One hash per session, not per message: each id costs an addition.
    """
    prefix, base = message_id_base(identity, session_id, start_at)
    return message_id_from(prefix, base, sequence)


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
