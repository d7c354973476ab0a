"""Property tests: random callback sequences with random timing, checked against invariants."""

from __future__ import annotations

import math
from typing import Any

from conftest import T0
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from vtrack import Content, MemorySink, ScheduledAd, Session
from vtrack.core.content import typed_value
from vtrack.core.facts import slow_facts
from vtrack.core.machine import PLAYING_STATES
from vtrack.testing import InvariantChecker, InvariantViolation, check_heartbeat_timing

delays = st.one_of(st.just(0.0), st.floats(0.0, 40.0), st.floats(0.0, 1.0))
positions = st.one_of(st.floats(0.0, 400.0), st.sampled_from([0.0, 30.0, 60.0, 100.0]))
hostile_positions = st.sampled_from([math.nan, -1.0, math.inf, -math.inf])
durations = st.one_of(
    st.floats(10.0, 300.0),
    st.floats(10.0, 300.0),
    st.none(),
    st.sampled_from([math.nan, math.inf, -5.0, 0.0]),
)
ad_types = st.sampled_from(["pre-roll", "mid-roll", "post-roll"])


@st.composite
def contents(draw: st.DrawFn) -> Content:
    schedule = draw(
        st.lists(
            st.builds(
                ScheduledAd,
                asset_id=st.sampled_from(["ad1", "ad2", "ad3"]),
                pod_id=st.sampled_from(["p1", "p2"]),
                type=ad_types,
                length=st.one_of(st.none(), st.floats(1.0, 30.0)),
            ),
            max_size=3,
        )
    )
    asset_id = draw(st.sampled_from(["c1", "c2"]))
    return Content(
        asset_id=asset_id,
        pod_ids=draw(st.sampled_from([(), ("a",), ("a", "b")])),
        # A content's duration is refused when negative or NaN; the player may still report one.
        duration=draw(durations.filter(lambda d: d is None or d >= 0)),
        live=draw(st.sampled_from([False, False, False, True])),
        # Vimeo OTT messages name no asset: the checker tells items apart by title.
        title=f"T {asset_id}",
        ad_schedule=schedule,
        playlist=draw(st.sampled_from([(), ("c1", "c2")])),
    )


class SessionMachine(RuleBasedStateMachine):
    """Drives one session with arbitrary callbacks; the invariants must always hold."""

    def __init__(self) -> None:
        super().__init__()
        self.sink = MemorySink()
        self.now = T0
        self.playing: list[tuple[float, float]] = []
        self.restarts: list[float] = []
        self.session: Session

    @initialize(
        heartbeat=st.sampled_from([0, 10, 20]),
        basis=st.sampled_from(["position", "played", "watched"]),
        identity=st.sampled_from(["user_id", "anonymous_id"]),
        profile=st.sampled_from(["segment", "segment", "vimeo-ott"]),
    )
    def start(self, heartbeat: int, basis: str, identity: str, profile: str) -> None:
        self.heartbeat = heartbeat
        self.profile = profile
        self.session = Session(
            "s1",
            sink=self.sink,
            heartbeat=heartbeat,
            milestone_basis=basis,
            profile=profile,
            **{identity: "someone"},
        )
        self._playing_since: float | None = None
        self.steps = 0

    @precondition(lambda self: self.session.state == "idle")
    @rule(content=contents(), position=st.sampled_from([None, 0.0, 50.0]))
    def start_viewing(self, content: Content, position: float | None) -> None:
        """The usual start: load, play, first frame (with a bookmark now and then)."""
        self._call("load", 0.0, content=content)
        self._call("play", 0.1)
        self._call("playing", 0.5, position=position)

    def _call(self, name: str, delay: float, **args: Any) -> None:
        self.steps += 1
        self.now += delay
        if name == "ad_break_end":
            self.restarts.append(self.now)
        getattr(self.session, name)(**args, at=self.now)
        self._track_playing()

    def _track_playing(self) -> None:
        now_playing = self.session.state in PLAYING_STATES
        if now_playing and self._playing_since is None:
            self._playing_since = self.now
        elif not now_playing and self._playing_since is not None:
            self.playing.append((self._playing_since, self.now))
            self._playing_since = None

    @rule(content=contents(), delay=delays)
    def load(self, content: Content, delay: float) -> None:
        self._call("load", delay, content=content)

    @rule(
        name=st.sampled_from(
            [
                "play",
                "pause",
                "waiting",
                "ended",
                "ad_end",
                "ad_skip",
                "ad_click",
                "ad_break_end",
                "ad_error",
            ]
        ),
        delay=delays,
    )
    def simple(self, name: str, delay: float) -> None:
        self._call(name, delay)

    @precondition(lambda self: self.steps > 25)
    @rule(delay=delays, name=st.sampled_from(["exit", "interrupt", "error"]))
    def leave_sometimes(self, delay: float, name: str) -> None:
        if name == "error":
            self._call(name, delay, message="boom", fatal=True)
        else:
            self._call(name, delay)

    @rule(
        steps=st.integers(1, 40),
        tick=st.sampled_from([0.25, 1.0, 4.0]),
        drift=st.sampled_from([0.0, 0.05, 3.0]),
    )
    def watch(self, steps: int, tick: float, drift: float) -> None:
        """A stretch of regular position reports, as a player sends them while playing."""
        for _ in range(steps):
            position = self.session.position + tick + drift
            self._call("timeupdate", tick, position=position)

    @rule(delay=delays, position=st.one_of(st.none(), positions))
    def playing_(self, delay: float, position: float | None) -> None:
        self._call("playing", delay, position=position)

    @rule(delay=delays, position=positions)
    def timeupdate(self, delay: float, position: float) -> None:
        self._call("timeupdate", delay, position=position)

    @rule(delay=delays, position=positions, storm=st.lists(positions, max_size=3))
    def seek(self, delay: float, position: float, storm: list[float]) -> None:
        self._call("seeking", delay, position=position)
        for target in storm:
            self._call("seeking", 0.1, position=target)
        self._call("seeked", 0.3)

    @rule(
        delay=delays, pod=st.sampled_from(["p1", "p2", None]), kind=st.one_of(st.none(), ad_types)
    )
    def ad_break_start(self, delay: float, pod: str | None, kind: str | None) -> None:
        self._call("ad_break_start", delay, pod_id=pod, type=kind, ad_count=2)

    @rule(
        delay=delays,
        asset=st.sampled_from(["ad1", "ad2", "adX"]),
        length=st.one_of(st.none(), st.floats(1.0, 30.0)),
    )
    def ad_start(self, delay: float, asset: str, length: float | None) -> None:
        self._call("ad_start", delay, asset_id=asset, length=length)

    @rule(delay=delays, rate=st.one_of(st.sampled_from([0.5, 1.0, 2.0, 16.0]), hostile_positions))
    def ratechange(self, delay: float, rate: float) -> None:
        self._call("ratechange", delay, rate=rate)

    @rule(delay=delays, duration=durations)
    def durationchange(self, delay: float, duration: float | None) -> None:
        self._call("durationchange", delay, duration=duration)

    @rule(
        delay=delays,
        bitrate=st.sampled_from([1000, 2000, math.nan]),
        framerate=st.sampled_from([24, 29.97, None]),
    )
    def quality(self, delay: float, bitrate: float, framerate: float | None) -> None:
        self._call("quality", delay, bitrate=bitrate, framerate=framerate)

    @rule(
        delay=delays,
        position=hostile_positions,
        name=st.sampled_from(["timeupdate", "seeking", "playing"]),
    )
    def hostile_position(self, delay: float, position: float, name: str) -> None:
        self._call(name, delay, position=position)

    @precondition(lambda self: self.session.started_at is not None)
    @rule(back=st.floats(0.001, 100.0))
    def time_goes_backwards(self, back: float) -> None:
        before = len(self.sink.messages)
        last = self.session.last_at
        assert last is not None
        self.session.pause(at=last - back)
        assert before == len(self.sink.messages)
        assert self.session.anomalies[-1].reason.startswith("time went backwards")

    @rule(delay=delays)
    def error(self, delay: float) -> None:
        self._call("error", delay, message="glitch", fatal=False)

    @precondition(lambda self: self.session.state in PLAYING_STATES)
    @rule(delay=st.floats(0.0, 120.0))
    def advance(self, delay: float) -> None:
        self.now += delay
        self.session.advance(self.now)

    @invariant()
    def messages_keep_the_rules(self) -> None:
        # The public checker, fed each message once. Heartbeat spacing is checked exactly below
        # instead: this machine makes ad pods without ads, which no event marks.
        if not hasattr(self, "checker"):
            self.checker = InvariantChecker(profile=self.profile)
            self.checked = 0
        found = self.checker.feed(self.sink.messages[self.checked :])
        self.checked = len(self.sink.messages)
        if found:
            raise InvariantViolation(found)

    @invariant()
    def heartbeats_follow_playing_time(self) -> None:
        if self.profile != "segment":
            return  # vimeo-ott sends no Video Ad Playing, and names its heartbeats alike
        intervals = list(self.playing)
        if self._playing_since is not None:
            intervals.append((self._playing_since, self.now))
        check_heartbeat_timing(
            self.sink.messages, interval=self.heartbeat, playing=intervals, restarts=self.restarts
        )

    @invariant()
    def cached_facts_are_fresh(self) -> None:
        session = self.session
        # The fact set the next message would use, found by what the facts are made of.
        fact_set = session._emitter._current_facts()
        fresh = slow_facts(session._playback, session.settings.heartbeat, session.session_id)
        cached = {"session_id": session.session_id, **fact_set.facts}
        assert typed_value(fresh) == typed_value(cached)
        profile = session.settings.profile
        for kind, plan in profile.plans.items():
            if plan.static_id in fact_set.statics:  # a layout the session would reuse
                fresh_layout = profile.static_properties(kind, fresh)
                assert typed_value(fresh_layout) == typed_value(fact_set.statics[plan.static_id])

    @invariant()
    def deadline_is_in_the_future(self) -> None:
        deadline = self.session.next_deadline()
        last = self.session.last_at
        assert deadline is None or last is None or deadline > last


SessionMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSessionMachine = SessionMachine.TestCase
