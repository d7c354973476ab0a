"""Replaying logs: files in, messages out, every bad line reported with its file and line."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import groupby
from operator import itemgetter
from typing import Any, Final

import orjson

from vtrack.core.settings import Settings
from vtrack.players.base import MIN_STALL
from vtrack.replay.dialects import DialectReader, guess_dialect
from vtrack.replay.engine import Replayer, ReplayError, Where
from vtrack.replay.log_format import DEFAULT_SESSION, BadRecord, Record
from vtrack.replay.replay_stats import ReplayStats
from vtrack.replay.schema import LogSchema, Mapper, load_schema
from vtrack.replay.sources import MAX_LINE_BYTES, LongLine, SourceError, read_lines, source_name

#: Called with ``(where, reason)`` for each line skipped.
BadLineHandler = Callable[[Where, str], None]

#: How many skipped lines a run keeps for its summary (all are counted and reported).
KEPT_BAD_LINES: Final = 1000
#: A source whose first this many lines are all bad is no log: the run stops, saying so once.
NOT_A_LOG_LINES: Final = 20


class _Opening:
    """The bad lines at the start of one source, held until it shows a good line."""

    __slots__ = ("held", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        #: None once the source showed a good line.
        self.held: list[tuple[Where, str]] | None = []


class ReplayRun:
    """An iterable of the messages a replay makes, with its counts.

    Iterate once. :attr:`stats` and :attr:`bad_lines` fill in as it goes and are complete
    when the iteration ends. Without ``strict``, a bad line is skipped, counted, handed to
    ``on_bad_line`` and kept (the first :data:`KEPT_BAD_LINES`) in :attr:`bad_lines`; with it,
    the first one raises :class:`~vtrack.replay.engine.ReplayError` and nothing after it is
    made. Sources that cannot be read raise :class:`~vtrack.replay.sources.SourceError`.
    """

    def __init__(
        self,
        inputs: Iterable[str | os.PathLike[str]],
        settings: Settings,
        *,
        keep_open: bool = False,
        strict: bool = False,
        on_bad_line: BadLineHandler | None = None,
        dialect: str = "vtrack",
        schema: LogSchema | Mapping[str, Any] | str | os.PathLike[str] | None = None,
        min_stall: float | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_open_sessions: int | None = None,
    ) -> None:
        self.inputs = list(inputs)
        if (
            isinstance(max_line_bytes, bool)
            or not isinstance(max_line_bytes, int)
            or (max_line_bytes < 64)
        ):
            raise ValueError(
                f"max_line_bytes must be a whole number of bytes >= 64; got {max_line_bytes!r}"
            )
        self.max_line_bytes = max_line_bytes
        if min_stall is not None and dialect == "vtrack":
            raise ValueError(
                "min_stall applies to players' raw logs (a dialect: html5, mpv, vlc); the "
                "vtrack format's waiting records are taken as they are"
            )
        #: Reads a player's raw log (None for the vtrack format).
        self.reader = (
            None
            if dialect == "vtrack"
            else DialectReader(dialect, min_stall=MIN_STALL if min_stall is None else min_stall)
        )
        #: Maps the log's own names onto the dialect's (None: the log uses the dialect's).
        self.mapper: Mapper | None = None if schema is None else load_schema(schema).mapper(dialect)
        if not self.inputs:
            raise ValueError("nothing to replay: give at least one log (or - for stdin)")
        if sum(os.fspath(path) == "-" for path in self.inputs) > 1:
            raise ValueError("standard input (-) can be read only once")
        self.replayer = Replayer(
            settings, keep_open=keep_open, strict=strict, max_open_sessions=max_open_sessions
        )
        self.strict = strict
        self.on_bad_line = on_bad_line
        self.bad_lines: list[tuple[Where, str]] = []
        #: Lines skipped (a session given up for want of a viewer counts all its lines).
        self.bad_line_count = 0
        self._unnamed_reported = 0
        #: Where each open session of a raw player log was last read (dialects only).
        self._last_where: dict[str, Where] = {}
        #: Lines skipped on purpose: their event is one of the schema's ``ignore_events``.
        self.ignored_line_count = 0
        #: Bytes read so far (for progress reports).
        self.bytes_read = 0

    @property
    def stats(self) -> ReplayStats:
        """What the replay did so far."""
        return self.replayer.stats

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for path in self.inputs:
            opening = _Opening(source_name(path))
            yield from self._source(opening, read_lines(path, self.max_line_bytes))
            self._good_line(opening)  # a short run of bad lines only: reported as they are
        yield from self._end()

    def replay_lines(
        self, lines: Iterable[tuple[str, int, bytes | LongLine]]
    ) -> Iterator[dict[str, Any]]:
        """The messages of lines read already: ``(source name, line number, line)`` in order.

        Iterate this instead of the run itself (once), for lines another reader read (the
        Spark replay gives each partition its sessions' lines, in input and line order). They
        are replayed exactly as the run replays its inputs' lines, but for one thing: a bad
        line at the start of a source is reported at once (a run that sees only some of a
        source's lines cannot tell a source that is no log).
        """
        for name, group in groupby(lines, key=itemgetter(0)):
            opening = _Opening(name)
            opening.held = None
            yield from self._source(opening, ((number, line) for _, number, line in group))
        yield from self._end()

    def _source(
        self, opening: _Opening, numbered: Iterable[tuple[int, bytes | LongLine]]
    ) -> Iterator[dict[str, Any]]:
        """The messages of one source's lines, ``(line number, line)``."""
        feed = self.replayer.feed_object
        reader, mapper = self.reader, self.mapper
        loads = orjson.loads  # a tenth of json.loads' time on log lines, and strict JSON
        for number, line in numbered:
            where = (opening.name, number)
            if type(line) is LongLine:
                self.bytes_read += line.size
                reason = (
                    f"a line of {line.size:,} bytes, longer than the cap of "
                    f"{self.max_line_bytes:,} (max_line_bytes): skipped"
                )
                self._bad_line(opening, where, reason, None)
                continue
            assert type(line) is bytes
            self.bytes_read += len(line)
            try:
                obj = loads(line)
            except orjson.JSONDecodeError as exc:
                if not line.strip():
                    continue  # a blank line holds nothing
                self._bad_line(opening, where, _not_json(line, exc), None)
                continue
            if mapper is not None:
                try:
                    obj = mapper(obj)
                except BadRecord as exc:
                    self._bad_line(opening, where, f"schema: {exc}", None)
                    continue
                if obj is None:
                    self.ignored_line_count += 1
                    continue
            if reader is not None:
                if opening.held is not None:
                    self._good_line(opening)
                yield from self._dialect_line(reader, obj, where)
                continue
            try:
                messages = feed(obj, where)
            except BadRecord as exc:
                self._report_unnamed()
                self._bad_line(opening, where, str(exc), obj)
                continue
            if opening.held is not None:
                self._good_line(opening)
            if messages:  # most lines make none: no iterator then
                yield from messages

    def _end(self) -> Iterator[dict[str, Any]]:
        """The end of the input: what translators hold, then the sessions still open."""
        replayer, reader = self.replayer, self.reader
        if reader is not None:
            yield from self._release(reader)
        # The sessions that never named their viewer come first: a strict replay stops before
        # the messages of the end of the input.
        closing = replayer.finish_lazily()
        self._report_unnamed()
        yield from closing

    def _dialect_line(
        self, reader: DialectReader, obj: Any, where: Where
    ) -> Iterator[dict[str, Any]]:
        """The messages of one raw line of a player's log (which may mean several callbacks)."""
        try:
            records = reader.records(obj)
        except BadRecord as exc:
            self._bad(where, str(exc))
            return
        session = obj.get("session", DEFAULT_SESSION)
        self._last_where[session] = where
        for record in records:
            yield from self._feed_translated(record, where)
        # A session that ended (and did not start again on the same line) is forgotten, and
        # so is a player that said it is done.
        if not self.replayer.is_open(session) and (records or reader.finished(session)):
            reader.forget(session)
            self._last_where.pop(session, None)

    def _release(self, reader: DialectReader) -> Iterator[dict[str, Any]]:
        """The end of the input: what the player translators still hold, applied."""
        for record in reader.release():
            where = self._last_where.get(record.session, ("<end of input>", 0))
            yield from self._feed_translated(record, where)

    def _feed_translated(self, record: Record, where: Where) -> list[dict[str, Any]]:
        """The messages of one record a player translator made; a bad one is reported."""
        try:
            return self.replayer.feed(record, where)
        except BadRecord as exc:
            self._report_unnamed()
            self._bad(where, str(exc))
            return []

    def _report_unnamed(self) -> None:
        unnamed = self.replayer.unnamed_sessions
        while self._unnamed_reported < len(unnamed):
            where, reason, count = unnamed[self._unnamed_reported]
            self._unnamed_reported += 1
            self._bad(where, reason, count)

    def _bad_line(self, opening: _Opening, where: Where, reason: str, obj: Any) -> None:
        """A bad line; at the start of a source it is held, to tell a source that is no log."""
        if self.strict or opening.held is None:
            self._bad(where, reason)
            return
        dialect = guess_dialect(obj) if self.reader is None and type(obj) is dict else None
        if dialect is not None:
            raise SourceError(
                f"{opening.name}: this looks like a raw {dialect} log, not the vtrack format: "
                f"replay it with --dialect {dialect} (line {where[1]}: {reason})"
            )
        opening.held.append((where, reason))
        if len(opening.held) >= NOT_A_LOG_LINES:
            (_, first), first_reason = opening.held[0]
            what = (
                f"the schema fits none of its first {NOT_A_LOG_LINES} lines"
                if self.mapper is not None
                else f"not a log: its first {NOT_A_LOG_LINES} lines are not records"
            )
            raise SourceError(f"{opening.name}: {what} (line {first}: {first_reason})")

    def _good_line(self, opening: _Opening) -> None:
        """The source showed a good line: the bad lines held before it are reported."""
        held, opening.held = opening.held, None
        for where, reason in held or ():
            self._bad(where, reason)

    def _bad(self, where: Where, reason: str, count: int = 1) -> None:
        if self.strict:
            raise ReplayError(where, reason)
        self.bad_line_count += count
        if len(self.bad_lines) < KEPT_BAD_LINES:
            self.bad_lines.append((where, reason))
        if self.on_bad_line is not None:
            self.on_bad_line(where, reason)


def replay(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    settings: Settings | None = None,
    keep_open: bool = False,
    strict: bool = False,
    on_bad_line: BadLineHandler | None = None,
    dialect: str = "vtrack",
    schema: LogSchema | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    min_stall: float | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_open_sessions: int | None = None,
    **options: Any,
) -> ReplayRun:
    """Replay vtrack player logs (paths, ``.gz`` or not, ``-`` for stdin) into messages.

    ``dialect`` is the log's format: ``"vtrack"`` (default), or a player's raw log
    (``"html5"``, ``"mpv"``, ``"vlc"``: see :mod:`vtrack.players`). ``schema`` maps a log's
    own field names, event names and units onto the dialect's: a
    :class:`~vtrack.replay.schema.LogSchema`, the path of a TOML schema file, or a dict of its
    keys (see :mod:`vtrack.replay.schema`). ``min_stall``: a player's buffering shorter than
    this many seconds is no stall (dialects only; default
    :data:`vtrack.players.base.MIN_STALL`, 0.25 s). A line longer than ``max_line_bytes``
    (1 MiB) is a bad line, read past in bounded memory. ``max_open_sessions`` bounds the
    sessions open at once: past it the least recently active one exits at its last record
    (``stats.ended_early`` counts them). ``options`` are
    :class:`~vtrack.Settings` options (``profile``, ``heartbeat``,
    ``milestones``, ``milestone_basis``, ``context``, ...), or pass ``settings``. The same
    input always gives the same messages, messageIds included::

        for message in replay(["player.log.gz"], heartbeat=20):
            print(message["event"])
    """
    if settings is not None and options:
        raise TypeError("pass either settings= or individual options, not both")
    return ReplayRun(
        inputs,
        settings if settings is not None else Settings(**options),
        keep_open=keep_open,
        strict=strict,
        on_bad_line=on_bad_line,
        dialect=dialect,
        schema=schema,
        min_stall=min_stall,
        max_line_bytes=max_line_bytes,
        max_open_sessions=max_open_sessions,
    )


def _not_json(line: bytes, error: orjson.JSONDecodeError) -> str:
    if "UTF-8" in str(error):
        return f"not UTF-8 text: {error}"
    if b"NaN" in line or b"Infinity" in line:
        return f"not JSON: {error} (NaN and Infinity are not JSON numbers)"
    return f"not JSON: {error}"
