"""VLC through python-vlc: attach to a ``vlc.MediaPlayer`` with one call.

The adapter listens to the media player's Opening, Buffering, Playing, Paused, Stopped,
EndReached, EncounteredError, TimeChanged and LengthChanged events. What they mean (and
libVLC's traps: the buffering burst of a seek) is :class:`vtrack.players.VlcTranslator`'s
knowledge, shared with ``vtrack replay --dialect vlc``. libVLC has no rate-change event: change
the rate with :meth:`VlcAdapter.set_rate`, which tells the session too.

libVLC calls from its own threads; the callbacks never call libVLC (that can deadlock): they
use the values the events carry.
"""

from __future__ import annotations

from typing import Any, Final

from vtrack.adapters.translated import TranslatedPlayer
from vtrack.core.content import Content
from vtrack.live.tracker import Tracker
from vtrack.players.base import MIN_STALL
from vtrack.players.vlc import VlcTranslator

#: The events listened to, and the payload field each carries in ``event.u``.
EVENTS: Final = {
    "MediaPlayerOpening": None,
    "MediaPlayerBuffering": ("new_cache", "cache"),
    "MediaPlayerPlaying": None,
    "MediaPlayerPaused": None,
    "MediaPlayerStopped": None,
    "MediaPlayerEndReached": None,
    "MediaPlayerEncounteredError": None,
    "MediaPlayerTimeChanged": ("new_time", "time"),
    "MediaPlayerLengthChanged": ("new_length", "length"),
}


class VlcAdapter(TranslatedPlayer[VlcTranslator]):
    """A live session fed by a ``vlc.MediaPlayer`` (see :func:`attach_vlc`)."""

    def __init__(
        self,
        player: Any,
        tracker: Tracker,
        *,
        content: Content | None = None,
        min_stall: float = MIN_STALL,
    ) -> None:
        super().__init__(tracker, VlcTranslator(min_stall=min_stall), content=content)
        self.player = player
        # Kept: python-vlc frees the callbacks with the event manager object.
        self._manager = player.event_manager()
        import vlc  # the caller has it: it made the player

        for name, payload in EVENTS.items():
            event_type = getattr(vlc.EventType, name)
            self._manager.event_attach(event_type, self._on_event, name, payload)

    def _on_event(self, event: Any, name: str, payload: tuple[str, str] | None) -> None:
        raw: dict[str, Any] = {"event": name}
        if payload is not None:
            field, key = payload
            raw[key] = getattr(event.u, field)
        self._feed(raw)

    def set_rate(self, rate: float) -> None:
        """Change the playback rate on the player and tell the session (not from a callback)."""
        self.player.set_rate(rate)
        self._feed({"event": "RateChanged", "rate": float(rate)})


def attach_vlc(
    player: Any,
    session_id: str,
    *,
    sink: Any,
    content: Content | None = None,
    min_stall: float = MIN_STALL,
    **options: Any,
) -> VlcAdapter:
    """Track the playback of ``player`` (a ``vlc.MediaPlayer``) as session ``session_id``.

    ``options`` go to :class:`~vtrack.live.Tracker`. ``min_stall``: buffering shorter than
    this many seconds is no stall (:data:`vtrack.players.base.MIN_STALL`). Attach before
    ``player.play()``.
    """
    tracker = Tracker(session_id, sink=sink, **options)
    return VlcAdapter(player, tracker, content=content, min_stall=min_stall)
