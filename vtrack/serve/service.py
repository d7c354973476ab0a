"""The server's state behind its routes: sessions, output, limits and counters.

Used from the event loop only (the routes and the idle sweep run there, one at a time), so
nothing here is locked; the output's thread does the writing and delivering.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final

from vtrack.cli.delivery import Outcome
from vtrack.serve.batch import Line
from vtrack.serve.limits import MAX_BODY, RateLimit
from vtrack.serve.metrics import Metrics
from vtrack.serve.output import MAX_BACKLOG, Output
from vtrack.serve.sessionizer import Sessionizer

log = logging.getLogger("vtrack.serve")

#: Requests per second a client may make by default (a player sends one every ~2 s).
DEFAULT_RATE_LIMIT: Final = 20.0


class Busy(Exception):
    """The server cannot take a batch now (stopping, or too far behind); try again later."""


class RecordFailed(Busy):
    """``--record`` could not be written (a full disk ...): nothing of the batch was applied,
    and the same batch sent again will be."""


class Service:
    """What ``POST /v1/events`` and the other routes act on."""

    def __init__(
        self,
        sessionizer: Sessionizer,
        output: Output,
        *,
        origins: Iterable[str],
        rate_limit: float = DEFAULT_RATE_LIMIT,
        max_body: int = MAX_BODY,
        clock: Callable[[], float] = time.time,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessionizer = sessionizer
        self.output = output
        self.origins = frozenset(origins)
        self.limit = RateLimit(rate_limit)
        self.max_body = max_body
        self.metrics = Metrics()
        self.clock = clock
        self.ticks = ticks
        self.stopping = False
        #: Errors the server went on after, by where: ``session_end``, ``sweep``.
        self.errors: Counter[str] = Counter()
        #: The last batch could not be recorded (said once in the log until one is).
        self.record_failing = False
        self.outcome: Outcome | None = None

    def allowed(self, origin: str | None) -> bool:
        """Whether a request from ``origin`` (its Origin header) is taken."""
        return origin is not None and origin in self.origins

    def rate_limited(self, client: str) -> float:
        """0.0 if ``client`` may make a request now, else the seconds until it may."""
        return self.limit.take(client, self.ticks())

    def accept(
        self, lines: list[Line], *, sent_at: float | None, batch: str | None, received_at: float
    ) -> None:
        """Apply a batch and hand its messages on (raises what the sessionizer raises, or
        :class:`Busy`)."""
        if self.stopping or self.output.queued >= MAX_BACKLOG:
            raise Busy
        try:
            messages = self.sessionizer.accept(
                lines, received_at=received_at, sent_at=sent_at, batch=batch, ticks=self.ticks()
            )
        except OSError as exc:
            if not self.record_failing:
                log.warning("cannot write --record (%s): batches are refused (503)", exc)
            self.record_failing = True
            raise RecordFailed(str(exc)) from exc
        if self.record_failing:
            log.warning("--record is written again: batches are taken")
            self.record_failing = False
        self.output.put(messages)

    def sweep(self) -> None:
        """End the sessions silent for the idle timeout (one whose end fails is dropped, and
        logged: the others still end)."""
        now = self.ticks()  # idleness on the monotonic clock: the epoch clock may be set
        for _ in range(self.sessionizer.open_sessions + 1):  # each failure drops a session
            try:
                for messages in self.sessionizer.expiring(now):
                    self.output.put(messages)
                return
            except Exception:
                self._session_failed()

    def stop(self) -> Outcome | None:
        """Take no more batches, end every session at its last record, write and deliver what
        is left (the delivery's outcome, if there is a sink). The output is closed even if
        ending a session fails."""
        self.stopping = True
        pending: list[dict[str, Any]] = []
        try:
            for _ in range(self.sessionizer.open_sessions + 1):
                try:
                    for message in self.sessionizer.finish():
                        pending.append(message)
                        if len(pending) >= 1000:
                            self.output.put(pending)
                            pending = []
                    break
                except Exception:
                    self._session_failed()
        finally:
            self.output.put(pending)
            self.outcome = self.output.close()
        return self.outcome

    def _session_failed(self) -> None:
        """A session's end raised (a bug): it is dropped, the others go on."""
        self.errors["session_end"] += 1
        log.exception("ending a session failed: it is dropped, its last messages are lost")

    def render_metrics(self) -> str:
        """``GET /metrics``."""
        stats = self.sessionizer.stats
        return self.metrics.render(
            open_sessions=self.sessionizer.open_sessions,
            records=stats.records,
            messages=stats.messages,
            backlog=self.output.backlog,
            bad_records=stats.bad_records,
            duplicates=stats.duplicates,
            undelivered=self.output.undelivered,
            overflowing=self.output.overflowing,
            errors={**self.errors, "output": self.output.failed},
        )
