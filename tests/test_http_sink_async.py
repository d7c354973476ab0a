"""AsyncHttpSink against the real collector on 127.0.0.1: the same rules from a task."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from collector import FAST, Collector, free_port, message

from vtrack.delivery import BatchLimits, DeadLetter
from vtrack.sinks.http import QueueFull
from vtrack.sinks.http_async import AsyncHttpSink


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_delivers_in_order_through_faults(collector: Collector) -> None:
    """Through a 503, a reset, a 429 and a 413, all 40 messages arrive in order."""
    collector.script = [(503, {}), "reset", (429, {"Retry-After": "0"}), (413, {})]

    async def main() -> object:
        async with AsyncHttpSink(
            "endpoint",
            url=collector.url,
            write_key="k",
            retry=FAST,
            limits=BatchLimits(max_events=8, interval=0.05),
        ) as sink:
            for number in range(40):
                sink.emit(message(number))
            return await sink.aflush(timeout=10)

    report = run(main())
    assert report.complete  # type: ignore[attr-defined]
    assert [f"id-{n}" for n in range(40)] == collector.accepted_ids()


@pytest.mark.parametrize("raised", [RuntimeError, SystemExit, KeyboardInterrupt])
def test_dead_letters_and_a_raising_callback(
    collector: Collector, raised: type[BaseException]
) -> None:
    """A 422 dead-letters a batch of 2 despite on_error raising (even SystemExit); 2 arrive."""
    letters: list[DeadLetter] = []

    def on_error(letter: DeadLetter) -> None:
        letters.append(letter)
        raise raised("careless")

    collector.script = [(422, {})]

    async def main() -> object:
        sink = AsyncHttpSink(
            "endpoint",
            url=collector.url,
            write_key="k",
            retry=FAST,
            on_error=on_error,
            limits=BatchLimits(max_events=2, interval=0.05),
        )
        for number in range(4):
            sink.emit(message(number))
        return await sink.aclose(timeout=5)

    report = run(main())
    assert report.dead == 2 and report.delivered == 2  # type: ignore[attr-defined]
    assert [422] == [letter.status for letter in letters]


def test_server_down_aclose_returns_in_time_with_everything_pending() -> None:
    """With the server down, aclose() returns within its timeout with all 10 events pending."""
    url = f"http://127.0.0.1:{free_port()}/v1/batch"

    async def main() -> tuple[object, float]:
        sink = AsyncHttpSink("endpoint", url=url, write_key="k", retry=FAST, timeout=0.5)
        for number in range(10):
            sink.emit(message(number))
        started = time.monotonic()
        report = await sink.aclose(timeout=1.0)
        return report, time.monotonic() - started

    report, took = run(main())  # type: ignore[misc]
    assert took < 4.0  # its timeout, with room for a busy machine
    assert len(report.pending) == 10 and report.delivered == 0


def test_a_full_budget_raises_at_once_and_wait_for_room_waits() -> None:
    """QueueFull comes at once; wait_for_room() returns False on timeout; all taken stay pending."""
    url = f"http://127.0.0.1:{free_port()}/v1/batch"

    async def main() -> None:
        sink = AsyncHttpSink("endpoint", url=url, write_key="k", retry=FAST, max_pending_bytes=500)
        with pytest.raises(QueueFull):
            for number in range(100):
                sink.emit(message(number))
        assert not await sink.wait_for_room(timeout=0.2)
        assert len((await sink.aclose(timeout=0.5)).pending) == sink.counters.emitted

    run(main())


def test_the_write_key_never_shows() -> None:
    """The write key does not show in the async sink's repr."""

    async def main() -> None:
        sink = AsyncHttpSink("segment", write_key="super-secret")
        assert "super-secret" not in repr(sink)
        await sink.aclose(timeout=0.1)

    run(main())


def test_a_timeout_after_the_server_accepted_is_retried_with_the_same_ids(
    collector: Collector,
) -> None:
    """An answer later than the 0.3 s timeout is retried, so the server gets each id twice."""
    collector.script = ["slow"]

    async def main() -> object:
        async with AsyncHttpSink(
            "endpoint", url=collector.url, write_key="k", retry=FAST, timeout=0.3
        ) as sink:
            for number in range(5):
                sink.emit(message(number))
            return await sink.aflush(timeout=5)

    report = run(main())
    ids = [f"id-{n}" for n in range(5)]
    assert report.complete and report.retried == 5  # type: ignore[attr-defined]
    assert ids + ids == collector.accepted_ids()  # at least once, with the same messageIds


def test_what_an_async_sink_left_in_the_outbox_is_sent_by_the_next_one(
    collector: Collector, tmp_path: Path
) -> None:
    """The 20 events an async sink left in its outbox go out first, in order, from the next one."""
    path = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"

    async def first() -> object:
        sink = AsyncHttpSink("endpoint", url=down, write_key="k", retry=FAST, spool=path)
        for number in range(20):
            sink.emit(message(number))
        return await sink.aclose(timeout=0.5)

    async def second() -> object:
        async with AsyncHttpSink(
            "endpoint", url=collector.url, write_key="k", retry=FAST, spool=path
        ) as sink:
            sink.emit(message(20))
            return await sink.aflush(timeout=5)

    assert 20 == len(run(first()).pending)  # type: ignore[attr-defined]
    assert run(second()).complete  # type: ignore[attr-defined]
    assert [f"id-{n}" for n in range(21)] == collector.accepted_ids()


def test_a_sink_never_closed_delivers_its_open_batch(collector: Collector) -> None:
    """The program returns from asyncio.run without aclose: all 1,050 still arrive."""

    async def main() -> None:
        sink = AsyncHttpSink("endpoint", url=collector.url, write_key="k", retry=FAST,
                             limits=BatchLimits(max_events=100, interval=60))  # fmt: skip
        for number in range(1050):
            sink.emit(message(number))
        await asyncio.sleep(0.5)  # ten full batches go; fifty wait in the open one

    run(main())
    assert sorted(f"id-{n}" for n in range(1050)) == sorted(collector.accepted_ids())


def test_a_sink_never_closed_says_what_it_could_not_deliver(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nobody listening and no aclose: a warning counts the events not delivered."""
    url = f"http://127.0.0.1:{free_port()}/v1/batch"

    async def main() -> None:
        sink = AsyncHttpSink("endpoint", url=url, write_key="k", retry=FAST, timeout=0.2)
        for number in range(30):
            sink.emit(message(number))

    with caplog.at_level("WARNING", logger="vtrack.http"):
        run(main())
    assert "AsyncHttpSink was never closed" in caplog.text and "30 event(s)" in caplog.text
