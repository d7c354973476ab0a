"""The ``vtrack`` command: one module per subcommand (demo, replay, serve, outbox, stats, ...).

``options`` holds the session options every command that plays sessions takes, ``delivery``
the ``--sink`` options of ``vtrack replay``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from vtrack._version import __version__
from vtrack.cli import demo, machine, outbox, plot, replay, serve, stats

EXAMPLES = """\
examples:
  vtrack demo                                   a built-in session's events as JSON Lines
  vtrack demo --profile vimeo-ott --heartbeat 20
  vtrack replay player.log.gz --out events.jsonl
  vtrack replay mpv-session.log --dialect mpv
  vtrack outbox status outbox.db
  vtrack stats events.jsonl --by asset_id      QoE figures per session or per group
  vtrack plot events.jsonl --session s1 -o s1.png
  vtrack serve --allow-origin https://www.example.com --out events.jsonl
  vtrack machine --format dot                   the session's state machine, drawn

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
    demo.add_parser(commands)
    replay.add_parser(commands)
    serve.add_parser(commands)
    outbox.add_parser(commands)
    stats.add_parser(commands)
    plot.add_parser(commands)
    machine.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    commands = {
        "demo": demo.run,
        "machine": machine.run,
        "outbox": outbox.run,
        "plot": plot.run,
        "replay": replay.run,
        "serve": serve.run,
        "stats": stats.run,
    }
    return commands[args.command](args)
