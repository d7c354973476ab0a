"""A ``<video>`` element's log for a viewing, as real Chromium writes it.

Every media event is ``{"t", "type", "currentTime", "duration", "paused", "ended",
"playbackRate", "session"}``. The traps are those :mod:`vtrack.players.html5` reads: a pause is
a ``timeupdate`` with ``paused: true`` then ``pause``; a seek is ``seeking``, ``waiting`` (every
seek's: not a stall), (``timeupdate``,) ``seeked``, ``playing``; a stall is ``waiting`` then
``playing``; the end is ``pause`` with ``ended: true`` just before ``ended``; the viewer leaving
is ``pagehide``.
"""

from __future__ import annotations

from vtrack.testing.dialect_logs.timeline import (
    Moment,
    Record,
    RecordLog,
    js_number,
    moments,
    seek_ends,
)
from vtrack.testing.viewing import Viewing


class _Page:
    """The page's listeners: one record per media event, the element's state in each."""

    def __init__(self, viewing: Viewing) -> None:
        self.viewing = viewing
        self.log = RecordLog(viewing, 4)
        self.speed = 1.0  # the playbackRate
        self.known: float | None = None  # the duration the element knows

    def media(
        self, t: float, kind: str, position: float, *, paused: bool, ended: bool = False
    ) -> None:
        known = self.known
        self.log.add(
            t,
            {
                "type": kind,
                "currentTime": js_number(position),
                "duration": None if known is None else js_number(known),
                "paused": paused,
                "ended": ended,
                "playbackRate": js_number(self.speed),
                "session": self.viewing.session_id,
            },
        )

    def start(self, moment: Moment) -> None:
        t0, t, position = self.viewing.start_at, moment.t, moment.position
        self.media(t0, "loadstart", 0.0, paused=True)
        self.known = self.viewing.duration
        self.media(t0 + 0.04, "durationchange", 0.0, paused=True)
        self.media(t0 + 0.04, "loadedmetadata", 0.0, paused=True)
        for kind in ("loadeddata", "canplay", "canplaythrough"):
            self.media(t0 + 0.06, kind, 0.0, paused=True)
        if position > 0:  # currentTime set before play: a seek of the paused element
            self.media(t0 + 0.07, "seeking", position, paused=True)
            self.media(t0 + 0.08, "timeupdate", position, paused=True)
            self.media(t0 + 0.08, "seeked", position, paused=True)
        self.media(t, "play", position, paused=False)
        self.media(t, "playing", position, paused=False)

    def tick(self, moment: Moment) -> None:
        self.media(moment.t, "timeupdate", moment.position, paused=False)

    def pause(self, moment: Moment) -> None:
        t, position, back = moment.t, moment.position, moment.t + moment.seconds
        self.media(t, "timeupdate", position, paused=True)
        self.media(t, "pause", position, paused=True)
        self.media(back, "play", position, paused=False)
        self.media(back, "playing", position, paused=False)

    def seek(self, moment: Moment) -> None:
        assert moment.target is not None
        t, target, done = moment.t, moment.target, moment.t + moment.seconds
        self.media(t, "seeking", target, paused=False)
        self.media(t, "waiting", target, paused=False)  # every seek's: not a stall
        if seek_ends(self.viewing, moment):
            self.media(done, "seeked", target, paused=False)  # the end follows
            return
        for kind in ("timeupdate", "seeked", "canplay", "playing", "canplaythrough"):
            self.media(done, kind, target, paused=False)

    def stall(self, moment: Moment) -> None:
        self.media(moment.t, "waiting", moment.position, paused=False)
        self.media(moment.t + moment.seconds, "canplay", moment.position, paused=False)
        self.media(moment.t + moment.seconds, "playing", moment.position, paused=False)

    def rate(self, moment: Moment) -> None:
        self.speed = moment.rate
        self.media(moment.t, "ratechange", moment.position, paused=False)

    def end(self, moment: Moment) -> None:
        for kind in ("timeupdate", "pause", "ended"):  # Chromium's pause before ended
            self.media(moment.t, kind, moment.position, paused=True, ended=True)

    def leave(self, moment: Moment) -> None:
        self.log.add(moment.t, {"session": self.viewing.session_id, "type": "pagehide"})


def html5_records(viewing: Viewing) -> list[Record]:
    """What a page's listeners on a ``<video>`` log for ``viewing`` (real Chromium's shapes).

    Every media event is ``{"t", "type", "currentTime", "duration", "paused", "ended",
    "playbackRate", "session"}`` (``duration`` ``null`` until the metadata, and for a live or
    unknown length); ``t`` has 4 decimals, ``currentTime`` 6, as the recorder writes them.
    """
    page = _Page(viewing)
    page.log.header()
    for moment in moments(viewing):
        getattr(page, moment.kind)(moment)
    return page.log.records
