"""A live session fed through a player translator, with a timer for what it holds.

A translator holds a callback while the player's next event may change its meaning (a
buffering that may be a refill, a pause that may be mpv reaching the end). In a replay the
next record settles it; live, the player may say nothing for a long time (``time-pos`` stands
still through a stall). :class:`TranslatedPlayer` arms a timer for the translator's
``due_at`` and tells what fell due then; closing tells whatever is still held.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from vtrack.adapters.generic import PlayerAdapter
from vtrack.core.content import Content
from vtrack.live.tracker import Tracker
from vtrack.players.base import Translator

T = TypeVar("T", bound=Translator)


class TranslatedPlayer(PlayerAdapter, Generic[T]):
    """The part the mpv and VLC adapters share: feed, hold timer, detach, close."""

    def __init__(self, tracker: Tracker, translator: T, *, content: Content | None = None) -> None:
        super().__init__(tracker, content=content)
        self.translator = translator
        self._attached = True
        self._timer: threading.Timer | None = None

    def _feed(self, raw: dict[str, Any]) -> None:
        # The tracker's own (reentrant) lock: translating and applying are one step, and a
        # sink callback that closes the adapter from in here cannot deadlock.
        with self.tracker.lock:
            if not self._attached:
                return
            self.apply(self.translator.feed(self.tracker.clock(), raw))
            self._arm()

    def _arm(self) -> None:
        """A timer for when what the translator holds falls due (if anything)."""
        due = self.translator.due_at
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if due is None:
            return
        delay = max(0.0, due - self.tracker.clock())
        self._timer = threading.Timer(delay, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self.tracker.lock:
            if not self._attached:
                return
            self.apply(self.translator.expire(self.tracker.clock()))
            self._arm()

    def detach(self) -> None:
        """Stop listening to the player (the session stays open; :meth:`close` ends it).

        The player is not called: it may be gone already (a terminated mpv, a released
        libVLC player). Its later events are ignored.
        """
        with self.tracker.lock:
            self._attached = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def close(self) -> None:
        """Stop listening, tell what the translator still holds, send Video Playback
        Exited, flush, stop timing."""
        with self.tracker.lock:
            attached = self._attached
            self.detach()
            if attached:
                self.apply(self.translator.release(self.tracker.clock()))
        super().close()
