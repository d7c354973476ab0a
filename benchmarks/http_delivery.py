"""End-to-end HTTP delivery: vtrack's HttpSink (without and with the outbox) against
segment-analytics-python, into the same local collector.

Prints events/s from the first emit until the collector holds every event, peak RSS of the
producing process, and events lost, for each; then the ratios. Asserts nothing.

    make bench-http                       # installs segment-analytics-python for this only
    .venv/bin/python benchmarks/http_delivery.py --count 200000
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CONTENDERS = ("vtrack", "vtrack-outbox", "segment-analytics-python")
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


class Collector:
    """Accepts every batch and remembers the messageIds it saw (and when it saw the last)."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                batch = json.loads(raw)["batch"]
                with collector.lock:
                    collector.ids.update(event["messageId"] for event in batch)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for i in self.ids if i.startswith(prefix))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def produce(contender: str, base: str, count: int, prefix: str) -> dict[str, float]:
    """Run in a child process: emit ``count`` messages and close; report time and memory."""
    started = time.perf_counter()
    if contender == "segment-analytics-python":
        import segment.analytics as analytics  # installed only for this benchmark

        client = analytics.Client(
            write_key="k", host=base, max_queue_size=count + 1, gzip=True, upload_size=100
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
                limits=BatchLimits(max_events=2_500),
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
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(produce(args.child, args.base, args.count, args.prefix)))
        return
    collector = Collector()
    results = {}
    try:
        for contender in CONTENDERS:
            prefix = f"{contender}-"
            done = subprocess.run(
                [sys.executable, __file__, "--child", contender, "--base", collector.base,
                 "--prefix", prefix, "--count", str(args.count)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                print(f"{contender}: failed\n{done.stderr[-2000:]}")
                continue
            figures = json.loads(done.stdout.splitlines()[-1])
            arrived = collector.count(prefix)
            figures["lost"] = args.count - arrived
            figures["events_per_s"] = arrived / figures["seconds"]
            results[contender] = figures
            print(
                f"{contender}: {figures['events_per_s']:,.0f} events/s end to end, peak RSS "
                f"{figures['peak_rss_mb']:,.0f} MB, {figures['lost']:,} of {args.count:,} lost"
            )
    finally:
        collector.stop()
    base = results.get("segment-analytics-python")
    if base:
        for contender in ("vtrack", "vtrack-outbox"):
            if contender in results:
                mine = results[contender]
                print(
                    f"{contender} / segment-analytics-python: "
                    f"{mine['events_per_s'] / base['events_per_s']:.1f}x the throughput, "
                    f"{mine['peak_rss_mb'] / base['peak_rss_mb']:.2f}x the memory"
                )


if __name__ == "__main__":
    main()
