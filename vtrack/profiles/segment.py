"""The Segment Video Spec (also Customer.io Data Pipelines and RudderStack).

Where the Segment spec and Customer.io's OpenAPI schema (seed 004) disagree, what is written
satisfies the schema: ``framerate`` is rounded to an integer; Video Playback Started carries
``ad_asset_id`` / ``ad_pod_id`` as arrays but no ``ad_type`` (an array in the spec, a single
string in the schema); a livestream's ``total_length`` is left out rather than null.
"""

from __future__ import annotations

from typing import Final

from vtrack.profiles import base as k
from vtrack.profiles.base import Field, Profile

_PLAYBACK_COMMON: Final = (
    Field("session_id", "session_id"),
    Field("position", "playback_position", "floor"),
    Field("total_length", "playback_total_length", "floor"),
    Field("bitrate", "bitrate", "round"),
    Field("framerate", "framerate", "round"),
    Field("video_player", "video_player"),
    Field("sound", "sound", "round"),
    Field("full_screen", "full_screen", "bool"),
    Field("ad_enabled", "ad_enabled", "bool"),
    Field("quality", "quality", "str"),
    Field("livestream", "live", "true_only"),
)
PLAYBACK: Final = (
    Field("session_id", "session_id"),
    Field("content_asset_id", "content_asset_id"),
    Field("content_pod_id", "content_pod_id"),
    Field("ad_asset_id", "ad_asset_id"),
    Field("ad_pod_id", "ad_pod_id"),
    Field("ad_type", "ad_type"),
    *_PLAYBACK_COMMON[1:],
)
PLAYBACK_STARTED: Final = (
    Field("session_id", "session_id"),
    Field("content_asset_ids", "content_asset_ids", "list"),
    Field("content_pod_ids", "content_pod_ids", "list"),
    Field("ad_asset_id", "scheduled_ad_asset_ids", "list"),
    Field("ad_pod_id", "scheduled_ad_pod_ids", "list"),
    *_PLAYBACK_COMMON[1:],
)
CONTENT: Final = (
    Field("session_id", "session_id"),
    Field("asset_id", "content_asset_id"),
    Field("pod_id", "content_pod_id"),
    Field("program", "program", "str"),
    Field("title", "title", "str"),
    Field("description", "description", "str"),
    Field("season", "season", "str"),
    Field("episode", "episode", "str"),
    Field("position", "content_position", "floor"),
    Field("total_length", "content_total_length", "floor"),
    Field("genre", "genre", "str"),
    Field("publisher", "publisher", "str"),
    Field("channel", "channel", "str"),
    Field("full_episode", "full_episode", "bool"),
    Field("livestream", "live", "true_only"),
    Field("airdate", "airdate", "str"),
    Field("bitrate", "bitrate", "round"),
    Field("framerate", "framerate", "round"),
    Field("keywords", "keywords", "list"),
)
AD: Final = (
    Field("session_id", "session_id"),
    Field("asset_id", "ad_asset_id"),
    Field("pod_id", "ad_pod_id"),
    Field("pod_position", "ad_pod_position", "round"),
    Field("pod_length", "ad_pod_length", "round"),
    Field("type", "ad_type"),
    Field("title", "ad_title", "str"),
    Field("publisher", "ad_publisher", "str"),
    Field("position", "ad_position", "floor"),
    Field("total_length", "ad_total_length", "floor"),
    Field("load_type", "ad_load_type"),
    Field("content", nested=CONTENT[1:]),
)
QUALITY: Final = (
    Field("bitrate", "bitrate", "round"),
    Field("framerate", "framerate", "round"),
    Field("startupTime", "startup_time", "round"),
    Field("droppedFrames", "dropped_frames", "round"),
    Field("quality", "quality", "str"),
)

SEGMENT: Final = Profile(
    name="segment",
    event_names={
        k.PLAYBACK_STARTED: "Video Playback Started",
        k.PLAYBACK_PAUSED: "Video Playback Paused",
        k.PLAYBACK_RESUMED: "Video Playback Resumed",
        k.BUFFER_STARTED: "Video Playback Buffer Started",
        k.BUFFER_COMPLETED: "Video Playback Buffer Completed",
        k.SEEK_STARTED: "Video Playback Seek Started",
        k.SEEK_COMPLETED: "Video Playback Seek Completed",
        k.PLAYBACK_INTERRUPTED: "Video Playback Interrupted",
        k.PLAYBACK_EXITED: "Video Playback Exited",
        k.PLAYBACK_COMPLETED: "Video Playback Completed",
        k.CONTENT_STARTED: "Video Content Started",
        k.CONTENT_PLAYING: "Video Content Playing",
        k.CONTENT_COMPLETED: "Video Content Completed",
        k.CONTENT_MILESTONE: "{percent:g}% Content Completed",
        k.AD_STARTED: "Video Ad Started",
        k.AD_PLAYING: "Video Ad Playing",
        k.AD_QUARTILE: "Video Ad Playing",
        k.AD_COMPLETED: "Video Ad Completed",
        k.QUALITY_UPDATED: "Video Quality Updated",
    },
    layouts={
        k.PLAYBACK_STARTED: PLAYBACK_STARTED,
        k.PLAYBACK_PAUSED: PLAYBACK,
        k.PLAYBACK_RESUMED: PLAYBACK,
        k.BUFFER_STARTED: PLAYBACK,
        k.BUFFER_COMPLETED: PLAYBACK,
        k.SEEK_STARTED: (*PLAYBACK, Field("seek_position", "seek_position", "floor")),
        k.SEEK_COMPLETED: PLAYBACK,
        k.PLAYBACK_INTERRUPTED: (*PLAYBACK, Field("method", "method", "str")),
        k.PLAYBACK_EXITED: PLAYBACK,
        k.PLAYBACK_COMPLETED: PLAYBACK,
        k.CONTENT_STARTED: CONTENT,
        k.CONTENT_PLAYING: CONTENT,
        k.CONTENT_COMPLETED: CONTENT,
        k.CONTENT_MILESTONE: (*CONTENT, Field("milestone", "milestone")),
        k.AD_STARTED: AD,
        k.AD_PLAYING: AD,
        k.AD_QUARTILE: (*AD, Field("quartile", "quartile")),
        k.AD_COMPLETED: (*AD, Field("skipped", "skipped", "true_only")),
        k.QUALITY_UPDATED: QUALITY,
    },
    extra=frozenset(
        {k.CONTENT_STARTED, k.CONTENT_PLAYING, k.CONTENT_COMPLETED, k.CONTENT_MILESTONE}
    ),
)
