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
  back without seek events is taken as one too (milestones fire once per session anyway);
- every event carries ``playbackRate``: a page may set the rate before anyone listens (no
  ``ratechange`` in the log), so the rate an event carries is the rate, ``ratechange`` or not;
- a ``waiting`` of a few milliseconds (Chromium at 16x, the refill just after the first
  ``playing`` after a seek) is no stall: buffering counts once it lasts
  :data:`~vtrack.players.base.MIN_STALL` (``min_stall``); it is told, dated when it began, at
  the first event after that, or with the ``playing`` that ends it.

``pagehide`` (not a media event; a recorder adds it when the page goes away) means the viewer
left. After ``ended`` the session is complete: playing the video again exits it and starts the
next session (same id and viewer, new messageIds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from vtrack.players.base import MIN_STALL, Emitted, StallGate, UnreadableEvent, flag, number, text

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

    def __init__(self, *, min_stall: float = MIN_STALL) -> None:
        self.stall = StallGate(min_stall)
        self.rate = 1.0
        self.loaded = False
        self.duration: float | None = None
        self.position = 0.0
        self.seeking = False
        self.ended = False
        self.finished = False
        self.volume: float | None = None

    @property
    def due_at(self) -> float | None:
        """When a waiting under way becomes a stall (see :class:`~vtrack.players.Translator`)."""
        return self.stall.due_at

    def expire(self, now: float) -> list[Emitted]:
        """A waiting that has lasted by ``now``, told (a live integration's timer)."""
        return self.stall.saw(self.stall.due(now))

    def release(self, at: float) -> list[Emitted]:
        """The input ends: a waiting still under way is a stall the viewer left in."""
        return self.stall.saw(self.stall.release())

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks of one media event (see the module's docstring)."""
        kind = text(event, "type")
        if kind == "pagehide":
            self.finished = True
            if not self.loaded:
                return []
            out = self.stall.due(at)
            self.stall.drop()
            return self.stall.saw([*out, (at, "exit", {})])
        if kind in _IGNORED:
            return self.stall.saw(self.stall.due(at))
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise UnreadableEvent(f"unknown media event type {kind!r}")
        position = number(event, "currentTime")
        assert position is not None
        duration = number(event, "duration", optional=True)
        rate = number(event, "playbackRate", optional=True)
        if self.ended and kind != "play":
            return []  # the session is complete; playing again starts the next one
        loaded, previous, previous_rate = self.loaded, self.duration, self.rate
        stall = self.stall.saved()
        out = self.stall.due(at)
        rate_changed = False
        if rate is not None and rate > 0 and rate != self.rate:
            self.rate, rate_changed = rate, True  # the page may have set it before listening
        if not loaded and kind != "error":
            self.loaded = True
            self.duration = duration
            out.append((at, "load", {} if duration is None else {"duration": duration}))
            rate_changed = self.rate != 1.0  # the session starts at 1x
        elif duration is not None and duration != previous:
            self.duration = duration
            out.append((at, "durationchange", {"duration": duration}))
        if rate_changed and self.loaded and not self.ended:
            out.append((at, "ratechange", {"rate": self.rate}))
        try:
            out += handler(self, at, position, event)  # with the duration this event carries
        except UnreadableEvent:
            self.loaded, self.duration, self.rate = loaded, previous, previous_rate
            self.stall.restore(stall)
            raise
        self.position = position
        return self.stall.saw(out)

    # ------------------------------------------------------------------ events
    def _nothing(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        return []

    def _play(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        if self.ended:
            # Played again after the end: that session is complete, the next one starts.
            self.ended = self.seeking = False
            load = {} if self.duration is None else {"duration": self.duration}
            out: list[Emitted] = [(at, "exit", {}), (at, "load", load)]
            if self.rate != 1.0:
                out.append((at, "ratechange", {"rate": self.rate}))
            return [*out, (at, "play", {})]
        return [(at, "play", {})]

    def _playing(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.seeking = False
        resumed: Emitted = (at, "playing", {"position": position})
        if self.stall.active:
            return self.stall.end(resumed) or [resumed]  # a refill: only the position counts
        return [resumed]

    def _pause(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        if flag(event, "ended") or (
            self.duration is not None and position >= self.duration - END_TOLERANCE
        ):
            return []  # the end of the media: `ended` follows
        self.stall.drop()
        return [(at, "pause", {})]

    def _waiting(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        if self.seeking:
            return []
        self.stall.begin(at)  # a stall once it lasts
        return self.stall.due(at)  # at once when every stall counts (min_stall 0)

    def _seeking(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.seeking = True
        self.stall.drop()
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
        self.stall.drop()
        return [(at, "ended", {})]

    def _ratechange(self, at: float, position: float, event: Mapping[str, Any]) -> list[Emitted]:
        number(event, "playbackRate")  # required here; every event's rate is taken above
        return []

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
