"""What each kind of event does to a session's state and counts, one function per kind.

A state change follows the spec's meaning of the event; an event that makes no sense in the
state it arrives in (a Buffer Started before the first frame, which is no stall; a Resumed
during an ad) changes nothing, so the time keeps counting where it did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from vtrack.profiles import base as kinds
from vtrack.stats.clock import BUFFERING, ENDED, OVER, PAUSED, PLAYING, SEEKING, STARTING
from vtrack.stats.vocabulary import Event, content_position, number

if TYPE_CHECKING:
    from vtrack.stats.tracker import SessionTracker


def content_started(s: SessionTracker, event: Event) -> None:
    s.show_content(event)


def content_playing(s: SessionTracker, event: Event) -> None:
    s.counts["heartbeat"] += 1
    s.show_content(event)


def milestone(s: SessionTracker, event: Event) -> None:
    if event.milestone is not None:
        s.milestones.add(event.milestone)
    if s.clock.state == STARTING:
        s.show_content(event)


def content_completed(s: SessionTracker, event: Event) -> None:
    s.item_ended = True
    if s.clock.state != OVER:
        s.clock.enter(ENDED)


def paused(s: SessionTracker, event: Event) -> None:
    state = s.clock.state
    if state == SEEKING:
        s.after_seek = PAUSED  # paused during the seek: it ends paused
    elif state in (STARTING, PLAYING, BUFFERING):
        s.resume_to = STARTING if state == STARTING else PLAYING
        s.clock.enter(PAUSED)


def resumed(s: SessionTracker, event: Event) -> None:
    state = s.clock.state
    if state == SEEKING:
        s.after_seek = PLAYING
    elif state == PAUSED:
        s.clock.enter(s.resume_to)


def buffer_started(s: SessionTracker, event: Event) -> None:
    # A wait before the first frame, in an ad or during a seek is no stall (no rebuffering).
    if s.clock.state == PLAYING:
        s.counts["buffer"] += 1
        s.clock.enter(BUFFERING)


def buffer_completed(s: SessionTracker, event: Event) -> None:
    if s.clock.state == BUFFERING:
        s.clock.enter(PLAYING)


def seek_started(s: SessionTracker, event: Event) -> None:
    state = s.clock.state
    if state not in (PLAYING, BUFFERING, PAUSED, SEEKING):
        return
    if state != SEEKING:
        s.counts["seek"] += 1
        s.after_seek = PAUSED if state == PAUSED else PLAYING
        s.clock.enter(SEEKING)
    target = None if event.vimeo else number(event.properties, "seek_position")
    landing = None if target is None else max(0.0, target - s.ad_offset)
    s.coverage.jump(landing, s.clock.seconds["play"])


def seek_completed(s: SessionTracker, event: Event) -> None:
    position = content_position(event, s.ad_offset)
    if position is not None:
        s.coverage.jump(position, s.clock.seconds["play"])
        s.item_position = position
    if s.clock.state == SEEKING:
        s.clock.enter(s.after_seek)


def ad_started(s: SessionTracker, event: Event) -> None:
    s.counts["ad"] += 1
    s.skip_pending = False
    s.enter_ad()


def ad_playing(s: SessionTracker, event: Event) -> None:
    s.enter_ad()


def ad_completed(s: SessionTracker, event: Event) -> None:
    if event.vimeo:
        if not s.skip_pending:
            s.counts["ad_done"] += 1
    elif event.properties.get("skipped") is True:
        s.counts["ad_skip"] += 1
        s.skips_known = True
    else:
        s.counts["ad_done"] += 1
    s.skip_pending = False
    if not event.vimeo:
        # Segment spec: a playback event's position counts the ads seen.
        s.ad_offset += number(event.properties, "position") or 0.0
    s.leave_ad()


def ad_skipped(s: SessionTracker, event: Event) -> None:
    s.counts["ad_skip"] += 1
    s.skip_pending = True  # Vimeo OTT sends Video Ad Completed after it too


def ad_failed(s: SessionTracker, event: Event) -> None:
    s.counts["ad_fail"] += 1
    s.leave_ad()


def interrupted(s: SessionTracker, event: Event) -> None:
    method = event.properties.get("method")
    if isinstance(method, str) and method.startswith("error"):
        s.counts["error"] += 1  # vtrack reports a fatal error as method "error: <message>"
        if s.first_frame_at is None and not s.content_shown:
            s.fatal_before_start = True
    if s.end != "completed":
        s.end = "interrupted"
    s.clock.enter(OVER)


def exited(s: SessionTracker, event: Event) -> None:
    if s.end is None:
        s.end = "exited"
    s.clock.enter(OVER)


def completed(s: SessionTracker, event: Event) -> None:
    s.end = "completed"
    s.clock.enter(OVER)


#: The function for each kind of event; kinds not here change nothing.
MOVES: Final[dict[str, Callable[[SessionTracker, Event], None]]] = {
    kinds.CONTENT_STARTED: content_started,
    kinds.CONTENT_PLAYING: content_playing,
    kinds.CONTENT_MILESTONE: milestone,
    kinds.CONTENT_COMPLETED: content_completed,
    kinds.PLAYBACK_PAUSED: paused,
    kinds.PLAYBACK_RESUMED: resumed,
    kinds.BUFFER_STARTED: buffer_started,
    kinds.BUFFER_COMPLETED: buffer_completed,
    kinds.SEEK_STARTED: seek_started,
    kinds.SEEK_COMPLETED: seek_completed,
    kinds.AD_STARTED: ad_started,
    kinds.AD_PLAYING: ad_playing,
    kinds.AD_COMPLETED: ad_completed,
    kinds.AD_SKIPPED: ad_skipped,
    kinds.AD_FAILED: ad_failed,
    kinds.PLAYBACK_INTERRUPTED: interrupted,
    kinds.PLAYBACK_EXITED: exited,
    kinds.PLAYBACK_COMPLETED: completed,
}
