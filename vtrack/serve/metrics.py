"""``GET /metrics``: what the server holds and did, in Prometheus' text format (version 0.0.4)."""

from __future__ import annotations

from collections import Counter
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
    ) -> str:
        """The metrics as Prometheus text."""
        out: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[tuple[str, int]]) -> None:
            out.append(f"# HELP vtrack_serve_{name} {help_}")
            out.append(f"# TYPE vtrack_serve_{name} {kind}")
            out.extend(f"vtrack_serve_{name}{labels} {value}" for labels, value in samples)

        metric("open_sessions", "gauge", "Sessions the server holds.", [("", open_sessions)])
        metric("requests_total", "counter", "Event batches posted.", [("", self.requests)])
        metric("records_total", "counter", "Records accepted and applied.", [("", records)])
        metric(
            "bad_records_total",
            "counter",
            "Records accepted but skipped by the replay's rules.",
            [("", bad_records)],
        )
        metric(
            "duplicate_batches_total",
            "counter",
            "Batches sent again (their id seen already), not applied again.",
            [("", duplicates)],
        )
        metric("messages_total", "counter", "Messages the sessions made.", [("", messages)])
        metric(
            "delivery_backlog",
            "gauge",
            "Messages made but not yet written or delivered.",
            [("", backlog)],
        )
        metric(
            "undelivered_total",
            "counter",
            "Messages written to --undelivered instead of delivered.",
            [("", undelivered)],
        )
        metric(
            "delivery_overflowing",
            "gauge",
            "1 while the endpoint is away and messages go to --undelivered.",
            [("", int(overflowing))],
        )
        metric(
            "rejects_total",
            "counter",
            "Requests refused, by reason.",
            [(f'{{reason="{reason}"}}', self.rejects[reason]) for reason in REJECT_REASONS],
        )
        return "\n".join(out) + "\n"
