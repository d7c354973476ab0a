"""End-to-end HTTP delivery: vtrack's HttpSink (without and with the outbox) against
segment-analytics-python, into the same local collector, measured fairly.

- The collector runs in a process of its own and answers with ``TCP_NODELAY`` (without it,
  a client sending small batches waits ~40 ms per request on a delayed ACK).
- Each contender runs in a process of its own, with the same events and the same batch
  limits (``--batch-events`` per request), one after the other, the order rotating each
  round; the medians of ``--rounds`` rounds are compared.
- Throughput: events from the first emit until ``close()`` returned with every event
  delivered (the collector counts them); memory: the producer's peak RSS (VmHWM).

Prints each round, the medians and the ratios. Asserts nothing.

    make bench-http                       # installs segment-analytics-python for this only
    .venv/bin/python benchmarks/http_delivery.py --count 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

CONTENDERS = ("vtrack", "vtrack-outbox", "segment-analytics-python")
#: A short code per contender, for its messageIds (the collector counts by it).
CODES = {"vtrack": "v", "vtrack-outbox": "o", "segment-analytics-python": "s"}
PROPERTIES: dict[str, Any] = {
    "session_id": "12345",
    "asset_id": "0129370",
    "pod_id": "segA",
    "program": "Planet Earth",
    "title": "Seasonal Forests",
    "description": "David Attenborough reveals the greatest woodlands on earth.",
    "season": "2",
    "episode": "9",
    "genre": "Documentary",
    "channel": "Netflix",
    "publisher": "BBC",
    "full_episode": True,
    "livestream": False,
    "airdate": "2006-04-09",
    "bitrate": 3200,
    "framerate": 30,
    "total_length": 3600,
    "keywords": ["nature", "forests", "seasons", "earth", "documentary", "bbc"],
    "position": 0,
}


class _Handler(BaseHTTPRequestHandler):
    """Accepts every batch (counting its messageIds by prefix); GET /count?PREFIX reads them."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY: no delayed-ACK wait on small answers
    counts: ClassVar[dict[str, int]] = {}
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        batch = json.loads(raw)["batch"]
        with self.lock:
            for event in batch:
                prefix = event["messageId"].split("-", 1)[0]
                self.counts[prefix] = self.counts.get(prefix, 0) + 1
        self._answer(b"{}")

    def do_GET(self) -> None:
        prefix = self.path.partition("?")[2]
        with self.lock:
            self._answer(str(self.counts.get(prefix, 0)).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def run_collector() -> None:
    """The collector process: prints its port, serves until stdin closes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


def collected(base: str, prefix: str) -> int:
    with urllib.request.urlopen(f"{base}/count?{prefix}", timeout=10) as answer:
        return int(answer.read())


def produce(contender: str, base: str, count: int, prefix: str, batch: int) -> dict[str, float]:
    """Run in a child process: emit ``count`` messages and close; report time and memory."""
    started = time.perf_counter()
    if contender == "segment-analytics-python":
        import segment.analytics as analytics  # installed only for this benchmark

        client = analytics.Client(
            write_key="k", host=base, max_queue_size=count + 1, gzip=True, upload_size=batch
        )
        for number in range(count):
            client.track(
                anonymous_id="viewer",
                event="Video Content Playing",
                properties=PROPERTIES,
                message_id=f"{prefix}{number}",
            )
        client.flush()
        client.shutdown()
    else:
        sys.path.insert(0, str(Path(__file__).parent.parent))
        from vtrack.delivery import BatchLimits
        from vtrack.sinks.http import HttpSink

        with tempfile.TemporaryDirectory() as spool_dir:
            sink = HttpSink(
                "endpoint",
                url=f"{base}/v1/batch",
                write_key="k",
                limits=BatchLimits(max_events=batch),
                spool=Path(spool_dir) / "outbox.db" if contender == "vtrack-outbox" else None,
            )
            for number in range(count):
                sink.emit(
                    {
                        "type": "track",
                        "event": "Video Content Playing",
                        "anonymousId": "viewer",
                        "messageId": f"{prefix}{number}",
                        "timestamp": "2024-01-15T10:30:00.250Z",
                        "properties": PROPERTIES,
                        "context": {"library": {"name": "vtrack", "version": "0"}},
                    }
                )
            sink.close(timeout=600)
    with open("/proc/self/status") as status:  # VmHWM: ru_maxrss would count the parent
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-events", type=int, default=100, help="events per request")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--collector", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collector:
        run_collector()
        return
    if args.child:
        figures = produce(args.child, args.base, args.count, args.prefix, args.batch_events)
        print(json.dumps(figures))
        return
    collector = subprocess.Popen(
        [sys.executable, __file__, "--collector"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert collector.stdout is not None and collector.stdin is not None
    base = f"http://127.0.0.1:{collector.stdout.readline().strip()}"
    results: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    try:
        for round_number in range(args.rounds):
            order = CONTENDERS[round_number % 3 :] + CONTENDERS[: round_number % 3]
            for contender in order:
                figures = one_run(contender, base, args, f"r{round_number}{CODES[contender]}")
                if figures is not None:
                    results[contender].append(figures)
                    print(f"round {round_number + 1}, {contender}: "
                          f"{figures['events_per_s']:,.0f} events/s, peak "
                          f"{figures['peak_rss_mb']:,.0f} MB, {figures['lost']:,.0f} lost",
                          flush=True)  # fmt: skip
    finally:
        collector.stdin.close()
        collector.wait(30)
    report(results, args)


def one_run(
    contender: str, base: str, args: argparse.Namespace, prefix: str
) -> dict[str, float] | None:
    """One contender's run in a process of its own; None if it failed (printed)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", contender, "--base", base, "--prefix",
         f"{prefix}-", "--count", str(args.count), "--batch-events", str(args.batch_events)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        print(f"{contender}: failed\n{done.stderr[-2000:]}")
        return None
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    arrived = collected(base, prefix)
    figures["lost"] = args.count - arrived
    figures["events_per_s"] = arrived / figures["seconds"]
    return figures


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    """The medians of each contender, and vtrack's ratios to segment-analytics-python."""
    medians = {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in results.items()
        if runs
    }
    print(f"medians of {args.rounds} rounds, {args.count:,} events, "
          f"{args.batch_events} events per request:")  # fmt: skip
    for name, figures in medians.items():
        print(f"  {name}: {figures['events_per_s']:,.0f} events/s, peak "
              f"{figures['peak_rss_mb']:,.0f} MB, {figures['lost']:,.0f} lost")  # fmt: skip
    base = medians.get("segment-analytics-python")
    if base:
        for name in ("vtrack", "vtrack-outbox"):
            if name in medians:
                mine = medians[name]
                print(f"{name} / segment-analytics-python: "
                      f"{mine['events_per_s'] / base['events_per_s']:.1f}x the throughput, "
                      f"{mine['peak_rss_mb'] / base['peak_rss_mb']:.2f}x the memory")  # fmt: skip


if __name__ == "__main__":
    main()
