"""Heartbeats: every n seconds of playing time of the current pod, without drift."""

from __future__ import annotations

from conftest import T0, SessionFactory, heartbeats, watch

from vtrack import Content
from vtrack.testing.timeline import epoch_seconds as epoch


def stamps(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["timestamp"])[11:23] for m in messages]


def offsets(messages: list[dict[str, object]]) -> list[float]:
    """Seconds after T0 of each message."""
    return [round(epoch(m) - T0, 3) for m in messages]


def positions(messages: list[dict[str, object]]) -> list[object]:
    return [m["properties"]["position"] for m in messages]  # type: ignore[index]


class TestCadence:
    def test_every_n_seconds_of_playing(self, make_session: SessionFactory) -> None:
        """Heartbeat k comes k * n seconds after content started; none at the start."""
        session, sink = make_session(heartbeat=10)
        watch(session)
        session.advance(T0 + 35)
        assert ["22:13:30.000", "22:13:40.000", "22:13:50.000"] == stamps(heartbeats(sink))
        assert [10, 20, 30] == positions(heartbeats(sink))

    def test_no_drift_whatever_the_callback_timing(self, make_session: SessionFactory) -> None:
        """Jittery position reports never shift the heartbeats off k * n."""
        session, sink = make_session(heartbeat=20)
        session.load(Content(asset_id="x", duration=600.0), at=T0)
        session.play(at=T0)
        session.playing(0.0, at=T0 + 0.123)
        t = 0.123
        for jitter in [0.31, 0.77, 0.05, 1.9, 0.26] * 40:
            t += jitter
            session.timeupdate(t - 0.123, at=T0 + t)
        assert [round(20 * k + 0.123, 3) for k in range(1, 7)] == offsets(heartbeats(sink))

    def test_interval_zero_turns_heartbeats_off(self, make_session: SessionFactory) -> None:
        """heartbeat=0: no heartbeat at all, not even on resume."""
        session, sink = make_session(heartbeat=0, milestones=())
        session.play(at=T0)
        session.playing(at=T0)
        session.pause(at=T0 + 30)
        session.play(at=T0 + 40)
        session.advance(T0 + 100)
        assert [] == heartbeats(sink)
        assert session.next_deadline() is None

    def test_next_deadline_and_advance(self, make_session: SessionFactory) -> None:
        """next_deadline() names the next heartbeat; advance() emits it, not before."""
        session, sink = make_session(heartbeat=10, milestones=())
        session.play(at=T0)
        session.playing(at=T0 + 2)
        assert T0 + 12 == session.next_deadline()
        session.advance(T0 + 11.999)
        assert [] == heartbeats(sink)
        session.advance(T0 + 12)
        assert 1 == len(heartbeats(sink))
        assert T0 + 22 == session.next_deadline()


class TestWhatStopsTheCount:
    def test_pause_then_resume_heartbeats_at_once(self, make_session: SessionFactory) -> None:
        """Resumed is followed at once by a heartbeat; the count restarts from there."""
        session, sink = make_session(heartbeat=10)
        watch(session)
        session.pause(at=T0 + 15)
        session.play(at=T0 + 100)
        session.advance(T0 + 121)
        names = [m["event"] for m in sink.messages]
        resumed = names.index("Video Playback Resumed")
        assert "Video Content Playing" == names[resumed + 1]
        assert [10.0, 100.0, 110.0, 120.0] == offsets(heartbeats(sink))
        assert [10, 15, 25, 35] == positions(heartbeats(sink))

    def test_buffering_stops_the_count(self, make_session: SessionFactory) -> None:
        """A 5 s stall after 7 s of playing puts the first heartbeat at t=15."""
        session, sink = make_session(heartbeat=10)
        watch(session)
        session.waiting(at=T0 + 7)
        session.playing(at=T0 + 12)
        session.advance(T0 + 16)
        assert ["22:13:35.000"] == stamps(heartbeats(sink))
        assert [10] == positions(heartbeats(sink))

    def test_seeking_stops_the_count(self, make_session: SessionFactory) -> None:
        """Seeking time is not playing time; the count goes on after the seek."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        session.seeking(50.0, at=T0 + 4)
        session.seeked(at=T0 + 9)
        session.advance(T0 + 16)
        assert ["22:13:35.000"] == stamps(heartbeats(sink))
        assert [56] == positions(heartbeats(sink))

    def test_playback_rate(self, make_session: SessionFactory) -> None:
        """At rate 2 the position moves twice as fast; heartbeats stay 10 s of playing apart."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        session.ratechange(2.0, at=T0 + 5)
        session.advance(T0 + 25)
        assert ["22:13:30.000", "22:13:40.000"] == stamps(heartbeats(sink))
        assert [15, 35] == positions(heartbeats(sink))

    def test_position_is_clamped_to_the_content(self, make_session: SessionFactory) -> None:
        """Interpolation never runs past the content's length."""
        session, sink = make_session(heartbeat=10, milestones=())
        session.load(Content(asset_id="short", duration=15.0), at=T0)
        session.play(at=T0)
        session.playing(0.0, at=T0)
        session.advance(T0 + 40)
        assert [10, 15, 15, 15] == positions(heartbeats(sink))


class TestPods:
    def test_each_ad_restarts_the_count(self, make_session: SessionFactory) -> None:
        """Ad heartbeats count from each ad's start; content after the break from its return."""
        session, sink = make_session(heartbeat=10, milestones=())
        watch(session)
        session.ad_break_start("pod", "mid-roll", 2, at=T0 + 5)
        session.ad_start("ad1", length=12.0, at=T0 + 5)
        session.ad_end(at=T0 + 17)
        session.ad_start("ad2", length=12.0, at=T0 + 17)
        session.ad_end(at=T0 + 29)
        session.ad_break_end(at=T0 + 29)
        session.advance(T0 + 40)
        assert ["22:13:35.000", "22:13:47.000"] == stamps(heartbeats(sink, "Video Ad Playing"))
        assert ["22:13:59.000"] == stamps(heartbeats(sink))
        assert [15] == positions(heartbeats(sink))
        assert "movie-b" == heartbeats(sink)[0]["properties"]["pod_id"]
