"""With an outbox, memory holds at most the budget: later events wait on disk and are read back."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from collector import FAST, free_port, message, running_collector

from vtrack.delivery import BatchLimits, encode
from vtrack.sinks import delivery_state
from vtrack.sinks.delivery_state import PAGE_ROWS
from vtrack.sinks.http import HttpSink
from vtrack.sinks.http_async import AsyncHttpSink
from vtrack.sinks.spool import Spool

BUDGET = 4_000  # bytes: a few dozen small events
EVENTS = 1_500
LIMITS = BatchLimits(max_events=50, interval=0.02)
EVENT_SIZE = max(len(encode(message(number))) for number in (0, EVENTS))


def largest_memory_use(sink: HttpSink | AsyncHttpSink) -> int:
    return sink._state.pending_bytes


def test_a_long_outage_keeps_memory_within_the_budget(tmp_path: Path) -> None:
    """In a long outage memory stays within budget plus one event; the outbox holds all events."""
    path = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    sink = HttpSink(
        "endpoint",
        url=down,
        write_key="k",
        retry=FAST,
        spool=path,
        max_pending_bytes=BUDGET,
        limits=LIMITS,
        emit_timeout=0.1,
    )
    for number in range(EVENTS):
        sink.emit(message(number))  # never QueueFull: the outbox takes what memory cannot
        assert largest_memory_use(sink) <= BUDGET + EVENT_SIZE
    report = sink.close(timeout=0.5)
    assert report.emitted == EVENTS and not report.complete
    assert EVENTS == len(report.pending) + report.in_outbox
    assert report.in_outbox > EVENTS // 2
    assert EVENTS == Spool(path).status().pending


def test_a_large_leftover_is_read_back_page_by_page_and_delivered_in_order(
    tmp_path: Path,
) -> None:
    """A big leftover is read back only as far as the budget allows, then sent before new events."""
    path = tmp_path / "outbox.db"
    spool = Spool(path)
    for number in range(EVENTS):
        spool.append(b'{"type":"track","messageId":"id-%d","anonymousId":"a"}' % number)
    spool.close()
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    options = {"write_key": "k", "retry": FAST, "spool": path, "max_pending_bytes": BUDGET}
    waiting = HttpSink("endpoint", url=down, limits=LIMITS, **options)  # type: ignore[arg-type]
    # Read back at start: what fits in the budget, not the whole file.
    assert waiting._state.pending_bytes <= BUDGET + EVENT_SIZE
    assert waiting.counters.in_outbox == EVENTS - len(waiting._state.rows) > EVENTS - PAGE_ROWS
    assert EVENTS == waiting.close(timeout=0.3).emitted
    with running_collector() as collector:
        sink = HttpSink("endpoint", url=collector.url, limits=LIMITS, **options)  # type: ignore[arg-type]
        for number in range(EVENTS, EVENTS + 100):  # new events queue behind the leftovers
            sink.emit(message(number))
        report = sink.close(timeout=20)
        assert report.complete and report.delivered == EVENTS + 100
        assert [f"id-{n}" for n in range(EVENTS + 100)] == collector.accepted_ids()
    assert 0 == Spool(path).status().pending


def test_rows_settled_by_hand_while_waiting_are_skipped(tmp_path: Path) -> None:
    """Rows marked dead by hand in the outbox are skipped when the next sink sends the rest."""
    path = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    first = HttpSink(
        "endpoint", url=down, write_key="k", retry=FAST, spool=path, max_pending_bytes=BUDGET
    )
    for number in range(300):
        first.emit(message(number))
    first.close(timeout=0.3)
    spool = Spool(path)
    rows = [row for row, _ in spool.pending()]
    spool.dead(rows[200:250], 400, "marked by a person")
    spool.close()
    with running_collector() as collector:
        second = HttpSink(
            "endpoint",
            url=collector.url,
            write_key="k",
            retry=FAST,
            spool=path,
            max_pending_bytes=BUDGET,
            limits=LIMITS,
        )
        assert second.close(timeout=20).complete
        expected = [f"id-{n}" for n in range(300) if not 200 <= n < 250]
        assert expected == collector.accepted_ids()


def test_the_async_sink_pages_too(tmp_path: Path) -> None:
    """AsyncHttpSink also keeps memory within budget, spilling to the outbox, and sends all 600."""
    path = tmp_path / "outbox.db"

    async def run(url: str) -> None:
        sink = AsyncHttpSink(
            "endpoint",
            url=url,
            write_key="k",
            retry=FAST,
            spool=path,
            max_pending_bytes=BUDGET,
            limits=LIMITS,
        )
        async with sink:
            for number in range(600):
                sink.emit(message(number))
                assert largest_memory_use(sink) <= BUDGET + EVENT_SIZE
            assert sink.counters.in_outbox > 0
            report = await sink.aflush(timeout=20)
            assert report.complete and report.delivered == 600

    with running_collector() as collector:
        asyncio.run(run(collector.url))
        assert [f"id-{n}" for n in range(600)] == collector.accepted_ids()


def test_the_budget_must_be_positive() -> None:
    """A max_pending_bytes of 0 raises ValueError."""
    with pytest.raises(ValueError, match="max_pending_bytes must be a positive"):
        HttpSink("endpoint", url="http://127.0.0.1:9/v1/batch", write_key="k", max_pending_bytes=0)


def test_an_outbox_that_cannot_be_read_for_a_moment_delays_nothing_for_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-off 'database is locked' reading the outbox is retried; all 300 events arrive."""
    failures = [sqlite3.OperationalError("database is locked")]
    real_load = Spool.load

    def flaky_load(
        self: Spool, rows: list[int], room: int, *, at_least_one: bool = False
    ) -> list[tuple[int, bytes | None]]:
        if failures:
            raise failures.pop()
        return real_load(self, rows, room, at_least_one=at_least_one)

    monkeypatch.setattr(delivery_state, "PAGE_IN_RETRY", 0.05)
    monkeypatch.setattr(Spool, "load", flaky_load)
    with running_collector() as collector:
        sink = HttpSink(
            "endpoint",
            url=collector.url,
            write_key="k",
            retry=FAST,
            spool=tmp_path / "outbox.db",
            max_pending_bytes=BUDGET,
            limits=LIMITS,
        )
        for number in range(300):
            sink.emit(message(number))
        report = sink.close(timeout=20)
        assert not failures  # the failure happened, and the sender lived on
        assert report.complete and collector.accepted_ids() == [f"id-{n}" for n in range(300)]


def test_only_a_sink_alone_on_the_outbox_adopts_its_rows(tmp_path: Path) -> None:
    """Leftover rows are claimed only with no other Spool open on the file; load() fits the room."""
    path = tmp_path / "outbox.db"
    first = Spool(path)
    rows = [first.append(b"{}") for _ in range(3)]
    assert first.claim_leftovers() == rows
    second = Spool(path)
    assert second.claim_leftovers() is None  # the first one is open: its rows are its own
    second.close()
    first.close()
    third = Spool(path)
    assert third.claim_leftovers() == rows
    assert [] == third.load(rows, room=1)
    assert [row for row, _ in third.load(rows, room=1, at_least_one=True)] == rows[:1]
    assert [row for row, _ in third.load(rows, room=10_000)] == rows
    third.delivered(rows[:1])
    assert third.load(rows, room=10_000)[0] == (rows[0], None)  # settled: no data
    third.close()


def test_a_budget_smaller_than_a_batch_does_not_wait_for_batches_to_fill(tmp_path: Path) -> None:
    """Read back by the budget, a batch never fills: it goes without waiting its interval."""
    path = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    options = {"write_key": "k", "retry": FAST, "spool": path, "max_pending_bytes": 1_000}
    first = HttpSink("endpoint", url=down, **options)  # type: ignore[arg-type]
    for number in range(400):
        first.emit(message(number))
    first.close(timeout=0.3)
    with running_collector() as collector:
        # Default limits: 100 events or 5 s per batch; waiting for either would take minutes.
        second = HttpSink("endpoint", url=collector.url, **options)  # type: ignore[arg-type]
        report = second.close(timeout=30)
        assert report.complete and collector.accepted_ids() == [f"id-{n}" for n in range(400)]
        assert max(len(request["payload"]["batch"]) for request in collector.requests) <= 10
