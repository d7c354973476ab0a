"""``vtrack outbox status|retry|export|send PATH``: look after a durable outbox by hand.

``status`` and ``export`` only look: the file is opened read-only and nothing in it changes.
Every command first checks that the file is an outbox (an ``HttpSink(spool=...)`` file) and
names it when it is not. ``send`` delivers what the outbox holds, with no new data.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any, TextIO

from vtrack.cli import delivery as cli_delivery
from vtrack.core.errors import VtrackError
from vtrack.sinks.spool import Spool


def add_parser(commands: Any) -> None:
    """Add the ``outbox`` command to the ``vtrack`` subcommands."""
    outbox = commands.add_parser(
        "outbox",
        help="show, re-queue, export or send what a durable outbox (HttpSink spool) holds",
        description="Look after the SQLite outbox of an HttpSink(spool=PATH).",
    )
    actions = outbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="counts and ages of pending and dead events")
    retry = actions.add_parser("retry", help="put the dead letters back in line to be sent")
    export = actions.add_parser("export", help="write the dead letters as JSON Lines")
    export.add_argument(
        "--output", "-o", metavar="FILE", help="where to write them (default: standard output)"
    )
    send = actions.add_parser(
        "send",
        help="deliver what the outbox holds (no new data); exit 3 if some is left",
        description="Deliver the events waiting in the outbox to the --sink endpoint. What "
        "is not delivered stays in the outbox. Dead letters stay dead: `retry` first to "
        "send them again.",
    )
    for action in (status, retry, export, send):
        action.add_argument("path", metavar="PATH", help="the outbox file")
    cli_delivery.add_arguments(send, outbox=True)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Carry out ``vtrack outbox``; returns the exit status."""
    out = sys.stdout if out is None else out
    path = Path(args.path)
    if not path.is_file():
        print(f"vtrack outbox: no outbox at {path}", file=sys.stderr)
        return 2
    try:
        if args.action == "send":
            return _send(args, path, out)
        target = _output(args) if args.action == "export" else None
        spool = Spool(path, read_only=True)  # an outbox, or a one-line error
        if args.action == "retry":
            spool.close()
            spool = Spool(path)
    except (VtrackError, OSError) as exc:
        print(f"vtrack outbox: {exc}", file=sys.stderr)
        return 2
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
            _export(spool, target or out)
    except sqlite3.Error as exc:
        print(f"vtrack outbox: {path}: {exc}", file=sys.stderr)
        return 2
    finally:
        spool.close()
        if target is not None:
            target.close()
    return 0


def _output(args: argparse.Namespace) -> TextIO | None:
    """The file ``export --output`` names, opened (None: standard output)."""
    if not args.output:
        return None
    target = Path(args.output)
    if target.is_dir():
        raise OSError(f"--output {target}: is a directory")
    try:
        return target.open("w", encoding="utf-8")
    except OSError as exc:
        raise OSError(f"--output {target}: cannot write: {exc.strerror or exc}") from None


def _export(spool: Spool, target: TextIO) -> None:
    for _, data, status, answer in spool.dead_letters():
        try:
            message: Any = json.loads(data)
        except ValueError:
            message = data.decode("utf-8", "replace")  # kept as it was, readable
        line = {"status": status, "answer": answer, "message": message}
        target.write(json.dumps(line, ensure_ascii=False) + "\n")


def _send(args: argparse.Namespace, path: Path, out: TextIO) -> int:
    """Deliver what the outbox holds; 0 when nothing is left, 3 otherwise."""
    Spool(path, read_only=True).close()  # an outbox, or a one-line error
    args.spool = path
    logging.getLogger("vtrack.http").setLevel(logging.ERROR)
    delivery = cli_delivery.Delivery(args)
    outcome = delivery.finish()
    out.write(
        f"{path}: {outcome.delivered:,} delivered, {outcome.in_outbox:,} left in the outbox, "
        f"{outcome.dead:,} refused by the endpoint (kept as dead letters)\n"
    )
    spool = Spool(path, read_only=True)
    try:
        waiting = spool.status().pending
    finally:
        spool.close()
    if waiting and not outcome.in_outbox:
        print(
            f"vtrack outbox: {path} is open in another process: the {waiting:,} events "
            "waiting there are that process's to send",
            file=sys.stderr,
        )
        return 3
    return 0 if outcome.complete else 3


def _age(seconds: float | None) -> str:
    return "" if seconds is None else f" (oldest {seconds:,.0f} s old)"
