"""Messages become strict JSON bytes at emit(), or are refused with the place at fault."""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import enum
import json
import math
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrack.delivery import MAX_EVENT_BYTES, EncodingError, MessageTooLarge, encode


class Colour(enum.Enum):
    RED = "red"


def message(**properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Video Content Playing",
        "properties": properties,
        "messageId": "m-1",
    }


def test_compact_utf8_json() -> None:
    """A message encodes to compact JSON, keys in order and non-ASCII text as raw UTF-8."""
    data = encode(message(title="Café", position=3))
    assert (
        '{"type":"track","event":"Video Content Playing",'
        '"properties":{"title":"Café","position":3},"messageId":"m-1"}'
    ).encode() == data


def test_standard_forms() -> None:
    """Datetimes, dates, Decimals, UUIDs, enums and tuples encode as their standard JSON forms."""
    when = dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.UTC)
    ident = uuid.UUID(int=1)
    decoded = json.loads(
        encode(
            message(
                when=when,
                day=dt.date(2024, 1, 15),
                price=decimal.Decimal("1.25"),
                id=ident,
                colour=Colour.RED,
                pair=(1, 2),
            )
        )
    )["properties"]
    assert {
        "when": "2024-01-15T10:30:00+00:00",
        "day": "2024-01-15",
        "price": 1.25,
        "id": str(ident),
        "colour": "red",
        "pair": [1, 2],
    } == decoded


@pytest.mark.parametrize(
    ("value", "path", "words"),
    [
        (math.nan, "$.properties.bad", "nan"),
        (math.inf, "$.properties.bad", "inf"),
        ({"deep": [1, -math.inf]}, "$.properties.bad.deep[1]", "inf"),
        (b"bytes", "$.properties.bad", "bytes"),
        ({1, 2}, "$.properties.bad", "set"),
        (object(), "$.properties.bad", "object"),
        (decimal.Decimal("NaN"), "$.properties.bad", "NaN"),
        ({("a", 1): 1}, "$.properties.bad[('a', 1)]", "key of type tuple"),
    ],
)
def test_values_json_cannot_carry_are_refused_with_their_path(
    value: object, path: str, words: str
) -> None:
    """A value JSON cannot carry raises EncodingError naming its path, its kind and the event."""
    with pytest.raises(EncodingError) as caught:
        encode(message(bad=value))
    assert path == caught.value.path
    assert words in str(caught.value)
    assert "Video Content Playing" in str(caught.value)


def test_a_message_over_32_kb_is_refused_with_its_size() -> None:
    """A message over MAX_EVENT_BYTES raises MessageTooLarge giving its size and the event."""
    with pytest.raises(MessageTooLarge) as caught:
        encode(message(blob="x" * MAX_EVENT_BYTES))
    assert caught.value.size > MAX_EVENT_BYTES
    assert f"{caught.value.size:,} bytes" in str(caught.value)
    assert "Video Content Playing" in str(caught.value)


def test_the_limit_is_inclusive() -> None:
    """A message of exactly MAX_EVENT_BYTES bytes is accepted."""
    empty = len(encode(message(blob="")))
    assert MAX_EVENT_BYTES == len(encode(message(blob="x" * (MAX_EVENT_BYTES - empty))))


def test_changing_the_message_afterwards_changes_nothing_sent() -> None:
    """Changing the message after encode() leaves the encoded bytes as they were."""
    sent = message(tags=["a"])
    data = encode(sent)
    sent["properties"]["tags"].append("b")
    assert ["a"] == json.loads(data)["properties"]["tags"]


def test_a_message_that_holds_itself_is_refused_clearly() -> None:
    """A message that contains itself raises EncodingError rather than recursing."""
    looped = message()
    looped["properties"]["self"] = looped
    with pytest.raises(EncodingError):
        encode(looped)


def test_deep_nesting_and_signalling_nan_are_refused_clearly() -> None:
    """100,000 nested lists raise 'too deep'; a signalling-NaN Decimal raises with its path."""
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(EncodingError, match="too deep"):
        encode(message(deep=deep))
    with pytest.raises(EncodingError, match=r"\$\.properties\.bad"):
        encode(message(bad=decimal.Decimal("sNaN")))


class TestValuesAtTheEdge:
    """Each value a destination would choke on is refused naming its key; none is sent as-is."""

    @pytest.mark.parametrize(
        ("message_id", "problem"),
        [
            ("x" * 101, "$.messageId is 101 characters; destinations deduplicate by at most 100"),
            (12345, "$.messageId must be a string; got a number"),
        ],
    )
    def test_an_unusable_message_id_is_refused(self, message_id: object, problem: str) -> None:
        """A messageId over 100 characters or not a string raises, naming $.messageId."""
        with pytest.raises(EncodingError) as caught:
            encode({**message(), "messageId": message_id})
        assert problem in str(caught.value)

    def test_a_missing_message_id_is_filled_from_the_content(self) -> None:
        """No messageId: one derived from the content; the same message, the same id."""
        bare = {"type": "track", "event": "Video Content Playing", "properties": {"a": 1}}
        first, again = json.loads(encode(bare)), json.loads(encode(dict(bare)))
        other = json.loads(encode({**bare, "properties": {"a": 2}}))
        assert first["messageId"] == again["messageId"] != other["messageId"]
        assert str(uuid.UUID(first["messageId"])) == first["messageId"]
        assert "messageId" not in bare

    @pytest.mark.parametrize("value", [[1, 2], "text", 3, None])
    def test_a_message_that_is_no_object_is_refused(self, value: object) -> None:
        """A list, a string, a number or None as the message: EncodingError, not AttributeError."""
        with pytest.raises(EncodingError, match=r"\$ must be a JSON object \(a dict\)"):
            encode(value)  # type: ignore[arg-type]

    def test_an_integer_too_long_for_json_readers_names_its_key(self) -> None:
        """A 5,000-digit integer: refused at its key, described as such (not 'infinity')."""
        with pytest.raises(EncodingError) as caught:
            encode(message(big=10**5000))
        text = str(caught.value)
        assert "$.properties.big is an integer of more than 4,300 digits" in text
        assert "infinity" not in text

    def test_a_lone_surrogate_names_its_key(self) -> None:
        """A lone surrogate in a value or a key: refused at that key."""
        with pytest.raises(EncodingError, match=r"\$\.properties\.title holds a lone surrogate"):
            encode(message(title="a\udc80b"))
        with pytest.raises(EncodingError, match=r"\$\.properties\['k\\udc80'\] holds a lone"):
            encode(message(**{"k\udc80": 1}))

    def test_a_cycle_names_where_it_closes(self) -> None:
        """A dict that holds itself: refused at the key that closes the cycle."""
        loop: dict[str, Any] = {"a": 1}
        loop["self"] = loop
        with pytest.raises(EncodingError, match=r"\$\.properties\.loop\.self holds itself"):
            encode(message(loop=loop))


class Named(str):
    """A str subclass (orjson leaves these to the standard way)."""


class Level(enum.IntEnum):
    HIGH = 3


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


class TestTheFastWayAgreesWithTheStandardWay:
    """orjson encodes most messages; whatever it takes, the standard encoder reads the same."""

    @given(properties=st.dictionaries(st.text(), _JSON_VALUES, max_size=6))
    def test_any_json_message_encodes_to_what_the_standard_encoder_writes(
        self, properties: dict[str, Any]
    ) -> None:
        """Any JSON-able message decodes to the value the standard library's encoder writes."""
        sent = message(**properties)
        standard = json.dumps(sent, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        assert json.loads(standard) == json.loads(encode(sent))

    def test_subclasses_and_enums_encode_as_before(self) -> None:
        """A str subclass, an IntEnum, a dict subclass and a datetime encode as the stdlib did."""
        when = dt.datetime(2024, 1, 15, 10, 30, 0, 250_000, tzinfo=dt.UTC)
        sent = message(
            name=Named("n"), level=Level.HIGH, more=collections.OrderedDict(a=1), at=when
        )
        assert (
            b'{"type":"track","event":"Video Content Playing","properties":{"name":"n","level":3,'
            b'"more":{"a":1},"at":"2024-01-15T10:30:00.250000+00:00"},"messageId":"m-1"}'
        ) == encode(sent)

    def test_a_nan_beside_a_null_is_still_refused(self) -> None:
        """orjson writes NaN as null: a message with a real null and a NaN is still refused."""
        with pytest.raises(EncodingError) as caught:
            encode(message(empty=None, bad=[0.5, math.nan]))
        assert "$.properties.bad[1]" == caught.value.path
