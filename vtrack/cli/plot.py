"""``vtrack plot``: a picture of a session's timeline (or of a few), from its messages."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from vtrack.cli.stats import MessageReader
from vtrack.replay.sources import SourceError
from vtrack.stats import StatsCollector
from vtrack.stats.timeline import TimelineRecorder

#: How many sessions one picture shows at most (small multiples).
MOST_SESSIONS = 8


def add_parser(commands: Any) -> None:
    """Add ``plot`` to the ``vtrack`` command's subcommands."""
    parser = commands.add_parser(
        "plot",
        help="draw a session's timeline (states, playhead, marks, QoE) into a PNG or SVG",
        description=(
            "Draw one session's timeline from its Segment video messages: wall time along x, "
            "bands for playing, paused, buffering, seeking and ads, the playhead as a line, "
            "marks for heartbeats, milestones, seeks and quality changes, its QoE summary in "
            "the title. Needs matplotlib (pip install 'vtrack[plot]'). "
            "Example: vtrack plot events.jsonl --session s1 -o s1.png"
        ),
    )
    parser.add_argument("events", nargs="+", metavar="EVENTS", help="JSON Lines of messages")
    parser.add_argument("-o", "--out", required=True, metavar="FILE", help="a .png or .svg file")
    parser.add_argument(
        "--session",
        action="append",
        metavar="ID",
        help="the session to draw (repeat it for several); default: the first session",
    )
    parser.add_argument(
        "--first",
        type=_count,
        default=1,
        metavar="N",
        help=f"without --session: draw the first N sessions (1-{MOST_SESSIONS}, default 1)",
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MOST_SESSIONS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MOST_SESSIONS}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack plot``; returns the exit status."""
    from vtrack.plot import PlotError, draw  # matplotlib itself is imported when drawing

    if not args.out.lower().endswith((".png", ".svg")):
        print(f"vtrack plot: {args.out}: the picture must be a .png or .svg file", file=sys.stderr)
        return 2
    for path in args.events:
        if path != "-" and not os.path.exists(path):
            print(f"vtrack plot: {path}: no such file", file=sys.stderr)
            return 2
    recorder = TimelineRecorder()
    reader = MessageReader(StatsCollector(on_update=recorder))
    try:
        for path in args.events:
            reader.read(path)
    except SourceError as exc:
        print(f"vtrack plot: {exc}", file=sys.stderr)
        return 2
    reader.finish()
    wanted = set(args.session) if args.session else None
    chosen = recorder.timelines(wanted, MOST_SESSIONS if wanted else args.first)
    missing = sorted((wanted or set()) - {t.summary.session_id for t in chosen})
    if missing or not chosen:
        what = f"no session {', '.join(map(repr, missing))}" if missing else "no session"
        print(f"vtrack plot: {what} in {', '.join(args.events)}", file=sys.stderr)
        return 2
    try:
        draw(chosen, args.out)
    except ImportError as exc:
        print(f"vtrack plot: {exc}", file=sys.stderr)
        return 2
    except (PlotError, OSError) as exc:
        print(f"vtrack plot: {exc}", file=sys.stderr)
        return 2
    print(f"vtrack plot: {len(chosen)} session(s) drawn into {args.out}", file=sys.stderr)
    return 1 if reader.skipped else 0
