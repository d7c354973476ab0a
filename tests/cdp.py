"""Headless Chromium driven over the Chrome DevTools Protocol, for the browser tests.

A tiny client: Chromium is started with ``--remote-debugging-port=0`` and says on stderr
where its browser endpoint listens; commands go over one WebSocket (``websockets``' sync
client), to the browser or, with ``session``, to a page attached with ``flatten``. Only what
the tests use: open a tab, evaluate JavaScript in it, close it.
"""

from __future__ import annotations

import itertools
import json
import re
import selectors
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: Where Debian's chromium package puts the browser.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Browser:
    """One browser over CDP."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and wait (at most 30 s) for its answer; raises on a CDP error."""
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + 30
        while True:
            answer = json.loads(self.socket.recv(timeout=max(0.0, deadline - time.monotonic())))
            if answer.get("id") != number:
                continue  # an event, or another session's answer
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
            result: dict[str, Any] = answer.get("result", {})
            return result

    def open(self, url: str) -> tuple[str, str]:
        """A new tab at ``url``: its target id and the session attached to it."""
        target = self.call("Target.createTarget", url=url)["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        return target, session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of ``expression`` in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str, timeout: float = 30.0) -> None:
        """Poll ``expression`` in the page until it is true (at most ``timeout`` s); an
        exception (the page not loaded yet: a new tab starts on about:blank) counts as false."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.evaluate(session, expression):
                    return
            except RuntimeError:
                pass
            if time.monotonic() > deadline:
                state = self.evaluate(session, "document.documentElement.outerHTML.slice(0, 500)")
                raise TimeoutError(f"{expression} not true after {timeout} s: {state}")
            time.sleep(0.05)


@contextmanager
def chromium(profile: Path) -> Iterator[Browser]:
    """A headless Chromium with its own profile in ``profile``; ended at the end of the block."""
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--mute-audio",
            "--autoplay-policy=no-user-gesture-required",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    try:
        endpoint = _endpoint(process)
        # Read on, so a chatty browser never fills the pipe and stalls.
        threading.Thread(target=_drain, args=(process,), daemon=True).start()
        with connect(endpoint, max_size=None, open_timeout=30) as socket:
            yield Browser(socket)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def _endpoint(process: subprocess.Popen[bytes]) -> str:
    """The browser's WebSocket endpoint, from the line Chromium writes on stderr (30 s)."""
    assert process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    said = b""
    while True:
        found = re.search(rb"DevTools listening on (ws://\S+)", said)
        if found is not None:
            return found.group(1).decode()
        left = deadline - time.monotonic()
        if left <= 0 or not selector.select(left):
            raise TimeoutError(f"Chromium gave no DevTools endpoint: {said[-2000:]!r}")
        chunk = process.stderr.read(4096)
        if not chunk:
            raise RuntimeError(f"Chromium ended: {said[-2000:]!r}")
        said += chunk


def _drain(process: subprocess.Popen[bytes]) -> None:
    assert process.stderr is not None
    try:
        while process.stderr.read(65536):
            pass
    except (OSError, ValueError):
        pass  # closed at the end of the block
