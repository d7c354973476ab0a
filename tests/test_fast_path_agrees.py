"""The one fast path (steady position reports) gives exactly what the general path gives."""

from __future__ import annotations

from typing import Any
from unittest import mock

from conftest import T0
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrack import Callback, Content, MemorySink, Session
from vtrack.testing import callback_sequences

CONTENTS = [
    Content(asset_id="short", duration=95.0),
    Content(asset_id="long", duration=1800.0),
    Content(asset_id="unknown"),
    Content(asset_id="live", live=True),
]
#: How far a report lands from steady playback: mostly on it, sometimes a little off, now and
#: then a jump (beyond the 1.5 s continuity tolerance).
JITTER = [0.0, 0.0, 0.0, 1e-9, -1e-9, 0.01, -0.2, 1.4, -1.4, 1.6, 3.0, -30.0]
OTHERS = ["pause", "play", "waiting", "playing", "seeking", "seeked", "ratechange", "quality"]


@st.composite
def steady_sessions(draw: st.DrawFn) -> tuple[str, list[Callback]]:
    """A viewer mostly playing on with timeupdates every 0.25 s, interrupted now and then."""
    basis = draw(st.sampled_from(["position", "played", "watched"]))
    now, position, rate = T0, 0.0, 1.0
    script = [
        Callback("load", now, {"content": draw(st.sampled_from(CONTENTS))}),
        Callback("play", now, {}),
        Callback("playing", now, {"position": 0.0}),
    ]
    for _ in range(draw(st.integers(1, 400))):
        if draw(st.integers(0, 19)) > 0:
            tick = draw(st.sampled_from([0.25, 0.25, 0.26, 1.0, 4.0]))
            now += tick
            position = max(0.0, position + rate * tick + draw(st.sampled_from(JITTER)))
            script.append(Callback("timeupdate", now, {"position": position}))
            continue
        name = draw(st.sampled_from(OTHERS))
        args: dict[str, Any] = {}
        if name in ("seeking", "seeked", "playing"):
            position = draw(st.floats(0, 2000))
            args = {"position": position}
        elif name == "ratechange":
            rate = draw(st.sampled_from([0.5, 1.0, 2.0, 0.0]))
            args = {"rate": rate}
        elif name == "quality":
            args = {"bitrate": draw(st.sampled_from([800, 1600]))}
        now += draw(st.sampled_from([0.0, 0.1, 2.0]))
        script.append(Callback(name, now, args))
    return basis, script


def run(basis: str, script: list[Callback], fast: bool) -> tuple[Any, ...]:
    """Messages, anomalies, state and next deadline of the script, fast path on or off."""
    sink = MemorySink()
    with mock.patch.object(Session, "fast_path", fast):
        session = Session(
            "s",
            anonymous_id="a",
            sink=sink,
            heartbeat=10,
            milestone_basis=basis,  # type: ignore[arg-type]
        )
        for callback in script:
            session.handle(callback)
    return sink.messages, session.anomalies, session.state, session.next_deadline()


class TestFastPathAgrees:
    @settings(max_examples=300, deadline=None)
    @given(steady_sessions())
    def test_steady_playback(self, case: tuple[str, list[Callback]]) -> None:
        """Same messages, anomalies, state and next deadline with the fast path turned off."""
        basis, script = case
        assert run(basis, script, fast=False) == run(basis, script, fast=True)

    @settings(max_examples=150, deadline=None)
    @given(st.sampled_from(["position", "played", "watched"]), callback_sequences(hostility=2))
    def test_viewings_with_ads_playlists_and_damage(
        self, basis: str, script: list[Callback]
    ) -> None:
        """Realistic viewings (ads, playlists, rates, every ending, some damage) agree too."""
        assert run(basis, script, fast=False) == run(basis, script, fast=True)


class TestFastPathSwitch:
    def _steady_reports(self, fast: bool) -> tuple[int, float]:
        """How many reports of 10 s of steady playback took the general path, and the position."""
        general = 0
        original = Session._observe

        # The general path is Session._observe: an interpreted method (the clockwork's may be
        # compiled, and compiled callers do not see a patch).
        def counting(self: Session, *args: Any) -> None:
            nonlocal general
            general += 1
            original(self, *args)

        with mock.patch.object(Session, "fast_path", fast):
            session = Session("s", anonymous_id="a", sink=MemorySink())
            session.load(Content(asset_id="c", duration=100.0), at=T0)
            session.play(at=T0)
            session.playing(position=0.0, at=T0)
            with mock.patch.object(Session, "_observe", counting):
                for step in range(1, 41):
                    session.timeupdate(step * 0.25, at=T0 + step * 0.25)
        return general, session.position

    def test_the_fast_path_is_taken(self) -> None:
        """Steady playback skips the general path but when the first heartbeat falls due."""
        assert (1, 10.0) == self._steady_reports(fast=True)

    def test_the_switch_turns_it_off(self) -> None:
        """With the switch off every report takes the general path."""
        assert (40, 10.0) == self._steady_reports(fast=False)
