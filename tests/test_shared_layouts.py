"""Sessions share facts and layouts by what they are made of, never mixing up their values."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from conftest import T0

from vtrack import SEGMENT, VIMEO_OTT, Content, MemorySink, ScheduledAd, Session, Settings
from vtrack.core.facts import ad_facts, content_facts, quality_facts, slow_facts
from vtrack.profiles import base as kind

CONTENT = Content(asset_id="shared", duration=600.0, title="Shared", extra={"tier": 1})
PLAYING = SEGMENT.plans[kind.CONTENT_PLAYING].static_id
PAUSED = SEGMENT.plans[kind.PLAYBACK_PAUSED].static_id


def playing_session(session_id: str, content: Content, settings: Settings) -> Session:
    """A session of ``content`` playing since T0, with a MemorySink."""
    session = Session(session_id, anonymous_id=f"viewer-{session_id}", sink=MemorySink(),
                      settings=settings)  # fmt: skip
    session.load(content, at=T0)
    session.play(at=T0)
    session.playing(position=0.0, at=T0)
    return session


def messages(session: Session) -> list[dict[str, Any]]:
    sink = session.sink
    assert isinstance(sink, MemorySink)
    return sink.messages


def heartbeat_of(session_id: str, content: Content, settings: Settings) -> dict[str, Any]:
    """The properties of the first heartbeat, and (as ``_cached``) the layout it came from."""
    session = playing_session(session_id, content, settings)
    session.advance(T0 + 10.0)
    beats = [m for m in messages(session) if m["event"] == "Video Content Playing"]
    assert 1 == len(beats)
    fact_set = session._emitter._fact_set
    assert fact_set is not None
    beat: dict[str, Any] = beats[0]["properties"]
    beat["_cached"] = fact_set.statics[PLAYING]
    return beat


class TestContentIsImmutable:
    def test_extra_cannot_be_changed(self) -> None:
        """A content's custom properties are read-only once it is built."""
        content = Content(asset_id="x", extra={"video_id": "A"})
        with pytest.raises(TypeError):
            content.extra["video_id"] = "B"  # type: ignore[index]
        assert {"video_id": "A"} == dict(content.extra)

    def test_the_callers_dict_is_copied(self) -> None:
        """Changing the dict (or a list in it) a content was built from changes nothing."""
        extra: dict[str, Any] = {"video_id": "A", "tags": ["a"]}
        content = Content(asset_id="x", duration=100.0, extra=extra)
        extra["video_id"] = "B"
        extra["tags"].append("b")
        assert {"video_id": "A", "tags": ["a"]} == dict(content.extra)

    def test_a_changed_copy_reaches_the_next_session(self) -> None:
        """The stale-facts defect: a second session with changed metadata says what it has."""
        settings = Settings()
        first = Content(asset_id="x", duration=100.0, extra={"video_id": "A"})
        second = attrs.evolve(first, extra={**first.extra, "video_id": "B"})
        started = []
        for index, content in enumerate((first, second, first)):
            session = playing_session(f"s{index}", content, settings)
            started += [m for m in messages(session) if m["event"] == "Video Content Started"]
        assert ["A", "B", "A"] == [m["properties"]["video_id"] for m in started]

    @pytest.mark.parametrize("duration", [-3, -0.5, float("nan")])
    def test_a_negative_or_nan_duration_is_refused(self, duration: float) -> None:
        """A duration below zero, or NaN, is an error when the content is built."""
        with pytest.raises(ValueError, match="duration must be a number of seconds >= 0"):
            Content(asset_id="x", duration=duration)

    def test_an_infinite_duration_is_a_livestream_length(self) -> None:
        """Infinity (a browser's duration of a livestream) is taken, as no usable length."""
        assert Content(asset_id="x", duration=float("inf")).length is None

    @pytest.mark.parametrize("field", ["duration", "length"])
    def test_a_bool_is_not_a_number_of_seconds(self, field: str) -> None:
        """True as a duration or an ad length is refused (it would compare equal to 1)."""
        build = Content if field == "duration" else ScheduledAd
        with pytest.raises(TypeError, match=field):
            build(**{field: True})

    def test_what_is_read_from_extra_cannot_change_it(self) -> None:
        """A list read from extra is a copy: changing it reaches no session."""
        settings = Settings()
        first = Content(asset_id="v", duration=60.0, extra={"tags": ["kids"]})
        playing_session("one", first, settings)
        first.extra["tags"].append("adult")
        again = playing_session("two", Content(asset_id="v", duration=60.0,
                                              extra={"tags": ["kids"]}), settings)  # fmt: skip
        started = next(m for m in messages(again) if m["event"] == "Video Content Started")
        assert (["kids"], ["kids"]) == (first.extra["tags"], started["properties"]["tags"])

    def test_equal_values_of_other_types_differ(self) -> None:
        """Contents whose custom properties differ only in type (1, 1.0, True) are not equal."""
        contents = [Content(asset_id="c", extra={"flag": value}) for value in (1, 1.0, True)]
        assert 3 == len(set(contents))
        assert Content(asset_id="c", extra={"flag": 1}) == contents[0]


class TestSharing:
    def test_sessions_showing_the_same_content_share_one_cached_layout(self) -> None:
        """Two sessions of one settings share the heartbeat's cached layout, not its ids."""
        settings = Settings()
        one, two = heartbeat_of("one", CONTENT, settings), heartbeat_of("two", CONTENT, settings)
        assert one.pop("_cached") is two.pop("_cached")
        assert ("one", "two") == (one.pop("session_id"), two.pop("session_id"))
        assert one == two

    def test_equal_content_objects_share_facts(self) -> None:
        """Facts are found by what the content is made of, not by which object it is."""
        settings = Settings()
        first = heartbeat_of("one", Content(asset_id="eq", duration=60.0), settings)
        second = heartbeat_of("two", Content(asset_id="eq", duration=60.0), settings)
        assert first["_cached"] is second["_cached"]

    def test_sessions_of_separate_settings_share_the_profiles_facts(self) -> None:
        """Settings made apart (as each live tracker makes its own) still share fact sets."""
        sessions = [playing_session(f"p{i}", CONTENT, Settings(heartbeat=10)) for i in range(2)]
        assert sessions[0]._emitter._fact_set is sessions[1]._emitter._fact_set

    def test_sessions_of_equal_contents_hold_one_content(self) -> None:
        """Equal contents built apart (as a replay builds them) become one shared object."""
        settings = Settings()
        sessions = [
            playing_session(f"c{i}", Content(asset_id="eq", duration=60.0), settings)
            for i in range(3)
        ]
        first = sessions[0]._playback.content
        assert [True, True] == [s._playback.content is first for s in sessions[1:]]

    def test_the_shared_layout_holds_no_session_id(self) -> None:
        """The cached layout leaves the session id to each message."""
        assert heartbeat_of("one", CONTENT, Settings())["_cached"]["session_id"] is None

    def test_sessions_in_the_same_situation_share_one_fact_set(self) -> None:
        """A quality change moves a session to another fact set, shared with its like."""
        settings = Settings()
        sessions = [playing_session(f"f{i}", CONTENT, settings) for i in range(3)]
        for session in sessions:
            session.pause(at=T0 + 0.5)
        before = [session._emitter._fact_set for session in sessions]
        assert before[0] is not None and before[0] is before[1] is before[2]
        for session in sessions[:2]:
            session.quality(bitrate=3200, at=T0 + 1)
        for session in sessions:
            session.play(at=T0 + 2)
        after = [session._emitter._fact_set for session in sessions]
        assert after[0] is not None and after[0] is after[1]
        assert after[0] is not before[0] and after[2] is before[0]
        assert 3200 == messages(sessions[0])[-2]["properties"]["bitrate"]
        assert "bitrate" not in messages(sessions[2])[-2]["properties"]

    def test_a_quality_change_reaches_only_the_session_that_made_it(self) -> None:
        """Sessions sharing facts keep their own quality."""
        settings = Settings()
        sessions = [playing_session(f"s{i}", CONTENT, settings) for i in range(2)]
        sessions[0].quality(bitrate=3200, at=T0 + 1)
        for session in sessions:
            session.pause(at=T0 + 2)
        paused = [messages(session)[-1]["properties"] for session in sessions]
        assert (3200, None) == (paused[0].get("bitrate"), paused[1].get("bitrate"))

    def test_quality_found_by_value_keeps_its_type(self) -> None:
        """Bitrates 1600 and 1600.0 do not share one quality group; 1600 and 1600 do."""
        settings = Settings()
        groups = []
        for index, bitrate in enumerate((1600, 1600.0, 1600)):
            session = playing_session(f"q{index}", CONTENT, settings)
            session.quality(bitrate=bitrate, at=T0 + 1)
            assert session._emitter._fact_set is not None
            groups.append(session._emitter._fact_set.groups[kind.QUALITY_GROUP])
        assert [int, float, int] == [type(group["bitrate"]) for group in groups]
        assert groups[0] is groups[2]

    def test_equal_values_of_other_types_are_not_shared(self) -> None:
        """1, 1.0 and True, alone or in a tuple, come back as each session was given them."""
        settings = Settings()
        for index, value in enumerate((1, 1.0, True)):
            flat = Content(asset_id="c", duration=600.0, extra={"flag": value})
            nested = Content(asset_id="c", duration=600.0, extra={"flags": (value,)})
            assert type(value) is type(heartbeat_of(f"s{index}", flat, settings)["flag"])
            assert type(value) is type(heartbeat_of(f"n{index}", nested, settings)["flags"][0])

    def test_unhashable_custom_properties_are_kept_per_session(self) -> None:
        """A custom property that cannot be hashed still reaches every message."""
        settings = Settings()
        content = Content(asset_id="c", duration=600.0, extra={"tags": {"a": [1, {2}]}})
        one = heartbeat_of("one", content, settings)
        two = heartbeat_of("two", content, settings)
        assert {"a": [1, {2}]} == one["tags"] == two["tags"]

    def test_lists_are_never_shared_between_messages(self) -> None:
        """Each message gets its own copy of a list property."""
        settings = Settings()
        content = Content(asset_id="c", duration=600.0, keywords=("a", "b"))
        one, two = heartbeat_of("one", content, settings), heartbeat_of("two", content, settings)
        assert one["keywords"] is not two["keywords"]
        one["keywords"].append("changed")
        assert ["a", "b"] == heartbeat_of("three", content, settings)["keywords"]

    def test_vimeo_ott_fills_in_the_session_id_too(self) -> None:
        """Every Vimeo OTT message carries its own session's id."""
        session = playing_session("vim", CONTENT, Settings(profile=VIMEO_OTT))
        session.pause(at=T0 + 1)
        assert {"vim"} == {m["properties"]["session_id"] for m in messages(session)}


class TestFacts:
    def test_each_fact_is_worked_out_with_its_group(self) -> None:
        """A fact's group (in the profiles) is the group that builds it."""
        session = Session("s", anonymous_id="a", sink=MemorySink())
        session.load(Content(asset_id="c", duration=60.0, title="T"), at=T0)
        session.ad_break_start("pod", "pre-roll", at=T0)
        session.ad_start("ad", length=5.0, at=T0)
        playback = session._playback
        builders = {
            kind.CONTENT_GROUP: content_facts(playback, 10),
            kind.AD_GROUP: ad_facts(playback),
            kind.QUALITY_GROUP: quality_facts(playback),
        }
        found = {fact: kind.FACT_GROUPS.get(fact, kind.CONTENT_GROUP) for fact in slow_facts(
            playback, 10, "s") if fact != "session_id"}  # fmt: skip
        assert found == {fact: group for group, facts in builders.items() for fact in facts}

    def test_content_facts_follow_the_pod_the_duration_and_the_heartbeat(self) -> None:
        """Looked up by what they are made of, they still change with each of those."""
        content = Content(asset_id="c", pod_ids=("p1", "p2"), duration=600.0)
        session = playing_session("s", content, Settings(heartbeat=10))
        session.ad_break_start("mid", "mid-roll", at=T0 + 1)
        session.ad_break_end(at=T0 + 2)
        session.durationchange(900.0, at=T0 + 3)
        session.pause(at=T0 + 4)
        started = next(m for m in messages(session) if m["event"] == "Video Content Started")
        paused = messages(session)[-1]["properties"]
        assert ("p1", "p2", 900) == (
            started["properties"]["pod_id"],
            paused["content_pod_id"],
            paused["total_length"],
        )
        beats = []
        for interval in (10, 20):
            other = playing_session(f"hb{interval}", content, Settings(heartbeat=interval))
            assert other._emitter._fact_set is not None
            beats.append(other._emitter._fact_set.facts["heartbeat"])
        assert [10, 20] == beats


class TestBounds:
    def test_every_table_is_bounded(self) -> None:
        """However many contents pass, the cache holds at most its limit per table."""
        profile = attrs.evolve(SEGMENT)  # a profile of its own: its own cache
        profile.fact_cache.limit = 50
        settings = Settings(profile=profile)
        for index in range(120):
            session = playing_session(f"b{index}", Content(asset_id=f"b{index}"), settings)
            session.pause(at=T0 + 1)
        assert len(profile.fact_cache) <= 5 * 50
        for table in profile.fact_cache._groups:
            assert len(table) <= 50
