"""What the player knows about what it plays: content metadata and its ad schedule."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
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


@attrs.frozen
class ScheduledAd:
    """One ad the player plans to show: Video Playback Started lists these."""

    asset_id: str | None = None
    pod_id: str | None = None
    type: AdType | None = attrs.field(default=None, validator=_ad_type)
    length: float | None = None


@attrs.frozen
class Content:
    """A content item: the ``load`` callback carries one.

    ``duration`` may be unknown (``None``), or infinite/NaN for a livestream; milestones need
    a finite positive duration. ``playlist`` lists the asset ids of every content item the
    session will play (default: just this one), ``ad_schedule`` the ads it will show.
    ``extra`` holds any further properties (custom ones, or a profile's own, such as Vimeo
    OTT's ``video_id``, ``device`` or ``platform``).
    """

    asset_id: str | None = None
    pod_ids: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    duration: float | None = None
    live: bool = False
    title: str | None = None
    program: str | None = None
    description: str | None = None
    season: str | int | None = None
    episode: str | int | None = None
    genre: str | None = None
    publisher: str | None = None
    channel: str | None = None
    full_episode: bool | None = None
    airdate: str | None = None
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    playlist: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    ad_schedule: tuple[ScheduledAd, ...] = attrs.field(default=(), converter=_ads)
    video_player: str | None = None
    ad_enabled: bool | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def length(self) -> float | None:
        """The duration if it is usable for progress (finite, positive, not live), else None."""
        return None if self.live else usable_length(self.duration)
