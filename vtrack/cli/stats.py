"""``vtrack stats``: Segment video messages in, one QoE summary per session (or group) out."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from typing import IO, Any

import orjson

from vtrack.cli import stats_output
from vtrack.replay.sources import LongLine, SourceError, read_lines, source_name
from vtrack.stats import GROUP_BY, BadMessage, SessionStats, StatsCollector, aggregate

EXAMPLES = """\
examples:
  vtrack stats events.jsonl                     a table, one row per session
  vtrack stats day1.jsonl.gz day2.jsonl --format csv > sessions.csv
  vtrack stats events.jsonl --by asset_id       attempts, plays, EBVS, startup p50/p90/p95 ...
  vtrack stats events.jsonl --by day --format jsonl
  vtrack replay player.log --out events.jsonl --stats   the same table at the end of a replay

Every figure is defined in docs/stats.md. exit status: 0 every line read; 1 some lines were
skipped (each reported as FILE:LINE: reason on stderr); 2 a file could not be read; 130
interrupted.
"""


def add_parser(commands: Any) -> None:
    """Add ``stats`` to the ``vtrack`` command's subcommands."""
    parser = commands.add_parser(
        "stats",
        help="QoE summaries (startup, rebuffering, EBVS, completion, ...) of video events",
        description=(
            "Read Segment video events (JSON Lines: vtrack's output under either profile, or "
            "any export that follows the Segment Video Spec; .gz files and - for stdin are "
            "read the same way) and summarise each playback session, or groups of them."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("events", nargs="+", metavar="EVENTS", help="a file; - = stdin")
    parser.add_argument(
        "--format",
        choices=stats_output.FORMATS,
        default="table",
        help="a table (default), or one JSON object / CSV row per session (or group)",
    )
    parser.add_argument(
        "--by",
        type=_group_by,
        default=None,
        metavar="FIELD",
        help="one row per group: day (UTC), asset_id (the first content asset) or any "
        "summary field (end, user_id, ...)",
    )
    parser.add_argument(
        "--aggregate",
        action="store_true",
        help="one row over every session (with --by: one per group)",
    )


def _group_by(text: str) -> str:
    if text not in GROUP_BY:
        raise argparse.ArgumentTypeError(
            f"cannot group by {text!r}; allowed: {', '.join(GROUP_BY)}"
        )
    return text


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack stats``; returns the exit status."""
    for path in args.events:
        if path != "-" and not os.path.exists(path):
            print(f"vtrack stats: {path}: no such file", file=sys.stderr)
            return 2
    reader = MessageReader()
    status = 0
    try:
        for path in args.events:
            reader.read(path)
    except SourceError as exc:
        print(f"vtrack stats: {exc}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("vtrack stats: interrupted", file=sys.stderr)
        status = 130
    reader.finish()
    if reader.skipped:
        print(f"vtrack stats: {reader.skipped:,} lines skipped (reported above)", file=sys.stderr)
    if status == 0 or reader.summaries:
        show(reader.summaries, args.format, args.by, args.aggregate, sys.stdout.buffer)
    return status or (1 if reader.skipped else 0)


class MessageReader:
    """Reads the files' lines into a collector; bad lines are reported and counted."""

    def __init__(self, collector: StatsCollector | None = None) -> None:
        self.collector = collector if collector is not None else StatsCollector()
        self.summaries: list[SessionStats] = []
        self.skipped = 0

    def read(self, path: str) -> None:
        name = source_name(path)
        for number, line in read_lines(path):
            if type(line) is LongLine:
                self._bad(name, number, f"a line of {line.size:,} bytes: too long")
                continue
            assert type(line) is bytes
            if not line.strip():
                continue
            try:
                message = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                self._bad(name, number, f"not JSON: {exc.msg}")
                continue
            try:
                self.summaries.extend(self.collector.add(message))
            except BadMessage as exc:
                self._bad(name, number, str(exc))

    def _bad(self, name: str, number: int, reason: str) -> None:
        self.skipped += 1
        print(f"{name}:{number}: {reason}", file=sys.stderr)

    def finish(self) -> None:
        self.summaries.extend(self.collector.finish())


def show(
    summaries: Iterable[SessionStats],
    form: str,
    by: str | None,
    together: bool,
    out: IO[bytes],
    *,
    to_stderr: bool = False,
) -> None:
    """Write the summaries (or their groups) in ``form`` to ``out`` (a table: the console)."""
    ordered = sorted(summaries, key=lambda stats: (stats.started_at, stats.session_id))
    grouped = by is not None or together
    rows = aggregate(ordered, by) if grouped else [stats.as_row() for stats in ordered]
    if form != "table":
        stats_output.write_rows(rows, form, out)
        out.flush()
        return
    from rich.console import Console

    count = f"{len(ordered):,} session{'s' if len(ordered) != 1 else ''}"
    if grouped:
        title = f"vtrack stats: {count}, " + (f"by {by}" if by else "all together")
        table = stats_output.group_table(rows, title)
    else:
        table = stats_output.session_table(rows, f"vtrack stats: {count}")
    stream = sys.stderr if to_stderr else sys.stdout
    if stream.isatty():
        Console(stderr=to_stderr).print(table)
        return
    # Not a terminal (a file, a pipe): as wide as the table needs, no trailing blanks.
    console = Console(width=_WIDE, no_color=True, highlight=False)
    with console.capture() as captured:
        console.print(table)
    stream.write("\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n")
    stream.flush()


#: The width a table may take when it is not shown on a terminal.
_WIDE = 250


class ReplayStats:
    """``vtrack replay --stats``: takes each message as the replay writes it (no second pass)."""

    def __init__(self) -> None:
        self.reader = MessageReader()

    def take(self, message: dict[str, Any]) -> None:
        """Count one message of the replay in."""
        try:
            self.reader.summaries.extend(self.reader.collector.add(message))
        except BadMessage as exc:  # vtrack's own messages are always readable
            self.reader.skipped += 1
            print(f"vtrack replay --stats: {exc}", file=sys.stderr)

    def print(self, to_stderr: bool) -> None:
        """The table of every session, on stderr when stdout carries the messages."""
        self.reader.finish()
        show(self.reader.summaries, "table", None, False, sys.stdout.buffer, to_stderr=to_stderr)
