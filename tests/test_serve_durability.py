"""vtrack serve stops cleanly: SIGTERM ends open sessions and flushes the sink; with --spool,
nothing accepted is lost across a stop with the endpoint away and a restart."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from collector import free_port, running_collector
from serve_feed import batches_of, interleaved, replayed
from serve_server import serve_process, stop

from vtrack.testing.viewing import Pause, Seek, Viewing, Watch

ORIGIN = "https://www.example.com"
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
    batches = interleaved([batches_of(v) for v in viewings()])
    ok = 0
    with httpx.Client(timeout=10) as client:
        for batch in batches:
            answer = client.post(
                f"{url}/v1/events",
                content=batch.body,
                headers={"Origin": ORIGIN, "Content-Type": "text/plain"},
                params={"batch": batch.batch_id},
            )
            ok += answer.status_code == 204
    return ok


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
