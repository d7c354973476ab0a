"""A message as the bytes that are sent: strict JSON, checked once, when it is emitted.

Encoding at ``emit()`` means a caller who changes the message afterwards changes nothing that
is sent, and a message that cannot be sent is refused to the caller's face instead of failing
later on a background thread.

Each message is encoded once, by ``orjson`` (about a tenth of the standard library's time);
whatever ``orjson`` cannot write exactly as the standard encoder would (a NaN it would write as
``null``, a huge integer, a subclass, a non-string key...) goes the standard way, so both ways
take and refuse the same messages. Batches are built from these bytes, never re-encoded.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any, Final

import orjson

from vtrack.core.errors import VtrackError

#: Segment refuses a single event larger than this (32 KB), after encoding.
MAX_EVENT_BYTES: Final = 32 * 1024
#: The longest messageId a destination deduplicates by (Segment: 100 characters).
MAX_MESSAGE_ID: Final = 100
#: How deep a message may nest (the JSON encoder recurses; a deeper one is refused).
MAX_DEPTH: Final = 200
#: Names the messageIds filled in for messages that come without one.
_FILLED_ID_NAMESPACE: Final = uuid.UUID("6f1b8a52-2c1e-4d38-9a57-1c0f9b0e7d41")


class EncodingError(VtrackError, ValueError):
    """A message holds a value JSON cannot carry; ``path`` says where (``$.properties.x``)."""

    def __init__(self, event: object, path: str, problem: str) -> None:
        self.event = event
        self.path = path
        super().__init__(f"message {event!r}: {path} {problem}")


class MessageTooLarge(VtrackError, ValueError):
    """A message is over :data:`MAX_EVENT_BYTES` once encoded."""

    def __init__(self, event: object, size: int, limit: int = MAX_EVENT_BYTES) -> None:
        self.event = event
        self.size = size
        self.limit = limit
        super().__init__(
            f"message {event!r} is {size:,} bytes encoded; an event may be at most {limit:,}"
        )


def _standard_form(value: object) -> object:
    # Only called by json for what it cannot write itself.
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(type(value).__name__)


_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_standard_form
)
#: orjson writes what the standard encoder writes, but for datetimes (its own form), dataclasses
#: and subclasses of str, int, dict...: those go to ``default`` (or the standard way) instead.
_FAST_OPTIONS: Final = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _fast(message: Mapping[str, Any]) -> bytes | None:
    """``message`` encoded by orjson, or None when only the standard encoder may say.

    orjson refuses what it cannot write (huge integers, non-string keys, lone surrogates,
    cycles, deep nesting: the standard way names the fault), but writes NaN and infinities
    as ``null``: a result holding ``null`` anywhere is encoded again the standard way, which
    refuses those (messages rarely hold ``null``, so this costs little).
    """
    try:
        data = orjson.dumps(message, default=_standard_form, option=_FAST_OPTIONS)
    except (TypeError, ValueError, RecursionError):
        return None
    if data.rfind(b"null") >= 0:  # (twice as fast as ``in`` on these bytes)
        return None
    # A copy of exactly its size: orjson's own bytes keep the whole buffer it wrote into
    # (about 8 KB whatever the size), ten times the memory for an event held until sent.
    return memoryview(data).tobytes()


def encode(message: Mapping[str, Any], limit: int = MAX_EVENT_BYTES) -> bytes:
    """``message`` as compact UTF-8 JSON, or an error naming the value or size at fault.

    datetime, date and time are written in ISO 8601, UUIDs as strings, finite Decimals as
    numbers, Enums as their values. NaN, infinity, bytes, sets, other objects, integers JSON
    readers cannot take (over 4,300 digits), lone surrogates, cycles and nesting deeper than
    :data:`MAX_DEPTH` are refused (:class:`EncodingError`, naming the key), as is a result
    over ``limit`` bytes (:class:`MessageTooLarge`). The messageId must be a string of at most
    :data:`MAX_MESSAGE_ID` characters (what destinations deduplicate by); a message without
    one gets one derived from its content (a UUIDv5: the same message, the same id).
    """
    if type(message) is not dict and not isinstance(message, Mapping):
        raise EncodingError(None, "$", f"must be a JSON object (a dict); got {_kind(message)}")
    message_id = message.get("messageId")
    if type(message_id) is not str or len(message_id) > MAX_MESSAGE_ID:
        message = _with_message_id(message, message_id)
    data = _fast(message)
    if data is None:
        try:
            data = _ENCODER.encode(message).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            path, problem = _find_fault(message)
            raise EncodingError(message.get("event"), path or "$", problem or str(exc)) from exc
    if len(data) > limit:
        raise MessageTooLarge(message.get("event"), len(data), limit)
    return data


def _with_message_id(message: Mapping[str, Any], message_id: object) -> Mapping[str, Any]:
    """``message`` with a messageId filled in, or an error if the one it has is unusable."""
    event = message.get("event")
    if "messageId" in message and message_id is not None:
        if not isinstance(message_id, str):
            raise EncodingError(event, "$.messageId", f"must be a string; got {_kind(message_id)}")
        raise EncodingError(
            event,
            "$.messageId",
            f"is {len(message_id):,} characters; destinations deduplicate by at most "
            f"{MAX_MESSAGE_ID}",
        )
    try:
        content = _ENCODER.encode({**message, "messageId": None})
    except (TypeError, ValueError, RecursionError) as exc:
        path, problem = _find_fault(message)
        raise EncodingError(event, path or "$", problem or str(exc)) from exc
    derived = uuid.uuid5(_FILLED_ID_NAMESPACE, content)
    return {**message, "messageId": str(derived)}


def _kind(value: object) -> str:
    names = {
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _find_fault(message: object) -> tuple[str, str]:
    """Where in ``message`` JSON fails, and why (``("", "")`` if nowhere): the slow path.

    Walks the message with a stack of its own (no recursion: a message nested 100,000 deep
    is found out too), remembering the containers on the way down to tell a cycle.
    """
    stack: list[tuple[object, str, int, tuple[int, ...]]] = [(message, "$", 0, ())]
    while stack:
        value, path, depth, above = stack.pop()
        problem = _fault_of(value)
        if problem:
            return path, problem
        if not isinstance(value, Mapping | list | tuple):
            if not isinstance(value, str | int | float | bool) and value is not None:
                stack.append((_standard_form(value), path, depth, above))
            continue
        if id(value) in above:
            return path, "holds itself (a cycle), which JSON cannot carry"
        if depth >= MAX_DEPTH:
            shown = path if len(path) <= 80 else f"{path[:60]}... ({depth} levels down)"
            return shown, f"nests too deep (more than {MAX_DEPTH} levels)"
        inside = (*above, id(value))
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        children = []
        for key, item in items:
            if isinstance(value, Mapping):
                key_problem = _key_fault(key)
                if key_problem:
                    return f"{path}[{key!r}]", key_problem
                children.append((item, f"{path}.{key}", depth + 1, inside))
            else:
                children.append((item, f"{path}[{key}]", depth + 1, inside))
        stack.extend(reversed(children))  # in order: the first fault is the one named
    return "", ""


def _fault_of(value: object) -> str:
    """Why JSON cannot carry this one value (not looking inside it), or ``""``."""
    if (isinstance(value, float) and not math.isfinite(value)) or (
        isinstance(value, decimal.Decimal) and not value.is_finite()
    ):
        return f"is {value!r}, which JSON cannot carry"
    if isinstance(value, str):
        return _text_fault(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 14_000:
        return "is an integer of more than 4,300 digits, which JSON readers refuse"
    if isinstance(value, str | int | float | bool | Mapping | list | tuple) or value is None:
        return ""
    try:
        _standard_form(value)
    except TypeError:
        return f"is a {type(value).__name__}, which JSON cannot carry"
    return ""


def _key_fault(key: object) -> str:
    if isinstance(key, str):
        return _text_fault(key)
    if isinstance(key, int | float | bool) or key is None:
        return ""
    return f"has a key of type {type(key).__name__}"


def _text_fault(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a lone surrogate ({text[exc.start]!r}), which UTF-8 cannot carry"
    return ""
