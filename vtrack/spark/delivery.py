"""Delivery from the Spark executors: each partition sends its messages through its own sink.

A task that Spark runs again (it failed, or its executor was lost) sends its partition's
messages again with the same messageIds (the replay is deterministic), so a destination that
drops repeated messageIds, as Segment, RudderStack and Customer.io do, keeps one copy of each.
A partition counts as delivered once its sink delivered every message; otherwise its task
fails, saying what was left, and Spark runs it again (up to ``spark.task.maxFailures``), then
fails the job. Nothing is dropped quietly: a message is delivered, or the job fails.

Nothing here imports pyspark: the functions run on the executors over plain iterators.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import attrs
import orjson

from vtrack.core.errors import QueueFull, VtrackError
from vtrack.core.protocols import Sink
from vtrack.sinks.delivery_options import DeliveryReport
from vtrack.sinks.http import HttpSink


class DeliveryIncomplete(VtrackError):
    """A partition's sink did not deliver every message: its task fails (Spark runs it again)."""


class ClosingSink(Sink, Protocol):
    """What a partition delivers through: a sink that reports what it did when it closes."""

    def close(self, timeout: float | None = None) -> DeliveryReport:
        """Deliver what it holds within ``timeout`` s, then stop; what it did."""


@attrs.frozen
class SinkSpec:
    """How each task makes its sink: :class:`~vtrack.sinks.http.HttpSink`'s arguments.

    It is pickled to the executors, the write key with it (it is never shown: not in a repr,
    a log or an error). ``deliver_timeout``: how long a partition's sink may wait for the
    endpoint to make room, and take, once its last message is handed over, to deliver what it
    holds; past it the task fails and Spark runs it again. ``options``: further keyword
    arguments of ``HttpSink`` (``limits=``, ``retry=``, ``timeout=``, ...; not ``spool=``: a
    task run again is the durability here).
    """

    destination: str
    write_key: str = attrs.field(repr=False)
    url: str | None = None
    region: str = "us"
    deliver_timeout: float = 120.0
    options: Mapping[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if "spool" in self.options:
            raise ValueError(
                "a Spark partition's sink takes no spool: a partition whose delivery fails is "
                "run again by Spark, with the same messageIds"
            )
        if not self.deliver_timeout > 0:
            raise ValueError(f"deliver_timeout must be > 0 seconds; got {self.deliver_timeout!r}")

    def make(self) -> HttpSink:
        """A new sink for one task."""
        return HttpSink(
            self.destination,
            write_key=self.write_key,
            url=self.url,
            region=self.region,
            **self.options,
        )


@attrs.frozen
class DeliveryTotals:
    """What the partitions that finished delivered (each partition counted once, whatever
    Spark ran again: accumulators of an action count each task's last successful run)."""

    partitions: int = 0
    messages: int = 0
    delivered: int = 0
    #: Requests the sinks sent again after a failed attempt.
    retried: int = 0

    def add(self, other: DeliveryTotals) -> DeliveryTotals:
        """Both totals summed."""
        return DeliveryTotals(
            self.partitions + other.partitions,
            self.messages + other.messages,
            self.delivered + other.delivered,
            self.retried + other.retried,
        )


def deliver_partition(
    make_sink: Callable[[], ClosingSink],
    deliver_timeout: float,
    totals: Any,
    rows: Iterable[Any],
) -> None:
    """Send a partition's messages (rows whose first column is the JSON line) through a new
    sink; add to ``totals`` (an accumulator) once all are delivered, else raise
    :class:`DeliveryIncomplete`.

    ``deliver_timeout`` bounds each wait without progress (for room while the endpoint is
    slow), and the delivery of what the sink holds once the last message is handed over: a
    large partition on a healthy endpoint takes as long as it needs.
    """
    sink = make_sink()
    count = 0
    try:
        for row in rows:
            _hand_over(sink, orjson.loads(row[0]), deliver_timeout)
            count += 1
    except BaseException:
        sink.close(timeout=0.0)  # the task fails and is run again: no point waiting
        raise
    report = sink.close(timeout=deliver_timeout)
    left = len(report.pending) + report.in_outbox
    if left or report.dead:
        raise DeliveryIncomplete(
            f"a partition's delivery did not complete within {deliver_timeout:g} s of its "
            f"last message: {report.delivered:,} of {count:,} messages delivered, {left:,} not "
            f"sent, {report.dead:,} refused by the endpoint"
        )
    totals.add(DeliveryTotals(1, count, report.delivered, report.retried))


def _hand_over(sink: Sink, message: dict[str, Any], patience: float) -> None:
    """Emit ``message``, waiting for room while the endpoint is slow, ``patience`` s at most."""
    give_up: float | None = None
    while True:
        try:
            sink.emit(message)
            return
        except QueueFull:
            now = time.monotonic()
            give_up = now + patience if give_up is None else give_up
            if now >= give_up:
                raise DeliveryIncomplete(
                    f"a partition's delivery did not complete: the endpoint made no room for "
                    f"more messages in {patience:g} s"
                ) from None
