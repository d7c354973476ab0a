"""A playback session: player callbacks in, Segment video events out.

A :class:`Session` is driven by callbacks, each with the time it happened. Before acting on
a callback it emits everything that fell due up to that time (heartbeats, milestones, ad
quartiles), so events always come in time order and a replayed log gives exactly what the
live run gave. It never reads the system clock, sleeps or does I/O: a live caller passes a
``clock`` and calls :meth:`Session.advance` when :meth:`Session.next_deadline` says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from vtrack.core.callbacks import Anomaly, Callback
from vtrack.core.content import Content
from vtrack.core.errors import InvalidCallback, MissingTime, SinkError
from vtrack.core.machine import (
    AD_BREAK,
    AD_PLAYING,
    COMPLETED,
    ENDED,
    IDLE,
    IN_AD,
    MACHINE,
    PLAYING,
    PLAYING_STATES,
    ROUTES,
    TERMINAL_STATES,
)
from vtrack.core.playhead import CONTINUITY_TOLERANCE
from vtrack.core.protocols import Sink
from vtrack.core.schedule import HeartbeatSchedule
from vtrack.core.session_actions import AdBreak, AdPlay, SessionActions
from vtrack.core.settings import Engine, Settings
from vtrack.core.validation import checked_args, is_number, is_position, position_arg
from vtrack.profiles import base as kind
from vtrack.profiles.base import QUALITY_GROUP

_NO_DEADLINE = math.inf
_NO_ARGS: dict[str, Any] = {}
_LAST_TIME = 253402300800.0  # 10000-01-01T00:00:00Z: timestamps must stay printable
_DUE_HEARTBEAT, _DUE_MILESTONE, _DUE_QUARTILE = 0, 1, 2


class _TransitionsModel:
    """Lets the shared ``transitions`` machine drive a session without binding it as a model."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def state(self) -> str:
        return self._session.state

    @state.setter
    def state(self, value: str) -> None:
        self._session.state = value

    def __getattr__(self, name: str) -> Any:
        session = self._session
        guard = getattr(session, "_guard_" + name, None)
        return guard if guard is not None else getattr(session, "_act_" + name)


class Session(SessionActions):
    """One playback session of one player.

    >>> from vtrack import Session, MemorySink, Content
    >>> sink = MemorySink()
    >>> s = Session("s1", anonymous_id="a1", sink=sink, heartbeat=10)
    >>> s.load(Content(asset_id="v1", duration=60.0), at=0.0)
    >>> s.play(at=0.0); s.playing(0.0, at=0.5); s.pause(at=21.0)
    >>> [m["event"] for m in sink.messages]  # doctest: +NORMALIZE_WHITESPACE
    ['Video Playback Started', 'Video Content Started', 'Video Content Playing',
     '25% Content Completed', 'Video Content Playing', 'Video Playback Paused']

    Exactly one of ``user_id`` / ``anonymous_id`` is required. Configure it with a shared
    :class:`~vtrack.Settings` (``settings=``) or with the same options as keywords.
    ``first_sequence`` numbers the session's first message (part of its messageId): a session
    that takes over the id, viewer and start time of an earlier one continues its numbering,
    so their messageIds never collide.
    """

    __slots__ = (
        "_anomalies",
        "_hb",
        "_start_at",
        "identity",
        "identity_key",
        "session_id",
        "settings",
        "sink",
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
        if not isinstance(session_id, str) or not session_id:
            raise ValueError(f"session_id must be a non-empty string; got {session_id!r}")
        if (user_id is None) == (anonymous_id is None):
            raise ValueError(
                "a session needs exactly one of user_id or anonymous_id "
                f"(got user_id={user_id!r}, anonymous_id={anonymous_id!r})"
            )
        identity = user_id if user_id is not None else anonymous_id
        if not isinstance(identity, str) or not identity:
            raise ValueError(f"the user id must be a non-empty string; got {identity!r}")
        self.settings = settings if settings is not None else Settings(**options)
        self.session_id = session_id
        self.sink = sink
        self.identity_key = "userId" if user_id is not None else "anonymousId"
        self.identity = identity
        self.state = IDLE
        self._init_actions()
        if isinstance(first_sequence, bool) or not isinstance(first_sequence, int):
            raise TypeError(f"first_sequence must be an int; got {first_sequence!r}")
        if first_sequence < 0:
            raise ValueError(f"first_sequence must be >= 0; got {first_sequence!r}")
        self._seq = first_sequence
        self._hb = HeartbeatSchedule(self.settings.heartbeat)
        self._start_at: float | None = None
        self._last_at: float | None = None
        self._anomalies: list[Anomaly] | None = None
        self._deadline = _NO_DEADLINE
        self._hb_due = _NO_DEADLINE
        self._milestone_target: float | None = None
        self._milestone_index = 0
        self._due = _DUE_HEARTBEAT

    # ------------------------------------------------------------------ public state
    @property
    def anomalies(self) -> list[Anomaly]:
        """The callbacks absorbed because they made no sense, oldest first."""
        if self._anomalies is None:
            self._anomalies = []
        return self._anomalies

    @property
    def undelivered(self) -> list[dict[str, Any]]:
        """Messages the sink has not taken yet (after it raised); offered again first."""
        return list(self._outbox or ())

    @property
    def started_at(self) -> float | None:
        """The time of the session's first callback (part of every messageId)."""
        return self._start_at

    @property
    def last_at(self) -> float | None:
        """The time of the last callback the session accepted (time never goes back past it)."""
        return self._last_at

    @property
    def next_sequence(self) -> int:
        """The sequence number of the session's next message (see ``first_sequence``)."""
        return self._seq

    @property
    def position(self) -> float:
        """The content position (seconds) as of the last callback."""
        return self._content_head.position_at(self._last_at or 0.0, self.state == PLAYING)

    def __repr__(self) -> str:
        return f"<Session {self.session_id!r} {self.state} {self._seq} events>"

    # ------------------------------------------------------------------ time
    def next_deadline(self) -> float | None:
        """When something (a heartbeat, milestone or quartile) is next due, or None."""
        return None if self._deadline == _NO_DEADLINE else self._deadline

    def advance(self, at: float | None = None) -> None:
        """Emit everything due up to ``at`` without a callback (for live timers)."""
        t = self._begin("advance", at)
        if t is not None:
            self._deliver()

    # ------------------------------------------------------------------ callbacks
    def handle(self, callback: Callback) -> None:
        """Apply a :class:`~vtrack.Callback` (the same as calling its method)."""
        getattr(self, callback.name)(**callback.args, at=callback.at)

    def load(self, content: Content, *, at: float | None = None) -> None:
        """The player loaded a content item (the first, or the next one of a playlist)."""
        if not isinstance(content, Content):
            self._reject("load", at, f"content must be a vtrack.Content; got {content!r}")
            return
        self._trigger("load", at, {"content": content})

    def play(self, *, at: float | None = None) -> None:
        """The user asked for playback (first play, or resume after a pause)."""
        self._trigger("play", at, {})

    def playing(self, position: float | None = None, *, at: float | None = None) -> None:
        """Frames are rendering (first frame, or again after a stall, seek or pause)."""
        self._trigger("playing", at, position_arg(position, optional=True))

    def pause(self, *, at: float | None = None) -> None:
        """The user paused."""
        self._trigger("pause", at, {})

    def waiting(self, *, at: float | None = None) -> None:
        """Playback stalled for lack of data."""
        self._trigger("waiting", at, {})

    def seeking(self, position: float, *, at: float | None = None) -> None:
        """A seek to ``position`` began (repeated seeking before seeked collapses into one)."""
        self._trigger("seeking", at, position_arg(position))

    def seeked(self, position: float | None = None, *, at: float | None = None) -> None:
        """The seek finished (at ``position``, or at the last seeking target)."""
        self._trigger("seeked", at, position_arg(position, optional=True))

    def ended(self, *, at: float | None = None) -> None:
        """The content reached its end."""
        self._trigger("ended", at, {})

    def error(self, message: str = "", *, fatal: bool = False, at: float | None = None) -> None:
        """The player reported an error; a fatal one interrupts playback."""
        self._trigger("error", at, checked_args({"message": message, "fatal": bool(fatal)}))

    def ad_break_start(
        self,
        pod_id: str | None = None,
        type: str | None = None,
        ad_count: int | None = None,
        *,
        at: float | None = None,
    ) -> None:
        """An ad pod (break) begins; ``type`` is pre-roll, mid-roll or post-roll."""
        args = {"pod_id": pod_id, "type": type, "ad_count": ad_count}
        self._trigger("ad_break_start", at, checked_args(args))

    def ad_start(
        self,
        asset_id: str | None = None,
        *,
        title: str | None = None,
        length: float | None = None,
        pod_position: int | None = None,
        publisher: str | None = None,
        load_type: str | None = None,
        at: float | None = None,
    ) -> None:
        """An ad of the current pod starts playing."""
        args = {
            "asset_id": asset_id,
            "title": title,
            "length": length,
            "pod_position": pod_position,
            "publisher": publisher,
            "load_type": load_type,
        }
        self._trigger("ad_start", at, checked_args(args))

    def ad_click(self, *, at: float | None = None) -> None:
        """The viewer clicked the ad."""
        self._trigger("ad_click", at, {})

    def ad_end(self, *, at: float | None = None) -> None:
        """The ad played to its end."""
        self._trigger("ad_end", at, {})

    def ad_skip(self, *, at: float | None = None) -> None:
        """The viewer skipped the ad."""
        self._trigger("ad_skip", at, {})

    def ad_error(self, message: str = "", *, at: float | None = None) -> None:
        """The ad failed to play."""
        self._trigger("ad_error", at, checked_args({"message": message}))

    def ad_break_end(self, *, at: float | None = None) -> None:
        """The ad pod is over; content resumes (or playback completes after a post-roll)."""
        self._trigger("ad_break_end", at, {})

    def interrupt(self, method: str | None = None, *, at: float | None = None) -> None:
        """Playback stopped unintentionally (``method``: network loss, app crash, ...)."""
        self._trigger("interrupt", at, checked_args({"method": method}))

    def exit(self, *, at: float | None = None) -> None:
        """The viewer left the player."""
        self._trigger("exit", at, {})

    # ------------------------------------------------------------------ observations
    def timeupdate(self, position: float, *, at: float | None = None) -> None:
        """The player reports its position (seconds into the content, or into the ad)."""
        # The hot paths (most callbacks): a pod playing, nothing due, nothing pending. They
        # give the same result as the general path at the end (a hypothesis test checks it).
        state = self.state
        last = self._last_at
        if (
            type(at) is float
            and type(position) is float
            and last is not None
            and last <= at < self._deadline
            and at < _LAST_TIME
            and self._outbox is None
        ):
            if state == PLAYING:
                target = self._milestone_target
                if target is not None and 0.0 <= position < target:
                    # Content playing on as interpolated, short of the next milestone
                    # (position basis): only the playhead and the deadline move.
                    head = self._content_head
                    start, since, rate = head.pos, head.at, head.rate
                    predicted = start + rate * (at - since) if at > since else start
                    length = head.length
                    if length is not None and predicted > length:
                        predicted = length
                    if (
                        start - CONTINUITY_TOLERANCE <= position <= predicted + CONTINUITY_TOLERANCE
                    ) and (length is None or position <= length):
                        self._last_at = at
                        head.pos = position
                        if at > since:
                            head.at = at
                        milestone_at = at + (target - position) / rate
                        hb_due = self._hb_due
                        if milestone_at < hb_due:
                            self._deadline = milestone_at
                            self._due = _DUE_MILESTONE
                            self._due_index = self._milestone_index
                        else:
                            self._deadline, self._due, self._due_index = hb_due, _DUE_HEARTBEAT, 0
                        return
            if 0.0 <= position < _NO_DEADLINE and (
                state == PLAYING or (state == AD_PLAYING and self._ad is not None)
            ):
                self._last_at = at
                if state == PLAYING:
                    head = self._content_head
                    self._observe_content(position, at)
                    # The report may have fired the milestone the fast path aims at.
                    self._milestone_target, self._milestone_index = head.steady_target()
                    mark = _DUE_MILESTONE
                else:
                    assert self._ad is not None
                    head = self._ad.head
                    head.settle(at, True)
                    head.jump(position, at)
                    mark = _DUE_QUARTILE
                upcoming = head.next_milestone()
                hb_due = self._hb_due
                if upcoming is not None and upcoming[0] < hb_due:
                    self._deadline, self._due, self._due_index = upcoming[0], mark, upcoming[1]
                else:
                    self._deadline, self._due, self._due_index = hb_due, _DUE_HEARTBEAT, 0
                if self._deadline <= at:
                    self._advance(at)
                if self._outbox is not None:
                    self._deliver()
                return
        t = self._begin("timeupdate", at)
        if t is None:
            return
        if not is_position(position):
            self._anomaly(
                "timeupdate", t, f"position must be a finite number >= 0; got {position!r}"
            )
            return
        state = self.state
        if state == PLAYING:
            self._observe_content(position, t)
        elif state in IN_AD:
            ad = self._ad
            if ad is not None:
                ad.head.settle(t, state == AD_PLAYING)
                ad.head.jump(position, t)
        elif state not in (AD_BREAK, ENDED, COMPLETED):
            self._content_head.jump(position, t)
        self._finish(t)

    def ratechange(self, rate: float, *, at: float | None = None) -> None:
        """The playback rate changed (1.0 is normal speed)."""
        t = self._begin("ratechange", at)
        if t is None:
            return
        if not is_number(rate) or rate <= 0:
            self._anomaly("ratechange", t, f"rate must be a finite number > 0; got {rate!r}")
            return
        self._settle(t)
        self._content_head.rate = float(rate)
        if self._ad is not None:
            self._ad.head.rate = float(rate)
        self._finish(t)

    def durationchange(self, duration: float | None, *, at: float | None = None) -> None:
        """The content's duration became known or changed."""
        t = self._begin("durationchange", at)
        if t is None:
            return
        self._settle(t)
        self._set_content_length(duration, t)
        self._finish(t)

    def quality(
        self,
        *,
        bitrate: float | None = None,
        framerate: float | None = None,
        quality: str | None = None,
        dropped_frames: int | None = None,
        startup_time: float | None = None,
        at: float | None = None,
    ) -> None:
        """Quality values changed; Video Quality Updated is sent only if one really changed."""
        t = self._begin("quality", at)
        if t is None:
            return
        numbers = {
            "bitrate": bitrate,
            "framerate": framerate,
            "dropped_frames": dropped_frames,
            "startup_time": startup_time,
        }
        for name, value in numbers.items():
            if value is not None and (not is_number(value) or value < 0):
                self._anomaly("quality", t, f"{name} must be a finite number >= 0; got {value!r}")
                return
        if quality is not None and not isinstance(quality, str):
            self._anomaly("quality", t, f"quality must be a string; got {quality!r}")
            return
        # Only Video Playback Exited may follow Video Playback Completed.
        if self._update_quality(numbers, quality) and self.state not in (IDLE, COMPLETED):
            self._emit(kind.QUALITY_UPDATED, t)
        self._finish(t)

    def volume(self, level: float, *, at: float | None = None) -> None:
        """The volume changed (0-100)."""
        t = self._begin("volume", at)
        if t is None:
            return
        if not is_number(level) or not 0 <= level <= 100:
            self._anomaly("volume", t, f"level must be a number from 0 to 100; got {level!r}")
            return
        self._sound = level
        self._forget_facts(QUALITY_GROUP)
        self._finish(t)

    def fullscreen(self, on: bool, *, at: float | None = None) -> None:
        """Full screen was entered (``on=True``) or left."""
        t = self._begin("fullscreen", at)
        if t is None:
            return
        self._full_screen = bool(on)
        self._forget_facts(QUALITY_GROUP)
        self._finish(t)

    # ------------------------------------------------------------------ engine
    def _trigger(self, name: str, at: float | None, args: dict[str, Any]) -> None:
        t = self._begin(name, at)
        if t is None:
            return
        invalid = args.get("invalid")
        if invalid is not None:
            self._anomaly(name, t, invalid)
            return
        call = Callback(name, t, args) if self.settings.engine == "transitions" else None
        self._args = args
        self._now = t
        state = self.state
        if call is not None:
            fired = self._fire_transitions(name, call)
        else:
            fired = self._fire_compiled(name, state, t)
        self._args = _NO_ARGS  # an idle session keeps no reference to its last arguments
        if fired is not True:
            self._anomaly(name, t, fired or f"not allowed in state {state!r}", state)
            return
        self._finish(t)

    def _fire_compiled(self, name: str, state: str, t: float) -> bool | str | None:
        routes = _BOUND_ROUTES[name].get(state)
        if routes is None:
            return None
        for dest, guards, actions in routes:
            for guard, wanted in guards:
                if bool(guard(self)) is not wanted:
                    break
            else:
                self._settle(t)
                if dest is not None:
                    self.state = dest
                for action in actions:
                    action(self)
                return True
        return "no transition's guard holds"

    def _fire_transitions(self, name: str, call: Callback) -> bool | str | None:
        from transitions import MachineError

        assert call.at is not None
        if name not in MACHINE.events or self.state not in MACHINE.events[name].transitions:
            return None
        self._settle(call.at)
        try:
            ok = MACHINE.events[name].trigger(_TransitionsModel(self))
        except MachineError:
            return None
        return True if ok else "no transition's guard holds"

    def _begin(self, name: str, at: float | None) -> float | None:
        """Check the callback's time, then emit what fell due before it."""
        if at is None:
            clock = self.settings.clock
            if clock is None:
                raise MissingTime(
                    f"{name}: no at= given and the session has no clock (pass at=, or "
                    "Settings(clock=...))"
                )
            at = clock()
        if type(at) is not float or not 0.0 <= at < _LAST_TIME:
            if not is_number(at) or not 0 <= at < _LAST_TIME:
                self._anomaly(
                    name,
                    None,
                    "time must be seconds since the Unix epoch, from 0 to the year 9999 "
                    f"(milliseconds by mistake?); got {at!r}",
                )
                return None
            at = float(at)
        last = self._last_at
        if last is not None and at < last:
            if name == "advance":
                return None  # a timer that woke just before a callback moved time on
            self._anomaly(name, at, f"time went backwards ({at!r} < {last!r})")
            return None
        if self.state in TERMINAL_STATES and name not in ("exit", "advance", "interrupt"):
            self._anomaly(name, at, "the session is over")
            return None
        if self._start_at is None:
            self._start_at = at
        self._last_at = at
        if self._deadline <= at:
            self._advance(at)
        return at

    def _finish(self, t: float) -> None:
        if self.state in PLAYING_STATES:
            self._hb.start(t)
        else:
            self._hb.stop(t)
        self._recompute()
        if self._deadline <= t:
            self._advance(t)
        if self._outbox:
            self._deliver()

    def _advance(self, at: float) -> None:
        while self._deadline <= at:
            due_at = self._deadline
            self._settle(due_at)
            due = self._due
            if due == _DUE_HEARTBEAT:
                self._hb.fire()
                self._emit_heartbeat(due_at)
            elif due == _DUE_MILESTONE:
                self._fire_milestone(self._due_index, due_at)
            else:
                self._fire_quartile(self._due_index, due_at)
            self._recompute()

    def _recompute(self) -> None:
        deadline, due, index = _NO_DEADLINE, _DUE_HEARTBEAT, 0
        state = self.state
        if state in PLAYING_STATES:
            hb = self._hb.deadline()
            if hb is not None:
                deadline = hb
            self._hb_due = deadline
            head = self._content_head if state == PLAYING else self._ad_head()
            upcoming = head.next_milestone() if head is not None else None
            if state == PLAYING:
                self._milestone_target, self._milestone_index = self._content_head.steady_target()
            if upcoming is not None and upcoming[0] < deadline:
                deadline, index = upcoming
                due = _DUE_MILESTONE if state == PLAYING else _DUE_QUARTILE
        self._deadline, self._due, self._due_index = deadline, due, index

    # ------------------------------------------------------------------ anomalies
    def _anomaly(self, name: str, at: float | None, reason: str, state: str | None = None) -> None:
        state = state or self.state
        self.anomalies.append(Anomaly(name, state, reason, at))
        if self.settings.strict:
            raise InvalidCallback(name, state, reason, at)  # what fell due waits in the outbox
        self._deliver()  # what fell due before this callback still goes out

    def _reject(self, name: str, at: float | None, reason: str) -> None:
        t = self._begin(name, at)
        if t is not None:
            self._anomaly(name, t, reason)

    # ------------------------------------------------------------------ delivery
    def _deliver(self) -> None:
        outbox = self._outbox
        if outbox is None:
            return
        emit = self.sink.emit
        if len(outbox) == 1:  # the usual case: one event per callback
            try:
                emit(outbox[0])
            except Exception as exc:
                raise SinkError(outbox[0], exc) from exc
            self._outbox = None
            return
        for index, message in enumerate(outbox):
            try:
                emit(message)
            except Exception as exc:
                del outbox[:index]
                raise SinkError(message, exc) from exc
        self._outbox = None  # None, not an empty list: the hot paths test it without a load

    def retry_delivery(self) -> None:
        """Offer the sink what it failed to take before (raises SinkError if it fails again)."""
        self._deliver()


_Guard = tuple[Callable[[Session], object], bool]
_BoundRoute = tuple[str | None, tuple[_Guard, ...], tuple[Callable[[Session], None], ...]]

#: :data:`~vtrack.core.machine.ROUTES` with each guard and action looked up on :class:`Session`
#: once, not by name on every callback: ``(dest, ((guard, wanted), ...), (action, ...))``.
_BOUND_ROUTES: dict[str, dict[str, tuple[_BoundRoute, ...]]] = {
    trigger: {
        state: tuple(
            (
                route.dest,
                tuple((getattr(Session, guard), wanted) for guard, wanted in route.guard_methods),
                tuple(getattr(Session, action) for action in route.action_methods),
            )
            for route in routes
        )
        for state, routes in by_state.items()
    }
    for trigger, by_state in ROUTES.items()
}

__all__ = ["AdBreak", "AdPlay", "Engine", "Session"]
