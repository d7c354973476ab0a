"""The ``vtrack`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vtrack import cli_options, cli_outbox, cli_replay
from vtrack._version import __version__
from vtrack.core.session import Session
from vtrack.demo import demo_callbacks
from vtrack.sinks import JsonLinesSink

EXAMPLES = """\
examples:
  vtrack demo                                   a built-in session's events as JSON Lines
  vtrack demo --profile vimeo-ott --heartbeat 20
  vtrack replay player.log.gz --out events.jsonl
  vtrack replay mpv-session.log --dialect mpv
  vtrack outbox status outbox.db

vtrack COMMAND --help explains each command's options.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vtrack",
        description="Turn a video player's raw callbacks into Segment Video Spec events.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vtrack {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="play a built-in scripted session and print its events as JSON Lines",
        description=(
            "Play a built-in session (pre-roll, pause, stall, seek, mid-roll, to the end) "
            "and print the emitted messages as JSON Lines on stdout. "
            "Example: vtrack demo --profile vimeo-ott --heartbeat 20"
        ),
    )
    cli_options.add_session_options(demo)
    cli_replay.add_parser(commands)
    cli_outbox.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "outbox":
        return cli_outbox.run(args)
    if args.command == "replay":
        return cli_replay.run(args)
    settings = cli_options.settings_from(args)
    sink = JsonLinesSink(sys.stdout)
    session = Session("demo-session-1", anonymous_id="demo-viewer", sink=sink, settings=settings)
    for callback in demo_callbacks():
        session.handle(callback)
    sink.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
