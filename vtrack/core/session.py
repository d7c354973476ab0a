"""A playback session: player callbacks in, Segment video events out.

A :class:`Session` is driven by callbacks, each with the time it happened. Before acting on
a callback it emits everything that fell due up to that time (heartbeats, milestones, ad
quartiles), so events always come in time order and a replayed log gives exactly what the
live run gave. It never reads the system clock, sleeps or does I/O: a live caller passes a
``clock`` and calls :meth:`Session.advance` when :meth:`Session.next_deadline` says.

The session only dispatches: a callback goes through the machine's route for the current
state (:mod:`vtrack.core.machine`) to the actions of :mod:`vtrack.core.actions`, which work
through its collaborators: the :class:`~vtrack.core.playback.PlaybackState` (what plays), the
:class:`~vtrack.core.clockwork.Clockwork` (what falls due when) and the
:class:`~vtrack.core.emitter.Emitter` (facts to messages).

>>> from vtrack import Session, MemorySink, Content
>>> sink = MemorySink()
>>> s = Session("s1", anonymous_id="a1", sink=sink, heartbeat=10)
>>> s.load(Content(asset_id="v1", duration=60.0), at=0.0)
>>> s.play(at=0.0); s.playing(0.0, at=0.5); s.pause(at=21.0)
>>> [m["event"] for m in sink.messages]  # doctest: +NORMALIZE_WHITESPACE
['Video Playback Started', 'Video Content Started', 'Video Content Playing',
 '25% Content Completed', 'Video Content Playing', 'Video Playback Paused']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from vtrack.core.actions import ACTIONS, GUARDS, Action
from vtrack.core.callbacks import Anomaly, Callback
from vtrack.core.clockwork import NO_DEADLINE, Clockwork
from vtrack.core.content import Content
from vtrack.core.emitter import Emitter
from vtrack.core.errors import InvalidCallback, MissingTime
from vtrack.core.machine import (
    ACCEPTED_WHEN_OVER,
    IDLE,
    PLAYING,
    ROUTES,
    TERMINAL_STATES,
)
from vtrack.core.observations import OBSERVERS
from vtrack.core.playback import PlaybackState
from vtrack.core.protocols import Sink
from vtrack.core.settings import Settings
from vtrack.core.validation import (
    LAST_TIME,
    checked_args,
    position_arg,
    session_identity,
    takes_playhead,
    time_problem,
)


class Session:
    """One playback session of one player.

    An example is in the module docstring.

    Exactly one of ``user_id`` / ``anonymous_id`` is required. Configure it with a shared
    :class:`~vtrack.Settings` (``settings=``) or with the same options as keywords.
    ``first_sequence`` numbers the session's first message (part of its messageId): a session
    that takes over the id, viewer and start time of an earlier one continues its numbering,
    so their messageIds never collide.
    """

    #: Whether steady position reports skip the general path (the same messages either way:
    #: :meth:`vtrack.core.clockwork.Clockwork.steady_report`); False on the class to compare.
    fast_path: ClassVar[bool] = True

    __slots__ = (
        "_anomalies",
        "_clockwork",
        "_emitter",
        "_playback",
        "sink",
        "state",
    )

    def __init__(
        self,
        session_id: str,
        *,
        sink: Sink,
        user_id: str | None = None,
        anonymous_id: str | None = None,
        settings: Settings | None = None,
        first_sequence: int = 0,
        **options: Any,
    ) -> None:
        if settings is not None and options:
            raise TypeError("pass either settings= or individual options, not both")
        identity = session_identity(session_id, user_id, anonymous_id, first_sequence)
        settings = settings if settings is not None else Settings(**options)
        self.sink = sink
        self.state = IDLE
        self._playback = PlaybackState()
        self._clockwork = Clockwork(settings)
        self._emitter = Emitter(settings, self._playback, session_id, identity, first_sequence)
        self._anomalies: list[Anomaly] | None = None

    # ------------------------------------------------------------------ public state
    @property
    def session_id(self) -> str:
        """The session's id (``properties.session_id`` of its messages)."""
        return self._emitter.session_id

    @property
    def settings(self) -> Settings:
        """The session's :class:`~vtrack.Settings`."""
        return self._emitter.settings

    @property
    def identity_key(self) -> str:
        """``userId`` or ``anonymousId``: which of the two identifies the viewer."""
        return self._emitter.identity_key

    @property
    def identity(self) -> str:
        """The viewer's user id or anonymous id."""
        return self._emitter.identity

    @property
    def anomalies(self) -> list[Anomaly]:
        """The callbacks absorbed because they made no sense, oldest first."""
        if self._anomalies is None:
            self._anomalies = []
        return self._anomalies

    @property
    def undelivered(self) -> list[dict[str, Any]]:
        """Messages the sink has not taken yet (after it raised); offered again first."""
        return list(self._emitter.outbox or ())

    @property
    def started_at(self) -> float | None:
        """The time of the session's first callback (part of every messageId); None before."""
        started_at = self._emitter.started_at
        return None if math.isnan(started_at) else started_at

    @property
    def last_at(self) -> float | None:
        """The time of the last callback the session accepted (time never goes back past it)."""
        last = self._clockwork.last_at
        return None if math.isnan(last) else last

    @property
    def next_sequence(self) -> int:
        """The sequence number of the session's next message (see ``first_sequence``)."""
        return self._emitter.sequence

    @property
    def position(self) -> float:
        """The content position (seconds) as of the last callback."""
        last = self.last_at
        return self._playback.head.position_at(0.0 if last is None else last, self.state == PLAYING)

    def __repr__(self) -> str:
        return f"<Session {self.session_id!r} {self.state} {self._emitter.sequence} events>"

    # ------------------------------------------------------------------ time
    def next_deadline(self) -> float | None:
        """When something (a heartbeat, milestone or quartile) is next due, or None."""
        deadline = self._clockwork.deadline
        return None if deadline == NO_DEADLINE else deadline

    def advance(self, at: float | None = None) -> None:
        """Emit everything due up to ``at`` without a callback (for live timers)."""
        t = self._begin("advance", at)
        if t is not None:
            self._deliver()

    # ------------------------------------------------------------------ callbacks
    def handle(self, callback: Callback) -> None:
        """Apply a :class:`~vtrack.Callback` (the same as calling its method)."""
        getattr(self, callback.name)(**callback.args, at=callback.at)

    def load(
        self, content: Content, *, position: float | None = None, at: float | None = None
    ) -> None:
        """The player loaded a content item (the first, or the next one of a playlist)."""
        args: dict[str, Any] = {"content": content}
        if not isinstance(content, Content):
            args = {"invalid": f"content must be a vtrack.Content; got {content!r}"}
        self._trigger("load", at, args, position)

    def play(self, *, position: float | None = None, at: float | None = None) -> None:
        """The user asked for playback (first play, or resume after a pause)."""
        self._trigger("play", at, {}, position)

    def playing(self, position: float | None = None, *, at: float | None = None) -> None:
        """Frames are rendering (first frame, or again after a stall, seek or pause)."""
        self._trigger("playing", at, position_arg(position, optional=True))

    def pause(self, *, position: float | None = None, at: float | None = None) -> None:
        """The user paused."""
        self._trigger("pause", at, {}, position)

    def waiting(self, *, position: float | None = None, at: float | None = None) -> None:
        """Playback stalled for lack of data."""
        self._trigger("waiting", at, {}, position)

    def seeking(self, position: float, *, at: float | None = None) -> None:
        """A seek to ``position`` began (repeated seeking before seeked collapses into one)."""
        self._trigger("seeking", at, position_arg(position))

    def seeked(self, position: float | None = None, *, at: float | None = None) -> None:
        """The seek finished (at ``position``, or at the last seeking target)."""
        self._trigger("seeked", at, position_arg(position, optional=True))

    def ended(self, *, position: float | None = None, at: float | None = None) -> None:
        """The content reached its end."""
        self._trigger("ended", at, {}, position)

    def error(
        self,
        message: str = "",
        *,
        fatal: bool = False,
        position: float | None = None,
        at: float | None = None,
    ) -> None:
        """The player reported an error; a fatal one interrupts playback."""
        args = checked_args({"message": message, "fatal": bool(fatal)})
        self._trigger("error", at, args, position)

    def ad_break_start(
        self,
        pod_id: str | None = None,
        type: str | None = None,
        ad_count: int | None = None,
        *,
        position: float | None = None,
        at: float | None = None,
    ) -> None:
        """An ad pod (break) begins; ``type`` is pre-roll, mid-roll or post-roll."""
        args = {"pod_id": pod_id, "type": type, "ad_count": ad_count}
        self._trigger("ad_break_start", at, checked_args(args), position)

    def ad_start(
        self,
        asset_id: str | None = None,
        *,
        title: str | None = None,
        length: float | None = None,
        pod_position: int | None = None,
        publisher: str | None = None,
        load_type: str | None = None,
        position: float | None = None,
        at: float | None = None,
    ) -> None:
        """An ad of the current pod starts playing."""
        args = {"asset_id": asset_id, "title": title, "length": length}
        args |= {"pod_position": pod_position, "publisher": publisher, "load_type": load_type}
        self._trigger("ad_start", at, checked_args(args), position)

    def ad_click(self, *, position: float | None = None, at: float | None = None) -> None:
        """The viewer clicked the ad."""
        self._trigger("ad_click", at, {}, position)

    def ad_end(self, *, position: float | None = None, at: float | None = None) -> None:
        """The ad played to its end."""
        self._trigger("ad_end", at, {}, position)

    def ad_skip(self, *, position: float | None = None, at: float | None = None) -> None:
        """The viewer skipped the ad."""
        self._trigger("ad_skip", at, {}, position)

    def ad_error(
        self, message: str = "", *, position: float | None = None, at: float | None = None
    ) -> None:
        """The ad failed to play."""
        self._trigger("ad_error", at, checked_args({"message": message}), position)

    def ad_break_end(self, *, position: float | None = None, at: float | None = None) -> None:
        """The ad pod is over; content resumes (or playback completes after a post-roll)."""
        self._trigger("ad_break_end", at, {}, position)

    def interrupt(
        self, method: str | None = None, *, position: float | None = None, at: float | None = None
    ) -> None:
        """Playback stopped unintentionally (``method``: network loss, app crash, ...)."""
        self._trigger("interrupt", at, checked_args({"method": method}), position)

    def exit(self, *, position: float | None = None, at: float | None = None) -> None:
        """The viewer left the player."""
        self._trigger("exit", at, {}, position)

    # ------------------------------------------------------------------ observations
    def timeupdate(self, position: float, *, at: float | None = None) -> None:
        """The player reports its position (seconds into the content, or into the ad)."""
        clockwork = self._clockwork
        last = clockwork.last_at
        if (
            self.fast_path
            and type(at) is float
            and type(position) is float
            and last <= at < clockwork.deadline  # False before the first callback (NaN)
            and at < LAST_TIME
            and self._emitter.outbox is None
            and clockwork.steady_report(position, at)
        ):
            clockwork.last_at = at
            return
        self._observe("timeupdate", at, {"position": position}, None)

    def ratechange(
        self, rate: float, *, position: float | None = None, at: float | None = None
    ) -> None:
        """The playback rate changed (1.0 is normal speed)."""
        self._observe("ratechange", at, {"rate": rate}, position)

    def durationchange(
        self, duration: float | None, *, position: float | None = None, at: float | None = None
    ) -> None:
        """The content's duration became known or changed."""
        self._observe("durationchange", at, {"duration": duration}, position)

    def quality(
        self,
        *,
        bitrate: float | None = None,
        framerate: float | None = None,
        quality: str | None = None,
        dropped_frames: int | None = None,
        startup_time: float | None = None,
        position: float | None = None,
        at: float | None = None,
    ) -> None:
        """Quality values changed; Video Quality Updated is sent only if one really changed."""
        args: dict[str, Any] = {"bitrate": bitrate, "framerate": framerate}
        args |= {"dropped_frames": dropped_frames, "startup_time": startup_time, "quality": quality}
        self._observe("quality", at, args, position)

    def volume(
        self, level: float, *, position: float | None = None, at: float | None = None
    ) -> None:
        """The volume changed (0-100)."""
        self._observe("volume", at, {"level": level}, position)

    def fullscreen(
        self, on: bool, *, position: float | None = None, at: float | None = None
    ) -> None:
        """Full screen was entered (``on=True``) or left."""
        self._observe("fullscreen", at, {"on": on}, position)

    def retry_delivery(self) -> None:
        """Offer the sink what it failed to take before (raises SinkError if it fails again)."""
        self._deliver()

    # ------------------------------------------------------------------ dispatch
    def _trigger(
        self, name: str, at: float | None, args: dict[str, Any], position: float | None = None
    ) -> None:
        t = self._begin(name, at, position)
        if t is None:
            return
        invalid = args.get("invalid")
        if invalid is not None:
            self._anomaly(name, t, invalid)
            return
        state = self.state
        routes = _BOUND_ROUTES[name].get(state)
        if routes is None:
            self._anomaly(name, t, f"not allowed in state {state!r}", state)
            return
        for dest, guards, actions in routes:
            for guard, wanted in guards:
                if guard(self, args) is not wanted:
                    break
            else:
                self._clockwork.settle(t, state, self._playback)
                if dest is not None:
                    self.state = dest
                for action in actions:
                    action(self, args, t)
                self._finish(t)
                return
        self._anomaly(name, t, "no transition's guard holds", state)

    def _observe(
        self, name: str, at: float | None, args: dict[str, Any], position: float | None
    ) -> None:
        t = self._begin(name, at, position)
        if t is None:
            return
        problem = OBSERVERS[name](self, args, t)
        if problem is not None:
            self._anomaly(name, t, problem)
            return
        self._finish(t)

    def _begin(self, name: str, at: float | None, position: float | None = None) -> float | None:
        """Check the callback's time, then emit what fell due before it.

        A ``position`` the callback carries is the playhead at that instant: it is taken first,
        exactly as a ``timeupdate`` at the same time, unless that would be an anomaly.
        """
        if at is None:
            clock = self.settings.clock
            if clock is None:
                raise MissingTime(
                    f"{name}: no at= given and the session has no clock (pass at=, or "
                    "Settings(clock=...))"
                )
            at = clock()
        if position is not None:
            over = self.state in TERMINAL_STATES
            if takes_playhead(position, at, self.last_at, over):
                self.timeupdate(float(position), at=float(at))
        if type(at) is not float or not 0.0 <= at < LAST_TIME:
            problem = time_problem(at)
            if problem is not None:
                self._anomaly(name, None, problem)
                return None
            at = float(at)
        clockwork = self._clockwork
        last = clockwork.last_at
        if at < last:  # never before the first callback (NaN)
            if name == "advance":
                return None  # a timer that woke just before a callback moved time on
            self._anomaly(name, at, f"time went backwards ({at!r} < {last!r})")
            return None
        if self.state in TERMINAL_STATES and name not in ACCEPTED_WHEN_OVER and name != "advance":
            self._anomaly(name, at, "the session is over")
            return None
        if math.isnan(self._emitter.started_at):
            self._emitter.started_at = at
        clockwork.last_at = at
        if clockwork.deadline <= at:
            clockwork.advance(at, self.state, self._playback, self._emitter)
        return at

    def _finish(self, t: float) -> None:
        self._clockwork.update(t, self.state, self._playback)
        if self._clockwork.deadline <= t:
            self._clockwork.advance(t, self.state, self._playback, self._emitter)
        if self._emitter.outbox:
            self._emitter.deliver(self.sink)

    # ------------------------------------------------------------------ anomalies, delivery
    def _anomaly(self, name: str, at: float | None, reason: str, state: str | None = None) -> None:
        state = state or self.state
        self.anomalies.append(Anomaly(name, state, reason, at))
        if self.settings.strict:
            raise InvalidCallback(name, state, reason, at)  # what fell due waits in the outbox
        self._deliver()  # what fell due before this callback still goes out

    def _deliver(self) -> None:
        if self._emitter.outbox is not None:
            self._emitter.deliver(self.sink)


_Guard = tuple[Callable[[Session, dict[str, Any]], bool], bool]
_BoundRoute = tuple[str | None, tuple[_Guard, ...], tuple[Action, ...]]

#: :data:`~vtrack.core.machine.ROUTES` with each guard and action looked up by name once:
#: ``(dest, ((guard, wanted), ...), (action, ...))``.
_BOUND_ROUTES: dict[str, dict[str, tuple[_BoundRoute, ...]]] = {
    trigger: {
        state: tuple(
            (
                route.dest,
                tuple((GUARDS[guard], wanted) for guard, wanted in route.conditions),
                tuple(ACTIONS[action] for action in route.actions),
            )
            for route in routes
        )
        for state, routes in by_state.items()
    }
    for trigger, by_state in ROUTES.items()
}

__all__ = ["Session"]
