"""What a player goes through for a viewing, whatever the player: the simulators' common ground.

:func:`moments` turns a :class:`~vtrack.testing.viewing.Viewing` into :class:`Moment` s (the first
frame, position reports, pauses, seeks, stalls, rate changes, the end, the viewer leaving);
each player's simulator renders them as that player's records (:class:`RecordLog`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs

from vtrack.testing.viewing import ChangeRate, Pause, Seek, Stall, Viewing, Watch

#: One raw log record, ready for ``json.dumps``.
Record = dict[str, Any]

#: Wall seconds from ``Viewing.start_at`` (the recorder's first record) to the first frame.
STARTUP: Final = 0.1

_EPS: Final = 1e-9

MomentKind = Literal["start", "tick", "pause", "seek", "stall", "rate", "end", "leave"]


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


class RecordLog:
    """Records with times that never go back, rounded like the player's recorder rounds them."""

    def __init__(self, viewing: Viewing, digits: int) -> None:
        self.viewing = viewing
        self.session = viewing.session_id
        self.digits = digits
        self.records: list[Record] = []
        self.last = -math.inf

    def add(self, t: float, fields: Mapping[str, Any]) -> None:
        """A record of ``fields`` at ``t`` (or at the last record's time, if ``t`` is earlier)."""
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


def js_number(value: float) -> float | int:
    """A number as JavaScript's ``JSON.stringify`` writes it (``30``, not ``30.0``)."""
    value = round(value, 6)
    return int(value) if value.is_integer() else value


def milliseconds(seconds: float) -> int:
    """Seconds as whole milliseconds (libVLC's unit)."""
    return round(seconds * 1000)


def seek_ends(viewing: Viewing, moment: Moment) -> bool:
    """Whether a seek lands on the content's end."""
    return (
        viewing.duration is not None
        and moment.target is not None
        and moment.target >= viewing.duration
    )
