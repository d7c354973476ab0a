"""``GET /metrics``: what the server holds and did, in Prometheus' text format (version 0.0.4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Final

#: The reasons a request is refused, as the ``reason`` label says them.
REJECT_REASONS: Final = (
    "origin",  # 403: not an --allow-origin origin
    "too_large",  # 413: a body over the limit
    "malformed",  # 400: a line that is no html5 record
    "too_many_sessions",  # 400: a batch starting more sessions than one may
    "conflict",  # 409: a session bound to another viewer
    "rate_limited",  # 429: the client's rate limit
    "busy",  # 503: the delivery is too far behind, or the server is stopping
    "sessions_full",  # 503: the server holds --max-open-sessions
    "record_failed",  # 503: --record could not be written (a full disk ...)
)

#: Where an error the server goes on after can happen, as the ``where`` label says them.
ERROR_PLACES: Final = (
    "session_end",  # ending a session raised: it was dropped
    "sweep",  # the idle sweep raised: it goes on at its next round
    "output",  # writing or delivering a message raised: it went to --undelivered, or was lost
)

#: The metrics of one value, in the order :meth:`Metrics.render` gives them: name, type, help.
SINGLES: Final = (
    ("open_sessions", "gauge", "Sessions the server holds."),
    ("requests_total", "counter", "Event batches posted."),
    ("records_total", "counter", "Records accepted and applied."),
    ("bad_records_total", "counter", "Records accepted but skipped by the replay's rules."),
    (
        "duplicate_batches_total",
        "counter",
        "Batches sent again (their id seen already), not applied again.",
    ),
    ("messages_total", "counter", "Messages the sessions made."),
    ("delivery_backlog", "gauge", "Messages made but not yet written or delivered."),
    ("undelivered_total", "counter", "Messages written to --undelivered instead of delivered."),
    (
        "delivery_overflowing",
        "gauge",
        "1 while the endpoint is away and messages go to --undelivered.",
    ),
)

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The server's counters; :meth:`render` writes them with the gauges given."""

    def __init__(self) -> None:
        self.requests = 0
        self.rejects: Counter[str] = Counter()

    def reject(self, reason: str) -> None:
        """Count a refused request."""
        assert reason in REJECT_REASONS, reason
        self.rejects[reason] += 1

    def render(
        self,
        *,
        open_sessions: int,
        records: int,
        messages: int,
        backlog: int,
        bad_records: int,
        duplicates: int,
        undelivered: int = 0,
        overflowing: bool = False,
        errors: Mapping[str, int] | None = None,
    ) -> str:
        """The metrics as Prometheus text."""
        values = [open_sessions, self.requests, records, bad_records, duplicates, messages]
        values += [backlog, undelivered, int(overflowing)]
        out: list[str] = []
        for (name, kind, help_), value in zip(SINGLES, values, strict=True):
            _metric(out, name, kind, help_, [("", value)])
        errors = errors or {}
        _metric(
            out,
            "errors_total",
            "counter",
            "Errors the server went on after (see its log), by where.",
            [(f'{{where="{where}"}}', errors.get(where, 0)) for where in ERROR_PLACES],
        )
        _metric(
            out,
            "rejects_total",
            "counter",
            "Requests refused, by reason.",
            [(f'{{reason="{reason}"}}', self.rejects[reason]) for reason in REJECT_REASONS],
        )
        return "\n".join(out) + "\n"


def _metric(
    out: list[str], name: str, kind: str, help_: str, samples: list[tuple[str, int]]
) -> None:
    """One metric's lines: its help, its type, its samples (labels, value)."""
    out.append(f"# HELP vtrack_serve_{name} {help_}")
    out.append(f"# TYPE vtrack_serve_{name} {kind}")
    out.extend(f"vtrack_serve_{name}{labels} {value}" for labels, value in samples)
