"""Your own log schema (``--schema``): field names, event names, units and constants mapped."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrack.cli import main
from vtrack.replay import replay
from vtrack.replay.log_format import BadRecord
from vtrack.replay.schema import EVENT_KEYS, LogSchema, SchemaError, load_schema
from vtrack.testing.dialect_logs import dialect_logs

ROOT = Path(__file__).parent.parent
EXPORT = ROOT / "examples" / "warehouse-export.jsonl"
EXPORT_SCHEMA = ROOT / "examples" / "warehouse-export.toml"

#: The worked example's export, written by hand in the vtrack format.
EXPORT_AS_VTRACK = [
    {"t": 1700000000.0, "session": "v-1001", "user_id": "u-42", "event": "load",
     "asset_id": "ep-1", "title": "Pilot", "duration": 600, "publisher": "Acme Studios",
     "position": 0},
    {"t": 1700000000.2, "session": "v-1001", "event": "play", "position": 0},
    {"t": 1700000000.9, "session": "v-1001", "event": "playing", "position": 0},
    {"t": 1700000015.9, "session": "v-1001", "event": "timeupdate", "position": 15},
    {"t": 1700000021.4, "session": "v-1001", "event": "waiting", "position": 20.5},
    {"t": 1700000023.4, "session": "v-1001", "event": "playing", "position": 20.5},
    {"t": 1700000045.4, "session": "v-1001", "event": "pause", "position": 42.5},
    {"t": 1700000050.0, "session": "v-1001", "event": "play", "position": 42.5},
    {"t": 1700000050.1, "session": "v-1001", "event": "playing", "position": 42.5},
    {"t": 1700000060.1, "session": "v-1001", "event": "seeking", "position": 300},
    {"t": 1700000060.8, "session": "v-1001", "event": "seeked", "position": 300},
    {"t": 1700000061.0, "session": "v-1001", "event": "playing", "position": 300},
    {"t": 1700000091.0, "session": "v-1001", "event": "timeupdate", "position": 330},
    {"t": 1700000091.5, "session": "v-1001", "event": "exit", "position": 330.5},
]  # fmt: skip


def write_lines(path: Path, records: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def replayed(path: Path, **options: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """The messages of a replay of ``path`` and the bad lines it reported (line, reason)."""
    run = replay([path], **options)
    return list(run), [(line, reason) for (_, line), reason in run.bad_lines]


class TestWorkedExample:
    def test_the_export_replays_as_its_vtrack_twin(self, tmp_path: Path) -> None:
        """The docs' warehouse export, read through its schema, gives its vtrack twin's messages."""
        twin = write_lines(tmp_path / "twin.log", EXPORT_AS_VTRACK)
        expected = replayed(twin)
        actual = replayed(EXPORT, schema=EXPORT_SCHEMA)
        assert expected == actual
        assert len(actual[0]) == 20

    def test_the_cli_reads_the_export(self, capsys: pytest.CaptureFixture[str]) -> None:
        """vtrack replay --schema reads the export with no bad line (ui_click is ignored)."""
        status = main(["replay", str(EXPORT), "--schema", str(EXPORT_SCHEMA)])
        captured = capsys.readouterr()
        events = [json.loads(line)["event"] for line in captured.out.splitlines()]
        assert (0, "Video Playback Started", "Video Playback Exited") == (
            status,
            events[0],
            events[-1],
        )
        assert "lines ignored" in captured.err and "FILE" not in captured.err

    def test_the_docs_show_the_example(self) -> None:
        """docs/log-format.md holds the worked example's schema and command as they are."""
        docs = (ROOT / "docs" / "log-format.md").read_text()
        assert EXPORT_SCHEMA.read_text().strip() in docs
        assert "vtrack replay examples/warehouse-export.jsonl --schema" in docs


def renamed(record: dict[str, Any], dialect: str, iso: bool) -> dict[str, Any]:
    """``record`` as an export with other names would hold it (the inverse of schema_of)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "t" and iso and type(value) in (int, float):
            moment = dt.datetime.fromtimestamp(value, dt.UTC)
            out["meta"] = {**out.get("meta", {}), "ts": moment.isoformat()}
        elif key in ("t", "session"):
            out["meta"] = {**out.get("meta", {}), {"t": "ts", "session": "sid"}[key]: value}
        elif key == EVENT_KEYS[dialect] and type(value) is str:
            out["kind"] = f"x_{value}"
        elif key == "anonymous_id":
            out["viewer"] = value
        else:
            out[key] = value
    out["ip"] = "203.0.113.9"
    return out


def schema_of(events: set[str], dialect: str, iso: bool) -> dict[str, Any]:
    """The schema that reads what :func:`renamed` wrote."""
    return {
        "drop": ["ip"],
        "fields": {
            "meta.ts": "t",
            "meta.sid": "session",
            "kind": EVENT_KEYS[dialect],
            "viewer": "anonymous_id",
        },
        "units": {"meta.ts": "iso8601"} if iso else {},
        "events": {f"x_{name}": name for name in events},
    }


def exact_in_microseconds(records: list[Any]) -> bool:
    """Whether every time survives an ISO-8601 round trip (at most six decimals).

    Those that do not are renamed without a unit: a float is not a decimal.
    """
    return all(
        type(record) is not dict
        or type(record.get("t")) not in (int, float)
        or not 0 <= record["t"] < 1e11
        or round(record["t"] * 1e6) / 1e6 == record["t"]
        for record in records
    )


def same_bad_lines(plain: list[Any], mapped: list[Any]) -> bool:
    """The same lines are bad, for the same reason unless the schema (in the log's terms) says."""
    return [line for line, _ in plain] == [line for line, _ in mapped] and all(
        reason == other or other.startswith("schema: ")
        for (_, reason), (_, other) in zip(plain, mapped, strict=True)
    )


def lines_of(path: Path) -> Iterator[bytes]:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        yield from stream


LOGS = [
    (ROOT / "examples" / "player.log", "vtrack"),
    *[
        (path, path.name.split("-")[0].split(".")[0])
        for path in sorted((ROOT / "tests" / "data").glob("*.log"))
    ],
    *[
        (path, path.name.split(".")[0].split("-")[0])
        for path in sorted((ROOT / "tests" / "golden" / "inputs").glob("*.jsonl.gz"))
    ],
]


@pytest.mark.parametrize(
    ("path", "dialect"),
    [(path, "vtrack" if dialect in ("hostile", "viewings") else dialect) for path, dialect in LOGS],
    ids=[path.name for path, _ in LOGS],
)
def test_a_renamed_log_replays_byte_identically(tmp_path: Path, path: Path, dialect: str) -> None:
    """Every stored log, renamed (nested, ISO times, other event names), replays the same."""
    records: list[Any] = []
    for line in lines_of(path):
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            records.append(line.decode("utf-8", "replace").rstrip("\n"))
    iso = exact_in_microseconds(records)
    events = {
        record[EVENT_KEYS[dialect]]
        for record in records
        if type(record) is dict and type(record.get(EVENT_KEYS[dialect])) is str
    }
    export = tmp_path / "export.jsonl"
    with export.open("wb") as out:
        for record in records:
            if type(record) is dict:
                out.write(orjson.dumps(renamed(record, dialect, iso)) + b"\n")
            else:
                out.write(record.encode() + b"\n")
    expected = replayed(path, dialect=dialect)
    actual = replayed(export, dialect=dialect, schema=schema_of(events, dialect, iso))
    assert [json.dumps(message) for message in expected[0]] == [
        json.dumps(message) for message in actual[0]
    ]
    assert same_bad_lines(expected[1], actual[1])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), dialect=st.sampled_from(["html5", "mpv", "vlc"]))
def test_any_renamed_player_log_replays_the_same(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, dialect: str
) -> None:
    """Any generated (damaged) player log, renamed and read through its schema, replays the same."""
    records = data.draw(dialect_logs(dialect, hostility=2))
    iso = exact_in_microseconds(records)
    directory = tmp_path_factory.mktemp("renamed")
    plain = write_lines(directory / "plain.log", records)
    events = {
        record[EVENT_KEYS[dialect]]
        for record in records
        if type(record) is dict and type(record.get(EVENT_KEYS[dialect])) is str
    }
    export = write_lines(
        directory / "export.log",
        [renamed(record, dialect, iso) if type(record) is dict else record for record in records],
    )
    expected = replayed(plain, dialect=dialect)
    actual = replayed(export, dialect=dialect, schema=schema_of(events, dialect, iso))
    assert expected[0] == actual[0]
    assert same_bad_lines(expected[1], actual[1])


def map_one(schema: dict[str, Any], record: dict[str, Any], dialect: str = "vtrack") -> Any:
    return LogSchema.from_mapping(schema).mapper(dialect)(record)


class TestMapping:
    def test_units_convert_to_seconds(self) -> None:
        """ms, us, ns and s fields become seconds; a field without a unit is left alone."""
        schema = {"units": {"a": "ms", "b": "us", "c": "ns", "d": "s"}}
        record = {"a": 1500, "b": 2_500_000, "c": 3e9, "d": 4, "e": 5}
        assert {"a": 1.5, "b": 2.5, "c": 3.0, "d": 4, "e": 5} == map_one(schema, record)

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("2023-11-14T22:13:20Z", 1700000000.0),
            ("2023-11-14T22:13:20.123456Z", 1700000000.123456),
            ("2023-11-14T23:13:20.5+01:00", 1700000000.5),
            ("2023-11-14 22:13:20.250", 1700000000.25),
            ("2023-11-14", 1699920000.0),
        ],
    )
    def test_iso_times_become_epoch_seconds(self, text: str, seconds: float) -> None:
        """ISO-8601 date-times become epoch seconds, exact to the microsecond; no offset is UTC."""
        schema = {"units": {"ts": "iso8601"}, "fields": {"ts": "t"}}
        assert {"t": seconds} == map_one(schema, {"ts": text})

    def test_nested_paths_are_read_and_written(self) -> None:
        """A dotted source path reaches into objects (emptied ones go); a dotted target nests."""
        schema = {"fields": {"player.state": "event", "assetId": "content.asset_id"}}
        record = {"player": {"state": "pause"}, "assetId": "a-1", "t": 1.0}
        assert {"event": "pause", "content": {"asset_id": "a-1"}, "t": 1.0} == map_one(
            schema, record
        )

    def test_event_names_are_mapped_in_the_dialects_event_field(self) -> None:
        """Event names are mapped in the field that names the event: type for html5."""
        schema = {"events": {"clip_paused": "pause"}}
        assert {"type": "pause"} == map_one(schema, {"type": "clip_paused"}, "html5")
        assert {"event": "clip_paused", "type": "pause"} == map_one(
            schema, {"event": "clip_paused", "type": "clip_paused"}, "html5"
        )

    def test_numeric_event_codes_are_mapped(self) -> None:
        """An integer event code is looked up by its digits."""
        assert {"event": "pause"} == map_one({"events": {"3": "pause"}}, {"event": 3})

    def test_ignored_events_are_skipped(self) -> None:
        """A record of an ignore_events event maps to None (skipped)."""
        assert None is map_one({"ignore_events": ["ui_click"]}, {"event": "ui_click"})

    def test_constants_fill_what_a_record_lacks(self) -> None:
        """A constant is added where the record has no value; the record's own value wins."""
        schema = {"constants": {"content": {"publisher": "Acme"}, "user_id": "u-1"}}
        assert {"user_id": "u-2", "content": {"publisher": "Acme"}} == map_one(
            schema, {"user_id": "u-2"}
        )

    def test_other_fields_drop_keeps_only_what_is_named(self) -> None:
        """other_fields = drop keeps the mapped fields and the constants only."""
        schema = {"other_fields": "drop", "fields": {"ts": "t"}, "constants": {"event": "play"}}
        assert {"t": 5, "event": "play"} == map_one(schema, {"ts": 5, "country": "SE"})

    def test_drop_removes_fields(self) -> None:
        """drop removes the fields it names, nested ones too."""
        schema = {"drop": ["ip", "device.model"]}
        record = {"ip": "x", "device": {"model": "m", "os": "o"}, "t": 1}
        assert {"device": {"os": "o"}, "t": 1} == map_one(schema, record)

    def test_toml_dates_in_constants_become_iso_strings(self, tmp_path: Path) -> None:
        """A TOML date-time constant is written as the ISO-8601 string the log format takes."""
        path = tmp_path / "s.toml"
        path.write_text("[constants]\n'content.airdate' = 2023-11-14T22:13:20Z\n")
        expected = {"content": {"airdate": "2023-11-14T22:13:20+00:00"}}
        assert expected == LogSchema.load(path).mapper()({})

    def test_a_python_argument_takes_the_same_forms(self, tmp_path: Path) -> None:
        """replay(schema=...) takes a LogSchema, a dict of its keys or a TOML file alike."""
        schema = LogSchema.load(EXPORT_SCHEMA)
        as_dict = {
            "other_fields": schema.other_fields,
            "ignore_events": list(schema.ignore_events),
            "fields": dict(schema.fields),
            "units": dict(schema.units),
            "events": dict(schema.events),
            "constants": {"content.publisher": "Acme Studios"},
        }
        expected = replayed(EXPORT, schema=EXPORT_SCHEMA)
        assert expected == replayed(EXPORT, schema=schema)
        assert expected == replayed(EXPORT, schema=as_dict)
        assert expected == replayed(EXPORT, schema=str(EXPORT_SCHEMA))
        assert schema == load_schema(schema)


class TestBadRecords:
    @pytest.mark.parametrize(
        ("schema", "record", "reason"),
        [
            ({"units": {"ts": "iso8601"}}, {"ts": "yesterday"}, "'yesterday' is not an ISO-8601"),
            ({"units": {"ts": "iso8601"}}, {"ts": 17e8}, "must be an ISO-8601 date-time string"),
            ({"units": {"pos": "ms"}}, {"pos": "12"}, '"pos" must be a number of ms'),
            ({"units": {"pos": "ms"}}, {"pos": True}, '"pos" must be a number of ms'),
            ({"fields": {"ts": "t"}}, {"ts": 1, "t": 2}, "both 'ts' (mapped to 't'"),
            ({"fields": {"a": "content.title"}}, {"a": "x", "content": 3}, "'content' must be"),
        ],
    )
    def test_a_record_the_schema_cannot_map_says_why(
        self, schema: dict[str, Any], record: dict[str, Any], reason: str
    ) -> None:
        """A record the schema cannot map raises BadRecord naming the field."""
        with pytest.raises(BadRecord, match=None) as caught:
            map_one(schema, record)
        assert reason in str(caught.value)

    def test_bad_records_are_reported_by_line_and_the_rest_replays(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A line the schema cannot map is FILE:LINE on stderr (exit 1); the others replay."""
        lines = EXPORT.read_text().splitlines()
        lines[3] = lines[3].replace("2023-11-14T22:13:30.900Z", "soon")
        log = tmp_path / "export.jsonl"
        log.write_text("\n".join(lines) + "\n")
        status = main(["replay", str(log), "--schema", str(EXPORT_SCHEMA), "--quiet"])
        captured = capsys.readouterr()
        expected = f"{log}:4: schema: \"eventTimestamp\": 'soon' is not an ISO-8601 date-time\n"
        assert (1, expected) == (status, captured.err)
        assert 20 == len(captured.out.splitlines())


class TestSchemaErrors:
    @pytest.mark.parametrize(
        ("text", "error"),
        [
            ("feilds = {}", "unknown key 'feilds' (the keys are: fields, events"),
            ("[units]\nts = 'sec'", "[units] ts: unknown unit 'sec' (the units are: s, ms"),
            ("[fields]\ncurrentTime = 'postion'", "[fields] currentTime: 'postion' is no field"),
            ("[fields]\nassetId = 'content.asset'", "[fields] assetId: 'asset' is no content"),
            ("[events]\nvideo_paused = 'paused'", "[events] video_paused: 'paused' is no vtrack"),
            ("[fields]\na = 't'\nb = 't'", "[fields] b: 'a' maps to 't' already"),
            ("[fields]\na = ''", "[fields] a: must be a non-empty string; got ''"),
            ("[fields]\na = 3", "[fields] a: must be a non-empty string; got 3"),
            ("drop = ['a']\n[fields]\na = 't'", "drop: 'a' is mapped too"),
            ("drop = 'a'", "drop must be a list of names; got 'a'"),
            ("ignore_events = [1]", "ignore_events must be a list of names"),
            ("other_fields = 'lose'", "other_fields: 'lose' is not one of: keep, drop"),
            ("fields = 3", "fields must be a table ([fields]); got 3"),
            ("[fields]\n'a..b' = 't'", "'a..b' is not a field name or a dotted path"),
            ("[constants]\nx = nan", "[constants] x: nan is not a value"),
            ("[fields\n", "not TOML: "),
        ],
    )
    def test_a_mistake_is_one_line_naming_the_key(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, error: str
    ) -> None:
        """A mistake in the schema file stops the replay with one line naming it (exit 2)."""
        path = tmp_path / "schema.toml"
        path.write_text(text + "\n")
        status = main(["replay", str(EXPORT), "--schema", str(path)])
        captured = capsys.readouterr()
        assert (2, "", 1) == (status, captured.out, len(captured.err.splitlines()))
        assert captured.err.startswith(f"vtrack replay: {path}: ")
        assert error in captured.err

    def test_a_missing_schema_file_is_one_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A schema file that does not exist is one line (exit 2)."""
        status = main(["replay", str(EXPORT), "--schema", "nowhere.toml"])
        expected = "vtrack replay: nowhere.toml: cannot read: No such file or directory\n"
        assert (2, expected) == (status, capsys.readouterr().err)

    def test_vtrack_event_names_are_checked(self) -> None:
        """An event mapped to no vtrack callback is refused at once; a player's are its own."""
        with pytest.raises(SchemaError, match=r"\[events\] x: 'paused' is no vtrack event"):
            LogSchema.from_mapping({"events": {"x": "paused"}}).mapper("vtrack")
        mapper = LogSchema.from_mapping({"events": {"x": "MediaPlayerVout"}}).mapper("vlc")
        assert {"event": "MediaPlayerVout"} == mapper({"event": "x"})

    def test_an_unknown_dialect_is_refused(self) -> None:
        """A dialect the replay does not read is refused, naming it."""
        with pytest.raises(SchemaError, match="unknown dialect 'wmp'"):
            LogSchema().mapper("wmp")


class TestSchemaMistakesFoundInReview:
    @pytest.mark.parametrize(
        ("schema", "error"),
        [
            (
                {"fields": {"ts": "t"}, "units": {"t": "ms"}},
                "[units] t: units are keyed by the log's field names; 't' is what [fields] "
                "makes of 'ts'",
            ),
            (
                {"fields": {"player": "extra", "player.state": "event"}},
                "[fields] player.state: 'player' is mapped too",
            ),
            ({"constants": {"t": float("inf")}}, "[constants] t: inf is not a value"),
        ],
    )
    def test_a_silent_or_order_dependent_schema_is_refused(
        self, schema: dict[str, Any], error: str
    ) -> None:
        """Units under the target name, overlapping sources and infinite constants: refused."""
        with pytest.raises(SchemaError) as caught:
            LogSchema.from_mapping(schema)
        assert error in str(caught.value)

    def test_seconds_are_checked_like_every_unit(self) -> None:
        """A field in seconds that holds a string is a bad record naming it."""
        with pytest.raises(BadRecord, match='"ts" must be a number of s'):
            map_one({"units": {"ts": "s"}}, {"ts": "12"})

    def test_a_schema_that_fits_no_line_says_so(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A schema that fits none of the first 20 lines stops the run saying the schema."""
        log = write_lines(tmp_path / "l.log", [{"ts": 1700000000 + n} for n in range(25)])
        status = main(["replay", str(log), "--schema", str(self.iso(tmp_path))])
        err = capsys.readouterr().err
        assert 2 == status and "the schema fits none of its first 20 lines" in err

    def iso(self, tmp_path: Path) -> Path:
        path = tmp_path / "iso.toml"
        path.write_text('[fields]\nts = "t"\n[units]\nts = "iso8601"\n')
        return path
