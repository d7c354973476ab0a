"""``vtrack replay --engine spark``: the same replay on Apache Spark, written as part files.

The messages go to ``--out DIR`` through Spark's writers (JSON Lines, or Parquet with
``--out-format parquet``); the bad lines, as ``FILE:LINE: reason``, to ``DIR.bad-lines.txt``
next to it; the summary is the single-process replay's, from the tasks' totals. With
``--sink``, the executors deliver the messages too, each partition through its own sink (see
:mod:`vtrack.spark.delivery`), from the messages as written (persisted: replayed once).
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import time
from typing import Any

from vtrack.cli import options as cli_options
from vtrack.core.errors import VtrackError
from vtrack.replay.engine import Where
from vtrack.replay.replay_stats import ReplayStats

#: Spark's logging for the command: errors only (the command says what failed, in one line).
LOG4J = os.path.join(os.path.dirname(os.path.dirname(__file__)), "spark", "log4j2.properties")
#: What the command says when pyspark is missing.
INSTALL_HINT = "--engine spark needs pyspark: pip install 'vtrack[spark]' (and Java 17 or later)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine``, ``--spark-master`` and ``--out-format``."""
    parser.add_argument(
        "--engine",
        choices=("python", "spark"),
        default="python",
        help="python: this process (default); spark: Apache Spark, sessions spread over its "
        "executors, the messages written as part files to --out DIR (see docs/spark.md)",
    )
    parser.add_argument(
        "--spark-master",
        default=None,
        metavar="URL",
        help="with --engine spark: the cluster to run on (spark://HOST:7077, yarn, ...; "
        "default local[*]: this machine's cores)",
    )
    parser.add_argument(
        "--out-format",
        choices=("jsonl", "parquet"),
        default=None,
        help="with --engine spark: the part files' format (default jsonl: the JSON lines "
        "vtrack replay writes; parquet: one row per message, its columns and the line)",
    )


def bad_lines_path(out: str) -> str:
    """Where the bad lines of a replay written to ``out`` go: next to it."""
    return os.path.normpath(out) + ".bad-lines.txt"


def refusal(args: argparse.Namespace) -> str | None:
    """Why the command cannot run with these options, if it cannot (checked before Spark)."""
    if args.engine != "spark":
        if args.spark_master is not None or args.out_format is not None:
            return "--spark-master and --out-format go with --engine spark"
        return None
    out = args.out
    if out is None or out == "-":
        return "--engine spark writes a directory of part files: give --out DIR (a new one)"
    if os.path.exists(out) and not os.path.isdir(out):
        return f"--out {out}: is a file; --engine spark writes a directory of part files"
    if os.path.isdir(out) and os.listdir(out):
        return f"--out {out}: the directory exists and is not empty; give a new one"
    if os.path.exists(bad_lines_path(out)):
        return f"{bad_lines_path(out)} exists (an earlier run's bad lines?): move it away"
    for path in args.logs:
        if path == "-":
            return "--engine spark reads files: standard input (-) cannot be read"
        if not os.path.exists(path):
            return f"{path}: no such file"
    if args.sink is not None and args.spool is not None:
        return (
            "--spool is not available with --engine spark: a partition whose delivery fails "
            "is run again by Spark, with the same messageIds"
        )
    if args.max_open_sessions is not None:
        return "--max-open-sessions is not available with --engine spark"
    if getattr(args, "stats", False):
        return "--stats is not available with --engine spark: run vtrack stats on the part files"
    return None


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack replay --engine spark``; returns the exit status."""
    problem = refusal(args)
    if problem:
        print(f"vtrack replay: {problem}", file=sys.stderr)
        return 2
    try:
        from pyspark.sql import SparkSession

        import vtrack.spark as vspark
    except ImportError:
        print(f"vtrack replay: {INSTALL_HINT}", file=sys.stderr)
        return 2
    spec = None
    if args.sink is not None:
        try:
            spec = _sink_spec(vspark, args)
        except (ValueError, VtrackError) as exc:
            print(f"vtrack replay: {exc}", file=sys.stderr)
            return 2
    started = _start(SparkSession, args.spark_master)
    if started is None:
        return 2
    spark, ours = started
    try:
        return _replay(vspark, spark, args, spec)
    finally:
        if ours:
            spark.stop()


def _sink_spec(vspark: Any, args: argparse.Namespace) -> Any:
    """The executors' sink, from the delivery options (checked here, before Spark starts)."""
    from vtrack.cli import delivery as cli_delivery

    cli_delivery.check_setup(args)
    return vspark.SinkSpec(
        args.sink,
        cli_delivery.write_key(args),
        url=args.url,
        region=args.region,
        deliver_timeout=args.deliver_timeout,
    )


def _start(session_class: Any, master: str | None) -> tuple[Any, bool] | None:
    """The Spark session (and whether this command started it), or None (reported)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the executors run vtrack
    active = session_class.getActiveSession()
    if active is not None:
        return active, False
    builder = (
        session_class.builder.master(master or "local[*]")
        .appName("vtrack replay")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if not os.environ.get("SPARK_CONF_DIR"):  # a cluster's own logging set-up wins
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J}"
        )
    if (master or "local").startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no warning about the host name
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # pyspark says little more than that the JVM did not start
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"vtrack replay: cannot start Spark ({master or 'local[*]'}): {first} "
            "(Spark needs a Java runtime, 17 or later)",
            file=sys.stderr,
        )
        return None
    spark.sparkContext.setLogLevel("OFF")  # failures are reported here, in one line
    return spark, True


def _replay(vspark: Any, spark: Any, args: argparse.Namespace, spec: Any) -> int:
    began = time.perf_counter()
    messages = None
    try:
        frames = vspark.replay_spark_frames(
            spark,
            args.logs,
            settings=cli_options.settings_from(args),
            dialect=args.dialect,
            schema=args.schema,
            strict=args.strict,
            keep_open=args.keep_open,
            min_stall=args.min_stall,
            max_line_bytes=args.max_line_bytes,
        )
        messages = frames.messages
        if spec is not None:  # written, then delivered: replayed once
            from pyspark import StorageLevel

            messages = messages.persist(StorageLevel.MEMORY_AND_DISK)
        if args.out_format == "parquet":
            messages.write.mode("overwrite").parquet(args.out)
        else:
            messages.select("message").write.mode("overwrite").text(args.out)
        # A copy, taken before the bad lines are written: that job adds to the accumulator.
        totals = copy.deepcopy(frames.totals.value)
        if totals.bad_line_count:
            _write_bad_lines(frames.bad_lines, args.out)
        outcome = None if spec is None else _deliver(vspark, messages, spec, args.out)
        undelivered = spec is not None and outcome is None
    except (ValueError, VtrackError) as exc:
        print(f"vtrack replay: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vtrack replay: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the job failed: a strict replay's bad line, an unreadable log
        print(f"vtrack replay: {_job_failure(vspark, exc)}", file=sys.stderr)
        return 2
    finally:
        if spec is not None and messages is not None:
            messages.unpersist()
    return _report(args, totals, outcome, undelivered, time.perf_counter() - began)


def _deliver(vspark: Any, messages: Any, spec: Any, out: str) -> Any:
    """Deliver the written messages from the executors: what was delivered, or None when
    the job gave up (said here; every message is in the part files)."""
    from vtrack.cli.delivery import Outcome

    try:
        delivered = vspark.deliver_spark(messages, spec)
    except Exception as exc:
        print(
            f"vtrack replay: the delivery failed: {_job_failure(vspark, exc)}; every message "
            f"is in {out}",
            file=sys.stderr,
        )
        return None
    return Outcome(
        taken=delivered.messages,
        emitted=delivered.messages,
        delivered=delivered.delivered,
        retried=delivered.retried,
    )


def _job_failure(vspark: Any, exc: BaseException) -> str:
    """What a failed Spark job says, in one line: vtrack's own reason when it carries one."""
    error = vspark.replay_error(exc)
    return str(error) if error is not None else _first_line(exc)


def _report(
    args: argparse.Namespace, totals: Any, outcome: Any, undelivered: bool, elapsed: float
) -> int:
    """The summary and the exit status: 3 if the delivery failed, else 1 if lines were
    skipped, else 0."""
    if totals.bad_line_count:
        count = totals.bad_line_count
        print(
            f"vtrack replay: {count:,} {'line' if count == 1 else 'lines'} skipped, each "
            f"reported in {bad_lines_path(args.out)}",
            file=sys.stderr,
        )
    if not args.quiet:
        from vtrack.cli.replay import _summary

        _summary(_Summed(totals), elapsed, outcome)
    if undelivered:
        return 3
    return 1 if totals.bad_line_count else 0


def _write_bad_lines(bad_lines: Any, out: str) -> None:
    """Every bad line, in input and line order, as FILE:LINE: reason, to one file next to out."""
    from pyspark.sql.functions import col, concat, lit

    staging = os.path.normpath(out) + ".bad-lines.parts"
    text = concat(col("source"), lit(":"), col("line").cast("string"), lit(": "), col("reason"))
    (
        bad_lines.repartition(1)
        .sortWithinPartitions("input", "line")
        .select(text.alias("value"))
        .write.mode("overwrite")
        .text(staging)
    )
    parts = sorted(name for name in os.listdir(staging) if name.startswith("part-"))
    with open(bad_lines_path(out), "wb") as target:
        for name in parts:
            with open(os.path.join(staging, name), "rb") as part:
                shutil.copyfileobj(part, target)
    shutil.rmtree(staging)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"the Spark job failed: {lines[0] if lines else type(exc).__name__}"


class _Summed:
    """The tasks' totals, shaped as the single-process replay's summary reads a run."""

    def __init__(self, totals: Any) -> None:
        self.stats = ReplayStats(
            sessions=totals.sessions,
            callbacks=totals.callbacks,
            events=totals.events,
            anomalies=totals.anomalies,
            open_at_end=totals.open_at_end,
        )
        self.bad_line_count: int = totals.bad_line_count
        self.ignored_line_count: int = totals.ignored_line_count
        self.bad_lines: list[tuple[Where, str]] = [
            ((source, line), reason) for (_, line), source, reason in totals.bad_lines
        ]
