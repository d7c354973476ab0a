"""A real vtrack serve app under uvicorn on 127.0.0.1 (a free port), in a thread, for the tests."""

from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from vtrack import Settings
from vtrack.cli.delivery import Delivery
from vtrack.serve.output import Output
from vtrack.serve.recording import Recorder
from vtrack.serve.server import app_for, listen, server
from vtrack.serve.service import Service
from vtrack.serve.sessionizer import Sessionizer

ORIGIN = "http://127.0.0.1:8123"


@attrs.define
class Running:
    """A server under way: its base URL, its service, and where its messages go."""

    url: str
    service: Service
    out: Path
    record: Path

    @property
    def events(self) -> str:
        return f"{self.url}/v1/events"


@contextmanager
def serving(
    folder: Path,
    *,
    idle_timeout: float = 60.0,
    settings: Settings | None = None,
    max_open_sessions: int = 100_000,
    delivery: Delivery | None = None,
    **options: Any,
) -> Iterator[Running]:
    """Serve until the block ends; then stop as on SIGTERM (sessions ended, output closed)."""
    out, record = folder / "out.jsonl", folder / "record"
    stream = out.open("ab")
    sessionizer = Sessionizer(
        settings,
        idle_timeout=idle_timeout,
        recording=Recorder(record),
        max_open_sessions=max_open_sessions,
    )
    options.setdefault("origins", [ORIGIN])
    service = Service(sessionizer, Output(stream, delivery), **options)
    sock = listen("127.0.0.1", 0)
    instance = server(app_for(service))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not instance.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        host, port = sock.getsockname()[:2]
        yield Running(f"http://{host}:{port}", service, out, record)
    finally:
        instance.should_exit = True
        thread.join(30)
        sock.close()
        stream.close()
    assert not thread.is_alive(), "the server did not stop"


@contextmanager
def serve_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``vtrack serve --port 0 ARGS`` in a process of its own: it and its base URL. Stopped with
    SIGTERM at the end of the block if still running (killed if it does not stop in 60 s)."""
    command = [sys.executable, "-m", "vtrack.cli", "serve", "--port", "0", *args]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd, bufsize=0
    )
    try:
        assert process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            assert left > 0 and selector.select(left), f"no 'listening' line: {line!r}"
            byte = process.stderr.read(1)
            assert byte, f"vtrack serve ended: {line!r}"
            line += byte
        found = re.search(rb"listening on (http://\S+) ", line)
        assert found is not None, line
        yield process, found.group(1).decode()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """SIGTERM, then its exit status and the rest of what it said on stderr."""
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=60)
    return process.returncode, rest.decode()
