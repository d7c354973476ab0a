"""What a session holds: the parts it makes only when it needs them, and its bytes in all."""

from __future__ import annotations

import gc
import tracemalloc

from vtrack import Content, MemorySink, ScheduledAd, Session, Settings
from vtrack.core import clockwork as clockwork_module
from vtrack.core.playback import AdLedger, implied_ledger
from vtrack.core.schedule import milestone_tracker
from vtrack.replay.engine import Replayer
from vtrack.replay.log_format import parse_record

SCHEDULED = Content(
    asset_id="movie",
    duration=600.0,
    ad_schedule=(
        ScheduledAd("pre", "pod-pre", "pre-roll", 15.0),
        ScheduledAd("post", "pod-post", "post-roll", 30.0),
    ),
)


def started(content: Content = SCHEDULED) -> Session:
    session = Session("s1", anonymous_id="a1", sink=MemorySink(), heartbeat=10)
    session.load(content, at=0.0)
    session.play(at=0.0)
    session.playing(0.0, at=0.5)
    return session


class TestAdLedger:
    def test_a_session_playing_no_ad_holds_no_ledger(self) -> None:
        """Without an ad pod, a scheduled content's sums come from the content alone."""
        session = started()
        session.timeupdate(30.0, at=30.5)
        assert None is session._playback.ads
        assert 645.0 == session._playback.total_length()
        assert False is session._playback.nothing_left_to_play()

    def test_the_implied_ledger_is_the_schedules(self) -> None:
        """The implied ledger sums the scheduled ads and counts the post-roll pods."""
        expected = AdLedger(total=45.0, postrolls_left=1)
        assert expected == implied_ledger(SCHEDULED)
        assert AdLedger() == implied_ledger(None)
        unknown = Content(asset_id="x", ad_schedule=(ScheduledAd("a", "p", "mid-roll"),))
        assert None is implied_ledger(unknown).total

    def test_an_ad_pod_makes_the_ledger(self) -> None:
        """An ad pod starts the bookkeeping: the ad played counts in the position."""
        session = started()
        session.ad_break_start("pod-mid", "mid-roll", at=10.0)
        session.ad_start("ad-1", length=5.0, at=10.0)
        session.ad_end(at=15.0)
        session.ad_break_end(at=15.0)
        ads = session._playback.ads
        assert ads is not None
        assert (5.0, 50.0, 1) == (ads.seen, ads.total, ads.pod_index)

    def test_a_playlist_without_ads_holds_no_ledger(self) -> None:
        """A second item of no ads leaves nothing the content does not imply."""
        first = Content(asset_id="one", duration=60.0, playlist=("one", "two"))
        session = started(first)
        session.ended(at=61.0)
        session.load(Content(asset_id="two", duration=60.0, playlist=("one", "two")), at=61.0)
        assert None is session._playback.ads
        assert 2 == session._playback.item_number

    def test_a_playlist_is_kept_once_named(self) -> None:
        """A content naming a playlist makes the item bookkeeping; its next item counts on."""
        playlist = ("one", "two")
        session = started(Content(asset_id="one", duration=60.0, playlist=playlist))
        items = session._playback.items
        assert items is not None
        assert (playlist, 1, 0.0) == (items.playlist, items.number, items.prior_length)
        session.ended(at=61.0)
        session.load(Content(asset_id="two", duration=60.0), at=61.0)
        assert (playlist, 2, 60.0) == (items.playlist, items.number, items.prior_length)

    def test_one_item_holds_no_item_bookkeeping(self) -> None:
        """A session playing one item without a playlist holds no ItemProgress."""
        session = started()
        assert (None, 1, (), 0.0) == (
            session._playback.items,
            session._playback.item_number,
            session._playback.playlist,
            session._playback.prior_length,
        )

    def test_a_seek_is_held_only_while_it_runs(self) -> None:
        """The seek under way is dropped once the seek completes."""
        session = started()
        session.seeking(100.0, at=5.0)
        seek = session._playback.seek
        assert seek is not None
        assert (100.0, True) == (seek.to, seek.resumes)
        session.seeked(100.0, at=5.5)
        assert None is session._playback.seek


class TestSharedTrackers:
    def test_sessions_at_the_same_milestone_share_one_tracker(self) -> None:
        """Two sessions past the same milestone hold the one tracker, a value."""
        first, second = started(), started()
        for session in (first, second):
            session.timeupdate(200.0, at=200.5)
        assert first._clockwork.milestones is second._clockwork.milestones
        tracker = first._clockwork.milestones
        assert tracker is not None
        assert 1 == tracker.done

    def test_firing_gives_the_next_tracker_and_keeps_the_old(self) -> None:
        """fired() leaves the tracker it was called on as it was."""
        tracker = milestone_tracker((25, 50), "position")
        assert (0, 1, 2) == (tracker.done, tracker.fired(0).done, tracker.fired(1).done)

    def test_trackers_with_ranges_are_their_own(self) -> None:
        """On the played basis, what was played stays with the one item's tracker."""
        tracker = milestone_tracker((25, 50), "played").recorded(0.0, 10.0)
        assert ((0.0, 10.0),) == tracker.ranges
        assert None is milestone_tracker((25, 50), "played").ranges


def test_equal_milestones_of_other_types_share_no_tracker() -> None:
    """Milestones 25.0, 50.0, 75.0 stay floats after an ad's int quartiles (25, 50, 75) ran."""
    ad_first = started()
    ad_first.ad_break_start("pod-mid", "mid-roll", at=10.0)
    ad_first.ad_start("ad-1", length=8.0, at=10.0)
    ad_first.ad_end(at=18.0)
    sink = MemorySink()
    session = Session("b", anonymous_id="b", sink=sink, heartbeat=0, milestones=(25.0, 50.0, 75.0))
    session.load(Content(asset_id="c1", duration=100.0), at=0.0)
    session.play(at=0.0)
    session.playing(0.0, at=0.0)
    session.timeupdate(100.0, at=100.0)
    percents = [
        m["properties"]["milestone"] for m in sink.messages if "milestone" in m["properties"]
    ]
    assert [(25.0, float), (50.0, float), (75.0, float)] == [(p, type(p)) for p in percents]


def test_an_item_first_loaded_after_play_keeps_its_old_count() -> None:
    """An item loaded once playback started is item 0, as it was before the bookkeeping moved.

    (So a one-item playlist then waits for another item at its end: not changed here.)
    """
    session = Session("s", anonymous_id="a", sink=MemorySink(), heartbeat=0, milestones=())
    session.play(at=0.0)
    session.load(Content(asset_id="c1", duration=60.0, playlist=("c1",)), at=1.0)
    session.playing(0.0, at=1.0)
    session.ended(at=61.0)
    assert (0, "ended") == (session._playback.item_number, session.state)


def test_sessions_before_the_same_milestone_share_its_position() -> None:
    """Sessions playing the same content hold one float for their next milestone between them
    (or none: compiled, setup.py, the clockwork keeps it in its own fields)."""
    first, second = started(), started()
    compiled = clockwork_module.__file__ is not None and clockwork_module.__file__.endswith(".so")
    shared = first._clockwork.steady_limit is second._clockwork.steady_limit
    assert (150.0, True) == (first._clockwork.steady_limit, compiled or shared)


class TestOpenSessionsOfAReplay:
    """What the replay engine keeps of each open session."""

    def feed(self, replayer: Replayer, *records: dict[str, object]) -> None:
        for line, record in enumerate(records, 1):
            replayer.feed(parse_record(record), ("log", line))

    def test_a_running_session_holds_no_pending_part(self) -> None:
        """Once its session runs, an open session keeps its session, time and item only."""
        replayer = Replayer(Settings())
        self.feed(
            replayer,
            {"t": 1.0, "session": "s", "event": "load", "anonymous_id": "v", "duration": 60},
            {"t": 2.0, "session": "s", "event": "play"},
        )
        state = replayer._open["s"]
        assert (None, "s", 2.0) == (state.pending, state.key, state.last_at)

    def test_records_before_the_viewer_wait_in_the_pending_part(self) -> None:
        """A session that has not named its viewer keeps its key and records pending."""
        replayer = Replayer(Settings())
        self.feed(replayer, {"t": 1.0, "session": "s", "event": "play"})
        state = replayer._open["s"]
        assert state.pending is not None
        assert ("s", 1) == (state.key, len(state.waiting or ()))
        self.feed(replayer, {"t": 2.0, "session": "s", "event": "pause", "anonymous_id": "v"})
        assert (None, None) == (state.waiting, state.pending)

    def test_sticky_content_keeps_the_pending_part(self) -> None:
        """Content metadata that sticks to a session is kept with it."""
        replayer = Replayer(Settings())
        self.feed(
            replayer,
            {"t": 1.0, "session": "s", "event": "play", "anonymous_id": "v"},
            {"t": 2.0, "session": "s", "event": "pause", "content": {"title": "T"}},
        )
        assert {"title": "T"} == replayer._open["s"].sticky


def held_bytes_per_session(count: int) -> float:
    """The bytes each of ``count`` loaded idle sessions holds, its id strings aside."""
    sink = MemorySink()
    settings = Settings()
    ids = [(f"idle-{n}", f"viewer-{n}") for n in range(count)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        sessions = []
        for session_id, viewer in ids:
            session = Session(session_id, anonymous_id=viewer, sink=sink, settings=settings)
            session.load(SCHEDULED, at=1_700_000_000.0)
            sessions.append(session)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held / count


def test_an_idle_session_holds_at_most_600_bytes() -> None:
    """A loaded idle session costs at most 600 bytes besides its ids (benchmarks/core.py too)."""
    assert held_bytes_per_session(20_000) <= 600
