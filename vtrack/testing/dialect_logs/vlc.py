"""A libVLC integration's log for a viewing, as real libVLC writes it.

Records are ``{"t", "session", "event"}`` (of :data:`vtrack.players.vlc.EVENTS`) with the
event's payload (:data:`vtrack.players.vlc.PAYLOAD`). The traps are those
:mod:`vtrack.players.vlc` reads: times and lengths in milliseconds; a seek is a jump of
``time`` then a burst of ``Buffering`` 0 to 100 %; start-up brings the same burst; a stall is
``Buffering`` while ``time`` stands still; rate changes are the integration's ``RateChanged``;
the end is ``EndReached`` then ``Stopped`` (sometimes twice); the viewer leaving is
``Stopped``.
"""

from __future__ import annotations

from typing import Any

from vtrack.players.vlc import EVENTS, PAYLOAD
from vtrack.testing.dialect_logs.timeline import Moment, Record, RecordLog, milliseconds, moments
from vtrack.testing.viewing import Viewing


class _Integration:
    """libVLC's event manager, as an integration's callbacks write it down."""

    def __init__(self, viewing: Viewing, stops: int) -> None:
        self.viewing = viewing
        self.stops = stops
        self.log = RecordLog(viewing, 6)
        self.closed = False

    def event(self, t: float, name: str, payload: float | None = None, **extra: Any) -> None:
        assert name in EVENTS, name
        fields: dict[str, Any] = {"session": self.viewing.session_id, "event": name, **extra}
        if name in PAYLOAD:
            fields[PAYLOAD[name]] = payload
        self.log.add(t, fields)

    def burst(self, start: float, end: float) -> None:
        """``Buffering`` from 0 to 100 % from ``start`` to ``end`` (a few ms at least)."""
        start = min(start, end - 0.0005)  # never later than `end`: the next action's time
        for step, cache in enumerate((0.0, 25.0, 50.0, 75.0)):
            self.event(start + (end - start) * step / 4, "MediaPlayerBuffering", cache)
        self.event(end, "MediaPlayerBuffering", 100.0)

    def start(self, moment: Moment) -> None:
        t0, t, duration = self.viewing.start_at, moment.t, self.viewing.duration
        self.event(t0 + 0.02, "MediaPlayerOpening")
        self.event(t0 + 0.02, "MediaPlayerBuffering", 0.0)
        self.event(t0 + 0.04, "MediaPlayerSeekableChanged", seekable=1)
        if duration is not None:
            self.event(t0 + 0.04, "MediaPlayerLengthChanged", milliseconds(duration))
        if moment.position > 0:  # :start-time: the time is set before playing starts
            self.event(t0 + 0.05, "MediaPlayerTimeChanged", milliseconds(moment.position))
        self.event(t - 0.0005, "MediaPlayerPlaying")
        self.burst(t - 0.0005, t)  # start-up's burst: not a stall

    def tick(self, moment: Moment) -> None:
        self.event(moment.t, "MediaPlayerTimeChanged", milliseconds(moment.position))

    def pause(self, moment: Moment) -> None:
        self.event(moment.t, "MediaPlayerPaused")
        self.event(moment.t + moment.seconds, "MediaPlayerPlaying")

    def seek(self, moment: Moment) -> None:
        assert moment.target is not None
        self.event(moment.t, "MediaPlayerTimeChanged", milliseconds(moment.target))  # no seek event
        self.burst(moment.t, moment.t + moment.seconds)

    def stall(self, moment: Moment) -> None:
        self.burst(moment.t, moment.t + moment.seconds)  # time stands still meanwhile

    def rate(self, moment: Moment) -> None:
        self.event(moment.t, "RateChanged", float(moment.rate))

    def end(self, moment: Moment) -> None:
        self.event(moment.t, "MediaPlayerEndReached")
        for index in range(self.stops):
            self.event(moment.t + (0.001 if index == 0 else 0.3 * index), "MediaPlayerStopped")
        self.closed = True

    def leave(self, moment: Moment) -> None:
        if not self.closed:
            self.event(moment.t, "MediaPlayerStopped")
            self.closed = True


def vlc_records(viewing: Viewing, *, stops: int = 2) -> list[Record]:
    """What a libVLC integration logs for ``viewing`` (real libVLC's shapes).

    Records are ``{"t", "session", "event"}`` with the event's payload: ``time`` and
    ``length`` in whole milliseconds, ``cache`` in percent, ``rate`` for ``RateChanged``.
    ``stops`` is how many ``MediaPlayerStopped`` follow ``MediaPlayerEndReached`` (real libVLC:
    one, sometimes two).
    """
    integration = _Integration(viewing, stops)
    integration.log.header()
    for moment in moments(viewing):
        getattr(integration, moment.kind)(moment)
    return integration.log.records
