"""Vimeo OTT's Segment integration (seed 000), to the letter of its "Video Events" table.

Beware a clash of names: in the Segment Video Spec "Video Content Completed" means the
content reached its end; in Vimeo OTT it is the 90 % milestone, and the end of the content is
"Video Content Ended". Vimeo OTT also sends "Video Playback Paused" when playback reaches the
end, and has no Content Started, Ad Playing, Playback Completed/Exited/Interrupted or Quality
Updated events: those are not sent in this profile.

Every video event carries the same flat property table: ``timecode`` (0 for live),
``duration``, ``seconds`` (the heartbeat interval), ``session_id``, ``is_live`` (1/0),
``type: "video"``, ``name`` (the event name), ``timestamp`` (epoch seconds), ``is_fullscreen``
and ``video_title`` when known, and the rest of its table (``video_id``, ``device``,
``platform``, ``collection_id`` ...) when given in the content's ``extra``.
"""

from __future__ import annotations

from typing import Final

from vtrack.profiles import base as k
from vtrack.profiles.base import Field, Profile

VIDEO_EVENT: Final = (
    Field("timecode", "content_timecode", "floor"),
    Field("duration", "content_total_length", "floor"),
    Field("seconds", "heartbeat"),
    Field("session_id", "session_id"),
    Field("is_live", "live", "flag"),
    Field("type", value="video"),
    Field("name", "event_name"),
    Field("timestamp", "epoch", "floor"),
    Field("is_fullscreen", "full_screen", "flag"),
    Field("video_title", "title", "str"),
)

_NAMES: Final = {
    k.PLAYBACK_STARTED: "Video Playback Started",
    k.PLAYBACK_PAUSED: "Video Playback Paused",
    k.PLAYBACK_PAUSED_AT_END: "Video Playback Paused",
    k.PLAYBACK_RESUMED: "Video Playback Resumed",
    k.BUFFER_STARTED: "Video Playback Buffer Started",
    k.BUFFER_COMPLETED: "Video Playback Buffer Completed",
    k.SEEK_STARTED: "Video Playback Seek Started",
    k.SEEK_COMPLETED: "Video Playback Seek Completed",
    k.CONTENT_PLAYING: "Video Content Playing",
    k.CONTENT_COMPLETED: "Video Content Ended",
    k.CONTENT_MILESTONE: "{percent:g}% Content Completed",
    k.AD_STARTED: "Video Ad Started",
    k.AD_COMPLETED: "Video Ad Completed",
    k.AD_SKIPPED: "Video Ad Skipped",
    k.AD_CLICKED: "Video Ad Clicked",
    k.AD_FAILED: "Video Ad Failed",
}

VIMEO_OTT: Final = Profile(
    name="vimeo-ott",
    event_names=_NAMES,
    layouts=dict.fromkeys(k.KINDS, VIDEO_EVENT),
    milestone_names={90: "Video Content Completed"},
    extra=frozenset(k.KINDS),
)
