"""The core imports no I/O, no threads, no clock and no edge of vtrack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

VTRACK = Path(__file__).parent.parent / "vtrack"
CORE = [
    "core/__init__.py",
    "core/machine.py",
    "core/session.py",
    "core/actions.py",
    "core/observations.py",
    "core/clockwork.py",
    "core/playback.py",
    "core/facts.py",
    "core/emitter.py",
    "core/playhead.py",
    "core/schedule.py",
    "core/messages.py",
    "core/content.py",
    "core/settings.py",
    "core/validation.py",
    "core/callbacks.py",
    "core/errors.py",
    "core/protocols.py",
    "core/summary_event.py",
    "profiles/__init__.py",
    "profiles/base.py",
    "profiles/layout.py",
    "profiles/segment.py",
    "profiles/vimeo_ott.py",
]
#: The rules of HTTP delivery: I/O-free too (sans-IO), though they may encode JSON.
DELIVERY_RULES = [
    "delivery/__init__.py",
    "delivery/destinations.py",
    "delivery/dispatch.py",
    "delivery/encoding.py",
    "delivery/policy.py",
]
#: Replay's rules: checking records and playing them through sessions, without reading files.
REPLAY_RULES = [
    "live/deadline_queue.py",
    "replay/log_format.py",
    "replay/engine.py",
    "replay/replay_stats.py",
    "replay/open_session.py",
    "replay/dialects.py",
    "players/__init__.py",
    "players/base.py",
    "players/html5.py",
    "players/mpv.py",
    "players/vlc.py",
]
#: vtrack serve's rules: reading batches, client clocks, sessions, limits and metrics.
SERVE_RULES = [
    "serve/__init__.py",
    "serve/batch.py",
    "serve/clock.py",
    "serve/sessionizer.py",
    "serve/limits.py",
    "serve/metrics.py",
]
#: Views of the core that do no I/O either (the command prints what they make).
VIEWS = ["diagram.py"]
#: QoE summaries of message streams: pure too (messages in, summaries out).
STATS = [
    "stats/__init__.py",
    "stats/aggregate.py",
    "stats/clock.py",
    "stats/collector.py",
    "stats/coverage.py",
    "stats/moves.py",
    "stats/quality.py",
    "stats/summary.py",
    "stats/timeline.py",
    "stats/tracker.py",
    "stats/vocabulary.py",
]
FORBIDDEN = {
    "asyncio",
    "httpx",
    "io",
    "json",
    "os",
    "pathlib",
    "socket",
    "subprocess",
    "sys",
    "threading",
    "time",
    "vtrack.cli",
    "vtrack.adapters",
    "vtrack.live",
    "vtrack.replay.run",
    "vtrack.replay.sources",
    "vtrack.sinks",
    "vtrack.testing",
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


class TestImportingVtrack:
    def test_import_vtrack_loads_no_edge(self) -> None:
        """``import vtrack`` loads no HTTP client, database, terminal UI or vtrack edge."""
        code = (
            "import sys, vtrack; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('httpx', 'sqlite3', 'rich', 'hypothesis') or m.startswith(('vtrack.cli', "
            "'vtrack.live', 'vtrack.adapters', 'vtrack.replay', 'vtrack.testing')))))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert "" == done.stdout.strip()


class TestCoreIsPure:
    @pytest.mark.parametrize("module", CORE + REPLAY_RULES + SERVE_RULES + VIEWS + STATS)
    def test_no_io_threads_clock_or_edges(self, module: str) -> None:
        """Each core module imports nothing that does I/O, threads, clocks, or edge code."""
        bad = {
            name
            for name in imported(VTRACK / module)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        }
        assert set() == bad

    @pytest.mark.parametrize("module", DELIVERY_RULES)
    def test_delivery_rules_do_no_io(self, module: str) -> None:
        """The batching and retry rules import no sockets, threads, clocks or HTTP client."""
        bad = {
            name
            for name in imported(VTRACK / module)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN - {"json"})
        }
        assert set() == bad

    def test_every_module_is_classified(self) -> None:
        """A new module must be listed as core here or be a known edge."""
        edges = {
            "__init__.py",
            "_version.py",
            "cli/__init__.py",
            "cli/__main__.py",
            "cli/outbox.py",
            "cli/replay.py",
            "cli/delivery.py",
            "cli/options.py",
            "cli/demo.py",
            "cli/demo_report.py",
            "cli/plot.py",
            "plot.py",
            "cli/machine.py",
            "cli/stats.py",
            "cli/stats_output.py",
            "cli/spark_replay.py",
            "cli/serve.py",
            "serve/app.py",
            "serve/output.py",
            "serve/recording.py",
            "serve/recovery.py",
            "serve/running.py",
            "serve/server.py",
            "serve/service.py",
            "adapters/__init__.py",
            "adapters/generic.py",
            "adapters/translated.py",
            "adapters/mpv.py",
            "adapters/vlc.py",
            "live/__init__.py",
            "live/clock.py",
            "live/tracker.py",
            "live/thread_driver.py",
            "live/async_driver.py",
            "live/manual_driver.py",
            "replay/__init__.py",
            "replay/run.py",
            "replay/sources.py",
            "replay/schema.py",
            "spark/__init__.py",
            "spark/tasks.py",
            "spark/delivery.py",
            "spark/frame_input.py",
        }
        found = {
            str(p.relative_to(VTRACK))
            for p in VTRACK.rglob("*.py")
            # Sinks and the testing toolkit are edges throughout.
            if not str(p.relative_to(VTRACK)).startswith(("sinks/", "testing/"))
        }
        pure = set(CORE) | set(DELIVERY_RULES) | set(REPLAY_RULES) | set(SERVE_RULES)
        pure |= set(VIEWS) | set(STATS)
        assert set() == found - pure - edges
