"""``vtrack replay``: recorded player logs in, Segment messages out as JSON Lines."""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
import time
from collections.abc import Callable
from typing import IO, Any, Protocol

import orjson

from vtrack.cli import delivery as cli_delivery
from vtrack.cli import options as cli_options
from vtrack.cli import spark_replay
from vtrack.cli import stats as cli_stats
from vtrack.core.errors import VtrackError
from vtrack.replay.dialects import DIALECTS
from vtrack.replay.engine import Where
from vtrack.replay.replay_stats import ReplayStats
from vtrack.replay.run import ReplayRun
from vtrack.replay.sources import MAX_LINE_BYTES

EXAMPLES = """\
examples:
  vtrack replay player.log                      messages of every session, to stdout
  vtrack replay day1.log.gz day2.log.gz --out events.jsonl
  cat player.log | vtrack replay - --heartbeat 20 --milestones 10,50,90
  vtrack replay player.log --profile vimeo-ott --milestone-basis watched --strict
  vtrack replay mpv-session.log --dialect mpv    a raw log of python-mpv observations
  vtrack replay export.jsonl --schema export.toml  a log with its own field names and units
  vtrack replay player.log --out events.jsonl --stats  QoE figures of each session at the end

exit status: 0 all lines replayed (and delivered); 1 some lines were skipped (each reported as
FILE:LINE: reason on stderr); 2 stopped: a bad line with --strict, a log that cannot be read,
or a delivery that cannot start; 3 with --sink, not everything was delivered (what was not is
kept: in the --spool outbox, or in the --undelivered file); 130 interrupted (Ctrl-C: what was
already handed to --sink is still delivered or kept). A stop (2) or an interrupt (130) takes
precedence over 3, and 3 over 1.
"""


def add_parser(commands: Any) -> None:
    """Add ``replay`` to the ``vtrack`` command's subcommands."""
    parser = commands.add_parser(
        "replay",
        help="replay recorded player logs into Segment video events (JSON Lines)",
        description=(
            "Replay player logs (vtrack log format: JSON Lines, one callback per line; "
            ".gz files and - for stdin are read the same way) and write the messages their "
            "sessions make as JSON Lines. The same input always gives the same bytes."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logs", nargs="+", metavar="LOG", help="a log file, .gz or not; - = stdin")
    _add_input_options(parser)
    cli_options.add_session_options(parser)
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="where the messages go: a file (replaced) or - for stdout (the default, unless "
        "--sink sends them); with --engine spark, a new directory for the part files",
    )
    parser.add_argument(
        "--keep-open",
        action="store_true",
        help="leave sessions still open at the end of the input as they are (by default "
        "they exit there: Video Playback Exited)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first bad line or refused callback (exit status 2); by default "
        "it is skipped, reported and counted",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no summary on stderr"
    )
    parser.add_argument(
        "--stats",
        action="store_true",
        help="at the end, a QoE summary of every session as `vtrack stats` shows it (on "
        "stdout, or on stderr when stdout carries the messages)",
    )
    cli_delivery.add_arguments(parser)
    spark_replay.add_arguments(parser)


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    """How the logs are read: their format, schema, and the bounds on what they may hold."""
    parser.add_argument(
        "--dialect",
        choices=DIALECTS,
        default="vtrack",
        help="the log's format: vtrack's own (default; see docs/log-format.md), or a player's "
        "raw events as its recorder writes them (html5, mpv, vlc; see docs/dialects.md)",
    )
    parser.add_argument(
        "--schema",
        default=None,
        metavar="FILE",
        help="a TOML file mapping the log's own field names, event names, time units and "
        "constant fields onto the dialect's (see docs/log-format.md)",
    )
    parser.add_argument(
        "--min-stall",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="with --dialect: a player's buffering shorter than this is no stall, no Buffer "
        "Started/Completed (default 0.25; 0 counts every one)",
    )
    parser.add_argument(
        "--max-line-bytes",
        type=_line_cap,
        default=MAX_LINE_BYTES,
        metavar="N",
        help="a longer line is a bad line, read past without holding it (default 1048576)",
    )
    parser.add_argument(
        "--max-open-sessions",
        type=_at_least_one,
        default=None,
        metavar="N",
        help="at most N sessions open at once: past it the least recently active one exits at "
        "its last record (a warning says how many); default: no bound",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack replay``; returns the exit status."""
    if args.engine == "spark" or spark_replay.refusal(args):
        return spark_replay.run(args)
    target = args.out if args.out is not None or args.sink is not None else "-"
    problem = _check_paths(args.logs, target)
    if problem:
        print(f"vtrack replay: {problem}", file=sys.stderr)
        return 2
    started = _start(args, target)
    if started is None:
        return 2
    replay, delivery, out = started
    began = time.perf_counter()
    status = 0
    progress = _Progress(replay, delivery) if not args.quiet and sys.stderr.isatty() else None
    stats = cli_stats.ReplayStats() if args.stats else None
    try:
        _write(replay, out, delivery, progress, stats)
    except BrokenPipeError:
        # The reader went away (`vtrack replay ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 1
    except VtrackError as exc:  # a strict replay's bad line, an unreadable log, ...
        print(f"vtrack replay: {exc}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        # Stop reading, but deliver (or keep) what was already handed to the sink.
        print("vtrack replay: interrupted", file=sys.stderr)
        status = 130
    except OSError as exc:
        print(f"vtrack replay: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        status = 2
    finally:
        status = _close_out(out, target, status)
        elapsed = time.perf_counter() - began
        # Whatever happened above, what the sink took is delivered or kept.
        outcome = delivery.finish(progress.update if progress else None) if delivery else None
        if progress is not None:
            progress.stop()
    # A run stopped before it read anything (an empty file, a directory, a broken gzip file)
    # has nothing to sum up: its one-line error says it all.
    read_nothing = replay.stats.callbacks == 0 and replay.bad_line_count == 0
    if replay.stats.ended_early:
        print(
            f"vtrack replay: warning: {replay.stats.ended_early:,} sessions were ended early at "
            f"their last record to keep at most {args.max_open_sessions:,} open "
            "(--max-open-sessions); a later record of one started its next session",
            file=sys.stderr,
        )
    if not args.quiet and not (status == 2 and read_nothing and outcome is None):
        _summary(replay, elapsed, outcome)
    if stats is not None:
        stats.print(to_stderr=target == "-")
    return _final_status(status, outcome, replay.bad_line_count)


def _start(
    args: argparse.Namespace, target: str | None
) -> tuple[ReplayRun, cli_delivery.Delivery | None, IO[bytes] | None] | None:
    """The replay, its delivery and its output; None (reported) when one cannot start."""
    delivery: cli_delivery.Delivery | None = None
    try:
        replay = ReplayRun(
            args.logs,
            cli_options.settings_from(args),
            keep_open=args.keep_open,
            strict=args.strict,
            on_bad_line=_report_bad_line,
            dialect=args.dialect,
            schema=args.schema,
            min_stall=args.min_stall,
            max_line_bytes=args.max_line_bytes,
            max_open_sessions=args.max_open_sessions,
        )
        if args.sink is not None:
            delivery = cli_delivery.Delivery(args)
        if target == "-":
            return replay, delivery, sys.stdout.buffer
        if target is not None:
            return replay, delivery, open(target, "wb")
    except (ValueError, cli_delivery.SetupError) as exc:
        print(f"vtrack replay: {exc}", file=sys.stderr)
        return None
    except OSError as exc:
        print(f"vtrack replay: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return None
    return replay, delivery, None


def _final_status(status: int, outcome: cli_delivery.Outcome | None, bad_lines: int) -> int:
    """The exit status: a stop (2) or interrupt (130) before 3 (not delivered), 3 before 1."""
    if outcome is not None:
        if outcome.interrupted and status == 0:
            status = 130
        if not outcome.complete:
            print(
                f"vtrack replay: not everything was delivered: {outcome.where()}", file=sys.stderr
            )
            if status == 0:
                status = 3
    if status == 0 and bad_lines:
        status = 1
    return status


def _close_out(out: IO[bytes] | None, target: str | None, status: int) -> int:
    """Flush and close the output; a failure to write is reported (status 2)."""
    if out is None:
        return status
    try:
        out.flush()
        if target != "-":
            out.close()
    except OSError as exc:
        print(f"vtrack replay: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return status or 2
    return status


def _number_type(
    parse: type[int] | type[float], low: float, high: float, what: str
) -> Callable[[str], Any]:
    """An argparse type: ``parse`` of the text, from ``low`` to ``high``, else ``what``."""

    def check(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what}; got {text!r}")
        return value

    return check


#: --max-open-sessions, --max-line-bytes and --min-stall.
_at_least_one = _number_type(int, 1, math.inf, "a whole number of sessions, at least 1")
_line_cap = _number_type(int, 64, math.inf, "a whole number of bytes, at least 64")
_seconds = _number_type(float, 0, 60, "a number of seconds from 0 to 60")


def _check_paths(logs: list[str], out: str | None) -> str | None:
    """Why the command cannot start with these files, if it cannot."""
    for path in logs:
        if path != "-" and not os.path.exists(path):
            return f"{path}: no such file"
    if out is None or out == "-":
        return None
    if os.path.isdir(out):
        return f"--out {out}: is a directory"
    for path in logs:
        if path != "-" and os.path.exists(out) and os.path.samefile(path, out):
            return f"--out {out} is also a log to read: it would be emptied before it is read"
    return None


def _report_bad_line(where: Where, reason: str) -> None:
    print(f"{where[0]}:{where[1]}: {reason}", file=sys.stderr)


def _write(
    replay: ReplayRun,
    out: IO[bytes] | None,
    delivery: cli_delivery.Delivery | None,
    progress: _Progress | None,
    stats: cli_stats.ReplayStats | None = None,
) -> None:
    # Compact, keys in order, UTF-8: the same messages always give the same bytes.
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    write = out.write if out is not None else None
    take = delivery.take if delivery is not None else None
    count_in = stats.take if stats is not None else None
    for count, message in enumerate(replay):
        if write is not None:
            write(dumps(message, option=newline))
        if take is not None:
            take(message)
        if count_in is not None:
            count_in(message)
        if progress is not None and count % 64 == 0:
            progress.update()


class _Progress:
    """A progress bar on stderr (a person watches): log bytes read, and messages delivered."""

    def __init__(self, replay: ReplayRun, delivery: cli_delivery.Delivery | None) -> None:
        from rich.progress import Progress

        self.replay, self.delivery = replay, delivery
        self.shown = 0.0
        self.bar = Progress(transient=True, console=_stderr_console())
        self.bar.start()
        self.reading = self.bar.add_task("replaying", total=_total_bytes(replay.inputs))
        self.sending = self.bar.add_task("delivered", total=None) if delivery else None

    def update(self) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1:
            return
        self.shown = now
        self.bar.update(self.reading, completed=self.replay.bytes_read)
        if self.delivery is not None and self.sending is not None:
            delivered, emitted = self.delivery.progress()
            self.bar.update(self.sending, completed=delivered, total=emitted)

    def stop(self) -> None:
        self.bar.stop()


def _total_bytes(inputs: list[Any]) -> float | None:
    """The size of the input, if it is all regular uncompressed files (progress is in bytes).

    Pipes and the like are not opened here: a byte read from them would be lost to the replay.
    """
    total = 0
    for path in inputs:
        try:
            if path == "-" or not stat.S_ISREG(os.stat(path).st_mode):
                return None
            with open(path, "rb") as stream:
                if stream.read(2) == b"\x1f\x8b":
                    return None
            total += os.path.getsize(path)
        except OSError:
            return None  # the replay reports it
    return float(total)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


class Summed(Protocol):
    """What the summary reads of a replay (a :class:`ReplayRun`, or the Spark tasks' totals)."""

    @property
    def stats(self) -> ReplayStats: ...
    @property
    def bad_line_count(self) -> int: ...
    @property
    def ignored_line_count(self) -> int: ...
    @property
    def bad_lines(self) -> list[tuple[Where, str]]: ...


def _summary(replay: Summed, elapsed: float, outcome: cli_delivery.Outcome | None = None) -> None:
    from rich.table import Table

    stats = replay.stats
    table = Table(title="vtrack replay", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rate = stats.callbacks / elapsed if elapsed > 0 else 0.0
    table.add_row("sessions", f"{stats.sessions:,}")
    table.add_row("callbacks", f"{stats.callbacks:,}")
    table.add_row("callbacks per second", f"{rate:,.0f}")
    table.add_row("events", f"{sum(stats.events.values()):,}")
    for name, count in sorted(stats.events.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(f"  {name}", f"{count:,}")
    table.add_row("sessions still open at the end", f"{stats.open_at_end:,}")
    if stats.ended_early:
        table.add_row("sessions ended early (--max-open-sessions)", f"{stats.ended_early:,}")
    table.add_row("callbacks absorbed (anomalies)", f"{stats.anomaly_count:,}")
    for reason, count in stats.anomalies.most_common(10):
        table.add_row(f"  {reason}", f"{count:,}")
    if replay.ignored_line_count:
        ignored = f"{replay.ignored_line_count:,}"
        table.add_row("lines ignored (the schema's ignore_events)", ignored)
    table.add_row("lines skipped", f"{replay.bad_line_count:,}")
    for (source, line), reason in replay.bad_lines[:10]:
        table.add_row(f"  {source}:{line}", reason if len(reason) < 60 else reason[:57] + "...")
    if outcome is not None:
        table.add_row("messages handed to the sink", f"{outcome.taken:,}")
        table.add_row("sent by the sink (with an outbox: and what it held)", f"{outcome.emitted:,}")
        table.add_row("  delivered", f"{outcome.delivered:,}")
        table.add_row("  sent again after a failure", f"{outcome.retried:,}")
        table.add_row("  refused by the endpoint (dead letters)", f"{outcome.dead:,}")
        table.add_row("  left in the outbox", f"{outcome.in_outbox:,}")
        table.add_row("written to the undelivered file", f"{outcome.in_file:,}")
        table.add_row("  of them not sendable (too large, not JSON)", f"{outcome.refused:,}")
    _stderr_console().print(table)
