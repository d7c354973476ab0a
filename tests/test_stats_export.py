"""Stats from an export another tool wrote: Segment-spec names, none of vtrack's extras."""

from __future__ import annotations

from typing import Any

from vtrack.stats import SessionStats, summarize


def message(
    event: str, second: float, viewer: str, session: str, **properties: Any
) -> dict[str, Any]:
    """A track message as analytics.js would export it (no vtrack context)."""
    minute, rest = divmod(second, 60)
    return {
        "type": "track",
        "event": event,
        "anonymousId": viewer,
        "properties": {"session_id": session, **properties},
        "timestamp": f"2024-03-01T12:{int(minute):02d}:{rest:06.3f}Z",
        "context": {"library": {"name": "analytics.js", "version": "4.1.0"}},
    }


def export() -> list[dict[str, Any]]:
    """Three sessions interleaved: a full viewing, an exit during startup, and one whose
    export starts mid-way (no Playback Started, no content events)."""
    a = [
        message("Video Playback Started", 0, "v1", "a", position=0, total_length=310),
        message("Video Ad Started", 1, "v1", "a", asset_id="ad1", type="pre-roll", position=0),
        message("Video Ad Completed", 11, "v1", "a", asset_id="ad1", position=10),
        message(
            "Video Content Started", 12, "v1", "a", asset_id="ep1", position=0, total_length=300
        ),
        message("Video Content Playing", 22, "v1", "a", asset_id="ep1", position=10),
        message("Video Playback Buffer Started", 25, "v1", "a", position=23),
        message("Video Playback Buffer Completed", 27, "v1", "a", position=23),
        message("Video Content Playing", 34, "v1", "a", asset_id="ep1", position=20),
        message("Video Playback Paused", 40, "v1", "a", position=36),
        message("Video Playback Resumed", 45, "v1", "a", position=36),
        message("Video Content Playing", 55, "v1", "a", asset_id="ep1", position=36),
        message("Video Playback Exited", 60, "v1", "a", position=51),
    ]
    b = [
        message("Video Playback Started", 5, "v2", "b", position=0),
        message("Video Playback Exited", 9, "v2", "b", position=0),
    ]
    c = [
        message("Video Playback Paused", 30, "v3", "c", position=100),
        message("Video Playback Resumed", 32, "v3", "c", position=100),
        message("Video Playback Seek Started", 50, "v3", "c", position=118, seek_position=20),
        message("Video Playback Seek Completed", 51, "v3", "c", position=20),
        message("Video Playback Exited", 61, "v3", "c", position=30),
    ]
    return sorted(a + b + c, key=lambda m: m["timestamp"])


def by_session() -> dict[str, SessionStats]:
    return {stats.session_id: stats for stats in summarize(export())}


class TestForeignExport:
    def test_a_full_viewing(self) -> None:
        """Times, ads, stalls and positions are read; vtrack's extras are None, not zero."""
        stats = by_session()["a"]
        expected = {
            "startup_time": 2.0,
            "startup_time_with_ads": 12.0,
            "ad_time": 10.0,
            "ads_started": 1,
            "ads_completed": 1,
            "ads_skipped": None,
            "ads_failed": None,
            "play_time": 41.0,
            "buffer_time": 2.0,
            "buffer_count": 1,
            "pause_time": 5.0,
            "heartbeats": 3,
            "max_position": 41.0,
            "unique_seconds": 41.0,
            "completion": round(41 / 300, 6),
            "milestones": None,
            "errors": None,
            "bitrate_mean": None,
            "bitrate_peak": None,
            "quality_changes": None,
            "end": "exited",
            "exited_before_start": False,
            "start_failed": False,
        }
        assert expected == {name: getattr(stats, name) for name in expected}

    def test_an_exit_during_startup(self) -> None:
        """An exit before the first frame is an EBVS; whether it failed cannot be known."""
        stats = by_session()["b"]
        expected = {"exited_before_start": True, "start_failed": None, "startup_time": None}
        assert expected == {name: getattr(stats, name) for name in expected}

    def test_a_session_seen_from_the_middle(self) -> None:
        """Without Playback Started or content events: no startup, no completion, no assets;
        the seek and the seconds played are still read from the playback positions."""
        stats = by_session()["c"]
        expected = {
            "startup_time": None,
            "startup_time_with_ads": None,
            "completion": None,
            "asset_ids": None,
            "seek_count": 1,
            "unique_seconds": 28.0,
            "pause_time": 2.0,
            "exited_before_start": None,
            "start_failed": None,
        }
        assert expected == {name: getattr(stats, name) for name in expected}

    def test_interleaved_sessions_come_out_apart(self) -> None:
        """Three interleaved sessions give three summaries, each with its own viewer."""
        viewers = {stats.session_id: stats.anonymous_id for stats in summarize(export())}
        assert {"a": "v1", "b": "v2", "c": "v3"} == viewers
