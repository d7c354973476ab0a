"""Damage done to raw player logs the way real logs get damaged, for hostile strategies."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from vtrack.players.html5 import KNOWN_EVENTS as HTML5_EVENTS
from vtrack.players.html5 import POSITION_EVENTS
from vtrack.players.mpv import EVENTS as MPV_EVENTS
from vtrack.players.mpv import PROPERTIES as MPV_PROPERTIES
from vtrack.players.vlc import EVENTS as VLC_EVENTS
from vtrack.players.vlc import PAYLOAD
from vtrack.testing.dialect_logs.timeline import Record

#: The raw log dialects simulated here (``vtrack replay --dialect``).
DIALECTS: Final = ("html5", "mpv", "vlc")
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
#: Events real players send that the translators do not know (a newer recorder, say).
_UNKNOWN_HTML5: Final = "enterpictureinpicture"
_UNKNOWN_MPV_PROPERTY: Final = "volume"
_UNKNOWN_MPV_EVENT: Final = "video-reconfig"
_UNKNOWN_VLC: Final = "MediaPlayerVout"
assert _UNKNOWN_HTML5 not in HTML5_EVENTS and _UNKNOWN_VLC not in VLC_EVENTS
assert _UNKNOWN_MPV_PROPERTY not in MPV_PROPERTIES and _UNKNOWN_MPV_EVENT not in MPV_EVENTS


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
        if record.get("type") in POSITION_EVENTS and "currentTime" in record:
            return "currentTime"
    elif dialect == "mpv":
        # A property's value may be null (and left out), but never of another type.
        if "property" in record and "value" in record and not missing:
            return "value"
    else:
        field = PAYLOAD.get(str(record.get("event")))
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
