"""A DataFrame of lines as the Spark replay's input: the same messages and bad lines as
``vtrack replay`` on the files the lines came from."""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from spark_logs import generate, split
from test_spark_replay import by_session

from vtrack.replay import replay
from vtrack.spark import replay_spark, replay_spark_frames
from vtrack.spark.frame_input import ONE_SOURCE, first_numbers

pytestmark = pytest.mark.spark


def lines_of(path: Path) -> list[bytes]:
    data = path.read_bytes()
    text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return text.split(b"\n")[:-1]


def single_run(logs: list[Path]) -> tuple[list[str], list[tuple[str, int, str]], int]:
    run = replay(logs)
    messages = [orjson.dumps(message).decode() for message in run]
    bad = [(source, line, reason) for (source, line), reason in run.bad_lines]
    return messages, bad, run.bad_line_count


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """30 interleaved sessions in three files named in replay order, with bad lines."""
    directory = tmp_path_factory.mktemp("spark-frame-logs")
    return split(generate(random.Random(5), 30), directory)


class TestFrameOfLines:
    def test_bytes_with_source_and_line_give_vtrack_replays_output(
        self, spark: Any, logs: list[Path]
    ) -> None:
        """value (bytes), source and line columns: the messages, each session's order and the
        bad lines (FILE:LINE: reason) are vtrack replay's on the files."""
        expected, expected_bad, skipped = single_run(logs)
        rows = [
            (line, str(path), number)
            for path in logs
            for number, line in enumerate(lines_of(path), 1)
        ]
        random.Random(1).shuffle(rows)  # the order comes from source and line, not the frame
        frame = spark.createDataFrame(rows, "value binary, source string, line long")
        replayed = replay_spark_frames(spark, frame, partitions=3)
        actual = [row.message for row in replayed.messages.collect()]
        bad = replayed.bad_lines.collect()
        assert sorted(expected) == sorted(actual)
        assert by_session(expected) == by_session(actual)
        assert sorted(expected_bad) == sorted((row.source, row.line, row.reason) for row in bad)
        assert skipped == sum(row.lines for row in bad)

    def test_spark_read_text_numbers_each_files_lines(self, spark: Any, tmp_path: Path) -> None:
        """spark.read.text of the logs (one gzip), source from input_file_name(): the messages
        are vtrack replay's and the bad lines carry each file's own line numbers."""
        from pyspark.sql.functions import input_file_name

        lines = [line for line in generate(random.Random(9), 20) if b"\xff" not in line]
        logs = split(lines, tmp_path)  # text: a line that is not UTF-8 would be decoded lossily
        expected, expected_bad, _ = single_run(logs)
        frame = spark.read.text([str(path) for path in logs]).withColumn(
            "source", input_file_name()
        )
        replayed = replay_spark_frames(spark, frame, partitions=2)
        actual = [row.message for row in replayed.messages.collect()]
        bad = [(Path(row.source.removeprefix("file://")), row.line, row.reason)
               for row in replayed.bad_lines.collect()]  # fmt: skip
        assert sorted(expected) == sorted(actual)
        assert by_session(expected) == by_session(actual)
        assert sorted((Path(s), n, r) for s, n, r in expected_bad) == sorted(bad)

    def test_a_frame_without_source_is_one_log(self, spark: Any, tmp_path: Path) -> None:
        """Only a value column: the lines are one log named <dataframe>, in the frame's order
        (one partition of sessions: the very sequence vtrack replay gives)."""
        example = Path(__file__).parent.parent / "examples" / "player.log"
        expected, _, _ = single_run([example])
        frame = spark.createDataFrame([(line,) for line in lines_of(example)], "value binary")
        replayed = replay_spark_frames(spark, frame.coalesce(1), partitions=1)
        actual = [row.message for row in replayed.messages.collect()]
        assert expected == actual  # one partition: the single-process order exactly
        with_bad = spark.createDataFrame([(b"not json",)], "value binary")
        reported = replay_spark_frames(spark, with_bad).bad_lines.collect()
        assert [(ONE_SOURCE, 1)] == [(row.source, row.line) for row in reported]

    @pytest.mark.parametrize(
        ("ddl", "says"),
        [
            ("text string", "needs a 'value' column"),
            ("value int", "needs a 'value' column"),
            ("value string, line long", "needs a 'source' column"),
            ("value string, source int", "needs a 'value' column"),
        ],
    )
    def test_a_frame_of_the_wrong_shape_is_refused(self, spark: Any, ddl: str, says: str) -> None:
        """Missing or mistyped columns: ValueError naming what is needed, before any job."""
        frame = spark.createDataFrame([], ddl)
        with pytest.raises(ValueError, match=says):
            replay_spark(spark, frame)


class TestNumbering:
    def test_each_partition_starts_where_the_last_left_off(self) -> None:
        """Lines are numbered per source across partitions, in partition order, from 1."""
        counts = [(1, "a", 3), (0, "a", 2), (0, "b", 4), (2, "b", 1)]
        expected = {(0, "a"): 1, (1, "a"): 3, (0, "b"): 1, (2, "b"): 5}
        assert expected == first_numbers(counts)
