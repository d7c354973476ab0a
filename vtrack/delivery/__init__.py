"""Delivery to Segment-compatible HTTP APIs: the I/O-free parts (encoding, batching, retries).

The HTTP sinks that drive them are edges built on top; everything here is pure and is tested
on its own, the sans-IO way.
"""

from vtrack.delivery.dispatch import Counters, DeadLetter, Dispatch, Request, sent_at
from vtrack.delivery.encoding import MAX_EVENT_BYTES, EncodingError, MessageTooLarge, encode
from vtrack.delivery.policy import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    Batch,
    Batcher,
    BatchLimits,
    Outcome,
    RetryPolicy,
    classify,
    parse_retry_after,
)

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "Batch",
    "BatchLimits",
    "Batcher",
    "Counters",
    "DeadLetter",
    "Dispatch",
    "EncodingError",
    "MessageTooLarge",
    "Outcome",
    "Request",
    "RetryPolicy",
    "classify",
    "encode",
    "parse_retry_after",
    "sent_at",
]
