"""What each observation does: callbacks that report a fact and change no state.

``timeupdate``, ``ratechange``, ``durationchange``, ``quality``, ``volume`` and ``fullscreen``
are not triggers of the machine (they are legal in every open state, see
:data:`vtrack.core.machine.OBSERVATIONS`). Each has a function here, found by name in
:data:`OBSERVERS`: it checks the callback's arguments and returns why they are refused (an
anomaly, with nothing changed), or applies them and returns None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from vtrack.core import machine as m
from vtrack.core.content import usable_length
from vtrack.core.validation import is_number, is_position, quality_args
from vtrack.profiles import base as kind

if TYPE_CHECKING:
    from vtrack.core.session import Session

Args = dict[str, Any]
Observer = Callable[["Session", Args, float], "str | None"]


def timeupdate(s: Session, args: Args, now: float) -> str | None:
    position = args["position"]
    if not is_position(position):
        return f"position must be a finite number >= 0; got {position!r}"
    position = float(position)  # 5 is 5.0 to the playhead, compiled (setup.py) or not
    # Of the content playing, of the ad (in an ad), or of the content standing still.
    state, playback = s.state, s._playback
    if state == m.PLAYING:
        for moment, percent in s._clockwork.observe_content(playback.head, position, now):
            s._emitter.milestone(percent, moment)
    elif state in m.IN_AD:
        ad = playback.ad
        if ad is not None:
            ad.head.settle(now, state == m.AD_PLAYING)
            ad.head.jump(position, now)
    elif state not in (m.AD_BREAK, m.ENDED, m.COMPLETED):
        playback.head.jump(position, now)
    return None


def ratechange(s: Session, args: Args, now: float) -> str | None:
    rate = args["rate"]
    if not is_number(rate) or rate <= 0:
        return f"rate must be a finite number > 0; got {rate!r}"
    s._clockwork.settle(now, s.state, s._playback)
    s._playback.set_rate(float(rate))
    return None


def durationchange(s: Session, args: Args, now: float) -> str | None:
    s._clockwork.settle(now, s.state, s._playback)
    content = s._playback.content
    if content is not None and content.live:
        return None  # a livestream has no duration
    if content is not None:
        s._clockwork.keep_milestones(content)
    s._playback.set_length(usable_length(args["duration"]))
    return None


def quality(s: Session, args: Args, now: float) -> str | None:
    checked = quality_args({k: v for k, v in args.items() if k != "quality"}, args["quality"])
    if "invalid" in checked:
        return str(checked["invalid"])
    # Only Video Playback Exited may follow Video Playback Completed (machine.py).
    if s._playback.update_quality(checked) and s.state in m.QUALITY_REPORTED_IN:
        s._emitter.emit(kind.QUALITY_UPDATED, now)
    return None


def volume(s: Session, args: Args, now: float) -> str | None:
    level = args["level"]
    if not is_number(level) or not 0 <= level <= 100:
        return f"level must be a number from 0 to 100; got {level!r}"
    s._playback.set_quality_fact("sound", level)
    return None


def fullscreen(s: Session, args: Args, now: float) -> str | None:
    s._playback.set_quality_fact("full_screen", bool(args["on"]))
    return None


#: The observations, by name (every name of :data:`vtrack.core.machine.OBSERVATIONS`).
OBSERVERS: Final[dict[str, Observer]] = {
    observer.__name__: observer
    for observer in (timeupdate, ratechange, durationchange, quality, volume, fullscreen)
}
