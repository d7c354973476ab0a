"""Many sessions' messages, interleaved, in; one summary per session out, as each one ends.

Memory holds the sessions still open, not the messages: a session's summary is handed out
when it exits or is interrupted, and the others when the stream ends (:meth:`finish`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from vtrack.profiles import base as kinds
from vtrack.stats.summary import SessionStats
from vtrack.stats.tracker import SessionTracker
from vtrack.stats.vocabulary import BadMessage, Event, read_event


class StatsCollector:
    """Summarises playback sessions from a stream of Segment video messages.

    Feed each message to :meth:`add` (it returns the summaries of the sessions that message
    ended), then call :meth:`finish` for the sessions still open. Messages of a session must
    come in the order of their timestamps; sessions may interleave. A session is its
    ``properties.session_id`` and its viewer (``userId``, else ``anonymousId``); a Video
    Playback Started for one that is open starts its next session (vtrack reuses a session
    id when the player plays on after a session ended). A Video Quality Updated (which has no
    ``session_id`` in the spec) belongs to its viewer's latest open session.
    """

    def __init__(self, on_update: Callable[[SessionTracker, Event], None] | None = None) -> None:
        #: Called with a session's tracker after it took each event (timelines use it).
        self._on_update = on_update
        self._open: dict[tuple[str, str], SessionTracker] = {}
        #: Each viewer's latest open session: where a Video Quality Updated belongs.
        self._latest: dict[str, tuple[str, str]] = {}
        #: Messages that are not video events (other track calls, identify, page, ...).
        self.ignored = 0
        #: Video events read.
        self.events = 0

    def add(self, message: Any) -> list[SessionStats]:
        """Take one message; returns the summaries of the sessions it ended.

        Raises :class:`~vtrack.stats.BadMessage` (the message is then not counted) for a
        message that is not an object, a video event without properties, ``session_id`` or
        a readable timestamp, or one earlier than the message before it in its session.
        """
        event = read_event(message)
        if event is not None and event.session_id is None:
            key = self._latest.get(event.viewer)
            event = event._replace(session_id=key[1]) if key is not None else None
        if event is None:
            self.ignored += 1
            return []
        key = (event.viewer, event.session_id or "")
        tracker = self._open.get(key)
        done: list[SessionStats] = []
        if tracker is not None and event.kind == kinds.PLAYBACK_STARTED:
            done.append(self._open.pop(key).summary())
            tracker = None
        if tracker is None:
            tracker = self._open[key] = SessionTracker(event)
        elif event.at < tracker.last_at:
            raise BadMessage(
                f"{message.get('event')!r} of session {event.session_id!r} is earlier than "
                "the message before it in that session (messages of a session must come in "
                "the order of their timestamps)"
            )
        tracker.update(event)
        if self._on_update is not None:
            self._on_update(tracker, event)
        self.events += 1
        self._latest[event.viewer] = key
        if tracker.is_over:
            done.append(self._open.pop(key).summary())
            del self._latest[event.viewer]
        return done

    def finish(self) -> list[SessionStats]:
        """The summaries of the sessions still open (``end`` is "open" unless they completed)."""
        done = [tracker.summary() for tracker in self._open.values()]
        self._open.clear()
        self._latest.clear()
        return done

    @property
    def open_sessions(self) -> int:
        """How many sessions are open (held in memory)."""
        return len(self._open)


def summarize(messages: Iterable[Any]) -> Iterator[SessionStats]:
    """The summary of every session in ``messages``, each as soon as it is known.

    Raises :class:`~vtrack.stats.BadMessage` at the first message that cannot be read; use a
    :class:`StatsCollector` to skip bad messages instead.
    """
    collector = StatsCollector()
    for message in messages:
        yield from collector.add(message)
    yield from collector.finish()
