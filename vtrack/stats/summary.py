"""The summary of one playback session: its QoE figures (docs/stats.md defines each one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

#: Ends of a session: Video Playback Completed, Exited or Interrupted seen, or none yet.
ENDS: Final = ("completed", "exited", "interrupted", "open")


@attrs.frozen
class SessionStats:
    """One playback session's summary. None wherever the messages cannot tell.

    Times are wall-clock seconds (to the millisecond of the messages' timestamps); positions
    are seconds of content; ratios lie in [0, 1]. ``seconds_by_state`` says where the whole
    wall time went (startup, play, pause, buffer, seek, ad, idle); it is not one of the
    summary's fields.
    """

    session_id: str
    user_id: str | None
    anonymous_id: str | None
    asset_ids: list[str] | None
    started_at: str
    ended_at: str
    end: str | None
    play_time: float
    pause_time: float
    buffer_time: float
    buffer_count: int
    rebuffer_ratio: float | None
    startup_time: float | None
    startup_time_with_ads: float | None
    exited_before_start: bool | None
    start_failed: bool | None
    ad_time: float
    ads_started: int
    ads_completed: int
    ads_skipped: int | None
    ads_failed: int | None
    seek_count: int
    max_position: float | None
    unique_seconds: float | None
    completion: float | None
    milestones: list[float] | None
    heartbeats: int
    bitrate_mean: float | None
    bitrate_peak: float | None
    quality_changes: int | None
    errors: int | None
    seconds_by_state: Mapping[str, float] = attrs.field(factory=dict, eq=False, repr=False)

    def as_row(self) -> dict[str, Any]:
        """The summary's fields, in order (what ``vtrack stats`` writes for a session)."""
        return {name: getattr(self, name) for name in FIELDS}


#: The summary's fields, in order.
FIELDS: Final = tuple(
    field.name for field in attrs.fields(SessionStats) if field.name != "seconds_by_state"
)
