"""How ``vtrack stats`` writes its rows: a table for people, JSON Lines or CSV for tools."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import IO, Any, Final

import orjson

from vtrack.stats import AGGREGATE_FIELDS

FORMATS: Final = ("table", "jsonl", "csv")

#: The columns of the per-session table (every field is in the jsonl and csv rows).
TABLE_COLUMNS: Final = (
    ("session_id", "session"),
    ("end", "end"),
    ("startup_time", "startup s"),
    ("play_time", "play s"),
    ("pause_time", "pause s"),
    ("buffer_time", "buffer s"),
    ("buffer_count", "stalls"),
    ("rebuffer_ratio", "rebuffer"),
    ("ad_time", "ads s"),
    ("seek_count", "seeks"),
    ("unique_seconds", "unique s"),
    ("completion", "completion"),
    ("bitrate_mean", "bitrate"),
    ("errors", "errors"),
)
#: Figures shown as percentages in tables (fractions in jsonl and csv).
PERCENTAGES: Final = frozenset(
    {
        "rebuffer_ratio",
        "completion",
        "ebvs_rate",
        "start_failure_rate",
        "completion_rate",
    }
)


def write_rows(rows: Sequence[dict[str, Any]], form: str, out: IO[bytes]) -> None:
    """Write ``rows`` as JSON Lines or CSV (one row per session or per group)."""
    if form == "jsonl":
        for row in rows:
            out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        return
    if not rows:
        return
    lines: list[str] = []
    writer = csv.DictWriter(_Lines(lines), fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    out.write("".join(lines).encode())


class _Lines:
    """A file-like list of strings for :class:`csv.DictWriter` (no text layer needed)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_number(item) for item in value)
    return value


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def cell(name: str, value: Any) -> str:
    """One value as a table shows it: None as "-", ratios as percentages."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in PERCENTAGES:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, list):
        return ",".join(_number(item) for item in value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def session_table(rows: Sequence[dict[str, Any]], title: str) -> Any:
    """A rich table of sessions, one row each, the main figures as columns."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name, header in TABLE_COLUMNS:
        table.add_column(header, justify="left" if name in ("session_id", "end") else "right")
    for row in rows:
        table.add_row(*(cell(name, row[name]) for name, _ in TABLE_COLUMNS))
    return table


def group_table(rows: Sequence[dict[str, Any]], title: str) -> Any:
    """A rich table of groups, one row each, every figure of :data:`AGGREGATE_FIELDS`."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    first = next(iter(rows[0])) if rows else "group"
    table.add_column(first)
    for name in AGGREGATE_FIELDS:
        table.add_column(name.replace("_", " "), justify="right")
    for row in rows:
        key = "(none)" if row[first] is None else str(row[first])
        table.add_row(key, *(cell(name, row[name]) for name in AGGREGATE_FIELDS))
    return table
