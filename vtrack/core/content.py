"""What the player knows about what it plays: content metadata and its ad schedule."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
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
_number = attrs.validators.optional(attrs.validators.instance_of((int, float)))


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


@attrs.frozen
class ScheduledAd:
    """One ad the player plans to show: Video Playback Started lists these."""

    asset_id: str | None = attrs.field(default=None, validator=_text)
    pod_id: str | None = attrs.field(default=None, validator=_text)
    type: AdType | None = attrs.field(default=None, validator=_ad_type)
    length: float | None = attrs.field(default=None, validator=_number)


@attrs.frozen
class Content:
    """A content item: the ``load`` callback carries one.

    ``duration`` may be unknown (``None``), or infinite/NaN for a livestream; milestones need
    a finite positive duration. ``playlist`` lists the asset ids of every content item the
    session will play (default: just this one), ``ad_schedule`` the ads it will show.
    ``extra`` holds any further properties (custom ones, or a profile's own, such as Vimeo
    OTT's ``video_id``, ``device`` or ``platform``).
    """

    asset_id: str | None = attrs.field(default=None, validator=_text)
    pod_ids: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    duration: float | None = attrs.field(default=None, validator=_number)
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
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def length(self) -> float | None:
        """The duration if it is usable for progress (finite, positive, not live), else None."""
        return None if self.live else usable_length(self.duration)
