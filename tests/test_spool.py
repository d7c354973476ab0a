"""The durable outbox: committed in groups (or at each emit), resumed after a crash, dead
letters kept."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from collector import FAST, Collector, free_port, message, running_collector

from vtrack.cli import main
from vtrack.delivery import BatchLimits, MessageTooLarge
from vtrack.sinks.http import HttpSink
from vtrack.sinks.spool import OutboxError, Spool


def test_spool_keeps_order_deletes_delivered_and_keeps_dead(tmp_path: Path) -> None:
    """Pending rows keep their order, delivered ones go, dead ones are kept and requeued last."""
    spool = Spool(tmp_path / "outbox.db")
    rows = [spool.append(b'{"n":%d}' % n) for n in range(5)]
    assert [b'{"n":%d}' % n for n in range(5)] == [data for _, data in spool.pending()]
    spool.delivered(rows[:2])
    spool.dead(rows[2:3], 400, "bad")
    status = spool.status()
    assert (2, 1) == (status.pending, status.dead)
    assert status.oldest_pending_age is not None and status.oldest_pending_age >= 0
    assert (b'{"n":2}', 400, "bad") == spool.dead_letters()[0][1:]
    assert 1 == spool.requeue_dead()
    assert [b'{"n":3}', b'{"n":4}', b'{"n":2}'] == [data for _, data in spool.pending()]
    spool.close()


def test_what_a_closed_sink_left_is_sent_by_the_next_one(tmp_path: Path) -> None:
    """30 events left pending at close stay in the outbox; the next sink sends them, in order."""
    path = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    first = HttpSink("endpoint", url=down, write_key="k", retry=FAST, spool=path)
    for number in range(30):
        first.emit(message(number))
    assert 30 == len(first.close(timeout=0.5).pending)
    assert 30 == Spool(path).status().pending
    with running_collector() as collector:
        second = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=path)
        second.emit(message(30))
        assert second.close(timeout=5).complete
        assert [f"id-{n}" for n in range(31)] == collector.accepted_ids()
    assert 0 == Spool(path).status().pending


def test_dead_letters_stay_in_the_spool(tmp_path: Path) -> None:
    """Events refused with 401 stay in the outbox as dead letters with their status."""
    path = tmp_path / "outbox.db"
    with running_collector() as collector:
        collector.script = [(401, {})]
        sink = HttpSink(
            "endpoint",
            url=collector.url,
            write_key="k",
            retry=FAST,
            spool=path,
            limits=BatchLimits(max_events=2, interval=0.05),
        )
        for number in range(4):
            sink.emit(message(number))
        assert 2 == sink.close(timeout=5).dead
    spool = Spool(path)
    assert 0 == spool.status().pending
    assert ["id-0", "id-1"] == [
        json.loads(data)["messageId"] for _, data, _, _ in spool.dead_letters()
    ]
    assert {401} == {status for _, _, status, _ in spool.dead_letters()}


PRODUCER = textwrap.dedent(
    """
    import sys
    from vtrack.delivery import RetryPolicy
    from vtrack.sinks import staging
    from vtrack.sinks.http import HttpSink
    commit_every, flush_every = int(sys.argv[3]), int(sys.argv[4])
    staging.COMMIT_DELAY = 3600.0  # only full groups, flush() and close() commit
    sink = HttpSink("endpoint", url=sys.argv[2], write_key="k", spool=sys.argv[1],
                    retry=RetryPolicy(base=0.01, cap=0.05), spool_commit_every=commit_every)
    for number in range(100_000):
        sink.emit({"type": "track", "event": "Video Content Playing", "anonymousId": "v",
                   "messageId": f"id-{number}", "properties": {"position": number}})
        if flush_every and number % flush_every == flush_every - 1:
            report = sink.flush(timeout=10)
            print("flushed", number, report.uncommitted, flush=True)
        else:
            print("emitted", number, flush=True)
    """
)


def _kill_a_producer(
    tmp_path: Path, collector: Collector, commit_every: int, flush_every: int, after: int
) -> tuple[int, int, set[str]]:
    """Run PRODUCER, kill -9 it once it has emitted ``after`` events; then deliver what it
    left with a new sink. The last event emitted, the last one flushed, what arrived."""
    path = tmp_path / "outbox.db"
    script = tmp_path / "producer.py"
    script.write_text(PRODUCER)
    producer = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(path),
            collector.url,
            str(commit_every),
            str(flush_every),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    accepted = flushed = -1
    assert producer.stdout is not None
    for line in producer.stdout:  # bounded: the producer stops at 100,000
        what, number, *uncommitted = line.split()
        accepted = int(number)
        if what == "flushed":
            assert ["0"] == uncommitted
            flushed = accepted
        if accepted >= after:
            break
    os.kill(producer.pid, signal.SIGKILL)
    producer.wait(10)
    producer.stdout.close()
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=path)
    assert sink.close(timeout=10).complete
    assert 0 == Spool(path).status().pending
    return accepted, flushed, set(collector.accepted_ids())


def test_kill_9_mid_delivery_loses_nothing(tmp_path: Path, collector: Collector) -> None:
    """Committing each event: a producer killed at any moment loses nothing emit() accepted."""
    accepted, _, delivered = _kill_a_producer(tmp_path, collector, 1, 0, after=300)
    assert {f"id-{n}" for n in range(accepted + 1)} <= delivered


def test_kill_9_loses_nothing_flushed(tmp_path: Path, collector: Collector) -> None:
    """Group commits (the default): a producer killed at any moment loses nothing flushed."""
    # Killed right after the flush at 279: 200-279 are committed by that flush alone.
    _, flushed, delivered = _kill_a_producer(tmp_path, collector, 100, 70, after=279)
    assert 279 == flushed
    assert {f"id-{n}" for n in range(flushed + 1)} <= delivered


def test_kill_9_loses_less_than_a_group(tmp_path: Path, collector: Collector) -> None:
    """Group commits of 100, never flushed: a kill loses at most the last 99 events accepted."""
    accepted, _, delivered = _kill_a_producer(tmp_path, collector, 100, 0, after=350)
    assert {f"id-{n}" for n in range(accepted + 1 - 99)} <= delivered


class TestOutboxCommand:
    def make(self, tmp_path: Path) -> Path:
        path = tmp_path / "outbox.db"
        spool = Spool(path)
        rows = [spool.append(json.dumps(message(n)).encode()) for n in range(3)]
        spool.dead(rows[:1], 400, '{"error":"bad"}')
        spool.close()
        return path

    def test_status(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`outbox status` prints the pending and dead counts and exits 0."""
        path = self.make(tmp_path)
        assert 0 == main(["outbox", "status", str(path)])
        out = capsys.readouterr().out
        assert "2 pending" in out and "1 dead" in out

    def test_export_and_retry(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`outbox export` writes dead letters as JSON lines; `outbox retry` makes them pending."""
        path = self.make(tmp_path)
        exported = tmp_path / "dead.jsonl"
        assert 0 == main(["outbox", "export", str(path), "-o", str(exported)])
        lines = [json.loads(line) for line in exported.read_text().splitlines()]
        assert [{"status": 400, "answer": '{"error":"bad"}', "message": message(0)}] == lines
        assert 0 == main(["outbox", "retry", str(path)])
        assert "1 dead letter(s) put back" in capsys.readouterr().out
        assert 3 == Spool(path).status().pending

    def test_a_missing_outbox_is_an_error_not_a_new_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`outbox status` on a missing file exits 2 with an error and does not create it."""
        assert 2 == main(["outbox", "status", str(tmp_path / "nope.db")])
        assert "no outbox" in capsys.readouterr().err
        assert not (tmp_path / "nope.db").exists()


class TestOutboxCommandOnWhatIsNoOutbox:
    """`vtrack outbox` names a file that is no outbox, writes nothing, and never traces back."""

    def files(self, tmp_path: Path) -> dict[str, Path]:
        log = tmp_path / "player.log"
        log.write_text('{"t": 1.0, "event": "play"}\n')
        gz = tmp_path / "player.log.gz"
        gz.write_bytes(b"\x1f\x8b\x08\x00" + bytes(20))
        empty = tmp_path / "empty.db"
        empty.touch()
        other = tmp_path / "other.db"
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE things (x)")
        db.commit()
        db.close()
        return {"log": log, "gz": gz, "empty": empty, "other": other}

    @pytest.mark.parametrize("action", ["status", "retry", "export"])
    @pytest.mark.parametrize(
        ("kind", "why"),
        [
            ("log", "not an SQLite database"),
            ("gz", "not an SQLite database"),
            ("empty", "an empty file"),
            ("other", "an SQLite database with no events table"),
        ],
    )
    def test_a_file_that_is_no_outbox_is_named_and_left_as_it_was(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str, kind: str, why: str
    ) -> None:
        """Each action on a log, a .gz, an empty file or another database: one line, exit 2."""
        path = self.files(tmp_path)[kind]
        before = path.read_bytes()
        status = main(["outbox", action, str(path)])
        expected = f"vtrack outbox: {path}: not a vtrack outbox ({why})\n"
        assert (2, expected) == (status, capsys.readouterr().err)
        assert before == path.read_bytes()
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()

    def test_looking_writes_nothing(self, tmp_path: Path) -> None:
        """status and export open an outbox read-only: its bytes and journal stay as they were."""
        path = TestOutboxCommand().make(tmp_path)
        before = path.read_bytes()
        assert 0 == main(["outbox", "status", str(path)])
        assert 0 == main(["outbox", "export", str(path), "-o", str(tmp_path / "dead.jsonl")])
        assert before == path.read_bytes()

    @pytest.mark.parametrize("where", ["directory", "missing folder"])
    def test_export_to_a_place_that_cannot_be_written_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
    ) -> None:
        """export -o a directory or into a missing folder: one line naming it, exit 2."""
        path = TestOutboxCommand().make(tmp_path)
        target = tmp_path if where == "directory" else tmp_path / "nowhere" / "dead.jsonl"
        status = main(["outbox", "export", str(path), "-o", str(target)])
        err = capsys.readouterr().err
        reason = "is a directory" if where == "directory" else "No such file or directory"
        assert (2, 1) == (status, len(err.splitlines()))
        assert err.startswith(f"vtrack outbox: --output {target}") and reason in err

    def test_a_sink_refuses_an_unrelated_database(self, tmp_path: Path) -> None:
        """HttpSink(spool=another SQLite file) raises OutboxError and adds no table to it."""
        other = self.files(tmp_path)["other"]
        before = other.read_bytes()
        with pytest.raises(OutboxError, match="not a vtrack outbox"):
            HttpSink("endpoint", write_key="k", url="http://127.0.0.1:9/v1/batch", spool=other)
        assert before == other.read_bytes()


class TestOutboxSend:
    def test_send_delivers_what_the_outbox_holds(
        self,
        tmp_path: Path,
        collector: Collector,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`outbox send` delivers the waiting events with no new data; dead letters stay."""
        monkeypatch.setenv("VTRACK_WRITE_KEY", "k")
        path = TestOutboxCommand().make(tmp_path)  # 2 waiting, 1 dead
        status = main(["outbox", "send", str(path), "--sink", "endpoint", "--url", collector.url])
        out = capsys.readouterr().out
        assert (0, ["id-1", "id-2"]) == (status, sorted(collector.accepted_ids()))
        assert f"{path}: 2 delivered, 0 left in the outbox" in out
        spool = Spool(path, read_only=True)
        assert (0, 1) == (spool.status().pending, spool.status().dead)
        spool.close()

    def test_send_to_an_endpoint_that_is_away_keeps_everything(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Nobody listening: exit 3, the events stay in the outbox."""
        monkeypatch.setenv("VTRACK_WRITE_KEY", "k")
        path = TestOutboxCommand().make(tmp_path)
        url = f"http://127.0.0.1:{free_port()}/v1/batch"
        status = main(["outbox", "send", str(path), "--sink", "endpoint", "--url", url,
                       "--deliver-timeout", "1"])  # fmt: skip
        assert 3 == status and "2 left in the outbox" in capsys.readouterr().out
        spool = Spool(path, read_only=True)
        assert 2 == spool.status().pending
        spool.close()

    def test_send_needs_a_sink_and_a_key(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No write key in the environment: one line saying which variable, exit 2."""
        monkeypatch.delenv("VTRACK_WRITE_KEY", raising=False)
        path = TestOutboxCommand().make(tmp_path)
        status = main(["outbox", "send", str(path), "--sink", "endpoint",
                       "--url", "http://127.0.0.1:9/v1/batch"])  # fmt: skip
        assert 2 == status and "set VTRACK_WRITE_KEY" in capsys.readouterr().err


def test_an_event_too_large_for_a_batch_is_refused_before_it_is_stored(
    tmp_path: Path, collector: Collector
) -> None:
    """An event over what max_bytes allows raises MessageTooLarge; it is never stored or sent."""
    path = tmp_path / "outbox.db"
    limits = BatchLimits(max_events=10, max_bytes=1_000, interval=0.05)
    sink = HttpSink("endpoint", url=collector.url, write_key="k", limits=limits, spool=path)
    sink.emit(message(0))
    big = message(1)
    big["properties"]["blob"] = "x" * 2_000
    with pytest.raises(MessageTooLarge, match="at most 952"):
        sink.emit(big)
    sink.emit(message(2))
    assert sink.close(timeout=5).complete
    assert ["id-0", "id-2"] == collector.accepted_ids()
    assert 0 == Spool(path).status().pending


def test_stored_events_too_large_for_new_limits_become_dead_letters(
    tmp_path: Path, collector: Collector
) -> None:
    """A stored event too big for the new max_bytes becomes a 413 dead letter; the rest is sent."""
    path = tmp_path / "outbox.db"
    spool = Spool(path)
    spool.append(json.dumps(message(0)).encode())
    spool.append(json.dumps({**message(1), "blob": "x" * 2_000}).encode())
    spool.close()
    limits = BatchLimits(max_bytes=1_000, interval=0.05)
    sink = HttpSink("endpoint", url=collector.url, write_key="k", limits=limits, spool=path)
    assert sink.close(timeout=5).complete
    assert ["id-0"] == collector.accepted_ids()
    assert [413] == [status for _, _, status, _ in Spool(path).dead_letters()]


def test_a_second_sink_on_an_open_outbox_leaves_the_first_ones_events_alone(
    tmp_path: Path, collector: Collector
) -> None:
    """A second sink on an open outbox sends only its own events; a lone third sends the rest."""
    path = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    first = HttpSink("endpoint", url=down, write_key="k", retry=FAST, spool=path)
    for number in range(3):
        first.emit(message(number))
    second = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=path)
    second.emit(message(10))
    assert second.close(timeout=5).complete
    assert ["id-10"] == collector.accepted_ids()  # not the first sink's, still in its hands
    assert 3 == len(first.close(timeout=0.5).pending)
    third = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=path)
    assert third.close(timeout=5).complete  # alone on the file: it sends what was left
    assert ["id-10", "id-0", "id-1", "id-2"] == collector.accepted_ids()


def test_flush_keeps_its_timeout_while_the_outbox_is_busy(
    tmp_path: Path, collector: Collector
) -> None:
    """A slow disk (here: another writer holding the outbox) does not hold flush() up."""
    path = tmp_path / "outbox.db"
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, spool=path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    outcome: list[str] = []

    def produce() -> None:
        try:
            sink.emit(message(0))
            outcome.append("taken")
        except Exception as exc:
            outcome.append(type(exc).__name__)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.1)  # the emit now waits for the disk
    started = time.monotonic()
    sink.flush(timeout=0.5)
    assert time.monotonic() - started < 2.5  # not the 5 s the outbox may wait for its lock
    other.execute("ROLLBACK")
    other.close()
    producer.join(10)
    assert ["taken"] == outcome
    assert sink.close(timeout=5).complete
    assert ["id-0"] == collector.accepted_ids()


class TestForkHooksAndOwners:
    """The fork hooks never leave an outbox locked; rows of ended processes are found."""

    def test_a_close_during_a_fork_finishes_after_it(self, tmp_path: Path) -> None:
        """close() while a fork holds the outbox locks waits for the fork, then closes."""
        from vtrack.sinks import spool as spool_module

        spool = Spool(tmp_path / "outbox.db")
        spool_module._before_fork()
        closing = threading.Thread(target=spool.close)
        closing.start()
        closing.join(0.2)
        waiting = closing.is_alive()
        spool_module._after_fork_in_parent()
        closing.join(5)
        assert (True, False) == (waiting, closing.is_alive())

    def test_an_outbox_opened_during_a_fork_is_set_up_after_it(self, tmp_path: Path) -> None:
        """A Spool made while a fork holds the locks waits, then works; every lock is free."""
        from vtrack.sinks import spool as spool_module

        older = [Spool(tmp_path / f"old{n}.db") for n in range(3)]
        spool_module._before_fork()
        made: list[Spool] = []
        opening = threading.Thread(target=lambda: made.append(Spool(tmp_path / "new.db")))
        opening.start()
        opening.join(0.2)
        spool_module._after_fork_in_parent()
        opening.join(5)
        locks_free = [s._lock.acquire(blocking=False) for s in [*older, *made]]
        for s in [*older, *made]:
            s._lock.release()
            s.close()
        assert [True] * 4 == locks_free

    def ended_pid(self) -> int:
        done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        return int(done.stdout)

    def test_rows_of_an_ended_process_are_adopted_once(self, tmp_path: Path) -> None:
        """Rows stored by a process that ended are taken by the first sink that looks, once."""
        path = tmp_path / "outbox.db"
        first, second = Spool(path), Spool(path)
        rows = [first.append(b'{"n":%d}' % n) for n in range(3)]
        gone = self.ended_pid()
        first._db.execute(f"UPDATE events SET owner = {gone}")  # as if that process stored them
        assert (rows, []) == (first.adopt_orphans(), second.adopt_orphans())
        first.close()
        second.close()

    def test_requeued_dead_letters_are_adopted_once_their_process_ends(
        self, tmp_path: Path
    ) -> None:
        """`vtrack outbox retry` in another process: a running sink's outbox takes the rows."""
        path = TestOutboxCommand().make(tmp_path)  # 2 waiting, 1 dead
        spool = Spool(path)
        done = subprocess.run([sys.executable, "-m", "vtrack.cli", "outbox", "retry", str(path)],
                              capture_output=True, text=True, check=False)  # fmt: skip
        adopted = spool.adopt_orphans()
        spool.close()
        assert 0 == done.returncode and 1 == len(adopted)


def _open_an_outbox(path: str, answers: Any) -> None:
    try:
        Spool(path).close()
        answers.put("opened")
    except Exception as exc:  # reported to the test, whatever it is
        answers.put(f"{type(exc).__name__}: {exc}")


def test_processes_making_one_outbox_at_once_all_open_it(tmp_path: Path) -> None:
    """Six processes making the same new outbox at the same moment all open it, ten times."""
    context = multiprocessing.get_context("fork")
    answers: list[str] = []
    for attempt in range(10):
        queue = context.Queue()
        path = str(tmp_path / f"outbox-{attempt}.db")
        children = [context.Process(target=_open_an_outbox, args=(path, queue)) for _ in range(6)]
        for child in children:
            child.start()
        for child in children:
            child.join(30)
        answers += [queue.get(timeout=10) for _ in children]
    assert ["opened"] * 60 == answers
