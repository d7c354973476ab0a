"""Checks on callback arguments: only what the spec and seed 004's schema accept goes on."""

from __future__ import annotations

import math
from typing import Any, Final

from vtrack.core.content import AD_TYPES

_TEXT = ("pod_id", "asset_id", "title", "publisher", "method", "message")
_COUNTS = {"ad_count": 0, "pod_position": 1}  # smallest allowed value
_CHOICES = {"type": AD_TYPES, "load_type": ("linear", "dynamic")}


def checked_args(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` if every given value is valid, else ``{"invalid": reason}`` (an anomaly).

    Only what satisfies the spec and seed 004's schema may reach a message.
    """
    for name, value in args.items():
        if value is None:
            continue
        if name in _TEXT and not isinstance(value, str):
            return {"invalid": f"{name} must be a string; got {value!r}"}
        if name in _COUNTS and (
            isinstance(value, bool) or not isinstance(value, int) or value < _COUNTS[name]
        ):
            return {"invalid": f"{name} must be an int >= {_COUNTS[name]}; got {value!r}"}
        if name in _CHOICES and value not in _CHOICES[name]:
            allowed = ", ".join(_CHOICES[name])
            return {"invalid": f"{name} must be one of {allowed}; got {value!r}"}
        if name == "length" and (not is_number(value) or value < 0):
            return {"invalid": f"length must be a finite number >= 0; got {value!r}"}
    return args


def position_arg(position: Any, optional: bool = False) -> dict[str, Any]:
    """``{"position": float}``, ``{}`` if optional and absent, or ``{"invalid": reason}``."""
    if position is None and optional:
        return {}
    if not is_position(position):
        return {"invalid": f"position must be a finite number >= 0; got {position!r}"}
    return {"position": float(position)}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_position(value: Any) -> bool:
    return is_number(value) and value >= 0


#: 10000-01-01T00:00:00Z: timestamps must stay printable.
LAST_TIME: Final = 253402300800.0


def time_problem(at: Any) -> str | None:
    """Why ``at`` is not a callback time (seconds since the epoch), or None if it is one."""
    if is_number(at) and 0 <= at < LAST_TIME:
        return None
    return (
        "time must be seconds since the Unix epoch, from 0 to the year 9999 "
        f"(milliseconds by mistake?); got {at!r}"
    )


def quality_args(numbers: dict[str, Any], quality: Any) -> dict[str, Any]:
    """The quality figures if valid (numbers >= 0, a string), else ``{"invalid": reason}``."""
    for name, value in numbers.items():
        if value is not None and (not is_number(value) or value < 0):
            return {"invalid": f"{name} must be a finite number >= 0; got {value!r}"}
    if quality is not None and not isinstance(quality, str):
        return {"invalid": f"quality must be a string; got {quality!r}"}
    return {**numbers, "quality": quality}


def session_identity(
    session_id: Any, user_id: Any, anonymous_id: Any, first_sequence: Any
) -> tuple[str, str]:
    """``(userId or anonymousId, its value)`` of a new session; raises if an argument is bad."""
    if not isinstance(session_id, str) or not session_id:
        raise ValueError(f"session_id must be a non-empty string; got {session_id!r}")
    if (user_id is None) == (anonymous_id is None):
        raise ValueError(
            "a session needs exactly one of user_id or anonymous_id "
            f"(got user_id={user_id!r}, anonymous_id={anonymous_id!r})"
        )
    identity = user_id if user_id is not None else anonymous_id
    if not isinstance(identity, str) or not identity:
        raise ValueError(f"the user id must be a non-empty string; got {identity!r}")
    if isinstance(first_sequence, bool) or not isinstance(first_sequence, int):
        raise TypeError(f"first_sequence must be an int; got {first_sequence!r}")
    if first_sequence < 0:
        raise ValueError(f"first_sequence must be >= 0; got {first_sequence!r}")
    return ("userId" if user_id is not None else "anonymousId", identity)


def takes_playhead(position: Any, at: Any, last: float | None, over: bool) -> bool:
    """Whether a playhead ``position`` a callback carries is taken as a timeupdate at ``at``.

    Only when that timeupdate would be no anomaly (a valid position and time, time not going
    back, the session not over): the playhead a callback carries is never an anomaly of its own.
    """
    return (
        is_position(position)
        and time_problem(at) is None
        and (last is None or at >= last)
        and not over
    )
