"""The ASGI app (Starlette): ``POST /v1/events``, ``GET /healthz``, ``/metrics``, ``/vtrack.js``.

Nothing a request carries is written back into a page: answers are JSON, plain text or the
script, each with ``X-Content-Type-Options: nosniff``; no cookie is ever set, and CORS never
allows credentials. Only the ``--allow-origin`` origins may post (their preflight answered, any
other origin 403); a body over 64 KB is refused (413), an unreadable line too (400, naming it),
a record naming another viewer than its session's (409), a client over its rate (429), a batch
starting too many sessions (400); a batch the server cannot take now (it holds
``--max-open-sessions``, it cannot record, it is stopping) is 503, with nothing of it applied:
the client sends it again.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from vtrack.serve.batch import BadBatch, read_batch
from vtrack.serve.metrics import CONTENT_TYPE as METRICS_TYPE
from vtrack.serve.service import Busy, RecordFailed, Service
from vtrack.serve.sessionizer import Conflict, SessionsFull, TooManySessions

#: A batch id, as vtrack.js makes them.
BATCH_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: The latest epoch time a ``sent_at`` may say (the year 9999), as a record's ``t``.
_LAST_TIME: Final = 253_402_300_800.0
#: Headers every answer carries.
_SAFE: Final = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def script() -> bytes:
    """vtrack.js, as the package ships it."""
    return resources.files("vtrack.serve").joinpath("vtrack.js").read_bytes()


def make_app(service: Service, *, lifespan: Lifespan[Any] | None = None) -> Starlette:
    """The app serving ``service``."""
    routes = _Routes(service)
    return Starlette(
        routes=[
            Route("/v1/events", routes.events, methods=["POST", "OPTIONS"]),
            Route("/healthz", routes.healthz, methods=["GET"]),
            Route("/metrics", routes.metrics, methods=["GET"]),
            Route("/vtrack.js", routes.script, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


class _Routes:
    """The routes' handlers, on one service."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.code = script()

    async def events(self, request: Request) -> Response:
        """``POST /v1/events`` (and its CORS preflight)."""
        service = self.service
        origin = request.headers.get("origin")
        if not service.allowed(origin):
            service.metrics.reject("origin")
            return _error(403, "this origin may not post events here")
        assert origin is not None
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={**_SAFE, **cors, **_PREFLIGHT})
        service.metrics.requests += 1
        client = request.client.host if request.client is not None else "-"
        wait = service.rate_limited(client)
        if wait:
            service.metrics.reject("rate_limited")
            retry = {"Retry-After": str(math.ceil(wait))}
            return _error(429, "too many requests from this client", {**cors, **retry})
        body = await _body(request, service.max_body)
        if body is None:
            service.metrics.reject("too_large")
            return _error(413, f"the body is over {service.max_body:,} bytes", cors)
        return self._apply(request, body, cors)

    def _apply(self, request: Request, body: bytes, cors: dict[str, str]) -> Response:
        """Read and apply a batch; 204, or the refusal."""
        service = self.service
        received_at = service.clock()
        try:
            sent_at, batch = _query(request)
        except ValueError as exc:
            service.metrics.reject("malformed")
            return _error(400, str(exc), cors)
        try:
            lines = read_batch(body)
            service.accept(lines, sent_at=sent_at, batch=batch, received_at=received_at)
        except TooManySessions as exc:
            service.metrics.reject("too_many_sessions")
            return _error(400, str(exc), cors, line=exc.line)
        except BadBatch as exc:
            service.metrics.reject("malformed")
            return _error(400, str(exc), cors, line=exc.line)
        except Conflict as exc:
            service.metrics.reject("conflict")
            return _error(409, str(exc), cors, line=exc.line)
        except SessionsFull as exc:
            service.metrics.reject("sessions_full")
            retry = {"Retry-After": str(math.ceil(exc.retry_after))}
            return _error(503, "the server holds all the sessions it may", {**cors, **retry})
        except RecordFailed:
            service.metrics.reject("record_failed")
            return _error(503, "the server cannot keep records now", {**cors, "Retry-After": "5"})
        except Busy:
            service.metrics.reject("busy")
            return _error(503, "the server is busy or stopping", {**cors, "Retry-After": "5"})
        return Response(status_code=204, headers={**_SAFE, **cors})

    async def healthz(self, request: Request) -> Response:
        """``GET /healthz``: 200 while serving, 503 while stopping."""
        stopping = self.service.stopping
        answer = {"status": "stopping" if stopping else "ok"}
        return JSONResponse(answer, status_code=503 if stopping else 200, headers=_SAFE)

    async def metrics(self, request: Request) -> Response:
        """``GET /metrics``."""
        return Response(self.service.render_metrics(), media_type=METRICS_TYPE, headers=_SAFE)

    async def script(self, request: Request) -> Response:
        """``GET /vtrack.js``: public, cacheable for a few minutes, loadable from any page."""
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
        }
        return Response(self.code, media_type="text/javascript; charset=utf-8", headers=headers)


_PREFLIGHT: Final = {
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}


async def _body(request: Request, limit: int) -> bytes | None:
    """The body, or None if it is over ``limit`` bytes (read no further than that)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _query(request: Request) -> tuple[float | None, str | None]:
    """``sent_at`` and ``batch`` from the query (raises ValueError if unreadable)."""
    text = request.query_params.get("sent_at")
    sent_at: float | None = None
    if text is not None:
        try:
            sent_at = float(text)
        except ValueError:
            sent_at = math.nan
        if not 0 <= sent_at < _LAST_TIME:
            raise ValueError("sent_at must be the epoch seconds the batch was sent at")
    batch = request.query_params.get("batch")
    if batch is not None and not BATCH_ID.fullmatch(batch):
        raise ValueError("batch must be 1 to 64 letters, digits, - or _")
    return sent_at, batch


def _error(
    status: int, reason: str, headers: dict[str, str] | None = None, *, line: int | None = None
) -> Response:
    """A refusal: JSON, never HTML."""
    answer: dict[str, Any] = {"error": reason}
    if line is not None:
        answer["line"] = line
    return JSONResponse(answer, status_code=status, headers={**_SAFE, **(headers or {})})
