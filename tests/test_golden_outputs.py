"""Golden outputs: the bytes ``vtrack replay`` and ``vtrack demo`` write do not change.

A wide set of inputs (the example log, every recorded player log of ``tests/data`` with its
dialect, the logs ``tests/golden/make_inputs.py`` drew from the testing toolkit's strategies,
and a log of the replay benchmark's interleaved sessions) is replayed under every profile,
every milestone basis and several heartbeat intervals and options. The sha256 of each output
(and of what was reported on stderr, and the exit status) is kept in
``tests/golden/hashes.json``. A refactor changes none of them; a deliberate change of output
records them again, in its own commit, with a CHANGELOG entry::

    python tests/test_golden_outputs.py --record
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vtrack.cli import main as vtrack_main

ROOT = Path(__file__).parent.parent
HASHES = Path(__file__).parent / "golden" / "hashes.json"
#: The benchmark's log, written afresh (small) for every run: ``(sessions, callbacks each)``.
BENCHMARK_LOG = (60, 250)

PROFILES = ("segment", "vimeo-ott")
BASES = ("position", "played", "watched")
HEARTBEATS = ("0", "10", "30")
#: Options tried once each beside the grid above, under the default profile and basis.
OPTIONS: dict[str, tuple[str, ...]] = {
    "keep-open": ("--keep-open",),
    "milestones": ("--milestones", "10,33.5,50,99.9"),
    "heartbeat-600": ("--heartbeat", "600"),
    "vimeo-keep-open-watched": (
        "--keep-open",
        "--profile",
        "vimeo-ott",
        "--milestone-basis",
        "watched",
    ),
}


def _dialect(name: str) -> str:
    for dialect in ("html5", "mpv", "vlc"):
        if name.startswith(dialect):
            return dialect
    return "vtrack"


def golden_inputs() -> list[tuple[str, str]]:
    """``(log path relative to the project, dialect)`` of every stored golden input."""
    logs = [("examples/player.log", "vtrack")]
    for path in sorted((ROOT / "tests" / "data").glob("*.log")):
        logs.append((f"tests/data/{path.name}", _dialect(path.name)))
    for path in sorted((ROOT / "tests" / "golden" / "inputs").glob("*.jsonl.gz")):
        logs.append((f"tests/golden/inputs/{path.name}", _dialect(path.name)))
    logs.append((BENCHMARK, "vtrack"))
    return logs


#: Stands for the benchmark's log, written to a temporary file when the cases run.
BENCHMARK = "<benchmark>"


def option_sets() -> Iterator[tuple[str, tuple[str, ...]]]:
    """``(name, options)`` of every configuration a log is replayed under."""
    for profile in PROFILES:
        for basis in BASES:
            for heartbeat in HEARTBEATS:
                name = f"{profile}-{basis}-hb{heartbeat}"
                options = ("--profile", profile, "--milestone-basis", basis)
                yield name, (*options, "--heartbeat", heartbeat)
    yield from OPTIONS.items()


def demo_cases() -> Iterator[tuple[str, tuple[str, ...]]]:
    """``(case, argv)`` of ``vtrack demo`` under each profile and a few heartbeats."""
    for profile in PROFILES:
        for heartbeat in ("0", "10", "20"):
            yield (
                f"demo {profile} hb{heartbeat}",
                ("--json", "--profile", profile, "--heartbeat", heartbeat),
            )


def write_benchmark_log(path: Path) -> None:
    """The replay benchmark's log of interleaved realistic sessions, small."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from replay import write_log  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    write_log(path, *BENCHMARK_LOG)


def run_cli(argv: list[str], replace: dict[str, str]) -> str:
    """The sha256 of what ``vtrack`` wrote (stdout or --out, then stderr) and its exit status."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = vtrack_main(argv)
    out = stdout.getvalue().encode()
    if "--out" in argv:
        out = Path(argv[argv.index("--out") + 1]).read_bytes()
    reported = stderr.getvalue()
    for old, new in replace.items():
        reported = reported.replace(old, new)
    digest = hashlib.sha256(out)
    digest.update(b"\0stderr\0" + reported.encode())
    digest.update(b"\0status\0%d" % status)
    return digest.hexdigest()


def replay_hashes(log: str, dialect: str, scratch: Path) -> dict[str, str]:
    """The golden hash of every configuration of one log."""
    path, replace = log, {}
    if log == BENCHMARK:
        written = scratch / "benchmark.log"
        if not written.exists():
            write_benchmark_log(written)
        path, replace = str(written), {str(written): BENCHMARK}
    out = str(scratch / "out.jsonl")
    hashes = {}
    for name, options in option_sets():
        argv = ["replay", path, "--dialect", dialect, "--out", out, "--quiet", *options]
        hashes[f"replay {log} {name}"] = run_cli(argv, replace)
    return hashes


def all_hashes(scratch: Path) -> dict[str, str]:
    """Every golden hash, computed now."""
    hashes: dict[str, str] = {}
    for log, dialect in golden_inputs():
        hashes.update(replay_hashes(log, dialect, scratch))
    for case, options in demo_cases():
        hashes[case] = run_cli(["demo", *options], {})
    return hashes


def recorded() -> dict[str, str]:
    data: dict[str, str] = json.loads(HASHES.read_text(encoding="utf-8"))
    return data


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    # Logs are named relative to the project, so the FILE:LINE reports hash the same anywhere.
    monkeypatch.chdir(ROOT)


class TestGoldenOutputs:
    @pytest.mark.parametrize(("log", "dialect"), golden_inputs())
    def test_replay_output_is_unchanged(self, log: str, dialect: str, tmp_path: Path) -> None:
        """Replaying the log under every configuration writes the recorded bytes."""
        actual = replay_hashes(log, dialect, tmp_path)
        expected = {case: recorded().get(case) for case in actual}
        assert expected == actual

    def test_demo_output_is_unchanged(self) -> None:
        """``vtrack demo`` under each profile and heartbeat prints the recorded bytes."""
        actual = {case: run_cli(["demo", *options], {}) for case, options in demo_cases()}
        expected = {case: recorded().get(case) for case in actual}
        assert expected == actual

    def test_every_recorded_case_is_run(self, tmp_path: Path) -> None:
        """No recorded hash is left unchecked (a renamed input would silently drop out)."""
        cases = {f"replay {log} {name}" for log, _ in golden_inputs() for name, _ in option_sets()}
        cases |= {case for case, _ in demo_cases()}
        assert set(recorded()) == cases


if __name__ == "__main__":
    if sys.argv[1:] not in (["--record"], ["--check"]):
        sys.exit("usage: python tests/test_golden_outputs.py --record | --check")
    import os
    import tempfile

    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        hashes = all_hashes(Path(scratch))
    if sys.argv[1] == "--check":
        changed = sorted(case for case in hashes if recorded().get(case) != hashes[case])
        print(f"{len(hashes)} hashes, {len(changed)} changed", *changed, sep="\n")
        sys.exit(1 if changed else 0)
    HASHES.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{HASHES}: {len(hashes)} hashes")
