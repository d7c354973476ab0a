"""A message as the bytes that are sent: strict JSON, checked once, when it is emitted.

Encoding at ``emit()`` means a caller who changes the message afterwards changes nothing that
is sent, and a message that cannot be sent is refused to the caller's face instead of failing
later on a background thread.
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

from vtrack.core.errors import VtrackError

#: Segment refuses a single event larger than this (32 KB), after encoding.
MAX_EVENT_BYTES: Final = 32 * 1024


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


def encode(message: Mapping[str, Any], limit: int = MAX_EVENT_BYTES) -> bytes:
    """``message`` as compact UTF-8 JSON, or an error naming the value or size at fault.

    datetime, date and time are written in ISO 8601, UUIDs as strings, finite Decimals as
    numbers, Enums as their values. NaN, infinity, bytes, sets and other objects are refused
    (:class:`EncodingError`, with the key path), as is a result over ``limit`` bytes
    (:class:`MessageTooLarge`).
    """
    try:
        data = _ENCODER.encode(message).encode()
    except RecursionError as exc:
        raise EncodingError(message.get("event"), "$", "nests too deep (or holds itself)") from exc
    except (TypeError, ValueError) as exc:
        try:
            path, problem = _find_fault(message, "$")
        except RecursionError:
            path, problem = "", ""
        if not path:
            raise EncodingError(message.get("event"), "$", str(exc)) from exc
        raise EncodingError(message.get("event"), path, problem) from exc
    if len(data) > limit:
        raise MessageTooLarge(message.get("event"), len(data), limit)
    return data


def _find_fault(value: object, path: str) -> tuple[str, str]:
    """Where in ``value`` JSON fails, and why (``("", "")`` if nowhere): the slow path."""
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        return path, f"is {value!r}, which JSON cannot carry"
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"is {value!r}, which JSON cannot carry"
    if isinstance(value, str | int | float | bool) or value is None:
        return "", ""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                return f"{path}[{key!r}]", f"has a key of type {type(key).__name__}"
            found = _find_fault(item, f"{path}.{key}")
            if found[0]:
                return found
        return "", ""
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _find_fault(item, f"{path}[{index}]")
            if found[0]:
                return found
        return "", ""
    try:
        converted = _standard_form(value)
    except TypeError:
        return path, f"is a {type(value).__name__}, which JSON cannot carry"
    return _find_fault(converted, path)
