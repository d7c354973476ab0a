"""Reading a stream of emitted messages back as a playback timeline.

Messages do not say which state the player was in; the events imply it. :class:`PlayerState`
follows a session's events (Segment Video Spec names, Vimeo OTT's too) and knows, after each
one, whether a pod is playing. Where the events cannot tell (between the end of an ad pod and
the next content event, which no event marks) it says so rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

IDLE: Final = "idle"
STARTING: Final = "starting"
PLAYING: Final = "playing"
PAUSED: Final = "paused"
BUFFERING: Final = "buffering"
SEEKING: Final = "seeking"
AD_PLAYING: Final = "ad playing"
AD_PAUSED: Final = "ad paused"
AD_BUFFERING: Final = "ad buffering"
#: Between two ads, or after a pod's last ad: content may already be playing again.
AD_BREAK: Final = "ad break"
ENDED: Final = "ended"
COMPLETED: Final = "completed"
EXITED: Final = "exited"
INTERRUPTED: Final = "interrupted"

#: Names of the heartbeat events (an ad's quartile messages share the name, with ``quartile``).
HEARTBEAT_EVENTS: Final = frozenset({"Video Content Playing", "Video Ad Playing"})
MILESTONE_EVENT: Final = re.compile(r"^(\d+(?:\.\d+)?)% Content Completed$")
#: Events after which a session's messages must stop.
FINAL_EVENTS: Final = frozenset({"Video Playback Exited", "Video Playback Interrupted"})

# A content event after an ad pod's last ad means content plays again (no event says so).
_PAUSED_FROM = {PLAYING: PAUSED, STARTING: PAUSED, BUFFERING: PAUSED, AD_BREAK: PAUSED}
_AD_STATES = frozenset({AD_PLAYING, AD_PAUSED, AD_BUFFERING})
_CONTENT_EQUIVALENT = {AD_PLAYING: PLAYING, AD_PAUSED: PAUSED, AD_BUFFERING: BUFFERING}
#: Events only content has (milestones and, for Segment, Video Content Completed too).
_CONTENT_EVENTS = frozenset(
    {
        "Video Content Started",
        "Video Content Playing",
        "Video Content Ended",
        "Video Playback Seek Started",
        "Video Playback Seek Completed",
    }
)


def epoch_seconds(message: Mapping[str, Any]) -> float:
    """A message's ``timestamp`` (ISO 8601, ``Z`` or an offset) as epoch seconds."""
    stamp = message.get("timestamp")
    if not isinstance(stamp, str):
        raise ValueError(f"message has no ISO 8601 timestamp: {stamp!r}")
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def is_heartbeat(message: Mapping[str, Any]) -> bool:
    """Whether ``message`` is a heartbeat (not one of an ad's quartile messages)."""
    properties = message.get("properties") or {}
    return message.get("event") in HEARTBEAT_EVENTS and "quartile" not in properties


def position_of(message: Mapping[str, Any]) -> float | None:
    """The message's position (``position``, or Vimeo OTT's ``timecode``), if it has one."""
    properties = message.get("properties") or {}
    for key in ("position", "timecode"):
        value = properties.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def viewer_of(message: Mapping[str, Any]) -> str:
    """The message's ``userId`` (or ``anonymousId``)."""
    return str(message.get("userId") or message.get("anonymousId") or "")


class SessionKeys:
    """Tells which player session each message of a stream belongs to: its viewer and
    ``session_id``. Video Quality Updated carries no ``session_id``; it belongs to the
    viewer's latest session that has not ended (or, failing one, the latest).
    """

    def __init__(self) -> None:
        self._open: dict[str, list[str]] = {}
        self._latest: dict[str, str] = {}

    def __call__(self, message: Mapping[str, Any]) -> tuple[str, str]:
        viewer = viewer_of(message)
        session_id = (message.get("properties") or {}).get("session_id")
        if session_id is None:
            still_open = self._open.get(viewer)
            return viewer, still_open[-1] if still_open else self._latest.get(viewer, "")
        session = str(session_id)
        self._latest[viewer] = session
        still_open = self._open.setdefault(viewer, [])
        if session in still_open:
            still_open.remove(session)
        if message.get("event") not in FINAL_EVENTS:
            still_open.append(session)
        return viewer, session


@attrs.define
class PlayerState:
    """The state one session's events imply, updated one event at a time."""

    #: ``"segment"`` or ``"vimeo-ott"``: the names differ.
    profile: str = "segment"
    state: str = IDLE
    content_started: bool = False
    #: Whether playback goes on when the current seek completes.
    playing_after_seek: bool = False
    #: Whether the last event showed a change that no event had marked.
    guessed: bool = False

    @property
    def pod_playing(self) -> bool | None:
        """True if a pod plays now, False if none does, None if the events cannot tell."""
        if self.state == AD_BREAK:
            return None
        return self.state in (PLAYING, AD_PLAYING)

    def observe(self, event: str) -> str:
        """Follow ``event``; returns the state after it.

        :attr:`guessed` tells whether the event showed a change no event had marked (an ad
        that ended silently, content playing again after its pod).
        """
        state = self.state
        self.guessed = False
        if state in _AD_STATES and self._is_content_event(event):
            # Ads cannot seek or reach content milestones: the ad ended unmarked (Segment has
            # no Video Ad Failed), and content plays again.
            state, self.guessed = _CONTENT_EQUIVALENT[state], True
        if event == "Video Playback Started":
            state, self.content_started = STARTING, False
        elif event == "Video Content Started":
            state, self.content_started = PLAYING, True
        elif event == "Video Content Playing" and state == AD_BREAK:
            state, self.guessed = PLAYING, True  # the pod ended and content plays again
        elif event == "Video Playback Paused":
            if state in _AD_STATES:
                state = AD_PAUSED
            elif state == SEEKING:
                self.playing_after_seek = False
            else:
                state = _PAUSED_FROM.get(state, state)
        elif event == "Video Playback Resumed":
            if state == AD_PAUSED:
                state = AD_PLAYING
            elif state == SEEKING:
                self.playing_after_seek = True
            elif state == PAUSED:
                state = PLAYING if self.content_started else STARTING
        elif event == "Video Playback Buffer Started":
            state = AD_BUFFERING if state in _AD_STATES else BUFFERING
        elif event == "Video Playback Buffer Completed":
            state = AD_PLAYING if state == AD_BUFFERING else PLAYING
        elif event == "Video Playback Seek Started":
            self.playing_after_seek = state in (PLAYING, BUFFERING, AD_BREAK)
            state = SEEKING
        elif event == "Video Playback Seek Completed":
            state = PLAYING if self.playing_after_seek else PAUSED
        elif event == "Video Ad Started":
            state = AD_PLAYING
        elif event in ("Video Ad Completed", "Video Ad Failed"):
            state = AD_BREAK
        elif event == "Video Content Ended" or (
            event == "Video Content Completed" and self.profile != "vimeo-ott"
        ):
            state = ENDED  # (Vimeo OTT's "Video Content Completed" is its 90 % milestone)
        elif event == "Video Playback Completed":
            state = COMPLETED
        elif event == "Video Playback Exited":
            state = EXITED
        elif event == "Video Playback Interrupted":
            state = INTERRUPTED
        self.state = state
        return state

    def _is_content_event(self, event: str) -> bool:
        if event in _CONTENT_EVENTS or MILESTONE_EVENT.match(event):
            return True
        return event == "Video Content Completed" and self.profile != "vimeo-ott"


@attrs.frozen
class Row:
    """One message as a line of a timeline."""

    at: float
    state: str
    event: str
    position: float | None

    def describe(self, start: float) -> str:
        """``+12.500s playing Video Content Playing @12``, times relative to ``start``."""
        where = "" if self.position is None else f"@{self.position:g}"
        return f"{self.at - start:>+9.3f}s {self.state:<12} {self.event:<31} {where}".rstrip()


def timeline(messages: Sequence[Mapping[str, Any]], profile: str = "segment") -> list[Row]:
    """The messages as rows (time, state after the event, event, position), in order.

    States are followed per session (viewer and ``session_id``), so interleaved sessions
    each keep their own.
    """
    states: dict[tuple[str, str], PlayerState] = {}
    session_key = SessionKeys()
    rows = []
    for message in messages:
        event = str(message.get("event", ""))
        state = states.setdefault(session_key(message), PlayerState(profile)).observe(event)
        rows.append(Row(epoch_seconds(message), state, event, position_of(message)))
    return rows
