"""mpv's property changes and events (as python-mpv observes them) as core callbacks.

An event is either a property change, ``{"property": name, "value": value}``, for ``pause``,
``time-pos``, ``duration``, ``seeking``, ``paused-for-cache``, ``eof-reached`` and ``speed``,
or an mpv event, ``{"event": name}`` (``start-file``, ``file-loaded``, ``playback-restart``,
``seek``, ``end-file`` with its ``reason``, ``shutdown``). Traps, as real mpv shows them
(``tests/data/mpv-*.log``):

- with ``keep-open=yes`` reaching the end sets ``eof-reached`` and then flips ``pause`` to
  true: the end, not a user pause. On a video without an audio track the order is the
  reverse (``pause`` about 70 us before ``eof-reached``): a pause within :data:`END_WINDOW` of
  the end is held until the next record says whether it was the end;
- with ``keep-open=no`` ``eof-reached`` never becomes true: ``end-file`` with reason ``eof``
  is the end;
- ``paused-for-cache`` is buffering, distinct from a user pause; it is a stall once it lasts
  :data:`~vtrack.players.base.MIN_STALL` (``min_stall``), told dated when it began;
- the duration may come a millisecond after the first frame: the load waits for it (Video
  Playback Started carries ``total_length``) up to :data:`DURATION_WAIT` past the first frame,
  holding what the first frame means until then;
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

from vtrack.players.base import MIN_STALL, Emitted, StallGate, UnreadableEvent, flag, number, text

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
#: How long past the first frame the load waits for the duration (s).
DURATION_WAIT: Final = 0.25
#: How close to the end (s of media at 1x; scaled by the speed) a pause may be the end
#: itself, told just before ``eof-reached``.
END_WINDOW: Final = 0.5
#: How long a pause near the end waits for ``eof-reached`` with no other event (s).
PAUSE_WAIT: Final = 0.1


class MpvTranslator:
    """One mpv player's observations, in order, as core callbacks."""

    def __init__(self, *, min_stall: float = MIN_STALL) -> None:
        self.stall = StallGate(min_stall)
        #: The first frame came then, with the duration still to come: the load waits.
        self.first_frame_at: float | None = None
        #: A pause came then, so near the end that it may be the end (keep-open, no audio).
        self.pause_at: float | None = None
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
        if not (self.holding or self.stall.active or self.seek_at is not None):
            # Nothing held: a handler that raises has changed nothing.
            return self.stall.saw(self._feed(at, handler, event))
        saved, stall = dict(self.__dict__), self.stall.saved()
        try:
            return self.stall.saw(self._feed(at, handler, event))
        except UnreadableEvent:
            self.__dict__.update(saved)  # nothing changes
            self.stall.restore(stall)
            raise

    @property
    def due_at(self) -> float | None:
        """When something held falls due with no further event (see ``Translator``)."""
        moments = [
            moment
            for moment in (
                self.stall.due_at,
                None if self.first_frame_at is None else self.first_frame_at + DURATION_WAIT,
                None if self.pause_at is None else self.pause_at + PAUSE_WAIT,
            )
            if moment is not None
        ]
        return min(moments, default=None)

    def expire(self, now: float) -> list[Emitted]:
        """What was held and is due by ``now``, told (a live integration's timer)."""
        out: list[Emitted] = []
        if self.first_frame_at is not None and now >= self.first_frame_at + DURATION_WAIT:
            out += self._first_frame()
        if self.pause_at is not None and now >= self.pause_at + PAUSE_WAIT:
            out.append((self.pause_at, "pause", {}))
            self.pause_at = None
        out += self.stall.due(now) if self.started and not self.ended else []
        return self.stall.saw(sorted(out, key=lambda emitted: emitted[0]))

    def release(self, at: float) -> list[Emitted]:
        """The input ends: the first frame, a pause near the end, a stall: all told."""
        out = self._first_frame() if self.first_frame_at is not None else []
        if self.pause_at is not None:
            out.append((self.pause_at, "pause", {}))
            self.pause_at = None
        out += self.stall.release() if self.started and not self.ended else []
        return self.stall.saw(sorted(out, key=lambda emitted: emitted[0]))

    def _feed(self, at: float, handler: Any, event: Mapping[str, Any]) -> list[Emitted]:
        out = self._held(at, handler, event)
        out += self.stall.due(at) if self.started and not self.ended else []
        seek_at = self.seek_at
        if seek_at is None or handler in (MpvTranslator._time_pos, MpvTranslator._seek):
            return [*out, *handler(self, at, event)]  # the target, or the seek asked again
        # No `time-pos` came after `seek`: the position did not change, the seek was to there.
        target, self.seek_at = self.position or 0.0, None
        return [*out, (seek_at, "seeking", {"position": target}), *handler(self, at, event)]

    @property
    def holding(self) -> bool:
        """Whether callbacks are held, waiting for what the next records say."""
        return self.first_frame_at is not None or self.pause_at is not None

    def _held(self, at: float, handler: Any, event: Mapping[str, Any]) -> list[Emitted]:
        """What was held and this record settles: told now, before the record's own."""
        out: list[Emitted] = []
        if self.first_frame_at is not None and not (
            at < self.first_frame_at + DURATION_WAIT
            and handler in (MpvTranslator._duration, MpvTranslator._time_pos)
        ):
            out = self._first_frame()  # the duration did not come in time (or it just did)
        if self.pause_at is not None:
            ends = (handler is MpvTranslator._eof_reached and event.get("value") is True) or (
                handler is MpvTranslator._end_file and event.get("reason") == "eof"
            )
            if not ends:
                out.append((self.pause_at, "pause", {}))
            self.pause_at = None
        return out

    def _first_frame(self) -> list[Emitted]:
        """The load (with the duration if it came), and the first frame, held until now."""
        at, self.first_frame_at = self.first_frame_at, None
        assert at is not None
        loading = self._load() if self.loaded_at is not None else []
        if self.paused:
            return loading
        self.playing_told = True
        return [*loading, (at, "playing", {"position": self.position or 0.0})]

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
            self.stall.drop()
            if self._near_the_end():
                self.pause_at = at  # the end, if `eof-reached` follows: the next record says
                return []
            return [(at, "pause", {})]
        out: list[Emitted] = [(at, "play", {})]
        if self.started and not self.playing_told:  # it was loaded paused
            self.playing_told = True
            out.append((at, "playing", {"position": self.position or 0.0}))
        return out

    def _near_the_end(self) -> bool:
        position, duration = self.position, self.duration
        # Reports come a frame or a throttle apart: the window grows with the speed.
        window = END_WINDOW * max(1.0, self.speed)
        return position is not None and duration is not None and position >= duration - window

    def _play_again(self, at: float) -> list[Emitted]:
        """Played on after the end: that session is complete, the next one starts."""
        self.ended = self.seeking = False
        self.playing_told = True
        load = {} if self.duration is None else {"duration": self.duration}
        out: list[Emitted] = [(at, "exit", {}), (at, "load", load)]
        if self.speed != 1.0:
            out.append((at, "ratechange", {"rate": self.speed}))
        return [*out, (at, "play", {}), (at, "playing", {"position": self.position or 0.0})]

    def _time_pos(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        position = number(event, "value", optional=True)
        if position is None:
            return []  # no file (unloading)
        self.position = position
        if self.seek_at is not None:  # the target of the seek just asked
            self.seek_at = None
            return [(at, "seeking", {"position": position})]
        if not self.started or self.seeking or self.ended or self.first_frame_at is not None:
            return []
        return [(at, "timeupdate", {"position": position})]

    def _duration(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        duration = number(event, "value", optional=True)
        if duration is None or duration == self.duration:
            return []
        self.duration = duration
        if self.first_frame_at is not None:
            return self._first_frame()  # just after the first frame: the load carries it
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
            self.stall.begin(at)  # a stall once it lasts
            return self.stall.due(at)  # at once when every stall counts (min_stall 0)
        return self.stall.end((at, "playing", {"position": self.position or 0.0}))

    def _eof_reached(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        if flag(event, "value") and self.started and not self.ended:
            self.ended = True
            self.stall.drop()
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
        self.stall.drop()
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
        self.stall.drop()
        if self.seek_at is None:  # asked again before its target came: it started then
            self.seek_at = at
        return []

    def _playback_restart(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        position = self.position or 0.0
        if not self.started:
            self.started = True
            self.first_frame_at = at
            if self.loaded_at is not None and self.duration is None:
                return []  # the duration may be a millisecond away: held until it comes
            return self._first_frame()
        if not self.seeking:
            return []
        self.seeking = False
        return [(at, "seeked", {"position": position})]

    def _end_file(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        reason = event.get("reason")
        out: list[Emitted] = []
        self.stall.drop()
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
