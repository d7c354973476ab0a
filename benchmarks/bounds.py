"""Memory bounds, measured: each case runs in its own process and prints its peak RSS.

    python benchmarks/bounds.py [--sessions 200000] [--line-mb 400]

- **open sessions**: a log of N sessions all open at once (each loads, plays and reports
  once, and exits only at the end of the input), replayed without a bound and with
  ``--max-open-sessions 10000``; and the memory each open session costs: the difference of
  the peaks with N and with 2,000 sessions, per session;
- **a huge line**: a gzip-compressed log whose second line is ``--line-mb`` MB long,
  replayed with the default 1 MiB line cap;
- **dead letters under a wrong key**: ``--dead-events`` events of about 800 bytes to a local
  collector (``TCP_NODELAY``) that answers 401 to everything, ``max_pending_bytes`` 1 MB.

No assertion: the figures are printed (the README's come from this script).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

#: Runs one replay in a fresh interpreter and prints its peak RSS in MB. VmHWM, not
#: ru_maxrss: the latter is kept across fork and exec, so it would count the parent's memory.
_CHILD = """
import sys
from vtrack.cli import main
status = main(["replay", *sys.argv[1:], "--quiet", "--out", "/dev/null"])
with open("/proc/self/status") as proc:
    peak = next(int(line.split()[1]) for line in proc if line.startswith("VmHWM:"))
print(peak / 1024, status)
"""


#: Delivers N events to a local server that refuses them all (401); prints peak RSS in MB.
_DEAD_CHILD = """
import socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from vtrack.delivery import BatchLimits, RetryPolicy
from vtrack.sinks.http import HttpSink

class Refuse(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

class Server(ThreadingHTTPServer):
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

server = Server(("127.0.0.1", 0), Refuse)
threading.Thread(target=server.serve_forever, daemon=True).start()
sink = HttpSink("endpoint", write_key="wrong", url=f"http://127.0.0.1:{server.server_port}/b",
                max_pending_bytes=1_000_000, emit_timeout=60)
pad = "x" * 700
for n in range(int(sys.argv[1])):
    sink.emit({"type": "track", "event": "Video Content Playing", "anonymousId": "v",
               "messageId": f"id-{n}", "properties": {"pad": pad, "n": n}})
report = sink.close(timeout=120)
with open("/proc/self/status") as proc:
    peak = next(int(line.split()[1]) for line in proc if line.startswith("VmHWM:"))
print(peak / 1024, report.dead, report.dead_in_memory, report.dead_dropped)
server.shutdown()
"""


def dead_letter_peak(events: int) -> list[str]:
    """Peak RSS (MB) and the dead counts of a sink whose every batch is refused."""
    done = subprocess.run(
        [sys.executable, "-c", _DEAD_CHILD, str(events)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def peak_mb(*args: str) -> tuple[float, int]:
    """Peak RSS (MB) and exit status of ``vtrack replay ARGS`` in its own process."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    peak, status = done.stdout.split()
    return float(peak), int(status)


#: The baseline of the memory per open session: the peak with this many sessions open.
FEW_SESSIONS = 2_000


def write_open_sessions(path: Path, sessions: int) -> None:
    """N sessions that all stay open to the end of the input."""
    with path.open("w") as out:
        t = 1_700_000_000.0
        for step, event in enumerate(("load", "play", "playing")):
            for n in range(sessions):
                record = {"t": t + step + n * 1e-6, "session": f"s{n}", "event": event}
                if event == "load":
                    record.update(anonymous_id=f"v{n}", asset_id=f"a{n % 100}", duration=600)
                out.write(json.dumps(record) + "\n")


def write_huge_line(path: Path, megabytes: int) -> None:
    """A short log with one line of ``megabytes`` MB in it, gzip-compressed."""
    chunk = b"x" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(b'{"t": 1700000000, "session": "s", "anonymous_id": "v", "event": "play"}\n')
        out.write(b'{"t": 1700000001, "session": "s", "pad": "')
        for _ in range(megabytes):
            out.write(chunk)
        out.write(b'"}\n{"t": 1700000002, "session": "s", "event": "exit"}\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--line-mb", type=int, default=400)
    parser.add_argument("--dead-events", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        many = folder / "open.log"
        write_open_sessions(many, args.sessions)
        unbounded, _ = peak_mb(str(many))
        bounded, _ = peak_mb(str(many), "--max-open-sessions", "10000")
        few = folder / "few.log"
        write_open_sessions(few, FEW_SESSIONS)
        baseline, _ = peak_mb(str(few))
        per_session = (unbounded - baseline) * 2**20 / (args.sessions - FEW_SESSIONS)
        print(f"memory per open session: {per_session:,.0f} bytes ({args.sessions:,} sessions open "
              f"at once: {unbounded:,.0f} MB; {FEW_SESSIONS:,}: {baseline:,.0f} MB)")  # fmt: skip
        print(f"{args.sessions:,} sessions open at once: peak {unbounded:,.0f} MB unbounded, "
              f"{bounded:,.0f} MB with --max-open-sessions 10000 "
              f"({unbounded / bounded:.1f}x less)")  # fmt: skip
        huge = folder / "huge.log.gz"
        write_huge_line(huge, args.line_mb)
        peak, status = peak_mb(str(huge))
        print(f"a {args.line_mb:,} MB line (gzip): peak {peak:,.0f} MB, exit status {status} "
              "(the line is reported as FILE:2 and skipped)")  # fmt: skip
    peak_dead, dead, in_memory, dropped = dead_letter_peak(args.dead_events)
    print(f"{args.dead_events:,} events refused (401 forever), max_pending_bytes 1 MB: peak "
          f"{float(peak_dead):,.0f} MB; {int(dead):,} dead, {int(in_memory):,} kept in memory, "
          f"{int(dropped):,} counted past max_dead_letter_bytes")  # fmt: skip


if __name__ == "__main__":
    main()
