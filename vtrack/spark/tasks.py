"""What the Spark executors run: reading sources, keying lines by session, replaying partitions.

Nothing here imports pyspark: these are plain functions over iterators, pickled by reference
(``vtrack`` must be importable where the executors run), and the replay itself is
:meth:`vtrack.replay.run.ReplayRun.replay_lines`, the single-process replay's own code.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs
import orjson

from vtrack.core.settings import Settings
from vtrack.replay.engine import Where
from vtrack.replay.log_format import DEFAULT_SESSION
from vtrack.replay.run import KEPT_BAD_LINES, ReplayRun
from vtrack.replay.schema import LogSchema, Mapper
from vtrack.replay.sources import MAX_LINE_BYTES, LongLine, SourceError, read_lines, source_name

#: A line on its way to its partition: ``((session or None, input index, line number), line)``.
Keyed = tuple[tuple[str | None, int, int], bytes | LongLine]

#: The kinds of output row.
MESSAGE: Final = "message"
BAD_LINE: Final = "bad line"

#: One output row: ``(kind, session, messageId, timestamp, event, user_id, anonymous_id,
#: message, input, source, line, reason, lines)``; a message leaves the last five None, a bad
#: line the seven after ``kind``.
Row = tuple[Any, ...]


@attrs.frozen
class Job:
    """What every task of one Spark replay needs to know (pickled to the executors)."""

    #: The inputs as given (messages name them so), and where the executors read them.
    inputs: tuple[str, ...]
    settings: Settings
    paths: tuple[str, ...]
    dialect: str = "vtrack"
    schema: LogSchema | None = None
    strict: bool = False
    keep_open: bool = False
    min_stall: float | None = None
    max_line_bytes: int = MAX_LINE_BYTES

    @property
    def names(self) -> tuple[str, ...]:
        """How messages name each input (as ``vtrack replay`` names them)."""
        return tuple(source_name(path) for path in self.inputs)

    def run(self, on_bad_line: Any = None) -> ReplayRun:
        """A :class:`ReplayRun` set up as ``vtrack replay`` would be for these inputs."""
        return ReplayRun(
            self.names,
            self.settings,
            keep_open=self.keep_open,
            strict=self.strict,
            on_bad_line=on_bad_line,
            dialect=self.dialect,
            schema=self.schema,
            min_stall=self.min_stall,
            max_line_bytes=self.max_line_bytes,
        )


def read_source(job: Job, index: int) -> Iterator[Keyed]:
    """Every line of input ``index`` but blank ones, keyed by its session, input and number."""
    mapper = None if job.schema is None else job.schema.mapper(job.dialect)
    loads = orjson.loads
    path, name = job.paths[index], source_name(job.inputs[index])
    try:
        for number, line in read_lines(path, job.max_line_bytes):
            if type(line) is bytes:
                if not line.strip():
                    continue  # the replay skips it: it need not travel
                yield (session_of(loads, mapper, line), index, number), line
            else:
                yield (None, index, number), line
    except SourceError as exc:  # named as the inputs were given, as vtrack replay names them
        message = str(exc)
        raise SourceError(
            name + message[len(path) :] if message.startswith(path) else message
        ) from None


def session_of(loads: Any, mapper: Mapper | None, line: bytes) -> str | None:
    """The session a line belongs to, as the replay will read it; None for a line that is bad
    whatever came before it (not JSON, no object, no usable session: any partition reports it).
    """
    try:
        obj = loads(line)
        if mapper is not None:
            obj = mapper(obj)
    except ValueError:  # orjson's JSONDecodeError, and BadRecord, are ValueErrors
        return None
    if type(obj) is not dict:
        return None
    session = obj.get("session", DEFAULT_SESSION)
    return session if type(session) is str and session else None


def partition_of(key: tuple[str | None, int, int]) -> int:
    """Where a keyed line goes: by its session (the same on every machine and run)."""
    session, index, number = key
    if session is None:
        return (index * 1_000_003 + number) & 0x7FFFFFFF
    return zlib.crc32(session.encode("utf-8", "surrogatepass"))


def line_order(key: tuple[str | None, int, int]) -> tuple[int, int]:
    """The order lines are replayed in: input order, then line order."""
    return key[1], key[2]


@attrs.define
class Totals:
    """What a replay did, summed over partitions (the CLI's summary)."""

    sessions: int = 0
    callbacks: int = 0
    events: Counter[str] = attrs.field(factory=Counter)
    anomalies: Counter[str] = attrs.field(factory=Counter)
    open_at_end: int = 0
    bad_line_count: int = 0
    ignored_line_count: int = 0
    #: The first bad lines in input order: ``((input, line), source, reason)``.
    bad_lines: list[tuple[tuple[int, int], str, str]] = attrs.field(factory=list)

    def add(self, other: Totals) -> Totals:
        """Both totals summed (the first :data:`KEPT_BAD_LINES` bad lines kept)."""
        self.sessions += other.sessions
        self.callbacks += other.callbacks
        self.events.update(other.events)
        self.anomalies.update(other.anomalies)
        self.open_at_end += other.open_at_end
        self.bad_line_count += other.bad_line_count
        self.ignored_line_count += other.ignored_line_count
        self.bad_lines = sorted(self.bad_lines + other.bad_lines)[:KEPT_BAD_LINES]
        return self

    @property
    def anomaly_count(self) -> int:
        """How many callbacks were absorbed."""
        return sum(self.anomalies.values())


def replay_partition(job: Job, lines: Iterable[Keyed], totals: Any = None) -> Iterator[Row]:
    """The rows of one partition: its lines, in input and line order, through one replay.

    Messages and bad lines come as the replay makes them; memory holds the sessions open at
    once. ``totals`` (an accumulator, or None) is given this partition's :class:`Totals`.
    """
    names = job.names
    index_of = {name: index for index, name in reversed(list(enumerate(names)))}
    pending: list[tuple[Where, str, int]] = []
    counted = [0]

    def on_bad_line(where: Where, reason: str) -> None:
        # A session that never named its viewer is one report for all its lines.
        pending.append((where, reason, run.bad_line_count - counted[0]))
        counted[0] = run.bad_line_count

    run = job.run(on_bad_line)
    dumps = orjson.dumps
    numbered = ((names[key[1]], key[2], line) for key, line in lines)
    for message in run.replay_lines(numbered):
        if pending:
            yield from _bad_rows(pending, index_of)
        yield _message_row(message, dumps(message).decode())
    if pending:
        yield from _bad_rows(pending, index_of)
    if totals is not None:
        totals.add(_totals(run, index_of))


def _message_row(message: dict[str, Any], line: str) -> Row:
    properties = message.get("properties")
    session = properties.get("session_id") if type(properties) is dict else None
    return (
        MESSAGE,
        session,
        message.get("messageId"),
        message.get("timestamp"),
        message.get("event"),
        message.get("userId"),
        message.get("anonymousId"),
        line,
        None,
        None,
        None,
        None,
        None,
    )


def _bad_rows(pending: list[tuple[Where, str, int]], index_of: dict[str, int]) -> Iterator[Row]:
    nothing = (BAD_LINE, None, None, None, None, None, None, None)
    for (source, line), reason, count in pending:
        yield (*nothing, index_of.get(source, len(index_of)), source, line, reason, count)
    pending.clear()


def _totals(run: ReplayRun, index_of: dict[str, int]) -> Totals:
    stats = run.stats
    kept = [
        ((index_of.get(source, len(index_of)), line), source, reason)
        for (source, line), reason in run.bad_lines
    ]
    return Totals(
        sessions=stats.sessions,
        callbacks=stats.callbacks,
        events=Counter(stats.events),
        anomalies=Counter(stats.anomalies),
        open_at_end=stats.open_at_end,
        bad_line_count=run.bad_line_count,
        ignored_line_count=run.ignored_line_count,
        bad_lines=sorted(kept),
    )
