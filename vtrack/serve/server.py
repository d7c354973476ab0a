"""Running the app with uvicorn: the listening socket, the idle sweep, and a clean stop.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections and lets the requests under way
finish; then the app's shutdown ends every session at its last record, writes and delivers
what is left (within ``--deliver-timeout``; with ``--spool`` the rest waits in the outbox for
the next run) and says what it did on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette

from vtrack.serve.app import make_app
from vtrack.serve.service import Service

log = logging.getLogger("vtrack.serve")

#: How often idle sessions are looked for (s), at most.
SWEEP_EVERY: Final = 1.0


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one); raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def app_for(service: Service, on_stop: Callable[[Service], None] | None = None) -> Starlette:
    """The app, with a lifespan that sweeps idle sessions and stops the service at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        every = min(SWEEP_EVERY, service.sessionizer.idle_timeout / 4)
        sweeper = asyncio.create_task(_sweep(service, every))
        try:
            yield
        finally:
            sweeper.cancel()
            try:
                await sweeper
            except asyncio.CancelledError:
                pass
            except Exception:  # the service still stops: its sessions and output matter more
                log.exception("the idle sweep ended with an error")
            # The delivery may wait for its endpoint: not on the loop (nothing else runs now,
            # but uvicorn's own shutdown still needs it).
            await asyncio.to_thread(service.stop)
            if on_stop is not None:
                on_stop(service)

    return make_app(service, lifespan=lifespan)


async def _sweep(service: Service, every: float) -> None:
    """Sweep idle sessions every ``every`` s until cancelled; an error is logged (the first of a
    run of them) and the next round goes on."""
    failing = False
    while True:
        await asyncio.sleep(every)
        try:
            service.sweep()
        except Exception:
            service.errors["sweep"] += 1
            if not failing:
                log.exception("the idle sweep failed (it goes on at its next round)")
            failing = True
        else:
            failing = False


def server(app: Starlette, **options: Any) -> uvicorn.Server:
    """A uvicorn server for ``app``: quiet but for warnings, no access log, no Server header."""
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=30,
        **options,
    )
    return uvicorn.Server(config)


def run(service: Service, sock: socket.socket, on_stop: Callable[[Service], None]) -> None:
    """Serve on ``sock`` until SIGTERM or Ctrl-C (then the service stops as the module says)."""
    instance = server(app_for(service, on_stop))
    # uvicorn raises the signal that stopped it again once it is done, with the handler it
    # found: SIGTERM's, made a no-op here, lets the command end with its own exit status.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        instance.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        sys.stderr.flush()


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after the server stopped on it: nothing more to do."""
