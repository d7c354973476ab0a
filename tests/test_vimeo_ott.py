"""The vimeo-ott profile: seed 000's event names and video-event properties."""

from __future__ import annotations

from conftest import MOVIE, T0, SessionFactory, events, props

from vtrack import Content

EPISODE = Content(
    asset_id="ep1",
    duration=100.0,
    title="Episode 1",
    extra={"video_id": 42, "device": "web", "platform": "web", "collection_id": 7},
)


def watch_to_the_end(make_session: SessionFactory) -> tuple[object, object]:
    session, sink = make_session(profile="vimeo-ott", heartbeat=30)
    session.load(EPISODE, at=T0)
    session.play(at=T0)
    session.playing(0.0, at=T0)
    session.ended(at=T0 + 100)
    return session, sink


class TestVimeoOtt:
    def test_event_names(self, make_session: SessionFactory) -> None:
        """90 % is 'Video Content Completed', 100 % 'Video Content Ended', then Paused."""
        _, sink = watch_to_the_end(make_session)
        assert [
            "Video Playback Started",
            "25% Content Completed",
            "Video Content Playing",
            "50% Content Completed",
            "Video Content Playing",
            "75% Content Completed",
            "Video Content Playing",
            "Video Content Completed",
            "Video Content Ended",
            "Video Playback Paused",
        ] == events(sink)  # type: ignore[arg-type]

    def test_video_event_properties(self, make_session: SessionFactory) -> None:
        """timecode, duration, seconds, session_id, is_live, type, name, timestamp, extras."""
        _, sink = watch_to_the_end(make_session)
        heartbeat = props(sink, "Video Content Playing")[0]  # type: ignore[arg-type]
        assert {
            "timecode": 30,
            "duration": 100,
            "seconds": 30,
            "session_id": "s1",
            "is_live": 0,
            "type": "video",
            "name": "Video Content Playing",
            "timestamp": int(T0) + 30,
            "video_title": "Episode 1",
            "video_id": 42,
            "device": "web",
            "platform": "web",
            "collection_id": 7,
        } == heartbeat

    def test_live_timecode_is_zero(self, make_session: SessionFactory) -> None:
        """For live video, timecode is 0 and is_live is 1."""
        session, sink = make_session(profile="vimeo-ott", heartbeat=10)
        session.load(Content(asset_id="tv", live=True), at=T0)
        session.play(at=T0)
        session.playing(500.0, at=T0)
        session.fullscreen(True, at=T0 + 1)
        session.advance(T0 + 10)
        heartbeat = props(sink, "Video Content Playing")[0]
        assert (0, 1, 1) == (
            heartbeat["timecode"],
            heartbeat["is_live"],
            heartbeat["is_fullscreen"],
        )

    def test_ad_events(self, make_session: SessionFactory) -> None:
        """Ad Started, Clicked, Skipped + Completed, Failed; no Ad Playing."""
        session, sink = make_session(profile="vimeo-ott", heartbeat=10)
        session.load(MOVIE, at=T0)
        session.play(at=T0)
        session.ad_break_start("pod", "pre-roll", 2, at=T0)
        session.ad_start("ad1", length=30.0, at=T0)
        session.ad_click(at=T0 + 12)
        session.ad_skip(at=T0 + 15)
        session.ad_start("ad2", length=30.0, at=T0 + 15)
        session.ad_error("timeout", at=T0 + 16)
        assert [
            "Video Playback Started",
            "Video Ad Started",
            "Video Ad Clicked",
            "Video Ad Skipped",
            "Video Ad Completed",
            "Video Ad Started",
            "Video Ad Failed",
        ] == events(sink)
