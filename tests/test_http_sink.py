"""HttpSink against a real collector on 127.0.0.1: every event arrives or is accounted for."""

from __future__ import annotations

import json
import math
import threading
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
from collector import FAST, Collector, free_port, message
from conftest import T0

from vtrack import Content, Session
from vtrack.delivery import BatchLimits, DeadLetter, EncodingError
from vtrack.sinks.http import HttpSink, QueueFull


def sink_for(collector: Collector, **options: Any) -> HttpSink:
    options.setdefault("retry", FAST)
    options.setdefault("limits", BatchLimits(max_events=10, interval=0.05))
    return HttpSink("endpoint", url=collector.url, write_key="secret-key", **options)


def send(sink: HttpSink, count: int, start: int = 0) -> list[str]:
    for number in range(start, start + count):
        sink.emit(message(number))
    return [f"id-{number}" for number in range(start, start + count)]


def test_every_message_arrives_in_order_gzipped_with_basic_auth(collector: Collector) -> None:
    """35 messages arrive in order, gzipped, with Basic auth, a 24-char sentAt, <= 10 per batch."""
    sink = sink_for(collector)
    ids = send(sink, 35)
    report = sink.close(timeout=5)
    assert report.complete and report.delivered == 35
    assert ids == collector.accepted_ids()
    first = collector.requests[0]
    assert "gzip" == first["headers"]["Content-Encoding"]
    assert "Basic c2VjcmV0LWtleTo=" == first["headers"]["Authorization"]  # "secret-key:"
    assert first["payload"]["sentAt"].endswith("Z") and len(first["payload"]["sentAt"]) == 24
    assert all(len(request["payload"]["batch"]) <= 10 for request in collector.requests)


def test_a_5xx_burst_then_recovery_loses_nothing(collector: Collector) -> None:
    """After a 500, 503, 502 and a reset connection, every message still arrives, in order."""
    collector.script = [(500, {}), (503, {}), (502, {}), "reset"]
    sink = sink_for(collector)
    ids = send(sink, 25)
    report = sink.close(timeout=5)
    assert report.complete and report.retried > 0
    assert ids == collector.accepted_ids()


def test_a_timeout_after_the_server_accepted_is_retried_with_the_same_ids(
    collector: Collector,
) -> None:
    """At least once: the retry repeats the messageIds, so the destination can drop the copy."""
    collector.script = ["slow"]
    sink = sink_for(collector, timeout=0.3)
    ids = send(sink, 5)
    report = sink.close(timeout=5)
    assert report.complete and report.retried == 5
    assert ids + ids == collector.accepted_ids()
    first, second = (request["payload"] for request in collector.requests[:2])
    assert first["batch"] == second["batch"] and first["sentAt"] <= second["sentAt"]


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_waits_as_retry_after_says(collector: Collector, form: str) -> None:
    """A 429's Retry-After, seconds or HTTP date, delays the retry (capped at max_retry_after)."""
    value = (
        "1" if form == "seconds" else formatdate(time.time() + 2, usegmt=True)
    )  # whole seconds: >= 1 s ahead
    collector.script = [(429, {"Retry-After": value})]
    sink = sink_for(collector)
    ids = send(sink, 3)
    started = time.monotonic()
    report = sink.flush(timeout=5)
    assert report.complete and collector.accepted_ids() == ids
    assert time.monotonic() - started >= 0.2  # honoured, capped at max_retry_after (0.3 s)
    sink.close()


def test_413_splits_until_the_halves_fit(collector: Collector) -> None:
    """Two 413s split a batch of 8 into 4, then 2 and 2, and every message still arrives."""
    collector.script = [(413, {}), (413, {})]
    sink = sink_for(collector, limits=BatchLimits(max_events=8, interval=0.05))
    ids = send(sink, 8)
    assert sink.close(timeout=5).complete
    assert ids == collector.accepted_ids()
    assert [8, 4, 2, 2] == [len(r["payload"]["batch"]) for r in collector.requests][:4]


@pytest.mark.parametrize("status", [400, 401])
def test_refused_batches_become_dead_letters_and_the_rest_goes_on(
    collector: Collector, status: int
) -> None:
    """A 400/401 dead-letters its batch of 5 despite a raising on_error; the other 7 arrive."""
    letters: list[DeadLetter] = []

    def on_error(letter: DeadLetter) -> None:
        letters.append(letter)
        raise RuntimeError("a careless callback")  # logged; the sender goes on

    collector.script = [(status, {})]
    sink = sink_for(collector, on_error=on_error, limits=BatchLimits(max_events=5, interval=0.05))
    send(sink, 12)
    report = sink.close(timeout=5)
    assert report.complete and report.dead == 5 and report.delivered == 7
    assert [status] == [letter.status for letter in letters]
    assert [f"id-{n}" for n in range(5, 12)] == collector.accepted_ids()


@pytest.mark.parametrize("raised", [SystemExit, KeyboardInterrupt])
def test_an_on_error_that_raises_system_exit_stops_nothing(
    collector: Collector, raised: type[BaseException]
) -> None:
    """on_error raising SystemExit or KeyboardInterrupt: logged, and the later 7 still arrive."""

    def on_error(letter: DeadLetter) -> None:
        raise raised()

    collector.script = [(400, {})]
    sink = sink_for(collector, on_error=on_error, limits=BatchLimits(max_events=5, interval=0.05))
    send(sink, 5)
    assert sink.flush(timeout=5).dead == 5
    send(sink, 7, start=5)  # accepted after the callback raised: still sent
    report = sink.close(timeout=5)
    assert (5, 7) == (report.dead, report.delivered)
    assert [f"id-{n}" for n in range(5, 12)] == collector.accepted_ids()


def test_server_down_close_returns_in_time_with_everything_pending() -> None:
    """With the server down, close() returns within its timeout and reports all 20 as pending."""
    url = f"http://127.0.0.1:{free_port()}/v1/batch"  # nothing listens there
    sink = HttpSink("endpoint", url=url, write_key="k", retry=FAST, timeout=0.5)
    ids = send(sink, 20)
    started = time.monotonic()
    report = sink.close(timeout=1.0)
    assert time.monotonic() - started < 4.0  # its timeout, with room for a busy machine
    assert not report.complete and report.delivered == 0 and report.retried > 0
    assert 20 == len(report.pending)
    assert all(f'"{i}"'.encode() in e for i, e in zip(ids, report.pending, strict=True))


def test_a_full_budget_raises_queue_full_after_the_timeout() -> None:
    """A full budget raises QueueFull after emit_timeout; every event taken is left pending."""
    url = f"http://127.0.0.1:{free_port()}/v1/batch"
    sink = HttpSink(
        "endpoint", url=url, write_key="k", retry=FAST, max_pending_bytes=1_000, emit_timeout=0.2
    )
    with pytest.raises(QueueFull, match="budget is 1,000"):
        send(sink, 100)
    taken = sink.counters.emitted
    assert 0 < taken < 100
    assert len(sink.close(timeout=0.5).pending) == taken  # nothing taken was lost


def test_bad_messages_are_refused_at_emit(collector: Collector) -> None:
    """A message holding NaN raises EncodingError at emit() and is never counted as emitted."""
    sink = sink_for(collector)
    bad = message(1)
    bad["properties"]["position"] = math.nan
    with pytest.raises(EncodingError, match=r"\$\.properties\.position"):
        sink.emit(bad)
    assert 0 == sink.close(timeout=2).emitted


def test_the_write_key_never_shows() -> None:
    """The write key shows in neither the sink's repr nor its destination's repr."""
    sink = HttpSink("segment", write_key="super-secret")
    try:
        assert "super-secret" not in repr(sink) and "super-secret" not in repr(sink.destination)
    finally:
        sink.close(timeout=0.1)


def test_a_missing_write_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CUSTOMERIO_API_KEY set, a customerio sink raises ValueError naming that variable."""
    monkeypatch.delenv("CUSTOMERIO_API_KEY", raising=False)
    with pytest.raises(ValueError, match="CUSTOMERIO_API_KEY"):
        HttpSink("customerio")


def test_customerio_is_strict_by_default(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customerio sink takes its key from the environment and sends X-Strict-Mode: 1."""
    monkeypatch.setenv("CUSTOMERIO_API_KEY", "cio-key")
    sink = HttpSink("customerio", url=collector.url, retry=FAST)
    assert collector.url == sink.destination.url
    sink.emit(message(0))
    sink.close(timeout=5)
    assert "1" == collector.requests[0]["headers"]["X-Strict-Mode"]


def test_a_session_delivers_through_it(collector: Collector) -> None:
    """A Session's events go through the sink, from Playback Started to Playback Exited."""
    sink = sink_for(collector)
    session = Session("s1", anonymous_id="viewer", sink=sink)
    session.load(Content(asset_id="c", duration=60.0), at=T0)
    session.play(at=T0)
    session.playing(position=0.0, at=T0)
    session.pause(at=T0 + 12)
    session.exit(at=T0 + 13)
    report = sink.close(timeout=5)
    assert report.complete
    events = [event["event"] for event in collector.accepted]
    assert events[0] == "Video Playback Started" and events[-1] == "Video Playback Exited"
    assert "Video Content Playing" in events


def test_events_emitted_while_closing_are_delivered_or_reported(collector: Collector) -> None:
    """Whatever emit() took while close() ran is delivered or listed as pending: never lost."""
    for _ in range(20):
        collector.accepted.clear()
        sink = sink_for(collector, limits=BatchLimits(max_events=50, interval=5.0))
        taken: list[str] = []
        stop = threading.Event()

        def produce(
            sink: HttpSink = sink, taken: list[str] = taken, stop: threading.Event = stop
        ) -> None:
            for number in range(100_000):  # bounded
                if stop.is_set():
                    return
                try:
                    sink.emit(message(number))
                except RuntimeError:  # closed
                    return
                taken.append(f"id-{number}")
                time.sleep(0.0002)

        producer = threading.Thread(target=produce)
        producer.start()
        time.sleep(0.01)
        report = sink.close(timeout=5)
        stop.set()
        producer.join(5)
        pending = {json.loads(event)["messageId"] for event in report.pending}
        assert set(taken) <= set(collector.accepted_ids()) | pending


def test_an_emit_waiting_for_room_is_refused_when_the_sink_closes(collector: Collector) -> None:
    """An emit() blocked waiting for budget room raises 'HttpSink is closed' when close() runs."""
    collector.script = ["slow"]
    sink = sink_for(collector, max_pending_bytes=200, emit_timeout=5)
    sink.emit(message(0))
    time.sleep(0.2)  # id-0 is in flight, the budget is used up
    outcome: list[str] = []

    def produce() -> None:
        try:
            sink.emit(message(1))
            outcome.append("taken")
        except RuntimeError as exc:
            outcome.append(str(exc))

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(0.1)
    sink.close(timeout=0.3)
    producer.join(5)
    assert ["HttpSink is closed"] == outcome


def test_the_sender_survives_errors_that_are_not_http_errors() -> None:
    """A non-HTTP exception from the client is retried like a failed request; nothing is lost."""
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a client closed by mistake, a bad URL, ...")
        return httpx.Response(200, json={})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    sink = HttpSink(
        "endpoint", url="http://127.0.0.1:9/v1/batch", write_key="k", retry=FAST, client=client
    )
    send(sink, 3)
    report = sink.close(timeout=5)
    assert report.complete and report.delivered == 3 and report.retried == 3
    client.close()


def test_the_write_key_is_not_in_the_options_repr() -> None:
    """The write key does not show in the repr of the sink's internal options."""
    sink = HttpSink("segment", write_key="super-secret")
    try:
        assert "super-secret" not in repr(sink._state.options)
    finally:
        sink.close(timeout=0.1)


def test_a_wall_clock_step_backwards_does_not_stall_delivery(collector: Collector) -> None:
    """Batches and retries are scheduled on the monotonic clock; sentAt uses the wall clock."""
    wall = [time.time()]
    sink = sink_for(collector, clock=lambda: wall[0])
    sink.emit(message(0))
    wall[0] -= 3600.0  # the system clock is set back an hour
    for _ in range(500):  # bounded (10 s): the 0.05 s interval passes on the monotonic clock
        if collector.accepted_ids():
            break
        time.sleep(0.02)
    assert ["id-0"] == collector.accepted_ids()
    sent = collector.requests[0]["payload"]["sentAt"]
    assert sent.startswith(time.strftime("%Y-%m-%dT", time.gmtime(wall[0])))
    sink.close(timeout=2)


class TestDeadLettersAreBounded:
    """A wrong key (401 forever) never fills memory with dead letters; each says where it is."""

    def refuse_all(self, collector: Collector) -> None:
        collector.script = [(401, {})] * 1000

    def test_past_the_bound_they_are_counted_and_reported(self, collector: Collector) -> None:
        """No outbox, no file: 200 KB kept in memory, the rest counted; 3,000 dead in all."""
        self.refuse_all(collector)
        sink = sink_for(collector, max_dead_letter_bytes=200_000,
                        limits=BatchLimits(max_events=100, interval=0.01))  # fmt: skip
        send(sink, 3000)
        report = sink.close(timeout=20)
        kept = sum(len(event) for letter in sink.dead_letters for event in letter.events)
        assert 3000 == report.dead == report.dead_in_memory + report.dead_dropped
        assert 0 < report.dead_dropped and kept <= 200_000

    def test_past_the_bound_they_go_to_the_file(self, collector: Collector, tmp_path: Path) -> None:
        """With dead_letter_file: what memory does not keep is there, one message per line."""
        self.refuse_all(collector)
        path = tmp_path / "dead.jsonl"
        sink = sink_for(collector, max_dead_letter_bytes=200_000, dead_letter_file=path,
                        limits=BatchLimits(max_events=100, interval=0.01))  # fmt: skip
        send(sink, 3000)
        report = sink.close(timeout=20)
        in_file = [json.loads(line)["messageId"] for line in path.read_text().splitlines()]
        in_memory = [json.loads(e)["messageId"] for x in sink.dead_letters for e in x.events]
        assert (0, report.dead_in_file) == (report.dead_dropped, len(in_file))
        assert sorted(in_memory + in_file) == sorted(f"id-{n}" for n in range(3000))

    def test_with_an_outbox_memory_holds_none(self, collector: Collector, tmp_path: Path) -> None:
        """With an outbox the dead letters are in it, and sink.dead_letters holds none."""
        self.refuse_all(collector)
        sink = sink_for(collector, spool=tmp_path / "outbox.db",
                        limits=BatchLimits(max_events=100, interval=0.01))  # fmt: skip
        send(sink, 1000)
        report = sink.close(timeout=20)
        assert (1000, [], 1000) == (report.dead_in_outbox, sink.dead_letters, report.dead)
