"""Comparing an event stream with what was expected, and showing where they part.

:func:`assert_events` accepts what a test knows: event names, ``(event, seconds, position)``
tuples (seconds from the stream's start), or whole messages (another run's output). It
compares only what was given, and on a mismatch prints both timelines side by side (time,
state, event, position), marking the rows that differ.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from vtrack.testing.timeline import PlayerState, Row, epoch_seconds, position_of

#: Seconds two event times may differ and still match (messages carry milliseconds).
TIME_TOLERANCE: Final = 1e-3
_WIDTH: Final = 62

Expected = str | tuple[Any, ...] | Mapping[str, Any]


@attrs.frozen
class Expectation:
    """What is known of one event: its name, and maybe its time (seconds from the start)
    and position."""

    event: str
    at: float | None = None
    position: float | None = None


class EventsDiffer(AssertionError):
    """The stream is not what was expected; the message holds the side-by-side timelines."""


def expectation(item: Expected, start: float | None) -> Expectation:
    """One expected event in any accepted form, as an :class:`Expectation`."""
    if isinstance(item, str):
        return Expectation(item)
    if isinstance(item, tuple):
        if not 1 <= len(item) <= 3 or not isinstance(item[0], str):
            raise TypeError(f"expected (event, seconds, position) or a prefix of it; got {item!r}")
        at = None if len(item) < 2 or item[1] is None else float(item[1])
        position = None if len(item) < 3 or item[2] is None else float(item[2])
        return Expectation(item[0], at, position)
    if isinstance(item, Mapping):
        at = epoch_seconds(item) - (start or 0.0)
        return Expectation(str(item.get("event")), at, position_of(item))
    raise TypeError(f"expected an event name, a tuple or a message; got {item!r}")


def _start_of(messages: Sequence[Mapping[str, Any]]) -> float:
    return min((epoch_seconds(m) for m in messages), default=0.0)


def _matches(expected: Expectation, actual: Expectation) -> bool:
    if expected.event != actual.event:
        return False
    if expected.at is not None and (
        actual.at is None or abs(expected.at - actual.at) > TIME_TOLERANCE
    ):
        return False
    return expected.position is None or expected.position == actual.position


def _rows(items: Sequence[Expectation]) -> list[Row]:
    player = PlayerState()
    return [
        Row(item.at or 0.0, player.observe(item.event), item.event, item.position) for item in items
    ]


def _cell(row: Row | None, item: Expectation | None) -> str:
    if row is None or item is None:
        return ""
    if item.at is None:
        where = "" if item.position is None else f"@{item.position:g}"
        return f"{'':>10} {row.state:<12} {row.event:<31} {where}".rstrip()[:_WIDTH]
    return row.describe(0.0)[:_WIDTH]


def timeline_diff(
    expected: Sequence[Expectation], actual: Sequence[Expectation], *, title: str = ""
) -> str:
    """Both timelines side by side; ``!`` marks a row that differs, ``-``/``+`` one that is
    only expected / only actual."""
    rows_expected, rows_actual = _rows(expected), _rows(actual)
    lines = [title] if title else []
    lines.append(f"   {'expected':<{_WIDTH}} | actual")
    matcher = difflib.SequenceMatcher(
        a=[e.event for e in expected], b=[a.event for a in actual], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            left = rows_expected[i] if i < i2 else None
            right = rows_actual[j] if j < j2 else None
            if left is not None and right is not None:
                same = tag == "equal" and _matches(expected[i], actual[j])
                mark = " " if same else "!"
            else:
                mark = "-" if right is None else "+"
            cells = (
                _cell(left, expected[i] if left else None),
                _cell(right, actual[j] if right else None),
            )
            lines.append(f" {mark} {cells[0]:<{_WIDTH}} | {cells[1]}")
    return "\n".join(lines)


def assert_events(
    actual: Sequence[Mapping[str, Any]],
    expected: Sequence[Expected],
    *,
    start: float | None = None,
) -> None:
    """Assert the messages ``actual`` are the ``expected`` events, in order.

    Each expected item is an event name, a tuple ``(event, seconds, position)`` (or a prefix
    of it; seconds count from ``start``, by default the first message's time; ``None``
    skips a field), or a message (compared by event, time and position; times count from
    ``start`` or, by default, the first expected message). With event names only, the
    messages need no timestamps.
    Raises :class:`EventsDiffer` with a side-by-side timeline diff when they differ.
    """
    timed = any(
        isinstance(item, Mapping) or (isinstance(item, tuple) and len(item) > 1)
        for item in expected
    )
    origin = (_start_of(actual) if start is None else start) if timed else 0.0
    # Expected messages (another run's) count from ``start`` too when it is given, else from
    # their own first message.
    expected_messages = [m for m in expected if isinstance(m, Mapping)]
    expected_origin = _start_of(expected_messages) if start is None else start
    wanted = [
        expectation(item, expected_origin if isinstance(item, Mapping) else origin)
        for item in expected
    ]
    got = [
        Expectation(
            str(m.get("event")), epoch_seconds(m) - origin if timed else None, position_of(m)
        )
        for m in actual
    ]
    if len(wanted) == len(got) and all(_matches(w, g) for w, g in zip(wanted, got, strict=True)):
        return
    first = next(
        (i for i, (w, g) in enumerate(zip(wanted, got, strict=False)) if not _matches(w, g)),
        min(len(wanted), len(got)),
    )
    title = (
        f"events differ from #{first} (expected {len(wanted)}, got {len(got)}); "
        "times in seconds from the start"
    )
    raise EventsDiffer(timeline_diff(wanted, got, title=title))
