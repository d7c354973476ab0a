"""Which tracker is due next: a heap of deadlines, shared by the live drivers (no I/O)."""

from __future__ import annotations

import heapq
import itertools
from typing import Generic, TypeVar

T = TypeVar("T")


class DeadlineQueue(Generic[T]):
    """Items by their next deadline; setting a new deadline for an item replaces the old one."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, T]] = []
        self._when: dict[T, float] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._when)

    def set(self, item: T, deadline: float | None) -> None:
        """``item`` is next due at ``deadline`` (None: not at all)."""
        if deadline is None:
            self._when.pop(item, None)
            return
        if self._when.get(item) == deadline:
            return
        self._when[item] = deadline
        heapq.heappush(self._heap, (deadline, next(self._order), item))
        if len(self._heap) > 4 * len(self._when) + 64:
            self._compact()

    def discard(self, item: T) -> None:
        """Forget ``item``."""
        self._when.pop(item, None)

    def first(self) -> tuple[float, T] | None:
        """The earliest deadline and its item, or None."""
        heap = self._heap
        while heap:
            deadline, _, item = heap[0]
            if self._when.get(item) == deadline:
                return deadline, item
            heapq.heappop(heap)  # replaced or discarded since
        return None

    def pop(self, item: T) -> None:
        """``item``'s deadline came: it is not due again until set again."""
        self._when.pop(item, None)

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._when.get(entry[2]) == entry[0]]
        heapq.heapify(self._heap)
