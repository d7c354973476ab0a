"""Your own log schema: a log's field names, event names, time units and constant fields.

``vtrack replay --schema FILE`` (or ``replay(..., schema=...)``) reads logs written with other
names than a dialect's (a warehouse export that says ``ts`` in milliseconds, ``sid``,
``currentTime``, ``video_paused``) with no converter. A schema is a TOML file::

    other_fields = "drop"            # the log's fields the schema does not name: keep or drop
    ignore_events = ["ad_impression"]
    drop = ["ip"]

    [fields]                         # the log's name = the dialect's ("a.b": inside objects)
    ts = "t"
    sid = "session"
    currentTime = "position"
    "player.state" = "event"
    assetId = "content.asset_id"

    [events]                         # the log's event name = the dialect's
    video_paused = "pause"

    [units]                          # the log's field = its unit: s, ms, us, ns or iso8601
    ts = "iso8601"
    currentTime = "ms"

    [constants]                      # the dialect's field = a value every record gets
    "content.publisher" = "Acme"

Each record is mapped before it is read (the decoded dict is changed in place: the replay
owns it), in this order: fields are renamed (converted from
their unit on the way), ``drop`` fields removed, the event renamed (records of an
``ignore_events`` event are skipped), constants added where the record has none. A mistake in
the schema raises :class:`SchemaError`, one line naming the key; a record the schema cannot
map (an ISO time that is none, a unit on a string) is a bad line, like any other.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from vtrack.core.errors import VtrackError
from vtrack.replay.log_format import COMMON_FIELDS, CONTENT_FIELDS, EVENT_FIELDS, BadRecord

#: The units a numeric field may be in, and how many of them make a second.
NUMBER_UNITS: Final[Mapping[str, float]] = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1e9}
#: ISO-8601 date-time strings: taken as seconds since the Unix epoch (UTC when no offset).
ISO_UNIT: Final = "iso8601"
UNITS: Final = (*NUMBER_UNITS, ISO_UNIT)

#: What ``other_fields`` may say.
OTHER_FIELDS: Final = ("keep", "drop")

#: The keys of a schema.
SCHEMA_KEYS: Final = (
    "fields",
    "events",
    "units",
    "constants",
    "drop",
    "ignore_events",
    "other_fields",
)

#: The field that names the event in each dialect's records.
EVENT_KEYS: Final[Mapping[str, str]] = {
    "vtrack": "event",
    "html5": "type",
    "mpv": "event",
    "vlc": "event",
}

_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_MICROSECOND: Final = _dt.timedelta(microseconds=1)
_ABSENT: Final = object()

Path = tuple[str, ...]
#: A compiled schema: a decoded record in, the dialect's record out (None: skip it).
Mapper = Callable[[Any], Any]


class SchemaError(VtrackError, ValueError):
    """A mistake in a log schema; the message names the file and the key."""


@attrs.frozen
class LogSchema:
    """A log's own names and units, mapped onto a dialect's (see the module's docs).

    Make one with :meth:`load` (a TOML file) or :meth:`from_mapping` (the same keys as a
    dict), then :meth:`mapper` for the dialect the log is in.
    """

    #: The log's field (a dotted path) -> the dialect's field (a dotted path).
    fields: Mapping[str, str] = attrs.field(factory=dict)
    #: The log's event name -> the dialect's.
    events: Mapping[str, str] = attrs.field(factory=dict)
    #: The log's field -> its unit (one of :data:`UNITS`).
    units: Mapping[str, str] = attrs.field(factory=dict)
    #: The dialect's field -> the value every record without it gets.
    constants: Mapping[str, Any] = attrs.field(factory=dict)
    #: The log's fields removed from every record.
    drop: tuple[str, ...] = ()
    #: The log's event names whose records are skipped.
    ignore_events: frozenset[str] = frozenset()
    #: What happens to the log's fields the schema does not name: ``keep`` or ``drop``.
    other_fields: str = "keep"
    #: Where the schema came from (errors start with it).
    source: str = "schema"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LogSchema:
        """The schema in the TOML file ``path`` (raises :class:`SchemaError`)."""
        name = os.fspath(path)
        try:
            with open(path, "rb") as stream:
                data = tomllib.load(stream)
        except OSError as exc:
            raise SchemaError(f"{name}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SchemaError(f"{name}: not TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise SchemaError(f"{name}: not UTF-8 text: {exc}") from None
        return cls.from_mapping(data, source=name)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "schema") -> LogSchema:
        """The schema ``data`` holds, keyed as a schema file (raises :class:`SchemaError`)."""
        if not isinstance(data, Mapping):
            raise SchemaError(f"{source}: a schema is a table of keys; got {data!r}")
        for key in data:
            if key not in SCHEMA_KEYS:
                raise SchemaError(
                    f"{source}: unknown key {key!r} (the keys are: {', '.join(SCHEMA_KEYS)})"
                )
        fields = _texts(_table(data, "fields", source), "fields", source)
        events = _texts(_table(data, "events", source), "events", source, flat=True)
        units = _texts(_table(data, "units", source), "units", source)
        for key, unit in units.items():
            if unit not in UNITS:
                raise SchemaError(
                    f"{source}: [units] {key}: unknown unit {unit!r} (the units are: "
                    f"{', '.join(UNITS)})"
                )
        constants = {
            key: _constant(value, key, source)
            for key, value in _flatten(_table(data, "constants", source), "constants", source)
        }
        drop = _names(data, "drop", source)
        ignore = _names(data, "ignore_events", source)
        other = data.get("other_fields", "keep")
        if other not in OTHER_FIELDS:
            raise SchemaError(
                f"{source}: other_fields: {other!r} is not one of: {', '.join(OTHER_FIELDS)}"
            )
        targets: dict[str, str] = {}
        for key, target in fields.items():
            _path(target, f"[fields] {key}", source)
            if target in targets:
                raise SchemaError(
                    f"{source}: [fields] {key}: {targets[target]!r} maps to {target!r} already"
                )
            targets[target] = key
        for key in drop:
            if key in fields or key in units:
                raise SchemaError(f"{source}: drop: {key!r} is mapped too; drop it or map it")
        _check_sources(fields, units, source)
        return cls(
            fields=fields,
            events=events,
            units=units,
            constants=constants,
            drop=tuple(drop),
            ignore_events=frozenset(ignore),
            other_fields=other,
            source=source,
        )

    def mapper(self, dialect: str = "vtrack") -> Mapper:
        """The function that maps one decoded record of this log onto ``dialect``'s.

        Raises :class:`SchemaError` when the schema names a field or an event the dialect
        does not have; the function raises :class:`~vtrack.replay.log_format.BadRecord` for a
        record it cannot map and returns None for a record to skip (``ignore_events``).
        """
        event_key = EVENT_KEYS.get(dialect)
        if event_key is None:
            raise SchemaError(f"{self.source}: unknown dialect {dialect!r}")
        self._check_names(dialect)
        moves = [(key, target) for key, target in self.fields.items()]
        moves += [(key, key) for key in self.units if key not in self.fields]
        return _RecordMapper(
            steps=[
                (self._path(key), self._path(target), key, _converter(self.units.get(key), key))
                for key, target in moves
            ],
            drops=[self._path(key) for key in self.drop],
            constants=[(self._path(key), value) for key, value in self.constants.items()],
            events=dict(self.events),
            ignored=self.ignore_events,
            event_key=event_key,
            keep=self.other_fields == "keep",
        )

    def _path(self, text: str) -> Path:
        return _path(text, text, self.source)

    def _check_names(self, dialect: str) -> None:
        """Refuse a target field or event name the vtrack format cannot have (a typo).

        A player's raw events are its translator's to judge: players report events that
        change nothing (``resize``, ``MediaPlayerVout``, ...), and a log may hold them.
        """
        if dialect != "vtrack":
            return
        for name, target in self.events.items():
            if target not in EVENT_FIELDS:
                raise SchemaError(
                    f"{self.source}: [events] {name}: {target!r} is no vtrack event "
                    f"(the events are: {', '.join(EVENT_FIELDS)})"
                )
        fields = {field for event in EVENT_FIELDS.values() for field in event} | COMMON_FIELDS
        named = [(f"[fields] {key}", target) for key, target in self.fields.items()]
        named += [(f"[constants] {key}", key) for key in self.constants]
        for where, target in named:
            head, _, rest = target.partition(".")
            if head == "content" and rest:
                if rest.partition(".")[0] not in CONTENT_FIELDS:
                    raise SchemaError(
                        f"{self.source}: {where}: {rest!r} is no content field (the content "
                        f"fields are: {', '.join(CONTENT_FIELDS)})"
                    )
            elif head not in fields or (rest and head != "extra"):
                raise SchemaError(
                    f"{self.source}: {where}: {target!r} is no field of the vtrack format "
                    f"(the fields are: {', '.join(sorted(fields))}; content fields go "
                    'in "content.NAME")'
                )


@attrs.frozen
class _RecordMapper:
    """A schema compiled for one dialect: a decoded record in, the dialect's record out."""

    steps: list[tuple[Path, Path, str, Callable[[Any], float] | None]]
    drops: list[Path]
    constants: list[tuple[Path, Any]]
    events: dict[str, str]
    ignored: frozenset[str]
    event_key: str
    keep: bool

    def __call__(self, obj: Any) -> Any:
        if type(obj) is not dict:
            return obj  # the reader says what is wrong with it
        out: dict[str, Any] = obj if self.keep else {}
        taken = []
        for source, target, key, convert in self.steps:
            value = _pop(obj, source)
            if value is _ABSENT:
                continue
            if convert is not None and value is not None:
                value = convert(value)
            taken.append((target, key, value))
        for path in self.drops:
            _pop(obj, path)
        for target, key, value in taken:
            if _get(out, target) is not _ABSENT:
                name = ".".join(target)
                raise BadRecord(f"both {key!r} (mapped to {name!r} by the schema) and {name!r}")
            _put(out, target, value)
        event = out.get(self.event_key)
        if event is not None:
            name = str(event) if type(event) is int else event
            if name in self.ignored:
                return None
            if type(name) is str:
                out[self.event_key] = self.events.get(name, event)
        for path, value in self.constants:
            if _get(out, path) is _ABSENT:
                _put(out, path, _copy(value))
        return out


def _check_sources(fields: Mapping[str, str], units: Mapping[str, str], source: str) -> None:
    """Refuse what would be read in an order-dependent or silent way."""
    for key in units:
        if key not in fields and key in fields.values():
            log_name = next(name for name, target in fields.items() if target == key)
            raise SchemaError(
                f"{source}: [units] {key}: units are keyed by the log's field names; "
                f"{key!r} is what [fields] makes of {log_name!r}: write {log_name} = ..."
            )
    names = sorted({*fields, *units})
    for name in names:
        for other in names:
            if other.startswith(name + "."):
                raise SchemaError(
                    f"{source}: [fields] {other}: {name!r} is mapped too, and holds it; "
                    "map one or the other"
                )


def load_schema(schema: LogSchema | Mapping[str, Any] | str | os.PathLike[str]) -> LogSchema:
    """A :class:`LogSchema` from itself, a mapping of a schema's keys, or a TOML file's path."""
    if isinstance(schema, LogSchema):
        return schema
    if isinstance(schema, Mapping):
        return LogSchema.from_mapping(schema)
    return LogSchema.load(schema)


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise SchemaError(f"{source}: {key} must be a table ([{key}]); got {table!r}")
    return table


def _flatten(table: Mapping[str, Any], where: str, source: str) -> list[tuple[str, Any]]:
    """``(dotted path, value)`` of a table, nested tables (TOML dotted keys) joined by dots."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        if not isinstance(key, str) or not key:
            raise SchemaError(f"{source}: [{where}]: a key must be a non-empty string")
        if isinstance(value, Mapping) and value:
            out += [(f"{key}.{inner}", item) for inner, item in _flatten(value, where, source)]
        else:
            out.append((key, value))
    return out


def _texts(
    table: Mapping[str, Any], where: str, source: str, *, flat: bool = False
) -> dict[str, str]:
    pairs = list(table.items()) if flat else _flatten(table, where, source)
    out: dict[str, str] = {}
    for key, value in pairs:
        if not isinstance(value, str) or not value:
            raise SchemaError(
                f"{source}: [{where}] {key}: must be a non-empty string; got {value!r}"
            )
        out[key] = value
    return out


def _names(data: Mapping[str, Any], key: str, source: str) -> list[str]:
    names = data.get(key, [])
    if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
        raise SchemaError(f"{source}: {key} must be a list of names; got {names!r}")
    return names


def _constant(value: Any, key: str, source: str) -> Any:
    """A constant as JSON would give it (TOML dates become ISO-8601 strings)."""
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return [_constant(item, key, source) for item in value]
    if isinstance(value, Mapping):
        return {name: _constant(item, key, source) for name, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        raise SchemaError(f"{source}: [constants] {key}: {value} is not a value a log can hold")
    return value


def _path(text: str, key: str, source: str) -> Path:
    path = tuple(text.split("."))
    if not all(path):
        raise SchemaError(f"{source}: {key}: {text!r} is not a field name or a dotted path")
    return path


def _converter(unit: str | None, key: str) -> Callable[[Any], float] | None:
    if unit is None:
        return None
    if unit == ISO_UNIT:
        return lambda value: _iso_seconds(value, key)
    per_second = NUMBER_UNITS[unit]

    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRecord(f'"{key}" must be a number of {unit}; got {value!r}')
        return value if per_second == 1 else value / per_second

    return convert


def _iso_seconds(value: Any, key: str) -> float:
    """An ISO-8601 date-time as seconds since the Unix epoch, exact to the microsecond."""
    if not isinstance(value, str):
        raise BadRecord(f'"{key}" must be an ISO-8601 date-time string; got {value!r}')
    try:
        moment = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRecord(f'"{key}": {value!r} is not an ISO-8601 date-time') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return ((moment - _EPOCH) // _MICROSECOND) / 1_000_000


def _pop(obj: dict[str, Any], path: Path) -> Any:
    """Take the value at ``path`` out of ``obj`` (objects it empties go too); or _ABSENT."""
    if len(path) == 1:
        return obj.pop(path[0], _ABSENT)
    inner = obj.get(path[0])
    if type(inner) is not dict:
        return _ABSENT
    value = _pop(inner, path[1:])
    if not inner:
        del obj[path[0]]
    return value


def _get(obj: dict[str, Any], path: Path) -> Any:
    for key in path:
        if type(obj) is not dict or key not in obj:
            return _ABSENT
        obj = obj[key]
    return obj


def _put(obj: dict[str, Any], path: Path, value: Any) -> None:
    for depth, key in enumerate(path[:-1]):
        inner = obj.setdefault(key, {})
        if type(inner) is not dict:
            raise BadRecord(
                f"{'.'.join(path[: depth + 1])!r} must be an object to hold "
                f"{'.'.join(path)!r}; got {inner!r}"
            )
        obj = inner
    obj[path[-1]] = value


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value
