"""When to send, what goes in one request, and what to do with each answer: no I/O here.

The threaded and the asyncio HTTP sinks both drive these objects; they hold the rules of the
Segment-compatible batch APIs (Segment, RudderStack, Customer.io Data Pipelines):

- a request body is ``{"batch":[...],"sentAt":"..."}`` of at most 500,000 bytes and 2,500
  events, checked before an event is added, never after;
- any 2xx is success; 400/401/403/404/422 (and other 4xx but 408, 413 and 429) will fail the
  same way again, so the batch becomes a dead letter; 413 splits the batch in two; 408, 429,
  5xx and network errors are retried after an exponential backoff with full jitter, or after
  the server's ``Retry-After`` (seconds or an HTTP date), capped.
"""

from __future__ import annotations

import enum
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any, Final

import attrs

#: Segment's limits on one batch request.
MAX_BATCH_BYTES: Final = 500_000
MAX_BATCH_EVENTS: Final = 2_500

_PREFIX: Final = b'{"batch":['
_SENT_AT: Final = b'],"sentAt":"'
_SUFFIX: Final = b'"}'
#: ``sentAt`` is an ISO timestamp with milliseconds: ``2024-01-15T10:30:00.250Z``.
SENT_AT_LENGTH: Final = 24
_OVERHEAD: Final = len(_PREFIX) + len(_SENT_AT) + SENT_AT_LENGTH + len(_SUFFIX)
#: A gzip member's header: deflate, no flags, no time, unknown system.
_GZIP_HEADER: Final = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
#: Raw deflate (no zlib or gzip wrapper), the 32 KB window.
_RAW: Final = -zlib.MAX_WBITS


def _positive_at_most(limit: float) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not (isinstance(value, int | float) and 0 < value <= limit):
            raise ValueError(f"{attribute.name} must be more than 0 and at most {limit:,}")

    return check


@attrs.frozen
class BatchLimits:
    """When a batch is full (``max_events``, ``max_bytes`` of body) or due (``interval`` s)."""

    max_events: int = attrs.field(default=100, validator=_positive_at_most(MAX_BATCH_EVENTS))
    max_bytes: int = attrs.field(
        default=MAX_BATCH_BYTES, validator=_positive_at_most(MAX_BATCH_BYTES)
    )
    interval: float = attrs.field(default=5.0, validator=_positive_at_most(3600.0))

    def __attrs_post_init__(self) -> None:
        for name in ("max_events", "max_bytes"):
            if type(getattr(self, name)) is not int:
                raise ValueError(f"{name} must be a whole number; got {getattr(self, name)!r}")
        if self.max_bytes < _OVERHEAD + 2:
            raise ValueError(f"max_bytes must leave room for an event (at least {_OVERHEAD + 2})")


@attrs.define
class Batch:
    """Encoded events that go out in one request, in the order they were emitted."""

    events: list[bytes] = attrs.field(factory=list)
    #: Bytes of the body so far, ``sentAt`` included.
    size: int = _OVERHEAD
    #: The body up to ``sentAt``'s value, deflated once (see :meth:`compress`), its CRC-32
    #: and its length.
    _deflated: tuple[bytes, int, int] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    def size_with(self, event: bytes) -> int:
        """The body's size if ``event`` were added."""
        return self.size + len(event) + (1 if self.events else 0)

    def add(self, event: bytes) -> None:
        self.size = self.size_with(event)
        self.events.append(event)
        self._deflated = None

    def body(self, sent_at: str) -> bytes:
        """The request body, ``sentAt`` set to this attempt's time (a 24-character timestamp)."""
        stamp = _stamp(sent_at)
        return b"".join((_PREFIX, b",".join(self.events), _SENT_AT, stamp, _SUFFIX))

    def compress(self, level: int = 6) -> None:
        """Deflate the body up to ``sentAt``'s value, once for every attempt (see gzip_body).

        Safe from any thread (at worst two do the work); a sink that compresses ahead of its
        sender makes them take turns, so that the second one finds it done.
        """
        if self._deflated is None:
            head = b"".join((_PREFIX, b",".join(self.events), _SENT_AT))
            packer = zlib.compressobj(level, zlib.DEFLATED, _RAW)
            # A sync flush ends on a byte boundary with no final block: more blocks may follow.
            deflated = packer.compress(head) + packer.flush(zlib.Z_SYNC_FLUSH)
            self._deflated = (deflated, zlib.crc32(head), len(head))

    @property
    def compressed(self) -> bool:
        """Whether :meth:`compress` was done (since the last event was added)."""
        return self._deflated is not None

    def gzip_body(self, sent_at: str, level: int = 6) -> bytes:
        """:meth:`body` gzip-compressed: the events are deflated once per batch (what
        :meth:`compress` keeps), only the 26 bytes from ``sentAt``'s value on per attempt."""
        tail = _stamp(sent_at) + _SUFFIX
        self.compress(level)
        assert self._deflated is not None
        deflated, crc, size = self._deflated
        trailer = struct.pack("<II", zlib.crc32(tail, crc), (size + len(tail)) & 0xFFFFFFFF)
        ending = zlib.compress(tail, level, wbits=_RAW)  # its own blocks, the last one final
        return b"".join((_GZIP_HEADER, deflated, ending, trailer))

    def halves(self) -> tuple[Batch, Batch]:
        """The batch split in two, for a server that said 413 (it must hold two events)."""
        if len(self.events) < 2:
            raise ValueError("a batch of one event cannot be split")
        middle = len(self.events) // 2
        return Batch.of(self.events[:middle]), Batch.of(self.events[middle:])

    @classmethod
    def of(cls, events: Iterable[bytes]) -> Batch:
        batch = cls()
        for event in events:
            batch.add(event)
        return batch

    def __len__(self) -> int:
        return len(self.events)


def _stamp(sent_at: str) -> bytes:
    stamp = sent_at.encode()
    if len(stamp) != SENT_AT_LENGTH:
        raise ValueError(f"sentAt must be {SENT_AT_LENGTH} characters; got {sent_at!r}")
    return stamp


@attrs.define
class Batcher:
    """Groups events into batches within :class:`BatchLimits`.

    :meth:`add` returns the batch that had to be closed to make room (or that became full);
    :meth:`due` says whether the open batch has waited ``interval`` seconds since its first
    event; :meth:`take` closes it.
    """

    limits: BatchLimits = attrs.field(factory=BatchLimits)
    _open: Batch = attrs.field(factory=Batch, init=False)
    _opened_at: float | None = attrs.field(default=None, init=False)

    def largest_event(self) -> int:
        """The size of the largest event a batch within the limits can hold."""
        return self.limits.max_bytes - _OVERHEAD

    def add(self, event: bytes, now: float) -> list[Batch]:
        """Add one encoded event; return the batches now ready to send (zero, one or two)."""
        size, limits = len(event), self.limits
        if size > limits.max_bytes - _OVERHEAD:
            raise ValueError(
                f"an event of {size:,} bytes cannot fit a batch of {limits.max_bytes:,} bytes"
            )
        ready = []
        batch = self._open
        if batch.events and batch.size + size + 1 > limits.max_bytes:  # Batch.size_with
            ready.append(self.take())
            batch = self._open
        events = batch.events
        if events:
            batch.size += size + 1  # Batch.add, inlined: this runs for every event
        else:
            batch.size += size
            self._opened_at = now
        events.append(event)
        batch._deflated = None
        if len(events) >= limits.max_events:
            ready.append(self.take())
        return ready

    def due(self, now: float) -> bool:
        """The open batch has events and has waited its interval."""
        opened = self._opened_at
        return opened is not None and now - opened >= self.limits.interval

    def deadline(self) -> float | None:
        """When the open batch falls due (None while it is empty)."""
        opened = self._opened_at
        return None if opened is None else opened + self.limits.interval

    def waiting(self) -> list[bytes]:
        """The events of the open batch, in order (a copy)."""
        return list(self._open.events)

    def take(self) -> Batch:
        """Close the open batch and return it (it may be empty)."""
        batch, self._open, self._opened_at = self._open, Batch(), None
        return batch

    def __len__(self) -> int:
        return len(self._open.events)


class Outcome(enum.Enum):
    """What to do with a batch after an answer."""

    DELIVERED = "delivered"
    RETRY = "retry"
    SPLIT = "split"
    DEAD = "dead"


#: Statuses that will fail the same way however often they are sent.
_NEVER_RETRIED: Final = frozenset({400, 401, 403, 404, 422})


def classify(status: int | None) -> Outcome:
    """The outcome of an answer with this HTTP status (``None``: no answer, a network error)."""
    if status is None:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 413:
        return Outcome.SPLIT
    if status in (408, 429) or status >= 500:
        return Outcome.RETRY
    if status in _NEVER_RETRIED or 300 <= status < 500:
        return Outcome.DEAD  # a person has to look: a redirect or a client error repeats
    return Outcome.RETRY  # 1xx and anything odd: try again rather than give up on it


_SECONDS: Final = re.compile(r"\s*(\d+(?:\.\d+)?)\s*")


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header at ``now`` (epoch seconds).

    Both forms are understood: delay seconds (``"120"``) and an HTTP date (``"Wed, 21 Oct
    2015 07:28:00 GMT"``; a date in the past means 0). ``None`` if the header is missing or
    malformed, so the caller falls back to its backoff.
    """
    if value is None:
        return None
    match = _SECONDS.fullmatch(value)
    if match:
        return float(match.group(1))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # RFC 9110 dates are GMT; one without a zone is malformed
    return max(0.0, when.timestamp() - now)


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits ``uniform(0, min(cap, base*2**n))``.

    A server's ``Retry-After`` is honoured up to ``max_retry_after`` seconds (and never waits
    less than the backoff would).
    """

    base: float = attrs.field(default=0.5, validator=_positive_at_most(60.0))
    cap: float = attrs.field(default=60.0, validator=_positive_at_most(3600.0))
    max_retry_after: float = attrs.field(default=300.0, validator=_positive_at_most(86400.0))

    def delay(
        self, attempt: int, random: Callable[[], float], retry_after: float | None = None
    ) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0).

        ``random`` gives a float in [0, 1) (inject a seeded one for replayable tests).
        """
        ceiling = self.cap if attempt >= 64 else min(self.cap, self.base * 2.0**attempt)
        backoff = random() * ceiling
        if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
            # The server's wish, but never sooner than the backoff: "Retry-After: 0" repeated
            # must not turn into a tight loop.
            return min(max(retry_after, backoff), self.max_retry_after)
        return backoff
