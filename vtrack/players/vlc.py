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
  stall from its first ``Buffering`` event to the one at 100 %, or when something else is to
  be said first (a rate change, a pause, a seek, the end, a stop), so that nothing is dated
  before it. Buffering is not followed while paused: a pause ends a burst;
- a seek is only a jump of ``time`` (reported every 250 ms or so): a report more than
  :data:`JUMP` from the playback clock. The clock goes on from each report at the rate (brought
  up to date when it changes), stops where playback got to at a pause, and stands still
  through a lasting burst (a stall, a slow seek's buffering) but not through a refill; during
  a burst, a report between where it began and where playback could have got to by
  :data:`STALL_MIN` into it is playing on. The seek's burst is over once ``time`` moves on
  from its target (or its end came while paused): a later one may be a stall;
- ``Stopped`` comes after ``EndReached`` (and sometimes twice): once the end is reached, a
  stop only closes the session;
- media libVLC cannot play (100 bytes of garbage) still brings ``Playing``, then
  ``EndReached`` at once, with no length and no ``TimeChanged``: a start failure, not a
  completed view. Until a frame shows that it plays (a ``TimeChanged``, a known length, the
  viewer acting), media of unknown length holds its first frame (Content Started); an
  ``EndReached`` then is an error (Video Playback Interrupted), a ``Stopped`` the viewer
  leaving before it started. Playing again after a stop starts the next session (same id
  and viewer, new messageIds); so does another media (``Opening``), from its own start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from vtrack.players.base import MIN_STALL, Emitted, UnreadableEvent, check_min_stall, number, text

#: Shorter buffering bursts are not stalls (s): the minimum stall duration of every player.
STALL_MIN: Final = MIN_STALL
#: How far ``time`` may stray from the playback clock before it is a seek (s).
JUMP: Final = 1.5

#: The payload field of the events that carry one, as a number: ``time`` and ``length`` in
#: milliseconds, ``cache`` in percent, ``rate`` (the integration's ``RateChanged``).
PAYLOAD: Final = {
    "MediaPlayerTimeChanged": "time",
    "MediaPlayerLengthChanged": "length",
    "MediaPlayerBuffering": "cache",
    "RateChanged": "rate",
}

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


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


class VlcTranslator:
    """One libVLC media player's events, in order, as core callbacks."""

    def __init__(self, *, min_stall: float = MIN_STALL) -> None:
        self.min_stall = check_min_stall(min_stall)
        self.rate = 1.0  # the player's: it stays from one media to the next
        self.last_at: float | None = None  # when the last callback was dated
        self._reset()

    def _reset(self) -> None:
        """Forget the media so far: another one (or the same again) opens."""
        self.loaded = False
        self.started = False
        self.paused = False
        self.ended = False
        self.duration: float | None = None
        self.position = 0.0  # the last time libVLC reported
        #: The playback clock: the playhead was at `clock` at `clock_at` (None: not yet known),
        #: and moves on from there at `rate` while `clock_runs`.
        self.clock = 0.0
        self.clock_at: float | None = None
        self.clock_runs = False
        #: A buffering burst under way since then, and where the playhead was when it began.
        self.burst_since: float | None = None
        self.burst_from = 0.0
        #: The burst to come (or under way) is a seek's or start-up's: no stall.
        self.burst_is_seek = False
        self.stall_told = False  # the burst under way was told as a stall (`waiting`)
        #: The media started then, of unknown length: its first frame waits for a sign that
        #: it plays (see :meth:`_settle_first_frame`).
        self.first_frame_at: float | None = None
        self.buffering = False  # libVLC's last `Buffering` was under 100 % (paused or not)
        self.finished = False

    def feed(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        """The callbacks of one media player event (see the module's docstring)."""
        name = text(event, "event")
        handler = _HANDLERS.get(name.removeprefix("MediaPlayer"))
        if handler is None:
            raise UnreadableEvent(f"unknown libVLC event {name!r} (known: {', '.join(EVENTS)})")
        first_frame_at = self.first_frame_at
        out = [] if first_frame_at is None else self._settle_first_frame(at, handler, event)
        holding = self.first_frame_at is not None
        try:
            told = handler(self, at, event)
        except UnreadableEvent:
            self.first_frame_at = first_frame_at  # nothing changes: it still waits for a frame
            raise
        if told and holding and self.first_frame_at is not None:
            out += self._settle_first_frame(at, None, event)  # a stall told: it played
        out += told
        if out:
            last = max(emitted_at for emitted_at, _, _ in out)
            self.last_at = last if self.last_at is None else max(self.last_at, last)
        return out

    def _settle_first_frame(
        self, at: float, handler: Any, event: Mapping[str, Any]
    ) -> list[Emitted]:
        """What the event says of media that started with no length and no frame seen yet.

        Buffering, a length of 0 and libVLC's other notices say nothing (unless they tell a
        stall: ``handler`` None); the end means the media could not be played (an error,
        never a completed view); a stop or an error is told as such, with no first frame;
        anything else shows it plays: its first frame.
        """
        if handler in (VlcTranslator._buffering, VlcTranslator._nothing) or (
            handler is VlcTranslator._length and not _positive(event.get("length"))
        ):
            return []
        first, self.first_frame_at = self.first_frame_at, None
        assert first is not None
        if handler is VlcTranslator._end:
            self.ended, self.loaded = True, False  # over: a stop after it says nothing more
            message = "libVLC could not play the media: it ended before its first frame"
            return [(at, "error", {"message": message, "fatal": True})]
        if handler in (VlcTranslator._stopped, VlcTranslator._error, VlcTranslator._opening):
            return []
        return [(first, "playing", {"position": self.position})]

    @property
    def due_at(self) -> float | None:
        """Nothing falls due with no event: a stall is told when its buffering ends, and the
        first frame of media of unknown length waits for a sign that it plays."""
        return None

    def expire(self, now: float) -> list[Emitted]:
        """Nothing (see :attr:`due_at`)."""
        return []

    def release(self, at: float) -> list[Emitted]:
        """The input ends: a lasting burst under way is a stall the viewer left in.

        Media of unknown length that showed no frame stays unstarted: nothing says it played.
        """
        out = self._tell_stall(at)
        self._drop_burst()
        return out

    # ------------------------------------------------------------------ the clock
    def _running(self, at: float) -> float:
        """Where the clock, running from where it was last set, says the playhead is."""
        if self.clock_runs and self.clock_at is not None:
            return self.clock + (at - self.clock_at) * self.rate
        return self.clock

    def _expected(self, at: float) -> float:
        """Where the playhead is at ``at`` by the clock."""
        if self.burst_since is not None and at - self.burst_since >= self.min_stall:
            return self.burst_from  # a lasting burst: it has stood still since it began
        return self._running(at)

    def _set_clock(self, at: float, *, runs: bool) -> None:
        """Bring the clock up to ``at`` (at the rate so far), then let it run or stop it."""
        self.clock, self.clock_at, self.clock_runs = self._expected(at), at, runs

    # ------------------------------------------------------------------ stalls
    def _waiting(self, since: float) -> Emitted:
        """The start of a stall: from ``since``, or the last callback if that came later."""
        return (since if self.last_at is None else max(since, self.last_at), "waiting", {})

    def _tell_stall(self, at: float) -> list[Emitted]:
        """``waiting``, if the burst under way is a stall by ``at`` not told yet.

        Said before any other callback in a lasting burst, so that none comes before it.
        """
        since = self.burst_since
        if since is None or at - since < self.min_stall or self.burst_is_seek or self.stall_told:
            return []
        self.stall_told = True
        return [self._waiting(since)]

    def _drop_burst(self) -> None:
        self.burst_since, self.stall_told = None, False

    # ------------------------------------------------------------------ events
    def _opening(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._reset()
        return []

    def _length(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        length = number(event, PAYLOAD["MediaPlayerLengthChanged"])
        assert length is not None
        duration = length / 1000.0 if length > 0 else None
        if duration == self.duration:
            return []
        self.duration = duration
        if not self.loaded:
            return []
        return [*self._tell_stall(at), (at, "durationchange", {"duration": duration})]

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
            out.append((at, "play", {}))
            if self.duration is None:
                self.first_frame_at = at  # no length: it may not play at all (see the docs)
            else:
                out.append((at, "playing", {"position": self.position}))
            self.clock, self.clock_at = self.position, at  # it starts where libVLC said
        elif self.paused:
            out.append((at, "play", {}))
            if self.buffering and self.burst_since is None:
                # Still buffering: a burst from now (the one before ended at the pause).
                self.burst_since, self.burst_from = at, self._expected(at)
        self.paused = False
        self._set_clock(at, runs=True)
        return out

    def _paused(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._set_clock(at, runs=False)  # where playback got to, not the last report
        if self.paused or not self.started or self.ended:
            return []
        self.paused = True
        # Buffering is not followed while paused: a burst under way ends here.
        out = self._tell_stall(at)
        self._drop_burst()
        return [*out, (at, "pause", {})]

    def _buffering(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        cache = number(event, PAYLOAD["MediaPlayerBuffering"])
        assert cache is not None
        if not self.started or self.ended:
            return []
        self.buffering = cache < 100.0
        if self.paused:
            if cache >= 100.0:
                self.burst_is_seek = False  # a seek's buffering is over, while paused
            return []
        if cache < 100.0:
            if self.burst_since is None:
                self.burst_since, self.burst_from = at, self._running(at)
            return []
        since, told = self.burst_since, self.stall_told
        self._drop_burst()
        was_seek, self.burst_is_seek = self.burst_is_seek, False
        if since is None or at - since < self.min_stall:
            return []  # a refill: playback went on through it
        # It lasted: time stood still (a stall, a slow seek's or start-up's buffering), so the
        # clock goes on from where it stopped, as of now.
        self.clock, self.clock_at = self.burst_from, at
        if was_seek:
            return []
        playing: Emitted = (at, "playing", {"position": self.position})
        return [playing] if told else [self._waiting(since), playing]

    def _time(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        time_ms = number(event, PAYLOAD["MediaPlayerTimeChanged"])
        assert time_ms is not None
        position = time_ms / 1000.0
        since = self.burst_since
        if since is None:
            lowest = highest = self._running(at)
        else:
            # During a burst the playhead may have stood still since it began, or gone on;
            # not for long without a report though: by min_stall it is a stall.
            lowest = self.burst_from
            clock_at = at if self.clock_at is None else self.clock_at
            highest = self._running(min(at, max(since + self.min_stall, clock_at)))
        moved = position != self.position
        self.position, self.clock, self.clock_at = position, position, at
        if not self.started or self.ended:
            return []
        if lowest - JUMP <= position <= highest + JUMP:
            if moved:  # playing on: not buffering, and a seek's buffering is over
                self.buffering = self.burst_is_seek = False
            if since is None:
                return [(at, "timeupdate", {"position": position})]
            # Time moves on during the burst: playback never stopped (or no longer stops).
            told = self.stall_told
            self._drop_burst()
            return [(at, "playing" if told else "timeupdate", {"position": position})]
        # A seek. A stall under way ends with it; the buffering that goes on is the seek's.
        out = self._tell_stall(at)
        self._drop_burst()
        if since is not None:
            self.burst_since, self.burst_from = at, position
        self.burst_is_seek = True  # the burst that comes with it is the seek's
        return [
            *out,
            (at, "seeking", {"position": position}),
            (at, "seeked", {"position": position}),
        ]

    def _end(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._set_clock(at, runs=False)
        if not self.started or self.ended:
            return []
        self.ended = True
        out = self._tell_stall(at)
        self._drop_burst()
        return [*out, (at, "ended", {})]

    def _stopped(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        self._set_clock(at, runs=False)
        self.finished = True
        out = self._tell_stall(at) if self.loaded else []
        self._drop_burst()
        if not self.loaded:
            return []
        self.loaded = False
        return [*out, (at, "exit", {})]

    def _error(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        message = {"message": "libVLC reported an error", "fatal": True}
        return [*self._tell_stall(at), (at, "error", message)]

    def _rate(self, at: float, event: Mapping[str, Any]) -> list[Emitted]:
        rate = number(event, PAYLOAD["RateChanged"])
        assert rate is not None
        if rate <= 0 or rate == self.rate:
            return []
        self._set_clock(at, runs=self.clock_runs)  # up to now at the old rate
        self.rate = rate
        if not self.loaded:
            return []
        return [*self._tell_stall(at), (at, "ratechange", {"rate": rate})]

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
