"""Profiles: how each analytics tool names video events and lays out their properties."""

from __future__ import annotations

from typing import Final

from vtrack.profiles.base import Field, Profile
from vtrack.profiles.segment import SEGMENT
from vtrack.profiles.vimeo_ott import VIMEO_OTT

PROFILES: Final = {SEGMENT.name: SEGMENT, VIMEO_OTT.name: VIMEO_OTT}


def get_profile(profile: str | Profile) -> Profile:
    """Return the profile named ``profile`` (or ``profile`` itself if it is one)."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown profile {profile!r}; known profiles: {', '.join(sorted(PROFILES))}"
        ) from None


__all__ = ["PROFILES", "SEGMENT", "VIMEO_OTT", "Field", "Profile", "get_profile"]
