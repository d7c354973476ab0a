"""What a replay counts as it goes (:class:`ReplayStats`)."""

from __future__ import annotations

from collections import Counter

import attrs


@attrs.define
class ReplayStats:
    """What a replay did: counted as it goes, complete once :meth:`Replayer.finish` ran (or
    :meth:`Replayer.finish_lazily` was iterated to its end)."""

    sessions: int = 0
    callbacks: int = 0
    events: Counter[str] = attrs.field(factory=Counter)
    #: Callbacks the sessions absorbed (:attr:`vtrack.Session.anomalies`), by callback and state.
    anomalies: Counter[str] = attrs.field(factory=Counter)
    #: Sessions still open at the end of the input (exited there unless kept open).
    open_at_end: int = 0
    #: Sessions ended at their last record to keep the open ones within the bound.
    ended_early: int = 0

    @property
    def anomaly_count(self) -> int:
        """How many callbacks were absorbed."""
        return sum(self.anomalies.values())
