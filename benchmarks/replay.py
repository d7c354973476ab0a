"""Benchmark of ``vtrack replay``: callbacks per second and peak memory, beside ``json.loads``.

Prints figures; asserts nothing. Run with ``make bench-replay`` or
``python benchmarks/replay.py``.

It writes a log of 1,000,000 callbacks from 5,000 interleaved realistic sessions (the mix of
``benchmarks/core.py``: 80 % timeupdates, pauses, seeks, stalls, quality changes, ad breaks),
then times, on the same file:

- merely parsing every line with ``json.loads`` (the floor any replay pays);
- ``vtrack replay FILE --out OUT --quiet`` in a fresh process, whose peak memory is read from
  the kernel (``VmHWM``, so Linux only).
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from core import START, Step, realistic_session

from vtrack import Callback
from vtrack.replay.log_format import callback_record


def _records(index: int, script: list[Step]) -> Iterator[tuple[float, int, dict[str, Any]]]:
    session = f"session-{index}"
    for number, (at, name, args) in enumerate(script):
        record = callback_record(Callback(name, at, args), session=session)
        if number == 0:
            record["anonymous_id"] = f"viewer-{index}"
        yield at, index, record


def write_log(path: Path, sessions: int, per_session: int) -> int:
    """A log of ``sessions`` realistic sessions merged in time order; returns its lines."""
    rng = random.Random(3)
    scripts = [
        realistic_session(rng, START + rng.uniform(0, 3600), per_session) for _ in range(sessions)
    ]
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        merged = heapq.merge(*(_records(i, s) for i, s in enumerate(scripts)))
        for _, _, record in merged:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            lines += 1
    return lines


def time_json_loads(path: Path) -> float:
    """Seconds to read and ``json.loads`` every line (best of 3)."""
    best = float("inf")
    for _ in range(3):
        gc.collect()
        begin = time.perf_counter()
        with path.open("rb") as stream:
            for line in stream:
                json.loads(line)
        best = min(best, time.perf_counter() - begin)
    return best


#: Runs ``vtrack replay`` and prints the process's own peak memory (VmHWM, in kB) after it.
_CHILD = """
import sys
from vtrack.cli import main
status = main(["replay", sys.argv[1], "--out", sys.argv[2], "--quiet"])
with open("/proc/self/status") as lines:
    print(next(line.split()[1] for line in lines if line.startswith("VmHWM:")))
sys.exit(status)
"""


def time_replay(path: Path, out: Path) -> tuple[float, int]:
    """Seconds and peak memory (bytes) of ``vtrack replay`` in a fresh process (best of 3).

    The peak is the process's own high-water mark (Linux ``VmHWM``); ``ru_maxrss`` would also
    count the memory of this process, which the child starts as a copy of.
    """
    best, peak = float("inf"), 0
    for _ in range(3):
        begin = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        best = min(best, time.perf_counter() - begin)
        peak = max(peak, int(done.stdout.split()[-1]) * 1024)
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    parser.add_argument("--write-log", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    sessions, per_session = 5_000 // scale, 200
    if args.write_log:
        write_log(Path(args.write_log), sessions, per_session)
        return
    with tempfile.TemporaryDirectory(prefix="vtrack-bench-") as scratch:
        log, out = Path(scratch) / "player.log", Path(scratch) / "events.jsonl"
        writer = [sys.executable, __file__, "--write-log", str(log)]
        subprocess.run(writer + (["--quick"] if args.quick else []), check=True)
        with log.open("rb") as written:
            lines = sum(1 for _ in written)
        size = os.path.getsize(log)
        parse = time_json_loads(log)
        seconds, peak = time_replay(log, out)
        with out.open("rb") as produced:
            messages = sum(1 for _ in produced)
        out_size = os.path.getsize(out)
    print(f"log: {lines:,} callbacks of {sessions:,} interleaved sessions, {size / 1e6:,.1f} MB")
    print(f"json.loads of every line: {lines / parse:,.0f} lines/s ({parse:.2f} s)")
    print(
        f"vtrack replay to a file: {lines / seconds:,.0f} callbacks/s ({seconds:.2f} s, whole "
        f"process); {messages:,} messages, {out_size / 1e6:,.1f} MB; peak memory "
        f"{peak / 1e6:,.0f} MB"
    )
    print(f"replay / json.loads time: {seconds / parse:.1f}x")


if __name__ == "__main__":
    main()
