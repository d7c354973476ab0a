"""python-mpv observers' log for a viewing, as real mpv writes it.

Records are property changes ``{"t", "session", "property", "value"}`` (the properties of
:data:`vtrack.players.mpv.PROPERTIES`) and events ``{"t", "session", "event"}`` (of
:data:`vtrack.players.mpv.EVENTS`). The traps are those :mod:`vtrack.players.mpv` reads: the
observers' initial ``null`` values; loading toggles ``seeking`` and ends with
``playback-restart`` (not a seek); a seek is ``seek``, ``time-pos`` at the target, ``seeking``,
``playback-restart``; a stall is ``paused-for-cache``; with ``keep-open=yes`` the end sets
``eof-reached`` then flips ``pause`` (or, on a video without audio, the reverse: ``pause``
70 us first), with ``keep-open=no`` it is ``end-file`` with reason
``eof``; properties are only reported when they change; the viewer leaving is ``end-file``
(``quit``) and ``shutdown``.
"""

from __future__ import annotations

from typing import Any, Final

from vtrack.players.mpv import EVENTS, PROPERTIES
from vtrack.testing.dialect_logs.timeline import Moment, Record, RecordLog, moments
from vtrack.testing.viewing import Viewing

#: How long mpv takes, after reaching the end, to flip ``pause`` (keep-open) or tear down (s).
MPV_END_DELAY: Final = 0.25
#: The properties an ended file resets to ``null``.
_RESET: Final = ("duration", "seeking", "paused-for-cache", "eof-reached")


class _Observers:
    """mpv's property observers and event callback, told only of changes."""

    def __init__(self, viewing: Viewing, keep_open: bool, pause_first: bool = False) -> None:
        self.viewing = viewing
        self.keep_open = keep_open
        self.pause_first = pause_first
        self.log = RecordLog(viewing, 6)
        self.time_pos: float | None = None
        self.closed = False  # mpv quit (the end without keep-open, or the viewer left)

    def prop(self, t: float, name: str, value: Any) -> None:
        assert name in PROPERTIES, name
        self.log.add(t, {"session": self.viewing.session_id, "property": name, "value": value})

    def event(self, t: float, name: str, **extra: Any) -> None:
        assert name in EVENTS, name
        self.log.add(t, {"session": self.viewing.session_id, "event": name, **extra})

    def report(self, t: float, position: float | None) -> None:
        value = None if position is None else round(position, 6)
        if value != self.time_pos:  # an observer is told of changes only
            self.time_pos = value
            self.prop(t, "time-pos", value)

    def teardown(self, t: float) -> None:
        for name in _RESET:
            self.prop(t, name, None)

    def start(self, moment: Moment) -> None:
        t0, duration = self.viewing.start_at, self.viewing.duration
        # The observers report the initial values as they are registered.
        self.prop(t0 + 0.01, "pause", False)
        self.prop(t0 + 0.01, "time-pos", None)
        self.teardown(t0 + 0.01)
        self.prop(t0 + 0.01, "speed", 1.0)
        self.event(t0 + 0.02, "start-file")
        self.event(t0 + 0.03, "file-loaded")
        self.report(t0 + 0.03, moment.position)
        if duration is not None:
            self.prop(t0 + 0.03, "duration", float(duration))
        self.prop(t0 + 0.03, "seeking", True)  # loading: not a seek
        self.prop(t0 + 0.03, "paused-for-cache", False)
        self.prop(t0 + 0.03, "eof-reached", False)
        self.event(moment.t, "playback-restart")
        self.prop(moment.t, "seeking", False)

    def tick(self, moment: Moment) -> None:
        self.report(moment.t, moment.position)

    def pause(self, moment: Moment) -> None:
        self.prop(moment.t, "pause", True)
        self.prop(moment.t + moment.seconds, "pause", False)

    def seek(self, moment: Moment) -> None:
        assert moment.target is not None
        self.event(moment.t, "seek")
        self.report(moment.t, moment.target)
        self.prop(moment.t, "seeking", True)
        self.event(moment.t + moment.seconds, "playback-restart")
        self.prop(moment.t + moment.seconds, "seeking", False)

    def stall(self, moment: Moment) -> None:
        self.prop(moment.t, "paused-for-cache", True)
        self.prop(moment.t + moment.seconds, "paused-for-cache", False)

    def rate(self, moment: Moment) -> None:
        self.prop(moment.t, "speed", float(moment.rate))

    def end(self, moment: Moment) -> None:
        t = moment.t
        if self.keep_open:
            self.report(t, moment.position)
            if self.pause_first:  # a video without audio: pause 70 us before eof-reached
                self.prop(t, "pause", True)
                self.prop(t + 0.00007, "eof-reached", True)
                return
            self.prop(t, "eof-reached", True)
            self.prop(t + MPV_END_DELAY, "pause", True)  # the end's pause, not the viewer's
            return
        self.report(t, None)  # eof-reached never becomes true
        self.event(t, "end-file", reason="eof")
        self.teardown(t + MPV_END_DELAY)
        self.event(t + 2 * MPV_END_DELAY, "shutdown")  # the playlist is done: mpv quits
        self.closed = True

    def leave(self, moment: Moment) -> None:
        if self.closed:
            return
        self.report(moment.t, None)
        self.event(moment.t, "end-file", reason="quit")
        self.event(moment.t + 0.001, "shutdown")
        self.closed = True


def mpv_records(
    viewing: Viewing, *, keep_open: bool = True, pause_first: bool = False
) -> list[Record]:
    """What python-mpv observers log for ``viewing`` (real mpv's shapes).

    Records are ``{"t", "session", "property", "value"}`` (``pause``, ``time-pos``,
    ``duration``, ``seeking``, ``paused-for-cache``, ``eof-reached``, ``speed``; reported when
    they change) or ``{"t", "session", "event"}`` (``end-file`` with its ``reason``).
    ``keep_open`` is mpv's ``--keep-open``: at the end, ``yes`` stays on the last frame
    (``eof-reached``, then ``pause``); ``no`` ends the file and, its playlist done, quits.
    ``pause_first`` (keep-open only): ``pause`` flips 70 us *before* ``eof-reached``, as real
    mpv does on a video without an audio track.
    """
    observers = _Observers(viewing, keep_open, pause_first)
    observers.log.header()
    for moment in moments(viewing):
        getattr(observers, moment.kind)(moment)
    return observers.log.records
