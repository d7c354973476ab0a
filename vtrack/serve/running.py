"""``vtrack serve``'s start and stop: the parts made from the command line, and what it says.

Everything that can be refused is refused before the server listens (a bad --out, --record or
--sink, a port in use), with one line on stderr and exit status 2; then one line says where it
listens, and at the stop one line says what it did.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from typing import IO

from vtrack.cli import delivery as cli_delivery
from vtrack.cli import options as cli_options
from vtrack.replay.engine import Where
from vtrack.serve.output import Output
from vtrack.serve.recording import Recorder
from vtrack.serve.recovery import Recovered, recover
from vtrack.serve.server import listen
from vtrack.serve.service import Service
from vtrack.serve.sessionizer import Sessionizer

log = logging.getLogger("vtrack.serve")


def start(args: argparse.Namespace) -> tuple[Service, socket.socket] | None:
    """The service and its listening socket; None (said on stderr) if it cannot start."""
    settings = cli_options.settings_from(args)
    delivery: cli_delivery.Delivery | None = None
    out: IO[bytes] | None = None
    try:
        recorder = Recorder(args.record) if args.record is not None else None
        out = open_out(args)
        if args.sink is not None:
            delivery = cli_delivery.Delivery(args, keep_open=True)
        sock = listen(args.host, args.port)
    except (ValueError, cli_delivery.SetupError) as exc:
        _refused(str(exc), out, delivery)
        return None
    except OSError as exc:
        _refused(_os_error(exc, args), out, delivery)
        return None
    sessionizer = Sessionizer(
        settings,
        idle_timeout=args.idle_timeout,
        recording=recorder,
        on_bad_record=_bad_record,
        max_open_sessions=args.max_open_sessions,
    )
    service = Service(
        sessionizer, Output(out, delivery), origins=args.origins, rate_limit=args.rate_limit
    )
    recovered = recover_left_open(recorder, service) if recorder is not None else None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"vtrack serve: listening on http://{shown}:{port} (POST /v1/events, GET /vtrack.js); "
        f"origins: {' '.join(args.origins)}",
        file=sys.stderr,
        flush=True,
    )
    if recovered is not None:
        _say_recovered(recovered)
    return service, sock


def recover_left_open(recorder: Recorder, service: Service) -> Recovered | None:
    """Replay the parts a killed server left open (see :mod:`vtrack.serve.recovery`), before
    any batch is taken; None if DIR cannot be locked or listed (logged: the server goes on)."""
    try:
        return recover(recorder, service.sessionizer.settings, service.output)
    except OSError as exc:
        log.error("cannot recover --record (%s): the next start tries again", exc)
        return None


def _say_recovered(done: Recovered) -> None:
    """One line on stderr for what was recovered, and one for what could not be."""
    if done.shared:
        print(
            "vtrack serve: other servers record to --record's folder: sessions a crash left "
            "open there are recovered by a server started alone on it",
            file=sys.stderr,
            flush=True,
        )
    if done.parts:
        print(
            f"vtrack serve: recovered {done.parts:,} sessions a crash left open in --record "
            f"({done.messages:,} messages, sent again with their messageIds)",
            file=sys.stderr,
            flush=True,
        )
    if done.failed:
        print(
            f"vtrack serve: {done.failed:,} sessions left open in --record could not be "
            "recovered (see the log; the next start tries again)",
            file=sys.stderr,
            flush=True,
        )


def report(service: Service) -> None:
    """The stop's one line (and, if not everything was delivered, where the rest is)."""
    stats = service.sessionizer.stats
    print(
        f"vtrack serve: stopped; {stats.sessions:,} sessions, {stats.records:,} records, "
        f"{stats.messages:,} messages ({stats.bad_records:,} records skipped)",
        file=sys.stderr,
    )
    lost = service.output.lost
    if lost:
        print(f"vtrack serve: {lost:,} messages were lost to errors (see the log)", file=sys.stderr)
    if service.output.error is not None:
        print(f"vtrack serve: could not write --out: {service.output.error}", file=sys.stderr)
    outcome = service.outcome
    if outcome is not None and not outcome.complete:
        print(f"vtrack serve: not everything was delivered: {outcome.where()}", file=sys.stderr)
    out = service.output.out
    if out is not None and out is not sys.stdout.buffer:
        out.close()


def open_out(args: argparse.Namespace) -> IO[bytes] | None:
    """The --out stream (appended to: a restarted server adds to it), or None."""
    target = args.out if args.out is not None or args.sink is not None else "-"
    if target is None:
        return None
    if target == "-":
        return sys.stdout.buffer
    if os.path.isdir(target):
        raise ValueError(f"--out {target}: is a directory")
    return open(target, "ab")


def _bad_record(where: Where, reason: str) -> None:
    log.info("session %s, line %d of its batch: %s (skipped)", where[0], where[1], reason)


def _os_error(exc: OSError, args: argparse.Namespace) -> str:
    if exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if exc.strerror is None:
        return str(exc)
    return f"cannot listen on {args.host}:{args.port}: {exc.strerror}"


def _refused(reason: str, out: IO[bytes] | None, delivery: cli_delivery.Delivery | None) -> None:
    print(f"vtrack serve: {reason}", file=sys.stderr)
    if delivery is not None:
        delivery.finish()
    if out is not None and out is not sys.stdout.buffer:
        out.close()
