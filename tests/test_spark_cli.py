"""``vtrack replay --engine spark``: part files, the bad lines next to them, clear refusals."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from spark_logs import generate, split
from test_spark_replay import by_session

from vtrack.cli import main

pytestmark = pytest.mark.spark


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["replay", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """40 interleaved sessions in three files, with bad lines."""
    return split(generate(random.Random(7), 40), tmp_path_factory.mktemp("spark-cli-logs"))


def part_lines(directory: Path, suffix: str = ".txt") -> list[str]:
    """The lines of the part files, file after file (each part file is one partition)."""
    parts = sorted(directory.glob(f"part-*{suffix}"))
    return [line for part in parts for line in part.read_text().splitlines()]


class TestWrites:
    def test_part_files_hold_what_vtrack_replay_writes(
        self, spark: Any, logs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The part files' lines are vtrack replay's, each session's in its order; the bad
        lines go to DIR.bad-lines.txt as FILE:LINE: reason; exit status 1, as lines were
        skipped."""
        names = [str(path) for path in logs]
        _, single, single_err = run(capsys, *names)
        out = tmp_path / "out"
        status, _, err = run(capsys, *names, "--engine", "spark", "--out", str(out))
        actual = part_lines(out)
        assert sorted(single.splitlines()) == sorted(actual)
        assert by_session(single.splitlines()) == by_session(actual)
        reported = [
            line for line in single_err.splitlines() if line.startswith(str(logs[0].parent))
        ]
        bad = (tmp_path / "out.bad-lines.txt").read_text().splitlines()
        assert sorted(reported) == sorted(bad)
        assert 1 == status
        assert "sessions" in err and "lines skipped" in err

    def test_parquet_holds_one_row_per_message(
        self, spark: Any, logs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--out-format parquet writes the messages' rows: their message column holds the lines
        vtrack replay writes; the exit status is the same."""
        single_status, single, _ = run(capsys, str(logs[0]))
        out = tmp_path / "out"
        status, _, _ = run(
            capsys, str(logs[0]), "--engine", "spark", "--out", str(out),
            "--out-format", "parquet", "--quiet",
        )  # fmt: skip
        rows = spark.read.parquet(str(out)).collect()
        assert sorted(single.splitlines()) == sorted(row.message for row in rows)
        assert single_status == status

    def test_strict_stops_at_a_bad_line_naming_it(
        self, spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--strict: exit status 2, and the one line vtrack replay --strict prints."""
        log = tmp_path / "one-bad.log"
        example = Path(__file__).parent.parent / "examples" / "player.log"
        log.write_bytes(example.read_bytes() + b"not json\n")
        _, _, single_err = run(capsys, str(log), "--strict", "--quiet")
        out = tmp_path / "out"
        status, _, err = run(
            capsys, str(log), "--engine", "spark", "--out", str(out), "--strict", "--quiet"
        )
        assert (2, single_err) == (status, err)
        assert f"vtrack replay: {log}:23: not JSON" == err[: err.index(" JSON") + 5]


class TestQuiet:
    def test_a_run_prints_no_spark_log_lines(self, tmp_path: Path) -> None:
        """In its own process (Spark started by the command): stderr holds nothing from Spark's
        logging, only what the JVM itself says about its modules."""
        example = Path(__file__).parent.parent / "examples" / "player.log"
        env = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONF_DIR", "SPARK_LOCAL_IP")}
        done = subprocess.run(
            [sys.executable, "-m", "vtrack.cli", "replay", str(example), "--engine", "spark",
             "--spark-master", "local[1]", "--out", str(tmp_path / "out"), "--quiet"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        jvm = "WARNING: Using incubator modules"
        assert (0, []) == (
            done.returncode,
            [line for line in done.stderr.splitlines() if not line.startswith(jvm)],
        )


class TestRefusals:
    @pytest.mark.parametrize(
        ("extra", "says"),
        [
            ([], "give --out DIR"),
            (["--out", "-"], "give --out DIR"),
            (["--out", "{log}"], "is a file"),
            (["--out", "{full}"], "is not empty"),
            (["--out", "{new}", "--max-open-sessions", "5"], "--max-open-sessions"),
        ],
    )
    def test_a_run_that_cannot_write_part_files_is_refused(
        self,
        logs: list[Path],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        extra: list[str],
        says: str,
    ) -> None:
        """No --out, --out naming a file or a full directory: exit 2, one line saying why."""
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "x").write_text("x")
        where = {"log": str(logs[0]), "full": str(tmp_path / "full"), "new": str(tmp_path / "n")}
        args = [arg.format(**where) for arg in extra]
        status, out, err = run(capsys, str(logs[0]), "--engine", "spark", *args)
        assert (2, "", 1, True) == (status, out, len(err.splitlines()), says in err)

    def test_spark_options_need_the_spark_engine(
        self, logs: list[Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--out-format without --engine spark is refused (exit 2), not ignored."""
        status, _, err = run(capsys, str(logs[0]), "--out-format", "parquet")
        assert (2, "vtrack replay: --spark-master and --out-format go with --engine spark\n") == (
            status,
            err,
        )

    def test_without_pyspark_the_command_says_how_to_install_it(
        self, logs: list[Path], tmp_path: Path
    ) -> None:
        """Without pyspark: exit 2 and one line naming pip install 'vtrack[spark]', no traceback."""
        code = (
            "import sys; sys.modules['pyspark'] = None; from vtrack.cli import main; "
            f"sys.exit(main(['replay', {str(logs[0])!r}, '--engine', 'spark', '--out', "
            f"{str(tmp_path / 'out')!r}]))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        expected = (
            "vtrack replay: --engine spark needs pyspark: pip install 'vtrack[spark]' "
            "(and Java 17 or later)\n"
        )
        assert (2, expected) == (done.returncode, done.stderr)
