"""Delivery from the Spark executors: every message reaches a real collector, a retried
partition re-sends the same messageIds, a failed delivery fails the job and says so."""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from collector import FAST, Collector
from spark_logs import generate, split
from test_spark_cli import part_lines, run

from vtrack.core.errors import QueueFull
from vtrack.delivery import BatchLimits
from vtrack.sinks.delivery_options import DeliveryReport
from vtrack.sinks.http import HttpSink
from vtrack.spark import DeliveryIncomplete, DeliveryTotals, SinkSpec, deliver_spark, replay_spark
from vtrack.spark.delivery import deliver_partition

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """12 interleaved sessions in three files."""
    return split(generate(random.Random(11), 12), tmp_path_factory.mktemp("spark-sink-logs"))


def ids_of(lines: list[str]) -> list[str]:
    return sorted(orjson.loads(line)["messageId"] for line in lines)


@attrs.frozen
class FirstAttemptFails(SinkSpec):
    """A sink spec whose sink, in the first run of partition 0, delivers ``delivered_first``
    messages and then fails the task (as a lost executor would)."""

    delivered_first: int = 5

    def make(self) -> Any:
        from pyspark import TaskContext

        task = TaskContext.get()
        assert task is not None
        sink = super().make()
        if task.partitionId() == 0 and task.attemptNumber() == 0:
            return _FailsAfter(sink, self.delivered_first)
        return sink


class _FailsAfter:
    def __init__(self, sink: HttpSink, count: int) -> None:
        self.sink, self.left = sink, count

    def emit(self, message: dict[str, Any]) -> None:
        if self.left == 0:
            self.sink.flush(timeout=10)  # what it took is delivered before the task dies
            raise RuntimeError("the executor went away")
        self.left -= 1
        self.sink.emit(message)

    def flush(self) -> object:
        return self.sink.flush()

    def close(self, timeout: float | None = None) -> DeliveryReport:
        return self.sink.close(timeout=timeout)


def _by_value() -> None:
    """The executors import vtrack, not the tests: the test's classes travel by value."""
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])


class TestDeliveryFromExecutors:
    def test_every_message_reaches_the_collector_once(
        self,
        spark: Any,
        logs: list[Path],
        tmp_path: Path,
        collector: Collector,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """--engine spark --sink endpoint: the collector gets exactly the messages of the part
        files, each once; the summary counts them delivered."""
        monkeypatch.setenv("VTRACK_WRITE_KEY", "key")
        out = tmp_path / "out"
        names = [str(path) for path in logs]
        status, _, err = run(
            capsys, *names, "--engine", "spark", "--out", str(out),
            "--sink", "endpoint", "--url", collector.url,
        )  # fmt: skip
        written = part_lines(out)
        assert ids_of(written) == sorted(collector.accepted_ids())
        assert 1 == status  # the generated logs hold bad lines
        rows = [[cell.strip() for cell in line.split("│")[1:3]] for line in err.splitlines()]
        assert ["delivered", f"{len(written):,}"] in rows

    def test_a_retried_partition_sends_the_same_messageids_again(
        self, spark: Any, logs: list[Path], collector: Collector
    ) -> None:
        """Partition 0 dies after delivering 5 messages; Spark runs it again: the collector
        holds every message, the 5 twice with the same messageIds, and the totals count each
        message once."""
        _by_value()
        messages = replay_spark(spark, logs, partitions=2).persist()
        try:
            expected = sorted(row.messageId for row in messages.select("messageId").collect())
            spec = FirstAttemptFails(
                "endpoint", "key", url=collector.url,
                options={"retry": FAST, "limits": BatchLimits(max_events=5)},
            )  # fmt: skip
            totals = deliver_spark(messages, spec)
        finally:
            messages.unpersist()
        received = collector.accepted_ids()
        repeats = Counter(received) - Counter(set(received))
        assert expected == sorted(set(received))
        assert 5 == sum(repeats.values())
        assert (2, len(expected), len(expected)) == (
            totals.partitions,
            totals.messages,
            totals.delivered,
        )

    def test_a_delivery_that_cannot_complete_fails_the_job_saying_why(
        self,
        spark: Any,
        logs: list[Path],
        tmp_path: Path,
        collector: Collector,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """An endpoint that refuses the key: exit status 3, one line saying the delivery
        failed, why, and that every message is in the part files."""
        collector.script = [(401, {})] * 1000
        monkeypatch.setenv("VTRACK_WRITE_KEY", "wrong")
        out = tmp_path / "out"
        status, _, err = run(
            capsys, str(logs[0]), "--engine", "spark", "--out", str(out), "--quiet",
            "--sink", "endpoint", "--url", collector.url,
        )  # fmt: skip
        failure = [line for line in err.splitlines() if "delivery failed" in line]
        assert 3 == status
        assert 1 == len(failure)
        assert "refused by the endpoint" in failure[0] and f"is in {out}" in failure[0]
        assert [] == collector.accepted_ids()
        assert part_lines(out)

    def test_spool_is_refused_with_the_spark_engine(
        self, logs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--spool with --engine spark: exit 2, one line saying why (a retried task is the
        durability)."""
        status, _, err = run(
            capsys, str(logs[0]), "--engine", "spark", "--out", str(tmp_path / "o"),
            "--sink", "segment", "--spool", str(tmp_path / "outbox.db"),
        )  # fmt: skip
        assert (2, 1) == (status, len(err.splitlines()))
        assert "--spool is not available with --engine spark" in err

    def test_a_missing_write_key_is_said_before_spark_starts(
        self,
        logs: list[Path],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """--sink segment without SEGMENT_WRITE_KEY: exit 2 and the single-process replay's
        line."""
        monkeypatch.delenv("SEGMENT_WRITE_KEY", raising=False)
        status, _, err = run(
            capsys, str(logs[0]), "--engine", "spark", "--out", str(tmp_path / "o"),
            "--sink", "segment",
        )  # fmt: skip
        expected = (
            "vtrack replay: --sink segment needs a write key: set SEGMENT_WRITE_KEY "
            "(or give --write-key-file)\n"
        )
        assert (2, expected) == (status, err)


class TestSinkSpec:
    def test_a_spool_is_refused(self) -> None:
        """SinkSpec(options={'spool': ...}) raises ValueError saying why."""
        with pytest.raises(ValueError, match="takes no spool"):
            SinkSpec("segment", "key", options={"spool": "x.db"})

    def test_the_write_key_is_not_in_its_repr(self) -> None:
        """The spec's repr leaves the write key out."""
        assert "secret" not in repr(SinkSpec("segment", "secret"))

    def test_a_failed_job_says_the_partition_problem(self) -> None:
        """replay_error reads a DeliveryIncomplete out of a failed job's text, as the one line
        the command prints."""
        from vtrack.spark import replay_error

        text = (
            "Job aborted due to stage failure: Task 0 in stage 3.0 failed 2 times\n"
            "Traceback (most recent call last):\n  ...\n"
            f"{DeliveryIncomplete.__module__}.DeliveryIncomplete: 3 not sent\n"
        )
        error = replay_error(RuntimeError(text))
        assert "3 not sent" == str(error)


class _SlowSink:
    """Takes each message after ``pause`` s; full (QueueFull) after ``room`` messages."""

    def __init__(self, pause: float, room: int = 1_000_000) -> None:
        self.pause, self.room, self.taken = pause, room, 0

    def emit(self, message: dict[str, Any]) -> None:
        if self.taken >= self.room:
            raise QueueFull("full")
        time.sleep(self.pause)
        self.taken += 1

    def flush(self) -> object:
        return None

    def close(self, timeout: float | None = None) -> DeliveryReport:
        return DeliveryReport(self.taken, self.taken, 0, 0, ())


class _Totals:
    def __init__(self) -> None:
        self.added: list[DeliveryTotals] = []

    def add(self, totals: DeliveryTotals) -> None:
        self.added.append(totals)


class TestPartitionDeadline:
    def test_a_partition_longer_than_the_timeout_is_delivered_while_it_progresses(self) -> None:
        """20 messages taken 10 ms apart with a 50 ms deliver_timeout: all delivered (the
        timeout bounds waits without progress, not the partition)."""
        totals = _Totals()
        rows = [(orjson.dumps({"messageId": f"m{n}"}).decode(),) for n in range(20)]
        deliver_partition(lambda: _SlowSink(0.01), 0.05, totals, rows)
        assert [DeliveryTotals(1, 20, 20, 0)] == totals.added

    def test_an_endpoint_that_makes_no_room_fails_the_task(self) -> None:
        """A sink full after 3 messages: DeliveryIncomplete once deliver_timeout passed with
        no room, and nothing counted."""
        totals = _Totals()
        rows = [(orjson.dumps({"messageId": f"m{n}"}).decode(),) for n in range(5)]
        with pytest.raises(DeliveryIncomplete, match="no room"):
            deliver_partition(lambda: _SlowSink(0.0, room=3), 0.05, totals, rows)
        assert [] == totals.added
