"""The vtrack player log, version 1: one player callback per JSON Lines record.

A record is a JSON object::

    {"t": 1700000000.25, "session": "s1", "anonymous_id": "viewer-7",
     "event": "timeupdate", "position": 12.5}

- ``t``: when the callback happened, seconds since the Unix epoch;
- ``session``: the player session it belongs to (optional: records without one form the
  session :data:`DEFAULT_SESSION`);
- ``event``: the callback, one of :data:`EVENT_FIELDS`, with that callback's fields;
- ``user_id`` or ``anonymous_id``, and ``content`` (an object of :data:`CONTENT_FIELDS`): on
  any record of the session; they stick to it.

This module only checks records and turns them into :class:`Record` objects; it reads no files
(see :mod:`vtrack.replay.sources`) and plays nothing (see :mod:`vtrack.replay.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

import attrs

from vtrack.core.callbacks import Callback
from vtrack.core.content import Content
from vtrack.core.errors import VtrackError

#: The session of records that name none.
DEFAULT_SESSION: Final = "default"

#: The latest time a record may carry (the year 9999), as the session core accepts.
_LAST_TIME: Final = 253402300800.0
#: The largest number a field may hold: past it no position, length or rate makes sense, and
#: whole seconds of it would not fit a 64-bit integer in JSON output.
MAX_NUMBER: Final = 1e12


class BadRecord(VtrackError, ValueError):
    """A record that cannot be replayed; the message says why (the reader adds file:line)."""


Check = Callable[[Any], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_season(value: Any) -> bool:
    return isinstance(value, str) or _is_int(value)


#: What each kind of field holds, and how the error says it.
KINDS: Final[Mapping[str, tuple[Check, str]]] = {
    "number": (_is_number, "a number"),
    "int": (_is_int, "an integer"),
    "text": (_is_text, "a string"),
    "bool": (_is_bool, "true or false"),
    "texts": (_is_texts, "a list of strings"),
    "object": (_is_object, "an object"),
    "season": (_is_season, "a string or an integer"),
    "ads": (lambda value: isinstance(value, list), "a list of ad objects"),
}

#: Fields of a scheduled ad (an entry of ``ad_schedule``).
AD_FIELDS: Final[Mapping[str, str]] = {
    "asset_id": "text",
    "pod_id": "text",
    "type": "text",
    "length": "number",
}

#: Content metadata: the fields of a ``load`` record, and of the ``content`` object any record
#: may carry. They are the fields of :class:`vtrack.Content`.
CONTENT_FIELDS: Final[Mapping[str, str]] = {
    "asset_id": "text",
    "pod_ids": "texts",
    "duration": "number",
    "live": "bool",
    "title": "text",
    "program": "text",
    "description": "text",
    "season": "season",
    "episode": "season",
    "genre": "text",
    "publisher": "text",
    "channel": "text",
    "full_episode": "bool",
    "airdate": "text",
    "keywords": "texts",
    "playlist": "texts",
    "ad_schedule": "ads",
    "video_player": "text",
    "ad_enabled": "bool",
    "extra": "object",
}

#: Each callback's own fields and their kinds.
_OWN_FIELDS: Final[Mapping[str, Mapping[str, str]]] = {
    "load": CONTENT_FIELDS,
    "play": {},
    "playing": {"position": "number"},
    "pause": {},
    "waiting": {},
    "seeking": {"position": "number"},
    "seeked": {"position": "number"},
    "timeupdate": {"position": "number"},
    "ended": {},
    "ratechange": {"rate": "number"},
    "durationchange": {"duration": "number"},
    "quality": {
        "bitrate": "number",
        "framerate": "number",
        "quality": "text",
        "dropped_frames": "number",
        "startup_time": "number",
    },
    "volume": {"level": "number"},
    "fullscreen": {"on": "bool"},
    "error": {"message": "text", "fatal": "bool"},
    "ad_break_start": {"pod_id": "text", "type": "text", "ad_count": "int"},
    "ad_start": {
        "asset_id": "text",
        "title": "text",
        "length": "number",
        "pod_position": "int",
        "publisher": "text",
        "load_type": "text",
    },
    "ad_click": {},
    "ad_end": {},
    "ad_skip": {},
    "ad_error": {"message": "text"},
    "ad_break_end": {},
    "interrupt": {"method": "text"},
    "exit": {},
}

#: Each callback's fields (the keyword arguments of the :class:`vtrack.Session` method of the
#: same name; a ``load`` record's are the content's) and their kinds. Every record may carry
#: ``position``: the playhead at that instant, taken as a ``timeupdate`` at the record's time
#: before the callback (``playing``, ``seeking``, ``seeked`` and ``timeupdate`` take it as their
#: own argument, as before).
EVENT_FIELDS: Final[Mapping[str, Mapping[str, str]]] = {
    event: {**fields, "position": "number"} for event, fields in _OWN_FIELDS.items()
}

#: Fields a record of that event must have (``null`` is allowed only for a duration: unknown).
REQUIRED: Final[Mapping[str, frozenset[str]]] = {
    "seeking": frozenset({"position"}),
    "timeupdate": frozenset({"position"}),
    "ratechange": frozenset({"rate"}),
    "durationchange": frozenset({"duration"}),
    "volume": frozenset({"level"}),
    "fullscreen": frozenset({"on"}),
}
_NULLABLE_REQUIRED: Final = frozenset({("durationchange", "duration")})

#: Callbacks that take nothing but the playhead: :func:`quick_record` reads their records.
QUICK_EVENTS: Final = frozenset(
    event
    for event, fields in _OWN_FIELDS.items()
    if event != "load" and set(fields) <= {"position"}
)
_POSITION_REQUIRED: Final = frozenset(e for e in QUICK_EVENTS if "position" in REQUIRED.get(e, ()))

#: Fields any record may carry besides its event's.
COMMON_FIELDS: Final = frozenset({"t", "session", "event", "user_id", "anonymous_id", "content"})


class Record(NamedTuple):
    """One checked record: a callback of one session, with what sticks to the session."""

    at: float
    session: str
    event: str
    #: The callback's keyword arguments (for ``load``: the content fields given on the line).
    args: dict[str, Any]
    #: ``("user_id" | "anonymous_id", value)`` if the record names the viewer.
    identity: tuple[str, str] | None
    #: Content metadata carried in a ``content`` object, if any.
    content: dict[str, Any] | None


_NO_ARGS: Final[dict[str, Any]] = {}


def parse_record(obj: Any) -> Record:
    """Check one decoded JSON value and make it a :class:`Record`; raise :class:`BadRecord`."""
    quick = quick_record(obj)
    if quick is not None:
        at, session, event, position = quick
        args = _NO_ARGS if position is None else {"position": position}
        return _new_record(Record, (at, session, event, args, None, None))
    return _parse_any(obj)


def quick_record(obj: Any) -> tuple[float, str, str, float | None] | None:
    """``(t, session, event, position)`` of a usual record, else None.

    A usual record is a callback that takes nothing but the playhead (``timeupdate``,
    ``pause``, ``seeked``, ...) with only ``t``, ``event`` and perhaps ``session`` and
    ``position``, all valid. None does not mean the record is bad: :func:`parse_record`
    checks everything else.
    """
    # This runs for every line of a log: the shape is told by the number of fields, which
    # are read by subscript (a missing one is another shape), the cheapest way in CPython.
    if type(obj) is not dict:
        return None
    size = len(obj)
    try:
        if size == 4:
            session, position = obj["session"], obj["position"]
        elif size == 2:
            session, position = DEFAULT_SESSION, None
        elif size == 3 and "position" in obj:
            session, position = DEFAULT_SESSION, obj["position"]
        elif size == 3:
            session, position = obj["session"], None
        else:
            return None
        event, at = obj["event"], obj["t"]
    except KeyError:
        return None  # another field
    if type(event) is not str or event not in QUICK_EVENTS:
        return None
    if type(at) is not float or not 0.0 <= at < _LAST_TIME:
        return None
    if type(session) is not str or not session:
        return None
    if position is None:
        if event in _POSITION_REQUIRED or "position" in obj:
            return None
    elif type(position) is not float or not -MAX_NUMBER <= position <= MAX_NUMBER:
        return None
    return at, session, event, position


#: Makes a :class:`Record` from a tuple of its fields, without the Python-level ``__new__``
#: of a named tuple (a third of the cost of a timeupdate's parsing).
_new_record: Final = tuple.__new__


def _parse_any(obj: Any) -> Record:
    if type(obj) is not dict:
        raise BadRecord(f"a record must be a JSON object; got {_json_kind(obj)}")
    at = _time(obj)
    event = obj.get("event")
    if event is None:
        raise BadRecord('no "event" (the callback name)')
    fields = EVENT_FIELDS.get(event) if type(event) is str else None
    if fields is None:
        raise BadRecord(f"unknown event {event!r}; the events are: {', '.join(EVENT_FIELDS)}")
    session = _session(obj)
    args: dict[str, Any] = _NO_ARGS
    identity: tuple[str, str] | None = None
    content: dict[str, Any] | None = None
    for key, value in obj.items():
        if key in COMMON_FIELDS:
            if key == "user_id" or key == "anonymous_id":
                identity = _identity(key, value, identity)
            elif key == "content":
                content = _content(value, '"content"')
            continue
        kind = fields.get(key)
        if kind is None:
            raise BadRecord(_unknown_field(key, event, fields))
        if value is None:
            if (event, key) in _NULLABLE_REQUIRED:
                args = _store(args, key, None)
            continue  # null: the same as leaving the field out
        check, wanted = KINDS[kind]
        if not check(value):
            raise BadRecord(f'{event}: "{key}" must be {wanted}; got {value!r}')
        if kind == "number" and not -MAX_NUMBER <= value <= MAX_NUMBER:
            raise BadRecord(
                f'{event}: "{key}" must be a finite number of at most 1e12; got {value!r}'
            )
        if kind == "ads":
            value = [_scheduled_ad(entry, index) for index, entry in enumerate(value)]
        args = _store(args, key, value)
    required = REQUIRED.get(event)
    if required is not None:
        missing = sorted(key for key in required if key not in args)
        if missing:
            raise BadRecord(f'{event} needs "{missing[0]}"')
    return _new_record(Record, (at, session, event, args, identity, content))


#: The fields every dialect's records share with the vtrack format (all but ``event``).
ENVELOPE_FIELDS: Final = COMMON_FIELDS - {"event"}


class Envelope(NamedTuple):
    """What any log dialect's record says besides the player's event itself."""

    at: float
    session: str
    identity: tuple[str, str] | None
    content: dict[str, Any] | None
    #: The player's event: the record's other fields.
    event: dict[str, Any]


def parse_envelope(obj: Any) -> Envelope:
    """Check the fields a record of any dialect shares with this format (not ``event``)."""
    if type(obj) is not dict:
        raise BadRecord(f"a record must be a JSON object; got {_json_kind(obj)}")
    at = _time(obj)
    session = _session(obj)
    identity: tuple[str, str] | None = None
    content: dict[str, Any] | None = None
    event: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "user_id" or key == "anonymous_id":
            identity = _identity(key, value, identity)
        elif key == "content":
            content = _content(value, '"content"')
        elif key not in ENVELOPE_FIELDS:
            event[key] = value
    return Envelope(at, session, identity, content, event)


def _time(obj: dict[str, Any]) -> float:
    at = obj.get("t")
    if at is None:
        raise BadRecord('no "t" (the time, seconds since the Unix epoch)')
    if type(at) is not float and not _is_number(at):
        raise BadRecord(f'"t" must be a number of seconds since the Unix epoch; got {at!r}')
    if not 0 <= at < _LAST_TIME:
        hint = " (milliseconds by mistake?)" if at >= _LAST_TIME else ""
        raise BadRecord(
            f'"t" must be seconds since the Unix epoch, from 0 to the year 9999{hint}; got {at!r}'
        )
    return float(at)


def _session(obj: dict[str, Any]) -> str:
    session = obj.get("session", DEFAULT_SESSION)
    if type(session) is not str or not session:
        raise BadRecord(f'"session" must be a non-empty string; got {session!r}')
    return session


def _identity(key: str, value: Any, known: tuple[str, str] | None) -> tuple[str, str]:
    if type(value) is not str or not value:
        raise BadRecord(f'"{key}" must be a non-empty string; got {value!r}')
    if known is not None:
        raise BadRecord('give "user_id" or "anonymous_id", not both: a message carries one')
    return (key, value)


def _store(args: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    if args is _NO_ARGS:
        args = {}
    args[key] = value
    return args


def _content(value: Any, where: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise BadRecord(f"{where} must be an object of content metadata; got {value!r}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        kind = CONTENT_FIELDS.get(key)
        if kind is None:
            raise BadRecord(_unknown_field(key, where, CONTENT_FIELDS))
        if item is None:
            continue
        check, wanted = KINDS[kind]
        if not check(item) or (kind == "number" and not -MAX_NUMBER <= item <= MAX_NUMBER):
            raise BadRecord(f'{where}: "{key}" must be {wanted}; got {item!r}')
        if kind == "ads":
            item = [_scheduled_ad(entry, index) for index, entry in enumerate(item)]
        out[key] = item
    return out


def _scheduled_ad(entry: Any, index: int) -> dict[str, Any]:
    where = f"ad_schedule[{index}]"
    if type(entry) is not dict:
        raise BadRecord(f"{where} must be an object; got {entry!r}")
    for key, item in entry.items():
        kind = AD_FIELDS.get(key)
        if kind is None:
            raise BadRecord(_unknown_field(key, where, AD_FIELDS))
        check, wanted = KINDS[kind]
        if item is not None and not check(item):
            raise BadRecord(f'{where}: "{key}" must be {wanted}; got {item!r}')
    return entry


def _unknown_field(key: str, where: str, fields: Mapping[str, str]) -> str:
    allowed = (
        ", ".join([*fields, *sorted(COMMON_FIELDS)]) if where in EVENT_FIELDS else ", ".join(fields)
    )
    return f"{where}: unknown field {key!r} (allowed: {allowed})"


def _json_kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def content_fields(content: Content) -> dict[str, Any]:
    """The log fields of ``content`` (as a ``load`` record carries them); defaults left out."""
    fields: dict[str, Any] = {}
    for key in CONTENT_FIELDS:
        value = getattr(content, key)
        if (
            value is None
            or value == ()
            or (key == "extra" and not value)
            or (key == "live" and value is False)
        ):
            continue
        if key == "ad_schedule":
            value = [
                {name: item for name, item in attrs.asdict(ad).items() if item is not None}
                for ad in value
            ]
        elif isinstance(value, tuple):
            value = list(value)
        elif key == "extra":
            value = dict(value)
        fields[key] = value
    return fields


def callback_record(
    callback: Callback,
    *,
    session: str | None = None,
    user_id: str | None = None,
    anonymous_id: str | None = None,
) -> dict[str, Any]:
    """The log record of a :class:`~vtrack.Callback` (its ``at`` must be known).

    The inverse of :func:`parse_record`: what a recorder writes so that a replay of the log
    makes the same messages as the live session did.
    """
    if callback.at is None:
        raise ValueError(f"{callback.name}: a log record needs the callback's time (at)")
    record: dict[str, Any] = {"t": callback.at}
    if session is not None:
        record["session"] = session
    if user_id is not None:
        record["user_id"] = user_id
    if anonymous_id is not None:
        record["anonymous_id"] = anonymous_id
    record["event"] = callback.name
    if callback.name == "load":
        record.update(content_fields(callback.args["content"]))
    else:
        record.update((key, value) for key, value in callback.args.items() if value is not None)
    return record
