"""Aggregates over sessions: each figure of docs/stats.md on hand-made groups."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from vtrack.stats import SessionStats, aggregate, group_of
from vtrack.stats.aggregate import percentile

PLAYED = SessionStats(
    session_id="s",
    user_id=None,
    anonymous_id="v",
    asset_ids=["ep-1"],
    started_at="2024-01-15T10:30:00.000Z",
    ended_at="2024-01-15T10:31:00.000Z",
    end="exited",
    play_time=50.0,
    pause_time=0.0,
    buffer_time=0.0,
    buffer_count=0,
    rebuffer_ratio=0.0,
    startup_time=1.0,
    startup_time_with_ads=1.0,
    exited_before_start=False,
    start_failed=False,
    ad_time=0.0,
    ads_started=0,
    ads_completed=0,
    ads_skipped=0,
    ads_failed=None,
    seek_count=0,
    max_position=50.0,
    unique_seconds=50.0,
    completion=0.5,
    milestones=[25],
    heartbeats=5,
    bitrate_mean=None,
    bitrate_peak=None,
    quality_changes=None,
    errors=0,
)
LEFT = attrs.evolve(
    PLAYED,
    play_time=0.0,
    startup_time=None,
    startup_time_with_ads=None,
    exited_before_start=True,
    completion=None,
)
FAILED = attrs.evolve(LEFT, exited_before_start=False, start_failed=True, end="interrupted")


def one_group(*sessions: SessionStats) -> dict[str, Any]:
    (row,) = aggregate(sessions)
    return row


class TestFigures:
    def test_attempts_plays_ebvs_and_failures(self) -> None:
        """4 attempts: 2 plays, 1 exit before start, 1 failure: EBVS 25 %, failures 25 %."""
        row = one_group(PLAYED, PLAYED, LEFT, FAILED)
        expected = {"attempts": 4, "plays": 2, "ebvs_rate": 0.25, "start_failure_rate": 0.25}
        assert expected == {key: row[key] for key in expected}

    def test_unknown_outcomes_stay_out_of_the_rates(self) -> None:
        """A session whose EBVS is unknown counts as an attempt but not in the EBVS rate."""
        unknown = attrs.evolve(LEFT, exited_before_start=None, start_failed=None, end="open")
        row = one_group(LEFT, unknown)
        assert {"attempts": 2, "ebvs_rate": 1.0} == {k: row[k] for k in ("attempts", "ebvs_rate")}

    def test_startup_percentiles_are_nearest_rank(self) -> None:
        """Startup times 1..20 s: p50 10, p90 18, p95 19 (values that occurred)."""
        row = one_group(*(attrs.evolve(PLAYED, startup_time=float(n)) for n in range(1, 21)))
        assert (10.0, 18.0, 19.0) == (
            row["startup_time_p50"],
            row["startup_time_p90"],
            row["startup_time_p95"],
        )

    def test_rebuffer_ratio_is_of_the_totals(self) -> None:
        """30 s buffering over 270 s playing: 0.1 (not the mean of the sessions' ratios)."""
        row = one_group(
            attrs.evolve(PLAYED, play_time=90.0, buffer_time=30.0),
            attrs.evolve(PLAYED, play_time=180.0, buffer_time=0.0),
        )
        assert 0.1 == row["rebuffer_ratio"]

    def test_mean_play_time_is_over_plays(self) -> None:
        """Plays of 50 s and 100 s and an exit before start: mean play time 75."""
        row = one_group(PLAYED, attrs.evolve(PLAYED, play_time=100.0), LEFT)
        assert 75.0 == row["mean_play_time"]

    def test_completion_rate_is_of_plays_that_completed(self) -> None:
        """One of two plays of known length completed: 0.5; a live play is left out."""
        live = attrs.evolve(PLAYED, completion=None)
        row = one_group(PLAYED, attrs.evolve(PLAYED, end="completed", completion=1.0), live)
        assert 0.5 == row["completion_rate"]

    def test_an_empty_group_has_no_figures(self) -> None:
        """No startup time known: the percentiles are None, never 0."""
        row = one_group(LEFT)
        assert (None, None) == (row["startup_time_p50"], row["mean_play_time"])


class TestGroups:
    def test_by_day_and_by_asset(self) -> None:
        """Sessions group by their UTC day and by their first content asset."""
        other = attrs.evolve(PLAYED, started_at="2024-01-16T00:00:01.000Z", asset_ids=["ep-2"])
        assert ["2024-01-15", "2024-01-16"] == [
            row["day"] for row in aggregate([PLAYED, other], "day")
        ]
        assert ["ep-1", "ep-2"] == [
            row["asset_id"] for row in aggregate([other, PLAYED], "asset_id")
        ]

    def test_by_any_field(self) -> None:
        """Any summary field groups: booleans as true/false, lists joined, None last."""
        assert ("false", "25", None) == (
            group_of(PLAYED, "exited_before_start"),
            group_of(PLAYED, "milestones"),
            group_of(PLAYED, "ads_failed"),
        )

    def test_an_unknown_field_is_refused(self) -> None:
        """Grouping by a name that is no field raises ValueError naming the allowed ones."""
        with pytest.raises(ValueError, match="cannot group by 'colour'; allowed: day, asset_id"):
            group_of(PLAYED, "colour")

    def test_percentile_of_nothing_is_none(self) -> None:
        """The percentile of no values is None."""
        assert None is percentile([], 50)
