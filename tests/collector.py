"""A real HTTP collector on 127.0.0.1 for delivery tests, programmable per request."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vtrack.delivery import RetryPolicy

#: Retries in hundredths of a second, so fault tests take moments.
FAST = RetryPolicy(base=0.01, cap=0.05, max_retry_after=0.3)


def message(number: int) -> dict[str, Any]:
    """A small track message whose messageId is ``id-<number>``."""
    return {
        "type": "track",
        "event": "Video Content Playing",
        "anonymousId": "viewer",
        "messageId": f"id-{number}",
        "properties": {"position": number},
    }


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Collector:
    """Answers each POST with the next scripted reply, then 200; records accepted events.

    A reply is ``(status, headers)``, ``"reset"`` (the connection is closed without an
    answer) or ``"slow"`` (the events are accepted, the answer comes a second late).
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]] | str] = []
        self.accepted: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1/batch"

    def accepted_ids(self) -> list[str]:
        with self.lock:
            return [event["messageId"] for event in self.accepted]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        body = gzip.decompress(raw) if handler.headers.get("Content-Encoding") == "gzip" else raw
        payload = json.loads(body)
        with self.lock:
            reply = self.script.pop(0) if self.script else (200, {})
            self.requests.append(
                {"headers": dict(handler.headers), "payload": payload, "size": len(body)}
            )
            if reply == "slow" or (reply != "reset" and 200 <= reply[0] < 300):  # type: ignore[index]
                self.accepted.extend(payload["batch"])
        if reply == "reset":
            handler.close_connection = True
            handler.connection.close()
            return
        if reply == "slow":
            time.sleep(1.0)
            reply = (200, {})
        status, headers = reply  # type: ignore[misc]
        answer = b'{"success":true}' if status < 300 else b'{"error":"scripted"}'
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up waiting ("slow"): expected


@contextmanager
def running_collector() -> Iterator[Collector]:
    collector = Collector()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            collector.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    collector.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
