"""Sessions share cached layouts without ever mixing up their values."""

from __future__ import annotations

from typing import Any

from conftest import T0

from vtrack import SEGMENT, VIMEO_OTT, Content, MemorySink, Session
from vtrack.profiles import base as kind


def heartbeat_of(session_id: str, content: Content, **options: Any) -> dict[str, Any]:
    sink = MemorySink()
    session = Session(session_id, anonymous_id=f"viewer-{session_id}", sink=sink, **options)
    session.load(content, at=T0)
    session.play(at=T0)
    session.playing(position=0.0, at=T0)
    session.advance(T0 + 10.0)
    beats = [m for m in sink.messages if m["event"] == "Video Content Playing"]
    assert len(beats) == 1
    assert session._fact_set is not None
    cache = session._fact_set.statics
    beat: dict[str, Any] = beats[0]["properties"]
    beat["_cached"] = cache[SEGMENT.plans[kind.CONTENT_PLAYING].static_id]
    return beat


CONTENT = Content(asset_id="shared", duration=600.0, title="Shared", extra={"tier": 1})


def test_sessions_showing_the_same_content_share_one_cached_layout() -> None:
    one, two = heartbeat_of("one", CONTENT), heartbeat_of("two", CONTENT)
    assert one.pop("_cached") is two.pop("_cached")
    assert one["session_id"] == "one" and two["session_id"] == "two"
    assert {k: v for k, v in one.items() if k != "session_id"} == {
        k: v for k, v in two.items() if k != "session_id"
    }


def test_the_shared_layout_holds_no_session_id() -> None:
    cached = heartbeat_of("one", CONTENT)["_cached"]
    assert cached["session_id"] is None


def test_equal_values_of_other_types_are_not_shared() -> None:
    """1, 1.0 and True are equal in Python; each session still gets its own value back."""
    values = [1, 1.0, True]
    beats = [
        heartbeat_of(f"s{i}", Content(asset_id="c", duration=600.0, extra={"flag": value}))
        for i, value in enumerate(values)
    ]
    for value, beat in zip(values, beats, strict=True):
        assert type(beat["flag"]) is type(value)
    nested = [
        heartbeat_of(f"n{i}", Content(asset_id="c", duration=600.0, extra={"flags": (value,)}))
        for i, value in enumerate(values)
    ]
    for value, beat in zip(values, nested, strict=True):
        assert type(beat["flags"][0]) is type(value)


def test_unhashable_custom_properties_are_kept_per_session() -> None:
    content = Content(asset_id="c", duration=600.0, extra={"tags": {"a": [1, {2}]}})
    one, two = heartbeat_of("one", content), heartbeat_of("two", content)
    assert one["tags"] == two["tags"] == {"a": [1, {2}]}


def test_lists_are_never_shared_between_messages() -> None:
    content = Content(asset_id="c", duration=600.0, keywords=("a", "b"))
    one, two = heartbeat_of("one", content), heartbeat_of("two", content)
    assert one["keywords"] == two["keywords"] == ["a", "b"]
    assert one["keywords"] is not two["keywords"]
    one["keywords"].append("changed")
    assert heartbeat_of("three", content)["keywords"] == ["a", "b"]


def test_the_shared_table_is_bounded() -> None:
    for index in range(kind.SHARED_LAYOUTS_LIMIT + 10):
        SEGMENT.static_properties(kind.CONTENT_PLAYING, {"content_asset_id": f"c{index}"})
    assert len(SEGMENT._shared) <= kind.SHARED_LAYOUTS_LIMIT


def test_vimeo_ott_fills_in_the_session_id_too() -> None:
    sink = MemorySink()
    session = Session("vim", anonymous_id="v", sink=sink, profile=VIMEO_OTT)
    session.load(CONTENT, at=T0)
    session.play(at=T0)
    session.playing(position=0.0, at=T0)
    session.pause(at=T0 + 1)
    assert all(m["properties"]["session_id"] == "vim" for m in sink.messages)


def test_each_fact_is_worked_out_with_its_group() -> None:
    """A fact's group decides which changes make it stale; it must be built with that group."""
    session = Session("s", anonymous_id="a", sink=MemorySink())
    session.load(Content(asset_id="c", duration=60.0, title="T"), at=T0)
    session.ad_break_start("pod", "pre-roll", at=T0)
    session.ad_start("ad", length=5.0, at=T0)
    builders = {
        kind.CONTENT_GROUP: session._content_facts,
        kind.AD_GROUP: session._ad_facts,
        kind.QUALITY_GROUP: session._quality_facts,
    }
    for group, build in builders.items():
        for fact in build():
            assert kind.FACT_GROUPS.get(fact, kind.CONTENT_GROUP) == group, fact
    assert set(session._slow_facts()) - {"session_id"} == {
        fact for build in builders.values() for fact in build()
    }


def test_a_quality_change_reaches_only_the_session_that_made_it() -> None:
    sinks = [MemorySink(), MemorySink()]
    sessions = [Session(f"s{i}", anonymous_id="a", sink=sinks[i]) for i in range(2)]
    for session in sessions:
        session.load(CONTENT, at=T0)
        session.play(at=T0)
        session.playing(position=0.0, at=T0)
    sessions[0].quality(bitrate=3200, at=T0 + 1)
    for session in sessions:
        session.pause(at=T0 + 2)
    paused = [sink.messages[-1]["properties"] for sink in sinks]
    assert paused[0]["bitrate"] == 3200
    assert "bitrate" not in paused[1]


def test_content_facts_follow_the_pod_the_duration_and_the_heartbeat() -> None:
    """Looked up by what they are made of, they still change with each of those."""
    content = Content(asset_id="c", pod_ids=("p1", "p2"), duration=600.0)
    sink = MemorySink()
    session = Session("s", anonymous_id="a", sink=sink, heartbeat=10)
    session.load(content, at=T0)
    session.play(at=T0)
    session.playing(position=0.0, at=T0)
    session.ad_break_start("mid", "mid-roll", at=T0 + 1)
    session.ad_break_end(at=T0 + 2)
    session.durationchange(900.0, at=T0 + 3)
    session.pause(at=T0 + 4)
    started = next(m for m in sink.messages if m["event"] == "Video Content Started")
    paused = sink.messages[-1]
    assert started["properties"]["pod_id"] == "p1"
    assert paused["properties"]["content_pod_id"] == "p2"
    assert paused["properties"]["total_length"] == 900
    beats = []
    for heartbeat in (10, 20):
        other = Session(f"hb{heartbeat}", anonymous_id="a", sink=MemorySink(), heartbeat=heartbeat)
        other.load(content, at=T0)
        beats.append(other._shared_content_facts()["heartbeat"])
    assert beats == [10, 20]


def test_equal_content_objects_share_facts_and_the_lookup_is_bounded() -> None:
    from vtrack.core import emission

    first = heartbeat_of("one", Content(asset_id="eq", duration=60.0))
    second = heartbeat_of("two", Content(asset_id="eq", duration=60.0))
    assert first["_cached"] is second["_cached"]
    for index in range(kind.SHARED_LAYOUTS_LIMIT + 10):
        session = Session(f"b{index}", anonymous_id="a", sink=MemorySink())
        session.load(Content(asset_id=f"b{index}", duration=60.0), at=T0)
        session._shared_content_facts()
    assert len(emission._CONTENT_FACTS) <= kind.SHARED_LAYOUTS_LIMIT


def test_sessions_in_the_same_situation_share_one_fact_set() -> None:
    sessions = [Session(f"f{i}", anonymous_id="a", sink=MemorySink()) for i in range(3)]
    for session in sessions:
        session.load(CONTENT, at=T0)
        session.play(at=T0)
        session.playing(position=0.0, at=T0)
    sets = [session._fact_set for session in sessions]
    assert sets[0] is not None and sets[0] is sets[1] is sets[2]
    sessions[0].quality(bitrate=3200, at=T0 + 1)
    sessions[1].quality(bitrate=3200, at=T0 + 1)
    moved = sessions[0]._fact_set
    assert moved is not sets[0] and moved is sessions[1]._fact_set
    assert sessions[2]._fact_set is sets[0]
    for session in sessions:
        session.pause(at=T0 + 2)
    paused = SEGMENT.plans[kind.PLAYBACK_PAUSED].static_id
    assert moved is not None and moved.statics[paused]["bitrate"] == 3200
    assert "bitrate" not in sets[0].statics[paused]


def test_the_fact_set_table_is_bounded() -> None:
    for index in range(kind.SHARED_LAYOUTS_LIMIT + 10):
        SEGMENT.fact_set(({"content_asset_id": f"c{index}"}, {}, {}))
    assert len(SEGMENT._fact_sets) <= kind.SHARED_LAYOUTS_LIMIT


def test_quality_facts_found_by_value_keep_their_types() -> None:
    """Two sessions at bitrate 1600 and 1600.0 must not share one quality group."""
    groups = []
    for index, bitrate in enumerate((1600, 1600.0)):
        session = Session(f"q{index}", anonymous_id="a", sink=MemorySink())
        session.load(CONTENT, at=T0)
        session.quality(bitrate=bitrate, at=T0)
        groups.append(session._shared_quality_facts())
    assert [type(group["bitrate"]) for group in groups] == [int, float]
    again = Session("q2", anonymous_id="a", sink=MemorySink())
    again.load(CONTENT, at=T0)
    again.quality(bitrate=1600, at=T0)
    assert again._shared_quality_facts() is groups[0]
