"""Benchmark of ``vtrack replay``: callbacks per second and peak memory, beside ``json.loads``.

Prints figures; asserts nothing. Run with ``make bench-replay`` or
``python benchmarks/replay.py``.

It writes two logs of 1,000,000 callbacks each, with the generator of ``benchmarks/core.py``:

- the realistic mix: 5,000 interleaved sessions, 80 % timeupdates, the rest pauses, seeks,
  stalls, quality changes and ad breaks (about 0.22 messages per callback);
- the event-heavy mix: 2,000 interleaved sessions, a pause, seek, stall, quality change or ad
  break every few callbacks (about 0.42 messages per callback).

On each log, in separate fresh processes, alternating, it times merely parsing every line with
``json.loads`` (the floor any replay pays) and ``vtrack replay FILE --out OUT --quiet``, and
prints the medians of ``--rounds`` rounds and their ratio. Both times are the CPU time (user +
system) of whole processes, interpreter start and imports included. Peak memory is read from
the kernel (``VmHWM``, so Linux only).

vtrack's modules are compiled to bytecode first, as ``pip install`` does: from a checkout
(an editable install) under ``PYTHONDONTWRITEBYTECODE``, every run would compile them again.
"""

from __future__ import annotations

import argparse
import compileall
import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from core import EVENT_HEAVY_SHARE, START, TIMEUPDATE_SHARE, Step, realistic_session

from vtrack import Callback
from vtrack.replay.log_format import callback_record

#: The two mixes: name -> (sessions, callbacks per session, chance that a step is a timeupdate).
MIXES = {
    "realistic": (5_000, 200, TIMEUPDATE_SHARE),
    "event-heavy": (2_000, 500, EVENT_HEAVY_SHARE),
}


def _records(index: int, script: list[Step]) -> Iterator[tuple[float, int, dict[str, Any]]]:
    session = f"session-{index}"
    for number, (at, name, args) in enumerate(script):
        record = callback_record(Callback(name, at, args), session=session)
        if number == 0:
            record["anonymous_id"] = f"viewer-{index}"
        yield at, index, record


def write_log(
    path: Path, sessions: int, per_session: int, timeupdate_share: float = TIMEUPDATE_SHARE
) -> int:
    """A log of ``sessions`` sessions merged in time order; returns its lines."""
    rng = random.Random(3)
    scripts = [
        realistic_session(rng, START + rng.uniform(0, 3600), per_session, timeupdate_share)
        for _ in range(sessions)
    ]
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        merged = heapq.merge(*(_records(i, s) for i, s in enumerate(scripts)))
        for _, _, record in merged:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            lines += 1
    return lines


#: Reads the file and ``json.loads`` every line, in a fresh process like the replay.
_PARSE = """
import json, sys
with open(sys.argv[1], "rb") as stream:
    for line in stream:
        json.loads(line)
with open("/proc/self/status") as lines:
    print(next(line.split()[1] for line in lines if line.startswith("VmHWM:")))
"""

#: Runs ``vtrack replay`` and prints the process's own peak memory (VmHWM, in kB) after it.
_REPLAY = """
import sys
from vtrack.cli import main
status = main(["replay", sys.argv[1], "--out", sys.argv[2], "--quiet"])
with open("/proc/self/status") as lines:
    print(next(line.split()[1] for line in lines if line.startswith("VmHWM:")))
sys.exit(status)
"""


def run_child(code: str, *args: Path) -> tuple[float, int]:
    """CPU seconds (user + system) and peak memory (bytes) of ``code`` in a fresh interpreter.

    CPU time, not wall time: on a shared machine a neighbour's load stretches wall time, not
    the work done. The peak is the child's own high-water mark (Linux ``VmHWM``); ``ru_maxrss``
    would also count the memory of this process, which the child starts as a copy of.
    """
    with tempfile.TemporaryFile("w+") as output:
        child = subprocess.Popen(
            [sys.executable, "-c", code, *map(str, args)], stdout=output, text=True
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"the benchmark's child failed with status {child.returncode}")
        output.seek(0)
        peak = int(output.read().split()[-1]) * 1024
    return usage.ru_utime + usage.ru_stime, peak


def bench_mix(name: str, scratch: Path, rounds: int, scale: int) -> None:
    """Write the mix's log, time parsing and replaying it alternately, print the medians."""
    sessions = MIXES[name][0] // scale
    log, out = scratch / f"{name}.log", scratch / f"{name}.jsonl"
    writer = [sys.executable, __file__, "--write-log", str(log), "--mix", name]
    subprocess.run(writer + (["--quick"] if scale > 1 else []), check=True)
    with log.open("rb") as written:
        lines = sum(1 for _ in written)
    parse_times, replay_times, peak = [], [], 0
    for _ in range(rounds):
        parse_times.append(run_child(_PARSE, log)[0])
        seconds, used = run_child(_REPLAY, log, out)
        replay_times.append(seconds)
        peak = max(peak, used)
    parse, replay = statistics.median(parse_times), statistics.median(replay_times)
    with out.open("rb") as produced:
        messages = sum(1 for _ in produced)
    print(
        f"{name} mix: {lines:,} callbacks of {sessions:,} interleaved sessions, "
        f"{os.path.getsize(log) / 1e6:,.1f} MB; {messages:,} messages "
        f"({messages / lines:.2f} per callback), {os.path.getsize(out) / 1e6:,.1f} MB"
    )
    # Each line starts with the mix, so benchmarks/against_commit.py tells the mixes apart.
    print(f"  {name}, json.loads of every line: {lines / parse:,.0f} lines/s ({parse:.2f} s CPU)")
    print(
        f"  {name}, vtrack replay to a file: {lines / replay:,.0f} callbacks/s "
        f"({replay:.2f} s CPU); peak memory {peak / 1e6:,.0f} MB"
    )
    print(f"  {name}, replay / json.loads time: {replay / parse:.2f}x (medians of {rounds} rounds)")


def compile_vtrack() -> None:
    """Write the bytecode of vtrack's modules (``__pycache__``), as an install does."""
    import vtrack

    compileall.compile_dir(Path(vtrack.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mix (default 3)")
    parser.add_argument("--mix", choices=sorted(MIXES), action="append", help="default: both")
    parser.add_argument("--write-log", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    mixes = args.mix or list(MIXES)
    if args.write_log:
        sessions, per_session, share = MIXES[mixes[0]]
        write_log(Path(args.write_log), sessions // scale, per_session, share)
        return
    compile_vtrack()
    with tempfile.TemporaryDirectory(prefix="vtrack-bench-") as scratch:
        for name in mixes:
            bench_mix(name, Path(scratch), max(1, args.rounds), scale)


if __name__ == "__main__":
    main()
