"""What a viewer does, as data: the script every generated session and log is made from.

A :class:`Viewing` is player-agnostic: the same script becomes vtrack callbacks
(:mod:`vtrack.testing.strategies`) or the raw log of a particular player
(:mod:`vtrack.testing.dialect_logs`). Durations are whole quarter seconds, so generated
times add up exactly and counterexamples read well.
"""

from __future__ import annotations

from typing import Literal

import attrs

#: How a viewing ends: the content plays to its end, the viewer leaves, or the log just stops.
Ending = Literal["end", "leave", "silent"]


@attrs.frozen
class Watch:
    """Play on for ``seconds`` of wall time (the position moves ``seconds * rate``)."""

    seconds: float


@attrs.frozen
class Pause:
    """Pause, stay paused ``seconds``, press play again."""

    seconds: float


@attrs.frozen
class Seek:
    """Seek to ``to`` seconds of content (clamped to the content); the seek takes ``seconds``."""

    to: float
    seconds: float = 0.25


@attrs.frozen
class Stall:
    """Playback stalls for lack of data for ``seconds``, then goes on."""

    seconds: float


@attrs.frozen
class ChangeRate:
    """The viewer picks a playback rate (1.0 is normal speed)."""

    rate: float


@attrs.frozen
class ChangeQuality:
    """The stream switches rendition (a player without the notion ignores it)."""

    bitrate: int
    framerate: float | None = None


@attrs.frozen
class AdBreak:
    """A mid-roll pod: ads of these lengths (seconds) play; an ad marked skipped is skipped
    halfway. Players without ads (the raw dialects) ignore it."""

    lengths: tuple[float, ...]
    skipped: tuple[bool, ...] = ()


Action = Watch | Pause | Seek | Stall | ChangeRate | ChangeQuality | AdBreak


@attrs.frozen
class Viewing:
    """One viewer's session: the content, what they did, and how it ended.

    ``duration`` is ``None`` for a livestream (``live``) or content whose length the player
    never learns. ``preroll`` holds the lengths of a pre-roll pod's ads (empty: none).
    ``tick`` is how often, in wall seconds, the player reports its position while playing
    (HTML5 players: about 0.25 s).
    """

    duration: float | None
    actions: tuple[Action, ...]
    ending: Ending = "leave"
    live: bool = False
    start_position: float = 0.0
    preroll: tuple[float, ...] = ()
    tick: float = 1.0
    start_at: float = 1_700_000_000.0
    asset_id: str = "video-1"
    session_id: str = "session-1"
    viewer: str = "viewer-1"
