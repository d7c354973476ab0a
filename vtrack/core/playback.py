"""What a session is playing: the content item, its place in the playlist, the ad pod and ad.

A :class:`PlaybackState` holds the facts messages are made of (besides time and position)
and the bookkeeping that keeps them right: the playback's total length across items and ads,
which scheduled ad an ad is, how many post-roll pods are still to come, the quality figures.
It decides nothing about states (the machine does) or deadlines (the clockwork does).
"""

from __future__ import annotations

from typing import Any

import attrs

from vtrack.core.content import Content, ScheduledAd, usable_length
from vtrack.core.playhead import Playhead

#: The quality facts, in the order :attr:`PlaybackState.quality` holds them.
QUALITY_FIELDS = (
    "bitrate",
    "framerate",
    "quality",
    "dropped_frames",
    "startup_time",
    "sound",
    "full_screen",
)
_NO_QUALITY: tuple[Any, ...] = (None,) * len(QUALITY_FIELDS)


@attrs.frozen(cache_hash=True)
class AdBreak:
    """The ad pod being played: where it sits (``placement``: pre, mid or post) and its ads."""

    placement: str
    pod_id: str | None
    type: str | None
    ad_count: int | None


@attrs.frozen(cache_hash=True)
class AdInfo:
    """What the player said of the ad being played (its length: None when unknown)."""

    asset_id: str | None
    title: str | None
    publisher: str | None
    load_type: str | None
    pod_position: int
    length: float | None


@attrs.define(slots=True)
class AdPlay:
    """The ad being played and its playhead."""

    info: AdInfo
    head: Playhead


def typed_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key telling ``values`` apart from equal values of other types (1, 1.0, True)."""
    return (values, tuple(map(type, values)))


_NO_QUALITY_KEY: tuple[Any, ...] = typed_key(_NO_QUALITY)


class PlaybackState:
    """The content, ad pod, ad and quality of one session, and the playback's bookkeeping."""

    __slots__ = (
        "ad",
        "ad_total",
        "ads_seen",
        "ads_started",
        "brk",
        "content",
        "content_started",
        "head",
        "item_ended",
        "item_number",
        "playlist",
        "pod_index",
        "postrolls_left",
        "postrolls_played",
        "prior_length",
        "quality",
        "quality_key",
        "resumed_during_seek",
        "schedule_used",
        "seek_resumes",
        "seek_to",
    )

    def __init__(self) -> None:
        self.content: Content | None = None
        #: The content item's playhead.
        self.head = Playhead()
        self.content_started = False
        self.item_number = 0
        self.playlist: tuple[str, ...] = ()
        self.pod_index = 0
        #: Seconds of playback before this item (earlier items, as far as they were played).
        self.prior_length = 0.0
        self.item_ended = False
        self.postrolls_played = 0
        self.postrolls_left = 0
        #: Indexes of the scheduled ads already matched to an ad that played.
        self.schedule_used: set[int] | None = None
        self.brk: AdBreak | None = None
        self.ads_started = 0
        self.ad: AdPlay | None = None
        #: Seconds of ads played so far, and the length of every ad of the playback (None:
        #: unknown, so the playback's total length is unknown too).
        self.ads_seen = 0.0
        self.ad_total: float | None = 0.0
        self.seek_to = 0.0
        self.seek_resumes = False
        self.resumed_during_seek = False
        self.quality: tuple[Any, ...] = _NO_QUALITY
        self.quality_key = _NO_QUALITY_KEY

    # ------------------------------------------------------------------ derived facts
    def content_pod_id(self) -> str | None:
        """The content pod playing (the last one once the player has gone past them all)."""
        content = self.content
        pods = content.pod_ids if content is not None else ()
        return pods[min(self.pod_index, len(pods) - 1)] if pods else None

    def total_length(self) -> float | None:
        """The playback's total length: earlier items, this one and every ad (None: unknown)."""
        length = self.head.length
        if length is None or self.ad_total is None:
            return None
        return self.prior_length + length + self.ad_total

    def nothing_left_to_play(self) -> bool:
        """No post-roll pod and no playlist item is still to come."""
        return self.postrolls_left <= 0 and self.item_number >= len(self.playlist)

    def playing_head(self, in_ad: bool) -> Playhead:
        """The ad's playhead in an ad (while there is one), else the content's."""
        ad = self.ad
        return ad.head if in_ad and ad is not None else self.head

    # ------------------------------------------------------------------ content items
    def begin_item(self, content: Content, first: bool, now: float) -> None:
        """``content`` starts: the first item of the session, or the next of a playlist."""
        head = self.head
        if first:
            self.item_number = 1
            self.ad_total = 0.0
        else:
            self.item_number += 1
            # The playback goes on from where the previous item stopped: its whole length if
            # it ended, else as far as it was played.
            ended_length = head.length if self.item_ended else None
            self.prior_length += ended_length if ended_length is not None else head.pos
        self.content = content
        if content.playlist:
            self.playlist = content.playlist
        self.pod_index = 0
        self.content_started = False
        self.item_ended = False
        self.schedule_used = None
        self.postrolls_played = 0
        self.head = Playhead(at=now, rate=head.rate, length=content.length)
        scheduled = schedule_total(content.ad_schedule)
        if scheduled is None:
            self.ad_total = None
        elif scheduled and self.ad_total is not None:
            self.ad_total += scheduled
        self.postrolls_left = postroll_pods(content)

    def update_content(self, content: Content) -> None:
        """The item playing was loaded again with new metadata (the same asset)."""
        old = self.content
        old_total = schedule_total(old.ad_schedule) if old is not None else 0.0
        new_total = schedule_total(content.ad_schedule)
        if self.ad_total is not None:
            self.ad_total = (
                None
                if old_total is None or new_total is None
                else self.ad_total - old_total + new_total
            )
        self.content = content
        if content.playlist:
            self.playlist = content.playlist
        self.postrolls_left = max(0, postroll_pods(content) - self.postrolls_played)
        if old is not None and old.ad_schedule != content.ad_schedule:
            self.schedule_used = None  # its positions were in the old schedule
        self.set_length(content.length)

    def set_length(self, length: float | None) -> None:
        """The content's length is now ``length`` (None: unknown)."""
        head = self.head
        head.length = length
        if length is not None and head.pos > length:
            head.pos = length

    # ------------------------------------------------------------------ ads
    def start_break(self, placement: str, default_type: str, args: dict[str, Any]) -> None:
        """An ad pod starts at ``placement`` (pre, mid or post)."""
        ad_type = args.get("type") or default_type
        if placement == "post" or ad_type == "post-roll":
            # A post-roll announced before `ended` counts too: nothing is pending after it.
            self.postrolls_played += 1
            self.postrolls_left = max(0, self.postrolls_left - 1)
        self.brk = AdBreak(placement, args.get("pod_id"), ad_type, args.get("ad_count"))
        self.ads_started = 0

    def start_ad(self, args: dict[str, Any], now: float) -> AdPlay:
        """An ad of the pod starts; it counts in the playback's total length."""
        brk = self.brk
        assert brk is not None
        self.ads_started += 1
        asset_id = args.get("asset_id")
        length = usable_length(args.get("length"))
        scheduled = self.match_scheduled(asset_id, brk.pod_id)
        if scheduled is not None:
            planned = usable_length(scheduled.length)
            if length is None:
                length = planned
            elif planned is not None and self.ad_total is not None:
                self.ad_total += length - planned  # the ad is not as long as announced
        elif self.ad_total is not None:
            # An ad outside the schedule adds its length; of unknown length, the playback's
            # total length becomes unknown too (and is left out rather than wrong).
            self.ad_total = None if length is None else self.ad_total + length
        info = AdInfo(
            asset_id=asset_id,
            title=args.get("title"),
            publisher=args.get("publisher"),
            load_type=args.get("load_type"),
            pod_position=args.get("pod_position") or self.ads_started,
            length=length,
        )
        self.ad = AdPlay(info, Playhead(at=now, rate=self.head.rate, length=length))
        return self.ad

    def finish_ad(self) -> None:
        """The ad is over: what of it played counts in the playback's position."""
        ad = self.ad
        if ad is not None:
            self.ads_seen += ad.head.pos
            self.ad = None

    def match_scheduled(self, asset_id: str | None, pod_id: str | None) -> ScheduledAd | None:
        """The scheduled ad this one is, each scheduled ad matching at most once."""
        if self.content is None:
            return None
        used = self.schedule_used if self.schedule_used is not None else set()
        free = [(i, ad) for i, ad in enumerate(self.content.ad_schedule) if i not in used]
        # The same asset in the same pod, else the same asset, else the next ad of the pod.
        same_asset = [(i, ad) for i, ad in free if asset_id is not None and ad.asset_id == asset_id]
        same_pod = [(i, ad) for i, ad in free if pod_id is not None and ad.pod_id == pod_id]
        ranked = [i for i, ad in same_asset if ad.pod_id == pod_id]
        ranked += [i for i, _ in same_asset] + [i for i, _ in same_pod]
        if not ranked:
            return None
        used.add(ranked[0])
        self.schedule_used = used
        return self.content.ad_schedule[ranked[0]]

    # ------------------------------------------------------------------ observations
    def set_rate(self, rate: float) -> None:
        """Both playheads move at ``rate`` from now on."""
        self.head.rate = rate
        if self.ad is not None:
            self.ad.head.rate = rate

    def update_quality(self, changes: dict[str, Any]) -> bool:
        """Take the quality figures given (None: unchanged); whether one really changed."""
        new = tuple(
            [
                old if changes.get(name) is None else changes[name]
                for name, old in zip(QUALITY_FIELDS, self.quality, strict=True)
            ]
        )
        if new == self.quality:
            return False
        self._set_quality(new)
        return True

    def set_quality_fact(self, name: str, value: Any) -> None:
        """Set one quality fact (``sound``, ``full_screen``, ...) to ``value``."""
        index = QUALITY_FIELDS.index(name)
        self._set_quality((*self.quality[:index], value, *self.quality[index + 1 :]))

    def _set_quality(self, values: tuple[Any, ...]) -> None:
        self.quality = values
        self.quality_key = typed_key(values)


def schedule_total(schedule: tuple[ScheduledAd, ...]) -> float | None:
    """The scheduled ads' total length, or None if one of them has no known length."""
    lengths = [usable_length(ad.length) for ad in schedule]
    return None if None in lengths else sum(length for length in lengths if length is not None)


def postroll_pods(content: Content) -> int:
    """How many post-roll pods the content's ad schedule announces."""
    return len(
        {
            ad.pod_id if ad.pod_id is not None else index
            for index, ad in enumerate(content.ad_schedule)
            if ad.type == "post-roll"
        }
    )
