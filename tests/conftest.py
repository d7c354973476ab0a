"""Shared fixtures: sessions with an in-memory sink and explicit times."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from collector import Collector, running_collector
from hypothesis import settings

from vtrack import Content, MemorySink, ScheduledAd, Session
from vtrack.core.machine import (
    AD_BREAK,
    AD_BUFFERING,
    AD_PAUSED,
    AD_PLAYING,
    BUFFERING,
    COMPLETED,
    ENDED,
    EXITED,
    IDLE,
    INTERRUPTED,
    PAUSED,
    PLAYING,
    SEEKING,
    STARTING,
)

# CI runs the property tests derandomized, so a red build is reproducible; locally each run
# explores new cases (and remembers failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

T0 = 1_700_000_000.0

SessionFactory = Callable[..., tuple[Session, MemorySink]]


@pytest.fixture
def make_session() -> SessionFactory:
    """Build a session with a MemorySink; keyword arguments are Session options."""

    def make(**options: Any) -> tuple[Session, MemorySink]:
        sink = MemorySink()
        options.setdefault("anonymous_id", "viewer-1")
        session = Session(options.pop("session_id", "s1"), sink=sink, **options)
        return session, sink

    return make


def play_ad_break(
    session: Session, pod: str, ad_type: str, asset: str, length: float, at: float
) -> None:
    """A one-ad pod from ``at``: break start, ad start, ad end and break end."""
    session.ad_break_start(pod, ad_type, 1, at=at)
    session.ad_start(asset, length=length, at=at)
    session.ad_end(at=at + length)
    session.ad_break_end(at=at + length)


def events(sink: MemorySink) -> list[str]:
    """The event names a sink received."""
    return [message["event"] for message in sink.messages]


def props(sink: MemorySink, event: str) -> list[dict[str, Any]]:
    """The properties of every message named ``event``."""
    return [m["properties"] for m in sink.messages if m["event"] == event]


def heartbeats(sink: MemorySink, event: str = "Video Content Playing") -> list[dict[str, Any]]:
    """Heartbeat messages (quartile messages of ads left out)."""
    return [m for m in sink.messages if m["event"] == event and "quartile" not in m["properties"]]


def at(sink: MemorySink, index: int) -> str:
    """The timestamp of message ``index``."""
    return str(sink.messages[index]["timestamp"])


MOVIE = Content(asset_id="movie", pod_ids=("movie-a", "movie-b"), duration=100.0, title="Movie")
MOVIE_WITH_POSTROLL = Content(
    asset_id="movie",
    duration=100.0,
    ad_schedule=(ScheduledAd("post-ad", "post-pod", "post-roll", 10.0),),
)


def watch(
    session: Session, content: Content = MOVIE, position: float = 0.0, at: float = T0
) -> None:
    """Load ``content``, press play and render the first frame at ``position``, all at ``at``."""
    session.load(content, at=at)
    session.play(at=at)
    session.playing(position, at=at)


#: Callbacks (name, seconds after T0, args) that bring a fresh session into each state.
PATHS: dict[str, list[tuple[str, float, dict[str, Any]]]] = {
    IDLE: [("load", 0, {"content": MOVIE})],
    STARTING: [("load", 0, {"content": MOVIE}), ("play", 0, {})],
    PLAYING: [("load", 0, {"content": MOVIE}), ("play", 0, {}), ("playing", 1, {})],
    PAUSED: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("playing", 1, {}),
        ("pause", 5, {}),
    ],
    BUFFERING: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("playing", 1, {}),
        ("waiting", 5, {}),
    ],
    SEEKING: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("playing", 1, {}),
        ("seeking", 5, {"position": 50.0}),
    ],
    AD_BREAK: [("load", 0, {"content": MOVIE}), ("play", 0, {}), ("ad_break_start", 1, {})],
    AD_PLAYING: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("ad_break_start", 1, {}),
        ("ad_start", 1, {"asset_id": "ad", "length": 30.0}),
    ],
    AD_PAUSED: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("ad_break_start", 1, {}),
        ("ad_start", 1, {"asset_id": "ad", "length": 30.0}),
        ("pause", 3, {}),
    ],
    AD_BUFFERING: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("ad_break_start", 1, {}),
        ("ad_start", 1, {"asset_id": "ad", "length": 30.0}),
        ("waiting", 3, {}),
    ],
    ENDED: [
        ("load", 0, {"content": MOVIE_WITH_POSTROLL}),
        ("play", 0, {}),
        ("playing", 1, {}),
        ("ended", 101, {}),
    ],
    COMPLETED: [
        ("load", 0, {"content": MOVIE}),
        ("play", 0, {}),
        ("playing", 1, {}),
        ("ended", 101, {}),
    ],
    EXITED: [("load", 0, {"content": MOVIE}), ("play", 0, {}), ("exit", 3, {})],
    INTERRUPTED: [("load", 0, {"content": MOVIE}), ("play", 0, {}), ("interrupt", 3, {})],
}


def drive(session: Session, steps: list[tuple[str, float, dict[str, Any]]]) -> None:
    """Apply ``(name, seconds after T0, args)`` callbacks."""
    for name, offset, args in steps:
        getattr(session, name)(**args, at=T0 + offset)


def in_state(session: Session, state: str) -> Session:
    """Bring ``session`` into ``state`` along :data:`PATHS`."""
    drive(session, PATHS[state])
    assert state == session.state
    return session


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A real HTTP collector on 127.0.0.1, stopped after the test."""
    with running_collector() as running:
        yield running


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] SparkSession for every Spark test (started once: ~10 s), stopped at the end.

    The executors run this interpreter (vtrack importable); no UI, two shuffle partitions; a
    failed task is run once more (``local[2,2]``), as a cluster would, so retries are tested.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2,2]")
        .appName("vtrack-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
