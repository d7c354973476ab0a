"""``vtrack demo``: the built-in scripted session, played and shown (or printed as JSON Lines).

A 180 s episode with a 15 s pre-roll, a pause, a stall, a quality switch, a seek forward past
two milestones and a 20 s mid-roll, played to its end; the viewer then leaves.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import orjson

from vtrack.cli import options
from vtrack.cli.demo_report import TimelineRow, summary_table, timeline_table
from vtrack.core.callbacks import Callback
from vtrack.core.content import Content, ScheduledAd
from vtrack.core.errors import SinkError
from vtrack.core.session import Session
from vtrack.core.settings import Settings
from vtrack.sinks import JsonLinesSink, MemorySink
from vtrack.stats import summarize

#: 2024-01-15T10:30:00Z, so the demo's timestamps are the same on every machine.
DEMO_START = 1705314600.0

DEMO_CONTENT = Content(
    asset_id="demo-episode-1",
    pod_ids=("demo-episode-1-part-1", "demo-episode-1-part-2"),
    duration=180.0,
    title="The Demo, Episode 1",
    program="The Demo",
    season="1",
    episode="1",
    genre="Documentary",
    publisher="vtrack",
    full_episode=True,
    video_player="html5",
    ad_enabled=True,
    ad_schedule=(
        ScheduledAd("ad-pre-1", "pod-pre", "pre-roll", 15.0),
        ScheduledAd("ad-mid-1", "pod-mid", "mid-roll", 20.0),
    ),
)


def _script() -> list[tuple[float, str, dict[str, object]]]:
    steps: list[tuple[float, str, dict[str, object]]] = [
        (0.0, "load", {"content": DEMO_CONTENT}),
        (0.1, "volume", {"level": 80}),
        (0.2, "play", {}),
        (0.4, "ad_break_start", {"pod_id": "pod-pre", "type": "pre-roll", "ad_count": 1}),
        (0.5, "ad_start", {"asset_id": "ad-pre-1", "title": "Spring Sale", "length": 15.0}),
        (15.5, "ad_end", {}),
        (15.5, "ad_break_end", {}),
        (16.0, "quality", {"bitrate": 2500, "framerate": 29.97, "quality": "720p"}),
        (16.3, "playing", {"position": 0.0}),
    ]
    # Content runs from t=16.3; the player reports its position every 5 s of playing.
    steps += [(16.3 + p, "timeupdate", {"position": float(p)}) for p in range(5, 31, 5)]
    steps += [
        (46.3, "pause", {}),  # paused at 30 s
        (52.0, "play", {}),
        (52.2, "playing", {}),
        (62.2, "waiting", {}),  # a stall at 40 s
        (64.0, "playing", {"position": 40.0}),
        (64.5, "quality", {"bitrate": 4500, "quality": "1080p"}),
        (70.0, "seeking", {"position": 100.0}),  # from 46 s, over the 50 % milestone
        (70.4, "waiting", {}),
        (70.9, "seeked", {"position": 100.0}),
        (71.0, "playing", {"position": 100.0}),
        (91.0, "timeupdate", {"position": 120.0}),
        (91.0, "ad_break_start", {"pod_id": "pod-mid", "type": "mid-roll", "ad_count": 1}),
        (91.2, "ad_start", {"asset_id": "ad-mid-1", "title": "Summer Sale", "length": 20.0}),
        (111.2, "ad_end", {}),
        (111.2, "ad_break_end", {}),
    ]
    steps += [(111.2 + p - 120, "timeupdate", {"position": float(p)}) for p in range(130, 181, 10)]
    steps += [(171.2, "ended", {}), (175.0, "exit", {})]
    return steps


def demo_callbacks(start: float = DEMO_START) -> list[Callback]:
    """The demo session's callbacks, starting at ``start`` (seconds since the epoch)."""
    return [Callback(name, start + offset, args) for offset, name, args in _script()]


def add_parser(commands: Any) -> None:
    """Add ``demo`` to the ``vtrack`` command's subcommands."""
    parser = commands.add_parser(
        "demo",
        help="play a built-in scripted session: its timeline, its QoE summary, its messages",
        description=(
            "Play a built-in session (pre-roll, pause, stall, seek, mid-roll, to the end). "
            "Shows the session message by message and its QoE summary, and writes the "
            "messages as JSON Lines to --out; --json prints them on stdout instead. "
            "Example: vtrack demo --profile vimeo-ott --heartbeat 20"
        ),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the messages as JSON Lines on stdout (nothing else)",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="FILE",
        help=f"where the JSON Lines go without --json (default {DEFAULT_OUT})",
    )
    options.add_session_options(parser)


#: Where ``vtrack demo`` writes the messages when it shows them as tables.
DEFAULT_OUT = "vtrack-demo.jsonl"


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack demo``; returns the exit status."""
    settings = options.settings_from(args)
    if args.json:
        try:
            sink = JsonLinesSink(sys.stdout)
            session = Session("demo-session-1", anonymous_id=VIEWER, sink=sink, settings=settings)
            for callback in demo_callbacks():
                session.handle(callback)
            sink.flush()
        except (BrokenPipeError, SinkError) as exc:
            if isinstance(exc, SinkError) and not isinstance(exc.cause, BrokenPipeError):
                raise
            _quiet_broken_pipe()
        return 0
    return _show(args.out, settings)


#: The demo's viewer.
VIEWER = "demo-viewer"


def _show(out: str, settings: Settings) -> int:
    """Play the session, write its JSON Lines to ``out``, show its timeline and summary."""
    sink = MemorySink()
    session = Session("demo-session-1", anonymous_id=VIEWER, sink=sink, settings=settings)
    rows: list[TimelineRow] = []
    for callback in demo_callbacks():
        before = len(sink.messages)
        session.handle(callback)
        rows += [TimelineRow(m, callback.name, session.state) for m in sink.messages[before:]]
    try:
        with open(out, "wb") as stream:
            for message in sink.messages:
                stream.write(orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE))
    except OSError as exc:
        print(f"vtrack demo: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    from rich.console import Console  # only for the table: the other commands start faster

    console = Console()
    console.print(timeline_table(rows, DEMO_START))
    for summary in summarize(sink.messages):
        console.print(summary_table(summary))
    console.print(
        f"The {len(sink.messages)} messages, as JSON Lines: {out} "
        "(vtrack demo --json prints them instead)."
    )
    return 0


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (``vtrack demo --json | head``): stop without a fuss."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit: let it go nowhere
