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
from vtrack.core.schedule import MilestoneTracker

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
    """The ad being played, its playhead and its quartiles (the clockwork sets and fires them;
    None when the ad's length is unknown)."""

    info: AdInfo
    head: Playhead
    quartiles: MilestoneTracker | None = None


def typed_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key telling ``values`` apart from equal values of other types (1, 1.0, True)."""
    return (values, tuple(map(type, values)))


_NO_QUALITY_KEY: tuple[Any, ...] = typed_key(_NO_QUALITY)


@attrs.define(slots=True, weakref_slot=False)
class AdLedger:
    """A playback's ad bookkeeping.

    Until an ad pod starts (or a second item or new metadata changes the sums), all of it
    follows from the content item: a session holds no ledger then, and reads the one
    :func:`implied_ledger` makes. Most sessions play no ad at all; with hundreds of
    thousands of them open at once, the bytes saved count.
    """

    #: Seconds of ads played so far, and the length of every ad of the playback (None:
    #: unknown, so the playback's total length is unknown too).
    seen: float = 0.0
    total: float | None = 0.0
    #: The content pod playing (the pods between mid-roll breaks), and the ads of this pod.
    pod_index: int = 0
    started: int = 0
    #: Indexes of the scheduled ads already matched to an ad that played.
    schedule_used: set[int] | None = None
    postrolls_played: int = 0
    postrolls_left: int = 0
    #: The ad pod being played.
    brk: AdBreak | None = None


@attrs.define(slots=True, weakref_slot=False)
class ItemProgress:
    """Where the playback is among its content items: made when a content names a playlist,
    the item playing ends or a second item loads (a session playing one item holds none)."""

    #: The asset ids of every item of the playlist, the item playing (1: the first), the
    #: seconds of playback before it (earlier items, as far as they were played), and whether
    #: it ended (then the next item goes on from its whole length).
    playlist: tuple[str, ...] = ()
    number: int = 1
    prior_length: float = 0.0
    ended: bool = False


@attrs.define(slots=True, weakref_slot=False)
class Seek:
    """A seek under way: its target, whether playback resumes after it, and whether the
    viewer resumed while it ran (then the heartbeat comes once frames play again)."""

    to: float
    resumes: bool
    resumed: bool = False


def implied_ledger(content: Content | None) -> AdLedger:
    """The ledger of a first content item on which no ad played yet: its schedule's.

    What a playback without a ledger reads is this (:attr:`PlaybackState.ad_total`,
    ``ads_seen``, ``pod_index``, ``brk``; ``vtrack.core.facts.group_keys`` and the emitter's
    moment read the defaults directly, on every message).
    """
    if content is None:
        return AdLedger()
    return AdLedger(total=implied_ad_total(content), postrolls_left=content.postroll_pods)


def implied_ad_total(content: Content | None) -> float | None:
    """The ads' total length a playback without a ledger has: its content's schedule's."""
    return 0.0 if content is None else content.ads_length


class PlaybackState:
    """The content, ad pod, ad and quality of one session, and the playback's bookkeeping."""

    __slots__ = (
        "ad",
        "ads",
        "content",
        "content_started",
        "head",
        "items",
        "quality_key",
        "seek",
    )

    def __init__(self) -> None:
        self.content: Content | None = None
        #: The content item's playhead.
        self.head = Playhead()
        self.content_started = False
        #: The playlist bookkeeping (None: one item, no playlist; see :class:`ItemProgress`).
        self.items: ItemProgress | None = None
        #: The ad bookkeeping (None: no ad schedule or pod yet, see :class:`AdLedger`).
        self.ads: AdLedger | None = None
        self.ad: AdPlay | None = None
        #: The seek under way (None when none is).
        self.seek: Seek | None = None
        #: The quality figures (see :data:`QUALITY_FIELDS`) with their types.
        self.quality_key = _NO_QUALITY_KEY

    @property
    def quality(self) -> tuple[Any, ...]:
        """The quality figures, in the order of :data:`QUALITY_FIELDS`."""
        values: tuple[Any, ...] = self.quality_key[0]
        return values

    @property
    def item_number(self) -> int:
        """The content item playing: 1 for the first, 0 before any.

        An item first loaded once playback started (a play or pre-roll before any load) is
        not counted: it stays 0, as it always was.
        """
        items = self.items
        if items is not None:
            return items.number
        return 0 if self.content is None else 1

    @property
    def item_ended(self) -> bool:
        """Whether the item playing ended."""
        items = self.items
        return items is not None and items.ended

    def end_item(self) -> None:
        """The item playing ended."""
        if self.items is None:
            self.items = ItemProgress(number=self.item_number)
        self.items.ended = True

    @property
    def playlist(self) -> tuple[str, ...]:
        """The asset ids of every item of the playlist (empty: none named)."""
        items = self.items
        return () if items is None else items.playlist

    @property
    def prior_length(self) -> float:
        """Seconds of playback before this item (earlier items, as far as they were played)."""
        items = self.items
        return 0.0 if items is None else items.prior_length

    @property
    def brk(self) -> AdBreak | None:
        """The ad pod being played."""
        ads = self.ads
        return None if ads is None else ads.brk

    @property
    def ad_total(self) -> float | None:
        """The length of every ad of the playback (None: unknown)."""
        ads = self.ads
        return ads.total if ads is not None else implied_ad_total(self.content)

    @property
    def ads_seen(self) -> float:
        """Seconds of ads played so far."""
        ads = self.ads
        return 0.0 if ads is None else ads.seen

    @property
    def pod_index(self) -> int:
        """The content pod playing: how many mid-roll breaks of this item are over."""
        ads = self.ads
        return 0 if ads is None else ads.pod_index

    def ledger(self) -> AdLedger:
        """The ad bookkeeping, made now if the playback had none."""
        ads = self.ads
        if ads is None:
            ads = self.ads = implied_ledger(self.content)
        return ads

    # ------------------------------------------------------------------ derived facts
    def content_pod_id(self) -> str | None:
        """The content pod playing (the last one once the player has gone past them all)."""
        content = self.content
        pods = content.pod_ids if content is not None else ()
        return pods[min(self.pod_index, len(pods) - 1)] if pods else None

    def total_length(self) -> float | None:
        """The playback's total length: earlier items, this one and every ad (None: unknown)."""
        length = self.head.length
        if length is None:
            return None
        ads, items = self.ads, self.items
        ad_total = ads.total if ads is not None else implied_ad_total(self.content)
        if ad_total is None:
            return None
        return (0.0 if items is None else items.prior_length) + length + ad_total

    def nothing_left_to_play(self) -> bool:
        """No post-roll pod and no playlist item is still to come."""
        ads = self.ads
        content = self.content
        if ads is not None:
            postrolls_left = ads.postrolls_left
        else:
            postrolls_left = 0 if content is None else content.postroll_pods
        return postrolls_left <= 0 and self.item_number >= len(self.playlist)

    def playing_head(self, in_ad: bool) -> Playhead:
        """The ad's playhead in an ad (while there is one), else the content's."""
        ad = self.ad
        return ad.head if in_ad and ad is not None else self.head

    # ------------------------------------------------------------------ content items
    def begin_item(self, content: Content, first: bool, now: float) -> None:
        """``content`` starts: the first item of the session, or the next of a playlist."""
        head = self.head
        ads = self._working_ledger()
        if first:
            ads.total = 0.0
            items = self.items
            if items is not None:
                items.number, items.ended = 1, False
            elif content.playlist:
                items = self.items = ItemProgress()
            if items is not None and content.playlist:
                items.playlist = content.playlist
        else:
            items = self.items if self.items is not None else ItemProgress()
            items.number = self.item_number + 1
            # The playback goes on from where the previous item stopped: its whole length if
            # it ended, else as far as it was played.
            ended_length = head.length if self.item_ended else None
            items.prior_length += ended_length if ended_length is not None else head.pos
            items.ended = False
            if content.playlist:
                items.playlist = content.playlist
            self.items = items
        self.content = content
        self.content_started = False
        ads.pod_index = 0
        ads.schedule_used = None
        ads.postrolls_played = 0
        self.head = Playhead(at=now, rate=head.rate, length=content.length)
        scheduled = content.ads_length
        if scheduled is None:
            ads.total = None
        elif scheduled and ads.total is not None:
            ads.total += scheduled
        ads.postrolls_left = content.postroll_pods
        self._keep(ads)

    def update_content(self, content: Content) -> None:
        """The item playing was loaded again with new metadata (the same asset)."""
        old = self.content
        ads = self._working_ledger()
        old_total = old.ads_length if old is not None else 0.0
        new_total = content.ads_length
        if ads.total is not None:
            ads.total = (
                None
                if old_total is None or new_total is None
                else ads.total - old_total + new_total
            )
        number = self.item_number  # before the content: an item first loaded here is not counted
        self.content = content
        items = self.items
        if items is None and (content.playlist or number != self.item_number):
            items = self.items = ItemProgress(number=number)
        if items is not None and content.playlist:
            items.playlist = content.playlist
        ads.postrolls_left = max(0, content.postroll_pods - ads.postrolls_played)
        if old is not None and old.ad_schedule != content.ad_schedule:
            ads.schedule_used = None  # its positions were in the old schedule
        self._keep(ads)
        self.set_length(content.length)

    def _working_ledger(self) -> AdLedger:
        """The ad bookkeeping to change, held again by :meth:`_keep` if it must be."""
        ads = self.ads
        return implied_ledger(self.content) if ads is None else ads

    def _keep(self, ads: AdLedger) -> None:
        """Hold ``ads`` unless the content item implies all of it."""
        # Field by field: compiled (setup.py), `==` on attrs instances compares identities.
        implied = attrs.astuple(implied_ledger(self.content), recurse=False)
        self.ads = None if attrs.astuple(ads, recurse=False) == implied else ads

    def set_length(self, length: float | None) -> None:
        """The content's length is now ``length`` (None: unknown)."""
        head = self.head
        head.length = length
        if length is not None and head.pos > length:
            head.pos = length

    # ------------------------------------------------------------------ ads
    def start_break(self, placement: str, default_type: str, args: dict[str, Any]) -> None:
        """An ad pod starts at ``placement`` (pre, mid or post)."""
        ads = self.ledger()
        ad_type = args.get("type") or default_type
        if placement == "post" or ad_type == "post-roll":
            # A post-roll announced before `ended` counts too: nothing is pending after it.
            ads.postrolls_played += 1
            ads.postrolls_left = max(0, ads.postrolls_left - 1)
        ads.brk = AdBreak(placement, args.get("pod_id"), ad_type, args.get("ad_count"))
        ads.started = 0

    def end_break(self) -> AdBreak | None:
        """The ad pod is over: the pod it was."""
        brk = self.brk
        if brk is not None:
            self.ledger().brk = None
        return brk

    def end_content_pod(self) -> None:
        """A mid-roll break is over: content comes back as its next content pod."""
        self.ledger().pod_index += 1

    def start_ad(self, args: dict[str, Any], now: float) -> AdPlay:
        """An ad of the pod starts; it counts in the playback's total length."""
        brk = self.brk
        assert brk is not None
        ads = self.ledger()
        ads.started += 1
        asset_id = args.get("asset_id")
        length = usable_length(args.get("length"))
        scheduled = self.match_scheduled(asset_id, brk.pod_id)
        if scheduled is not None:
            planned = usable_length(scheduled.length)
            if length is None:
                length = planned
            elif planned is not None and ads.total is not None:
                ads.total += length - planned  # the ad is not as long as announced
        elif ads.total is not None:
            # An ad outside the schedule adds its length; of unknown length, the playback's
            # total length becomes unknown too (and is left out rather than wrong).
            ads.total = None if length is None else ads.total + length
        info = AdInfo(
            asset_id=asset_id,
            title=args.get("title"),
            publisher=args.get("publisher"),
            load_type=args.get("load_type"),
            pod_position=args.get("pod_position") or ads.started,
            length=length,
        )
        self.ad = AdPlay(info, Playhead(at=now, rate=self.head.rate, length=length))
        return self.ad

    def finish_ad(self) -> None:
        """The ad is over: what of it played counts in the playback's position."""
        ad = self.ad
        if ad is not None:
            self.ledger().seen += ad.head.pos
            self.ad = None

    def match_scheduled(self, asset_id: str | None, pod_id: str | None) -> ScheduledAd | None:
        """The scheduled ad this one is, each scheduled ad matching at most once."""
        if self.content is None:
            return None
        ads = self.ledger()
        used = ads.schedule_used if ads.schedule_used is not None else set()
        free = [(i, ad) for i, ad in enumerate(self.content.ad_schedule) if i not in used]
        # The same asset in the same pod, else the same asset, else the next ad of the pod.
        same_asset = [(i, ad) for i, ad in free if asset_id is not None and ad.asset_id == asset_id]
        same_pod = [(i, ad) for i, ad in free if pod_id is not None and ad.pod_id == pod_id]
        ranked = [i for i, ad in same_asset if ad.pod_id == pod_id]
        ranked += [i for i, _ in same_asset] + [i for i, _ in same_pod]
        if not ranked:
            return None
        used.add(ranked[0])
        ads.schedule_used = used
        return self.content.ad_schedule[ranked[0]]

    # ------------------------------------------------------------------ observations
    def set_rate(self, rate: float) -> None:
        """Both playheads move at ``rate`` from now on."""
        self.head.rate = rate
        if self.ad is not None:
            self.ad.head.rate = rate

    def update_quality(self, changes: dict[str, Any]) -> bool:
        """Take the quality figures given (None: unchanged); whether one really changed."""
        quality = self.quality
        new = tuple(
            [
                old if changes.get(name) is None else changes[name]
                for name, old in zip(QUALITY_FIELDS, quality, strict=True)
            ]
        )
        if new == quality:
            return False
        self._set_quality(new)
        return True

    def set_quality_fact(self, name: str, value: Any) -> None:
        """Set one quality fact (``sound``, ``full_screen``, ...) to ``value``."""
        index = QUALITY_FIELDS.index(name)
        self._set_quality((*self.quality[:index], value, *self.quality[index + 1 :]))

    def _set_quality(self, values: tuple[Any, ...]) -> None:
        self.quality_key = typed_key(values)
