"""The Spark replay gives what ``vtrack replay`` gives: the same messages, the same bad lines."""

from __future__ import annotations

import gzip
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from spark_logs import generate, split

from vtrack.replay import ReplayError, replay
from vtrack.spark import replay_error, replay_spark, replay_spark_frames

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """60 interleaved sessions in three files (one gzip), some spanning files, with bad lines."""
    directory = tmp_path_factory.mktemp("spark-logs")
    return split(generate(random.Random(20), 60), directory)


@pytest.fixture(scope="module")
def single(logs: list[Path]) -> tuple[list[str], list[tuple[str, int, str]], int]:
    """``vtrack replay`` on the logs: its message lines, its bad lines and how many it skipped."""
    run = replay(logs)
    lines = [orjson.dumps(message).decode() for message in run]
    bad = [(source, line, reason) for (source, line), reason in run.bad_lines]
    return lines, bad, run.bad_line_count


def _text(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def by_session(lines: list[str]) -> dict[str, list[str]]:
    sessions: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        sessions[orjson.loads(line)["properties"]["session_id"]].append(line)
    return dict(sessions)


class TestIdenticalOutput:
    @pytest.mark.parametrize("partitions", [1, 3])
    def test_the_same_messages_in_the_same_order(
        self, spark: Any, logs: list[Path], single: Any, partitions: int
    ) -> None:
        """The set of message lines is vtrack replay's byte for byte; each session's sequence
        is the same, whatever the number of partitions."""
        expected, _, _ = single
        rows = replay_spark(spark, logs, partitions=partitions).collect()
        actual = [row.message for row in rows]
        assert sorted(expected) == sorted(actual)
        assert by_session(expected) == by_session(actual)

    def test_the_logs_are_what_the_test_says(self, logs: list[Path], single: Any) -> None:
        """The generated logs hold many sessions, reused ids, sessions spanning files, bad lines."""
        expected, bad, skipped = single
        sessions = by_session(expected)
        exits = [
            session
            for session, lines in sessions.items()
            if sum('"Video Playback Exited"' in line for line in lines) > 1
        ]
        in_files = [set(re.findall(rb'"session": "(s\d+)"', _text(path))) for path in logs]
        spanning = (in_files[0] & in_files[1]) | (in_files[1] & in_files[2])
        counts = (len(sessions) >= 50, len(exits) >= 10, len(spanning) >= 10, len(bad) >= 10)
        assert (True, True, True, True) == counts
        assert skipped > len(bad)  # the session that never named its viewer counts its lines

    def test_the_columns_come_from_the_message(self, spark: Any, logs: list[Path]) -> None:
        """Each row's columns are its message's session, messageId, timestamp, event and ids."""
        for row in replay_spark(spark, logs[:1], partitions=2).collect():
            message = orjson.loads(row.message)
            expected = (
                message["properties"]["session_id"],
                message["messageId"],
                message["timestamp"],
                message["event"],
                message.get("userId"),
                message.get("anonymousId"),
            )
            actual = (
                row.session,
                row.messageId,
                row.timestamp,
                row.event,
                row.user_id,
                row.anonymous_id,
            )
            assert expected == actual


class TestBadLines:
    def test_every_bad_line_is_reported_as_file_line_reason(
        self, spark: Any, logs: list[Path], single: Any
    ) -> None:
        """The side output holds every bad line vtrack replay reports, and its count of them."""
        _, expected, skipped = single
        frames = replay_spark_frames(spark, logs, partitions=3)
        rows = frames.bad_lines.collect()
        actual = [(row.source, row.line, row.reason) for row in rows]
        assert sorted(expected) == sorted(actual)
        assert skipped == sum(row.lines for row in rows)
        assert [logs.index(Path(row.source)) for row in rows] == [row.input for row in rows]

    def test_the_totals_are_vtrack_replays(self, spark: Any, logs: list[Path]) -> None:
        """After one action, the totals hold the single-process run's counts."""
        run = replay(logs)
        for _ in run:
            pass
        frames = replay_spark_frames(spark, logs, partitions=3)
        frames.messages.count()
        totals = frames.totals.value
        expected = (run.stats.sessions, run.stats.callbacks, run.stats.events, run.bad_line_count)
        actual = (totals.sessions, totals.callbacks, totals.events, totals.bad_line_count)
        assert expected == actual
        kept = [(source, line, reason) for (_, line), source, reason in totals.bad_lines]
        assert sorted((s, n, r) for (s, n), r in run.bad_lines) == sorted(kept)

    def test_strict_fails_the_job_naming_the_first_bad_line(
        self, spark: Any, logs: list[Path]
    ) -> None:
        """With strict=True the job fails at the first bad line (one partition: the input's
        first), and replay_error gives vtrack replay's one line for it."""
        with pytest.raises(ReplayError) as single:
            for _ in replay(logs, strict=True):
                pass
        with pytest.raises(Exception) as failed:
            replay_spark(spark, logs, strict=True, partitions=1).count()
        error = replay_error(failed.value)
        assert str(single.value) == (str(error) if error is not None else None)

    def test_standard_input_is_refused(self, spark: Any) -> None:
        """The Spark replay reads files: - (standard input) is refused before any job."""
        with pytest.raises(ValueError, match="standard input"):
            replay_spark(spark, ["-"])
