"""``vtrack replay --sink``: deliver a replay to a Segment-compatible endpoint, losing nothing.

Messages go to an :class:`~vtrack.sinks.http.HttpSink`. Whatever is not delivered when the
command ends is kept: in the durable outbox with ``--spool`` (the next sink on it sends it),
or else written, with the batches the endpoint refused, to the ``--undelivered`` file as JSON
Lines (one message per line, as the endpoint would have received it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import IO, Any

import attrs

from vtrack.delivery.destinations import DESTINATIONS, KEY_VARIABLES
from vtrack.delivery.encoding import EncodingError, MessageTooLarge
from vtrack.errors import QueueFull
from vtrack.sinks.http import HttpSink


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The delivery options of ``vtrack replay``."""
    group = parser.add_argument_group(
        "delivery (--sink)",
        "Send the messages to an endpoint instead of (or, with --out, as well as) writing "
        "them. The write key is read from the environment (SEGMENT_WRITE_KEY, "
        "CUSTOMERIO_API_KEY, RUDDERSTACK_WRITE_KEY, VTRACK_WRITE_KEY for --sink endpoint) or "
        "from --write-key-file, never from the command line. Example: SEGMENT_WRITE_KEY=... "
        "vtrack replay day.log.gz --sink segment --spool outbox.db",
    )
    group.add_argument(
        "--sink",
        choices=DESTINATIONS,
        help="deliver to Segment, Customer.io Data Pipelines, RudderStack, or any batch "
        "endpoint (--url)",
    )
    group.add_argument("--region", choices=("us", "eu"), default="us", help="default us")
    group.add_argument(
        "--url",
        metavar="URL",
        help="the batch endpoint (required for rudderstack, its data plane URL, and endpoint)",
    )
    group.add_argument(
        "--write-key-file",
        type=Path,
        metavar="PATH",
        help="read the write key from this file (its first line) instead of the environment",
    )
    group.add_argument(
        "--spool",
        type=Path,
        metavar="PATH",
        help="a durable SQLite outbox: each message is committed before it is sent; what is "
        "not delivered stays there for the next run (vtrack outbox status PATH)",
    )
    group.add_argument(
        "--deliver-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait at the end for delivery (default 60)",
    )
    group.add_argument(
        "--undelivered",
        type=Path,
        default=Path("vtrack-undelivered.jsonl"),
        metavar="PATH",
        help="without --spool, where messages not delivered are kept (appended; default "
        "vtrack-undelivered.jsonl)",
    )


class SetupError(Exception):
    """The delivery cannot start (no write key, a bad URL ...); the message says why."""


def write_key(args: argparse.Namespace) -> str:
    """The write key, from ``--write-key-file`` or the preset's environment variable."""
    if args.write_key_file is not None:
        try:
            path: Path = args.write_key_file
            key = path.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            raise SetupError(f"cannot read a write key from {args.write_key_file}: {exc}") from None
        if not key:
            raise SetupError(f"{args.write_key_file} holds no write key on its first line")
        return key
    variable = KEY_VARIABLES[args.sink]
    key = os.environ.get(variable, "").strip()
    if not key:
        raise SetupError(
            f"--sink {args.sink} needs a write key: set {variable} (or give --write-key-file)"
        )
    return key


@attrs.define
class Outcome:
    """What the delivery came to."""

    emitted: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    #: Not delivered when the command ended: kept in the outbox, or written to the file.
    kept: int = 0
    #: Messages the sink could not take at all (too large, or not JSON), written to the file.
    refused: int = 0
    where_kept: str = ""

    @property
    def complete(self) -> bool:
        """Everything was delivered."""
        return not (self.dead or self.kept or self.refused)


class Delivery:
    """Feeds a replay's messages to an HTTP sink and keeps whatever it cannot deliver."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.spool: Path | None = args.spool
        self.undelivered: Path = args.undelivered
        self._file: IO[bytes] | None = None
        self.outcome = Outcome()
        self._gave_up = False
        try:
            self.sink = HttpSink(
                args.sink,
                write_key=write_key(args),
                region=args.region,
                url=args.url,
                spool=self.spool,
            )
        except ValueError as exc:
            raise SetupError(str(exc)) from None

    def take(self, message: dict[str, Any]) -> None:
        """Send one message; it waits while the sink's memory is full, and never drops it.

        If the endpoint stays away for ``--deliver-timeout`` (no outbox to hold more), this
        message and every later one are kept instead of sent.
        """
        if self._gave_up:
            self.outcome.kept += 1
            self._keep_message(message)
            return
        waiting_since: float | None = None
        while True:
            try:
                self.sink.emit(message)  # waits up to its emit timeout for room
                return
            except QueueFull:
                now = time.monotonic()
                waiting_since = waiting_since if waiting_since is not None else now
                if now - waiting_since >= self.args.deliver_timeout:
                    self._gave_up = True
                    self.outcome.kept += 1
                    self._keep_message(message)
                    return
            except (MessageTooLarge, EncodingError):
                self.outcome.refused += 1
                self._keep_message(message)
                return

    def progress(self) -> tuple[int, int]:
        """``(delivered, emitted)`` so far."""
        counters = self.sink.counters
        return counters.delivered, counters.emitted

    def finish(self) -> Outcome:
        """Close the sink within ``--deliver-timeout``; keep what is left."""
        report = self.sink.close(timeout=self.args.deliver_timeout)
        outcome = self.outcome
        outcome.emitted += report.emitted
        outcome.delivered = report.delivered
        outcome.retried = report.retried
        outcome.dead = report.dead
        if self.spool is not None:
            outcome.kept += len(report.pending) + report.in_outbox
            outcome.where_kept = f"the outbox {self.spool}"
        else:
            for event in report.pending:
                self._keep(event)
            outcome.kept += len(report.pending)
            for letter in self.sink.dead_letters:
                for event in letter.events:
                    self._keep(event)
        if self._file is not None:
            self._file.close()
            if self.spool is None or outcome.refused:
                outcome.where_kept = str(self.undelivered)
        return outcome

    def _keep(self, event: bytes) -> None:
        if self._file is None:
            self._file = self.undelivered.open("ab")
        self._file.write(event.rstrip(b"\n") + b"\n")

    def _keep_message(self, message: dict[str, Any]) -> None:
        # What the endpoint would have got; a message that is not JSON is kept legibly.
        self._keep(json.dumps(message, default=repr, separators=(",", ":")).encode())
