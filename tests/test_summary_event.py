"""The opt-in summary event: one per content item, when it ends or the viewer leaves."""

from __future__ import annotations

from typing import Any

import pytest

from vtrack import VIMEO_OTT, Content, MemorySink, Session, Settings
from vtrack.cli import main
from vtrack.cli.demo import demo_callbacks
from vtrack.stats import summarize

T0 = 1_700_000_000.0
WATCHED = "Video Content Watched"


def play(
    script: list[tuple[str, float, dict[str, Any]]],
    content: Content,
    **options: Any,
) -> list[dict[str, Any]]:
    """The messages of a session that loads ``content`` at T0 and follows ``script``."""
    sink = MemorySink()
    settings = Settings(summary_event=WATCHED, **options)
    session = Session("s1", user_id="u1", sink=sink, settings=settings)
    session.load(content, at=T0)
    for name, offset, args in script:
        getattr(session, name)(**args, at=T0 + offset)
    return sink.messages


def demo(**options: Any) -> list[dict[str, Any]]:
    """The built-in demo session's messages under ``options``."""
    sink = MemorySink()
    session = Session("demo", anonymous_id="viewer", sink=sink, settings=Settings(**options))
    for callback in demo_callbacks():
        session.handle(callback)
    return sink.messages


def names(messages: list[dict[str, Any]]) -> list[str]:
    return [m["event"] for m in messages]


class TestSummaryEvent:
    def test_off_by_default(self) -> None:
        """Without summary_event no summary is sent."""
        assert WATCHED not in names(demo())

    def test_after_the_item_ends(self) -> None:
        """The demo's item ends: one summary right after Content Completed, with its figures."""
        messages = demo(summary_event=WATCHED)
        at = names(messages).index(WATCHED)
        assert ["Video Content Completed", WATCHED, "Video Playback Completed"] == names(messages)[
            at - 1 : at + 2
        ]
        summary = messages[at]
        (stats,) = summarize(m for m in messages if m["event"] != WATCHED)
        expected = {
            "asset_id": "demo-episode-1",
            "title": "The Demo, Episode 1",
            "play_time": stats.play_time,
            "unique_seconds": stats.unique_seconds,
            "completion": 0.7,
            "milestones": [25, 50, 75, 90],
        }
        assert expected == {key: summary["properties"][key] for key in expected}
        assert "position" not in summary["properties"]
        assert ("viewer", summary["timestamp"]) == (
            summary["anonymousId"],
            messages[at - 1]["timestamp"],
        )

    def test_deterministic_and_unique_ids(self) -> None:
        """The summary's messageId is the same every run and no other message's."""
        first, second = demo(summary_event=WATCHED), demo(summary_event=WATCHED)
        assert first == second
        ids = [m["messageId"] for m in first]
        assert len(ids) == len(set(ids))

    def test_before_the_exit_when_the_viewer_leaves(self) -> None:
        """Leaving mid-item: the summary comes before Playback Exited and counts up to it."""
        messages = play(
            [
                ("play", 0, {}),
                ("playing", 1, {"position": 0.0}),
                ("timeupdate", 31, {"position": 30.0}),
                ("exit", 40, {}),
            ],
            Content(asset_id="a1", duration=100.0, title="T"),
        )
        assert [WATCHED, "Video Playback Exited"] == names(messages)[-2:]
        properties = messages[-2]["properties"]
        expected = {"asset_id": "a1", "play_time": 39.0, "completion": 0.39, "milestones": [25]}
        assert expected == {key: properties[key] for key in expected}
        assert "u1" == messages[-2]["userId"]

    def test_one_per_playlist_item(self) -> None:
        """Two items played: two summaries, each with its own asset and figures."""
        messages = play(
            [
                ("play", 0, {}),
                ("playing", 0, {"position": 0.0}),
                ("timeupdate", 30, {"position": 30.0}),
                ("ended", 30, {}),
                ("load", 31, {"content": Content(asset_id="b", duration=40.0)}),
                ("playing", 32, {"position": 0.0}),
                ("timeupdate", 52, {"position": 20.0}),
                ("exit", 53, {}),
            ],
            Content(asset_id="a", duration=30.0, playlist=("a", "b")),
        )
        summaries = [m["properties"] for m in messages if m["event"] == WATCHED]
        assert [("a", 1.0), ("b", 0.5)] == [(p["asset_id"], p["completion"]) for p in summaries]
        assert [30.0, 21.0] == [p["play_time"] for p in summaries]

    def test_interrupted(self) -> None:
        """A fatal error: the summary comes before Playback Interrupted."""
        messages = play(
            [("play", 0, {}), ("playing", 0, {"position": 0.0}), ("error", 10, {"fatal": True})],
            Content(asset_id="a", duration=100.0),
        )
        assert [WATCHED, "Video Playback Interrupted"] == names(messages)[-2:]

    def test_live_has_no_completion(self) -> None:
        """A live item's summary says its completion is unknown (null)."""
        messages = play(
            [("play", 0, {}), ("playing", 1, {"position": 0.0}), ("exit", 21, {})],
            Content(asset_id="channel", live=True),
        )
        (summary,) = (m["properties"] for m in messages if m["event"] == WATCHED)
        assert (None, 20.0) == (summary["completion"], summary["play_time"])

    def test_vimeo_ott_gets_it_after_content_ended(self) -> None:
        """Under Vimeo OTT the summary follows Video Content Ended and names the asset."""
        messages = demo(summary_event=WATCHED, profile=VIMEO_OTT)
        at = names(messages).index(WATCHED)
        assert "Video Content Ended" == names(messages)[at - 1]
        assert "demo-episode-1" == messages[at]["properties"]["asset_id"]

    @pytest.mark.parametrize("name", ["", "   ", 5, "x" * 201])
    def test_a_bad_name_is_refused(self, name: object) -> None:
        """summary_event must be a non-empty string of at most 200 characters."""
        with pytest.raises(ValueError, match="summary_event must be an event name"):
            Settings(summary_event=name)  # type: ignore[arg-type]

    def test_a_name_of_the_profile_is_refused(self) -> None:
        """A summary event may not take the name of one of the profile's own events."""
        with pytest.raises(ValueError, match="one of the vimeo-ott profile's own events"):
            Settings(profile=VIMEO_OTT, summary_event="Video Content Ended")

    def test_the_command_line_says_so_in_one_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        """vtrack demo --summary-event 'Video Playback Paused' exits 2 with one line."""
        with pytest.raises(SystemExit) as stopped:
            main(["demo", "--json", "--summary-event", "Video Playback Paused"])
        assert 2 == stopped.value.code
        assert [
            "vtrack: summary_event 'Video Playback Paused' is the name of one of the segment "
            "profile's own events: choose another (e.g. 'Video Content Watched')"
        ] == capsys.readouterr().err.splitlines()
