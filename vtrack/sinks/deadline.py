"""A timeout that bounds a whole delivery attempt, not each read.

httpx's timeouts apply to each network operation: a server that drips one byte every half
second never trips a one-second read timeout, and holds an attempt as long as it likes. The
sync sink's client reads and writes through :class:`DeadlineBackend`, whose sockets never
wait past the end of the attempt under way (:class:`AttemptDeadline`): past it, a read or
write raises the timeout httpx raises for a slow read, and the attempt fails and is retried
like any other.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx


class AttemptDeadline:
    """When the attempt under way must be over (monotonic seconds; None: no attempt).

    ``on_sent``, if given, is called once the request is on its way: at the first read of
    the attempt (HTTP/1.1 reads the answer once the whole request is written).
    """

    __slots__ = ("at", "on_sent")

    def __init__(self) -> None:
        self.at: float | None = None
        self.on_sent: Callable[[], object] | None = None

    def start(self, seconds: float, on_sent: Callable[[], object] | None = None) -> None:
        """An attempt starts: it may take ``seconds`` in all."""
        self.at = time.monotonic() + seconds
        self.on_sent = on_sent

    def stop(self) -> None:
        """The attempt is over."""
        self.at = None
        self.on_sent = None

    def sent(self) -> None:
        """The request is written (the first read of the attempt): call ``on_sent``, once."""
        on_sent, self.on_sent = self.on_sent, None
        if on_sent is not None:
            on_sent()

    def left(self, timeout: float | None, error: type[Exception]) -> float | None:
        """The time an operation may wait: its own ``timeout``, cut to what the attempt has.

        Raises ``error`` once the attempt has no time left.
        """
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("the delivery attempt took longer than its timeout")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose reads and writes stop at the attempt's deadline.

    Writes are held until the next read, so a request's head and body leave in one send (as
    ``http.client`` does): one system call and one segment, not two.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: AttemptDeadline) -> None:
        self._stream = stream
        self._deadline = deadline
        self._unsent: list[bytes] = []
        self._write_timeout: float | None = None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._unsent:
            data, self._unsent = b"".join(self._unsent), []
            self._stream.write(
                data, self._deadline.left(self._write_timeout, httpcore.WriteTimeout)
            )
        self._deadline.sent()
        left = self._deadline.left(timeout, httpcore.ReadTimeout)
        return self._stream.read(max_bytes, left)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._deadline.left(timeout, httpcore.WriteTimeout)  # past the deadline: fail now
        if buffer:
            self._unsent.append(buffer)
            self._write_timeout = timeout

    def close(self) -> None:
        self._unsent = []
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync sockets, each bounded by the attempt's deadline."""

    def __init__(self, deadline: AttemptDeadline) -> None:
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_unix_socket(path, left, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bounded_client(timeout: float, deadline: AttemptDeadline) -> httpx.Client:
    """An httpx client whose every attempt ends by ``deadline`` (as well as ``timeout``).

    Behind a proxy (``HTTPS_PROXY`` and the like) the client is httpx's own, proxies
    honoured: each read is bounded by ``timeout``, not the attempt as a whole.
    """
    if any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all")):
        return httpx.Client(timeout=timeout)
    transport = httpx.HTTPTransport()
    pool = transport._pool
    limits = httpx.Limits()  # httpx's defaults, as the pool it made had them
    # httpx takes no network backend: the pool it made is replaced by the same pool with
    # one (its SSL context kept). A test pins this on a real dripping server.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=pool._ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=DeadlineBackend(deadline),
    )
    return httpx.Client(timeout=timeout, transport=transport)
