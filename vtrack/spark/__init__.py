"""Replaying player logs on Apache Spark: the messages ``vtrack replay`` makes, at cluster scale.

:func:`replay_spark` reads the logs on the executors, groups their lines by session
(repartitioned by session id), orders each partition's lines as the single-process replay
reads them (input order, then line order) and runs the single-process replay's own code over
each partition, streaming. ``pip install 'vtrack[spark]'`` installs pyspark; Spark needs a Java
runtime (17 or later). ``docs/spark.md`` says what is guaranteed and how bad lines are
reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, Final

import attrs

try:
    from pyspark import Accumulator, AccumulatorParam
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.functions import coalesce, col, lit
    from pyspark.sql.types import (
        BinaryType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
    )
except ImportError as exc:  # pragma: no cover - the spark extra is installed for the tests
    raise ImportError(
        f"vtrack.spark needs pyspark: pip install 'vtrack[spark]' ({exc})", name=exc.name
    ) from exc

from vtrack.core.errors import VtrackError
from vtrack.core.settings import Settings
from vtrack.replay.schema import LogSchema, load_schema
from vtrack.replay.sources import MAX_LINE_BYTES
from vtrack.spark.delivery import (
    DeliveryIncomplete,
    DeliveryTotals,
    SinkSpec,
    deliver_partition,
)
from vtrack.spark.frame_input import ONE_SOURCE, count_by_source, first_numbers, key_rows
from vtrack.spark.tasks import (
    BAD_LINE,
    MESSAGE,
    Job,
    Totals,
    line_order,
    partition_of,
    read_source,
    replay_partition,
)

__all__ = [
    "BAD_LINE_SCHEMA",
    "MESSAGE_SCHEMA",
    "DeliveryIncomplete",
    "DeliveryTotals",
    "SinkSpec",
    "SparkReplay",
    "Totals",
    "deliver_spark",
    "replay_error",
    "replay_spark",
    "replay_spark_frames",
]

#: The columns of the messages: ``message`` is the JSON line ``vtrack replay`` writes.
MESSAGE_SCHEMA: Final = StructType(
    [
        StructField("session", StringType()),
        StructField("messageId", StringType()),
        StructField("timestamp", StringType()),
        StructField("event", StringType()),
        StructField("user_id", StringType()),
        StructField("anonymous_id", StringType()),
        StructField("message", StringType()),
    ]
)
#: The columns of the bad lines: the input's index (its place among the inputs), its name, the
#: line, why it was skipped, and how many lines the report stands for (a session that never
#: named its viewer: all its records).
BAD_LINE_SCHEMA: Final = StructType(
    [
        StructField("input", IntegerType()),
        StructField("source", StringType()),
        StructField("line", LongType()),
        StructField("reason", StringType()),
        StructField("lines", LongType()),
    ]
)
_ROWS: Final = StructType(
    [StructField("kind", StringType()), *MESSAGE_SCHEMA.fields, *BAD_LINE_SCHEMA.fields]
)


class _TotalsParam(AccumulatorParam[Totals]):
    def zero(self, value: Totals) -> Totals:
        return Totals()

    def addInPlace(self, value1: Totals, value2: Totals) -> Totals:
        return value1.add(value2)


class _DeliveryTotalsParam(AccumulatorParam[DeliveryTotals]):
    def zero(self, value: DeliveryTotals) -> DeliveryTotals:
        return DeliveryTotals()

    def addInPlace(self, value1: DeliveryTotals, value2: DeliveryTotals) -> DeliveryTotals:
        return value1.add(value2)


@attrs.frozen
class SparkReplay:
    """One replay's outputs, both made by one computation (each action runs it again).

    ``messages`` (:data:`MESSAGE_SCHEMA`): within a partition, each session's messages come
    in the order ``vtrack replay`` gives them. ``bad_lines`` (:data:`BAD_LINE_SCHEMA`): every
    line skipped, as ``source:line: reason``. ``totals``: what the replay did, summed by the
    tasks that ran (read it after one action: each action adds to it).
    """

    messages: DataFrame
    bad_lines: DataFrame
    totals: Accumulator[Totals]


def replay_spark(
    spark: SparkSession,
    inputs: Iterable[str | os.PathLike[str]] | DataFrame,
    *,
    settings: Settings | None = None,
    dialect: str | None = None,
    schema: LogSchema | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    strict: bool = False,
    keep_open: bool = False,
    min_stall: float | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    partitions: int | None = None,
) -> DataFrame:
    """The messages of a replay of ``inputs`` on Spark: one row per message.

    The same as ``vtrack replay`` on the same logs (paths every executor can read, ``.gz``
    or not): the same set of messages, byte for byte in the ``message`` column, and each
    session's messages in the same order within its partition. Bad lines are skipped: to see
    them use :func:`replay_spark_frames` (the same replay, with its bad lines), or
    ``strict=True`` (the job fails at the first bad line of a partition, naming it; see
    :func:`replay_error`). ``partitions``: how many partitions the sessions are spread over
    (default: the context's default parallelism). The other options are ``vtrack replay``'s.

    ``inputs`` may be a DataFrame of lines instead (``spark.read.text(...)`` of any path Spark
    reads, object stores included): a ``value`` column (strings or bytes), optionally
    ``source`` (the log's name: sources are replayed in name order) and ``line`` (its number
    there; without it, each source's lines are numbered in the frame's order, which costs a
    first pass over the frame). See :mod:`vtrack.spark.frame_input`.
    """
    return replay_spark_frames(
        spark,
        inputs,
        settings=settings,
        dialect=dialect,
        schema=schema,
        strict=strict,
        keep_open=keep_open,
        min_stall=min_stall,
        max_line_bytes=max_line_bytes,
        partitions=partitions,
    ).messages


def replay_spark_frames(
    spark: SparkSession,
    inputs: Iterable[str | os.PathLike[str]] | DataFrame,
    *,
    settings: Settings | None = None,
    dialect: str | None = None,
    schema: LogSchema | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    strict: bool = False,
    keep_open: bool = False,
    min_stall: float | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    partitions: int | None = None,
) -> SparkReplay:
    """:func:`replay_spark`, with its side output: the bad lines, and the totals."""
    if partitions is not None and (type(partitions) is not int or partitions < 1):
        raise ValueError(f"partitions must be a whole number >= 1; got {partitions!r}")
    job = Job(
        (ONE_SOURCE,),  # the inputs' names come below: the options are checked first
        settings if settings is not None else Settings(),
        paths=(ONE_SOURCE,),
        dialect=dialect or "vtrack",
        schema=None if schema is None else load_schema(schema),
        strict=strict,
        keep_open=keep_open,
        min_stall=min_stall,
        max_line_bytes=max_line_bytes,
    )
    job.run()  # the options are checked here, before any task runs
    context = spark.sparkContext
    if isinstance(inputs, DataFrame):
        job, keyed = _frame_lines(inputs, job)
    else:
        paths = list(inputs)
        if any(os.fspath(path) == "-" for path in paths):
            raise ValueError("the Spark replay reads files: standard input (-) cannot be read")
        job = attrs.evolve(
            job,
            inputs=tuple(os.fspath(path) for path in paths),
            paths=tuple(os.path.abspath(path) for path in paths),
        )
        keyed = context.parallelize(range(len(paths)), max(1, len(paths))).flatMap(
            partial(read_source, job)
        )
    totals = context.accumulator(Totals(), _TotalsParam())
    ordered = keyed.repartitionAndSortWithinPartitions(
        partitions or context.defaultParallelism, partition_of, True, line_order
    )
    rows = ordered.mapPartitions(partial(replay_partition, job, totals=totals))
    frame = spark.createDataFrame(rows, _ROWS, verifySchema=False)
    return SparkReplay(
        messages=frame.where(col("kind") == MESSAGE).select(MESSAGE_SCHEMA.names),
        bad_lines=frame.where(col("kind") == BAD_LINE).select(BAD_LINE_SCHEMA.names),
        totals=totals,
    )


def _frame_lines(lines: DataFrame, job: Job) -> tuple[Job, Any]:
    """The job for a DataFrame of lines (its sources are the inputs, in name order) and its
    lines keyed (see :mod:`vtrack.spark.frame_input`)."""
    types = {field.name: field.dataType for field in lines.schema.fields}
    wanted = {
        "value": (StringType, BinaryType),
        "source": (StringType,),
        "line": (IntegerType, LongType),
    }
    for name, allowed in wanted.items():
        if (name == "value" or name in types) and not isinstance(types.get(name), allowed):
            raise ValueError(
                f"a DataFrame of lines needs a 'value' column of strings or bytes (as "
                f"spark.read.text gives), and may have 'source' (strings) and 'line' "
                f"(integers); its columns are {lines.schema.simpleString()}"
            )
    if "line" in types and "source" not in types:
        raise ValueError("a DataFrame of lines with a 'line' column needs a 'source' column")
    picked = [col("value")]
    if "source" in types:
        picked.append(coalesce(col("source"), lit(ONE_SOURCE)).alias("source"))
    if "line" in types:
        picked.append(col("line"))
    rdd = lines.select(*picked).rdd
    if "line" in types:
        starts = None
        sources = sorted(row[0] for row in lines.select(picked[1]).distinct().collect())
    else:
        counts = rdd.mapPartitionsWithIndex(count_by_source).collect()
        starts = first_numbers(counts)
        sources = sorted({source for _, source, _ in counts})
    names = tuple(sources) or (ONE_SOURCE,)
    job = attrs.evolve(job, inputs=names, paths=names)
    return job, rdd.mapPartitionsWithIndex(partial(key_rows, job, starts))


def deliver_spark(
    messages: DataFrame, spec: SinkSpec, *, column: str = "message"
) -> DeliveryTotals:
    """Deliver ``messages`` (a frame whose ``column`` holds each message's JSON, as
    :func:`replay_spark` gives it) from the executors, each partition through its own sink.

    A partition whose sink does not deliver everything within ``spec.deliver_timeout`` fails
    its task; Spark runs it again, re-sending the same messageIds (a destination that drops
    repeats keeps one of each), and fails the job once the task has failed
    ``spark.task.maxFailures`` times (:func:`replay_error` reads its reason). Each action runs
    the frame's computation again: persist a replay's messages first if they are also written.
    """
    totals = messages.sparkSession.sparkContext.accumulator(
        DeliveryTotals(), _DeliveryTotalsParam()
    )
    lines = messages.select(column).rdd
    lines.foreachPartition(partial(deliver_partition, spec.make, spec.deliver_timeout, totals))
    return totals.value


_VTRACK_ERROR: Final = re.compile(
    r"^vtrack\.[\w.]+\.(?:ReplayError|SourceError|DeliveryIncomplete): (.+)$", re.M
)


def replay_error(error: BaseException) -> VtrackError | None:
    """The replay's own error a failed Spark job carries (a strict replay's bad line, a log
    that cannot be read), or None: its message is ``vtrack replay``'s one line."""
    found = _VTRACK_ERROR.search(str(error))
    return VtrackError(found.group(1)) if found is not None else None
