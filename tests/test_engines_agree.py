"""The compiled hot-path table and the ``transitions`` machine behave identically."""

from __future__ import annotations

import math
from typing import Any

from conftest import T0
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrack import Callback, Content, MemorySink, ScheduledAd, Session
from vtrack.core.machine import MACHINE, ROUTES, TABLE

CONTENTS = [
    Content(asset_id="c1", duration=120.0, pod_ids=("a", "b")),
    Content(
        asset_id="c2",
        duration=60.0,
        ad_schedule=(ScheduledAd("ad1", "p1", "post-roll", 5.0),),
        playlist=("c2", "c3"),
    ),
    Content(asset_id="live", live=True),
]

ARGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "load": st.builds(lambda c: {"content": c}, st.sampled_from(CONTENTS)),
    "playing": st.one_of(st.just({}), st.builds(lambda p: {"position": p}, st.floats(0, 150))),
    "seeking": st.builds(lambda p: {"position": p}, st.floats(0, 150)),
    "seeked": st.one_of(st.just({}), st.builds(lambda p: {"position": p}, st.floats(0, 150))),
    "timeupdate": st.builds(
        lambda p: {"position": p}, st.one_of(st.floats(0, 150), st.just(math.nan))
    ),
    "ratechange": st.builds(lambda r: {"rate": r}, st.sampled_from([0.5, 2.0, -1.0])),
    "durationchange": st.builds(lambda d: {"duration": d}, st.sampled_from([None, 90.0])),
    "error": st.builds(lambda f: {"fatal": f}, st.booleans()),
    "ad_break_start": st.builds(
        lambda t: {"pod_id": "p1", "type": t}, st.sampled_from([None, "mid-roll"])
    ),
    "ad_start": st.builds(
        lambda n: {"asset_id": n, "length": 8.0}, st.sampled_from(["ad1", "ad2"])
    ),
    "interrupt": st.just({"method": "network"}),
    "quality": st.builds(lambda b: {"bitrate": b}, st.sampled_from([100, 200])),
    "volume": st.builds(lambda v: {"level": v}, st.sampled_from([0, 50, 101])),
    "fullscreen": st.builds(lambda on: {"on": on}, st.booleans()),
}
NAMES = [
    "load", "play", "playing", "pause", "waiting", "seeking", "seeked", "timeupdate",
    "ended", "ratechange", "durationchange", "error", "ad_break_start", "ad_start", "ad_end",
    "ad_skip", "ad_click", "ad_error", "ad_break_end", "interrupt", "exit", "quality",
]  # fmt: skip


@st.composite
def callbacks(draw: st.DrawFn) -> list[Callback]:
    now = T0
    out = []
    for name in draw(st.lists(st.sampled_from(NAMES), max_size=60)):
        now += draw(st.sampled_from([0.0, 0.5, 3.0, 11.0, 40.0]))
        out.append(Callback(name, now, draw(ARGS.get(name, st.just({})))))
    return out


def run(engine: str, script: list[Callback]) -> tuple[list[dict[str, Any]], list[Any], str]:
    sink = MemorySink()
    session = Session("s", anonymous_id="a", sink=sink, engine=engine, heartbeat=10)
    for callback in script:
        session.handle(callback)
    return sink.messages, session.anomalies, session.state


class TestEnginesAgree:
    def test_routes_are_derived_from_the_machine(self) -> None:
        """Every trigger of the table is an event of the machine and a key of ROUTES."""
        assert set(MACHINE.events) == {row[0] for row in TABLE} == set(ROUTES)

    @settings(max_examples=200, deadline=None)
    @given(callbacks())
    def test_same_messages_anomalies_and_state(self, script: list[Callback]) -> None:
        """The same callbacks give the same messages, anomalies and final state."""
        assert run("transitions", script) == run("compiled", script)
