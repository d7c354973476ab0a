"""A DataFrame of lines as the replay's input: what the executors run to number and key them.

The frame has a ``value`` column (the line: a string, or bytes as read) and, optionally, a
``source`` column (the name of the log the line came from; sources are replayed in name
order) and a ``line`` column (its number in that log). Without ``line``, the lines of each
source are numbered in the frame's order, from 1: a first pass counts each partition's lines
by source (a few numbers per partition reach the driver), a second gives each partition its
first number per source. Without ``source``, the frame is one log, :data:`ONE_SOURCE`.

Nothing here imports pyspark: plain functions over iterators, like :mod:`vtrack.spark.tasks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import orjson

from vtrack.replay.sources import LongLine
from vtrack.spark.tasks import Job, Keyed, session_of

#: The name of the log a frame without a ``source`` column is.
ONE_SOURCE: Final = "<dataframe>"
_BOM: Final = b"\xef\xbb\xbf"


def count_by_source(partition: int, rows: Iterable[Any]) -> Iterator[tuple[int, str, int]]:
    """``(partition, source, lines)`` for each source of one partition (rows: ``(value,
    source)``, or ``(value,)`` for one source)."""
    counts: dict[str, int] = {}
    for row in rows:
        source = row[1] if len(row) > 1 else ONE_SOURCE
        counts[source] = counts.get(source, 0) + 1
    for source, lines in counts.items():
        yield partition, source, lines


def first_numbers(counts: Iterable[tuple[int, str, int]]) -> dict[tuple[int, str], int]:
    """The number of each partition's first line of each source: lines counted in partition
    order, from 1."""
    starts: dict[tuple[int, str], int] = {}
    seen: dict[str, int] = {}
    for partition, source, lines in sorted(counts):
        starts[partition, source] = seen.get(source, 0) + 1
        seen[source] = seen.get(source, 0) + lines
    return starts


def key_rows(
    job: Job,
    starts: Mapping[tuple[int, str], int] | None,
    partition: int,
    rows: Iterable[Any],
) -> Iterator[Keyed]:
    """The frame's lines keyed as :func:`vtrack.spark.tasks.read_source` keys a file's.

    ``rows`` are ``(value, source, line)`` when ``starts`` is None (numbered already), else
    ``(value, source)`` or ``(value,)``. A null value is a blank line; a first line's
    byte-order mark is dropped and an overlong line stands as a :class:`LongLine`, as the
    file reader does.
    """
    mapper = None if job.schema is None else job.schema.mapper(job.dialect)
    loads = orjson.loads
    index_of = {name: index for index, name in enumerate(job.inputs)}
    numbers: dict[str, int] = {}
    cap = job.max_line_bytes
    for row in rows:
        value = row[0]
        source = row[1] if len(row) > 1 else ONE_SOURCE
        if starts is None:
            if row[2] is None:
                raise ValueError(f"{source}: a line whose 'line' number is null")
            number = int(row[2])
        else:
            number = numbers.get(source) or starts[partition, source]
            numbers[source] = number + 1
        if value is None:
            continue
        line = value.encode("utf-8", "surrogatepass") if type(value) is str else bytes(value)
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        index = index_of[source]
        if len(line) > cap:
            yield (None, index, number), LongLine(len(line))
        elif line.strip():
            yield (session_of(loads, mapper, line), index, number), line
