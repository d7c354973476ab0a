"""How the sync sink's sender POSTs a batch: straight through httpcore's connection pool, or
through an ``httpx.Client`` (the caller's own, or behind a proxy).

The sender needs a status, a ``Retry-After`` and the answer's text, and nothing of what
``httpx.Client`` adds per request on the way to its pool (URL merging, cookie jars, auth and
redirect steps, request and response models): that was more than half of the sender's CPU per
request of 100 events (``benchmarks/http_delivery.py``), time the one request in flight waits
for. :class:`PoolPoster` sends through the very pool the client would use (httpx's transport
builds on httpcore), with the same timeouts, so connections, TLS and the per-attempt deadline
(:mod:`vtrack.sinks.deadline`) are the same.
"""

from __future__ import annotations

import urllib.request
from typing import NamedTuple, Protocol

import httpcore
import httpx

from vtrack._version import __version__
from vtrack.sinks.deadline import AttemptDeadline, DeadlineBackend, bounded_client

#: Who is asking, on every request (httpx's client would say python-httpx).
USER_AGENT = f"vtrack/{__version__}"


class Answer(NamedTuple):
    """What the server said to one request."""

    status: int
    retry_after: str | None
    text: str


class Poster(Protocol):
    """Sends one request and returns the answer (raises when none came)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST ``body`` to ``url`` with ``headers``."""

    def close(self) -> None:
        """Close its connections."""


class PoolPoster:
    """POSTs through an httpcore connection pool whose sockets keep the attempt's deadline."""

    def __init__(self, timeout: float, deadline: AttemptDeadline) -> None:
        limits = httpx.Limits()  # httpx's defaults, as its own transport's pool has them
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DeadlineBackend(deadline),
        )
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
        self._urls: dict[str, httpcore.URL] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        target = self._urls.get(url)
        if target is None:
            target = self._urls[url] = _pool_url(url)
        sent = [("User-Agent", USER_AGENT), ("Accept", "*/*"), *headers.items()]
        response = self._pool.request(
            "POST", target, headers=sent, content=body, extensions=self._extensions
        )
        retry_after = None
        for name, value in response.headers:
            if name.lower() == b"retry-after":
                retry_after = value.decode("latin-1")
        return Answer(response.status, retry_after, response.content.decode("utf-8", "replace"))

    def close(self) -> None:
        self._pool.close()


def _pool_url(url: str) -> httpcore.URL:
    """``url`` as httpcore takes it: encoded as httpx encodes it (an international domain
    name, a path with spaces or non-ASCII text), which httpcore alone does not."""
    parsed = httpx.URL(url)
    return httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )


class ClientPoster:
    """POSTs through an ``httpx.Client``."""

    def __init__(self, client: httpx.Client, *, own: bool) -> None:
        self.client = client
        self._own = own

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        answer = self.client.post(url, content=body, headers={"User-Agent": USER_AGENT, **headers})
        return Answer(answer.status_code, answer.headers.get("Retry-After"), answer.text)

    def close(self) -> None:
        if self._own:
            self.client.close()


def poster_for(client: httpx.Client | None, timeout: float, deadline: AttemptDeadline) -> Poster:
    """The caller's client if given; else the pool, bounded by ``deadline``; behind a proxy
    (``HTTPS_PROXY`` and the like), httpx's own client, which honours it."""
    if client is not None:
        return ClientPoster(client, own=False)
    if any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all")):
        return ClientPoster(bounded_client(timeout, deadline), own=True)
    return PoolPoster(timeout, deadline)
