"""Property tests: the stats of generated viewings keep their invariants (docs/stats.md)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrack import MemorySink, Session
from vtrack.core import machine as m
from vtrack.core.callbacks import Callback
from vtrack.stats import SessionStats, aggregate, summarize
from vtrack.testing import callback_sequences

#: Each of the seven times is rounded to the millisecond, so their sum may be off by this much.
WALL_TIME_TOLERANCE = 7 * 0.0005 + 1e-9
RATIOS = ("rebuffer_ratio", "completion")
AGGREGATE_RATIOS = ("ebvs_rate", "start_failure_rate", "rebuffer_ratio", "completion_rate")


def summaries(script: list[Callback], profile: str) -> list[SessionStats]:
    """Play ``script`` through a session and summarise what it sent."""
    sink = MemorySink()
    session = Session("s1", anonymous_id="viewer-1", sink=sink, profile=profile)
    for callback in script:
        session.handle(callback)
    return list(summarize(sink.messages))


def wall_time(stats: SessionStats) -> float:
    started = datetime.fromisoformat(stats.started_at)
    ended = datetime.fromisoformat(stats.ended_at)
    return (ended - started).total_seconds()


profiles = st.sampled_from(["segment", "vimeo-ott"])
viewings = st.one_of(callback_sequences(), callback_sequences(hostility=3))


class TestStatsProperties:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(viewings, profiles)
    def test_the_times_add_up_to_the_wall_time(self, script: list[Callback], profile: str) -> None:
        """Startup, play, pause, buffer, seek, ad and idle time add up to the wall time."""
        for stats in summaries(script, profile):
            seconds = stats.seconds_by_state
            assert abs(wall_time(stats) - sum(seconds.values())) <= WALL_TIME_TOLERANCE
            assert (stats.play_time, stats.pause_time, stats.buffer_time, stats.ad_time) == (
                seconds["play"],
                seconds["pause"],
                seconds["buffer"],
                seconds["ad"],
            )
            assert all(value >= 0.0 for value in seconds.values())

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(viewings, profiles)
    def test_every_ratio_lies_between_0_and_1(self, script: list[Callback], profile: str) -> None:
        """rebuffer_ratio and completion of each session, and the group rates, lie in [0, 1]."""
        found = summaries(script, profile)
        for stats in found:
            for name in RATIOS:
                value = getattr(stats, name)
                assert value is None or 0.0 <= value <= 1.0, (name, value)
        for row in aggregate(found):
            for name in AGGREGATE_RATIOS:
                assert row[name] is None or 0.0 <= row[name] <= 1.0, (name, row[name])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(viewings)
    def test_counts_are_consistent(self, script: list[Callback]) -> None:
        """Ads end at most once each; a start happened, failed, was left or is unknown; the
        startup without ads is no longer than with them; one item plays no further than its
        furthest position."""
        for stats in summaries(script, "segment"):
            assert stats.ads_completed + (stats.ads_skipped or 0) <= stats.ads_started
            outcomes = (stats.exited_before_start, stats.start_failed)
            assert outcomes in {(False, False), (True, False), (False, True), (None, None)}
            if stats.startup_time is not None and stats.startup_time_with_ads is not None:
                assert stats.startup_time <= stats.startup_time_with_ads + 1e-9
            one_item = stats.asset_ids is not None and len(stats.asset_ids) == 1
            if one_item and stats.unique_seconds is not None and stats.max_position is not None:
                assert stats.unique_seconds <= stats.max_position + 1e-9


#: The state a vtrack session is in, as the bucket its time belongs to (viewings without ads
#: or playlists: an ad's breaks and the wait for a next item are not in their messages).
TRUE_BUCKETS = {
    m.STARTING: "startup",
    m.PLAYING: "play",
    m.PAUSED: "pause",
    m.BUFFERING: "buffer",
    m.SEEKING: "seek",
    m.ENDED: "idle",
    m.COMPLETED: "idle",
    m.EXITED: "idle",
    m.INTERRUPTED: "idle",
}


def true_seconds(script: list[Callback]) -> tuple[dict[str, float], list[SessionStats], int]:
    """The seconds the session really spent in each bucket between its first and last
    message, its summaries, and how many messages it sent."""
    sink = MemorySink()
    session = Session("s1", anonymous_id="viewer-1", sink=sink)
    spans: list[tuple[float, float, str]] = []
    state, since = session.state, 0.0
    for callback in script:
        at = callback.at if callback.at is not None else since
        if at > since:
            spans.append((since, at, state))
        session.handle(callback)
        state, since = session.state, max(since, at)
    found = list(summarize(sink.messages))
    seconds = dict.fromkeys(TRUE_BUCKETS.values(), 0.0)
    if found:
        first = datetime.fromisoformat(found[0].started_at).timestamp()
        last = datetime.fromisoformat(found[0].ended_at).timestamp()
        for start, end, during in spans:
            overlap = min(end, last) - max(start, first)
            if overlap > 0 and during in TRUE_BUCKETS:
                seconds[TRUE_BUCKETS[during]] += overlap
    return seconds, found, len(sink.messages)


class TestStatsAgreeWithTheSession:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.one_of(
            callback_sequences(ads=False, playlists=False),
            callback_sequences(ads=False, playlists=False, hostility=3),
        )
    )
    def test_each_time_is_the_time_the_session_spent_there(self, script: list[Callback]) -> None:
        """Startup, play, pause, buffer and seek time are what the session really spent in
        each state, within a millisecond per message (timestamps keep milliseconds)."""
        truth, found, sent = true_seconds(script)
        if not found:
            return
        (stats,) = found
        tolerance = 0.001 * sent + 0.0005
        for bucket in ("startup", "play", "pause", "buffer", "seek"):
            assert abs(truth[bucket] - stats.seconds_by_state[bucket]) <= tolerance, bucket
