"""A delivery attempt ends by its timeout, however slowly the server drips its answer."""

from __future__ import annotations

import asyncio
import gzip
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import pytest
from collector import FAST, message

from vtrack.delivery import BatchLimits
from vtrack.sinks.deadline import AttemptDeadline, _DeadlineStream
from vtrack.sinks.http import HttpSink
from vtrack.sinks.http_async import AsyncHttpSink

#: The first answers drip one byte every DRIP seconds (30 bytes: 15 s if nothing stops them).
DRIP = 0.5
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


class DrippingServer:
    """On 127.0.0.1: the first ``dripped`` requests get their answer a byte at a time."""

    def __init__(self, dripped: int) -> None:
        self.dripped = dripped
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1/batch"
        #: How long each dripped connection lasted before the client hung up (s).
        self.held: list[float] = []
        self.accepted: list[str] = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        served = 0
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            served += 1
            worker = self._drip if served <= self.dripped else self._answer
            threading.Thread(target=worker, args=(conn,), daemon=True).start()

    def _request(self, conn: socket.socket) -> bytes:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        while len(body) < length:
            body += conn.recv(65536)
        return gzip.decompress(body) if b"content-encoding: gzip" in head.lower() else body

    def _drip(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with conn:
            self._request(conn)
            for byte in ANSWER[:30]:
                if not self._send_byte(conn, byte):
                    break  # the client hung up
        with self.lock:
            self.held.append(time.monotonic() - started)

    @staticmethod
    def _send_byte(conn: socket.socket, byte: int) -> bool:
        """Send one byte, wait DRIP; whether the client is still there."""
        try:
            conn.sendall(bytes([byte]))
            time.sleep(DRIP)
            readable, _, _ = select.select([conn], [], [], 0)
            return not readable or conn.recv(1, socket.MSG_PEEK) != b""  # b"": it hung up
        except OSError:
            return False

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    body = self._request(conn)
                except (OSError, StopIteration):
                    return
                with self.lock:
                    self.accepted += [event["messageId"] for event in json.loads(body)["batch"]]
                conn.sendall(ANSWER)

    def close(self) -> None:
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def dripping() -> Iterator[DrippingServer]:
    server = DrippingServer(dripped=2)
    yield server
    server.close()


def deliver_sync(url: str) -> Any:
    sink = HttpSink("endpoint", write_key="k", url=url, timeout=1.0, retry=FAST,
                    limits=BatchLimits(max_events=100, interval=0.05))  # fmt: skip
    for number in range(300):
        sink.emit(message(number))
    return sink.close(timeout=30)


async def deliver_async(url: str) -> Any:
    sink = AsyncHttpSink("endpoint", write_key="k", url=url, timeout=1.0, retry=FAST,
                         limits=BatchLimits(max_events=100, interval=0.05))  # fmt: skip
    for number in range(300):
        sink.emit(message(number))
    return await sink.aclose(timeout=30)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_dripping_server_holds_no_attempt_past_its_timeout(
    dripping: DrippingServer, kind: str
) -> None:
    """timeout=1 against answers dripped a byte every 0.5 s: each attempt is given up within
    seconds (not the 15 s the drip takes), retried, and all 300 events are delivered once."""
    report = (
        deliver_sync(dripping.url) if kind == "sync" else asyncio.run(deliver_async(dripping.url))
    )
    assert report.complete and 300 == report.delivered
    assert sorted(f"id-{n}" for n in range(300)) == sorted(set(dripping.accepted))
    deadline = time.monotonic() + 10
    while len(dripping.held) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 2 == len(dripping.held) and max(dripping.held) < 5.0  # the drip alone takes 15 s


def test_behind_a_proxy_the_client_honours_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTPS_PROXY set, the sink's client is httpx's own: its proxy mounts are kept."""
    from vtrack.sinks.deadline import AttemptDeadline, bounded_client

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    client = bounded_client(1.0, AttemptDeadline())
    try:
        assert client._mounts  # the environment's proxy, as a plain httpx.Client has it
    finally:
        client.close()


def test_on_sent_is_called_once_at_the_first_read_of_an_attempt() -> None:
    """An attempt's on_sent runs once, at its first read (the request is out); not after stop."""
    calls: list[str] = []
    deadline = AttemptDeadline()
    deadline.start(5.0, lambda: calls.append("sent"))
    deadline.sent()
    deadline.sent()
    deadline.start(5.0, lambda: calls.append("second"))
    deadline.stop()
    deadline.sent()
    assert ["sent"] == calls


def test_a_full_budget_is_freed_and_everything_arrives(collector: Any) -> None:
    """An emit waiting for room (budget of a few events) is woken as requests go: all arrive."""
    limits = BatchLimits(max_events=2)
    sink = HttpSink("endpoint", url=collector.url, write_key="k", retry=FAST, limits=limits,
                    max_pending_bytes=600, emit_timeout=30)  # fmt: skip
    for number in range(60):
        sink.emit(message(number))
    assert sink.close(timeout=30).complete
    assert [f"id-{n}" for n in range(60)] == collector.accepted_ids()


class _Recorder(httpcore.NetworkStream):
    """A network stream that records the writes it is given and answers reads with b"ok"."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b"ok"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.writes.append(buffer)


def test_a_request_head_and_body_leave_in_one_write() -> None:
    """Writes wait for the next read: the head and the body go to the socket as one buffer."""
    inner = _Recorder()
    stream = _DeadlineStream(inner, AttemptDeadline())
    stream.write(b"POST / HTTP/1.1\r\n\r\n")
    stream.write(b"body")
    stream.write(b"")
    assert [] == inner.writes
    assert b"ok" == stream.read(10)
    assert [b"POST / HTTP/1.1\r\n\r\nbody"] == inner.writes
    stream.read(10)
    assert 1 == len(inner.writes)
