"""One session's messages in, its summary out: the state each message shows, and the counts.

The states follow the messages as the Segment Video Spec orders them (Playback Started, Content
Started, Paused / Resumed, Buffer Started / Completed, Seek Started / Completed, Ad Started /
Completed, Content Completed, Playback Completed / Exited / Interrupted). Nothing is invented:
what no message says stays None in the summary.
"""

from __future__ import annotations

from typing import Final

from vtrack.core.messages import iso_timestamp
from vtrack.profiles import base as kinds
from vtrack.stats.clock import (
    ENDED,
    IN_AD,
    PAUSED,
    PLAYING,
    STARTING,
    StateClock,
)
from vtrack.stats.coverage import Coverage
from vtrack.stats.moves import MOVES
from vtrack.stats.quality import Bitrate
from vtrack.stats.summary import SessionStats
from vtrack.stats.vocabulary import (
    PLAYBACK_KINDS,
    Event,
    asset_id,
    content_length,
    content_position,
    is_live,
    number,
)

#: Kinds that show the content playing (a heartbeat, a milestone): evidence of a first frame.
_CONTENT_SHOWN: Final = frozenset(
    {kinds.CONTENT_STARTED, kinds.CONTENT_PLAYING, kinds.CONTENT_MILESTONE, kinds.CONTENT_COMPLETED}
)
#: How many decimals times and ratios keep (timestamps have milliseconds).
TIME_DIGITS: Final = 3
RATIO_DIGITS: Final = 6


class SessionTracker:
    """Reads the events of one session, in the order of their timestamps."""

    def __init__(self, first: Event) -> None:
        self.session_id = first.session_id or ""
        self.user_id, self.anonymous_id = first.user_id, first.anonymous_id
        self.started_at = self.last_at = first.at
        self.vimeo, self.by_vtrack = first.vimeo, first.by_vtrack
        #: The session's messages start with Video Playback Started (not seen from the middle).
        self.seen_from_start = first.kind == kinds.PLAYBACK_STARTED
        # Vimeo OTT sends no first-frame event: its time from Started on counts as playing;
        # a session seen from the middle was playing already.
        waiting = self.seen_from_start and not first.vimeo
        self.clock = StateClock(STARTING if waiting else PLAYING, first.at)
        self.play_pressed_at = first.at if self.seen_from_start else None
        self.first_frame_at: float | None = None
        self.startup: float | None = None
        self.content_shown = False
        self.end: str | None = None
        self.resume_to, self.after_seek, self.before_ad = STARTING, PLAYING, STARTING
        self.assets: dict[str, None] = {}
        self.item_asset: str | None = None
        self.item_ended = False
        self.item_position: float | None = None
        self.start_position: float | None = None
        self.coverage = Coverage()
        self.ad_offset = 0.0
        self._moment: tuple[float, float | None, float | None] = (first.at, None, None)
        self.live = False
        self.bitrate = Bitrate()
        self.counts = dict.fromkeys(
            ("buffer", "seek", "heartbeat", "ad", "ad_done", "ad_skip", "ad_fail", "error"), 0
        )
        self.skip_pending = False
        self.skips_known = first.vimeo or first.by_vtrack
        self.fatal_before_start = False
        self.milestones: set[float] = set()

    # ------------------------------------------------------------------ reading
    def update(self, event: Event) -> None:
        """Take the session's next event (not earlier than the one before)."""
        elapsed = self.clock.advance(event.at)
        self.bitrate.count_playing(elapsed, self.clock.state == PLAYING)
        self.last_at = max(self.last_at, event.at)
        self.by_vtrack = self.by_vtrack or event.by_vtrack
        self._read_facts(event)
        # A milestone's position is its threshold, not the playhead (a seek forward fires
        # the milestones it skipped where it lands).
        if event.kind not in (kinds.SEEK_COMPLETED, kinds.CONTENT_MILESTONE):
            position = self._position(event)
            if position is not None:
                self.coverage.observe(position, self.clock.seconds["play"])
                self.item_position = position
        if event.kind in _CONTENT_SHOWN:
            self.content_shown = True
        move = MOVES.get(event.kind)
        if move is not None:
            move(self, event)

    @property
    def is_over(self) -> bool:
        """Exited or interrupted: no more messages belong to this session."""
        return self.end in ("exited", "interrupted")

    def _read_facts(self, event: Event) -> None:
        properties = event.properties
        self.bitrate.observe(None if event.vimeo else number(properties, "bitrate"))
        self.live = self.live or is_live(event)
        if event.kind == kinds.PLAYBACK_STARTED:
            listed = properties.get("content_asset_ids")
            for asset in listed if isinstance(listed, list) else ():
                self.assets.setdefault(str(asset), None)
        asset = asset_id(event)
        if asset is not None:
            self.assets.setdefault(asset, None)
            if event.kind in _CONTENT_SHOWN and asset != self.item_asset:
                if self.item_asset is not None:
                    self._next_item()
                self.item_asset = asset
        length = content_length(event)
        if length is not None:
            self.coverage.set_length(length)

    def _next_item(self) -> None:
        """The next playlist item: the playback position goes on from the one before."""
        length = self.coverage.item_length if self.item_ended else None
        self.ad_offset += length if length is not None else (self.item_position or 0.0)
        self.coverage.next_item(self.clock.seconds["play"])
        self.item_ended, self.item_position = False, None

    def _position(self, event: Event) -> float | None:
        """The content position at ``event``; the ad offset is calibrated on the way."""
        raw = None if event.vimeo else number(event.properties, "position")
        at, content, playback = self._moment
        outside_ads = content_position(event, 0.0) is not None  # not an ad's own position
        if event.kind in PLAYBACK_KINDS and raw is not None and outside_ads:
            if at == event.at and content is not None and self.clock.state != IN_AD:
                self.ad_offset = raw - content
            self._moment = (event.at, content if at == event.at else None, raw)
        position = content_position(event, self.ad_offset)
        if event.kind in _CONTENT_SHOWN and position is not None and not event.vimeo:
            if at == event.at and playback is not None and self.clock.state != IN_AD:
                self.ad_offset = playback - position
            self._moment = (event.at, position, playback if at == event.at else None)
        return position

    # ------------------------------------------------------------------ moves
    def enter_ad(self) -> None:
        """An ad starts (or shows it plays): remember where playback goes back to."""
        if self.clock.state == IN_AD:
            return
        state = self.clock.state
        if state == ENDED:
            self.before_ad = ENDED
        elif state == STARTING or (state == PAUSED and self.resume_to == STARTING):
            self.before_ad = STARTING
        else:
            self.before_ad = PLAYING
        self.clock.enter(IN_AD)

    def leave_ad(self) -> None:
        """The ad is over: playback is where it was before it."""
        if self.clock.state == IN_AD:
            self.clock.enter(self.before_ad)

    def show_content(self, event: Event) -> None:
        """The content plays: the first frame, if it is the first."""
        if self.first_frame_at is None and event.kind == kinds.CONTENT_STARTED:
            self.first_frame_at = event.at
            self.startup = self.clock.seconds["startup"]
        if self.clock.state in (STARTING, IN_AD, ENDED):
            self.clock.enter(PLAYING)  # ended: the next playlist item's first frame

    # ------------------------------------------------------------------ summary
    def summary(self) -> SessionStats:
        """The session's summary as far as its messages go."""
        seconds = {name: round(value, TIME_DIGITS) for name, value in self.clock.seconds.items()}
        play, buffer = seconds["play"], seconds["buffer"]
        started = self.first_frame_at is not None or self.content_shown
        counts = self.counts
        return SessionStats(
            session_id=self.session_id,
            user_id=self.user_id,
            anonymous_id=self.anonymous_id,
            asset_ids=list(self.assets) or None,
            started_at=iso_timestamp(self.started_at),
            ended_at=iso_timestamp(self.last_at),
            end=self.end or (None if self.vimeo else "open"),
            play_time=play,
            pause_time=seconds["pause"],
            buffer_time=buffer,
            buffer_count=counts["buffer"],
            rebuffer_ratio=_ratio(buffer, play + buffer),
            startup_time=self._startup_time(),
            startup_time_with_ads=self._startup_time_with_ads(),
            exited_before_start=self._exited_before_start(started),
            start_failed=self._start_failed(started),
            ad_time=seconds["ad"],
            ads_started=counts["ad"],
            ads_completed=counts["ad_done"],
            ads_skipped=counts["ad_skip"] if self.skips_known else None,
            ads_failed=counts["ad_fail"] if self.vimeo else None,
            seek_count=counts["seek"],
            max_position=self._max_position(started),
            unique_seconds=self._unique_seconds(started),
            completion=self._completion(started),
            milestones=self._milestones(),
            heartbeats=counts["heartbeat"],
            bitrate_mean=self.bitrate.mean(),
            bitrate_peak=self.bitrate.peak,
            quality_changes=self.bitrate.changes if self.bitrate.peak is not None else None,
            errors=self._errors(),
            seconds_by_state=seconds,
        )

    def _startup_time(self) -> float | None:
        if self.startup is None or self.play_pressed_at is None:
            return None
        return round(self.startup, TIME_DIGITS)

    def _startup_time_with_ads(self) -> float | None:
        if self.first_frame_at is None or self.play_pressed_at is None:
            return None
        return round(self.first_frame_at - self.play_pressed_at, TIME_DIGITS)

    def _errors_known(self) -> bool:
        return (self.by_vtrack and not self.vimeo) or self.counts["error"] > 0

    def _errors(self) -> int | None:
        return self.counts["error"] if self._errors_known() else None

    def _exited_before_start(self, started: bool) -> bool | None:
        if started or self.fatal_before_start:
            return False
        return True if self.end is not None and self.seen_from_start else None

    def _start_failed(self, started: bool) -> bool | None:
        if started or self.fatal_before_start:
            return not started
        known = self.end is not None and self.seen_from_start and self._errors_known()
        return False if known else None

    def _max_position(self, started: bool) -> float | None:
        furthest = self.coverage.furthest
        if furthest is None and started:
            return self.item_position
        return furthest

    def _unique_seconds(self, started: bool) -> float | None:
        if self.item_position is None and not self.coverage.furthest:
            return 0.0 if not started and self.end is not None else None
        return round(self.coverage.unique_seconds(), TIME_DIGITS)

    def _completion(self, started: bool) -> float | None:
        unique, length = self._unique_seconds(started), self.coverage.length()
        if self.live or unique is None or not length:
            return None
        return _ratio(min(unique, length), length)

    def _milestones(self) -> list[float] | None:
        if not (self.vimeo or self.by_vtrack or self.milestones):
            return None
        return [int(p) if p.is_integer() else p for p in sorted(self.milestones)]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, RATIO_DIGITS) if whole > 0 else None
