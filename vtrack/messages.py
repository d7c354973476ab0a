"""The Segment track envelope around each event: identity, timestamp, messageId, context."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from vtrack._version import __version__

#: Namespace of vtrack's deterministic messageIds (UUIDv5).
MESSAGE_ID_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/vtrack/vtrack")
LIBRARY: Final = {"name": "vtrack", "version": __version__}


def iso_timestamp(at: float) -> str:
    """``at`` (seconds since the epoch) as ISO-8601 UTC with milliseconds, e.g. ``...00.250Z``."""
    millis = math.floor(at * 1000.0 + 1e-6)
    moment = datetime.fromtimestamp(millis // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"


def message_id(identity: str, session_id: str, start_at: float, sequence: int) -> str:
    """A deterministic messageId: the same input always gives the same id.

    It hashes the identity, the session id, the session's start time and the event's sequence
    number, so a replay of the same log yields the same ids (downstream dedup drops repeats)
    while two logs that both call a session "s1" do not collide.
    """
    name = f"{identity}\x1f{session_id}\x1f{start_at!r}\x1f{sequence}"
    return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, name))


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
    full_context = dict(context) if context else {}
    full_context["library"] = dict(LIBRARY)
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
