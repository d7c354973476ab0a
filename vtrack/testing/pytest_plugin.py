"""pytest fixtures for testing with vtrack, registered through the ``pytest11`` entry point.

Installed with vtrack, so any test can ask for them:

- ``vtrack_clock``: a :class:`FakeClock` at a fixed epoch time; ``advance(seconds)`` moves it;
- ``vtrack_sink``: a :class:`~vtrack.MemorySink`;
- ``vtrack_session``: a :class:`~vtrack.Session` writing to ``vtrack_sink`` and reading
  ``vtrack_clock`` (callbacks may leave out ``at``), heartbeat every 10 s;
- ``make_vtrack_session``: a factory for sessions with other options (same sink and clock);
- ``assert_events``: :func:`vtrack.testing.compare.assert_events`, whose failure shows a
  side-by-side timeline diff.

This module imports neither Hypothesis nor jsonschema, nor vtrack itself until a fixture is
used, so it loads wherever vtrack is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import pytest

if TYPE_CHECKING:
    from vtrack.core.session import Session
    from vtrack.sinks import MemorySink

# vtrack itself is imported by the fixtures, not here: pytest loads this plugin at start-up
# wherever vtrack is installed, and coverage tools should still see vtrack's import.

#: Where a fake clock starts: 2023-11-14T22:13:20Z.
FAKE_EPOCH = 1_700_000_000.0


class FakeClock:
    """A clock that moves only when told: call it for the time, :meth:`advance` to move it."""

    def __init__(self, now: float = FAKE_EPOCH) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move ``seconds`` forward (never back); returns the new time."""
        if not seconds >= 0:
            raise ValueError(f"a clock only moves forward; got {seconds!r} s")
        self.now += seconds
        return self.now


SessionFactory = Callable[..., "Session"]


@pytest.fixture
def vtrack_clock() -> FakeClock:
    """A fake clock at :data:`FAKE_EPOCH`."""
    return FakeClock()


@pytest.fixture
def vtrack_sink() -> MemorySink:
    """An in-memory sink; its ``messages`` are what the session sent."""
    from vtrack.sinks import MemorySink

    return MemorySink()


@pytest.fixture
def make_vtrack_session(vtrack_sink: MemorySink, vtrack_clock: FakeClock) -> SessionFactory:
    """Build sessions on the shared sink and fake clock; keywords are Session options."""

    from vtrack.core.session import Session

    def make(session_id: str = "test-session", **options: Any) -> Session:
        if "user_id" not in options:
            options.setdefault("anonymous_id", "test-viewer")
        settings = options.get("settings")
        if settings is None:
            options.setdefault("clock", vtrack_clock)
        elif settings.clock is None:
            options["settings"] = attrs.evolve(settings, clock=vtrack_clock)
        return Session(session_id, sink=vtrack_sink, **options)

    return make


@pytest.fixture
def vtrack_session(make_vtrack_session: SessionFactory) -> Session:
    """A session (heartbeat 10 s, Segment profile) on ``vtrack_sink`` and ``vtrack_clock``."""
    return make_vtrack_session()


@pytest.fixture
def assert_events() -> Callable[..., None]:
    """:func:`vtrack.testing.compare.assert_events`."""
    from vtrack.testing.compare import assert_events

    return assert_events
