"""``vtrack stats`` and ``vtrack replay --stats``: formats, groups, bad lines, exit statuses."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from vtrack.cli import main
from vtrack.stats import AGGREGATE_FIELDS, FIELDS, summarize

PLAYER_LOG = Path(__file__).parent.parent / "examples" / "player.log"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The messages of examples/player.log (two sessions), as vtrack replay writes them."""
    path = tmp_path / "events.jsonl"
    assert 0 == main(["replay", str(PLAYER_LOG), "--out", str(path), "--quiet"])
    capsys.readouterr()
    return path


class TestFormats:
    def test_the_default_is_a_table_of_sessions(
        self, events: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A table with a title and one row per session, exit status 0, nothing on stderr."""
        status, out, err = run(capsys, "stats", str(events))
        assert (0, "") == (status, err)
        assert out.startswith("vtrack stats: 2 sessions\n")
        assert ["s1", "s2"] == [line.split()[1] for line in out.splitlines() if "exited" in line]

    def test_jsonl_gives_every_field_of_every_session(
        self, events: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--format jsonl: one object per session, the summaries' rows exactly."""
        status, out, _ = run(capsys, "stats", str(events), "--format", "jsonl")
        with events.open() as lines:
            expected = [stats.as_row() for stats in summarize(json.loads(line) for line in lines)]
        assert 0 == status
        assert expected == [json.loads(line) for line in out.splitlines()]

    def test_csv_has_a_header_and_a_row_per_session(
        self, events: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--format csv: the fields as the header, one row per session, None as empty."""
        _, out, _ = run(capsys, "stats", str(events), "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        assert list(FIELDS) == list(rows[0])
        assert ["s1", "s2"] == [row["session_id"] for row in rows]
        assert "" == rows[1]["completion"]

    def test_gzip_and_stdin_read_the_same(
        self, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A .gz file gives the same rows as the plain file."""
        packed = tmp_path / "events.jsonl.gz"
        packed.write_bytes(gzip.compress(events.read_bytes()))
        plain = run(capsys, "stats", str(events), "--format", "jsonl")
        assert plain == run(capsys, "stats", str(packed), "--format", "jsonl")


class TestGroups:
    def test_by_asset_id(self, events: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--by asset_id: one row per asset with the aggregate figures."""
        _, out, _ = run(capsys, "stats", str(events), "--by", "asset_id", "--format", "jsonl")
        rows = [json.loads(line) for line in out.splitlines()]
        assert ["asset_id", *AGGREGATE_FIELDS] == list(rows[0])
        assert [1, 1] == [row["attempts"] for row in rows]

    def test_aggregate_is_one_row(self, events: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--aggregate: one row over every session."""
        _, out, _ = run(capsys, "stats", str(events), "--aggregate", "--format", "jsonl")
        (row,) = [json.loads(line) for line in out.splitlines()]
        assert {"group": "all", "attempts": 2, "plays": 2, "ebvs_rate": 0.0} == {
            key: row[key] for key in ("group", "attempts", "plays", "ebvs_rate")
        }

    def test_by_day_table(self, events: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--by day as a table names the grouping in its title."""
        _, out, _ = run(capsys, "stats", str(events), "--by", "day")
        assert out.startswith("vtrack stats: 2 sessions, by day\n")


class TestBadInput:
    def test_bad_lines_are_reported_counted_and_skipped(
        self, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Not JSON, not an object, a field missing: FILE:LINE: reason each, exit status 1."""
        broken = tmp_path / "broken.jsonl"
        good = events.read_text().splitlines()
        bad = [
            "{not json",
            "[1, 2]",
            json.dumps({"event": "Video Playback Paused", "properties": {"session_id": "x"}}),
        ]
        broken.write_text("\n".join([good[0], *bad, *good[1:]]) + "\n")
        status, out, err = run(capsys, "stats", str(broken), "--format", "jsonl")
        assert 1 == status
        assert [
            "broken.jsonl:2: not JSON: unexpected character, expected a string key",
            "broken.jsonl:3: not a JSON object but an array",
            "broken.jsonl:4: 'Video Playback Paused': missing field: timestamp (ISO-8601)",
            "vtrack stats: 3 lines skipped (reported above)",
        ] == [line.replace(str(tmp_path) + "/", "") for line in err.splitlines()]
        assert 2 == len(out.splitlines())

    def test_an_unknown_group_says_what_is_allowed(
        self, events: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--by with an unknown field: a usage error (status 2) listing the allowed ones."""
        with pytest.raises(SystemExit) as stopped:
            main(["stats", str(events), "--by", "colour"])
        err = capsys.readouterr().err
        assert 2 == stopped.value.code
        assert "cannot group by 'colour'; allowed: day, asset_id, session_id" in err

    def test_an_unknown_format_says_what_is_allowed(
        self, events: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--format xml: a usage error naming table, jsonl and csv."""
        with pytest.raises(SystemExit) as stopped:
            main(["stats", str(events), "--format", "xml"])
        assert 2 == stopped.value.code
        err = capsys.readouterr().err.splitlines()[-1]
        assert "vtrack stats: error: argument --format: invalid choice: 'xml'" in err
        assert ["table", "jsonl", "csv"] == [
            name for name in ("table", "jsonl", "csv") if name in err
        ]

    def test_a_missing_file_is_status_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file that does not exist: one line on stderr, exit status 2."""
        status, out, err = run(capsys, "stats", str(tmp_path / "nope.jsonl"))
        assert (2, "", f"vtrack stats: {tmp_path / 'nope.jsonl'}: no such file\n") == (
            status,
            out,
            err,
        )


class TestReplayStats:
    def test_replay_prints_the_same_table_without_a_second_pass(
        self, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """replay --stats --out FILE prints on stdout the table vtrack stats prints of FILE."""
        out_path = tmp_path / "again.jsonl"
        status, out, _ = run(
            capsys, "replay", str(PLAYER_LOG), "--out", str(out_path), "--stats", "--quiet"
        )
        assert 0 == status
        assert run(capsys, "stats", str(events))[1] == out

    def test_with_messages_on_stdout_the_table_goes_to_stderr(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """replay --stats with messages on stdout: stdout stays JSON Lines only."""
        status, out, err = run(capsys, "replay", str(PLAYER_LOG), "--stats", "--quiet")
        assert 0 == status
        assert all(json.loads(line)["type"] == "track" for line in out.splitlines())
        assert err.startswith("vtrack stats: 2 sessions\n")


class TestReadme:
    def test_the_readmes_example_is_real_output(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The README's `vtrack replay ... --stats` table is what the command prints."""
        readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
        command = "$ vtrack replay examples/player.log --out events.jsonl --quiet --stats\n"
        shown = readme.split(command, 1)[1].split("```", 1)[0]
        out = tmp_path / "events.jsonl"
        _, printed, _ = run(
            capsys, "replay", str(PLAYER_LOG), "--out", str(out), "--quiet", "--stats"
        )
        assert shown == printed
