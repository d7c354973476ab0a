"""mpv's property changes and events (as python-mpv observes them) as core callbacks.

An event is either a property change, ``{"property": name, "value": value}``, for ``pause``,
``time-pos``, ``duration``, ``seeking``, ``paused-for-cache``, ``eof-reached`` and ``speed``,
or an mpv event, ``{"event": name}`` (``start-file``, ``file-loaded``, ``playback-restart``,
``seek``, ``end-file`` with its ``reason``, ``shutdown``). Traps, as real mpv shows them
(``tests/data/mpv-*.log``):

- with ``keep-open=yes`` reaching the end sets ``eof-reached`` and then flips ``pause`` to
  true: the end, not a user pause;
- with ``keep-open=no`` ``eof-reached`` never becomes true: ``end-file`` with reason ``eof``
  is the end;
- ``paused-for-cache`` is buffering, distinct from a user pause;
- a seek is ``seek``, the target as ``time-pos``, ``seeking`` true, ``playback-restart``,
  ``seeking`` false; the ``seeking`` and ``playback-restart`` of loading a file are not a seek;
- a seek to where the player is brings no ``time-pos`` (the property did not change): when
  the record after ``seek`` is not one (nor another ``seek``), the seek started at the first
  ``seek``, to where it was;
- mpv merges property changes, so a file's first ``time-pos`` may come after its
  ``playback-restart``: the position of the file before is forgotten at ``start-file``;
- a file loaded paused renders its first frame before anyone presses play: Video Content
  Started waits for the unpause.

After the end the session is complete. Playing on (keep-open: unpausing after a seek back) or
the next file of a playlist ends it and starts the next session (same id and viewer, new
messageIds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from vtrack.players.base import Emitted, UnreadableEvent, flag, number, text

PROPERTIES: Final = (
    "pause",
    "time-pos",
    "duration",
    "seeking",
    "paused-for-cache",
    "eof-reached",
    "speed",
)
EVENTS: Final = ("start-file", "file-loaded", "playback-restart", "seek", "end-file", "shutdown")


class MpvTranslator:
    """One mpv player's observations, in order, as core callbacks."""

    def __init__(self) -> None:
        self.loaded = False
        self.started = False  # frames rendered since the file loaded
        self.paused = False
        self.position: float | None = None
        self.duration: float | None = None
        self.seeking = False  # a user seek under way (from `seek` to `playback-restart`)
        #: When the seek under way was asked, while its target (a `time-pos`) may still come.
        self.seek_at: float | None = None
        self.caching = False
        self.ended = False
        self.speed = 1.0
        #: When the file loaded, while its duration is still to come.
        self.loaded_at: float | None = None
        self.playing_told = False  # `playing` sent for the file
        self.session_open = False  # callbacks sent since the last exit
        self.finished = False

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks of one property change or mpv event (see the module's docstring)."""
        if "property" in event:
            name = text(event, "property")
            handler = _PROPERTIES.get(name)
            if handler is None:
                raise UnreadableEvent(
                    f"unknown mpv property {name!r} (known: {', '.join(PROPERTIES)})"
                )
        else:
            name = text(event, "event")
            handler = _EVENTS.get(name)
            if handler is None:
                raise UnreadableEvent(f"unknown mpv event {name!r} (known: {', '.join(EVENTS)})")
        seek_at = self.seek_at
        if seek_at is None or handler in (MpvTranslator._time_pos, MpvTranslator._seek):
            return handler(self, at, event)  # the target, or the seek asked again
        # No `time-pos` came after `seek`: the position did not change, the seek was to there.
        target, self.seek_at = self.position or 0.0, None
        try:
            out = handler(self, at, event)
        except UnreadableEvent:
            self.seek_at = seek_at  # nothing changes
            raise
        return [(seek_at, "seeking", {"position": target}), *out]

    # ------------------------------------------------------------------ properties
    def _pause(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        paused = flag(event, "value")
        if paused is None or paused == self.paused:
            return []
        self.paused = paused
        if not self.loaded or self.loaded_at is not None:
            return []  # before the file plays: the load will say
        if self.ended:
            # keep-open: the pause at the end is not the viewer's; playing on is a new session
            return [] if paused else self._play_again(at)
        if paused:
            return [(at, "pause", {})]
        out: list[Emitted] = [(at, "play", {})]
        if self.started and not self.playing_told:  # it was loaded paused
            self.playing_told = True
            out.append((at, "playing", {"position": self.position or 0.0}))
        return out

    def _play_again(self, at: float) -> list[Emitted]:
        """Played on after the end: that session is complete, the next one starts."""
        self.ended = self.seeking = False
        self.playing_told = True
        load = {} if self.duration is None else {"duration": self.duration}
        return [
            (at, "exit", {}),
            (at, "load", load),
            (at, "play", {}),
            (at, "playing", {"position": self.position or 0.0}),
        ]

    def _time_pos(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        position = number(event, "value", optional=True)
        if position is None:
            return []  # no file (unloading)
        self.position = position
        if self.seek_at is not None:  # the target of the seek just asked
            self.seek_at = None
            return [(at, "seeking", {"position": position})]
        if not self.started or self.seeking or self.ended:
            return []
        return [(at, "timeupdate", {"position": position})]

    def _duration(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        duration = number(event, "value", optional=True)
        if duration is None or duration == self.duration:
            return []
        self.duration = duration
        if self.loaded_at is not None:
            return self._load()
        return [(at, "durationchange", {"duration": duration})] if self.loaded else []

    def _seeking(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        flag(event, "value")
        return []  # `seek` and `playback-restart` say more, and say it in order

    def _paused_for_cache(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        caching = bool(flag(event, "value"))
        if caching == self.caching:
            return []
        self.caching = caching
        if not self.started or self.ended:
            return []
        if caching:
            return [(at, "waiting", {})]
        return [(at, "playing", {"position": self.position or 0.0})]

    def _eof_reached(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        if flag(event, "value") and self.started and not self.ended:
            self.ended = True
            return [(at, "ended", {})]
        return []

    def _speed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        speed = number(event, "value")
        assert speed is not None
        if speed == self.speed or speed <= 0:
            return []
        self.speed = speed
        return [(at, "ratechange", {"rate": speed})]

    # ------------------------------------------------------------------ events
    def _start_file(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        # Another file (the next of a playlist): the session of the one before is over.
        out = self._exit(at)
        self.loaded = self.started = self.ended = self.seeking = self.playing_told = False
        # Its `time-pos` may come after its first frame (mpv merges property changes): the
        # position of the file before is no longer.
        self.seek_at = self.loaded_at = self.duration = self.position = None
        return out

    def _exit(self, at: float) -> list[Emitted]:
        if not self.session_open:
            return []
        self.session_open = False
        return [(at, "exit", {})]

    def _file_loaded(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        # mpv reports the duration just after `file-loaded`: Video Playback Started should
        # carry it, so the load waits for it (or for the first frame, whichever comes first).
        self.loaded, self.loaded_at = True, at
        return []

    def _load(self) -> list[Emitted]:
        at, self.loaded_at = self.loaded_at, None
        assert at is not None
        self.session_open = True
        out: list[Emitted] = [
            (at, "load", {} if self.duration is None else {"duration": self.duration})
        ]
        if self.speed != 1.0:
            out.append((at, "ratechange", {"rate": self.speed}))
        if not self.paused:
            out.append((at, "play", {}))
        return out

    def _seek(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        if not self.started or self.ended:
            return []  # after the end, only playing on counts (a new session)
        self.seeking = True
        if self.seek_at is None:  # asked again before its target came: it started then
            self.seek_at = at
        return []

    def _playback_restart(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        position = self.position or 0.0
        if not self.started:
            self.started = True
            loading = self._load() if self.loaded_at is not None else []
            if self.paused:
                return loading
            self.playing_told = True
            return [*loading, (at, "playing", {"position": position})]
        if not self.seeking:
            return []
        self.seeking = False
        return [(at, "seeked", {"position": position})]

    def _end_file(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        reason = event.get("reason")
        out: list[Emitted] = []
        if reason == "eof":
            if self.started and not self.ended:
                self.ended = True
                out.append((at, "ended", {}))
        elif reason == "error":
            message = event.get("message")
            out.append(
                (
                    at,
                    "error",
                    {"message": message if isinstance(message, str) else "", "fatal": True},
                )
            )
        self.loaded = self.started = False
        return out

    def _shutdown(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.finished = True
        return self._exit(at)


_PROPERTIES: Final = {
    "pause": MpvTranslator._pause,
    "time-pos": MpvTranslator._time_pos,
    "duration": MpvTranslator._duration,
    "seeking": MpvTranslator._seeking,
    "paused-for-cache": MpvTranslator._paused_for_cache,
    "eof-reached": MpvTranslator._eof_reached,
    "speed": MpvTranslator._speed,
}
_EVENTS: Final = {
    "start-file": MpvTranslator._start_file,
    "file-loaded": MpvTranslator._file_loaded,
    "playback-restart": MpvTranslator._playback_restart,
    "seek": MpvTranslator._seek,
    "end-file": MpvTranslator._end_file,
    "shutdown": MpvTranslator._shutdown,
}
