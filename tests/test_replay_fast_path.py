"""The replay's quick path for usual records gives exactly what parsing them in full gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vtrack.replay.engine import Replayer
from vtrack.replay.log_format import (
    QUICK_EVENTS,
    BadRecord,
    _parse_any,
    parse_record,
    quick_record,
)

T0 = 1_700_000_000.0
EVENTS = [*sorted(QUICK_EVENTS), "quality", "ratechange", "load"]
#: What a record's playhead may be: the usual float, and what the quick path must leave alone.
POSITIONS: list[Any] = [1.0, 30.5, 0.0, -0.0, 5, None, "7", True, 2e12, float("nan")]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A record, mostly usual, sometimes off in one way the quick path must notice."""
    event = draw(st.sampled_from(EVENTS))
    record: dict[str, Any] = {"t": T0 + draw(st.sampled_from([0.0, 1.0, 2.5, 2.5, 9.0, -5.0]))}
    if draw(st.booleans()):
        record["session"] = draw(st.sampled_from(["a", "b", "", 3]))
    record["event"] = event
    if draw(st.integers(0, 2)) > 0:
        record["position"] = draw(st.sampled_from(POSITIONS))
    if event == "load" or draw(st.integers(0, 9)) == 0:
        key = draw(st.sampled_from(["anonymous_id", "anonymous_id", "user_id"]))
        record[key] = draw(st.sampled_from(["viewer", "viewer", "other"]))
    if draw(st.integers(0, 9)) == 0:
        record["content"] = {"title": draw(st.sampled_from(["A", "B"]))}
    if event == "load":
        record["duration"] = 120.0
    elif event == "quality":
        record["bitrate"] = draw(st.sampled_from([800, 1600]))
    elif event == "ratechange":
        record["rate"] = 2.0
    if draw(st.integers(0, 19)) == 0:
        record["extra_field"] = 1
    return record


#: Times and events a record may have besides the usual: missing, of another type, out of range.
ODD_VALUES: list[Any] = [None, 5, True, "1700000000", float("nan"), -1.0, 1e12, ["pause"]]


def odd_times(record: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``record``, or it with its time or event left out or replaced by an odd value."""
    missing = object()
    return st.builds(
        lambda key, value: (
            record
            if key is None
            else {k: v for k, v in record.items() if k != key}
            if value is missing
            else {**record, key: value}
        ),
        st.sampled_from([None, None, "t", "event"]),
        st.sampled_from([missing, *ODD_VALUES]),
    )


def replay(objects: list[dict[str, Any]], quick: bool, **options: Any) -> list[Any]:
    """What each record gives (messages or the error), then the end's messages and stats."""
    replayer = Replayer(**options)
    out: list[Any] = []
    for line, obj in enumerate(objects, 1):
        where = ("log", line)
        try:
            if quick:
                out.append(replayer.feed_object(obj, where))
            else:
                out.append(replayer.feed(parse_record(obj), where))
        except BadRecord as exc:
            out.append(("bad", str(exc)))
        except Exception as exc:
            out.append((type(exc).__name__, str(exc)))
            break
    out.append(replayer.finish())
    out.append((replayer.stats, replayer.unnamed_sessions))
    return out


#: Replayer options the quick path must agree under.
OPTIONS: list[dict[str, Any]] = [
    {},
    {"strict": True},
    {"keep_open": True},
    {"strict": True, "max_open_sessions": 2},
]


class TestQuickPathAgrees:
    @settings(max_examples=300, deadline=None)
    @given(st.lists(records(), min_size=1, max_size=40), st.sampled_from(OPTIONS))
    def test_same_messages_errors_and_stats(
        self, objects: list[dict[str, Any]], options: dict[str, Any]
    ) -> None:
        """feed_object(obj) equals feed(parse_record(obj)), record by record, strict or not."""
        full_load = [{"t": T0, "session": "a", "event": "load", "anonymous_id": "v"}]
        objects = full_load + objects
        assert replay(objects, quick=False, **options) == replay(objects, quick=True, **options)

    @settings(max_examples=100, deadline=None)
    @given(st.lists(records(), min_size=1, max_size=40))
    def test_same_with_a_bound_on_open_sessions(self, objects: list[dict[str, Any]]) -> None:
        """With max_open_sessions, the quick path ends the same sessions early."""
        assert replay(objects, quick=False, max_open_sessions=1) == replay(
            objects, quick=True, max_open_sessions=1
        )


class TestQuickRecord:
    def test_reads_a_usual_record(self) -> None:
        """A pause with a session and a playhead is read as (t, session, event, position)."""
        obj = {"t": T0, "session": "s", "event": "pause", "position": 3.5}
        assert (T0, "s", "pause", 3.5) == quick_record(obj)

    def test_leaves_other_records_to_the_full_parse(self) -> None:
        """An extra field, an integer playhead, a seek without one: not read quickly."""
        for obj in [
            {"t": T0, "event": "pause", "anonymous_id": "v"},
            {"t": T0, "event": "pause", "position": 3},
            {"t": T0, "event": "seeking"},
            {"t": T0, "event": "pause", "position": None},
            {"t": 5, "event": "pause"},
            {"t": T0, "event": ["pause"]},
        ]:
            assert None is quick_record(obj)

    @settings(max_examples=500, deadline=None)
    @given(records().flatmap(odd_times))
    def test_reads_what_the_full_parse_reads(self, obj: dict[str, Any]) -> None:
        """A record read quickly is the full parse's; a usual valid one is always read quickly."""
        try:
            full = _parse_any(obj)
        except BadRecord:
            full = None
        usual = (
            full is not None
            and full.event in QUICK_EVENTS
            and full.identity is None
            and full.content is None
            and set(obj) <= {"t", "session", "event", "position"}
            and all(type(obj[key]) is float for key in ("t", "position") if key in obj)
        )
        expected = None
        if usual:
            assert full is not None
            expected = (full.at, full.session, full.event, full.args.get("position"))
        assert expected == quick_record(obj)


class TestSharedItems:
    def test_sessions_of_one_content_share_its_item_and_stay_apart(self) -> None:
        """Equal loads share one item; a content object changes one session's title only."""
        replayer = Replayer()
        for number, session in enumerate(["a", "b"]):
            load = {"t": T0, "session": session, "event": "load", "anonymous_id": session}
            replayer.feed_object({**load, "asset_id": "x", "title": "Old"}, ("log", number))
        items = [replayer._open[key].item for key in ("a", "b")]
        assert items[0] is items[1]
        replayer.feed_object({"t": T0 + 1, "session": "a", "event": "play"}, ("log", 3))
        changed = {"t": T0 + 1, "session": "a", "event": "pause", "content": {"title": "New"}}
        replayer.feed_object(changed, ("log", 4))
        assert {"a": "New", "b": "Old"} == {
            key: replayer._open[key].item["title"]  # type: ignore[index]
            for key in ("a", "b")
        }
        assert {"asset_id": "x", "title": "Old"} == items[1]


class TestLoadsAreBuiltOnce:
    def test_a_waiting_load_gets_its_own_content(self) -> None:
        """A load held for its viewer is built from itself, not from a load checked since."""
        records = [
            {"t": T0, "session": "s", "event": "load", "asset_id": "a", "extra": {"n": 1}},
            {"t": T0, "session": "u", "event": "load", "asset_id": "a", "extra": {"n": True}},
            {"t": T0 + 1, "session": "s", "event": "play", "anonymous_id": "v"},
            {"t": T0 + 2, "session": "s", "event": "playing", "position": 0.0},
        ]
        replayer = Replayer()
        out = [m for n, r in enumerate(records) for m in replayer.feed_object(r, ("log", n))]
        started = [m for m in out if m["event"] == "Video Content Started"]
        assert [1] == [m["properties"]["n"] for m in started]
        assert "True" != repr(started[0]["properties"]["n"])

    def test_items_equal_only_in_python_are_not_shared(self) -> None:
        """Loads whose items differ only as 1 and true keep apart items."""
        replayer = Replayer()
        for n, value in enumerate([1, True]):
            load = {"t": T0, "session": f"s{n}", "event": "load", "anonymous_id": "v"}
            replayer.feed_object({**load, "asset_id": "a", "extra": {"n": value}}, ("log", n))
        first, second = (replayer._open[key].item for key in ("s0", "s1"))
        assert first is not second
        assert [1, True] == [first["extra"]["n"], second["extra"]["n"]]  # type: ignore[index]


class TestFinishLazily:
    def test_unnamed_sessions_are_listed_before_the_first_message(self) -> None:
        """finish_lazily() reports the sessions without a viewer before any message comes."""
        replayer = Replayer()
        replayer.feed_object(
            {"t": T0, "session": "named", "event": "play", "user_id": "u"}, ("l", 1)
        )
        replayer.feed_object({"t": T0, "session": "nobody", "event": "play"}, ("l", 2))
        closing = replayer.finish_lazily()
        assert ["nobody"] == [reason.split("'")[1] for _, reason, _ in replayer.unnamed_sessions]
        assert ["Video Playback Exited"] == [m["event"] for m in closing][-1:]

    def test_a_session_closed_meanwhile_is_not_exited_twice(self) -> None:
        """A session that exits after finish_lazily() began, or a second call, counts once."""
        replayer = Replayer(strict=True)
        for key in ("a", "b"):
            replayer.feed_object(
                {"t": T0, "session": key, "event": "play", "user_id": key}, ("l", 1)
            )
        closing = replayer.finish_lazily()
        replayer.feed_object({"t": T0 + 1, "session": "a", "event": "exit"}, ("l", 2))
        exited = [m["userId"] for m in closing if m["event"] == "Video Playback Exited"]
        assert (["b"], 1) == (exited, replayer.stats.open_at_end)
        assert [] == list(replayer.finish_lazily())
        assert 1 == replayer.stats.open_at_end
