"""Hypothesis strategies: the raw logs real players write (``html5``, ``mpv``, ``vlc``).

A :class:`~vtrack.testing.viewing.Viewing` says what a viewer did; the simulators here say what
a real player logs for it, in the record shapes of ``tests/data/*.log`` (recorded from real
Chromium, mpv and libVLC by the recorders in ``examples/``), traps included:

- ``html5``: every media event carries ``currentTime``, ``duration``, ``paused``, ``ended`` and
  ``playbackRate``; loading fires ``loadstart``/``durationchange``/``loadedmetadata``/
  ``canplay``...; a pause is a ``timeupdate`` with ``paused: true`` then ``pause``; a seek is
  ``seeking``, ``waiting``, (``timeupdate``,) ``seeked``, ``playing``; a stall is ``waiting``
  then ``playing``; the end is ``pause`` with ``ended: true`` just before ``ended``; the viewer
  leaving is ``pagehide``.
- ``mpv`` (python-mpv observers): the observers' initial ``null`` values, loading toggles
  ``seeking`` and ends with ``playback-restart`` (not a seek); a seek is ``seek``, ``time-pos``
  at the target, ``seeking``, ``playback-restart``; a stall is ``paused-for-cache``; with
  ``keep-open=yes`` the end sets ``eof-reached`` then flips ``pause``, with ``keep-open=no`` it
  is ``end-file`` with reason ``eof``; properties are only reported when they change; the
  viewer leaving is ``end-file`` (``quit``) and ``shutdown``.
- ``vlc`` (libVLC events): times and lengths in milliseconds; a seek is a jump of ``time``
  then a burst of ``Buffering`` 0 to 100 %; start-up brings the same burst; a stall is
  ``Buffering`` while ``time`` stands still; rate changes are the integration's
  ``RateChanged``; the end is ``EndReached`` then ``Stopped`` (sometimes twice); the viewer
  leaving is ``Stopped``.

Raw players know nothing of ads or renditions: :class:`~vtrack.testing.viewing.AdBreak`,
:class:`~vtrack.testing.viewing.ChangeQuality` and ``Viewing.preroll`` are ignored.
``Viewing.start_position`` is where the player opens the file (HTML5: ``currentTime`` set, a
seek before play; mpv: ``--start``, ``time-pos`` at the load; libVLC: ``:start-time``, a
``TimeChanged`` before ``Playing``): no viewer seek.

:func:`html5_logs`, :func:`mpv_logs`, :func:`vlc_logs` and :func:`dialect_logs` draw a viewing
(or take one) and give its records; with ``hostile``/``hostility`` they damage them the way
real logs get damaged (:func:`damage`), drawn so that a failing case shrinks to no damage.
:func:`raw_log_lines` gives the lines of the file, undecodable ones included.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import attrs
from hypothesis import strategies as st

from vtrack.testing.strategies import viewings
from vtrack.testing.viewing import ChangeRate, Pause, Seek, Stall, Viewing, Watch

#: One raw log record, ready for ``json.dumps``.
Record = dict[str, Any]

#: The raw log dialects simulated here (``vtrack replay --dialect``).
DIALECTS: Final = ("html5", "mpv", "vlc")
#: Wall seconds from ``Viewing.start_at`` (the recorder's first record) to the first frame.
STARTUP: Final = 0.1
#: How long mpv takes, after reaching the end, to flip ``pause`` (keep-open) or tear down (s).
MPV_END_DELAY: Final = 0.25
#: The ways :func:`damage` damages a log (as :data:`vtrack.testing.strategies.DAMAGES` damage
#: callbacks). ``wrong-type``, ``missing-field`` and ``unknown-event`` make a line unreadable;
#: the others leave readable lines that may make no sense (or go back in time).
DAMAGE_KINDS: Final = (
    "duplicate",
    "drop",
    "reorder",
    "wrong-type",
    "missing-field",
    "unknown-event",
    "time-back",
)
#: The undecodable lines :func:`raw_log_lines` mixes in (``blank`` lines are not errors).
GARBAGE_KINDS: Final = ("truncated", "merged", "not-object", "nan", "blank")
#: How many damages ``hostile=True`` allows at most.
DEFAULT_HOSTILITY: Final = 4

_EPS: Final = 1e-9
#: Event types the HTML5 translator reads ``currentTime`` of (not the loading events it
#: ignores, not ``pagehide``).
_HTML5_READ: Final = frozenset(
    {
        "durationchange",
        "loadedmetadata",
        "play",
        "playing",
        "pause",
        "waiting",
        "seeking",
        "seeked",
        "timeupdate",
        "ended",
        "ratechange",
        "volumechange",
        "error",
    }
)
#: The payload field every libVLC event of that type must carry, as a number.
_VLC_PAYLOAD: Final = {
    "MediaPlayerTimeChanged": "time",
    "MediaPlayerLengthChanged": "length",
    "MediaPlayerBuffering": "cache",
    "RateChanged": "rate",
}
#: Events real players send that the translators do not know (a newer recorder, say).
_UNKNOWN_HTML5: Final = "enterpictureinpicture"
_UNKNOWN_MPV_PROPERTY: Final = "volume"
_UNKNOWN_MPV_EVENT: Final = "video-reconfig"
_UNKNOWN_VLC: Final = "MediaPlayerVout"
_NOT_OBJECTS: Final = ("[]", "42", '"timeupdate"', "null", "true", '[{"t": 1}]')

MomentKind = Literal["start", "tick", "pause", "seek", "stall", "rate", "end", "leave"]


# ---------------------------------------------------------------------------------- timeline
@attrs.frozen
class Moment:
    """One thing a player goes through, whatever the player: what the simulators render.

    ``t`` is the wall time it starts, ``position`` the content position then, ``rate`` the
    playback rate from then on. ``pause``, ``seek`` and ``stall`` last ``seconds``; a seek goes
    to ``target``. ``start`` is the first frame (after the load), ``tick`` a position report,
    ``end`` the content's end, ``leave`` the viewer leaving (after ``end`` too, if both).
    """

    kind: MomentKind
    t: float
    position: float
    rate: float = 1.0
    seconds: float = 0.0
    target: float | None = None


def moments(viewing: Viewing) -> list[Moment]:
    """What a player goes through for ``viewing``, in order (the simulators' common ground).

    Playback starts :data:`STARTUP` after ``viewing.start_at``, at ``start_position``. While
    playing, the position is reported every ``viewing.tick`` wall seconds since the playing
    began (a report that falls on the end of a ``Watch`` is made), moving ``tick * rate``.
    Positions are clamped to the content; when a ``Watch`` (or a seek) reaches the duration the
    content ends and the remaining actions are ignored. With ``ending == "end"`` the content
    then plays to its end (or, its length unknown, ends where it is); ``"leave"`` adds the
    viewer leaving; ``"silent"`` adds nothing.
    """
    duration = viewing.duration
    tick = viewing.tick if viewing.tick > 0 else 1.0

    def clamp(position: float) -> float:
        position = max(position, 0.0)
        return min(position, duration) if duration is not None else position

    t = viewing.start_at + STARTUP
    position = clamp(viewing.start_position)
    rate = 1.0
    out = [Moment("start", t, position, rate)]
    ended = duration is not None and position >= duration
    if ended:
        out.append(Moment("end", t, position, rate))
    for action in viewing.actions:
        if ended:
            break
        if isinstance(action, Watch):
            t, position, ended = _play(out, t, position, rate, action.seconds, duration, tick)
        elif isinstance(action, Pause):
            seconds = max(action.seconds, 0.0)
            out.append(Moment("pause", t, position, rate, seconds=seconds))
            t += seconds
        elif isinstance(action, Seek):
            seconds = max(action.seconds, 0.0)
            target = clamp(action.to)
            out.append(Moment("seek", t, position, rate, seconds=seconds, target=target))
            t += seconds
            position = target
            if duration is not None and position >= duration:
                out.append(Moment("end", t, position, rate))
                ended = True
        elif isinstance(action, Stall):
            seconds = max(action.seconds, 0.0)
            out.append(Moment("stall", t, position, rate, seconds=seconds))
            t += seconds
        elif isinstance(action, ChangeRate) and action.rate > 0 and action.rate != rate:
            rate = action.rate
            out.append(Moment("rate", t, position, rate))
        # AdBreak, ChangeQuality: a raw player knows nothing of them.
    if not ended and viewing.ending == "end":
        if duration is not None:
            t, position, ended = _play(out, t, position, rate, math.inf, duration, tick)
        if not ended:
            out.append(Moment("end", t, position, rate))
            ended = True
    if viewing.ending == "leave":
        out.append(Moment("leave", t, position, rate))
    return out


def _play(
    out: list[Moment],
    t: float,
    position: float,
    rate: float,
    seconds: float,
    duration: float | None,
    tick: float,
) -> tuple[float, float, bool]:
    """Play ``seconds`` from ``t``: ticks, and the end if reached. Returns (t, position, ended)."""
    seconds = max(seconds, 0.0)
    remaining = (duration - position) / rate if duration is not None else math.inf
    k = 1
    while True:
        elapsed = k * tick
        if elapsed > seconds + _EPS or elapsed >= remaining - _EPS:
            break
        out.append(Moment("tick", t + elapsed, position + elapsed * rate, rate))
        k += 1
    if duration is not None and remaining <= seconds + _EPS:
        end = t + remaining
        out.append(Moment("end", end, duration, rate))
        return end, duration, True
    return t + seconds, position + seconds * rate, False


# ---------------------------------------------------------------------------------- records
class _Log:
    """Records with times that never go back, rounded like the player's recorder rounds them."""

    def __init__(self, viewing: Viewing, digits: int) -> None:
        self.viewing = viewing
        self.session = viewing.session_id
        self.digits = digits
        self.records: list[Record] = []
        self.last = -math.inf

    def add(self, t: float, fields: Mapping[str, Any]) -> None:
        t = max(t, self.last)
        self.last = t
        self.records.append({"t": round(t, self.digits), **fields})

    def header(self) -> None:
        """The recorder's first record: the viewer and the content, no player event."""
        viewing = self.viewing
        content: dict[str, Any] = {"asset_id": viewing.asset_id}
        if viewing.live:
            content["live"] = True
        self.add(
            viewing.start_at,
            {"session": self.session, "anonymous_id": viewing.viewer, "content": content},
        )


def _js(value: float) -> float | int:
    """A number as JavaScript's ``JSON.stringify`` writes it (``30``, not ``30.0``)."""
    value = round(value, 6)
    return int(value) if value.is_integer() else value


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _ends(viewing: Viewing, moment: Moment) -> bool:
    """Whether a seek lands on the content's end."""
    return (
        viewing.duration is not None
        and moment.target is not None
        and moment.target >= viewing.duration
    )


def html5_records(viewing: Viewing) -> list[Record]:
    """What a page's listeners on a ``<video>`` log for ``viewing`` (real Chromium's shapes).

    Every media event is ``{"t", "type", "currentTime", "duration", "paused", "ended",
    "playbackRate", "session"}`` (``duration`` ``null`` until the metadata, and for a live or
    unknown length); ``t`` has 4 decimals, ``currentTime`` 6, as the recorder writes them.
    """
    log = _Log(viewing, 4)
    session = viewing.session_id
    duration = viewing.duration
    rate = 1.0
    known: float | None = None  # the duration the element knows

    def media(t: float, kind: str, position: float, *, paused: bool, ended: bool = False) -> None:
        log.add(
            t,
            {
                "type": kind,
                "currentTime": _js(position),
                "duration": None if known is None else _js(known),
                "paused": paused,
                "ended": ended,
                "playbackRate": _js(rate),
                "session": session,
            },
        )

    def end(t: float, position: float) -> None:
        media(t, "timeupdate", position, paused=True, ended=True)
        media(t, "pause", position, paused=True, ended=True)
        media(t, "ended", position, paused=True, ended=True)

    log.header()
    t0 = viewing.start_at
    for moment in moments(viewing):
        t, position = moment.t, moment.position
        if moment.kind == "start":
            media(t0, "loadstart", 0.0, paused=True)
            known = duration
            media(t0 + 0.04, "durationchange", 0.0, paused=True)
            media(t0 + 0.04, "loadedmetadata", 0.0, paused=True)
            for kind in ("loadeddata", "canplay", "canplaythrough"):
                media(t0 + 0.06, kind, 0.0, paused=True)
            if position > 0:  # currentTime set before play: a seek of the paused element
                media(t0 + 0.07, "seeking", position, paused=True)
                media(t0 + 0.08, "timeupdate", position, paused=True)
                media(t0 + 0.08, "seeked", position, paused=True)
            media(t, "play", position, paused=False)
            media(t, "playing", position, paused=False)
        elif moment.kind == "tick":
            media(t, "timeupdate", position, paused=False)
        elif moment.kind == "pause":
            media(t, "timeupdate", position, paused=True)
            media(t, "pause", position, paused=True)
            media(t + moment.seconds, "play", position, paused=False)
            media(t + moment.seconds, "playing", position, paused=False)
        elif moment.kind == "seek":
            assert moment.target is not None
            target, done = moment.target, t + moment.seconds
            media(t, "seeking", target, paused=False)
            media(t, "waiting", target, paused=False)  # every seek's: not a stall
            if _ends(viewing, moment):
                media(done, "seeked", target, paused=False)  # the end follows
            else:
                media(done, "timeupdate", target, paused=False)
                media(done, "seeked", target, paused=False)
                media(done, "canplay", target, paused=False)
                media(done, "playing", target, paused=False)
                media(done, "canplaythrough", target, paused=False)
        elif moment.kind == "stall":
            media(t, "waiting", position, paused=False)
            media(t + moment.seconds, "canplay", position, paused=False)
            media(t + moment.seconds, "playing", position, paused=False)
        elif moment.kind == "rate":
            rate = moment.rate
            media(t, "ratechange", position, paused=False)
        elif moment.kind == "end":
            end(t, position)
        elif moment.kind == "leave":
            log.add(t, {"session": session, "type": "pagehide"})
    return log.records


def mpv_records(viewing: Viewing, *, keep_open: bool = True) -> list[Record]:
    """What python-mpv observers log for ``viewing`` (real mpv's shapes).

    Records are ``{"t", "session", "property", "value"}`` (``pause``, ``time-pos``,
    ``duration``, ``seeking``, ``paused-for-cache``, ``eof-reached``, ``speed``; reported when
    they change) or ``{"t", "session", "event"}`` (``end-file`` with its ``reason``).
    ``keep_open`` is mpv's ``--keep-open``: at the end, ``yes`` stays on the last frame
    (``eof-reached``, then ``pause``); ``no`` ends the file and, its playlist done, quits.
    """
    log = _Log(viewing, 6)
    session = viewing.session_id
    duration = viewing.duration
    time_pos: float | None = None
    closed = False  # mpv quit (the end without keep-open, or the viewer left)

    def prop(t: float, name: str, value: Any) -> None:
        log.add(t, {"session": session, "property": name, "value": value})

    def event(t: float, name: str, **extra: Any) -> None:
        log.add(t, {"session": session, "event": name, **extra})

    def report(t: float, position: float | None) -> None:
        nonlocal time_pos
        value = None if position is None else round(position, 6)
        if value != time_pos:  # an observer is told of changes only
            time_pos = value
            prop(t, "time-pos", value)

    def teardown(t: float) -> None:
        for name in ("duration", "seeking", "paused-for-cache", "eof-reached"):
            prop(t, name, None)

    log.header()
    t0 = viewing.start_at
    for moment in moments(viewing):
        t, position = moment.t, moment.position
        if moment.kind == "start":
            # The observers report the initial values as they are registered.
            prop(t0 + 0.01, "pause", False)
            prop(t0 + 0.01, "time-pos", None)
            teardown(t0 + 0.01)
            prop(t0 + 0.01, "speed", 1.0)
            event(t0 + 0.02, "start-file")
            event(t0 + 0.03, "file-loaded")
            report(t0 + 0.03, position)
            if duration is not None:
                prop(t0 + 0.03, "duration", float(duration))
            prop(t0 + 0.03, "seeking", True)  # loading: not a seek
            prop(t0 + 0.03, "paused-for-cache", False)
            prop(t0 + 0.03, "eof-reached", False)
            event(t, "playback-restart")
            prop(t, "seeking", False)
        elif moment.kind == "tick":
            report(t, position)
        elif moment.kind == "pause":
            prop(t, "pause", True)
            prop(t + moment.seconds, "pause", False)
        elif moment.kind == "seek":
            assert moment.target is not None
            event(t, "seek")
            report(t, moment.target)
            prop(t, "seeking", True)
            event(t + moment.seconds, "playback-restart")
            prop(t + moment.seconds, "seeking", False)
        elif moment.kind == "stall":
            prop(t, "paused-for-cache", True)
            prop(t + moment.seconds, "paused-for-cache", False)
        elif moment.kind == "rate":
            prop(t, "speed", float(moment.rate))
        elif moment.kind == "end":
            if keep_open:
                report(t, position)
                prop(t, "eof-reached", True)
                prop(t + MPV_END_DELAY, "pause", True)  # the end's pause, not the viewer's
            else:
                report(t, None)  # eof-reached never becomes true
                event(t, "end-file", reason="eof")
                teardown(t + MPV_END_DELAY)
                event(t + 2 * MPV_END_DELAY, "shutdown")  # the playlist is done: mpv quits
                closed = True
        elif moment.kind == "leave" and not closed:
            report(t, None)
            event(t, "end-file", reason="quit")
            event(t + 0.001, "shutdown")
            closed = True
    return log.records


def vlc_records(viewing: Viewing, *, stops: int = 2) -> list[Record]:
    """What a libVLC integration logs for ``viewing`` (real libVLC's shapes).

    Records are ``{"t", "session", "event"}`` with the event's payload: ``time`` and
    ``length`` in whole milliseconds, ``cache`` in percent, ``rate`` for ``RateChanged``.
    ``stops`` is how many ``MediaPlayerStopped`` follow ``MediaPlayerEndReached`` (real libVLC:
    one, sometimes two).
    """
    log = _Log(viewing, 6)
    session = viewing.session_id
    duration = viewing.duration
    closed = False

    def event(t: float, name: str, **payload: Any) -> None:
        log.add(t, {"session": session, "event": name, **payload})

    def burst(start: float, end: float) -> None:
        """``Buffering`` from 0 to 100 % from ``start`` to ``end`` (a few ms at least)."""
        start = min(start, end - 0.0005)  # never later than `end`: the next action's time
        for step, cache in enumerate((0.0, 25.0, 50.0, 75.0)):
            event(start + (end - start) * step / 4, "MediaPlayerBuffering", cache=cache)
        event(end, "MediaPlayerBuffering", cache=100.0)

    log.header()
    t0 = viewing.start_at
    for moment in moments(viewing):
        t, position = moment.t, moment.position
        if moment.kind == "start":
            event(t0 + 0.02, "MediaPlayerOpening")
            event(t0 + 0.02, "MediaPlayerBuffering", cache=0.0)
            event(t0 + 0.04, "MediaPlayerSeekableChanged", seekable=1)
            if duration is not None:
                event(t0 + 0.04, "MediaPlayerLengthChanged", length=_ms(duration))
            if position > 0:  # :start-time: the time is set before playing starts
                event(t0 + 0.05, "MediaPlayerTimeChanged", time=_ms(position))
            event(t - 0.0005, "MediaPlayerPlaying")
            burst(t - 0.0005, t)  # start-up's burst: not a stall
        elif moment.kind == "tick":
            event(t, "MediaPlayerTimeChanged", time=_ms(position))
        elif moment.kind == "pause":
            event(t, "MediaPlayerPaused")
            event(t + moment.seconds, "MediaPlayerPlaying")
        elif moment.kind == "seek":
            assert moment.target is not None
            event(t, "MediaPlayerTimeChanged", time=_ms(moment.target))  # no seek event
            burst(t, t + moment.seconds)
        elif moment.kind == "stall":
            burst(t, t + moment.seconds)  # time stands still meanwhile
        elif moment.kind == "rate":
            event(t, "RateChanged", rate=float(moment.rate))
        elif moment.kind == "end":
            event(t, "MediaPlayerEndReached")
            for index in range(stops):
                event(t + (0.001 if index == 0 else 0.3 * index), "MediaPlayerStopped")
            closed = True
        elif moment.kind == "leave" and not closed:
            event(t, "MediaPlayerStopped")
            closed = True
    return log.records


# ---------------------------------------------------------------------------------- damage
@attrs.frozen
class Damaged:
    """A damaged log: its records, and the lines (from 1) any reader must report unreadable.

    ``unreadable`` holds the lines damaged so that no reader can take them, whatever came
    before: a wrong type or a missing field the dialect requires, an unknown event. The other
    damages leave readable lines (duplicated, dropped, swapped lines, a time going back), which
    a reader may report (time must not go back within a session), count as anomalies, or take
    in its stride.
    """

    records: list[Record]
    unreadable: tuple[int, ...]


def damage(records: Sequence[Record], damages: Sequence[tuple[str, int]], dialect: str) -> Damaged:
    """``records`` damaged by ``damages``, applied in order: ``(kind, index)`` pairs.

    ``kind`` is one of :data:`DAMAGE_KINDS`; ``index`` is a line (from 0, taken modulo the
    lines there are then). ``duplicate`` writes the line twice, ``drop`` loses it (never the
    last one left), ``reorder`` swaps it with the next (or the previous, for the last),
    ``wrong-type`` writes a number or flag the dialect reads as a string (``"t"`` if it reads
    none), ``missing-field`` leaves it out, ``unknown-event`` makes it an event the player
    knows but the translator does not (``enterpictureinpicture``, mpv's ``volume``,
    ``MediaPlayerVout``), ``time-back`` sets its ``t`` a second before the latest earlier
    one (never the first line's). The records given are not changed.
    """
    _check_dialect(dialect)
    out = [dict(record) for record in records]
    poisoned = [False] * len(out)
    for kind, index in damages:
        if not out:
            break
        i = index % len(out)
        if kind == "duplicate":
            out.insert(i + 1, dict(out[i]))
            poisoned.insert(i + 1, poisoned[i])
        elif kind == "drop":
            if len(out) > 1:
                del out[i], poisoned[i]
        elif kind == "reorder":
            if len(out) > 1:
                j = i + 1 if i + 1 < len(out) else i - 1
                out[i], out[j] = out[j], out[i]
                poisoned[i], poisoned[j] = poisoned[j], poisoned[i]
        elif kind == "wrong-type":
            key = _read_field(out[i], dialect, missing=False)
            out[i] = {**out[i], key: json.dumps(out[i].get(key))}  # "30.0", "true", "null"
            poisoned[i] = True
        elif kind == "missing-field":
            key = _read_field(out[i], dialect, missing=True)
            out[i] = {k: v for k, v in out[i].items() if k != key}
            poisoned[i] = True
        elif kind == "unknown-event":
            out[i] = _unknown_event(out[i], dialect)
            poisoned[i] = True
        elif kind == "time-back":
            i = max(i, 1) if len(out) > 1 else i
            earlier = [r["t"] for r in out[:i] if _is_time(r.get("t"))]
            if earlier and _is_time(out[i].get("t")):
                out[i] = {**out[i], "t": round(max(earlier) - 1.0, 6)}
        else:
            raise ValueError(f"unknown damage {kind!r}; the damages are: {', '.join(DAMAGE_KINDS)}")
    return Damaged(out, tuple(line + 1 for line, bad in enumerate(poisoned) if bad))


def _is_time(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value >= 0


def _read_field(record: Record, dialect: str, *, missing: bool) -> str:
    """A field of ``record`` the dialect's reader must find, of the right type."""
    if dialect == "html5":
        if record.get("type") in _HTML5_READ and "currentTime" in record:
            return "currentTime"
    elif dialect == "mpv":
        # A property's value may be null (and left out), but never of another type.
        if "property" in record and "value" in record and not missing:
            return "value"
    else:
        field = _VLC_PAYLOAD.get(str(record.get("event")))
        if field is not None and field in record:
            return field
    return "t"


def _unknown_event(record: Record, dialect: str) -> Record:
    if dialect == "html5":
        return {**record, "type": _UNKNOWN_HTML5}
    if dialect == "mpv":
        if "property" in record:
            return {**record, "property": _UNKNOWN_MPV_PROPERTY}
        return {**record, "event": _UNKNOWN_MPV_EVENT}
    return {**record, "event": _UNKNOWN_VLC}


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(
            f"unknown log dialect {dialect!r}; the dialects are: {', '.join(DIALECTS)}"
        )


def damage_lists(lines: int, hostility: int) -> st.SearchStrategy[list[tuple[str, int]]]:
    """Up to ``hostility`` ``(kind, index)`` damages for a log of ``lines`` lines.

    Shrinks to no damage, then to the first kinds of :data:`DAMAGE_KINDS` and to line 0.
    """
    return st.lists(
        st.tuples(st.sampled_from(DAMAGE_KINDS), st.integers(0, max(lines - 1, 0))),
        max_size=max(hostility, 0),
    )


# ---------------------------------------------------------------------------------- strategies
ViewingArg = Viewing | st.SearchStrategy[Viewing] | None


def _hostility(hostile: bool, hostility: int | None) -> int:
    if hostility is not None:
        if isinstance(hostility, bool) or not isinstance(hostility, int) or hostility < 0:
            raise ValueError(f"hostility must be >= 0 (the most damages); got {hostility!r}")
        return hostility
    return DEFAULT_HOSTILITY if hostile else 0


def _viewing_strategy(
    viewing: ViewingArg, options: Mapping[str, Any]
) -> st.SearchStrategy[Viewing]:
    if viewing is None:
        return viewings(**options)
    if options:
        raise TypeError(f"give a viewing or viewing options, not both: {', '.join(options)}")
    return viewing if isinstance(viewing, st.SearchStrategy) else st.just(viewing)


@st.composite
def _logs(
    draw: st.DrawFn,
    dialect: str,
    viewing: st.SearchStrategy[Viewing],
    keep_open: bool | None,
    hostility: int,
) -> list[Record]:
    drawn = draw(viewing)
    if dialect == "html5":
        records = html5_records(drawn)
    elif dialect == "mpv":
        keep = draw(st.booleans()) if keep_open is None else keep_open
        records = mpv_records(drawn, keep_open=keep)
    else:
        records = vlc_records(drawn, stops=draw(st.sampled_from((1, 2))))
    if hostility:
        records = damage(records, draw(damage_lists(len(records), hostility)), dialect).records
    return records


def dialect_logs(
    dialect: str,
    viewing: ViewingArg = None,
    *,
    keep_open: bool | None = None,
    hostile: bool = False,
    hostility: int | None = None,
    **viewing_options: Any,
) -> st.SearchStrategy[list[Record]]:
    """The records of a raw ``dialect`` log (``"html5"``, ``"mpv"`` or ``"vlc"``).

    The viewing is ``viewing`` (a :class:`~vtrack.testing.viewing.Viewing` or a strategy of
    them), else drawn from :func:`~vtrack.testing.strategies.viewings` with
    ``viewing_options``. ``keep_open`` (mpv only) fixes mpv's ``--keep-open`` (``None``:
    drawn); libVLC's one or two ``Stopped`` at the end are drawn. ``hostile`` damages the log
    (at most :data:`DEFAULT_HOSTILITY` damages, or ``hostility`` if given; see :func:`damage`).
    """
    _check_dialect(dialect)
    if keep_open is not None and dialect != "mpv":
        raise ValueError("keep_open is an mpv option")
    strategy = _viewing_strategy(viewing, viewing_options)
    return _logs(dialect, strategy, keep_open, _hostility(hostile, hostility))


def html5_logs(
    viewing: ViewingArg = None,
    *,
    hostile: bool = False,
    hostility: int | None = None,
    **viewing_options: Any,
) -> st.SearchStrategy[list[Record]]:
    """The records of a ``<video>``'s log (see :func:`html5_records`, :func:`dialect_logs`)."""
    return dialect_logs("html5", viewing, hostile=hostile, hostility=hostility, **viewing_options)


def mpv_logs(
    viewing: ViewingArg = None,
    *,
    keep_open: bool | None = None,
    hostile: bool = False,
    hostility: int | None = None,
    **viewing_options: Any,
) -> st.SearchStrategy[list[Record]]:
    """The records of an mpv log, ``--keep-open`` drawn unless given (see :func:`mpv_records`)."""
    return dialect_logs(
        "mpv", viewing, keep_open=keep_open, hostile=hostile, hostility=hostility, **viewing_options
    )


def vlc_logs(
    viewing: ViewingArg = None,
    *,
    hostile: bool = False,
    hostility: int | None = None,
    **viewing_options: Any,
) -> st.SearchStrategy[list[Record]]:
    """The records of a libVLC log (see :func:`vlc_records`, :func:`dialect_logs`)."""
    return dialect_logs("vlc", viewing, hostile=hostile, hostility=hostility, **viewing_options)


def _dumps(record: Record, compact: bool) -> str:
    if compact:
        return json.dumps(record, separators=(",", ":"), allow_nan=False)
    return json.dumps(record, allow_nan=False)


def as_jsonl(records: Sequence[Record], *, compact: bool = False) -> str:
    """``records`` as JSON Lines text, one per line, ending with a newline.

    ``compact`` writes as JavaScript's ``JSON.stringify`` does (the HTML5 recorder), else as
    Python's ``json.dumps`` (the mpv and VLC recorders).
    """
    return "".join(_dumps(record, compact) + "\n" for record in records)


def _garble(lines: list[str], kind: str, index: int, size: int) -> None:
    """Damage ``lines`` in place: one undecodable (or blank) line at ``index``."""
    i = index % len(lines)
    if kind == "truncated":  # a write cut short
        line = lines[i]
        lines[i] = line[: 1 + size % max(len(line) - 1, 1)]
    elif kind == "merged":  # a lost newline: two records on one line
        if i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + lines[i + 1]]
        else:
            lines[i] = lines[i] + lines[i]
    elif kind == "not-object":
        lines.insert(i, _NOT_OBJECTS[size % len(_NOT_OBJECTS)])
    elif kind == "nan":  # Python's json.dumps writes NaN, which is not JSON
        lines.insert(i, '{"t": NaN, "event": "MediaPlayerTimeChanged", "time": NaN}')
    elif kind == "blank":
        lines.insert(i, "")
    else:
        raise ValueError(f"unknown garbage {kind!r}; the kinds are: {', '.join(GARBAGE_KINDS)}")


@st.composite
def _raw_lines(
    draw: st.DrawFn, dialect: str, records: st.SearchStrategy[list[Record]], garbage: int
) -> list[str]:
    compact = dialect == "html5"
    lines = [_dumps(record, compact) for record in draw(records)]
    junk = draw(
        st.lists(
            st.tuples(
                st.sampled_from(GARBAGE_KINDS),
                st.integers(0, max(len(lines) - 1, 0)),
                st.integers(0, 1000),
            ),
            max_size=max(garbage, 0),
        )
    )
    for kind, index, size in junk:
        _garble(lines, kind, index, size)
    return lines


def raw_log_lines(
    dialect: str,
    viewing: ViewingArg = None,
    *,
    keep_open: bool | None = None,
    hostile: bool = False,
    hostility: int | None = None,
    garbage: int = 3,
    **viewing_options: Any,
) -> st.SearchStrategy[list[str]]:
    """The lines (no newlines) of a raw ``dialect`` log file, undecodable ones mixed in.

    The records are :func:`dialect_logs`'s (same arguments); up to ``garbage`` lines are then
    garbled (:data:`GARBAGE_KINDS`): a line cut short, two lines run together, a JSON value
    that is not an object, a ``NaN``, a blank line. Shrinks to the clean log.
    """
    records = dialect_logs(
        dialect,
        viewing,
        keep_open=keep_open,
        hostile=hostile,
        hostility=hostility,
        **viewing_options,
    )
    return _raw_lines(dialect, records, garbage)
