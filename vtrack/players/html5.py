"""HTMLMediaElement events (a browser's ``<video>``) as core callbacks.

An event is what a page's listener sees: ``type`` and the element's ``currentTime``,
``duration``, ``paused``, ``ended`` and ``playbackRate`` at that moment (``volume`` and
``muted`` if recorded). Traps, as real Chromium shows them (``tests/data/html5-*.log``):

- ``pause`` fires with ``ended: true`` just before ``ended``: the end of the media, not a user
  pause;
- a short ``waiting`` comes with every seek (``seeking``, ``waiting``, ``seeked``,
  ``playing``): not a stall;
- ``timeupdate`` comes every ~250 ms of wall time, which is seconds of media at high playback
  rates: positions are taken as reported, the core interpolates between them;
- a ``loop`` video goes back to 0 without ``ended``: Chromium reports it as a seek; a jump
  back without seek events is taken as one too (milestones fire once per session anyway).

``pagehide`` (not a media event; a recorder adds it when the page goes away) means the viewer
left. After ``ended`` the session is complete: playing the video again exits it and starts the
next session (same id and viewer, new messageIds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from vtrack.players.base import Emitted, UnreadableEvent, flag, number, text

#: Events that change nothing the core tracks.
_IGNORED: Final = frozenset(
    {
        "loadstart",
        "progress",
        "suspend",
        "stalled",
        "emptied",
        "abort",
        "loadeddata",
        "canplay",
        "canplaythrough",
        "resize",
        "encrypted",
        "waitingforkey",
    }
)
#: How far ``currentTime`` may go back in a ``timeupdate`` before it counts as a jump (s).
JUMP_BACK: Final = 1.0
#: How close to the duration a pause is the end of the media (s).
END_TOLERANCE: Final = 0.05


class Html5Translator:
    """One ``<video>`` element's events, in order, as core callbacks."""

    def __init__(self) -> None:
        self.loaded = False
        self.duration: float | None = None
        self.position = 0.0
        self.seeking = False
        self.ended = False
        self.finished = False
        self.volume: float | None = None

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks of one media event (see the module's docstring)."""
        kind = text(event, "type")
        if kind == "pagehide":
            self.finished = True
            return [(at, "exit", {})] if self.loaded else []
        if kind in _IGNORED:
            return []
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise UnreadableEvent(f"unknown media event type {kind!r}")
        position = number(event, "currentTime")
        assert position is not None
        duration = number(event, "duration", optional=True)
        if self.ended and kind != "play":
            return []  # the session is complete; playing again starts the next one
        out: list[Emitted] = []
        loaded, previous = self.loaded, self.duration
        if not loaded and kind != "error":
            self.loaded = True
            self.duration = duration
            out.append((at, "load", {} if duration is None else {"duration": duration}))
        elif duration is not None and duration != previous:
            self.duration = duration
            out.append((at, "durationchange", {"duration": duration}))
        try:
            out += handler(self, at, position, event)  # with the duration this event carries
        except UnreadableEvent:
            self.loaded, self.duration = loaded, previous  # nothing changes
            raise
        self.position = position
        return out

    # ------------------------------------------------------------------ events
    def _nothing(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        return []

    def _play(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        if self.ended:
            # Played again after the end: that session is complete, the next one starts.
            self.ended = self.seeking = False
            load = {} if self.duration is None else {"duration": self.duration}
            return [(at, "exit", {}), (at, "load", load), (at, "play", {})]
        return [(at, "play", {})]

    def _playing(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.seeking = False
        return [(at, "playing", {"position": position})]

    def _pause(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        if flag(event, "ended") or (
            self.duration is not None and position >= self.duration - END_TOLERANCE
        ):
            return []  # the end of the media: `ended` follows
        return [(at, "pause", {})]

    def _waiting(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        return [] if self.seeking else [(at, "waiting", {})]

    def _seeking(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.seeking = True
        return [(at, "seeking", {"position": position})]

    def _seeked(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        return [(at, "seeked", {"position": position})]

    def _timeupdate(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        if not self.seeking and position < self.position - JUMP_BACK:
            # Back without seek events (a loop, as some browsers report it): a seek.
            return [
                (at, "seeking", {"position": position}),
                (at, "seeked", {"position": position}),
            ]
        return [(at, "timeupdate", {"position": position})]

    def _ended(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.ended = True
        return [(at, "ended", {})]

    def _ratechange(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        rate = number(event, "playbackRate")
        return [(at, "ratechange", {"rate": rate})]

    def _volumechange(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        volume = number(event, "volume", optional=True)
        if volume is None:
            return []
        level = 0.0 if flag(event, "muted") else round(volume * 100, 1)
        if level == self.volume:
            return []
        self.volume = level
        return [(at, "volume", {"level": level})]

    def _error(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        message = event.get("message")
        return [
            (at, "error", {"message": message if isinstance(message, str) else "", "fatal": True})
        ]


_HANDLERS: Final = {
    "durationchange": Html5Translator._nothing,  # handled for every event above
    "loadedmetadata": Html5Translator._nothing,
    "play": Html5Translator._play,
    "playing": Html5Translator._playing,
    "pause": Html5Translator._pause,
    "waiting": Html5Translator._waiting,
    "seeking": Html5Translator._seeking,
    "seeked": Html5Translator._seeked,
    "timeupdate": Html5Translator._timeupdate,
    "ended": Html5Translator._ended,
    "ratechange": Html5Translator._ratechange,
    "volumechange": Html5Translator._volumechange,
    "error": Html5Translator._error,
}

#: The media events whose ``currentTime`` (and ``duration``) the translator reads: a record of
#: one of them without a number there is unreadable. ``pagehide`` and the ignored events carry
#: none that matters.
POSITION_EVENTS: Final = frozenset(_HANDLERS)
#: Every event type the translator knows.
KNOWN_EVENTS: Final = POSITION_EVENTS | _IGNORED | {"pagehide"}
