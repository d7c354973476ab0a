"""Checks on callback arguments: only what the spec and seed 004's schema accept goes on."""

from __future__ import annotations

import math
from typing import Any

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
