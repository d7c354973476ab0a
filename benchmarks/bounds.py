"""Memory bounds, measured: each case runs in its own process and prints its peak RSS.

    python benchmarks/bounds.py [--sessions 200000] [--line-mb 400]

- **open sessions**: a log of N sessions all open at once (each loads, plays and reports
  once, and exits only at the end of the input), replayed without a bound and with
  ``--max-open-sessions 10000``;
- **a huge line**: a gzip-compressed log whose second line is ``--line-mb`` MB long,
  replayed with the default 1 MiB line cap.

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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        many = folder / "open.log"
        write_open_sessions(many, args.sessions)
        unbounded, _ = peak_mb(str(many))
        bounded, _ = peak_mb(str(many), "--max-open-sessions", "10000")
        print(f"{args.sessions:,} sessions open at once: peak {unbounded:,.0f} MB unbounded, "
              f"{bounded:,.0f} MB with --max-open-sessions 10000 "
              f"({unbounded / bounded:.1f}x less)")  # fmt: skip
        huge = folder / "huge.log.gz"
        write_huge_line(huge, args.line_mb)
        peak, status = peak_mb(str(huge))
        print(f"a {args.line_mb:,} MB line (gzip): peak {peak:,.0f} MB, exit status {status} "
              "(the line is reported as FILE:2 and skipped)")  # fmt: skip


if __name__ == "__main__":
    main()
