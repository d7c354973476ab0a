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
        assert set(CALLBACKS) == set(EVENT_FIELDS)

    @pytest.mark.parametrize("event", [e for e in EVENT_FIELDS if e != "load"])
    def test_fields_are_the_keyword_arguments_of_the_session_method(self, event: str) -> None:
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
        import attrs

        assert set(CONTENT_FIELDS) == {field.name for field in attrs.fields(Content)}


class TestGoodRecords:
    def test_a_timeupdate(self) -> None:
        record = parse_record({"t": T, "session": "s1", "event": "timeupdate", "position": 1.5})
        assert (record.at, record.session, record.event, record.args) == (
            T,
            "s1",
            "timeupdate",
            {"position": 1.5},
        )
        assert record.identity is None and record.content is None

    def test_the_session_is_optional(self) -> None:
        assert parse_record({"t": T, "event": "play"}).session == DEFAULT_SESSION

    def test_integers_are_numbers(self) -> None:
        record = parse_record({"t": 1_700_000_000, "event": "timeupdate", "position": 3})
        assert record.at == T and type(record.at) is float and record.args == {"position": 3}

    def test_identity_and_content_ride_on_any_record(self) -> None:
        record = parse_record(
            {"t": T, "event": "pause", "user_id": "u1", "content": {"title": "A"}}
        )
        assert record.identity == ("user_id", "u1")
        assert record.content == {"title": "A"}

    def test_a_load_with_its_ad_schedule(self) -> None:
        record = parse_record(
            {
                "t": T,
                "event": "load",
                "asset_id": "c1",
                "duration": 60,
                "ad_schedule": [{"asset_id": "a1", "type": "pre-roll", "length": 15}],
            }
        )
        assert record.args["ad_schedule"] == [{"asset_id": "a1", "type": "pre-roll", "length": 15}]

    def test_null_is_the_same_as_leaving_a_field_out(self) -> None:
        assert parse_record({"t": T, "event": "playing", "position": None}).args == {}

    def test_a_null_duration_is_unknown(self) -> None:
        record = parse_record({"t": T, "event": "durationchange", "duration": None})
        assert record.args == {"duration": None}

    @given(
        at=st.floats(0, 2e9),
        position=st.floats(0, 1e6),
        session=st.one_of(st.none(), st.text(min_size=1)),
    )
    def test_the_timeupdate_shortcut_agrees_with_the_general_path(
        self, at: float, position: float, session: str | None
    ) -> None:
        obj: dict[str, Any] = {"t": at, "event": "timeupdate", "position": position}
        if session is not None:
            obj["session"] = session
        fast = parse_record(obj)
        # A field the shortcut does not take sends the record down the general path.
        slow = parse_record({**obj, "content": {}})
        assert fast._replace(content=None) == slow._replace(content=None)


class TestBadRecords:
    def test_not_an_object(self) -> None:
        assert bad([1, 2]) == "a record must be a JSON object; got an array"

    def test_no_time(self) -> None:
        assert bad({"event": "play"}).startswith('no "t"')

    def test_no_event(self) -> None:
        assert bad({"t": T}).startswith('no "event"')

    def test_time_not_a_number(self) -> None:
        assert '"t" must be a number' in bad({"t": "noon", "event": "play"})
        assert '"t" must be a number' in bad({"t": True, "event": "play"})

    def test_milliseconds_by_mistake(self) -> None:
        assert "milliseconds by mistake?" in bad({"t": T * 1000, "event": "play"})

    def test_negative_time(self) -> None:
        assert "from 0 to the year 9999" in bad({"t": -1, "event": "play"})

    def test_unknown_event_lists_the_known_ones(self) -> None:
        reason = bad({"t": T, "event": "stop"})
        assert reason.startswith("unknown event 'stop'; the events are: load, play")

    def test_unknown_field_names_the_allowed_ones(self) -> None:
        reason = bad({"t": T, "event": "timeupdate", "postion": 3.0})
        assert reason.startswith("timeupdate: unknown field 'postion' (allowed: position")

    def test_wrong_type(self) -> None:
        assert bad({"t": T, "event": "timeupdate", "position": "3"}) == (
            "timeupdate: \"position\" must be a number; got '3'"
        )
        assert "must be true or false" in bad({"t": T, "event": "fullscreen", "on": 1})
        assert "must be an integer" in bad({"t": T, "event": "ad_break_start", "ad_count": 1.5})

    def test_a_required_field(self) -> None:
        assert bad({"t": T, "event": "seeking"}) == 'seeking needs "position"'
        assert bad({"t": T, "event": "timeupdate", "position": None}) == (
            'timeupdate needs "position"'
        )

    def test_infinite_numbers(self) -> None:
        reason = bad({"t": T, "event": "timeupdate", "position": float("inf")})
        assert "finite" in reason

    def test_both_identities(self) -> None:
        reason = bad({"t": T, "event": "play", "user_id": "u", "anonymous_id": "a"})
        assert "not both" in reason

    def test_empty_identity_or_session(self) -> None:
        assert '"user_id" must be a non-empty string' in bad(
            {"t": T, "event": "play", "user_id": ""}
        )
        assert '"session" must be a non-empty string' in bad(
            {"t": T, "event": "play", "session": 7}
        )

    def test_bad_content_object(self) -> None:
        assert "unknown field 'name'" in bad({"t": T, "event": "play", "content": {"name": 1}})
        assert '"content" must be an object' in bad({"t": T, "event": "play", "content": "x"})

    def test_bad_scheduled_ad(self) -> None:
        reason = bad({"t": T, "event": "load", "ad_schedule": [{"asset_id": 1}]})
        assert reason == 'ad_schedule[0]: "asset_id" must be a string; got 1'
        assert "ad_schedule[0] must be an object" in bad(
            {"t": T, "event": "load", "ad_schedule": ["a"]}
        )


class TestWritingRecords:
    def test_a_callback_becomes_a_record_that_reads_back(self) -> None:
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
        assert written == {
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
        }
        assert parse_record(written).args == {
            k: v for k, v in written.items() if k in content_fields(content)
        }

    def test_a_callback_without_time_cannot_be_written(self) -> None:
        with pytest.raises(ValueError, match="needs the callback's time"):
            callback_record(Callback("play"))
