"""What each row of the machine table checks and does: its guards and its actions.

Every guard and action named in :data:`vtrack.core.machine.TABLE` is a function here, found
by that name in :data:`GUARDS` and :data:`ACTIONS`. Guards read the session and the callback's
arguments; actions run after the state changed and the playheads were brought up to the
callback's time ``now``, and work through the session's collaborators: the playback state,
the clockwork and the emitter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from vtrack.core import machine as m
from vtrack.core.playback import Seek
from vtrack.profiles import base as kind

if TYPE_CHECKING:
    from vtrack.core.session import Session

Args = dict[str, Any]
Guard = Callable[["Session", Args], bool]
Action = Callable[["Session", Args, float], None]


# ---------------------------------------------------------------------- guards
def content_has_started(s: Session, args: Args) -> bool:
    return s._playback.content_started


def seek_resumes_playing(s: Session, args: Args) -> bool:
    seek = s._playback.seek
    return seek is not None and seek.resumes


def nothing_left_to_play(s: Session, args: Args) -> bool:
    return s._playback.nothing_left_to_play()


def break_is_preroll(s: Session, args: Args) -> bool:
    return s._playback.brk is not None and s._playback.brk.placement == "pre"


def break_is_midroll(s: Session, args: Args) -> bool:
    return s._playback.brk is not None and s._playback.brk.placement == "mid"


def break_is_postroll(s: Session, args: Args) -> bool:
    return s._playback.brk is not None and s._playback.brk.placement == "post"


def error_is_fatal(s: Session, args: Args) -> bool:
    return bool(args.get("fatal"))


def is_new_item(s: Session, args: Args) -> bool:
    # The same asset loaded again while it plays is a metadata update, not a new item.
    current = s._playback.content
    if s.state == m.ENDED:
        return True
    return current is not None and args["content"].asset_id != current.asset_id


# ---------------------------------------------------------------------- content
def load_content(s: Session, args: Args, now: float) -> None:
    content = s.settings.profile.fact_cache.canonical(args["content"])
    s._clockwork.begin_item(None, content)
    s._playback.begin_item(content, first=True, now=now)


def load_next_content(s: Session, args: Args, now: float) -> None:
    content = s.settings.profile.fact_cache.canonical(args["content"])
    s._clockwork.begin_item(s._playback.content, content)
    s._playback.begin_item(content, first=False, now=now)


def update_content(s: Session, args: Args, now: float) -> None:
    content = s.settings.profile.fact_cache.canonical(args["content"])
    s._clockwork.keep_milestones(content)
    s._playback.update_content(content)


def start_playback(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.PLAYBACK_STARTED, now)


def start_content(s: Session, args: Args, now: float) -> None:
    apply_position(s, args, now)
    s._playback.content_started = True
    s._clockwork.restart_beats(now, playing=True)
    s._emitter.emit(kind.CONTENT_STARTED, now)


def observe_playing(s: Session, args: Args, now: float) -> None:
    position = args.get("position")
    if position is None:
        return
    if s.state == m.PLAYING:
        for moment, percent in s._clockwork.observe_content(s._playback.head, position, now):
            s._emitter.milestone(percent, moment)
    else:
        apply_position(s, args, now)


def resume(s: Session, args: Args, now: float) -> None:
    apply_position(s, args, now)
    s._emitter.emit(kind.PLAYBACK_RESUMED, now)
    if s.state == m.AD_PLAYING or (s.state == m.PLAYING and s._playback.content_started):
        # Segment spec, "Resuming playback": a heartbeat at once after Playback Resumed.
        restart_heartbeats(s, now, beat_now=True)


def pause(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.PLAYBACK_PAUSED, now)


def start_buffering(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.BUFFER_STARTED, now)


def end_buffering(s: Session, args: Args, now: float) -> None:
    position = args.get("position")
    if position is not None:
        # A stall ends where it began or later: positions go back only through a seek. (A
        # player's last report before a stall can be behind where playback was taken to be
        # when it began: mpv says 48 after a stall that began at 49.)
        head = s._playback.playing_head(s.state in m.IN_AD)
        head.jump(max(position, head.pos), now)
    s._emitter.emit(kind.BUFFER_COMPLETED, now)


def start_seek_while_playing(s: Session, args: Args, now: float) -> None:
    start_seek(s, args, now, resumes=True)


def start_seek_while_paused(s: Session, args: Args, now: float) -> None:
    start_seek(s, args, now, resumes=False)


def retarget_seek(s: Session, args: Args, now: float) -> None:
    playback = s._playback
    assert playback.seek is not None  # only start_seek enters seeking
    playback.seek.to = playback.head.clamp(args["position"])


def set_start_position(s: Session, args: Args, now: float) -> None:
    apply_position(s, args, now)


def finish_seek(s: Session, args: Args, now: float) -> None:
    playback = s._playback
    seek, playback.seek = playback.seek, None
    assert seek is not None  # only start_seek enters seeking
    playback.head.jump(args.get("position", seek.to), now)
    s._emitter.emit(kind.SEEK_COMPLETED, now)
    if s.state == m.PLAYING and not playback.content_started:
        start_content(s, args, now)  # paused before the first frame, then sought
    if seek.resumed and s.state == m.PLAYING:
        # Playback was resumed while seeking: its heartbeat comes once frames play again.
        restart_heartbeats(s, now, beat_now=True)


def pause_during_seek(s: Session, args: Args, now: float) -> None:
    seek = s._playback.seek
    assert seek is not None
    seek.resumes = seek.resumed = False
    s._emitter.emit(kind.PLAYBACK_PAUSED, now)


def resume_during_seek(s: Session, args: Args, now: float) -> None:
    seek = s._playback.seek
    assert seek is not None
    seek.resumes = seek.resumed = True
    s._emitter.emit(kind.PLAYBACK_RESUMED, now)


def end_content(s: Session, args: Args, now: float) -> None:
    playback = s._playback
    playback.end_item()
    length = playback.head.length
    if length is not None:
        playback.head.jump(length, now)
        for percent in s._clockwork.reach_end(length):
            s._emitter.milestone(percent, now)
    s._emitter.emit(kind.CONTENT_COMPLETED, now)
    s._emitter.emit(kind.PLAYBACK_PAUSED_AT_END, now)


def complete_playback(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.PLAYBACK_COMPLETED, now)


def interrupt(s: Session, args: Args, now: float) -> None:
    method = args.get("method")
    if "fatal" in args:
        message = args.get("message")
        method = f"error: {message}" if message else "error"
    s._emitter.emit(kind.PLAYBACK_INTERRUPTED, now, method=method)


def exit(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.PLAYBACK_EXITED, now)


# ---------------------------------------------------------------------- ads
def start_preroll_break(s: Session, args: Args, now: float) -> None:
    s._playback.start_break("pre", "pre-roll", args)


def start_midroll_break(s: Session, args: Args, now: float) -> None:
    s._playback.start_break("mid", "mid-roll", args)


def start_postroll_break(s: Session, args: Args, now: float) -> None:
    s._playback.start_break("post", "post-roll", args)


def start_ad(s: Session, args: Args, now: float) -> None:
    ad = s._playback.start_ad(args, now)
    s._clockwork.start_ad(ad)
    s._clockwork.restart_beats(now, playing=True)
    s._emitter.emit(kind.AD_STARTED, now)


def end_ad(s: Session, args: Args, now: float) -> None:
    ad = s._playback.ad
    if ad is not None and ad.head.length is not None:
        ad.head.jump(ad.head.length, now)
    finish_ad(s, kind.AD_COMPLETED, now)


def skip_ad(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.AD_SKIPPED, now)
    finish_ad(s, kind.AD_COMPLETED, now, skipped=True)


def fail_ad(s: Session, args: Args, now: float) -> None:
    if s._playback.ad is None:
        s._emitter.emit(kind.AD_FAILED, now)  # it failed before it started
    finish_ad(s, kind.AD_FAILED, now)


def click_ad(s: Session, args: Args, now: float) -> None:
    s._emitter.emit(kind.AD_CLICKED, now)


def end_ad_break(s: Session, args: Args, now: float) -> None:
    playback = s._playback
    if playback.ad is not None:
        finish_ad(s, kind.AD_COMPLETED, now)
    brk = playback.end_break()
    if brk is not None and brk.placement == "mid" and brk.type != "post-roll":
        # Content comes back as the next content pod; its heartbeats count from zero
        # (Segment spec example, step 7: the first one is 10 s after the ad).
        playback.end_content_pod()
        restart_heartbeats(s, now, beat_now=False)


# ---------------------------------------------------------------------- shared steps
def apply_position(s: Session, args: Args, now: float) -> None:
    """Put the playhead of what plays (the ad in an ad) where the callback says, if it does."""
    position = args.get("position")
    if position is not None:
        s._playback.playing_head(s.state in m.IN_AD).jump(position, now)


def restart_heartbeats(s: Session, now: float, *, beat_now: bool) -> None:
    """Heartbeats count from zero at ``now``; the first one at once if ``beat_now``."""
    clockwork = s._clockwork
    clockwork.restart_beats(now, playing=True)
    if beat_now and clockwork.interval:
        s._emitter.heartbeat(now, in_ad=s.state == m.AD_PLAYING)


def start_seek(s: Session, args: Args, now: float, *, resumes: bool) -> None:
    playback = s._playback
    target = playback.head.clamp(args["position"])
    playback.seek = Seek(target, resumes)
    # Like position, seek_position is playback-level: it counts the ads seen.
    offset = playback.prior_length + playback.ads_seen
    s._emitter.emit(kind.SEEK_STARTED, now, seek_position=offset + target)


def finish_ad(s: Session, ending: str, now: float, skipped: bool = False) -> None:
    if s._playback.ad is not None:
        s._emitter.emit(ending, now, skipped=skipped)
        s._playback.finish_ad()


#: The guards of the table, by name.
GUARDS: Final[dict[str, Guard]] = {
    guard.__name__: guard
    for guard in (
        content_has_started,
        seek_resumes_playing,
        nothing_left_to_play,
        break_is_preroll,
        break_is_midroll,
        break_is_postroll,
        error_is_fatal,
        is_new_item,
    )
}

#: The actions of the table, by name.
ACTIONS: Final[dict[str, Action]] = {
    action.__name__: action
    for action in (
        load_content,
        load_next_content,
        update_content,
        start_playback,
        start_content,
        observe_playing,
        resume,
        pause,
        start_buffering,
        end_buffering,
        start_seek_while_playing,
        start_seek_while_paused,
        retarget_seek,
        set_start_position,
        finish_seek,
        pause_during_seek,
        resume_during_seek,
        end_content,
        complete_playback,
        interrupt,
        exit,
        start_preroll_break,
        start_midroll_break,
        start_postroll_break,
        start_ad,
        end_ad,
        skip_ad,
        fail_ad,
        click_ad,
        end_ad_break,
    )
}
