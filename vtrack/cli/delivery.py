"""``vtrack replay --sink``: deliver a replay to a Segment-compatible endpoint, losing nothing.

Messages go to an :class:`~vtrack.sinks.http.HttpSink`. Whatever is not delivered when the
command ends is kept: in the durable outbox with ``--spool`` (the next sink on it sends it),
or else appended, with the batches the endpoint refused, to the ``--undelivered`` file as JSON
Lines, in replay order, as the endpoint would have received them. If that file cannot be
written, a fresh file in the temporary directory takes them (and the report says where).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import attrs

from vtrack.core.errors import QueueFull, VtrackError
from vtrack.delivery.destinations import DESTINATIONS, KEY_VARIABLES
from vtrack.delivery.encoding import EncodingError, MessageTooLarge, encode

#: A write key is one short line; a key file is not read past this.
_KEY_FILE_LIMIT = 4096
#: While the endpoint is away (``keep_open``), one message is offered to the sink this often
#: (s); the others go to the undelivered file at once.
OFFER_EVERY = 1.0

log = logging.getLogger("vtrack.delivery")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0; got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser, *, outbox: bool = False) -> None:
    """The delivery options of ``vtrack replay`` (``outbox``: of ``vtrack outbox send``,
    which needs ``--sink`` and sends what the outbox holds: no ``--spool``, no file)."""
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
        required=outbox,
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
        "--deliver-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the endpoint: for room while it is away, and at the end "
        "(default 60)",
    )
    if outbox:
        return
    group.add_argument(
        "--spool",
        type=Path,
        metavar="PATH",
        help="a durable SQLite outbox: each message is committed before it is sent; what is "
        "not delivered stays there for the next run (vtrack outbox status PATH)",
    )
    group.add_argument(
        "--undelivered",
        type=Path,
        default=Path("vtrack-undelivered.jsonl"),
        metavar="PATH",
        help="without --spool, where messages not delivered are kept (appended; default "
        "vtrack-undelivered.jsonl)",
    )


class SetupError(VtrackError):
    """The delivery cannot start (no write key, a bad URL ...); the message says why."""


def write_key(args: argparse.Namespace) -> str:
    """The write key, from ``--write-key-file`` or the preset's environment variable."""
    path: Path | None = args.write_key_file
    if path is not None:
        try:
            with path.open("rb") as stream:
                head = stream.read(_KEY_FILE_LIMIT)
            lines = head.decode("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SetupError(f"cannot read a write key from {path}: {exc}") from None
        key = lines[0].strip() if lines else ""
        if not key:
            raise SetupError(f"{path} holds no write key on its first line")
        return key
    variable = KEY_VARIABLES[args.sink]
    key = os.environ.get(variable, "").strip()
    if not key:
        raise SetupError(
            f"--sink {args.sink} needs a write key: set {variable} (or give --write-key-file)"
        )
    return key


def check_setup(args: argparse.Namespace) -> None:
    """Refuse what would only fail later: a bad URL, an unusable outbox or file path."""
    if args.url is None:
        if args.sink in ("rudderstack", "endpoint"):
            raise SetupError(f"--sink {args.sink} needs --url (the data plane or endpoint URL)")
    else:
        import httpx  # here, not at the top: vtrack replay without --sink starts faster

        try:
            url = httpx.URL(args.url)
            port = url.port
        except (httpx.InvalidURL, ValueError) as exc:
            raise SetupError(f"--url {args.url!r} is not a URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise SetupError(
                f"--url must be an http:// or https:// URL with a host; got {args.url!r}"
            )
        if port is not None and not 0 < port < 65536:
            raise SetupError(f"--url has no valid port: {args.url!r}")
    if args.spool is None:
        target: Path = args.undelivered
        if target.is_dir():
            raise SetupError(f"--undelivered {target} is a directory")
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise SetupError(f"--undelivered {target}: cannot write in {folder}")


@attrs.define
class Outcome:
    """What the delivery came to."""

    #: Messages of this replay handed to the delivery.
    taken: int = 0
    #: The sink's counts (with an outbox, they include what earlier runs left there).
    emitted: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    #: Not delivered when the command ended and still in the outbox.
    in_outbox: int = 0
    #: Written to the undelivered file: not delivered in time, refused by the endpoint, or
    #: not sendable at all (too large, not JSON; ``refused`` counts those).
    in_file: int = 0
    refused: int = 0
    outbox: str = ""
    files: list[str] = attrs.field(factory=list)
    interrupted: bool = False
    #: Refused events the sink could keep nowhere (past its memory bound, no file writable).
    lost: int = 0

    @property
    def complete(self) -> bool:
        """Everything was delivered."""
        return not (self.dead or self.in_outbox or self.in_file or self.lost)

    def where(self) -> str:
        """Where what was not delivered is, in words."""
        places = []
        if self.in_outbox:
            places.append(f"{self.in_outbox:,} wait in the outbox {self.outbox}")
        if self.in_file:
            places.append(f"{self.in_file:,} were written to {' and '.join(self.files)}")
        if self.dead and self.outbox:
            places.append(f"{self.dead:,} refused by the endpoint stay in the outbox")
        if self.lost:
            places.append(f"{self.lost:,} refused by the endpoint could not be kept anywhere")
        return "; ".join(places)


class Delivery:
    """Feeds a replay's messages to an HTTP sink and keeps whatever it cannot deliver.

    ``keep_open`` (a server, whose input never ends): when the endpoint stays away for
    ``--deliver-timeout``, the sink is not closed. Messages go to the undelivered file while
    it is away (one a second is still offered to the sink), and to the sink again once it
    takes one; each outage is logged once, as it starts and as it ends.
    """

    def __init__(self, args: argparse.Namespace, *, keep_open: bool = False) -> None:
        self.args = args
        self.spool: Path | None = args.spool
        self.keep_open = keep_open
        self.outcome = Outcome(outbox=str(self.spool) if self.spool is not None else "")
        #: Since when (monotonic s) messages go to the file, the endpoint away (keep_open).
        self.overflowing_since: float | None = None
        self._next_offer = 0.0
        self._file: IO[bytes] | None = None
        self._closed = False
        check_setup(args)
        key = write_key(args)
        # The summary tells what the sink's warnings would (dead letters, what is left).
        logging.getLogger("vtrack.http").setLevel(logging.ERROR)
        from vtrack.sinks.http import HttpSink  # not at the top: see check_setup
        from vtrack.sinks.spool import OutboxError

        try:
            self.sink = HttpSink(
                args.sink,
                write_key=key,
                region=args.region,
                url=args.url,
                spool=self.spool,
                emit_timeout=min(5.0, args.deliver_timeout),
                # Refused events past the memory bound go straight to the undelivered file.
                dead_letter_file=None if self.spool is not None else args.undelivered,
            )
        except ValueError as exc:
            raise SetupError(str(exc).replace("url=", "--url")) from None
        except (sqlite3.Error, OSError, OutboxError) as exc:
            raise SetupError(f"--spool {self.spool}: cannot use it as an outbox: {exc}") from None

    def take(self, message: dict[str, Any]) -> None:
        """Send one message; it waits while the sink's memory is full, and never drops it.

        If the endpoint stays away for ``--deliver-timeout`` (no outbox to hold more), the
        sink is closed, what it held is kept, and this message and every later one are kept
        too, in order (``keep_open``: see the class).
        """
        self.outcome.taken += 1
        overflowing = self.overflowing_since is not None
        if self._closed or (overflowing and time.monotonic() < self._next_offer):
            self._keep_message(message)
            return
        waiting_since: float | None = None
        while True:
            try:
                self.sink.emit(message)  # waits up to its emit timeout for room
                if overflowing:
                    self._overflow_ended()
                return
            except QueueFull:
                now = time.monotonic()
                waiting_since = waiting_since if waiting_since is not None else now
                if overflowing or now - waiting_since >= self.args.deliver_timeout:
                    self._give_up(message, now)
                    return
            except (MessageTooLarge, EncodingError):
                self.outcome.refused += 1
                self._keep_message(message, legibly=True)
                return

    def keep(self, message: dict[str, Any]) -> None:
        """Keep a message that could not be handed to the sink (an error :meth:`take` raised):
        written, readably, to the undelivered file (its fallback in the temporary directory if
        that cannot be written)."""
        self._keep_message(message, legibly=True)

    def progress(self) -> tuple[int, int]:
        """``(delivered, emitted)`` so far."""
        counters = self.sink.counters
        return counters.delivered, counters.emitted

    def finish(self, on_progress: Callable[[], None] | None = None) -> Outcome:
        """Deliver what is left within ``--deliver-timeout``; keep the rest. Never raises
        KeyboardInterrupt: a Ctrl-C while waiting stops the wait, and what is left is kept."""
        if not self._closed:
            deadline = time.monotonic() + self.args.deliver_timeout
            try:
                while True:  # in slices, so the progress bar moves while the endpoint works
                    left = deadline - time.monotonic()
                    report = self.sink.flush(timeout=max(0.0, min(0.25, left)))
                    if on_progress is not None:
                        on_progress()
                    if report.complete or left <= 0:
                        break
            except KeyboardInterrupt:
                self.outcome.interrupted = True
            self._close(0.0 if self.outcome.interrupted else 1.0)
        if self._file is not None:
            self._file.close()
            self._file = None
        return self.outcome

    # ------------------------------------------------------------------ internals
    def _give_up(self, message: dict[str, Any], now: float) -> None:
        """The endpoint stayed away: keep the message (and close the sink, unless keep_open)."""
        if not self.keep_open:
            self._close(0.0)
        elif self.overflowing_since is None:
            self.overflowing_since = now
            log.warning(
                "the endpoint is away or too slow: messages go to %s until it takes them again",
                self.args.undelivered,
            )
        self._next_offer = now + OFFER_EVERY
        self._keep_message(message)

    def _overflow_ended(self) -> None:
        assert self.overflowing_since is not None
        away = time.monotonic() - self.overflowing_since
        self.overflowing_since = None
        log.warning(
            "the endpoint takes messages again (after %.0f s; %d messages are in %s)",
            away,
            self.outcome.in_file,
            " and ".join(self.outcome.files),
        )

    def _close(self, timeout: float) -> None:
        """Close the sink; keep, in order, what it did not deliver."""
        try:
            report = self.sink.close(timeout=timeout)
        except KeyboardInterrupt:
            self.outcome.interrupted = True
            report = self.sink.close(timeout=0.0)
        self._closed = True
        outcome = self.outcome
        outcome.emitted, outcome.delivered = report.emitted, report.delivered
        outcome.retried, outcome.dead = report.retried, report.dead
        if self.spool is not None:
            outcome.in_outbox = len(report.pending) + report.in_outbox
            return
        outcome.lost = report.dead_dropped
        if report.dead_in_file and self.sink.dead_letter_file is not None:
            outcome.in_file += report.dead_in_file
            self._listed(str(self.sink.dead_letter_file))
        for event in report.pending:
            self._keep(event)
        for letter in self.sink.dead_letters:
            for event in letter.events:
                self._keep(event)

    def _keep_message(self, message: dict[str, Any], *, legibly: bool = False) -> None:
        if legibly:  # not sendable as it is: kept readable, whatever it holds
            data = json.dumps(message, default=repr, separators=(",", ":")).encode()
        else:
            data = encode(message)
        self._keep(data)

    def _keep(self, event: bytes) -> None:
        if self._file is None:
            self._file = self._open_file()
        line = event.rstrip(b"\n") + b"\n"
        try:
            self._file.write(line)
            if self.keep_open:  # a server runs for months: nothing waits in a buffer
                self._file.flush()
        except OSError:
            self._file = self._fallback_file()
            self._file.write(line)
            if self.keep_open:
                self._file.flush()
        self.outcome.in_file += 1

    def _open_file(self) -> IO[bytes]:
        try:
            stream = self.args.undelivered.open("ab")
            self._listed(str(self.args.undelivered))
            return stream  # type: ignore[no-any-return]
        except OSError:
            return self._fallback_file()

    def _fallback_file(self) -> IO[bytes]:
        handle, name = tempfile.mkstemp(prefix="vtrack-undelivered-", suffix=".jsonl")
        self._listed(name)
        return os.fdopen(handle, "ab")

    def _listed(self, name: str) -> None:
        if name not in self.outcome.files:
            self.outcome.files.append(name)
