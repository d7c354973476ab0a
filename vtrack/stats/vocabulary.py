"""What a Segment video message says: its kind, its moment, its session and its positions.

Both vocabularies vtrack writes are read, and any export that follows the Segment Video Spec:
the event names come from the profiles themselves (:mod:`vtrack.profiles`), so a name lives in
one place. A message whose properties carry ``timecode`` is laid out the Vimeo OTT way (one
flat table, content positions everywhere); any other the Segment way (playback events count
the ads seen in ``position``, content and ad events their own).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple, TypeGuard

from vtrack.core.errors import VtrackError
from vtrack.profiles import base as kinds
from vtrack.profiles.segment import SEGMENT
from vtrack.profiles.vimeo_ott import VIMEO_OTT


class BadMessage(VtrackError):
    """A message that cannot be read as a video event (its reason is the exception's text)."""


def _by_name(event_names: Mapping[str, str], *, skip: frozenset[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for kind, name in event_names.items():
        if kind not in skip:
            found.setdefault(name, kind)
    return found


#: Segment names to kinds (Video Ad Playing is a heartbeat; a quartile is one with ``quartile``).
SEGMENT_KINDS: Final = _by_name(
    SEGMENT.event_names, skip=frozenset({kinds.CONTENT_MILESTONE, kinds.AD_QUARTILE})
)
#: Vimeo OTT names to kinds: "Video Content Completed" is its 90 % milestone, "Video Content
#: Ended" the end of the content, "Video Playback Paused" also the pause at the end.
VIMEO_OTT_KINDS: Final = _by_name(
    VIMEO_OTT.event_names,
    skip=frozenset({kinds.CONTENT_MILESTONE, kinds.PLAYBACK_PAUSED_AT_END, kinds.AD_QUARTILE}),
)
_MILESTONE_NAME: Final = re.compile(r"^(\d+(?:\.\d+)?)% Content Completed$")
_VIMEO_MILESTONES: Final = {name: percent for percent, name in VIMEO_OTT.milestone_names.items()}

#: Kinds whose ``position`` is the playback's (the ads seen included) in the Segment layout.
PLAYBACK_KINDS: Final = frozenset(
    {
        kinds.PLAYBACK_STARTED,
        kinds.PLAYBACK_PAUSED,
        kinds.PLAYBACK_RESUMED,
        kinds.BUFFER_STARTED,
        kinds.BUFFER_COMPLETED,
        kinds.SEEK_STARTED,
        kinds.SEEK_COMPLETED,
        kinds.PLAYBACK_INTERRUPTED,
        kinds.PLAYBACK_EXITED,
        kinds.PLAYBACK_COMPLETED,
    }
)
#: Kinds that describe an ad: their positions are the ad's, never the content's.
AD_KINDS: Final = frozenset(
    {
        kinds.AD_STARTED,
        kinds.AD_PLAYING,
        kinds.AD_COMPLETED,
        kinds.AD_SKIPPED,
        kinds.AD_CLICKED,
        kinds.AD_FAILED,
    }
)


class Event(NamedTuple):
    """One video message, read: what happened, when, to which session."""

    kind: str
    #: Seconds since the epoch.
    at: float
    #: None only for Video Quality Updated (the spec gives it no session_id).
    session_id: str | None
    user_id: str | None
    anonymous_id: str | None
    properties: Mapping[str, Any]
    #: The Vimeo OTT layout (``timecode``, ``duration``, ``is_live``).
    vimeo: bool
    #: The milestone's percentage, for a milestone.
    milestone: float | None
    #: Written by vtrack (``context.library.name``): its extras (milestones, ``skipped``,
    #: errors as ``method: "error: ..."``) may be relied on.
    by_vtrack: bool

    @property
    def viewer(self) -> str:
        """Who watches: ``userId``, else ``anonymousId``."""
        return self.user_id or self.anonymous_id or ""


def read_event(message: Any) -> Event | None:
    """``message`` read as a video :class:`Event`; None for any other message (ignored).

    Raises :class:`BadMessage` for a message that is not an object, or a video event that
    lacks what every one must carry (properties, ``session_id``, a timestamp).
    """
    if not isinstance(message, dict):
        raise BadMessage(f"not a JSON object but {_json_kind(message)}")
    if message.get("type", "track") != "track":
        return None
    name = message.get("event")
    if not isinstance(name, str):
        raise BadMessage("missing field: event (the event's name, a string)")
    properties = message.get("properties")
    if not isinstance(properties, dict):
        if _known_kind(name, vimeo=False) is None:
            return None
        raise BadMessage(f"{name!r}: missing field: properties (an object)")
    vimeo = "timecode" in properties
    milestone = _milestone(name, properties, vimeo)
    kind = kinds.CONTENT_MILESTONE if milestone is not None else _known_kind(name, vimeo)
    if kind is None:
        return None
    session_id = _text(properties.get("session_id"))
    if session_id is None and kind != kinds.QUALITY_UPDATED:
        # Segment spec: Video Quality Updated alone has no session_id (its viewer's session).
        raise BadMessage(f"{name!r}: missing field: properties.session_id")
    context = message.get("context")
    library = context.get("library") if isinstance(context, dict) else None
    return Event(
        kind=kind,
        at=_epoch(message, name),
        session_id=session_id,
        user_id=_text(message.get("userId")),
        anonymous_id=_text(message.get("anonymousId")),
        properties=properties,
        vimeo=vimeo,
        milestone=milestone,
        by_vtrack=isinstance(library, dict) and library.get("name") == "vtrack",
    )


def _known_kind(name: str, vimeo: bool) -> str | None:
    if vimeo:
        return VIMEO_OTT_KINDS.get(name)
    return SEGMENT_KINDS.get(name) or VIMEO_OTT_KINDS.get(name)


def _milestone(name: str, properties: Mapping[str, Any], vimeo: bool) -> float | None:
    if vimeo and name in _VIMEO_MILESTONES:
        return float(_VIMEO_MILESTONES[name])
    match = _MILESTONE_NAME.match(name)
    if match is None:
        return None
    value = number(properties, "milestone")
    return value if value is not None else float(match.group(1))


def _epoch(message: Mapping[str, Any], name: str) -> float:
    stamp = message.get("timestamp", message.get("originalTimestamp"))
    if not isinstance(stamp, str):
        raise BadMessage(f"{name!r}: missing field: timestamp (ISO-8601)")
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        raise BadMessage(f"{name!r}: timestamp {stamp!r} is not ISO-8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Segment's timestamps are UTC
    return moment.timestamp()


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json_kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def number(properties: Mapping[str, Any], key: str) -> float | None:
    """``properties[key]`` if it is a finite number, else None."""
    value = properties.get(key)
    if not _is_number(value):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def content_position(event: Event, ad_offset: float) -> float | None:
    """Where the content's playhead is at ``event``, if the event says.

    ``ad_offset`` is what a Segment playback event's ``position`` counts besides the content
    (the ads seen, earlier playlist items).
    """
    properties = event.properties
    if event.kind in AD_KINDS:
        return None
    if event.vimeo:
        return number(properties, "timecode")
    position = number(properties, "position")
    if position is None or event.kind not in PLAYBACK_KINDS:
        return position
    if properties.get("ad_asset_id") not in (None, [], ""):
        return None  # a playback event in an ad: its position moves with the ad
    return max(0.0, position - ad_offset)


def content_length(event: Event) -> float | None:
    """The content's length, from a content event (or any Vimeo OTT event)."""
    if event.vimeo:
        return number(event.properties, "duration")
    if event.kind in PLAYBACK_KINDS or event.kind in AD_KINDS:
        return None
    return number(event.properties, "total_length")


def is_live(event: Event) -> bool:
    """The content is a livestream (``livestream: true``, Vimeo OTT's ``is_live: 1``)."""
    properties = event.properties
    return bool(properties.get("is_live") if event.vimeo else properties.get("livestream"))


def asset_id(event: Event) -> str | None:
    """The content's asset id, where the event names it."""
    properties = event.properties
    if event.vimeo:
        key = "video_id"
    elif event.kind in AD_KINDS:
        content = properties.get("content")
        return _text(content.get("asset_id")) if isinstance(content, dict) else None
    elif event.kind in PLAYBACK_KINDS:
        key = "content_asset_id"
    else:
        key = "asset_id"
    return _text(properties.get(key))
