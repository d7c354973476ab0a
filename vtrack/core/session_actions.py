"""What a session does on each transition: the guards and actions named in the machine table.

Every ``_guard_<name>`` and ``_act_<name>`` here is named by a row of
:data:`vtrack.core.machine.TABLE`. Actions run after the state changed and the playheads were
brought up to the callback's time; they read the callback's arguments from ``self._args``
and its time from ``self._now``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from vtrack.core import machine as m
from vtrack.core.content import Content, ScheduledAd, usable_length
from vtrack.core.emission import Emission
from vtrack.core.playhead import Playhead
from vtrack.core.schedule import MilestoneTracker
from vtrack.profiles import base as kind
from vtrack.profiles.base import AD_GROUP, CONTENT_GROUP, QUALITY_GROUP

if TYPE_CHECKING:
    pass

AD_QUARTILES = (25, 50, 75)
_NO_ARGS: dict[str, Any] = {}


@attrs.define(slots=True)
class AdBreak:
    """The ad pod being played: where it sits (``placement``: pre, mid or post) and its ads."""

    placement: str
    pod_id: str | None
    type: str | None
    ad_count: int | None
    ads_started: int = 0


@attrs.define(slots=True)
class AdPlay:
    """The ad being played and its playhead (which also tracks its quartiles)."""

    asset_id: str | None
    title: str | None
    publisher: str | None
    load_type: str | None
    pod_position: int
    head: Playhead


class SessionActions(Emission):
    """The guards and actions of a session (mixed into :class:`vtrack.Session`)."""

    __slots__ = (
        "_ad",
        "_ad_total",
        "_ads_seen",
        "_args",
        "_bitrate",
        "_break",
        "_content",
        "_content_started",
        "_dropped",
        "_framerate",
        "_full_screen",
        "_item_ended",
        "_item_number",
        "_now",
        "_playlist",
        "_pod_index",
        "_postrolls_left",
        "_postrolls_played",
        "_prior_length",
        "_quality",
        "_resumed_during_seek",
        "_schedule_used",
        "_seek_resumes",
        "_seek_to",
        "_sound",
        "_startup",
        "_trackers",
    )

    def _init_actions(self) -> None:
        self._init_emission()
        self._content: Content | None = None
        self._content_head = Playhead()
        self._content_started = False
        self._item_number = 0
        self._playlist: tuple[str, ...] = ()
        self._pod_index = 0
        self._prior_length = 0.0
        self._item_ended = False
        self._postrolls_played = 0
        self._schedule_used: set[int] | None = None
        self._resumed_during_seek = False
        self._trackers: dict[str | None, MilestoneTracker] | None = None
        self._ad: AdPlay | None = None
        self._break: AdBreak | None = None
        self._ads_seen = 0.0
        self._ad_total: float | None = 0.0
        self._postrolls_left = 0
        self._seek_to = 0.0
        self._seek_resumes = False
        self._bitrate: float | None = None
        self._framerate: float | None = None
        self._quality: str | None = None
        self._dropped: float | None = None
        self._startup: float | None = None
        self._sound: float | None = None
        self._full_screen: bool | None = None
        self._args: dict[str, Any] = _NO_ARGS
        self._now = 0.0
        self._due_index = 0

    # ------------------------------------------------------------------ guards
    def _guard_content_has_started(self) -> bool:
        return self._content_started

    def _guard_seek_resumes_playing(self) -> bool:
        return self._seek_resumes

    def _guard_nothing_left_to_play(self) -> bool:
        return self._postrolls_left <= 0 and self._item_number >= len(self._playlist)

    def _guard_break_is_preroll(self) -> bool:
        return self._break is not None and self._break.placement == "pre"

    def _guard_break_is_midroll(self) -> bool:
        return self._break is not None and self._break.placement == "mid"

    def _guard_break_is_postroll(self) -> bool:
        return self._break is not None and self._break.placement == "post"

    def _guard_error_is_fatal(self) -> bool:
        return bool(self._args.get("fatal"))

    def _guard_is_new_item(self) -> bool:
        # The same asset loaded again while it plays is a metadata update, not a new item.
        current = self._content
        if self.state == m.ENDED:
            return True
        return current is not None and self._args["content"].asset_id != current.asset_id

    # ------------------------------------------------------------------ content actions
    def _act_load_content(self) -> None:
        self._begin_item(self._args["content"], first=True)

    def _act_load_next_content(self) -> None:
        self._begin_item(self._args["content"], first=False)

    def _act_update_content(self) -> None:
        self._forget_facts(CONTENT_GROUP, AD_GROUP)
        content, old = self._args["content"], self._content
        old_total = _schedule_total(old.ad_schedule) if old is not None else 0.0
        new_total = _schedule_total(content.ad_schedule)
        if self._ad_total is not None:
            self._ad_total = (
                None
                if old_total is None or new_total is None
                else self._ad_total - old_total + new_total
            )
        self._content = content
        if content.playlist:
            self._playlist = content.playlist
        self._postrolls_left = max(0, _postroll_pods(content) - self._postrolls_played)
        if old is not None and old.ad_schedule != content.ad_schedule:
            self._schedule_used = None  # its positions were in the old schedule
        head = self._content_head
        if head.tracker is None:
            # (A live item has no length, so a tracker it keeps fires nothing; and keeping it
            # means milestones already sent are never sent again if it turns out not live.)
            head.tracker = self._tracker_for(content)
        self._apply_length(content.length, self._now)

    def _act_start_playback(self) -> None:
        self._emit(kind.PLAYBACK_STARTED, self._now)

    def _act_start_content(self) -> None:
        self._apply_position()
        self._content_started = True
        self._hb.restart(self._now, playing=True)
        self._emit(kind.CONTENT_STARTED, self._now)

    def _act_observe_playing(self) -> None:
        position = self._args.get("position")
        if position is None:
            return
        if self.state == m.PLAYING:
            self._observe_content(position, self._now)
        else:
            self._apply_position()

    def _act_resume(self) -> None:
        self._apply_position()
        self._emit(kind.PLAYBACK_RESUMED, self._now)
        if self.state == m.AD_PLAYING or (self.state == m.PLAYING and self._content_started):
            self._hb.restart(self._now, playing=True)
            # Segment spec, "Resuming playback": a heartbeat at once after Playback Resumed.
            if self._hb.interval:
                self._emit_heartbeat(self._now)

    def _act_pause(self) -> None:
        self._emit(kind.PLAYBACK_PAUSED, self._now)

    def _act_start_buffering(self) -> None:
        self._emit(kind.BUFFER_STARTED, self._now)

    def _act_end_buffering(self) -> None:
        self._apply_position()
        self._emit(kind.BUFFER_COMPLETED, self._now)

    def _act_start_seek_while_playing(self) -> None:
        self._start_seek(resumes=True)

    def _act_start_seek_while_paused(self) -> None:
        self._start_seek(resumes=False)

    def _act_retarget_seek(self) -> None:
        self._seek_to = self._content_head.clamp(self._args["position"])

    def _act_set_start_position(self) -> None:
        self._apply_position()

    def _act_finish_seek(self) -> None:
        position = self._args.get("position", self._seek_to)
        self._content_head.jump(position, self._now)
        self._emit(kind.SEEK_COMPLETED, self._now)
        if self.state == m.PLAYING and not self._content_started:
            self._act_start_content()  # paused before the first frame, then sought
        if self._resumed_during_seek and self.state == m.PLAYING:
            # Playback was resumed while seeking: its heartbeat comes once frames play again.
            self._hb.restart(self._now, playing=True)
            if self._hb.interval:
                self._emit_heartbeat(self._now)
        self._resumed_during_seek = False

    def _act_pause_during_seek(self) -> None:
        self._seek_resumes = False
        self._resumed_during_seek = False
        self._emit(kind.PLAYBACK_PAUSED, self._now)

    def _act_resume_during_seek(self) -> None:
        self._seek_resumes = True
        self._resumed_during_seek = True
        self._emit(kind.PLAYBACK_RESUMED, self._now)

    def _act_end_content(self) -> None:
        self._item_ended = True
        head = self._content_head
        if head.length is not None:
            head.jump(head.length, self._now)
        self._emit(kind.CONTENT_COMPLETED, self._now)
        self._emit(kind.PLAYBACK_PAUSED_AT_END, self._now)

    def _act_complete_playback(self) -> None:
        self._emit(kind.PLAYBACK_COMPLETED, self._now)

    def _act_interrupt(self) -> None:
        method = self._args.get("method")
        if "fatal" in self._args:
            message = self._args.get("message")
            method = f"error: {message}" if message else "error"
        self._emit(kind.PLAYBACK_INTERRUPTED, self._now, method=method)

    def _act_exit(self) -> None:
        self._emit(kind.PLAYBACK_EXITED, self._now)

    # ------------------------------------------------------------------ ad actions
    def _act_start_preroll_break(self) -> None:
        self._start_break("pre", "pre-roll")

    def _act_start_midroll_break(self) -> None:
        self._start_break("mid", "mid-roll")

    def _act_start_postroll_break(self) -> None:
        self._start_break("post", "post-roll")

    def _act_start_ad(self) -> None:
        args, now = self._args, self._now
        brk = self._break
        assert brk is not None
        brk.ads_started += 1
        asset_id = args.get("asset_id")
        length = usable_length(args.get("length"))
        scheduled = self._match_scheduled(asset_id, brk.pod_id)
        if scheduled is not None:
            planned = usable_length(scheduled.length)
            if length is None:
                length = planned
            elif planned is not None and self._ad_total is not None:
                self._ad_total += length - planned  # the ad is not as long as announced
        elif self._ad_total is not None:
            # An ad outside the schedule adds its length; of unknown length, the playback's
            # total length becomes unknown too (and is left out rather than wrong).
            self._ad_total = None if length is None else self._ad_total + length
        self._ad = AdPlay(
            asset_id=asset_id,
            title=args.get("title"),
            publisher=args.get("publisher"),
            load_type=args.get("load_type"),
            pod_position=args.get("pod_position") or brk.ads_started,
            head=Playhead(
                at=now,
                rate=self._content_head.rate,
                length=length,
                tracker=MilestoneTracker(AD_QUARTILES) if length is not None else None,
            ),
        )
        self._forget_facts(AD_GROUP)
        self._hb.restart(now, playing=True)
        self._emit(kind.AD_STARTED, now)

    def _act_end_ad(self) -> None:
        ad = self._ad
        if ad is not None and ad.head.length is not None:
            ad.head.jump(ad.head.length, self._now)
        self._finish_ad(kind.AD_COMPLETED)

    def _act_skip_ad(self) -> None:
        self._emit(kind.AD_SKIPPED, self._now)
        self._finish_ad(kind.AD_COMPLETED, skipped=True)

    def _act_fail_ad(self) -> None:
        if self._ad is None:
            self._emit(kind.AD_FAILED, self._now)  # it failed before it started
        self._finish_ad(kind.AD_FAILED)

    def _act_click_ad(self) -> None:
        self._emit(kind.AD_CLICKED, self._now)

    def _act_end_ad_break(self) -> None:
        if self._ad is not None:
            self._finish_ad(kind.AD_COMPLETED)
        brk = self._break
        self._break = None
        self._forget_facts(CONTENT_GROUP, AD_GROUP)  # the content pod moves on, too
        if brk is not None and brk.placement == "mid" and brk.type != "post-roll":
            # Content comes back as the next content pod; its heartbeats count from zero
            # (Segment spec example, step 7: the first one is 10 s after the ad).
            self._pod_index += 1
            self._hb.restart(self._now, playing=True)

    # ------------------------------------------------------------------ helpers
    def _begin_item(self, content: Content, first: bool) -> None:
        self._forget_facts(CONTENT_GROUP, AD_GROUP)
        now, previous, head = self._now, self._content, self._content_head
        if first:
            self._item_number = 1
            self._ad_total = 0.0
        else:
            self._item_number += 1
            # The playback goes on from where the previous item stopped: its whole length if
            # it ended, else as far as it was played.
            ended_length = head.length if self._item_ended else None
            self._prior_length += ended_length if ended_length is not None else head.pos
            if previous is not None and previous.asset_id is not None and head.tracker is not None:
                if self._trackers is None:
                    self._trackers = {}
                self._trackers[previous.asset_id] = head.tracker
        self._content = content
        if content.playlist:
            self._playlist = content.playlist
        self._pod_index = 0
        self._content_started = False
        self._item_ended = False
        self._schedule_used = None
        self._postrolls_played = 0
        self._content_head = Playhead(
            at=now, rate=head.rate, length=content.length, tracker=self._tracker_for(content)
        )
        scheduled = _schedule_total(content.ad_schedule)
        if self._ad_total is not None:
            self._ad_total = None if scheduled is None else self._ad_total + scheduled
        self._postrolls_left = _postroll_pods(content)

    def _tracker_for(self, content: Content) -> MilestoneTracker | None:
        if content.live or not self.settings.milestones:
            return None
        if self._trackers is not None and content.asset_id is not None:
            known = self._trackers.get(content.asset_id)
            if known is not None:
                return known
        return MilestoneTracker(self.settings.milestones, self.settings.milestone_basis)

    def _set_content_length(self, duration: float | None, at: float) -> None:
        content, head = self._content, self._content_head
        if content is not None and content.live:
            return
        self._forget_facts(CONTENT_GROUP, AD_GROUP)
        if head.tracker is None and content is not None:
            head.tracker = self._tracker_for(content)
        self._apply_length(usable_length(duration), at)

    def _apply_length(self, length: float | None, at: float) -> None:
        """The content's length is now ``length`` (None: unknown)."""
        head = self._content_head
        head.length = length
        if length is not None and head.pos > length:
            head.pos = length

    def _match_scheduled(self, asset_id: str | None, pod_id: str | None) -> ScheduledAd | None:
        """The scheduled ad this one is, each scheduled ad matching at most once."""
        if self._content is None:
            return None
        used = self._schedule_used if self._schedule_used is not None else set()
        free = [(i, ad) for i, ad in enumerate(self._content.ad_schedule) if i not in used]
        # The same asset in the same pod, else the same asset, else the next ad of the pod.
        same_asset = [(i, ad) for i, ad in free if asset_id is not None and ad.asset_id == asset_id]
        same_pod = [(i, ad) for i, ad in free if pod_id is not None and ad.pod_id == pod_id]
        ranked = [i for i, ad in same_asset if ad.pod_id == pod_id]
        ranked += [i for i, _ in same_asset] + [i for i, _ in same_pod]
        match = ranked[0] if ranked else None
        if match is None:
            return None
        used.add(match)
        self._schedule_used = used
        return self._content.ad_schedule[match]

    def _apply_position(self) -> None:
        position = self._args.get("position")
        if position is None:
            return
        head = self._ad.head if self.state in m.IN_AD and self._ad is not None else None
        (head or self._content_head).jump(position, self._now)

    def _start_seek(self, resumes: bool) -> None:
        head = self._content_head
        self._seek_resumes = resumes
        self._resumed_during_seek = False
        self._seek_to = head.clamp(self._args["position"])
        # Like position, seek_position is playback-level: it counts the ads seen.
        offset = self._prior_length + self._ads_seen
        self._emit(kind.SEEK_STARTED, self._now, seek_position=offset + self._seek_to)

    def _start_break(self, placement: str, default_type: str) -> None:
        self._forget_facts(AD_GROUP)
        args = self._args
        ad_type = args.get("type") or default_type
        if placement == "post" or ad_type == "post-roll":
            # A post-roll announced before `ended` counts too: nothing is pending after it.
            self._postrolls_played += 1
            self._postrolls_left = max(0, self._postrolls_left - 1)
        self._break = AdBreak(
            placement=placement,
            pod_id=args.get("pod_id"),
            type=ad_type,
            ad_count=args.get("ad_count"),
        )

    def _finish_ad(self, ending: str, skipped: bool = False) -> None:
        ad = self._ad
        if ad is not None:
            self._emit(ending, self._now, skipped=skipped)
            self._ads_seen += ad.head.pos
            self._ad = None
            self._forget_facts(AD_GROUP)

    def _ad_head(self) -> Playhead | None:
        return self._ad.head if self._ad is not None else None

    def _settle(self, t: float) -> None:
        state = self.state
        self._content_head.settle(t, state == m.PLAYING)
        if self._ad is not None:
            self._ad.head.settle(t, state == m.AD_PLAYING)

    def _observe_content(self, position: float, t: float) -> None:
        for moment, index, _ in self._content_head.observe(position, t):
            self._emit_milestone(index, moment)

    def _update_quality(self, numbers: dict[str, float | None], quality: str | None) -> bool:
        new = (
            numbers["bitrate"],
            numbers["framerate"],
            quality,
            numbers["dropped_frames"],
            numbers["startup_time"],
        )
        old = (self._bitrate, self._framerate, self._quality, self._dropped, self._startup)
        merged = tuple(o if n is None else n for n, o in zip(new, old, strict=True))
        if merged == old:
            return False
        self._forget_facts(QUALITY_GROUP)
        (self._bitrate, self._framerate, self._quality, self._dropped, self._startup) = merged  # type: ignore[assignment]
        return True


def _schedule_total(schedule: tuple[ScheduledAd, ...]) -> float | None:
    """The scheduled ads' total length, or None if one of them has no known length."""
    lengths = [usable_length(ad.length) for ad in schedule]
    return None if None in lengths else sum(length for length in lengths if length is not None)


def _postroll_pods(content: Content) -> int:
    """How many post-roll pods the content's ad schedule announces."""
    return len(
        {
            ad.pod_id if ad.pod_id is not None else index
            for index, ad in enumerate(content.ad_schedule)
            if ad.type == "post-roll"
        }
    )
