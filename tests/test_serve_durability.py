"""vtrack serve stops cleanly: SIGTERM ends open sessions and flushes the sink; with --spool,
nothing accepted is lost across a stop with the endpoint away and a restart."""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import collector as collecting
import httpx
import orjson
import pytest
from collector import free_port, running_collector
from serve_feed import batches_of, interleaved, post_batches, replayed
from serve_server import ORIGIN as SERVING_ORIGIN
from serve_server import serve_process, serving, stop

from vtrack.cli import delivery as cli_delivery
from vtrack.core.errors import QueueFull
from vtrack.replay.engine import Replayer
from vtrack.serve import Sessionizer, read_batch
from vtrack.serve.output import Output
from vtrack.serve.service import Service
from vtrack.sinks.http import HttpSink
from vtrack.testing.viewing import Pause, Seek, Viewing, Watch

ORIGIN = "https://www.example.com"
#: A post from the page serving() allows.
HEADERS = {"Origin": SERVING_ORIGIN, "Content-Type": "text/plain"}
KEY = "write-key-that-stays-on-the-server"
T0 = time.time() - 600


def viewings() -> list[Viewing]:
    """Five players; the last two are still watching when the server is stopped."""
    actions = (Watch(4.0), Pause(2.0), Seek(20.0), Watch(6.0))
    return [
        Viewing(
            40.0,
            actions,
            ending=("leave", "end", "leave", "silent", "silent")[i],
            tick=0.25,
            start_at=T0 + i,
            session_id=f"s{i}",
            viewer=f"v{i}",
        )
        for i in range(5)
    ]


def posted(url: str) -> int:
    """Post every player's batches as they would arrive; how many were answered 204."""
    return post_batches(url, interleaved([batches_of(v) for v in viewings()]), ORIGIN)


def environment() -> dict[str, str]:
    return {**os.environ, "VTRACK_WRITE_KEY": KEY}


def by_session(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        out.setdefault(message["properties"]["session_id"], []).append(message)
    return out


class TestStopAndRestart:
    def test_nothing_accepted_is_lost_across_a_stop_and_a_restart(self, tmp_path: Path) -> None:
        """Endpoint away: SIGTERM ends the open sessions at their last record and keeps their
        messages in the outbox (exit 3); restarted with the endpoint back, the server delivers
        them all: every session's messages, as the replay of its records makes them."""
        spool, record = str(tmp_path / "outbox.db"), str(tmp_path / "record")
        common = ["--allow-origin", ORIGIN, "--sink", "endpoint", "--spool", spool]
        common += ["--record", record, "--deliver-timeout", "1", "--rate-limit", "1000"]
        away = f"http://127.0.0.1:{free_port()}/v1/batch"
        with serve_process(*common, "--url", away, env=environment()) as (process, url):
            accepted = posted(url)
            status, said = stop(process)
        assert (3, True) == (status, "wait in the outbox" in said)
        with running_collector() as collector:
            with serve_process(*common, "--url", collector.url, env=environment()) as (
                process,
                url,
            ):
                expected = {}
                for path in sorted(Path(record).glob("*.jsonl")):
                    expected |= by_session(replayed(path))
                total = sum(len(m) for m in expected.values())
                deadline = time.monotonic() + 30
                while len(collector.accepted_ids()) < total and time.monotonic() < deadline:
                    time.sleep(0.05)
                status, _ = stop(process)
            delivered = by_session(collector.accepted)
        assert (0, len(interleaved([batches_of(v) for v in viewings()]))) == (status, accepted)
        assert expected == delivered
        assert {"s0", "s1", "s2", "s3", "s4"} == set(delivered)
        assert ["Video Playback Exited"] * 5 == [m[-1]["event"] for m in delivered.values()]

    def test_the_write_key_stays_on_the_server(self, tmp_path: Path) -> None:
        """The key goes to the endpoint only: no answer the server gives carries it."""
        with running_collector() as collector:
            args = ["--allow-origin", ORIGIN, "--sink", "endpoint", "--url", collector.url]
            args += ["--rate-limit", "1000"]
            with serve_process(*args, env=environment()) as (process, url):
                posted(url)
                with httpx.Client(timeout=10) as client:
                    answers = [
                        client.get(f"{url}/vtrack.js"),
                        client.get(f"{url}/metrics"),
                        client.get(f"{url}/healthz"),
                        client.post(f"{url}/v1/events", content=b"x", headers={"Origin": ORIGIN}),
                        client.post(f"{url}/v1/events", content=b"{}"),
                        client.get(f"{url}/nothing"),
                    ]
                stop(process)
            seen = [orjson.dumps(dict(a.headers)) + a.content for a in answers]
            sent = [r["headers"].get("Authorization", "") for r in collector.requests]
        assert [False] * len(answers) == [KEY.encode() in s for s in seen]
        assert sent and all(s.startswith("Basic ") for s in sent)


def sink_args(url: str, undelivered: Path) -> argparse.Namespace:
    """--sink endpoint --url URL --deliver-timeout 0.2 --undelivered FILE, no --spool."""
    return argparse.Namespace(
        sink="endpoint",
        region="us",
        url=url,
        write_key_file=None,
        deliver_timeout=0.2,
        spool=None,
        undelivered=undelivered,
    )


def wait_until(found: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def gauges(text: str) -> dict[str, str]:
    return dict(line.split(" ") for line in text.splitlines() if not line.startswith("#"))


class TestEndpointAway:
    def test_the_server_delivers_again_once_its_endpoint_is_back(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No --spool, the sink's memory full past --deliver-timeout: that session's messages go
        to --undelivered (counted, and the outage shown, in /metrics), the sink stays open, and
        the next session's messages reach the endpoint once it takes them again."""
        full = threading.Event()
        emit = HttpSink.emit

        def emit_unless_full(self: HttpSink, message: dict[str, Any]) -> None:
            if full.is_set():
                time.sleep(0.05)  # as the sink waits for room
                raise QueueFull("full")
            emit(self, message)

        monkeypatch.setattr(HttpSink, "emit", emit_unless_full)
        monkeypatch.setenv("VTRACK_WRITE_KEY", KEY)
        kept = tmp_path / "kept.jsonl"
        now = time.time()
        first, second = (
            interleaved([batches_of(v) for v in viewings()[i : i + 1]]) for i in (0, 1)
        )
        with running_collector() as collector:
            delivery = cli_delivery.Delivery(sink_args(collector.url, kept), keep_open=True)
            with serving(tmp_path, delivery=delivery, rate_limit=1e6, clock=lambda: now) as running:
                full.set()
                with httpx.Client(timeout=10) as client:
                    answers = [
                        client.post(running.events, content=b.body, headers=HEADERS).status_code
                        for b in first
                    ]
                    made = running.service.sessionizer.stats.messages
                    wait_until(lambda: running.service.output.undelivered == made, "kept")
                    away = gauges(client.get(f"{running.url}/metrics").text)
                    full.clear()
                    time.sleep(cli_delivery.OFFER_EVERY)
                    answers += [
                        client.post(running.events, content=b.body, headers=HEADERS).status_code
                        for b in second
                    ]
                    rest = running.service.sessionizer.stats.messages - made
                    wait_until(lambda: len(collector.accepted) == rest, "the second session")
                    back = gauges(client.get(f"{running.url}/metrics").text)
            sessions = {m["properties"]["session_id"] for m in collector.accepted}
        in_file = {orjson.loads(line)["properties"]["session_id"] for line in kept.open("rb")}
        assert ({204}, {"s0"}, {"s1"}, True) == (set(answers), in_file, sessions, made > 0)
        assert (str(made), "1", "0") == (
            away["vtrack_serve_undelivered_total"],
            away["vtrack_serve_delivery_overflowing"],
            back["vtrack_serve_delivery_overflowing"],
        )


class TestFailures:
    def test_a_session_whose_end_fails_is_dropped_and_the_others_still_end(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Ending s0 raises (at the sweep) and ending s1 raises (at the stop): each is dropped,
        logged and counted; s2 exits at the sweep, s3 at the stop, and the output is closed."""
        service, out = failing_ends(tmp_path, monkeypatch, fail_on=(0, 2))
        service.sweep()  # s0 and s2 are idle: s0 fails, s2 exits
        swept = service.sessionizer.open_sessions
        service.stop()  # s1 fails, s3 exits
        exited = [
            orjson.loads(line)["properties"]["session_id"]
            for line in out.read_bytes().splitlines()
            if b"Video Playback Exited" in line
        ]
        assert (2, ["s2", "s3"], 2) == (swept, exited, service.errors["session_end"])

    def test_an_error_delivering_a_message_keeps_it_and_the_rest_is_delivered(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The sink raises on the second of five messages: it goes to --undelivered, the other
        four reach the endpoint, and the error is counted (nothing lost)."""
        emit = HttpSink.emit

        def emit_but_the_second(self: HttpSink, message: dict[str, Any]) -> None:
            if message["messageId"] == "id-2":
                raise RuntimeError("the sink broke")
            emit(self, message)

        monkeypatch.setattr(HttpSink, "emit", emit_but_the_second)
        monkeypatch.setenv("VTRACK_WRITE_KEY", KEY)
        kept = tmp_path / "kept.jsonl"
        with running_collector() as collector:
            delivery = cli_delivery.Delivery(sink_args(collector.url, kept), keep_open=True)
            output = Output(None, delivery)
            output.put([collecting.message(n) for n in range(1, 4)])
            output.put([collecting.message(n) for n in range(4, 6)])
            outcome = output.close()
            delivered = sorted(collector.accepted_ids())
        in_file = [orjson.loads(line)["messageId"] for line in kept.read_bytes().splitlines()]
        assert (["id-1", "id-3", "id-4", "id-5"], ["id-2"], 1, 0, 1) == (
            delivered,
            in_file,
            output.failed,
            output.lost,
            outcome.in_file if outcome is not None else None,
        )

    @pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
    def test_close_counts_what_a_dead_output_thread_left(self) -> None:
        """The delivery raises SystemExit (the thread cannot go on): close() returns, and
        counts as lost the messages handed over and never written or delivered."""

        class Dying:
            def take(self, message: dict[str, Any]) -> None:
                raise SystemExit

            def finish(self) -> None:
                return None

        output = Output(None, Dying())  # type: ignore[arg-type]
        output.put([collecting.message(n) for n in range(3)])
        output.put([collecting.message(n) for n in range(2)])
        output.close()
        assert (5, 0) == (output.lost, output.queued)


def failing_ends(
    folder: Path, monkeypatch: pytest.MonkeyPatch, fail_on: tuple[int, ...]
) -> tuple[Service, Path]:
    """A service holding s0, s2 (silent since T0), s1 and s3 (active now), whose engine raises
    on the ends numbered ``fail_on`` (0: the first end)."""
    finish, ends = Replayer.finish, [0]

    def finish_or_fail(self: Replayer) -> list[dict[str, Any]]:
        ends[0] += 1
        if ends[0] - 1 in fail_on:
            raise RuntimeError("a bug ending a session")
        return finish(self)

    monkeypatch.setattr(Replayer, "finish", finish_or_fail)
    now, tick = T0 + 100, [0.0]
    out = folder / "out.jsonl"
    stream = out.open("ab")
    sessionizer = Sessionizer(idle_timeout=60)
    service = Service(sessionizer, Output(stream, None), origins=[ORIGIN], ticks=lambda: tick[0])
    for i, at in ((0, T0), (2, T0), (1, now), (3, now)):
        tick[0] = at - T0
        play = {"currentTime": 0, "duration": 60, "paused": False, "ended": False}
        records = [
            {"t": at, "session": f"s{i}", "anonymous_id": f"v{i}"},
            {"t": at, "session": f"s{i}", "type": "play", **play},
        ]
        body = b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)
        service.accept(read_batch(body), sent_at=None, batch=None, received_at=at)
    return service, out


class TestIdleClock:
    def test_idleness_is_measured_on_the_monotonic_clock(self) -> None:
        """The wall clock set an hour forward: a session active a second ago stays open; it
        ends once 60 s have passed on the monotonic clock."""
        wall, tick = [T0], [100.0]
        service = Service(
            Sessionizer(idle_timeout=60),
            Output(None, None),
            origins=[ORIGIN],
            clock=lambda: wall[0],
            ticks=lambda: tick[0],
        )
        header = {"t": T0, "session": "s1", "anonymous_id": "v1"}
        service.accept(
            read_batch(orjson.dumps(header)), sent_at=None, batch=None, received_at=wall[0]
        )
        wall[0] += 3600
        tick[0] += 1
        service.sweep()
        held = service.sessionizer.open_sessions
        tick[0] += 60
        service.sweep()
        service.stop()
        assert (1, 0) == (held, service.sessionizer.open_sessions)
