"""A simulated player: viewer actions in, the callbacks a real player would make out.

Pure and deterministic: the same actions always give the same callbacks at the same times.
The reference model drives it one action at a time; :func:`viewing_callbacks` runs a whole
:class:`~vtrack.testing.viewing.Viewing` through it.
"""

from __future__ import annotations

from typing import Any

from vtrack.core.callbacks import Callback
from vtrack.core.content import Content, ScheduledAd
from vtrack.testing.viewing import (
    Action,
    AdBreak,
    ChangeQuality,
    ChangeRate,
    Ending,
    NextItem,
    Pause,
    Seek,
    SeekWhilePaused,
    Stall,
    Viewing,
    Watch,
)

#: How close to the end (seconds) a seek may land; a seek to the very end is an end.
SEEK_MARGIN = 0.25


class SimulatedPlayer:
    """One player showing one content item, as its callbacks would report it.

    ``tick`` is how often (wall seconds) it reports its position while playing. After the
    content ends, or the viewer left, further actions make no callbacks (:attr:`done`).
    """

    def __init__(
        self, content: Content, *, start_at: float, tick: float = 1.0, start_position: float = 0.0
    ) -> None:
        if not tick > 0:
            raise ValueError(f"tick must be > 0 seconds; got {tick!r}")
        self.content = content
        self.tick = tick
        self.now = start_at
        self.position = start_position
        self.rate = 1.0
        self.started = False
        self.ended = False
        self.left = False
        self._pods = 0
        self._items = 1

    @property
    def done(self) -> bool:
        """Whether the content ended or the viewer left (actions make nothing any more)."""
        return self.ended or self.left

    @property
    def duration(self) -> float | None:
        return None if self.content.live else self.content.duration

    def _at(self, name: str, **args: Any) -> Callback:
        return Callback(name, self.now, args)

    # ------------------------------------------------------------------ the session's parts
    def start(self, preroll: tuple[float, ...] = ()) -> list[Callback]:
        """Load the content, press play, play a pre-roll pod, render the first frame."""
        if self.started:
            return []
        self.started = True
        out = [self._at("load", content=self.content), self._at("play")]
        if preroll:
            out += self._pod("pre-roll", AdBreak(preroll))
        out.append(self._at("playing", position=self.position))
        return out

    def act(self, action: Action) -> list[Callback]:
        """The callbacks ``action`` makes (none once :attr:`done`)."""
        if self.done or not self.started:
            return []
        if isinstance(action, Watch):
            return self._watch(action.seconds)
        if isinstance(action, Pause):
            out = [self._at("pause")]
            self.now += action.seconds
            return [*out, self._at("play"), self._at("playing", position=self.position)]
        if isinstance(action, Seek):
            return self._seek(action.to, action.seconds)
        if isinstance(action, SeekWhilePaused):
            out = [self._at("pause")]
            target = self._seek_target(action.to)
            out.append(self._at("seeking", position=target))
            self.now += action.seconds
            self.position = target
            out.append(self._at("seeked", position=target))
            return [*out, self._at("play"), self._at("playing", position=target)]
        if isinstance(action, Stall):
            out = [self._at("waiting")]
            self.now += action.seconds
            return [*out, self._at("playing", position=self.position)]
        if isinstance(action, ChangeRate):
            self.rate = action.rate
            return [self._at("ratechange", rate=action.rate)]
        if isinstance(action, ChangeQuality):
            return [self._at("quality", bitrate=action.bitrate, framerate=action.framerate)]
        if isinstance(action, AdBreak):
            out = self._pod("mid-roll", action)
            return [*out, self._at("playing", position=self.position)]
        if isinstance(action, NextItem):
            self._items += 1
            self.content = Content(
                asset_id=f"video-{self._items}",
                duration=action.duration,
                title=f"Item {self._items}",
            )
            self.position = 0.0
            return [self._at("load", content=self.content), self._at("playing", position=0.0)]
        raise TypeError(f"not a viewer action: {action!r}")

    def pass_time(self, seconds: float) -> list[Callback]:
        """``seconds`` go by without a position report (a throttled background tab); the
        content plays on, and its end is still reported."""
        if not self.started or self.done:
            self.now += seconds
            return []
        duration = self.duration
        if duration is not None and self.position + seconds * self.rate >= duration:
            to_end = (duration - self.position) / self.rate
            self.now += to_end
            self.position = duration
            out = self._reach_end()
            self.now += seconds - to_end
            return out
        self.now += seconds
        self.position += seconds * self.rate
        return []

    def finish(self, ending: Ending) -> list[Callback]:
        """End the viewing: play to the end, leave, go silent, be interrupted, or fail."""
        if not self.started or self.left:
            return []
        out: list[Callback] = []
        if ending == "end" and not self.ended:
            duration = self.duration
            if duration is None:
                raise ValueError("a livestream (or unknown duration) has no end to play to")
            out += self._watch(max(duration - self.position, 0.0) / self.rate + self.tick)
        elif ending == "leave":
            out.append(self._at("exit"))
        elif ending == "interrupt":
            out.append(self._at("interrupt", method="network loss"))
        elif ending == "error":
            out.append(self._at("error", message="playback failed", fatal=True))
        if ending in ("leave", "interrupt", "error"):
            self.left = True
        return out

    # ------------------------------------------------------------------ helpers
    def _watch(self, seconds: float) -> list[Callback]:
        out = []
        duration = self.duration
        remaining = seconds
        while remaining > 1e-9:
            step = min(self.tick, remaining)
            remaining -= step
            if duration is not None and self.position + step * self.rate >= duration:
                self.now += (duration - self.position) / self.rate
                self.position = duration
                out += self._reach_end()
                break
            self.now += step
            self.position += step * self.rate
            out.append(self._at("timeupdate", position=self.position))
        return out

    def _reach_end(self) -> list[Callback]:
        """The content's end: its last report, ``ended``, and the post-roll if announced."""
        out = [self._at("timeupdate", position=self.position), self._at("ended")]
        self.ended = True
        postroll = tuple(
            ad.length or 0.0 for ad in self.content.ad_schedule if ad.type == "post-roll"
        )
        if postroll:
            out += self._pod("post-roll", AdBreak(postroll))
        return out

    def _seek_target(self, to: float) -> float:
        target = max(to, 0.0)
        duration = self.duration
        if duration is not None:
            target = min(target, max(duration - SEEK_MARGIN, 0.0))
        return target

    def _seek(self, to: float, seconds: float) -> list[Callback]:
        target = self._seek_target(to)
        out = [self._at("seeking", position=target)]
        self.now += seconds
        self.position = target
        return [*out, self._at("seeked", position=target), self._at("playing", position=target)]

    def _pod(self, kind: str, pod: AdBreak) -> list[Callback]:
        """An ad pod. Ads play at the player's rate, as vtrack's ad playhead assumes."""
        self._pods += 1
        pod_id = "post-roll" if kind == "post-roll" else f"{kind}-{self._pods}"
        lengths = pod.lengths
        out = [self._at("ad_break_start", pod_id=pod_id, type=kind, ad_count=len(lengths))]
        for number, length in enumerate(lengths, 1):
            out.append(self._at("ad_start", asset_id=f"{pod_id}-ad-{number}", length=length))
            skip = number <= len(pod.skipped) and pod.skipped[number - 1]
            watched = length / 2 if skip else length
            halfway = length / 2 if number == 1 else None
            played = 0.0
            while played < watched - 1e-9:
                step = min(self.tick * self.rate, watched - played)
                if halfway is not None and played < halfway <= played + step:
                    step = halfway - played
                played += step
                self.now += step / self.rate
                out.append(self._at("timeupdate", position=played))
                if halfway is not None and played >= halfway:
                    halfway = None
                    out += self._interrupt_ad(pod, played)
            out.append(self._at("ad_skip" if skip else "ad_end"))
        out.append(self._at("ad_break_end"))
        return out

    def _interrupt_ad(self, pod: AdBreak, position: float) -> list[Callback]:
        out: list[Callback] = []
        if pod.pause_seconds > 0:
            out.append(self._at("pause"))
            self.now += pod.pause_seconds
            out += [self._at("play"), self._at("playing", position=position)]
        if pod.stall_seconds > 0:
            out.append(self._at("waiting"))
            self.now += pod.stall_seconds
            out.append(self._at("playing", position=position))
        return out


def content_for(viewing: Viewing) -> Content:
    """The content item a viewing shows (its post-roll announced in the ad schedule)."""
    postroll = tuple(
        ScheduledAd(f"post-roll-ad-{n}", "post-roll", "post-roll", length)
        for n, length in enumerate(viewing.postroll, 1)
    )
    return Content(
        asset_id=viewing.asset_id,
        duration=viewing.duration,
        live=viewing.live,
        title=f"Title of {viewing.asset_id}",
        ad_schedule=postroll,
    )


def viewing_callbacks(viewing: Viewing) -> list[Callback]:
    """Every callback a player makes for ``viewing``, in order, with its time."""
    player = SimulatedPlayer(
        content_for(viewing),
        start_at=viewing.start_at,
        tick=viewing.tick,
        start_position=viewing.start_position,
    )
    out = player.start(viewing.preroll)
    for action in viewing.actions:
        out += player.act(action)
    return out + player.finish(viewing.ending)
