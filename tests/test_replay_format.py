"""The vtrack log format: each record checked, every refusal explained."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrack import Callback, Content, ScheduledAd, Session
from vtrack.core.machine import CALLBACKS
from vtrack.replay.log_format import (
    CONTENT_FIELDS,
    DEFAULT_SESSION,
    EVENT_FIELDS,
    REQUIRED,
    BadRecord,
    callback_record,
    content_fields,
    parse_record,
)

T = 1_700_000_000.0


def bad(record: Any) -> str:
    with pytest.raises(BadRecord) as caught:
        parse_record(record)
    return str(caught.value)


class TestFieldsFollowTheCore:
    def test_every_callback_of_the_core_has_a_record(self) -> None:
        """The log format has an event for every callback of the core, and no other."""
        assert set(CALLBACKS) == set(EVENT_FIELDS)

    @pytest.mark.parametrize("event", [e for e in EVENT_FIELDS if e != "load"])
    def test_fields_are_the_keyword_arguments_of_the_session_method(self, event: str) -> None:
        """An event's fields and required fields are the Session method's keyword arguments."""
        parameters = inspect.signature(getattr(Session, event)).parameters
        arguments = {name for name in parameters if name not in ("self", "at")}
        assert arguments == set(EVENT_FIELDS[event])
        required = {
            name
            for name, parameter in parameters.items()
            if name not in ("self", "at") and parameter.default is inspect.Parameter.empty
        }
        assert required == set(REQUIRED.get(event, ()))

    def test_content_fields_are_the_fields_of_content(self) -> None:
        """The content fields of the log format are exactly the attributes of Content."""
        import attrs

        assert set(CONTENT_FIELDS) == {field.name for field in attrs.fields(Content)}


class TestGoodRecords:
    def test_a_timeupdate(self) -> None:
        """A timeupdate parses to its time, session, event and position; no identity or content."""
        record = parse_record({"t": T, "session": "s1", "event": "timeupdate", "position": 1.5})
        assert (
            T,
            "s1",
            "timeupdate",
            {"position": 1.5},
        ) == (record.at, record.session, record.event, record.args)
        assert record.identity is None and record.content is None

    def test_the_session_is_optional(self) -> None:
        """A record without a session belongs to the default session."""
        assert DEFAULT_SESSION == parse_record({"t": T, "event": "play"}).session

    def test_integers_are_numbers(self) -> None:
        """Integer times and positions are accepted, and the time becomes a float."""
        record = parse_record({"t": 1_700_000_000, "event": "timeupdate", "position": 3})
        assert record.at == T and type(record.at) is float and record.args == {"position": 3}

    def test_identity_and_content_ride_on_any_record(self) -> None:
        """A user_id and a content object are read from any record, here a pause."""
        record = parse_record(
            {"t": T, "event": "pause", "user_id": "u1", "content": {"title": "A"}}
        )
        assert ("user_id", "u1") == record.identity
        assert {"title": "A"} == record.content

    def test_a_load_with_its_ad_schedule(self) -> None:
        """A load record passes its ad schedule on as given."""
        record = parse_record(
            {
                "t": T,
                "event": "load",
                "asset_id": "c1",
                "duration": 60,
                "ad_schedule": [{"asset_id": "a1", "type": "pre-roll", "length": 15}],
            }
        )
        assert [{"asset_id": "a1", "type": "pre-roll", "length": 15}] == record.args["ad_schedule"]

    def test_null_is_the_same_as_leaving_a_field_out(self) -> None:
        """An optional field set to null is left out of the arguments."""
        assert {} == parse_record({"t": T, "event": "playing", "position": None}).args

    def test_a_null_duration_is_unknown(self) -> None:
        """A durationchange with a null duration passes None on as the duration."""
        record = parse_record({"t": T, "event": "durationchange", "duration": None})
        assert {"duration": None} == record.args

    @given(
        at=st.floats(0, 2e9),
        position=st.floats(0, 1e6),
        session=st.one_of(st.none(), st.text(min_size=1)),
    )
    def test_the_timeupdate_shortcut_agrees_with_the_general_path(
        self, at: float, position: float, session: str | None
    ) -> None:
        """The fast timeupdate parse gives the same record as the general path for any input."""
        obj: dict[str, Any] = {"t": at, "event": "timeupdate", "position": position}
        if session is not None:
            obj["session"] = session
        fast = parse_record(obj)
        # A field the shortcut does not take sends the record down the general path.
        slow = parse_record({**obj, "content": {}})
        assert fast._replace(content=None) == slow._replace(content=None)


class TestBadRecords:
    def test_not_an_object(self) -> None:
        """A JSON array is refused: a record must be a JSON object."""
        assert "a record must be a JSON object; got an array" == bad([1, 2])

    def test_no_time(self) -> None:
        """A record without "t" is refused."""
        assert bad({"event": "play"}).startswith('no "t"')

    def test_no_event(self) -> None:
        """A record without "event" is refused."""
        assert bad({"t": T}).startswith('no "event"')

    def test_time_not_a_number(self) -> None:
        """A "t" that is a string or a boolean is refused as not a number."""
        assert '"t" must be a number' in bad({"t": "noon", "event": "play"})
        assert '"t" must be a number' in bad({"t": True, "event": "play"})

    def test_milliseconds_by_mistake(self) -> None:
        """A time in milliseconds is refused with a hint that it may be milliseconds."""
        assert "milliseconds by mistake?" in bad({"t": T * 1000, "event": "play"})

    def test_negative_time(self) -> None:
        """A negative time is refused: times run from 0 to the year 9999."""
        assert "from 0 to the year 9999" in bad({"t": -1, "event": "play"})

    def test_unknown_event_lists_the_known_ones(self) -> None:
        """An unknown event is refused with the list of known events."""
        reason = bad({"t": T, "event": "stop"})
        assert reason.startswith("unknown event 'stop'; the events are: load, play")

    def test_unknown_field_names_the_allowed_ones(self) -> None:
        """An unknown field is refused with the list of the event's allowed fields."""
        reason = bad({"t": T, "event": "timeupdate", "postion": 3.0})
        assert reason.startswith("timeupdate: unknown field 'postion' (allowed: position")

    def test_wrong_type(self) -> None:
        """A string position, an integer flag and a float count are refused, naming the type."""
        assert "timeupdate: \"position\" must be a number; got '3'" == bad(
            {"t": T, "event": "timeupdate", "position": "3"}
        )
        assert "must be true or false" in bad({"t": T, "event": "fullscreen", "on": 1})
        assert "must be an integer" in bad({"t": T, "event": "ad_break_start", "ad_count": 1.5})

    def test_a_required_field(self) -> None:
        """A missing or null required field is refused, naming the field."""
        assert 'seeking needs "position"' == bad({"t": T, "event": "seeking"})
        assert 'timeupdate needs "position"' == bad(
            {"t": T, "event": "timeupdate", "position": None}
        )

    def test_infinite_numbers(self) -> None:
        """An infinite position is refused as not finite."""
        reason = bad({"t": T, "event": "timeupdate", "position": float("inf")})
        assert "finite" in reason

    def test_both_identities(self) -> None:
        """A record with both a user_id and an anonymous_id is refused."""
        reason = bad({"t": T, "event": "play", "user_id": "u", "anonymous_id": "a"})
        assert "not both" in reason

    def test_empty_identity_or_session(self) -> None:
        """An empty user_id or a non-string session is refused."""
        assert '"user_id" must be a non-empty string' in bad(
            {"t": T, "event": "play", "user_id": ""}
        )
        assert '"session" must be a non-empty string' in bad(
            {"t": T, "event": "play", "session": 7}
        )

    def test_bad_content_object(self) -> None:
        """A content object with an unknown field, or one not an object, is refused."""
        assert "unknown field 'name'" in bad({"t": T, "event": "play", "content": {"name": 1}})
        assert '"content" must be an object' in bad({"t": T, "event": "play", "content": "x"})

    def test_bad_scheduled_ad(self) -> None:
        """An ad_schedule entry with a bad asset_id, or not an object, is refused by its index."""
        reason = bad({"t": T, "event": "load", "ad_schedule": [{"asset_id": 1}]})
        assert 'ad_schedule[0]: "asset_id" must be a string; got 1' == reason
        assert "ad_schedule[0] must be an object" in bad(
            {"t": T, "event": "load", "ad_schedule": ["a"]}
        )


class TestWritingRecords:
    def test_a_callback_becomes_a_record_that_reads_back(self) -> None:
        """A load callback is written as a flat record that parses back to its content fields."""
        content = Content(
            asset_id="c1",
            pod_ids=("p1",),
            duration=60.0,
            keywords=("a",),
            ad_schedule=(ScheduledAd("ad", "pod", "pre-roll", 15.0),),
            extra={"tier": 1},
        )
        written = callback_record(
            Callback("load", T, {"content": content}), session="s", anonymous_id="v"
        )
        assert {
            "t": T,
            "session": "s",
            "anonymous_id": "v",
            "event": "load",
            "asset_id": "c1",
            "pod_ids": ["p1"],
            "duration": 60.0,
            "keywords": ["a"],
            "ad_schedule": [
                {"asset_id": "ad", "pod_id": "pod", "type": "pre-roll", "length": 15.0}
            ],
            "extra": {"tier": 1},
        } == written
        assert parse_record(written).args == {
            k: v for k, v in written.items() if k in content_fields(content)
        }

    def test_a_callback_without_time_cannot_be_written(self) -> None:
        """Writing a callback that has no time raises ValueError."""
        with pytest.raises(ValueError, match="needs the callback's time"):
            callback_record(Callback("play"))
