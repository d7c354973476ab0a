"""What a viewer does, as data: the script every generated session and log is made from.

A :class:`Viewing` is player-agnostic: the same script becomes vtrack callbacks
(:mod:`vtrack.testing.strategies`) or the raw log of a particular player
(:mod:`vtrack.testing.dialect_logs`). Durations are whole quarter seconds, so generated
times add up exactly and counterexamples read well.
"""

from __future__ import annotations

from typing import Literal

import attrs

#: How a viewing ends: the content plays to its end (and its post-roll), the viewer leaves,
#: the log just stops, the player is interrupted (network loss), or a fatal error stops it.
Ending = Literal["end", "leave", "silent", "interrupt", "error"]


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
class SeekWhilePaused:
    """Pause, seek to ``to`` while paused (the seek takes ``seconds``), then press play."""

    to: float
    seconds: float = 0.25


@attrs.frozen
class NextItem:
    """The player moves on to the next item of a playlist (of ``duration`` seconds) before
    the current one ends."""

    duration: float


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
    halfway. The viewer may pause the first ad halfway for ``pause_seconds``, or it may stall
    there for ``stall_seconds``. Players without ads (the raw dialects) ignore it."""

    lengths: tuple[float, ...]
    skipped: tuple[bool, ...] = ()
    pause_seconds: float = 0.0
    stall_seconds: float = 0.0


Action = (
    Watch | Pause | Seek | SeekWhilePaused | Stall | ChangeRate | ChangeQuality | AdBreak | NextItem
)


@attrs.frozen
class Viewing:
    """One viewer's session: the content, what they did, and how it ended.

    ``duration`` is ``None`` for a livestream (``live``) or content whose length the player
    never learns. ``preroll`` and ``postroll`` hold the lengths of a pre-roll and a
    post-roll pod's ads (empty: none; the post-roll is announced in the content's ad
    schedule and plays when the content ends).
    ``tick`` is how often, in wall seconds, the player reports its position while playing
    (HTML5 players: about 0.25 s).
    """

    duration: float | None
    actions: tuple[Action, ...]
    ending: Ending = "leave"
    live: bool = False
    start_position: float = 0.0
    preroll: tuple[float, ...] = ()
    postroll: tuple[float, ...] = ()
    tick: float = 1.0
    start_at: float = 1_700_000_000.0
    asset_id: str = "video-1"
    session_id: str = "session-1"
    viewer: str = "viewer-1"
