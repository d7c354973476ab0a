"""Run a benchmark on another commit and on this checkout, side by side, and print the ratios.

    python benchmarks/against_commit.py 3894378                  # benchmarks/core.py
    python benchmarks/against_commit.py 3894378 --bench replay --rounds 3

The other commit is checked out (``git worktree``) in a temporary directory. Both contenders
run the *same* benchmark script (this checkout's), each in its own process, from a neutral
working directory (so ``PYTHONPATH`` decides which vtrack is imported), alternating which goes
first, for ``--rounds`` rounds. Every figure the benchmark prints is collected; the table
gives the median of each contender and new / old (for timings, higher is faster when the
figure is a rate). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: "label: ... 123,456 callbacks/s best" and the like: a figure and its unit.
FIGURE = re.compile(
    r"([\d,.]+) ?(callbacks/s best|callbacks/s|lines/s|bytes per session|MB; peak|x)\b"
)


def figures(output: str) -> dict[str, float]:
    """``{"line label / unit": value}`` of every figure in a benchmark's output."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        label = line.split(":")[0].strip()
        for value, unit in FIGURE.findall(line):
            found[f"{label} / {unit}"] = float(value.replace(",", ""))
    return found


def run(tree: Path, script: Path, args: list[str], scratch: Path) -> dict[str, float]:
    """The figures of one run of ``script`` importing the vtrack of ``tree``."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=scratch,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    return figures(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", help="the commit to compare with (the old one)")
    parser.add_argument("--bench", choices=("core", "replay"), default="core")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="pass --quick to the benchmark")
    options = parser.parse_args()
    script = ROOT / "benchmarks" / f"{options.bench}.py"
    args = ["--quick"] if options.quick else []
    with tempfile.TemporaryDirectory(prefix="vtrack-against-") as scratch_name:
        scratch = Path(scratch_name)
        old = scratch / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old),
                        options.commit], check=True)  # fmt: skip
        try:
            results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
            for round_number in range(options.rounds):
                order = ["old", "new"] if round_number % 2 == 0 else ["new", "old"]
                for name in order:
                    tree = old if name == "old" else ROOT
                    results[name].append(run(tree, script, args, scratch))
                    shown = ", ".join(f"{v:,.0f}" for v in results[name][-1].values())
                    print(f"round {round_number + 1}, {name}: {shown}", file=sys.stderr)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False)  # fmt: skip
    print(f"{options.bench}.py, {options.rounds} alternating rounds, old = {options.commit}")
    print(f"{'figure':<75} {'old':>12} {'new':>12} {'new/old':>8}")
    for key in results["old"][0]:
        old_median = statistics.median(r[key] for r in results["old"] if key in r)
        new_median = statistics.median(r[key] for r in results["new"] if key in r)
        ratio = new_median / old_median if old_median else float("nan")
        print(f"{key:<75} {old_median:>12,.1f} {new_median:>12,.1f} {ratio:>8.2f}")


if __name__ == "__main__":
    main()
