"""Ad pods: pre-, mid- and post-rolls, quartiles, skips, failures, clicks."""

from __future__ import annotations

from conftest import (
    MOVIE,
    MOVIE_WITH_POSTROLL,
    T0,
    SessionFactory,
    events,
    play_ad_break,
    props,
    watch,
)

from vtrack import Content, ScheduledAd
from vtrack.testing.schema import validate
from vtrack.testing.timeline import epoch_seconds as epoch


def preroll(session: object, length: float = 8.0) -> None:
    session.load(MOVIE, at=T0)  # type: ignore[attr-defined]
    session.play(at=T0)  # type: ignore[attr-defined]
    session.ad_break_start("pre-pod", "pre-roll", 1, at=T0 + 0.5)  # type: ignore[attr-defined]
    session.ad_start("pre-ad", title="Buy", length=length, at=T0 + 1)  # type: ignore[attr-defined]


class TestAdPods:
    def test_preroll_before_content(self, make_session: SessionFactory) -> None:
        """Playback Started, the ad, then Content Started when content frames render."""
        session, sink = make_session(heartbeat=0, milestones=())
        preroll(session)
        session.ad_end(at=T0 + 9)
        session.ad_break_end(at=T0 + 9)
        assert "starting" == session.state
        session.playing(0.0, at=T0 + 9.5)
        assert [
            "Video Playback Started",
            "Video Ad Started",
            "Video Ad Playing",
            "Video Ad Playing",
            "Video Ad Playing",
            "Video Ad Completed",
            "Video Content Started",
        ] == events(sink)
        started = props(sink, "Video Ad Started")[0]
        assert {"asset_id": "pre-ad", "pod_id": "pre-pod", "type": "pre-roll"}.items() <= (
            started.items()
        )
        assert (1, 1, "Buy", 0, 8) == (
            started["pod_position"],
            started["pod_length"],
            started["title"],
            started["position"],
            started["total_length"],
        )

    def test_quartiles_at_exact_quarters(self, make_session: SessionFactory) -> None:
        """Video Ad Playing with quartile 1, 2, 3 at 25, 50 and 75 % of the ad."""
        session, sink = make_session(heartbeat=0)
        preroll(session, length=8.0)
        session.advance(T0 + 9)
        quartiles = [
            (m["properties"]["quartile"], m["properties"]["position"], round(epoch(m) - T0, 3))
            for m in sink.messages
            if "quartile" in m["properties"]
        ]
        assert [(1, 2, 3.0), (2, 4, 5.0), (3, 6, 7.0)] == quartiles

    def test_skip_completes_the_ad_as_skipped(self, make_session: SessionFactory) -> None:
        """A skip sends Video Ad Completed with skipped: true at the position reached."""
        session, sink = make_session(heartbeat=0, milestones=())
        preroll(session, length=30.0)
        session.ad_skip(at=T0 + 6)
        completed = props(sink, "Video Ad Completed")
        assert [(True, 5)] == [(p["skipped"], p["position"]) for p in completed]

    def test_pause_and_resume_inside_an_ad(self, make_session: SessionFactory) -> None:
        """Paused / Resumed carry the ad; Resumed is followed at once by Video Ad Playing."""
        session, sink = make_session(heartbeat=10, milestones=())
        preroll(session, length=30.0)
        session.pause(at=T0 + 4)
        session.play(at=T0 + 9)
        names = events(sink)
        assert ["Video Playback Paused", "Video Playback Resumed", "Video Ad Playing"] == names[-3:]
        paused = props(sink, "Video Playback Paused")[0]
        assert ("pre-ad", "pre-pod", "pre-roll", 3) == (
            paused["ad_asset_id"],
            paused["ad_pod_id"],
            paused["ad_type"],
            paused["position"],
        )

    def test_an_ad_error_sends_no_completion(self, make_session: SessionFactory) -> None:
        """A failed ad is not 'completed' in the Segment profile."""
        session, sink = make_session(heartbeat=0, milestones=())
        preroll(session)
        session.ad_error("VAST 303", at=T0 + 2)
        assert "Video Ad Completed" not in events(sink)
        assert "ad_break" == session.state

    def test_break_end_during_an_ad_completes_it(self, make_session: SessionFactory) -> None:
        """ad_break_end while an ad plays completes the ad first."""
        session, sink = make_session(heartbeat=0, milestones=())
        preroll(session)
        session.ad_break_end(at=T0 + 9)
        assert "Video Ad Completed" == events(sink)[-1]
        assert "starting" == session.state

    def test_midroll_returns_to_the_next_content_pod(self, make_session: SessionFactory) -> None:
        """After a mid-roll, content events carry the next pod id; playback counts ad time."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        play_ad_break(session, "mid", "mid-roll", "ad", 15.0, T0 + 30)
        session.pause(at=T0 + 56)
        assert ("movie-b", 40) == (
            props(sink, "Video Content Playing")[-1]["pod_id"],
            props(sink, "Video Content Playing")[-1]["position"],
        )
        assert (56, 115) == (
            props(sink, "Video Playback Paused")[0]["position"],
            props(sink, "Video Playback Paused")[0]["total_length"],
        )


class TestPlaybackCompleted:
    def test_without_postroll_completes_at_the_end(self, make_session: SessionFactory) -> None:
        """No post-roll scheduled: Content Completed then Playback Completed."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session)
        session.ended(at=T0 + 100)
        assert ["Video Content Completed", "Video Playback Completed"] == events(sink)[-2:]
        assert "completed" == session.state

    def test_waits_for_a_scheduled_postroll(self, make_session: SessionFactory) -> None:
        """A scheduled post-roll: Playback Completed only after it, at position 110 of 110."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session, MOVIE_WITH_POSTROLL)
        session.ended(at=T0 + 100)
        assert "Video Playback Completed" not in events(sink)
        assert "ended" == session.state
        play_ad_break(session, "post-pod", "post-roll", "post-ad", 10.0, T0 + 100)
        completed = props(sink, "Video Playback Completed")
        assert [(110, 110)] == [(p["position"], p["total_length"]) for p in completed]
        for message in sink.messages:
            validate(message)

    def test_postroll_never_played_then_exit(self, make_session: SessionFactory) -> None:
        """Leaving before the post-roll: Exited, never Completed."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session, MOVIE_WITH_POSTROLL)
        session.ended(at=T0 + 100)
        session.exit(at=T0 + 101)
        assert "Video Playback Completed" not in events(sink)
        assert "Video Playback Exited" == events(sink)[-1]

    def test_unscheduled_ad_of_unknown_length(self, make_session: SessionFactory) -> None:
        """An ad of unknown length makes the playback's total length unknown, not wrong."""
        session, sink = make_session(heartbeat=0, milestones=())
        session.load(Content(asset_id="c", duration=10.0), at=T0)
        session.play(at=T0)
        session.ad_break_start(at=T0)
        session.ad_start("surprise", at=T0)
        session.ad_end(at=T0 + 30)
        session.ad_break_end(at=T0 + 30)
        session.pause(at=T0 + 31)
        paused = props(sink, "Video Playback Paused")[0]
        assert 30 == paused["position"] and "total_length" not in paused

    def test_schedule_lengths_count_in_total_length(self, make_session: SessionFactory) -> None:
        """total_length = content + every scheduled ad."""
        session, sink = make_session()
        ads = (ScheduledAd("a", "p", "pre-roll", 5.0), ScheduledAd("b", "q", "mid-roll", 7.5))
        session.load(Content(asset_id="c", duration=60.0, ad_schedule=ads), at=T0)
        session.play(at=T0)
        assert 72 == props(sink, "Video Playback Started")[0]["total_length"]
