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
from collections.abc import Mapping, Sequence
from typing import Any, Final

from hypothesis import strategies as st

from vtrack.testing.dialect_logs.damage import (
    DAMAGE_KINDS,
    DIALECTS,
    Damaged,
    _check_dialect,
    damage,
    damage_lists,
)
from vtrack.testing.dialect_logs.html5 import html5_records
from vtrack.testing.dialect_logs.mpv import MPV_END_DELAY, mpv_records
from vtrack.testing.dialect_logs.timeline import STARTUP, Moment, Record, moments
from vtrack.testing.dialect_logs.vlc import vlc_records
from vtrack.testing.strategies import viewings
from vtrack.testing.viewing import Viewing

#: The undecodable lines :func:`raw_log_lines` mixes in (``blank`` lines are not errors).
GARBAGE_KINDS: Final = ("truncated", "merged", "not-object", "nan", "blank")
#: How many damages ``hostile=True`` allows at most.
DEFAULT_HOSTILITY: Final = 4
_NOT_OBJECTS: Final = ("[]", "42", '"timeupdate"', "null", "true", '[{"t": 1}]')

__all__ = [
    "DAMAGE_KINDS",
    "DEFAULT_HOSTILITY",
    "DIALECTS",
    "GARBAGE_KINDS",
    "MPV_END_DELAY",
    "STARTUP",
    "Damaged",
    "Moment",
    "Record",
    "as_jsonl",
    "damage",
    "damage_lists",
    "dialect_logs",
    "html5_logs",
    "html5_records",
    "moments",
    "mpv_logs",
    "mpv_records",
    "raw_log_lines",
    "vlc_logs",
    "vlc_records",
]


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
        # No audio track: mpv flips pause before eof-reached (drawn so it shrinks away).
        pause_first = keep and draw(st.booleans())
        records = mpv_records(drawn, keep_open=keep, pause_first=pause_first)
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
