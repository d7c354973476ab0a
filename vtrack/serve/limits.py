"""The limits on what one client may send: body size, and a rate of requests (a token bucket).

A client is its address (behind a reverse proxy, the address the proxy forwards: see
docs/serve.md). Each has a bucket of ``burst`` tokens refilled at ``rate`` per second; a request
takes one, and a request that finds none is refused (429) with the seconds until one is back.
Memory is bounded: past :data:`CLIENTS_KEPT` clients the least recently seen is forgotten (a
forgotten client starts with a full bucket again).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Final

#: The largest request body taken (bytes): a batch of 20 records is about 4 KB.
MAX_BODY: Final = 64 * 1024
#: How many clients' buckets are kept.
CLIENTS_KEPT: Final = 100_000


class RateLimit:
    """Requests per second per client, with bursts (see the module)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if isinstance(rate, bool) or not 0 < rate < math.inf:
            raise ValueError(
                f"the rate limit must be a number of requests per second > 0; got {rate!r}"
            )
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, 2 * self.rate)
        #: client -> (tokens, when they were counted), the least recently seen first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float) -> float:
        """Take a token for ``client`` at ``now`` (monotonic seconds): 0.0 if it had one, else
        the seconds until it has one (nothing is taken then)."""
        tokens, then = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - then) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > CLIENTS_KEPT:
            del self._buckets[next(iter(self._buckets))]
        return wait
