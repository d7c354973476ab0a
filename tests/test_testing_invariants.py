"""vtrack.testing's invariants: each rule catches what it names, and vtrack keeps them all."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import MOVIE, T0, SessionFactory, play_ad_break, watch

from vtrack import Content, MemorySink, ScheduledAd, Session
from vtrack.testing import (
    InvariantChecker,
    InvariantViolation,
    check_heartbeat_timing,
    check_invariants,
    find_violations,
)
from vtrack.testing.schema import schema_errors, validate
from vtrack.testing.timeline import timeline


def a_session(heartbeat: int = 10, **options: Any) -> tuple[Session, MemorySink]:
    sink = MemorySink()
    return Session("s1", anonymous_id="viewer", sink=sink, heartbeat=heartbeat, **options), sink


def full_viewing() -> list[dict[str, Any]]:
    """Pre-roll, content with pause, stall, seek, a mid-roll, end: every kind of event."""
    session, sink = a_session()
    content = Content(
        asset_id="movie",
        duration=100.0,
        ad_schedule=(ScheduledAd("pre-ad", "pre", "pre-roll", 5.0),),
    )
    session.load(content, at=T0)
    session.play(at=T0)
    play_ad_break(session, "pre", "pre-roll", "pre-ad", 5.0, T0)
    session.playing(0.0, at=T0 + 5)
    session.pause(at=T0 + 17)
    session.play(at=T0 + 20)
    session.waiting(at=T0 + 25)
    session.playing(at=T0 + 27)
    session.seeking(60.0, at=T0 + 30)
    session.seeked(at=T0 + 31)
    play_ad_break(session, "mid", "mid-roll", "mid-ad", 8.0, T0 + 40)
    session.quality(bitrate=2000, at=T0 + 50)
    session.ended(at=T0 + 80)
    session.exit(at=T0 + 81)
    return sink.messages


def rules(messages: list[dict[str, Any]], **options: Any) -> set[str]:
    return {violation.rule for violation in find_violations(messages, **options)}


class TestVtrackKeepsThem:
    def test_a_full_viewing_breaks_no_rule(self) -> None:
        """Every rule, heartbeat spacing and seed 004 included, holds for vtrack's output."""
        messages = full_viewing()
        assert len(messages) > 20
        check_invariants(messages, heartbeat=10)

    def test_vimeo_ott_output_too(self, make_session: SessionFactory) -> None:
        """A Vimeo OTT viewing to the end keeps its rules and sends Video Content Completed."""
        session, sink = make_session(profile="vimeo-ott")
        watch(session, MOVIE)
        session.timeupdate(95.0, at=T0 + 95)
        session.ended(at=T0 + 100)
        check_invariants(sink.messages, profile="vimeo-ott")
        assert "Video Content Completed" in [m["event"] for m in sink.messages]  # its 90 %


class TestNoFalseAlarms:
    """Stops that no event marks must not read as missing heartbeats (review findings)."""

    def test_an_ad_that_takes_seconds_to_load(self, make_session: SessionFactory) -> None:
        """A mid-roll ad starting 7 s after its pod breaks no rule, heartbeat spacing included."""
        session, sink = make_session(heartbeat=10)
        watch(session, MOVIE)
        session.ad_break_start("mid", "mid-roll", 1, at=T0 + 15)
        session.ad_start("a1", length=8.0, at=T0 + 22)
        session.ad_end(at=T0 + 30)
        session.ad_break_end(at=T0 + 30)
        session.timeupdate(30.0, at=T0 + 45)
        check_invariants(sink.messages, heartbeat=10)

    def test_an_ad_that_fails_while_playing(self, make_session: SessionFactory) -> None:
        """Segment has no Video Ad Failed: the ad just stops; content plays on."""
        session, sink = make_session(heartbeat=10)
        watch(session, MOVIE)
        session.ad_break_start("mid", "mid-roll", 2, at=T0 + 5)
        session.ad_start("a1", length=20.0, at=T0 + 5)
        session.ad_error("decoder", at=T0 + 12.5)
        session.ad_break_end(at=T0 + 13)
        session.pause(at=T0 + 30)
        session.play(at=T0 + 32)
        session.seeking(50.0, at=T0 + 35)
        session.seeked(at=T0 + 36)
        session.timeupdate(60.0, at=T0 + 46)
        check_invariants(sink.messages, heartbeat=10)
        states = [(row.event, row.state) for row in timeline(sink.messages)]
        assert ("Video Playback Paused", "paused") in states  # content's pause, not the ad's

    def test_the_next_playlist_item_mid_play(self, make_session: SessionFactory) -> None:
        """Loading the next item mid-play, its first frame 10 s later, breaks no rule."""
        session, sink = make_session(heartbeat=10)
        watch(session, MOVIE)
        session.timeupdate(12.0, at=T0 + 12)
        session.load(Content(asset_id="next", duration=50.0), at=T0 + 12)
        session.playing(0.0, at=T0 + 22)
        session.timeupdate(10.0, at=T0 + 32)
        check_invariants(sink.messages, heartbeat=10)

    def test_quality_of_a_viewer_with_two_tabs(self) -> None:
        """Video Quality Updated has no session_id: it belongs to the viewer's open session."""
        sink = MemorySink()
        tab1 = Session("tab-1", anonymous_id="v", sink=sink, heartbeat=10)
        tab2 = Session("tab-2", anonymous_id="v", sink=sink, heartbeat=10)
        watch(tab1, MOVIE)
        watch(tab2, Content(asset_id="short", duration=5.0), at=T0 + 1)
        tab2.timeupdate(5.0, at=T0 + 6)
        tab2.ended(at=T0 + 6)
        tab2.exit(at=T0 + 7)
        tab1.quality(bitrate=800_000, at=T0 + 8)
        tab1.pause(at=T0 + 9)
        check_invariants(sink.messages, heartbeat=10)

    def test_a_whole_number_float_position(self) -> None:
        """A position of 0.0, a whole-number float, is no position-range violation."""
        messages = full_viewing()
        messages[1]["properties"]["position"] = 0.0  # another tool's JSON
        assert "position-range" not in rules(messages, schema=False)

    def test_only_the_closest_schema_branch_is_reported(self) -> None:
        """A message without 'type' gets one error, for that property, not every branch's."""
        message = full_viewing()[0]
        del message["type"]
        assert ["(message): 'type' is a required property"] == schema_errors(message)


class TestEachRuleCatchesItsViolation:
    def test_unique_ids(self) -> None:
        """A messageId used twice breaks unique-ids and nothing else."""
        messages = full_viewing()
        messages[5]["messageId"] = messages[4]["messageId"]
        assert {"unique-ids"} == rules(messages)

    def test_time_order(self) -> None:
        """A timestamp earlier than the message before it breaks time-order."""
        messages = full_viewing()
        messages[6]["timestamp"] = messages[0]["timestamp"]
        assert "time-order" in rules(messages, schema=False)

    def test_started_first(self) -> None:
        """Messages that lack the opening Video Playback Started break started-first alone."""
        messages = full_viewing()[1:]
        assert {"started-first"} == rules(messages)

    def test_only_exited_after_completed(self) -> None:
        """An event other than Exited after Video Playback Completed breaks after-completed."""
        messages = full_viewing()
        late = copy.deepcopy(messages[-3])  # a heartbeat-free event before the end
        late["messageId"] = "another-id"
        late["timestamp"] = messages[-1]["timestamp"]
        messages.insert(len(messages) - 1, late)
        assert "after-completed" in rules(messages, schema=False)

    def test_nothing_after_exit(self) -> None:
        """A message after Video Playback Exited breaks after-exit alone."""
        messages = full_viewing()
        late = copy.deepcopy(messages[3])
        late["messageId"] = "late"
        late["timestamp"] = messages[-1]["timestamp"]
        assert {"after-exit"} == rules([*messages, late], schema=False)

    def test_a_new_session_under_the_same_id_may_follow_exit(self) -> None:
        """A second whole session under the same id after Exited breaks no rule."""
        first = full_viewing()
        second = copy.deepcopy(first)
        for n, message in enumerate(second):
            message["messageId"] = f"second-{n}"
        assert [] == find_violations([*first, *second], heartbeat=10)

    @pytest.mark.parametrize("bad", [-1, 1.5, "3", 1000])
    def test_position_range(self, bad: object) -> None:
        """A negative, fractional, string or past-the-end position breaks position-range."""
        messages = full_viewing()
        messages[1]["properties"]["position"] = bad
        assert "position-range" in rules(messages, schema=False)

    def test_milestones_once(self) -> None:
        """A milestone sent twice breaks milestones alone, and the detail says '25% twice'."""
        messages = full_viewing()
        index = next(i for i, m in enumerate(messages) if m["event"] == "25% Content Completed")
        again = copy.deepcopy(messages[index])
        again["messageId"] = "again"
        messages.insert(index + 1, again)
        found = find_violations(messages)
        assert ["milestones"] == [v.rule for v in found]
        assert "25% twice" in found[0].detail

    def test_milestones_ascending(self) -> None:
        """The 50 % milestone sent before the 25 % one breaks milestones."""
        messages = full_viewing()
        first = next(i for i, m in enumerate(messages) if m["event"] == "25% Content Completed")
        second = next(i for i, m in enumerate(messages) if m["event"] == "50% Content Completed")
        messages[first], messages[second] = messages[second], messages[first]
        assert "milestones" in rules(messages, schema=False)

    def test_heartbeat_while_paused(self) -> None:
        """A heartbeat right after Paused breaks heartbeat-playing alone, said 'while paused'."""
        messages = full_viewing()
        paused = next(i for i, m in enumerate(messages) if m["event"] == "Video Playback Paused")
        beat = copy.deepcopy(next(m for m in messages if m["event"] == "Video Content Playing"))
        beat["messageId"] = "beat"
        beat["timestamp"] = messages[paused]["timestamp"]
        messages.insert(paused + 1, beat)
        found = find_violations(messages)
        assert ["heartbeat-playing"] == [v.rule for v in found]
        assert "while paused" in found[0].detail

    def test_heartbeats_off(self) -> None:
        """Heartbeats in messages checked with heartbeat=0 break heartbeat-playing."""
        assert "heartbeat-playing" in rules(full_viewing(), heartbeat=0)

    def test_heartbeat_spacing(self) -> None:
        """A wrong interval shows as spacing; a missing heartbeat as too long without one."""
        assert "heartbeat-spacing" in rules(full_viewing(), heartbeat=20)
        session, sink = a_session()
        watch(session, Content(asset_id="c", duration=40.0))
        session.waiting(at=T0 + 25)
        session.playing(at=T0 + 26)
        session.ended(at=T0 + 41)
        check_invariants(sink.messages, heartbeat=10)
        silent = [m for m in sink.messages if m["event"] != "Video Content Playing"]
        found = find_violations(silent, heartbeat=10)
        assert ["heartbeat-spacing"] == [v.rule for v in found]  # told once per stretch
        assert "Video Playback Buffer Started" == found[0].event
        assert "25.000 s of playing time without a heartbeat" in found[0].detail
        late = [m for m in sink.messages if m["properties"].get("position") != 10]
        found = find_violations(late, heartbeat=10)
        assert "20.000 s of playing time since the pod started, not 10" in found[0].detail

    def test_stricter_heartbeat_rules(self) -> None:
        """A real pause and resume pass; a twin beat, a beat renamed an ad's, a 2nd Started fail."""
        session, sink = a_session()
        watch(session, MOVIE)
        session.pause(at=T0 + 15)
        session.play(at=T0 + 20)
        session.timeupdate(25.0, at=T0 + 30)
        messages = sink.messages
        check_invariants(messages, heartbeat=10)
        twin = copy.deepcopy(messages[2])
        twin["messageId"] = "twin"
        found = find_violations([*messages[:3], twin, *messages[3:]], heartbeat=10)
        assert ["heartbeat-spacing"] == [v.rule for v in found]
        as_ad = copy.deepcopy(messages)
        as_ad[2]["event"] = "Video Ad Playing"
        assert "heartbeat-playing" in rules(as_ad, heartbeat=10, schema=False)
        again = copy.deepcopy(messages[0])
        again["messageId"] = "again"
        again["timestamp"] = messages[-1]["timestamp"]
        found = find_violations([*messages, again])
        assert ["started-first"] == [v.rule for v in found]
        assert "again before the session ended" in found[0].detail

    def test_schema(self) -> None:
        """A string total_length and a comma in a timestamp are schema errors at messages 2, 3."""
        messages = full_viewing()
        messages[2]["properties"]["total_length"] = "long"
        messages[3]["timestamp"] = messages[3]["timestamp"].replace(".", ",")
        found = find_violations(messages, heartbeat=10)
        assert {(2, "schema"), (3, "schema")} == {(v.index, v.rule) for v in found}
        assert "properties/total_length: 'long' is not of type" in found[0].detail


class TestUse:
    def test_the_error_lists_every_violation(self) -> None:
        """InvariantViolation holds every broken rule and names each message by index and event."""
        messages = full_viewing()[1:]
        messages[3]["messageId"] = messages[2]["messageId"]
        with pytest.raises(InvariantViolation) as raised:
            check_invariants(messages)
        assert {"started-first", "unique-ids"} == {v.rule for v in raised.value.violations}
        assert "message 0 (Video Ad Started): [started-first]" in str(raised.value)

    def test_streaming_equals_all_at_once(self) -> None:
        """InvariantChecker fed message by message finds what find_violations finds at once."""
        messages = full_viewing()
        messages[9]["messageId"] = messages[1]["messageId"]
        checker = InvariantChecker(heartbeat=10)
        for message in messages:
            checker.check(message)
        assert find_violations(messages, heartbeat=10) == checker.violations

    def test_bad_options_are_explained(self) -> None:
        """A 15 s heartbeat, an unknown profile or schema with vimeo-ott raise a ValueError."""
        with pytest.raises(ValueError, match=r"0, 10, 20, \.\.\., 600"):
            InvariantChecker(heartbeat=15)
        with pytest.raises(ValueError, match="segment, vimeo-ott"):
            InvariantChecker(profile="youtube")
        with pytest.raises(ValueError, match="Segment profile"):
            InvariantChecker(profile="vimeo-ott", schema=True)

    def test_exact_heartbeat_timing(self) -> None:
        """check_heartbeat_timing accepts beats every 10 s of the playing spans, rejects 20 s."""
        session, sink = a_session()
        watch(session, MOVIE)
        session.pause(at=T0 + 25)
        session.play(at=T0 + 30)
        session.timeupdate(40.0, at=T0 + 45)
        playing = [(T0, T0 + 25), (T0 + 30, T0 + 45)]
        check_heartbeat_timing(sink.messages, interval=10, playing=playing)
        with pytest.raises(InvariantViolation, match="heartbeat-spacing"):
            check_heartbeat_timing(sink.messages, interval=20, playing=playing)

    def test_schema_errors_say_where(self) -> None:
        """A schema error names the property's path, and validate() fails citing seed 004."""
        message = full_viewing()[0]
        message["properties"]["position"] = "zero"
        assert any(e.startswith("properties/position:") for e in schema_errors(message))
        with pytest.raises(AssertionError, match="breaks seed 004"):
            validate(message)

    def test_timeline_reads_states(self) -> None:
        """timeline() reads the paused, buffering, ad playing and exited states from messages."""
        states = [(row.event, row.state) for row in timeline(full_viewing())]
        assert ("Video Playback Paused", "paused") in states
        assert ("Video Playback Buffer Started", "buffering") in states
        assert ("Video Ad Started", "ad playing") in states
        assert ("Video Playback Exited", "exited") == states[-1]
