"""HttpSink across threads, forks and interpreter exit, against a real collector."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from collector import FAST, Collector, free_port, message

from vtrack.delivery import BatchLimits
from vtrack.sinks.http import HttpSink

ROOT = Path(__file__).parent.parent


def run_python(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_eight_threads_ten_thousand_events_each(collector: Collector) -> None:
    """80,000 events from 8 threads all arrive exactly once, each thread's in its emit order."""
    sink = HttpSink(
        "endpoint",
        url=collector.url,
        write_key="k",
        retry=FAST,
        limits=BatchLimits(max_events=2_500, interval=0.05),
    )

    def produce(thread: int) -> None:
        for number in range(10_000):
            event = message(number)
            event["messageId"] = f"t{thread}-{number}"
            sink.emit(event)

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    report = sink.close(timeout=60)
    assert report.complete and report.delivered == 80_000
    ids = collector.accepted_ids()
    assert len(ids) == len(set(ids)) == 80_000
    for thread in range(8):  # each producer's events arrive in the order it emitted them
        mine = [int(i.split("-")[1]) for i in ids if i.startswith(f"t{thread}-")]
        assert list(range(10_000)) == mine


def test_the_exit_hook_delivers_what_was_not_closed(collector: Collector) -> None:
    """A process that exits without close() still delivers all 50 events from its exit hook."""
    done = run_python(
        f"""
        from vtrack.sinks.http import HttpSink
        sink = HttpSink("endpoint", url={collector.url!r}, write_key="k")
        for n in range(50):
            sink.emit({{"type": "track", "event": "E", "anonymousId": "a",
                       "messageId": f"id-{{n}}", "properties": {{}}}})
        """
    )
    assert 0 == done.returncode, done.stderr
    assert [f"id-{n}" for n in range(50)] == collector.accepted_ids()


def test_at_exit_with_the_server_down_it_says_what_was_lost_and_exits_in_time() -> None:
    """At exit with the server down, the process exits 0 within 20 s, reporting 7 undelivered."""
    url = f"http://127.0.0.1:{free_port()}/v1/batch"
    done = run_python(
        f"""
        from vtrack.delivery import RetryPolicy
        from vtrack.sinks.http import HttpSink
        sink = HttpSink("endpoint", url={url!r}, write_key="k",
                        retry=RetryPolicy(base=0.01, cap=0.05))
        for n in range(7):
            sink.emit({{"type": "track", "event": "E", "anonymousId": "a",
                       "messageId": f"id-{{n}}", "properties": {{}}}})
        """,
        timeout=20,
    )
    assert 0 == done.returncode
    assert "7 event(s) not delivered" in done.stderr


def _child_emits(sink: HttpSink) -> None:
    for number in range(100, 120):
        sink.emit(message(number))
    report = sink.close(timeout=10)
    os._exit(0 if report.complete else 1)


def test_a_forked_child_delivers_its_own_events(collector: Collector) -> None:
    """A forked child's sink delivers its own 20 events; the parent's 20 arrive as well."""
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST)
    for number in range(20):
        sink.emit(message(number))
    sink.flush(timeout=10)
    child = multiprocessing.get_context("fork").Process(target=_child_emits, args=(sink,))
    child.start()
    child.join(30)
    assert 0 == child.exitcode
    assert sink.close(timeout=10).complete
    assert sorted([f"id-{n}" for n in range(20)] + [f"id-{n}" for n in range(100, 120)]) == sorted(
        collector.accepted_ids()
    )


def _child_emits_and_returns(url: str, child: int, spool: str | None) -> None:
    """A multiprocessing child that emits 100 events and returns without closing its sink."""
    sink = HttpSink("endpoint", url=url, write_key="k", retry=FAST, spool=spool,
                    limits=BatchLimits(max_events=1000, interval=60))  # fmt: skip
    for number in range(100):
        event = message(number)
        event["messageId"] = f"c{child}-{number}"
        sink.emit(event)


def test_multiprocessing_children_that_never_close_deliver_at_exit(
    collector: Collector, tmp_path: Path
) -> None:
    """Four fork-started children emit 100 each and return unclosed: all 400 arrive."""
    context = multiprocessing.get_context("fork")
    for spool in (None, str(tmp_path / "outbox.db")):
        collector.accepted.clear()
        children = [
            context.Process(target=_child_emits_and_returns, args=(collector.url, n, spool))
            for n in range(4)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(60)
        expected = sorted(f"c{child}-{number}" for child in range(4) for number in range(100))
        assert (spool, expected) == (spool, sorted(collector.accepted_ids()))


def _inherited_child_emits(sink: HttpSink, child: int) -> None:
    for number in range(100):
        event = message(number)
        event["messageId"] = f"i{child}-{number}"
        sink.emit(event)


def test_children_of_a_sink_made_before_the_fork_deliver_at_exit(collector: Collector) -> None:
    """A sink made in the parent, used by fork-started children that never close it: all arrive."""
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST,
                    limits=BatchLimits(max_events=1000, interval=60))  # fmt: skip
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_inherited_child_emits, args=(sink, n)) for n in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    sink.close(timeout=10)
    expected = sorted(f"i{child}-{number}" for child in range(3) for number in range(100))
    assert expected == sorted(collector.accepted_ids())


def _forked_child(url: str, sink: HttpSink, child: int) -> None:
    """A child that emits 20 events into the sink it inherited and closes it."""
    try:
        for number in range(20):
            event = message(number)
            event["messageId"] = f"f{child}-{number}"
            sink.emit(event)
        report = sink.close(timeout=20)
        os._exit(0 if report.complete else 3)
    except BaseException as exc:  # the test reads the exit status
        sys.stderr.write(f"{type(exc).__module__}.{type(exc).__name__}: {exc}\n")
        os._exit(4)


@pytest.mark.parametrize("with_outbox", [False, True])
def test_thirty_forks_while_a_thread_emits(
    collector: Collector, tmp_path: Path, with_outbox: bool
) -> None:
    """30 children forked while a parent thread emits: none hangs, each delivers its 20."""
    spool = tmp_path / "outbox.db" if with_outbox else None
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=spool,
                    limits=BatchLimits(max_events=50, interval=0.01))  # fmt: skip
    stop = threading.Event()

    def parent_emits() -> None:
        number = 0
        while not stop.is_set() and number < 100_000:
            event = message(number)
            event["messageId"] = f"p-{number}"
            sink.emit(event)
            number += 1

    emitter = threading.Thread(target=parent_emits)
    emitter.start()
    statuses = []
    try:
        for child in range(30):
            pid = os.fork()
            if pid == 0:
                _forked_child(collector.url, sink, child)
            statuses.append(_wait_bounded(pid, 30))
    finally:
        stop.set()
        emitter.join(30)
        sink.close(timeout=30)
    assert [0] * 30 == statuses
    ids = set(collector.accepted_ids())
    assert {f"f{child}-{n}" for child in range(30) for n in range(20)} <= ids


def _wait_bounded(pid: int, seconds: float) -> int:
    """The exit status of child ``pid``; a child still alive after ``seconds`` is killed (-9)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -9


def _child_emits_and_dies(url: str, spool: str) -> None:
    """A child that commits 100 events to the outbox and is killed before sending any."""
    sink = HttpSink("endpoint", url=url, write_key="k", retry=FAST, spool=spool,
                    limits=BatchLimits(max_events=1000, interval=60))  # fmt: skip
    for number in range(100):
        event = message(number)
        event["messageId"] = f"dead-{number}"
        sink.emit(event)
    os.kill(os.getpid(), 9)


def test_a_running_parent_sends_what_a_killed_child_left_in_the_outbox(
    collector: Collector, tmp_path: Path
) -> None:
    """A child killed with 100 events in the shared outbox: the parent's sink sends them."""
    spool = str(tmp_path / "outbox.db")
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=spool,
                    limits=BatchLimits(max_events=100, interval=0.05))  # fmt: skip
    child = multiprocessing.get_context("fork").Process(
        target=_child_emits_and_dies, args=(collector.url, spool)
    )
    child.start()
    child.join(30)
    expected = [f"dead-{number}" for number in range(100)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and sorted(collector.accepted_ids()) != sorted(expected):
        time.sleep(0.05)
    report = sink.close(timeout=10)
    assert (-9, sorted(expected)) == (child.exitcode, sorted(collector.accepted_ids()))
    assert report.complete
