"""Property-based testing of video analytics: strategies, invariants, a reference model.

Install with ``pip install 'vtrack[testing]'`` (Hypothesis and jsonschema); the tutorial is
``docs/property-testing.md``.

- invariants anyone can call on emitted messages: :func:`check_invariants`,
  :func:`find_violations`, :class:`InvariantChecker`, :func:`check_heartbeat_timing`;
- Hypothesis strategies: :func:`viewings`, :func:`callback_sequences`,
  :func:`hostile_callback_sequences`, and raw player logs (:func:`html5_logs`,
  :func:`mpv_logs`, :func:`vlc_logs`, :func:`raw_log_lines`; the module
  :mod:`vtrack.testing.dialect_logs` has the rest);
- the reference model to subclass: :class:`PlayerWrapperModel`;
- :func:`assert_events` with its side-by-side timeline diff, and pytest fixtures
  (``vtrack_session``, ``vtrack_clock``, ``vtrack_sink``, ``assert_events``) registered as a
  pytest plugin.

The names that need Hypothesis load on first use, so the pytest plugin (and the invariants)
work without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vtrack.testing.compare import EventsDiffer, assert_events
from vtrack.testing.invariants import (
    InvariantChecker,
    InvariantViolation,
    Violation,
    check_heartbeat_timing,
    check_invariants,
    find_violations,
)
from vtrack.testing.simulated_player import SimulatedPlayer, viewing_callbacks
from vtrack.testing.timeline import Row, timeline
from vtrack.testing.viewing import (
    AdBreak,
    ChangeQuality,
    ChangeRate,
    NextItem,
    Pause,
    Seek,
    SeekWhilePaused,
    Stall,
    Viewing,
    Watch,
)

if TYPE_CHECKING:
    from vtrack.testing.dialect_logs import (
        html5_logs,
        mpv_logs,
        raw_log_lines,
        vlc_logs,
    )
    from vtrack.testing.model import PlayerWrapperModel
    from vtrack.testing.strategies import (
        callback_sequences,
        hostile_callback_sequences,
        viewings,
    )

_NEED_HYPOTHESIS = {
    "html5_logs": "vtrack.testing.dialect_logs",
    "mpv_logs": "vtrack.testing.dialect_logs",
    "vlc_logs": "vtrack.testing.dialect_logs",
    "raw_log_lines": "vtrack.testing.dialect_logs",
    "PlayerWrapperModel": "vtrack.testing.model",
    "callback_sequences": "vtrack.testing.strategies",
    "hostile_callback_sequences": "vtrack.testing.strategies",
    "viewings": "vtrack.testing.strategies",
}

__all__ = [
    "AdBreak",
    "ChangeQuality",
    "ChangeRate",
    "EventsDiffer",
    "InvariantChecker",
    "InvariantViolation",
    "NextItem",
    "Pause",
    "PlayerWrapperModel",
    "Row",
    "Seek",
    "SeekWhilePaused",
    "SimulatedPlayer",
    "Stall",
    "Viewing",
    "Violation",
    "Watch",
    "assert_events",
    "callback_sequences",
    "check_heartbeat_timing",
    "check_invariants",
    "find_violations",
    "hostile_callback_sequences",
    "html5_logs",
    "mpv_logs",
    "raw_log_lines",
    "timeline",
    "viewing_callbacks",
    "viewings",
    "vlc_logs",
]


def __getattr__(name: str) -> Any:
    module = _NEED_HYPOTHESIS.get(name)
    if module is None:
        raise AttributeError(f"module 'vtrack.testing' has no attribute {name!r}")
    try:
        return getattr(import_module(module), name)
    except ImportError as missing:
        raise ImportError(
            f"vtrack.testing.{name} needs Hypothesis: pip install 'vtrack[testing]'"
        ) from missing
