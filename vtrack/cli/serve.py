"""``vtrack serve``: collect web players' events (vtrack.js), sessionized as a replay would."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any
from urllib.parse import urlsplit

from vtrack.cli import delivery as cli_delivery
from vtrack.cli import options as cli_options

INSTALL_HINT = "vtrack serve needs starlette and uvicorn: pip install 'vtrack[serve]'"

EXAMPLES = """\
examples:
  vtrack serve --allow-origin https://www.example.com --out events.jsonl
  SEGMENT_WRITE_KEY=... vtrack serve --allow-origin https://www.example.com \\
      --sink segment --spool outbox.db --record sessions/
  vtrack serve --port 8080 --allow-origin http://localhost:3000 --heartbeat 20

A page loads the snippet from the server and attaches it to its <video>:
  <script src="https://collect.example.com/vtrack.js"></script>
  <script>vtrack.attach(video, {endpoint: "https://collect.example.com/v1/events",
                                anonymousId: "...", content: {asset_id: "..."}})</script>

SIGTERM or Ctrl-C stops it: open sessions end at their last record and what is left is
written and delivered (with --spool, what is not delivered waits in the outbox).
"""


def add_parser(commands: Any) -> None:
    """Add ``serve`` to the ``vtrack`` command's subcommands."""
    parser = commands.add_parser(
        "serve",
        help="collect web players' events (vtrack.js) and sessionize them as a replay would",
        description=(
            "Serve vtrack.js and take the html5 records it posts: each session's records go "
            "through the same translator and engine as `vtrack replay --dialect html5`, in "
            "the client's time order (its clock corrected); the messages go to --out or "
            "--sink. See docs/serve.md."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_server_options(parser)
    cli_options.add_session_options(parser)
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="where the messages go: a file (appended) or - for stdout (the default, unless "
        "--sink sends them)",
    )
    cli_delivery.add_arguments(parser)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    """Where it listens, who may post, and how sessions end and are kept."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="port (default 8000; 0: any free one)"
    )
    parser.add_argument(
        "--allow-origin",
        dest="origins",
        type=_origin,
        nargs="+",
        action="extend",
        required=True,
        metavar="ORIGIN",
        help="a page origin allowed to post events (https://www.example.com; a default port, "
        ":443 or :80, is left out as browsers leave it out); repeat or list several; any other "
        "origin is refused (403)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_idle,
        default=120.0,
        metavar="SECONDS",
        help="a session silent this long ends at its last record (default 120: a hidden tab's "
        "timers may run only once a minute, and vtrack.js's keepalive with them)",
    )
    parser.add_argument(
        "--max-open-sessions",
        type=_sessions,
        default=100_000,
        metavar="N",
        help="sessions held at most (about 10 KB each); a batch that would start more is "
        "answered 503 until some time out (default 100000)",
    )
    parser.add_argument(
        "--record",
        default=None,
        metavar="DIR",
        help="keep each session's records (times corrected) as an html5 log in DIR: "
        "`vtrack replay --dialect html5` of one makes the messages the server made; at the "
        "start, sessions a crash (kill -9) left open there are replayed and sent, then marked "
        "ended",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=20.0,
        metavar="N",
        help="requests per second one client (address) may make, in bursts of 2N (default 20)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``vtrack serve``; returns the exit status once it stopped."""
    try:
        from vtrack.serve import server
    except ImportError:
        print(f"vtrack serve: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from vtrack.serve.running import report, start

    started = start(args)
    if started is None:
        return 2
    service, sock = started
    try:
        server.run(service, sock, report)
    except KeyboardInterrupt:
        return 130
    outcome = service.outcome
    incomplete = outcome is not None and not outcome.complete
    return 3 if incomplete or service.output.lost else 0


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port number from 0 to 65535; got {text!r}")
    return int(text)


def _idle(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"a number of seconds > 0, at most 86400; got {text!r}")
    return value


def _sessions(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000_000:
        raise argparse.ArgumentTypeError(f"a number of sessions from 1 to 100000000; got {text!r}")
    return int(text)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"a number of requests per second > 0; got {text!r}")
    return value


def _origin(text: str) -> str:
    """An origin as browsers send it: scheme://host[:port], nothing after (a default port,
    443 for https or 80 for http, left out)."""
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
        or (port is not None and not 0 < port < 65536)
        or text != text.strip().lower().rstrip("/")
    ):
        raise argparse.ArgumentTypeError(
            f"an origin is scheme://host[:port] in lower case, no path: "
            f"https://www.example.com; got {text!r}"
        )
    if (parts.scheme, port) in (("https", 443), ("http", 80)):
        return text.rsplit(":", 1)[0]  # browsers leave a default port out of Origin
    return text
