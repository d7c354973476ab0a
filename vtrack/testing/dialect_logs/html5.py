"""A ``<video>`` element's log for a viewing, as real Chromium writes it.

Every media event is ``{"t", "type", "currentTime", "duration", "paused", "ended",
"playbackRate", "session"}``. The traps are those :mod:`vtrack.players.html5` reads: a pause is
a ``timeupdate`` with ``paused: true`` then ``pause``; a seek is ``seeking``, ``waiting`` (every
seek's: not a stall), (``timeupdate``,) ``seeked``, ``playing``; a stall is ``waiting`` then
``playing``; the end is ``pause`` with ``ended: true`` just before ``ended``; the viewer leaving
is ``pagehide``. A rate the viewer picks at the very start is set by the page before anyone
listens: every record carries it and no ``ratechange`` says so. At 4x and faster a seek's
first ``playing`` is followed 20 ms later by a refill (``waiting``, ``playing`` 0.1 ms
apart), and at 8x and faster each position report by a ``waiting`` of 3 ms: no stalls.
"""

from __future__ import annotations

import math

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
        #: When the next moment begins (records of this one must come before it).
        self.next_t = math.inf

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
        t = moment.t
        self.media(t, "timeupdate", moment.position, paused=False)
        if self.speed >= 8 and self.next_t > t + 0.01:  # Chromium at 16x: a wait of 3 ms
            self.media(t + 0.001, "waiting", moment.position, paused=False)
            self.media(t + 0.004, "playing", moment.position, paused=False)

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
        if self.speed >= 4 and self.next_t > done + 0.03:  # the refill after a fast seek
            self.media(done + 0.02, "waiting", target, paused=False)
            self.media(done + 0.0201, "playing", target, paused=False)

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
    steps = moments(viewing)
    if len(steps) > 1 and steps[1].kind == "rate" and steps[1].t == steps[0].t:
        page.speed = steps[1].rate  # set before anyone listened: no ratechange record
        steps = [steps[0], *steps[2:]]
    for index, moment in enumerate(steps):
        page.next_t = steps[index + 1].t if index + 1 < len(steps) else math.inf
        getattr(page, moment.kind)(moment)
    return page.log.records
