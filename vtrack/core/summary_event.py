"""The opt-in summary event: one track event per content item, when it ends or the viewer leaves.

Destinations that learn from what people watch (Spideo builds its recommendations from track
calls such as ``Video Content Watched``) want one event per item watched, not the video
stream. With ``Settings(summary_event="Video Content Watched")`` a session sends, right after
an item's Content Completed, or right before Playback Exited / Interrupted when the item did
not end, one track event of that name: the item's content properties (``asset_id``, ``title``,
...) and its summary figures as :mod:`vtrack.stats` computes them from the item's own messages:
``play_time``, ``unique_seconds``, ``completion`` and ``milestones``.
"""

from __future__ import annotations

from typing import Any, Final

from vtrack.profiles import base as kind
from vtrack.stats.tracker import SessionTracker
from vtrack.stats.vocabulary import read_event

#: The summary figures a summary event carries (see docs/stats.md for each).
SUMMARY_FIELDS: Final = ("play_time", "unique_seconds", "completion", "milestones")
#: Kinds whose properties describe the content item (the event copies the latest).
_CONTENT_KINDS: Final = frozenset(
    {
        kind.PLAYBACK_STARTED,
        kind.CONTENT_STARTED,
        kind.CONTENT_PLAYING,
        kind.CONTENT_COMPLETED,
    }
)
#: Properties that describe the moment of a message, not the item.
_MOMENT_KEYS: Final = frozenset(
    {"position", "timecode", "timestamp", "name", "seconds", "playback_position"}
)
#: The kinds that end a session: the item's summary goes before them.
LEAVING: Final = frozenset({kind.PLAYBACK_EXITED, kind.PLAYBACK_INTERRUPTED})


def validate_summary_event(name: Any) -> str | None:
    """``name`` if it can name a track event (a non-empty string of at most 200 characters)."""
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ValueError(
            f"summary_event must be an event name: a non-empty string of at most 200 "
            f"characters (e.g. 'Video Content Watched'), or None; got {name!r}"
        )
    return name


class ItemSummary:
    """Follows the messages of the item playing; gives its summary properties when asked."""

    __slots__ = ("_properties", "_tracker")

    def __init__(self) -> None:
        self._tracker: SessionTracker | None = None
        self._properties: dict[str, Any] | None = None

    def observe(self, event_kind: str, message: dict[str, Any]) -> None:
        """Take one message of the session (the first after a summary starts the next item)."""
        event = read_event(message)
        if event is None:
            return
        if self._tracker is None:
            self._tracker = SessionTracker(event)
        self._tracker.update(event)
        if event_kind in _CONTENT_KINDS:
            self._properties = message["properties"]

    def take(self, at: float) -> dict[str, Any] | None:
        """The properties of the item's summary event, up to ``at``; None if no item played.

        The item is done with: the next message starts the next one.
        """
        tracker, self._tracker = self._tracker, None
        properties, self._properties = self._properties, None
        if tracker is None or properties is None:
            return None
        tracker.clock.advance(at)
        figures = tracker.summary()
        out = {key: value for key, value in properties.items() if key not in _MOMENT_KEYS}
        for name in SUMMARY_FIELDS:
            out[name] = getattr(figures, name)
        return out
