"""The shape every player translator has."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from vtrack.core.errors import VtrackError

#: The largest number an event may carry (whole seconds of it must fit JSON's 64-bit integers).
MAX_NUMBER: Final = 1e12

#: One callback for the core: ``(at, callback name, keyword arguments)``.
Emitted = tuple[float, str, dict[str, Any]]


class UnreadableEvent(VtrackError, ValueError):
    """A player event the translator cannot read; the message says why."""


class Translator(Protocol):
    """Turns one player session's events into core callbacks, in order."""

    #: The player said it is done (stopped, shut down, the page went away): nothing that
    #: comes later needs what this translator knows.
    finished: bool

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks the player event ``event`` (seen at ``at``) means; may be none.

        Raises :class:`UnreadableEvent` for an event it cannot read (nothing changes then).
        """
        ...


def number(event: Mapping[str, Any], key: str, *, optional: bool = False) -> float | None:
    """``event[key]`` as a finite float (``None`` if absent and ``optional``)."""
    value = event.get(key)
    if value is None:
        if optional:
            return None
        raise UnreadableEvent(f'"{key}" is missing')
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnreadableEvent(f'"{key}" must be a finite number; got {value!r}')
    if not -MAX_NUMBER <= value <= MAX_NUMBER:  # also NaN and the infinities
        raise UnreadableEvent(f'"{key}" must be a finite number of at most 1e12; got {value!r}')
    return float(value)


def text(event: Mapping[str, Any], key: str) -> str:
    """``event[key]``, which must be a string."""
    value = event.get(key)
    if not isinstance(value, str):
        raise UnreadableEvent(f'"{key}" must be a string; got {value!r}')
    return value


def flag(event: Mapping[str, Any], key: str) -> bool | None:
    """``event[key]`` as a bool, ``None`` if absent."""
    value = event.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise UnreadableEvent(f'"{key}" must be true or false; got {value!r}')
