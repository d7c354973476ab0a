"""vtrack serve under load: records/s one process accepts, sessions it holds, request latency.

Prints figures; asserts nothing. Run with ``python benchmarks/serve.py [--players 50]
[--sessions 40] [--seconds 20]`` (the ``serve`` extra installed).

A ``vtrack serve`` process (``--out`` a file, ``--record`` off) listens on 127.0.0.1; a load
generator in this process runs ``--players`` simulated players at once (asyncio, one httpx
connection each), each cycling through ``--sessions`` sessions of its own: a session's first
batch names the viewer and starts playing, every later one is 20 ``timeupdate`` records a
quarter second apart, as vtrack.js sends them. Each player posts its next batch as soon as the
last one is answered (a closed loop: the figures are what the server keeps up with, the
generator sharing the machine's cores with it), for ``--seconds`` at most. Reported: records
accepted per second, requests per second, the server process's CPU time per request, the
sessions held at the end (``GET /metrics``), the server's memory (RSS) and per session held,
and the requests' latency (median, p99, max).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ORIGIN = "http://127.0.0.1:9"
RECORDS = 20


def media(t: float, session: str, kind: str, position: float) -> dict[str, Any]:
    return {
        "t": round(t, 4),
        "session": session,
        "type": kind,
        "currentTime": round(position, 6),
        "duration": 3600,
        "paused": False,
        "ended": False,
        "playbackRate": 1,
    }


class Player:
    """One simulated page, cycling through its sessions."""

    def __init__(self, number: int, sessions: int) -> None:
        self.names = [f"p{number}-s{i}" for i in range(sessions)]
        self.position = dict.fromkeys(self.names, -1.0)
        self.turn = 0
        self.batches = 0

    def batch(self) -> bytes:
        session = self.names[self.turn % len(self.names)]
        self.turn += 1
        now = time.time()
        position = self.position[session]
        records: list[dict[str, Any]] = []
        if position < 0:
            records.append(
                {
                    "t": now,
                    "session": session,
                    "anonymous_id": session,
                    "content": {"asset_id": "bench"},
                }
            )
            records += [media(now, session, k, 0.0) for k in ("loadedmetadata", "play", "playing")]
            position = 0.0
        while len(records) < RECORDS:
            position += 0.25
            records.append(media(now, session, "timeupdate", position))
        self.position[session] = position
        return b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)


async def player(url: str, number: int, sessions: int, until: float, latencies: list[float]) -> int:
    """Post batches until ``until``; how many records were accepted.

    HTTP/1.1 by hand over one kept-alive connection: a client library's own cost per request
    would be most of what is measured (the generator shares the cores with the server).
    """
    accepted = 0
    simulated = Player(number, sessions)
    parts = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parts.host, parts.port)
    head = f"Host: {parts.host}\r\nOrigin: {ORIGIN}\r\nContent-Type: text/plain\r\n"
    try:
        while time.monotonic() < until:
            body = simulated.batch()
            began = time.perf_counter()
            writer.write(
                f"POST {parts.path}?sent_at={time.time()!r} HTTP/1.1\r\n{head}"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status = (await reader.readline()).split(b" ")[1]
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            if status != b"204":
                raise SystemExit(f"the server answered {status.decode()}: {answer!r}")
            accepted += RECORDS
    finally:
        writer.close()
    return accepted


async def load(
    url: str, players: int, sessions: int, seconds: float
) -> tuple[int, list[float], float]:
    latencies: list[float] = []
    began = time.monotonic()
    until = began + seconds
    counts = await asyncio.gather(
        *(player(f"{url}/v1/events", n, sessions, until, latencies) for n in range(players))
    )
    return sum(counts), latencies, time.monotonic() - began


def rss(pid: int) -> int:
    """The process's resident memory, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) * 1024 if found else 0


def cpu(pid: int) -> float:
    """The process's CPU time so far (user and system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=40, help="sessions per player")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable,
            "-m",
            "vtrack.cli",
            "serve",
            "--port",
            "0",
            "--allow-origin",
            ORIGIN,
            "--rate-limit",
            "1000000",
            "--idle-timeout",
            "600",
            "--out",
            str(Path(folder) / "out.jsonl"),
        ]
        server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            assert server.stderr is not None
            line = server.stderr.readline()
            found = re.search(r"listening on (http://\S+)", line)
            if found is None:
                raise SystemExit(f"vtrack serve did not start: {line}")
            url = found.group(1)
            before, busy = rss(server.pid), cpu(server.pid)
            records, latencies, elapsed = asyncio.run(
                load(url, args.players, args.sessions, args.seconds)
            )
            metrics = httpx.get(f"{url}/metrics", timeout=10).text
            held = int(re.search(r"^vtrack_serve_open_sessions (\d+)", metrics, re.M).group(1))  # type: ignore[union-attr]
            after, busy = rss(server.pid), cpu(server.pid) - busy
        finally:
            server.terminate()
            server.wait(120)
    latencies.sort()
    print(
        f"{args.players} players, {args.sessions} sessions each, {elapsed:.1f} s: "
        f"{records / elapsed:,.0f} records/s accepted ({len(latencies) / elapsed:,.0f} "
        f"requests/s of {RECORDS} records; the server's CPU {busy / elapsed:.0%} of a core, "
        f"{busy / len(latencies) * 1000:.2f} ms a request); {held:,} sessions held, server RSS "
        f"{after / 2**20:,.1f} MiB ({(after - before) / max(held, 1):,.0f} bytes per session "
        f"over the idle server's {before / 2**20:,.1f} MiB); latency median "
        f"{statistics.median(latencies) * 1000:.2f} ms, p99 "
        f"{latencies[int(len(latencies) * 0.99) - 1] * 1000:.2f} ms, max "
        f"{latencies[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
