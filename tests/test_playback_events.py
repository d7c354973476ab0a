"""Playback events: pause, resume, buffering, seeking, quality, interruptions, exit."""

from __future__ import annotations

import pytest
from conftest import MOVIE, T0, SessionFactory, events, props, watch

from vtrack import Content


class TestPlaybackEvents:
    def test_start(self, make_session: SessionFactory) -> None:
        """play sends Playback Started; the first frame sends Content Started."""
        session, sink = make_session()
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        assert ["Video Playback Started"] == events(sink)
        session.playing(at=T0 + 1)
        assert ["Video Playback Started", "Video Content Started"] == events(sink)
        content = props(sink, "Video Content Started")[0]
        assert ("movie", "movie-a", "Movie", 0, 100) == (
            content["asset_id"],
            content["pod_id"],
            content["title"],
            content["position"],
            content["total_length"],
        )

    def test_autoplay_without_play(self, make_session: SessionFactory) -> None:
        """A first frame without play (autoplay) sends both start events."""
        session, sink = make_session()
        session.playing(at=T0)
        assert ["Video Playback Started", "Video Content Started"] == events(sink)

    def test_pause_before_the_first_frame(self, make_session: SessionFactory) -> None:
        """Paused while starting, then resumed: Content Started comes with the first frame."""
        session, sink = make_session(heartbeat=10)
        session.play(at=T0)
        session.pause(at=T0 + 1)
        session.play(at=T0 + 2)
        session.playing(at=T0 + 3)
        assert [
            "Video Playback Started",
            "Video Playback Paused",
            "Video Playback Resumed",
            "Video Content Started",
        ] == events(sink)

    def test_resume_by_frames_alone(self, make_session: SessionFactory) -> None:
        """A player that sends no play on resume (mpv, VLC): playing after pause resumes."""
        session, sink = make_session(heartbeat=10)
        watch(session)
        session.pause(at=T0 + 5)
        session.playing(at=T0 + 8)
        assert ["Video Playback Resumed", "Video Content Playing"] == events(sink)[-2:]

    def test_buffering(self, make_session: SessionFactory) -> None:
        """waiting/playing while playing: Buffer Started and Completed at the stalled position."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session)
        session.waiting(at=T0 + 12.5)
        session.playing(at=T0 + 20)
        assert [12, 12] == [
            p["position"]
            for p in props(sink, "Video Playback Buffer Started")
            + props(sink, "Video Playback Buffer Completed")
        ]

    def test_startup_and_seek_waits_are_not_stalls(self, make_session: SessionFactory) -> None:
        """waiting before the first frame or during a seek sends nothing."""
        session, sink = make_session(heartbeat=0, milestones=())
        session.play(at=T0)
        session.waiting(at=T0 + 0.1)
        session.playing(at=T0 + 1)
        session.seeking(30.0, at=T0 + 2)
        session.waiting(at=T0 + 2.1)
        session.seeked(at=T0 + 3)
        assert "Video Playback Buffer Started" not in events(sink)
        assert [] == session.anomalies

    def test_seek_positions(self, make_session: SessionFactory) -> None:
        """Seek Started: position = from, seek_position = to; Seek Completed: position = to."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session)
        session.seeking(40.0, at=T0 + 10)
        session.seeking(70.0, at=T0 + 10.5)  # collapses into one seek
        session.seeked(at=T0 + 11)
        started = props(sink, "Video Playback Seek Started")
        completed = props(sink, "Video Playback Seek Completed")
        assert [(10, 40)] == [(p["position"], p["seek_position"]) for p in started]
        assert [70] == [p["position"] for p in completed]
        assert "playing" == session.state

    def test_seek_while_paused_stays_paused(self, make_session: SessionFactory) -> None:
        """A seek that began paused ends paused."""
        session, _ = make_session()
        watch(session)
        session.pause(at=T0 + 5)
        session.seeking(50.0, at=T0 + 6)
        session.seeked(50.0, at=T0 + 7)
        assert "paused" == session.state
        assert 50.0 == session.position

    def test_quality_updated_only_on_change(self, make_session: SessionFactory) -> None:
        """Video Quality Updated when a value changes; the values ride along later."""
        session, sink = make_session(heartbeat=10, milestones=())
        session.quality(bitrate=800, at=T0)  # before playback: remembered, not sent
        watch(session)
        session.quality(bitrate=800, framerate=29.97, at=T0 + 1)
        session.quality(bitrate=800, framerate=29.97, at=T0 + 2)  # no change
        session.quality(dropped_frames=3, startup_time=420, at=T0 + 3)
        updates = props(sink, "Video Quality Updated")
        assert [
            {"bitrate": 800, "framerate": 30},
            {"bitrate": 800, "framerate": 30, "droppedFrames": 3, "startupTime": 420},
        ] == updates
        session.advance(T0 + 10)
        assert (800, 30) == (
            props(sink, "Video Content Playing")[0]["bitrate"],
            props(sink, "Video Content Playing")[0]["framerate"],
        )
        assert 800 == props(sink, "Video Playback Started")[0]["bitrate"]

    def test_no_quality_update_after_playback_completed(self, make_session: SessionFactory) -> None:
        """Only Video Playback Exited may follow Completed: a late change is kept, not sent."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session)
        session.ended(at=T0 + 100)
        session.quality(bitrate=900, at=T0 + 101)
        session.exit(at=T0 + 102)
        assert ["Video Playback Completed", "Video Playback Exited"] == events(sink)[-2:]
        assert 900 == props(sink, "Video Playback Exited")[0]["bitrate"]

    @pytest.mark.parametrize("failure", ["interrupt", "fatal error"])
    def test_a_failure_after_completion_still_lets_the_exit_out(
        self, make_session: SessionFactory, failure: str
    ) -> None:
        """Players often fail on teardown: after Completed nothing but Exited is sent, and
        Exited is still sent when the viewer leaves."""
        session, sink = make_session(heartbeat=0, milestones=())
        watch(session)
        session.ended(at=T0 + 100)
        if failure == "interrupt":
            session.interrupt(at=T0 + 101)
        else:
            session.error("decoder gone", fatal=True, at=T0 + 101)
        assert "completed" == session.state
        session.exit(at=T0 + 102)
        assert ["Video Playback Completed", "Video Playback Exited"] == events(sink)[-2:]

    def test_volume_and_fullscreen(self, make_session: SessionFactory) -> None:
        """sound and full_screen appear on playback events."""
        session, sink = make_session()
        session.volume(35, at=T0)
        session.fullscreen(True, at=T0)
        session.play(at=T0)
        started = props(sink, "Video Playback Started")[0]
        assert (35, True) == (started["sound"], started["full_screen"])

    def test_interrupt_and_fatal_error(self, make_session: SessionFactory) -> None:
        """Interrupted carries the method; a fatal error interrupts with method 'error: ...'."""
        session, sink = make_session()
        watch(session)
        session.interrupt("network loss", at=T0 + 4)
        other, other_sink = make_session()
        watch(other)
        other.error("decoder died", fatal=False, at=T0 + 1)
        other.error("decoder died", fatal=True, at=T0 + 2)
        assert ["network loss"] == [p["method"] for p in props(sink, "Video Playback Interrupted")]
        assert ["error: decoder died"] == [
            p["method"] for p in props(other_sink, "Video Playback Interrupted")
        ]
        assert ("interrupted", "interrupted") == (session.state, other.state)

    def test_exit(self, make_session: SessionFactory) -> None:
        """exit sends Playback Exited; before any play it sends nothing."""
        session, sink = make_session()
        watch(session)
        session.exit(at=T0 + 3)
        idle, idle_sink = make_session()
        idle.exit(at=T0)
        assert "Video Playback Exited" == events(sink)[-1]
        assert [] == idle_sink.messages
        assert "exited" == idle.state

    def test_exit_after_completed(self, make_session: SessionFactory) -> None:
        """After Playback Completed, only Playback Exited may follow."""
        session, sink = make_session(milestones=())
        session.load(Content(asset_id="c", duration=5.0), at=T0)
        session.play(at=T0)
        session.playing(at=T0)
        session.ended(at=T0 + 5)
        session.exit(at=T0 + 6)
        assert ["Video Playback Completed", "Video Playback Exited"] == events(sink)[-2:]
