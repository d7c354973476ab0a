"""libVLC media player events (as python-vlc delivers them) as core callbacks.

An event is ``{"event": name}`` with its payload: ``MediaPlayerTimeChanged`` (``time``, ms),
``MediaPlayerLengthChanged`` (``length``, ms), ``MediaPlayerBuffering`` (``cache``, percent),
``MediaPlayerOpening``, ``Playing``, ``Paused``, ``Stopped``, ``EndReached``,
``EncounteredError``, ``SeekableChanged``; libVLC has no event for a rate change, so an
integration that sets one records ``{"event": "RateChanged", "rate": r}``. Traps, as real
libVLC shows them (``tests/data/vlc-*.log``):

- a seek is a jump of ``time`` with no seek event, followed by a burst of ``Buffering`` from 0
  to 100 % within milliseconds: a seek, not a stall. Start-up brings the same burst;
- a stall is buffering that lasts: a burst shorter than :data:`STALL_MIN` is the demuxer
  refilling its cache, invisible to the viewer. A lasting one is reported when it ends, as a
  stall from its first ``Buffering`` event to the one at 100 %;
- a seek is only a jump of ``time`` (reported every 250 ms or so): a report more than
  :data:`JUMP` from the playback clock. The clock goes on from each report at the rate (brought
  up to date when it changes), stops where playback got to at a pause, and stands still
  through a lasting burst (a stall, a slow seek's buffering) but not through a refill; during
  a burst, a report anywhere between the two is playing on;
- ``Stopped`` comes after ``EndReached`` (and sometimes twice): once the end is reached, a
  stop only closes the session. Playing again after a stop starts the next session (same id
  and viewer, new messageIds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from vtrack.players.base import Emitted, UnreadableEvent, number, text

#: Shorter buffering bursts are not stalls (s).
STALL_MIN: Final = 0.25
#: How far ``time`` may stray from the playback clock before it is a seek (s).
JUMP: Final = 1.5

EVENTS: Final = (
    "MediaPlayerOpening",
    "MediaPlayerBuffering",
    "MediaPlayerPlaying",
    "MediaPlayerPaused",
    "MediaPlayerStopped",
    "MediaPlayerEndReached",
    "MediaPlayerEncounteredError",
    "MediaPlayerTimeChanged",
    "MediaPlayerLengthChanged",
    "MediaPlayerSeekableChanged",
    "MediaPlayerPositionChanged",
    "RateChanged",
)


class VlcTranslator:
    """One libVLC media player's events, in order, as core callbacks."""

    def __init__(self) -> None:
        self.loaded = False
        self.started = False
        self.paused = False
        self.ended = False
        self.duration: float | None = None
        self.rate = 1.0
        self.position = 0.0  # the last time libVLC reported
        #: The playback clock: the playhead was at `clock` at `clock_at` (None: not yet known),
        #: and moves on from there at `rate` while `clock_runs`.
        self.clock = 0.0
        self.clock_at: float | None = None
        self.clock_runs = False
        self.burst_since: float | None = None  # a buffering burst under way since then
        self.burst_is_seek = False
        self.finished = False

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks of one media player event (see the module's docstring)."""
        name = text(event, "event")
        handler = _HANDLERS.get(name.removeprefix("MediaPlayer"))
        if handler is None:
            raise UnreadableEvent(f"unknown libVLC event {name!r} (known: {', '.join(EVENTS)})")
        return handler(self, at, event)

    # ------------------------------------------------------------------ the clock
    def _expected(self, at: float) -> float:
        """Where the playhead is at ``at`` by the clock."""
        if self.clock_runs and self.clock_at is not None:
            return self.clock + (at - self.clock_at) * self.rate
        return self.clock

    def _set_clock(self, at: float, *, runs: bool) -> None:
        """Bring the clock up to ``at`` (at the rate so far), then let it run or stop it."""
        self.clock, self.clock_at, self.clock_runs = self._expected(at), at, runs

    # ------------------------------------------------------------------ events
    def _opening(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self.loaded = self.started = self.ended = self.paused = self.finished = False
        self.clock_runs = False
        return []

    def _length(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        length = number(event, "length")
        assert length is not None
        duration = length / 1000.0 if length > 0 else None
        if duration == self.duration:
            return []
        self.duration = duration
        if not self.loaded:
            return []
        return [(at, "durationchange", {"duration": duration})]

    def _playing(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        out: list[Emitted] = []
        if not self.loaded:
            self.loaded = True
            out.append((at, "load", {} if self.duration is None else {"duration": self.duration}))
            if self.rate != 1.0:
                out.append((at, "ratechange", {"rate": self.rate}))
        if not self.started:
            self.started = True
            self.burst_is_seek = True  # the start-up burst follows
            out += [(at, "play", {}), (at, "playing", {"position": self.position})]
            self.clock, self.clock_at = self.position, at  # it starts where libVLC said
        elif self.paused:
            out.append((at, "play", {}))
        self.paused = False
        self._set_clock(at, runs=True)
        return out

    def _paused(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._set_clock(at, runs=False)  # where playback got to, not the last report
        if self.paused or not self.started or self.ended:
            return []
        self.paused = True
        return [(at, "pause", {})]

    def _buffering(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        cache = number(event, "cache")
        assert cache is not None
        if not self.started or self.paused or self.ended:
            return []
        if cache < 100.0:
            if self.burst_since is None:
                self.burst_since = at
                # Whether the playhead stands still meanwhile is known when the burst ends.
                self._set_clock(at, runs=self.clock_runs)
            return []
        since, self.burst_since = self.burst_since, None
        was_seek, self.burst_is_seek = self.burst_is_seek, False
        if since is None or at - since < STALL_MIN:
            return []  # a refill: playback went on through it
        # It lasted: time stood still (a stall, a slow seek's or start-up's buffering), so the
        # clock goes on from where it stopped, as of now.
        self.clock_at = at
        if was_seek:
            return []
        return [(since, "waiting", {}), (at, "playing", {"position": self.position})]

    def _time(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        time_ms = number(event, "time")
        assert time_ms is not None
        position = time_ms / 1000.0
        # During a burst the playhead may have stood still since it began (the clock was
        # brought up to then) or gone on: either is playing on.
        highest = self._expected(at)
        lowest = self.clock if self.burst_since is not None else highest
        self.position, self.clock, self.clock_at = position, position, at
        if not self.started or self.ended:
            return []
        jump = not lowest - JUMP <= position <= highest + JUMP
        if self.burst_since is not None and not jump:
            # Time moves on during the burst: playback never stopped, so it is no stall.
            self.burst_since = None
        if jump:
            self.burst_is_seek = True  # the burst that comes with it is the seek's
            return [
                (at, "seeking", {"position": position}),
                (at, "seeked", {"position": position}),
            ]
        return [(at, "timeupdate", {"position": position})]

    def _end(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._set_clock(at, runs=False)
        if not self.started or self.ended:
            return []
        self.ended = True
        return [(at, "ended", {})]

    def _stopped(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._set_clock(at, runs=False)
        self.finished = True
        if not self.loaded:
            return []
        self.loaded = False
        return [(at, "exit", {})]

    def _error(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        return [(at, "error", {"message": "libVLC reported an error", "fatal": True})]

    def _rate(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        rate = number(event, "rate")
        assert rate is not None
        if rate <= 0 or rate == self.rate:
            return []
        self._set_clock(at, runs=self.clock_runs)  # up to now at the old rate
        self.rate = rate
        return [(at, "ratechange", {"rate": rate})] if self.loaded else []

    def _nothing(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        return []


_HANDLERS: Final = {
    "Opening": VlcTranslator._opening,
    "Buffering": VlcTranslator._buffering,
    "Playing": VlcTranslator._playing,
    "Paused": VlcTranslator._paused,
    "Stopped": VlcTranslator._stopped,
    "EndReached": VlcTranslator._end,
    "EncounteredError": VlcTranslator._error,
    "TimeChanged": VlcTranslator._time,
    "LengthChanged": VlcTranslator._length,
    "SeekableChanged": VlcTranslator._nothing,
    "PositionChanged": VlcTranslator._nothing,
    "RateChanged": VlcTranslator._rate,
}
