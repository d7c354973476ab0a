"""``vtrack serve``: web players' html5 records in, sessionized server-side exactly as a replay.

A page runs ``vtrack.js`` (served at ``GET /vtrack.js``), which posts the ``<video>``
element's events as html5 dialect records (the format ``vtrack replay --dialect html5``
reads) to ``POST /v1/events``. The server puts each session's records, in the client's time
order and with the client's clock corrected, through the html5 translator and the replay
engine, and hands the messages to the replay's outputs (``--out``, ``--sink``, ``--spool``).

The parts that decide, free of I/O: :mod:`~vtrack.serve.batch` (reading a request body),
:mod:`~vtrack.serve.clock` (client clocks), :mod:`~vtrack.serve.sessionizer` (sessions),
:mod:`~vtrack.serve.limits` (the rate limit) and :mod:`~vtrack.serve.metrics`. The edges:
:mod:`~vtrack.serve.recording` (``--record DIR``), :mod:`~vtrack.serve.output` (the sink's
thread), :mod:`~vtrack.serve.app` (the Starlette app, the ``serve`` extra) and
:mod:`~vtrack.serve.server` (uvicorn, signals).
"""

from __future__ import annotations

from vtrack.serve.batch import BadBatch, Line, read_batch
from vtrack.serve.sessionizer import Conflict, Sessionizer, SessionsFull, TooManySessions

__all__ = [
    "BadBatch",
    "Conflict",
    "Line",
    "Sessionizer",
    "SessionsFull",
    "TooManySessions",
    "read_batch",
]
