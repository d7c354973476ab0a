"""Any player: plain methods to call from its event hooks (the mpv and VLC adapters use them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from vtrack.core.content import Content
from vtrack.live.tracker import Tracker
from vtrack.players.base import Emitted


class PlayerAdapter:
    """A live session for one player, with one plain method per thing a player reports.

    Call them from the player's hooks, from any thread; each reads the live clock::

        adapter = PlayerAdapter(Tracker("s1", anonymous_id="viewer", sink=sink))
        adapter.on_load(Content(asset_id="ep1", duration=1800.0))
        adapter.on_play()
        adapter.on_playing(position=0.0)
        adapter.on_timeupdate(12.5)
        adapter.close()

    ``content`` is what the player cannot tell (asset id, title, ...); it fills in the
    :meth:`on_load` of translated players, which only know the duration.
    """

    def __init__(self, tracker: Tracker, *, content: Content | None = None) -> None:
        self.tracker = tracker
        self.content = content if content is not None else Content()

    # ------------------------------------------------------------------ content
    def on_load(self, content: Content | None = None, *, duration: float | None = None) -> None:
        """A content item was loaded (``content``, or the adapter's with this duration)."""
        if content is None:
            content = self.content
            if duration is not None:
                content = attrs.evolve(content, duration=duration)
        self.tracker.call("load", content=content)

    def on_duration(self, duration: float | None) -> None:
        """The duration became known or changed."""
        self.tracker.call("durationchange", duration=duration)

    # ------------------------------------------------------------------ playback
    def on_play(self) -> None:
        """The viewer asked for playback (first play, or resume)."""
        self.tracker.call("play")

    def on_playing(self, position: float | None = None) -> None:
        """Frames are rendering (first frame, or again after a stall, seek or pause)."""
        self.tracker.call("playing", position=position)

    def on_pause(self) -> None:
        """The viewer paused."""
        self.tracker.call("pause")

    def on_waiting(self) -> None:
        """Playback stalled (buffering)."""
        self.tracker.call("waiting")

    def on_seeking(self, position: float) -> None:
        """A seek to ``position`` started."""
        self.tracker.call("seeking", position=position)

    def on_seeked(self, position: float | None = None) -> None:
        """The seek finished."""
        self.tracker.call("seeked", position=position)

    def on_timeupdate(self, position: float) -> None:
        """The playhead is at ``position``."""
        self.tracker.call("timeupdate", position=position)

    def on_ended(self) -> None:
        """The content reached its end."""
        self.tracker.call("ended")

    def on_rate(self, rate: float) -> None:
        """The playback rate changed."""
        self.tracker.call("ratechange", rate=rate)

    def on_quality(self, **values: Any) -> None:
        """Quality values changed (``bitrate``, ``framerate``, ``quality``, ...)."""
        self.tracker.call("quality", **values)

    def on_volume(self, level: float) -> None:
        """The volume changed (0-100)."""
        self.tracker.call("volume", level=level)

    def on_fullscreen(self, on: bool) -> None:
        """Full screen was entered or left."""
        self.tracker.call("fullscreen", on=on)

    def on_error(self, message: str = "", *, fatal: bool = False) -> None:
        """The player reported an error (a fatal one interrupts playback)."""
        self.tracker.call("error", message=message, fatal=fatal)

    # ------------------------------------------------------------------ ads
    def on_ad_break_start(
        self, pod_id: str | None = None, type: str | None = None, ad_count: int | None = None
    ) -> None:
        """An ad pod begins."""
        self.tracker.call("ad_break_start", pod_id=pod_id, type=type, ad_count=ad_count)

    def on_ad_start(self, asset_id: str | None = None, **details: Any) -> None:
        """An ad starts (``title``, ``length``, ``pod_position``, ``publisher``, ...)."""
        self.tracker.call("ad_start", asset_id=asset_id, **details)

    def on_ad_end(self) -> None:
        """The ad played to its end."""
        self.tracker.call("ad_end")

    def on_ad_skip(self) -> None:
        """The viewer skipped the ad."""
        self.tracker.call("ad_skip")

    def on_ad_click(self) -> None:
        """The viewer clicked the ad."""
        self.tracker.call("ad_click")

    def on_ad_error(self, message: str = "") -> None:
        """The ad failed."""
        self.tracker.call("ad_error", message=message)

    def on_ad_break_end(self) -> None:
        """The ad pod is over."""
        self.tracker.call("ad_break_end")

    # ------------------------------------------------------------------ the end
    def on_interrupt(self, method: str | None = None) -> None:
        """Playback stopped unintentionally."""
        self.tracker.call("interrupt", method=method)

    def on_exit(self) -> None:
        """The viewer left."""
        self.tracker.call("exit")

    def close(self) -> None:
        """Send Video Playback Exited (if the session is not over), flush, stop timing."""
        self.tracker.close()

    # ------------------------------------------------------------------ translated players
    def apply(self, emitted: Iterable[Emitted]) -> None:
        """Apply what a player translator (:mod:`vtrack.players`) made of a player event."""
        for at, name, args in emitted:
            if name == "load":
                duration = args.get("duration")
                content = self.content
                if duration is not None:
                    content = attrs.evolve(content, duration=duration)
                self.tracker.call_at("load", at, content=content)
            else:
                self.tracker.call_at(name, at, **args)
