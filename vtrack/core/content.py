"""What the player knows about what it plays: content metadata and its ad schedule."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final, Literal

import attrs

AdType = Literal["pre-roll", "mid-roll", "post-roll"]
AD_TYPES: Final = ("pre-roll", "mid-roll", "post-roll")


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _ads(value: Iterable[ScheduledAd] | None) -> tuple[ScheduledAd, ...]:
    ads = tuple(value or ())
    for ad in ads:
        if not isinstance(ad, ScheduledAd):
            raise TypeError(f"ad_schedule entries must be vtrack.ScheduledAd; got {ad!r}")
    return ads


def _ad_type(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value not in AD_TYPES:
        raise ValueError(f"{attribute.name} must be one of {', '.join(AD_TYPES)}; got {value!r}")


def usable_length(value: float | None) -> float | None:
    """A length in seconds if it is a finite positive number, else ``None`` (unknown)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


_text = attrs.validators.optional(attrs.validators.instance_of(str))
_flag = attrs.validators.optional(attrs.validators.instance_of(bool))


def _number(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # A bool is an int to Python, but True seconds is a mistake (and True == 1 would let two
    # different contents compare equal).
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError(f"{attribute.name} must be a number of seconds; got {value!r}")


def _seconds(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not value >= 0:  # NaN fails the comparison too
        raise ValueError(
            f"{attribute.name} must be a number of seconds >= 0 (inf for a livestream); "
            f"got {value!r}"
        )


def _season(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
        raise TypeError(f"{attribute.name} must be a string or an int; got {value!r}")


def _airdate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    try:
        valid = isinstance(value, str) and "T" in value and bool(datetime.fromisoformat(value))
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"{attribute.name} must be an ISO-8601 date-time string; got {value!r}")


class FrozenMapping(Mapping[str, Any]):
    """A read-only mapping of custom properties, equal only to one of the same typed values.

    It holds a deep copy of what it was built from and hands out copies of the lists and dicts
    in it, so nothing read from it can change it.

    ``1``, ``1.0`` and ``True`` are equal in Python but are written differently in a message,
    so two frozen mappings are equal (and hash alike) only when their values have the same
    types too. It hashes only when its values are hashable once lists and dicts are read as
    tuples; otherwise ``hash()`` raises ``TypeError`` (caches then keep it apart).
    """

    __slots__ = ("_items", "_key")

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        # A deep copy: the caller's dict (and lists inside it) may change later; this may not.
        self._items: dict[str, Any] = copy.deepcopy(dict(items or {}))
        self._key: Any = None

    def __getitem__(self, key: str) -> Any:
        value = self._items[key]
        # A copy of a list or dict: changing what was read must not change the content.
        return value if type(value) in _IMMUTABLE else copy.deepcopy(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"FrozenMapping({self._items!r})"

    def typed_items(self) -> Any:
        """The items as a nested tuple that tells ``1``, ``1.0`` and ``True`` apart."""
        if self._key is None:
            self._key = typed_value(self._items)
        return self._key

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMapping):
            return bool(self.typed_items() == other.typed_items())
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.typed_items())


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def typed_value(value: Any) -> Any:
    """A stand-in for ``value`` that compares equal only to a value of the same types."""
    kind = type(value)
    if kind is list or kind is tuple:
        return (kind, tuple(typed_value(item) for item in value))
    if kind is dict or kind is FrozenMapping:
        return (dict, tuple((key, typed_value(item)) for key, item in value.items()))
    return (kind, value)


def _frozen(value: Mapping[str, Any] | None) -> FrozenMapping:
    if isinstance(value, FrozenMapping):
        return value
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"extra must be a mapping of property names to values; got {value!r}")
    return FrozenMapping(value)


@attrs.frozen(cache_hash=True)
class ScheduledAd:
    """One ad the player plans to show: Video Playback Started lists these."""

    asset_id: str | None = attrs.field(default=None, validator=_text)
    pod_id: str | None = attrs.field(default=None, validator=_text)
    type: AdType | None = attrs.field(default=None, validator=_ad_type)
    length: float | None = attrs.field(default=None, validator=_number)


@attrs.frozen(cache_hash=True)
class Content:
    """A content item: the ``load`` callback carries one. It is immutable.

    ``duration`` may be unknown (``None``), or infinite for a livestream (as a browser reports
    it); milestones need a finite positive duration; a negative or NaN one is refused.
    ``playlist`` lists the asset ids of every content item the session will play (default:
    just this one), ``ad_schedule`` the ads it will show.
    ``extra`` holds any further properties (custom ones, or a profile's own, such as Vimeo
    OTT's ``video_id``, ``device`` or ``platform``); it is copied when the content is built and
    cannot be changed afterwards (``attrs.evolve(content, extra=...)`` makes a changed copy).
    """

    asset_id: str | None = attrs.field(default=None, validator=_text)
    pod_ids: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    duration: float | None = attrs.field(default=None, validator=[_number, _seconds])
    live: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    title: str | None = attrs.field(default=None, validator=_text)
    program: str | None = attrs.field(default=None, validator=_text)
    description: str | None = attrs.field(default=None, validator=_text)
    season: str | int | None = attrs.field(default=None, validator=_season)
    episode: str | int | None = attrs.field(default=None, validator=_season)
    genre: str | None = attrs.field(default=None, validator=_text)
    publisher: str | None = attrs.field(default=None, validator=_text)
    channel: str | None = attrs.field(default=None, validator=_text)
    full_episode: bool | None = attrs.field(default=None, validator=_flag)
    airdate: str | None = attrs.field(default=None, validator=_airdate)
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    playlist: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    ad_schedule: tuple[ScheduledAd, ...] = attrs.field(default=(), converter=_ads)
    video_player: str | None = attrs.field(default=None, validator=_text)
    ad_enabled: bool | None = attrs.field(default=None, validator=_flag)
    extra: Mapping[str, Any] = attrs.field(factory=FrozenMapping, converter=_frozen)

    @functools.cached_property
    def length(self) -> float | None:
        """The duration if it is usable for progress (finite, positive, not live), else None.

        Worked out once: every session playing this content shares the one float.
        """
        return None if self.live else usable_length(self.duration)

    @functools.cached_property
    def ads_length(self) -> float | None:
        """The scheduled ads' total length (0.0 without any; None if one's length is unknown)."""
        lengths = [usable_length(ad.length) for ad in self.ad_schedule]
        return None if None in lengths else sum((x for x in lengths if x is not None), 0.0)

    @functools.cached_property
    def postroll_pods(self) -> int:
        """How many post-roll pods the ad schedule announces."""
        return len(
            {
                ad.pod_id if ad.pod_id is not None else index
                for index, ad in enumerate(self.ad_schedule)
                if ad.type == "post-roll"
            }
        )
