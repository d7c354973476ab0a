"""Callbacks that make no sense are absorbed (counted), or raised with strict=True."""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import PATHS, T0, SessionFactory, in_state

from vtrack import InvalidCallback, MissingTime, VtrackError
from vtrack.core.machine import OBSERVATIONS, ROUTES, STATES, TERMINAL_STATES, TRIGGERS
from vtrack.core.schedule import DEFAULT_MILESTONES

ARGS: dict[str, dict[str, Any]] = {
    "load": {"content": PATHS["idle"][0][2]["content"]},
    "seeking": {"position": 10.0},
    "error": {"fatal": True},
    "ad_start": {"asset_id": "ad", "length": 10.0},
    "timeupdate": {"position": 10.0},
    "ratechange": {"rate": 2.0},
    "durationchange": {"duration": 50.0},
    "quality": {"bitrate": 100},
    "volume": {"level": 10},
    "fullscreen": {"on": True},
}
REFUSED = [
    (state, trigger)
    for state in STATES
    for trigger in TRIGGERS
    if state not in ROUTES[trigger] and state not in TERMINAL_STATES
]
TERMINAL = [(state, name) for state in TERMINAL_STATES for name in TRIGGERS + OBSERVATIONS]


def call(session: Any, name: str, offset: float | None = None) -> None:
    """Call ``name`` with plausible arguments, by default at the time of the last callback."""
    at = T0 + offset if offset is not None else session.last_at
    getattr(session, name)(**ARGS.get(name, {}), at=at)


class TestCallbacksThatMakeNoSense:
    @pytest.mark.parametrize(("state", "trigger"), REFUSED)
    def test_absorbed_and_counted(self, make_session: SessionFactory, state: str, trigger: str):
        """No event, no crash, the same state; the anomaly names callback, state and reason."""
        session, sink = make_session(heartbeat=0, milestones=())
        in_state(session, state)
        before = list(sink.messages)
        call(session, trigger)
        assert before == sink.messages
        assert state == session.state
        anomaly = session.anomalies[-1]
        assert (trigger, state) == (anomaly.callback, anomaly.state)
        assert f"not allowed in state {state!r}" == anomaly.reason

    @pytest.mark.parametrize(("state", "trigger"), REFUSED)
    def test_strict_raises(self, make_session: SessionFactory, state: str, trigger: str) -> None:
        """strict=True raises InvalidCallback naming the callback and the state."""
        session, _ = make_session(strict=True, heartbeat=0, milestones=())
        in_state(session, state)
        with pytest.raises(InvalidCallback) as caught:
            call(session, trigger)
        assert (trigger, state) == (caught.value.callback, caught.value.state)
        assert trigger in str(caught.value) and state in str(caught.value)
        assert isinstance(caught.value, VtrackError)

    @pytest.mark.parametrize(("state", "name"), TERMINAL)
    def test_nothing_after_the_end(self, make_session: SessionFactory, state: str, name: str):
        """After exit or interrupt nothing is emitted (an exit closing an interrupt is quiet)."""
        session, sink = make_session()
        in_state(session, state)
        before = list(sink.messages)
        call(session, name)
        assert before == sink.messages
        assert state == session.state
        quiet = (state, name) == ("interrupted", "exit")
        assert quiet == (not session.anomalies)

    @pytest.mark.parametrize(
        "examples",
        [
            [("pause", 1)],  # pause while idle
            [("play", 0), ("playing", 1), ("seeked", 2)],  # seeked without seeking
            [("play", 0), ("playing", 1), ("ad_end", 2)],  # ad end without ad start
            [("play", 0), ("playing", 1), ("play", 2)],  # a duplicate play while playing
            [("play", 0), ("playing", 1), ("ended", 2), ("ended", 3)],  # ended twice
        ],
    )
    def test_the_issues_examples(self, make_session: SessionFactory, examples: list[Any]):
        """The named nonsense: one anomaly, on the last callback."""
        session, _ = make_session()
        for name, offset in examples:
            call(session, name, offset)
        assert [examples[-1][0]] == [a.callback for a in session.anomalies]


class TestBadTimesAndValues:
    def test_time_going_backwards_is_refused(self, make_session: SessionFactory) -> None:
        """A callback earlier than the last one is an anomaly and changes nothing."""
        session, sink = make_session()
        session.play(at=T0 + 10)
        session.pause(at=T0 + 5)
        assert ["Video Playback Started"] == [m["event"] for m in sink.messages]
        assert "starting" == session.state
        assert "time went backwards" in session.anomalies[0].reason

    @pytest.mark.parametrize("when", [math.nan, math.inf, -math.inf, "soon", -1.0, 1.7e12])
    def test_impossible_times_are_refused(self, make_session: SessionFactory, when: Any) -> None:
        """NaN, infinite, negative, non-numeric or far-future (milliseconds?) times: anomalies."""
        session, sink = make_session()
        session.play(at=when)
        assert [] == sink.messages
        assert "idle" == session.state
        assert "time must be seconds since the Unix epoch" in session.anomalies[0].reason

    def test_a_stale_advance_is_not_an_anomaly(self, make_session: SessionFactory) -> None:
        """A timer's advance() that lost the race with a callback is ignored quietly."""
        session, _ = make_session(strict=True)
        session.play(at=T0 + 5)
        session.advance(T0 + 4)
        assert [] == session.anomalies

    @pytest.mark.parametrize(
        ("name", "args", "reason"),
        [
            ("ad_break_start", {"pod_id": 7}, "pod_id must be a string"),
            ("ad_break_start", {"type": "midroll"}, "type must be one of pre-roll"),
            ("ad_break_start", {"ad_count": -2}, "ad_count must be an int >= 0"),
            ("interrupt", {"method": 3}, "method must be a string"),
        ],
    )
    def test_invalid_ad_and_interrupt_arguments(
        self, make_session: SessionFactory, name: str, args: dict[str, Any], reason: str
    ) -> None:
        """Values the schema refuses are anomalies, not messages."""
        session, sink = make_session()
        in_state(session, "playing")
        before = len(sink.messages)
        getattr(session, name)(**args, at=T0 + 2)
        assert before == len(sink.messages)
        assert reason in session.anomalies[-1].reason

    @pytest.mark.parametrize(
        ("args", "reason"),
        [
            ({"asset_id": 456}, "asset_id must be a string"),
            ({"pod_position": 0}, "pod_position must be an int >= 1"),
            ({"load_type": "weird"}, "load_type must be one of linear, dynamic"),
            ({"length": -1.0}, "length must be a finite number >= 0"),
        ],
    )
    def test_invalid_ad_start_arguments(
        self, make_session: SessionFactory, args: dict[str, Any], reason: str
    ) -> None:
        """An ad_start with a value the schema refuses starts no ad."""
        session, _ = make_session()
        in_state(session, "ad_break")
        session.ad_start(**args, at=T0 + 2)
        assert "ad_break" == session.state
        assert reason in session.anomalies[-1].reason

    @pytest.mark.parametrize("position", [math.nan, -1.0, math.inf, "10"])
    @pytest.mark.parametrize("name", ["timeupdate", "seeking", "playing", "seeked"])
    def test_invalid_positions_are_refused(
        self, make_session: SessionFactory, name: str, position: Any
    ) -> None:
        """NaN, negative, infinite or non-numeric positions never reach a message."""
        session, sink = make_session()
        in_state(session, "playing")
        before = len(sink.messages)
        getattr(session, name)(position, at=T0 + 2)
        assert before == len(sink.messages)
        assert "position must be a finite number >= 0" in session.anomalies[-1].reason

    @pytest.mark.parametrize(
        ("name", "args", "reason"),
        [
            ("ratechange", {"rate": 0}, "rate must be a finite number > 0"),
            ("ratechange", {"rate": math.nan}, "rate must be a finite number > 0"),
            ("volume", {"level": 101}, "level must be a number from 0 to 100"),
            ("quality", {"bitrate": -5}, "bitrate must be a finite number >= 0"),
            ("quality", {"framerate": math.inf}, "framerate must be a finite number >= 0"),
            ("quality", {"quality": ["hd"]}, "quality must be a string; got ['hd']"),
            ("quality", {"quality": ("hd", 1)}, "quality must be a string"),
            ("load", {"content": {"asset_id": "x"}}, "content must be a vtrack.Content"),
        ],
    )
    def test_invalid_values_are_refused(
        self, make_session: SessionFactory, name: str, args: dict[str, Any], reason: str
    ) -> None:
        """Each invalid value is named in the anomaly."""
        session, _ = make_session()
        getattr(session, name)(**args, at=T0)
        assert reason in session.anomalies[-1].reason

    def test_no_time_and_no_clock(self, make_session: SessionFactory) -> None:
        """Without at= and without a clock the session says how to fix it."""
        session, _ = make_session()
        with pytest.raises(MissingTime, match="no at= given"):
            session.play()

    def test_injected_clock(self, make_session: SessionFactory) -> None:
        """A callback without at= reads the injected clock."""
        times = iter([T0, T0 + 1.0])
        session, sink = make_session(clock=lambda: next(times))
        session.play()
        session.playing()
        assert ["2023-11-14T22:13:20.000Z", "2023-11-14T22:13:21.000Z"] == [
            m["timestamp"] for m in sink.messages
        ]


class TestSettingsValidation:
    @pytest.mark.parametrize("interval", [5, 15, 610, -10, 10.0, "10", True, None])
    def test_heartbeat_must_be_an_allowed_interval(
        self, make_session: SessionFactory, interval: Any
    ) -> None:
        """Anything but 0, 10, ..., 600 is a ValueError saying what is allowed."""
        with pytest.raises(ValueError, match=r"0, 10, 20, \.\.\., 600"):
            make_session(heartbeat=interval)

    @pytest.mark.parametrize("interval", [0, 10, 600])
    def test_allowed_heartbeats(self, make_session: SessionFactory, interval: int) -> None:
        """0 (off), 10 and 600 are fine."""
        session, _ = make_session(heartbeat=interval)
        assert interval == session.settings.heartbeat

    @pytest.mark.parametrize(
        ("milestones", "reason"),
        [
            ((0, 50), "outside 0 < p < 100"),
            ((50, 100), "outside 0 < p < 100"),
            ((50, 25), "ascending"),
            ((25, 25), "unique"),
            ((math.nan,), "finite"),
            ("25", "sequence"),
        ],
    )
    def test_milestones_are_validated(
        self, make_session: SessionFactory, milestones: Any, reason: str
    ) -> None:
        """Milestones: 0 < p < 100, unique, sorted."""
        with pytest.raises(ValueError, match=reason):
            make_session(milestones=milestones)

    def test_default_milestones(self, make_session: SessionFactory) -> None:
        """25, 50, 75 and 90 % by default."""
        session, _ = make_session()
        assert DEFAULT_MILESTONES == session.settings.milestones == (25, 50, 75, 90)

    def test_unknown_profile_and_basis(self, make_session: SessionFactory) -> None:
        """Unknown names list what is known."""
        with pytest.raises(ValueError, match="segment, vimeo-ott"):
            make_session(profile="mixpanel")
        with pytest.raises(ValueError, match="position, played, watched"):
            make_session(milestone_basis="seen")

    @pytest.mark.parametrize(
        "identity",
        [{}, {"user_id": "u", "anonymous_id": "a"}, {"user_id": ""}, {"anonymous_id": None}],
    )
    def test_exactly_one_identity(self, identity: dict[str, Any]) -> None:
        """A session needs exactly one of user_id / anonymous_id."""
        from vtrack import MemorySink, Session

        with pytest.raises(ValueError, match="user"):
            Session("s", sink=MemorySink(), **identity)

    def test_settings_or_options_not_both(self) -> None:
        """settings= and loose options together are refused."""
        from vtrack import MemorySink, Session, Settings

        with pytest.raises(TypeError, match="either settings= or individual options"):
            Session("s", sink=MemorySink(), anonymous_id="a", settings=Settings(), heartbeat=20)


class TestContentValidation:
    @pytest.mark.parametrize(
        ("fields", "error"),
        [
            ({"asset_id": 12}, TypeError),
            ({"title": ["x"]}, TypeError),
            ({"duration": "60"}, TypeError),
            ({"live": "yes"}, TypeError),
            ({"season": 1.5}, TypeError),
            ({"airdate": "2024-01-15"}, ValueError),
            ({"airdate": "yesterday"}, ValueError),
        ],
    )
    def test_wrong_types_are_refused_at_construction(
        self, fields: dict[str, Any], error: type[Exception]
    ) -> None:
        """Content refuses values that would make an invalid message, naming the field."""
        from vtrack import Content

        with pytest.raises(error, match=next(iter(fields))):
            Content(**fields)

    def test_valid_content(self) -> None:
        """Strings, numbers, an ISO date-time and ints for season/episode are fine."""
        from vtrack import Content, ScheduledAd

        content = Content(
            asset_id="a",
            duration=60,
            season=2,
            episode="5",
            airdate="2024-01-15T20:00:00Z",
            ad_schedule=[ScheduledAd("ad", "pod", "pre-roll", 10)],
        )
        assert 60 == content.length
        assert 1 == len(content.ad_schedule)
