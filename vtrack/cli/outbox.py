"""``vtrack outbox status|retry|export PATH``: look after a durable outbox by hand."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from vtrack.sinks.spool import Spool


def add_parser(commands: Any) -> None:
    """Add the ``outbox`` command to the ``vtrack`` subcommands."""
    outbox = commands.add_parser(
        "outbox",
        help="show, re-queue or export what a durable outbox (HttpSink spool) holds",
        description="Look after the SQLite outbox of an HttpSink(spool=PATH).",
    )
    actions = outbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="counts and ages of pending and dead events")
    retry = actions.add_parser("retry", help="put the dead letters back in line to be sent")
    export = actions.add_parser("export", help="write the dead letters as JSON Lines")
    export.add_argument(
        "--output", "-o", metavar="FILE", help="where to write them (default: standard output)"
    )
    for action in (status, retry, export):
        action.add_argument("path", metavar="PATH", help="the outbox file")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Carry out ``vtrack outbox``; returns the exit status."""
    out = sys.stdout if out is None else out
    path = Path(args.path)
    if not path.is_file():
        print(f"vtrack outbox: no outbox at {path}", file=sys.stderr)
        return 2
    spool = Spool(path)
    try:
        if args.action == "status":
            state = spool.status()
            out.write(
                f"{path}: {state.pending:,} pending{_age(state.oldest_pending_age)}, "
                f"{state.dead:,} dead{_age(state.oldest_dead_age)}\n"
            )
        elif args.action == "retry":
            out.write(f"{spool.requeue_dead():,} dead letter(s) put back in line\n")
        else:
            target = open(args.output, "w", encoding="utf-8") if args.output else out  # noqa: SIM115
            try:
                for _, data, status, answer in spool.dead_letters():
                    line = {"status": status, "answer": answer, "message": json.loads(data)}
                    target.write(json.dumps(line, ensure_ascii=False) + "\n")
            finally:
                if target is not out:
                    target.close()
    finally:
        spool.close()
    return 0


def _age(seconds: float | None) -> str:
    return "" if seconds is None else f" (oldest {seconds:,.0f} s old)"
