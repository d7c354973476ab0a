"""Sequences real players produce that are easy to get wrong (found in review)."""

from __future__ import annotations

import pytest
from conftest import (
    MOVIE,
    MOVIE_WITH_POSTROLL,
    T0,
    SessionFactory,
    events,
    heartbeats,
    play_ad_break,
    props,
    watch,
)
from test_sinks import FlakySink

from vtrack import Content, InvalidCallback, ScheduledAd, Session, SinkError
from vtrack.testing import check_invariants


class TestSinkDownForSeveralCallbacks:
    def test_callbacks_are_applied_and_queued(self) -> None:
        """While the sink keeps failing, callbacks still apply; everything goes out later."""
        sink = FlakySink({3, 4, 5})
        session = Session("s", anonymous_id="a", sink=sink, heartbeat=0, milestones=())
        watch(session)
        for name, at in [("pause", 15), ("play", 20)]:
            with pytest.raises(SinkError):
                getattr(session, name)(at=T0 + at)
        with pytest.raises(SinkError):
            session.seeking(50.0, at=T0 + 22)
        assert "seeking" == session.state
        session.seeked(at=T0 + 23)
        assert [
            "Video Playback Started",
            "Video Content Started",
            "Video Playback Paused",
            "Video Playback Resumed",
            "Video Playback Seek Started",
            "Video Playback Seek Completed",
        ] == [m["event"] for m in sink.messages]

    def test_strict_anomaly_is_not_hidden_by_a_failing_sink(self) -> None:
        """In strict mode the InvalidCallback surfaces; the backlog waits."""
        sink = FlakySink({2, 3})
        session = Session("s", anonymous_id="a", sink=sink, strict=True)
        session.play(at=T0)
        with pytest.raises(SinkError):
            session.playing(at=T0 + 1)
        with pytest.raises(InvalidCallback):
            session.play(at=T0 + 2)


class TestAdsAroundTheContent:
    def test_pause_before_first_frame_then_preroll(self, make_session: SessionFactory) -> None:
        """A break while paused before content started is a pre-roll: Content Started follows."""
        session, sink = make_session(heartbeat=10, milestones=())
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        session.pause(at=T0 + 1)
        play_ad_break(session, "pod", "pre-roll", "ad", 5.0, T0 + 2)
        session.playing(0.0, at=T0 + 7.5)
        session.advance(T0 + 18)
        assert "Video Content Started" in events(sink)
        assert ["movie-a"] == [p["pod_id"] for p in props(sink, "Video Content Playing")]

    def test_postroll_announced_before_ended(self, make_session: SessionFactory) -> None:
        """A post-roll played before the content's `ended` still lets playback complete."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session, MOVIE_WITH_POSTROLL)
        play_ad_break(session, "post-pod", "post-roll", "post-ad", 10.0, T0 + 100)
        session.ended(at=T0 + 110)
        assert "Video Playback Completed" == events(sink)[-1]

    def test_ads_match_the_schedule_by_pod(self, make_session: SessionFactory) -> None:
        """A scheduled ad without asset id is matched by its pod and counted once."""
        session, sink = make_session(heartbeat=0, milestones=())
        content = Content(
            asset_id="c",
            duration=60.0,
            ad_schedule=(ScheduledAd(pod_id="mp", type="mid-roll", length=20.0),),
        )
        watch(session, content)
        play_ad_break(session, "mp", "mid-roll", "creative-9", 20.0, T0 + 30)
        session.ended(at=T0 + 80)
        completed = props(sink, "Video Playback Completed")[0]
        assert (80, 80) == (completed["position"], completed["total_length"])

    def test_an_ad_longer_than_announced(self, make_session: SessionFactory) -> None:
        """The real length replaces the announced one in the playback's total."""
        session, sink = make_session(heartbeat=0, milestones=())
        content = Content(
            asset_id="c",
            duration=60.0,
            ad_schedule=(ScheduledAd("ad1", "mp", "mid-roll", 10.0),),
        )
        watch(session, content)
        play_ad_break(session, "mp", "mid-roll", "ad1", 15.0, T0 + 30)
        session.ended(at=T0 + 75)
        check_invariants(sink.messages)
        completed = props(sink, "Video Playback Completed")[0]
        assert (75, 75) == (completed["position"], completed["total_length"])

    def test_ad_failing_before_it_starts(self, make_session: SessionFactory) -> None:
        """vimeo-ott: an ad that fails to load still sends Video Ad Failed."""
        session, sink = make_session(profile="vimeo-ott")
        session.play(at=T0)
        session.ad_break_start("pod", "pre-roll", 1, at=T0)
        session.ad_error("VAST timeout", at=T0 + 1)
        assert "Video Ad Failed" == events(sink)[-1]


class TestSeekingAndPausing:
    def test_frames_after_a_seek_made_while_paused(self, make_session: SessionFactory) -> None:
        """Paused, seek, then frames play: Seek Completed, Resumed and a heartbeat at once."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        session.pause(at=T0 + 5)
        session.seeking(50.0, at=T0 + 6)
        session.playing(50.0, at=T0 + 7)
        assert [
            "Video Playback Seek Completed",
            "Video Playback Resumed",
            "Video Content Playing",
        ] == events(sink)[-3:]
        session.advance(T0 + 17)
        assert [50, 60] == [m["properties"]["position"] for m in heartbeats(sink)]

    def test_pause_during_a_seek(self, make_session: SessionFactory) -> None:
        """A pause while seeking is sent, and the seek ends paused: no heartbeats."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        session.seeking(50.0, at=T0 + 5)
        session.pause(at=T0 + 5.2)
        session.seeked(at=T0 + 6)
        session.advance(T0 + 60)
        assert "paused" == session.state
        assert [] == heartbeats(sink)
        assert [] == session.anomalies

    def test_play_during_a_paused_seek(self, make_session: SessionFactory) -> None:
        """Resumed when the viewer presses play; its heartbeat once frames play again."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        session.pause(at=T0 + 3)
        session.seeking(50.0, at=T0 + 4)
        session.play(at=T0 + 4.5)
        session.seeked(at=T0 + 5)
        assert [
            "Video Playback Seek Started",
            "Video Playback Resumed",
            "Video Playback Seek Completed",
            "Video Content Playing",
        ] == events(sink)[-4:]
        assert "playing" == session.state


class TestLoads:
    def test_replacing_the_content_before_it_plays(self, make_session: SessionFactory) -> None:
        """Switching to B before A's first frame: the playback is just B."""
        session, sink = make_session(heartbeat=0, milestones=())
        session.load(Content(asset_id="A", duration=600.0), at=T0)
        session.play(at=T0)
        session.load(Content(asset_id="B", duration=100.0), at=T0 + 1)
        session.playing(0.0, at=T0 + 1)
        session.ended(at=T0 + 101)
        completed = props(sink, "Video Playback Completed")[0]
        assert (100, 100) == (completed["position"], completed["total_length"])

    def test_same_asset_again_is_a_metadata_update(self, make_session: SessionFactory) -> None:
        """Loading the playing asset again updates its metadata; no second Content Started."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session, Content(asset_id="A"))
        session.load(Content(asset_id="A", duration=50.0, title="Now known"), at=T0 + 5)
        session.ended(at=T0 + 50)
        assert 1 == events(sink).count("Video Content Started")
        completed = props(sink, "Video Content Completed")[0]
        assert ("Now known", 50) == (completed["title"], completed["total_length"])

    def test_playlist_items_without_ids(self, make_session: SessionFactory) -> None:
        """Items without asset ids still get their own milestones."""
        session, sink = make_session(heartbeat=0, milestones=(50,))
        item = Content(duration=10.0, playlist=("x", "y"))
        watch(session, item)
        session.ended(at=T0 + 10)
        session.load(item, at=T0 + 10)
        session.playing(0.0, at=T0 + 10)
        session.ended(at=T0 + 20)
        assert 2 == events(sink).count("50% Content Completed")


class TestMetadataUpdates:
    def test_live_flag_flapping_never_repeats_milestones(self, make_session: SessionFactory):
        """Loading the same asset as live and back keeps the milestones already sent."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="c1", duration=10.0))
        session.advance(T0 + 3)
        session.load(Content(asset_id="c1", duration=10.0, live=True), at=T0 + 3)
        session.load(Content(asset_id="c1", duration=10.0), at=T0 + 3)
        session.advance(T0 + 3.5)
        assert 1 == events(sink).count("25% Content Completed")


class TestSecondReview:
    def test_hot_path_refuses_milliseconds_too(self, make_session: SessionFactory) -> None:
        """A timeupdate in milliseconds is an anomaly even with no deadline pending."""
        session, sink = make_session(heartbeat=0)
        watch(session, Content(asset_id="tv", live=True))
        session.timeupdate(1.0, at=(T0 + 1) * 1000)
        session.pause(at=T0 + 2)
        assert "Video Playback Paused" == events(sink)[-1]
        assert "time must be seconds since the Unix epoch" in session.anomalies[0].reason

    @pytest.mark.parametrize("resume", ["play_then_seeked", "playing"])
    def test_content_starts_after_a_seek_before_the_first_frame(
        self, make_session: SessionFactory, resume: str
    ) -> None:
        """Paused before the first frame, sought, resumed: Content Started still comes."""
        session, sink = make_session(heartbeat=10)
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        session.pause(at=T0 + 1)
        session.seeking(30.0, at=T0 + 2)
        if resume == "playing":
            session.playing(30.0, at=T0 + 3)
        else:
            session.play(at=T0 + 3)
            session.seeked(at=T0 + 3)
        assert "Video Content Started" in events(sink)
        session.ad_break_start("mid", "mid-roll", 1, at=T0 + 10)
        assert "ad_break" == session.state

    def test_same_asset_in_two_pods(self, make_session: SessionFactory) -> None:
        """An asset scheduled in two pods takes the length of the pod it plays in."""
        session, sink = make_session(heartbeat=0, milestones=())
        content = Content(
            asset_id="c",
            duration=100.0,
            ad_schedule=(
                ScheduledAd("ad1", "p1", "mid-roll", 15.0),
                ScheduledAd("ad1", "p2", "mid-roll", 30.0),
            ),
        )
        watch(session, content)
        session.ad_break_start("p2", "mid-roll", 1, at=T0 + 50)
        session.ad_start("ad1", at=T0 + 50)
        assert 30 == props(sink, "Video Ad Started")[0]["total_length"]

    def test_played_milestone_after_seeking_back_then_learning_the_duration(
        self, make_session: SessionFactory
    ) -> None:
        """Played 0 -> 40 with no duration, back to 5, then 100 s: 25 % was played through."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="x"))
        session.seeking(5.0, at=T0 + 40)
        session.seeked(at=T0 + 40)
        session.durationchange(100.0, at=T0 + 41)
        assert ["25% Content Completed"] == [e for e in events(sink) if "%" in e]

    def test_played_milestone_when_the_duration_shrinks(self, make_session: SessionFactory):
        """200 s becomes 100 s at 40 s of continuous play: 25 % (now 25 s) was crossed."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="x", duration=200.0))
        session.durationchange(100.0, at=T0 + 40)
        assert ["25% Content Completed"] == [e for e in events(sink) if "%" in e]

    def test_no_milestone_inside_an_ad_break(self, make_session: SessionFactory) -> None:
        """A duration learned during a mid-roll: the milestone waits for content to play."""
        session, sink = make_session(heartbeat=0, milestone_basis="played")
        watch(session, Content(asset_id="x"))
        session.ad_break_start("mid", "mid-roll", 1, at=T0 + 40)
        session.durationchange(100.0, at=T0 + 41)
        assert [] == [e for e in events(sink) if "%" in e]
        session.ad_break_end(at=T0 + 50)
        assert ["25% Content Completed"] == [e for e in events(sink) if "%" in e]

    def test_string_keywords_in_extra_stay_a_string(self, make_session: SessionFactory) -> None:
        """A custom property named like a list property is not split into characters."""
        session, sink = make_session()
        watch(session, Content(asset_id="x", extra={"keywords": "sports"}))
        assert "sports" == props(sink, "Video Content Started")[0]["keywords"]

    def test_early_postroll_keeps_the_content_pod(self, make_session: SessionFactory) -> None:
        """A post-roll announced before `ended` does not move content to a next pod."""
        session, sink = make_session(heartbeat=0, milestones=())
        content = Content(asset_id="c", duration=60.0, pod_ids=("a", "b"))
        watch(session, content)
        play_ad_break(session, "post", "post-roll", "ad", 5.0, T0 + 60)
        session.ended(at=T0 + 65)
        assert "a" == props(sink, "Video Content Completed")[0]["pod_id"]
        assert "Video Playback Completed" == events(sink)[-1]
