"""Rule 1: everything that decides which callback is legal in which state lives here.

Theory of operation. A playback session is a finite-state machine driven by the player's
callbacks. :data:`TABLE` below is the whole machine, one row per transition, read top to
bottom: the callback (trigger), the states it may arrive in, the state it leads to (``None``
keeps the state), the guard that chooses between rows of the same callback, and the actions
the session runs after the state changed. A callback with no row for the current state, or
whose guards all fail, is an *anomaly*: absorbed (or raised in strict mode), never emitted.

The table is loaded once into one shared ``transitions.Machine`` (``model=None``, no auto
transitions): sessions are never added to it as models, because binding a model costs 10-27 KB
and a fraction of a millisecond per session. From that machine, :data:`ROUTES` is derived at
import: a plain dict the session reads instead of firing a ``transitions`` trigger (6-8 us
each). The machine stays the single source of truth (and the source of the diagram); a test
fires it for every state, trigger and outcome of the guards and checks the routes agree.

The guards and actions the rows name are functions of :mod:`vtrack.core.actions`. The few
rules that are not transitions (what a session takes once it is over, where quality changes
are reported, where a ``load`` is a metadata update) are named at the end of this module.

Callbacks that only observe (``timeupdate``, ``ratechange``, ``durationchange``, ``quality``,
``volume``, ``fullscreen``) change no state and are not triggers; they are legal in every
state of :data:`OPEN_STATES`.

Note: ``transitions`` logs every trigger at INFO level through the ``transitions`` logger.
vtrack's hot path does not go through it, but if you use :data:`MACHINE` directly in an
application that logs at INFO, silence that logger (it costs 3-4x).
"""

from __future__ import annotations

from typing import Final

import attrs
from transitions import Machine

IDLE: Final = "idle"
STARTING: Final = "starting"  # play asked for, no frame yet
PLAYING: Final = "playing"
PAUSED: Final = "paused"
BUFFERING: Final = "buffering"
SEEKING: Final = "seeking"
AD_BREAK: Final = "ad_break"  # inside an ad pod, between ads
AD_PLAYING: Final = "ad_playing"
AD_PAUSED: Final = "ad_paused"
AD_BUFFERING: Final = "ad_buffering"
ENDED: Final = "ended"  # content ended; a post-roll or the next playlist item may follow
COMPLETED: Final = "completed"  # Video Playback Completed was sent; only exit may follow
EXITED: Final = "exited"
INTERRUPTED: Final = "interrupted"

STATES: Final = (
    IDLE,
    STARTING,
    PLAYING,
    PAUSED,
    BUFFERING,
    SEEKING,
    AD_BREAK,
    AD_PLAYING,
    AD_PAUSED,
    AD_BUFFERING,
    ENDED,
    COMPLETED,
    EXITED,
    INTERRUPTED,
)
TERMINAL_STATES: Final = frozenset({EXITED, INTERRUPTED})
OPEN_STATES: Final = frozenset(STATES) - TERMINAL_STATES
#: States in which a pod's playing time (the heartbeat clock) runs.
PLAYING_STATES: Final = frozenset({PLAYING, AD_PLAYING})
IN_AD: Final = (AD_PLAYING, AD_PAUSED, AD_BUFFERING)
CONTENT_IN_PROGRESS: Final = (PLAYING, PAUSED, BUFFERING, SEEKING)
_STARTED = tuple(s for s in STATES if s not in TERMINAL_STATES and s != IDLE)
_INTERRUPTIBLE = tuple(s for s in _STARTED if s != COMPLETED)

# Guards are session predicates; a leading "!" means the predicate must be false.
# fmt: off
TABLE: Final[tuple[tuple[str, str | tuple[str, ...], str | None, tuple[str, ...], tuple[str, ...]], ...]] = (
    # trigger          sources                                dest          guards                                      actions
    ("load",           IDLE,                                  None,         (),                                         ("load_content",)),
    ("load",           (STARTING, *CONTENT_IN_PROGRESS),      None,         ("!is_new_item",),                          ("update_content",)),
    ("load",           (STARTING, *CONTENT_IN_PROGRESS, ENDED), STARTING,   ("is_new_item",),                           ("load_next_content",)),

    ("play",           IDLE,                                  STARTING,     (),                                         ("start_playback",)),
    ("play",           PAUSED,                                PLAYING,      ("content_has_started",),                   ("resume",)),
    ("play",           PAUSED,                                STARTING,     ("!content_has_started",),                  ("resume",)),
    ("play",           AD_PAUSED,                             AD_PLAYING,   (),                                         ("resume",)),
    ("play",           SEEKING,                               None,         ("!seek_resumes_playing",),                 ("resume_during_seek",)),

    ("playing",        IDLE,                                  PLAYING,      (),                                         ("start_playback", "start_content")),
    ("playing",        STARTING,                              PLAYING,      (),                                         ("start_content",)),
    ("playing",        (PLAYING, AD_PLAYING),                 None,         (),                                         ("observe_playing",)),
    ("playing",        PAUSED,                                PLAYING,      ("content_has_started",),                   ("resume",)),
    ("playing",        PAUSED,                                PLAYING,      ("!content_has_started",),                  ("resume", "start_content")),
    ("playing",        AD_PAUSED,                             AD_PLAYING,   (),                                         ("resume",)),
    ("playing",        BUFFERING,                             PLAYING,      (),                                         ("end_buffering",)),
    ("playing",        AD_BUFFERING,                          AD_PLAYING,   (),                                         ("end_buffering",)),
    ("playing",        SEEKING,                               PLAYING,      ("seek_resumes_playing",),                  ("finish_seek",)),
    ("playing",        SEEKING,                               PLAYING,      ("!seek_resumes_playing",),                 ("finish_seek", "resume")),

    ("pause",          (STARTING, PLAYING, BUFFERING),        PAUSED,       (),                                         ("pause",)),
    ("pause",          (AD_PLAYING, AD_BUFFERING),            AD_PAUSED,    (),                                         ("pause",)),
    ("pause",          SEEKING,                               None,         ("seek_resumes_playing",),                  ("pause_during_seek",)),

    ("waiting",        PLAYING,                               BUFFERING,    (),                                         ("start_buffering",)),
    ("waiting",        AD_PLAYING,                            AD_BUFFERING, (),                                         ("start_buffering",)),
    ("waiting",        (STARTING, SEEKING),                   None,         (),                                         ()),  # start-up and seek waits are not stalls

    ("seeking",        (PLAYING, BUFFERING),                  SEEKING,      (),                                         ("start_seek_while_playing",)),
    ("seeking",        PAUSED,                                SEEKING,      (),                                         ("start_seek_while_paused",)),
    ("seeking",        SEEKING,                               None,         (),                                         ("retarget_seek",)),
    ("seeking",        (IDLE, STARTING),                      None,         (),                                         ("set_start_position",)),
    ("seeked",         SEEKING,                               PLAYING,      ("seek_resumes_playing",),                  ("finish_seek",)),
    ("seeked",         SEEKING,                               PAUSED,       ("!seek_resumes_playing",),                 ("finish_seek",)),
    ("seeked",         (IDLE, STARTING),                      None,         (),                                         ("set_start_position",)),

    ("ended",          CONTENT_IN_PROGRESS,                   COMPLETED,    ("nothing_left_to_play",),                  ("end_content", "complete_playback")),
    ("ended",          CONTENT_IN_PROGRESS,                   ENDED,        ("!nothing_left_to_play",),                 ("end_content",)),

    ("ad_break_start", IDLE,                                  AD_BREAK,     (),                                         ("start_playback", "start_preroll_break")),
    ("ad_break_start", STARTING,                              AD_BREAK,     (),                                         ("start_preroll_break",)),
    ("ad_break_start", PAUSED,                                AD_BREAK,     ("!content_has_started",),                  ("start_preroll_break",)),
    ("ad_break_start", (PLAYING, PAUSED, BUFFERING),          AD_BREAK,     ("content_has_started",),                   ("start_midroll_break",)),
    ("ad_break_start", ENDED,                                 AD_BREAK,     (),                                         ("start_postroll_break",)),
    ("ad_start",       AD_BREAK,                              AD_PLAYING,   (),                                         ("start_ad",)),
    ("ad_end",         IN_AD,                                 AD_BREAK,     (),                                         ("end_ad",)),
    ("ad_skip",        IN_AD,                                 AD_BREAK,     (),                                         ("skip_ad",)),
    ("ad_error",       (*IN_AD, AD_BREAK),                    AD_BREAK,     (),                                         ("fail_ad",)),
    ("ad_click",       IN_AD,                                 None,         (),                                         ("click_ad",)),
    ("ad_break_end",   (*IN_AD, AD_BREAK),                    STARTING,     ("break_is_preroll",),                      ("end_ad_break",)),
    ("ad_break_end",   (*IN_AD, AD_BREAK),                    PLAYING,      ("break_is_midroll",),                      ("end_ad_break",)),
    ("ad_break_end",   (*IN_AD, AD_BREAK),                    COMPLETED,    ("break_is_postroll", "nothing_left_to_play"),  ("end_ad_break", "complete_playback")),
    ("ad_break_end",   (*IN_AD, AD_BREAK),                    ENDED,        ("break_is_postroll", "!nothing_left_to_play"), ("end_ad_break",)),

    ("error",          _INTERRUPTIBLE,                        INTERRUPTED,  ("error_is_fatal",),                        ("interrupt",)),
    ("error",          IDLE,                                  INTERRUPTED,  ("error_is_fatal",),                        ()),
    ("error",          COMPLETED,                             None,         ("error_is_fatal",),                        ()),  # after Completed only Exited may be sent: the exit still comes
    ("error",          (IDLE, *_STARTED),                     None,         ("!error_is_fatal",),                       ()),
    ("interrupt",      _INTERRUPTIBLE,                        INTERRUPTED,  (),                                         ("interrupt",)),
    ("interrupt",      IDLE,                                  INTERRUPTED,  (),                                         ()),
    ("interrupt",      COMPLETED,                             None,         (),                                         ()),
    ("exit",           _STARTED,                              EXITED,       (),                                         ("exit",)),
    ("exit",           IDLE,                                  EXITED,       (),                                         ()),
    ("exit",           INTERRUPTED,                           None,         (),                                         ()),  # closing an interrupted player
)
# fmt: on

#: Every callback of the raw player vocabulary, triggers and observations alike.
TRIGGERS: Final = tuple(dict.fromkeys(row[0] for row in TABLE))
OBSERVATIONS: Final = (
    "timeupdate",
    "ratechange",
    "durationchange",
    "quality",
    "volume",
    "fullscreen",
)
CALLBACKS: Final = TRIGGERS + OBSERVATIONS


def _as_transition(
    row: tuple[str, str | tuple[str, ...], str | None, tuple[str, ...], tuple[str, ...]],
) -> dict[str, object]:
    trigger, sources, dest, guards, actions = row
    return {
        "trigger": trigger,
        "source": list(sources) if isinstance(sources, tuple) else sources,
        "dest": dest,
        "conditions": [g for g in guards if not g.startswith("!")],
        "unless": [g[1:] for g in guards if g.startswith("!")],
        "after": list(actions),
    }


#: The one ``transitions`` machine all sessions share (they are never bound to it as models).
MACHINE: Final = Machine(
    model=None,
    states=list(STATES),
    transitions=[_as_transition(row) for row in TABLE],
    initial=IDLE,
    auto_transitions=False,
    send_event=False,
)


@attrs.frozen
class Route:
    """One transition of :data:`MACHINE`, compiled for the hot path."""

    dest: str | None
    conditions: tuple[tuple[str, bool], ...]  # (guard, value it must have)
    actions: tuple[str, ...]


def _compile(machine: Machine) -> dict[str, dict[str, tuple[Route, ...]]]:
    routes: dict[str, dict[str, tuple[Route, ...]]] = {}
    for name, event in machine.events.items():
        by_source: dict[str, tuple[Route, ...]] = {}
        for source, transitions in event.transitions.items():
            by_source[source] = tuple(
                Route(
                    dest=t.dest,
                    conditions=tuple((str(c.func), bool(c.target)) for c in t.conditions),
                    actions=tuple(str(action) for action in t.after),
                )
                for t in transitions
            )
        routes[name] = by_source
    return routes


#: ``ROUTES[trigger][state]``: the transitions of :data:`MACHINE`, in its order of precedence.
ROUTES: Final = _compile(MACHINE)

#: Callbacks a session still takes once it is over (exited or interrupted): closing the
#: player, and a late interruption (refused by the table). Any other is refused at once.
ACCEPTED_WHEN_OVER: Final = frozenset({"exit", "interrupt"})

#: States in which a change of quality is reported (Video Quality Updated): not before
#: playback starts, and after Video Playback Completed only Video Playback Exited may follow.
QUALITY_REPORTED_IN: Final = OPEN_STATES - {IDLE, COMPLETED}

#: States in which a ``load`` of the asset playing updates its metadata (the table's rows).
METADATA_UPDATE_STATES: Final = frozenset(
    state
    for state, routes in ROUTES["load"].items()
    for route in routes
    if route.actions == ("update_content",)
)
