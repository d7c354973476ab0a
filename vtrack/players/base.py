"""The shape every player translator has."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from vtrack.core.errors import VtrackError

#: The largest number an event may carry (whole seconds of it must fit JSON's 64-bit integers).
MAX_NUMBER: Final = 1e12

#: One callback for the core: ``(at, callback name, keyword arguments)``.
Emitted = tuple[float, str, dict[str, Any]]

#: The minimum stall duration, for every player (s): buffering that ends sooner is not a stall
#: (a demuxer refilling its cache, a browser's `waiting` of a few milliseconds at 16x, the
#: refill just after a seek), invisible to the viewer and not worth a Buffer Started/Completed
#: pair. Each translator takes another as ``min_stall`` (``vtrack replay --min-stall``).
MIN_STALL: Final = 0.25


def check_min_stall(value: float) -> float:
    """``value`` as a minimum stall duration (raises ``ValueError`` saying what is allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 60:
        raise ValueError(
            f"min_stall must be a number of seconds from 0 (every stall counts) to 60; "
            f"got {value!r}"
        )
    return float(value)


class StallGate:
    """Holds a player's buffering until it has lasted :data:`MIN_STALL` (or ``min_stall``).

    :meth:`begin` when the player starts buffering; :meth:`due` at every later event tells
    the stall (``waiting``, dated when it began, or at the last callback if that came later)
    once it has lasted; :meth:`end` when buffering ends gives the ``playing`` that ends a
    stall, or nothing for a refill (dropped whole).
    """

    __slots__ = ("last_at", "min_stall", "since", "told")

    def __init__(self, min_stall: float = MIN_STALL) -> None:
        self.min_stall = check_min_stall(min_stall)
        self.since: float | None = None
        self.told = False
        #: When the translator's last callback was dated (a stall is never told before it).
        self.last_at: float | None = None

    @property
    def active(self) -> bool:
        """Whether buffering is under way (told or not)."""
        return self.since is not None

    @property
    def due_at(self) -> float | None:
        """When the buffering under way becomes a stall to tell (None: none pending)."""
        return None if self.since is None or self.told else self.since + self.min_stall

    def release(self) -> list[Emitted]:
        """The input ends during buffering not told yet: it is a stall the viewer left in."""
        since = self.since
        if since is None or self.told:
            return []
        self.told = True
        return [(since if self.last_at is None else max(since, self.last_at), "waiting", {})]

    def begin(self, at: float) -> None:
        """The player started buffering at ``at`` (again, if it already was: no change)."""
        if self.since is None:
            self.since, self.told = at, False

    def due(self, at: float) -> list[Emitted]:
        """``waiting``, if the buffering under way has lasted by ``at`` and was not told yet."""
        since = self.since
        if since is None or self.told or at - since < self.min_stall:
            return []
        self.told = True
        return [(since if self.last_at is None else max(since, self.last_at), "waiting", {})]

    def end(self, resumed: Emitted) -> list[Emitted]:
        """Buffering ended with ``resumed`` (the player's ``playing``).

        Returns ``resumed`` (after the ``waiting`` not told yet) if the buffering lasted, and
        nothing if it was a refill.
        """
        out = self.due(resumed[0])
        told = self.told
        self.drop()
        return [*out, resumed] if told else []

    def drop(self) -> None:
        """Forget the buffering under way (a seek, a pause or the end took over)."""
        self.since, self.told = None, False

    def saved(self) -> tuple[float | None, bool, float | None]:
        """The gate's state, for :meth:`restore` (an event that turns out unreadable)."""
        return self.since, self.told, self.last_at

    def restore(self, saved: tuple[float | None, bool, float | None]) -> None:
        """Go back to a state :meth:`saved` gave."""
        self.since, self.told, self.last_at = saved

    def saw(self, emitted: list[Emitted]) -> list[Emitted]:
        """Note the callbacks a translator made (their times); returns them."""
        for at, _, _ in emitted:
            if self.last_at is None or at > self.last_at:
                self.last_at = at
        return emitted


class UnreadableEvent(VtrackError, ValueError):
    """A player event the translator cannot read; the message says why."""


class Translator(Protocol):
    """Turns one player session's events into core callbacks, in order.

    Made with ``min_stall`` (seconds, :data:`MIN_STALL` by default): buffering that ends
    sooner is no stall.
    """

    def __init__(self, *, min_stall: float = MIN_STALL) -> None: ...

    #: The player said it is done (stopped, shut down, the page went away): nothing that
    #: comes later needs what this translator knows.
    finished: bool

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks the player event ``event`` (seen at ``at``) means; may be none.

        Raises :class:`UnreadableEvent` for an event it cannot read (nothing changes then).
        """
        ...

    @property
    def due_at(self) -> float | None:
        """When something the translator holds falls due with no further event (None: never).

        A translator holds a callback while the next event may change its meaning (a stall
        shorter than the minimum is no stall). A live integration calls :meth:`expire` then.
        """
        ...

    def expire(self, now: float) -> list[Emitted]:
        """The held callbacks due by ``now`` with no event since (see :attr:`due_at`)."""
        ...

    def release(self, at: float) -> list[Emitted]:
        """The input ends (or the integration closes) at ``at``: every held callback, told."""
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
