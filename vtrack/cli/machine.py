"""``vtrack machine``: the session's state machine drawn from its table (Mermaid or Graphviz)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vtrack.diagram import FORMATS, render


def add_parser(commands: Any) -> None:
    """Add ``machine`` to the ``vtrack`` command's subcommands."""
    parser = commands.add_parser(
        "machine",
        help="print the session's state machine as a Mermaid or Graphviz diagram",
        description=(
            "Print the state machine every session follows, drawn from its table "
            "(vtrack.core.machine.TABLE): every state, and an arrow per trigger. "
            "Example: vtrack machine --format dot | dot -Tsvg -o machine.svg"
        ),
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="mermaid",
        help="mermaid (a stateDiagram-v2, rendered by GitHub) or dot (Graphviz, with guards); "
        "default mermaid",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack machine``; returns the exit status."""
    sys.stdout.write(render(args.format))
    return 0
