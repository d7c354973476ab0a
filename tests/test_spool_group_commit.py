"""Group commits: HttpSink commits outbox events in groups, flush()/close() commit the rest,
and delivered rows are deleted in groups."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from collector import FAST, Collector, free_port, message

from vtrack.delivery import BatchLimits
from vtrack.sinks import staging
from vtrack.sinks.http import HttpSink
from vtrack.sinks.spool import OutboxError, Spool


@pytest.fixture
def no_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sender never commits a group that is not full (only emit, flush and close do)."""
    monkeypatch.setattr(staging, "COMMIT_DELAY", 3600.0)


def down_sink(path: Path, **options: object) -> HttpSink:
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    return HttpSink("endpoint", url=down, write_key="k", retry=FAST, spool=path, **options)  # type: ignore[arg-type]


def test_a_full_group_is_committed_by_the_emit_that_fills_it(
    tmp_path: Path, no_timer: None
) -> None:
    """With groups of 4: 3 events wait uncommitted; the 4th emit commits all 4 at once."""
    sink = down_sink(tmp_path / "outbox.db", spool_commit_every=4)
    for number in range(3):
        sink.emit(message(number))
    assert (0, 3) == (Spool(tmp_path / "outbox.db").status().pending, sink.counters.uncommitted)
    sink.emit(message(3))
    assert (4, 0) == (Spool(tmp_path / "outbox.db").status().pending, sink.counters.uncommitted)
    sink.close(timeout=0.2)


def test_flush_and_close_commit_what_is_staged(tmp_path: Path, no_timer: None) -> None:
    """flush() commits the staged events before it waits; so does close(); none is lost."""
    path = tmp_path / "outbox.db"
    sink = down_sink(path)
    for number in range(3):
        sink.emit(message(number))
    assert 3 == sink.counters.uncommitted
    report = sink.flush(timeout=0.1)
    assert (0, 3, 3) == (report.uncommitted, len(report.pending), Spool(path).status().pending)
    sink.emit(message(3))
    report = sink.close(timeout=0.2)
    assert (0, 4, 4) == (report.uncommitted, len(report.pending), Spool(path).status().pending)


def test_the_sender_commits_a_group_that_does_not_fill(
    collector: Collector, tmp_path: Path
) -> None:
    """Three events and no flush: the sender commits them after COMMIT_DELAY and sends them."""
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST,
                    spool=tmp_path / "outbox.db", limits=BatchLimits(interval=0.05))  # fmt: skip
    for number in range(3):
        sink.emit(message(number))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(collector.accepted_ids()) < 3:
        time.sleep(0.02)
    assert ["id-0", "id-1", "id-2"] == collector.accepted_ids()
    assert 0 == sink.counters.uncommitted
    assert sink.close(timeout=5).complete


def test_a_group_the_outbox_refuses_keeps_all_but_the_last_event(
    tmp_path: Path, no_timer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox fails once: the emit that filled the group raises OutboxError and its event is
    not taken; the events before it stay staged and are committed by the next flush."""
    path = tmp_path / "outbox.db"
    sink = down_sink(path, spool_commit_every=3)
    spool = sink._state.spool
    assert spool is not None
    real = spool.append_many
    failures = [sqlite3.OperationalError("disk I/O error")]

    def append_many(datas: list[bytes], timeout: float | None = None) -> list[int]:
        if failures:
            raise failures.pop()
        return real(datas, timeout)

    monkeypatch.setattr(spool, "append_many", append_many)
    sink.emit(message(0))
    sink.emit(message(1))
    with pytest.raises(OutboxError, match=r"disk I/O error.*was not accepted"):
        sink.emit(message(2))
    assert (2, 2) == (sink.counters.uncommitted, sink.counters.emitted)
    report = sink.close(timeout=0.2)
    assert (0, 2) == (report.uncommitted, report.emitted)
    assert ["id-0", "id-1"] == [json.loads(data)["messageId"] for _, data in Spool(path).pending()]


def test_committing_each_event_keeps_nothing_staged(tmp_path: Path) -> None:
    """spool_commit_every=1: each event is in the outbox when emit() returns."""
    path = tmp_path / "outbox.db"
    sink = down_sink(path, spool_commit_every=1)
    sink.emit(message(0))
    assert (1, 0) == (Spool(path).status().pending, sink.counters.uncommitted)
    sink.close(timeout=0.2)


def test_a_group_of_no_events_is_refused() -> None:
    """spool_commit_every=0 raises ValueError naming it."""
    with pytest.raises(ValueError, match="spool_commit_every must be a positive number"):
        HttpSink("endpoint", url="http://127.0.0.1:9/v1/batch", write_key="k", spool_commit_every=0)


def test_delivered_rows_are_deleted_by_the_time_flush_returns(
    collector: Collector, tmp_path: Path
) -> None:
    """Deletes of delivered rows are grouped, but none is left once flush() reports all done."""
    path = tmp_path / "outbox.db"
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=path,
                    limits=BatchLimits(max_events=10))  # fmt: skip
    for number in range(250):
        sink.emit(message(number))
    assert sink.flush(timeout=20).complete
    assert (0, 250) == (Spool(path).status().pending, len(collector.accepted_ids()))
    sink.close(timeout=5)


def test_what_the_outbox_never_takes_is_reported_uncommitted(
    tmp_path: Path,
    no_timer: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outbox that always fails: close() reports the staged events as uncommitted, loudly."""
    sink = down_sink(tmp_path / "outbox.db")
    spool = sink._state.spool
    assert spool is not None

    def append_many(datas: list[bytes], timeout: float | None = None) -> list[int]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(spool, "append_many", append_many)
    sink.emit(message(0))
    sink.emit(message(1))
    report = sink.close(timeout=0.2)
    assert (2, 2) == (report.uncommitted, len(report.pending))
    assert "2 of them could not be committed to the outbox" in caplog.text
