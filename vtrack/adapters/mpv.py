"""mpv through python-mpv: attach to an ``mpv.MPV`` with one call.

The adapter observes ``pause``, ``time-pos`` (throttled), ``duration``, ``seeking``,
``paused-for-cache``, ``eof-reached`` and ``speed``, and listens to ``start-file``,
``file-loaded``, ``playback-restart``, ``seek``, ``end-file`` and ``shutdown``. What they mean
(and mpv's traps) is :class:`vtrack.players.MpvTranslator`'s knowledge, shared with
``vtrack replay --dialect mpv``.

The callbacks run on python-mpv's event thread; they never call back into the player (reading
``player.time_pos`` there raced with ``terminate()`` and crashed in trials): they use the
values mpv hands them.
"""

from __future__ import annotations

from typing import Any, Final

from vtrack.adapters.translated import TranslatedPlayer
from vtrack.core.content import Content
from vtrack.live.tracker import Tracker
from vtrack.players.base import MIN_STALL
from vtrack.players.mpv import EVENTS, PROPERTIES, MpvTranslator

#: ``time-pos`` changes every frame; the session needs far fewer (it interpolates).
TIME_POS_INTERVAL: Final = 0.25


class MpvAdapter(TranslatedPlayer[MpvTranslator]):
    """A live session fed by an ``mpv.MPV`` player (see :func:`attach_mpv`)."""

    def __init__(
        self,
        player: Any,
        tracker: Tracker,
        *,
        content: Content | None = None,
        min_stall: float = MIN_STALL,
    ) -> None:
        super().__init__(tracker, MpvTranslator(min_stall=min_stall), content=content)
        self.player = player
        self._last_time_pos = float("-inf")
        for name in PROPERTIES:
            player.observe_property(name, self._on_property)
        player.register_event_callback(self._on_event)

    def _on_property(self, name: str, value: Any) -> None:
        if name == "time-pos" and self._skippable(value):
            return
        self._feed({"property": name, "value": value})

    def _skippable(self, position: Any) -> bool:
        """Whether a ``time-pos`` can be left out: playback goes on as the last one said.

        Never during a seek or before the first frame (the target of a seek arrives as one),
        nor a jump.
        """
        translator = self.translator
        now = self.tracker.clock()
        if (
            isinstance(position, float)
            and translator.started
            and not translator.seeking
            and not translator.ended
            and not translator.holding
            and now - self._last_time_pos < TIME_POS_INTERVAL
            and translator.position is not None
            and 0.0 <= position - translator.position < 1.0
        ):
            return True
        self._last_time_pos = now
        return False

    def _on_event(self, event: Any) -> None:
        # Read the event now: python-mpv reuses the structure for the next one.
        data = event.as_dict(decoder=_text)
        name = data.get("event")
        if name not in EVENTS:
            return
        raw: dict[str, Any] = {"event": name}
        if name == "end-file":
            raw["reason"] = data.get("reason")
        self._feed(raw)


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def attach_mpv(
    player: Any,
    session_id: str,
    *,
    sink: Any,
    content: Content | None = None,
    min_stall: float = MIN_STALL,
    **options: Any,
) -> MpvAdapter:
    """Track the playback of ``player`` (an ``mpv.MPV``) as session ``session_id``.

    ``options`` go to :class:`~vtrack.live.Tracker` (``user_id`` / ``anonymous_id``,
    ``heartbeat``, ``profile``, ``driver``, ...). ``min_stall``: buffering shorter than this
    many seconds is no stall (:data:`vtrack.players.base.MIN_STALL`). Attach before
    ``player.play(...)``.
    """
    tracker = Tracker(session_id, sink=sink, **options)
    return MpvAdapter(player, tracker, content=content, min_stall=min_stall)
