"""Client clocks: a record's ``t`` is the browser's epoch time, which may be far off the server's.

Each batch says when the client sent it (``sent_at``, by the client's clock); the server notes
when it arrived (by its own). Their difference estimates how far the client's clock is behind
(plus the request's transit time, which is small and never negative). A session keeps the
first estimate it gets and moves to a new one only when a batch's differs by more than
:data:`CLOCK_JUMP` (the client's clock was set meanwhile): the jitter of transit times does not
shake the session's timeline. A corrected time is never later than the batch's arrival (no
record is from the future) and never earlier than the session's last record (a session's time
never goes back).
"""

from __future__ import annotations

from typing import Final

#: How far a batch's estimate may stray from the session's offset before it replaces it (s).
CLOCK_JUMP: Final = 1.0
#: Corrected times are rounded to this many decimals (0.1 ms), as the recorders write them.
DIGITS: Final = 4


def estimate(received_at: float, sent_at: float | None) -> float | None:
    """How far the client's clock is behind the server's, by one batch (None: no ``sent_at``)."""
    return None if sent_at is None else received_at - sent_at


def next_offset(current: float | None, batch: float | None) -> float:
    """The session's offset after a batch: kept unless the batch's estimate jumped away."""
    if batch is None:
        return 0.0 if current is None else current
    if current is None or abs(batch - current) > CLOCK_JUMP:
        return batch
    return current


def corrected(at: float, offset: float, last: float | None, received_at: float) -> float:
    """A record's time on the server's clock: shifted, at most ``received_at``, at least
    ``last`` (the session's last record)."""
    at = min(round(at + offset, DIGITS), received_at)
    return at if last is None or at >= last else last
