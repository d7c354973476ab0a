"""Benchmark of ``vtrack replay --engine spark`` beside the single-process replay.

Prints figures; asserts nothing. Needs the ``spark`` extra and Java. Run with
``python benchmarks/spark_replay.py [--sessions N] [--rounds N]``.

It writes one log of the realistic mix (``benchmarks/replay.py``'s generator) split over four
files, then times, each in a fresh process, alternating, medians of ``--rounds`` rounds:

- ``vtrack replay FILES --out OUT`` (one process);
- ``vtrack replay FILES --engine spark --spark-master local[1] --out DIR`` and ``local[2]``:
  the whole command, JVM start-up included;
- the same Spark commands on a log of ten lines: the fixed cost of a job (starting the JVM
  and the session, planning, writing part files), which the throughput figures subtract.

Wall time: Spark's executors are other processes (a JVM and Python workers), whose CPU time
this process cannot count fairly.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from replay import write_log

CONTENDERS = ("one process", "spark local[1]", "spark local[2]")


def command(name: str, logs: list[Path], out: Path) -> list[str]:
    """The ``vtrack replay`` command line of contender ``name``."""
    base = [sys.executable, "-m", "vtrack.cli", "replay", *map(str, logs), "--quiet"]
    if name == "one process":
        return [*base, "--out", str(out / "events.jsonl")]
    master = name.split()[-1]
    return [*base, "--engine", "spark", "--spark-master", master, "--out", str(out / "parts")]


def timed(argv: list[str], scratch: Path) -> float:
    """Wall seconds of ``argv`` run to its end (its output removed afterwards)."""
    begin = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    seconds = time.perf_counter() - begin
    for leftover in scratch.iterdir():
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return seconds


def split(log: Path, parts: int) -> list[Path]:
    """``log`` cut into ``parts`` files of consecutive lines (sessions span them)."""
    lines = log.read_bytes().splitlines(keepends=True)
    size = -(-len(lines) // parts)
    paths = []
    for index in range(parts):
        path = log.with_name(f"part-{index}.log")
        path.write_bytes(b"".join(lines[index * size : (index + 1) * size]))
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000, help="sessions (200 callbacks each)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vtrack-spark-bench-") as folder:
        root = Path(folder)
        logs_dir, out = root / "logs", root / "out"
        logs_dir.mkdir()
        out.mkdir()
        callbacks = write_log(logs_dir / "all.log", args.sessions, 200)
        logs = split(logs_dir / "all.log", 4)
        (logs_dir / "all.log").unlink()
        tiny = logs_dir / "tiny.log"
        tiny.write_bytes(b"".join(logs[0].read_bytes().splitlines(keepends=True)[:10]))
        times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        fixed: dict[str, list[float]] = {name: [] for name in CONTENDERS[1:]}
        for round_number in range(max(1, args.rounds)):
            order = CONTENDERS if round_number % 2 == 0 else CONTENDERS[::-1]
            for name in order:
                times[name].append(timed(command(name, logs, out), out))
                if name in fixed:
                    fixed[name].append(timed(command(name, [tiny], out), out))
    print(f"log: {callbacks:,} callbacks of {args.sessions:,} sessions in 4 files")
    single = statistics.median(times["one process"])
    print(f"one process: {callbacks / single:,.0f} callbacks/s ({single:.1f} s, whole command)")
    for name in CONTENDERS[1:]:
        whole, cost = statistics.median(times[name]), statistics.median(fixed[name])
        work = max(whole - cost, 1e-9)
        print(
            f"{name}: {whole:.1f} s whole command, of which a job's fixed cost {cost:.1f} s; "
            f"{callbacks / work:,.0f} callbacks/s past it ({single / whole:.2f}x one process "
            f"whole, {single / work:.2f}x past the fixed cost)"
        )
    print(f"medians of {max(1, args.rounds)} rounds, contenders alternating")


if __name__ == "__main__":
    main()
