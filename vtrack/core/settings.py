"""What a session is configured with, validated once and shareable between sessions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from vtrack.core.schedule import (
    DEFAULT_MILESTONES,
    MilestoneBasis,
    validate_basis,
    validate_heartbeat,
    validate_milestones,
)
from vtrack.core.summary_event import validate_summary_event
from vtrack.profiles import SEGMENT, Profile, get_profile


def _heartbeat(_instance: Any, _attribute: Any, value: Any) -> None:
    validate_heartbeat(value)


@attrs.frozen
class Settings:
    """How sessions behave; one instance can be shared by any number of sessions.

    - ``profile``: ``"segment"`` (default), ``"vimeo-ott"`` or a :class:`~vtrack.Profile`.
    - ``heartbeat``: seconds of playing time between heartbeats, one of 0, 10, ..., 600
      (0 turns them off); anything else raises ``ValueError``.
    - ``milestones``: percentages, 0 < p < 100, unique and ascending.
    - ``milestone_basis``: ``"position"``, ``"played"`` or ``"watched"``.
    - ``strict``: raise :class:`~vtrack.InvalidCallback` instead of recording an anomaly.
    - ``clock``: called for the time when a callback comes without ``at``.
    - ``context`` / ``integrations``: copied into every message.
    - ``summary_event``: the name of a track event sent once per content item, when it ends
      or the viewer leaves, with the item's play time, unique seconds, completion and
      milestones (:mod:`vtrack.core.summary_event`); None (default) sends none.
    """

    profile: Profile = attrs.field(default=SEGMENT, converter=get_profile)
    heartbeat: int = attrs.field(default=10, validator=_heartbeat)
    milestones: tuple[float, ...] = attrs.field(
        default=DEFAULT_MILESTONES, converter=validate_milestones
    )
    milestone_basis: MilestoneBasis = attrs.field(default="position", converter=validate_basis)
    strict: bool = False
    clock: Callable[[], float] | None = None
    context: Mapping[str, Any] | None = None
    integrations: Mapping[str, Any] | None = None
    summary_event: str | None = attrs.field(default=None, converter=validate_summary_event)

    @summary_event.validator
    def _summary_event_is_its_own(self, _attribute: Any, name: str | None) -> None:
        profile = self.profile
        if name is not None and (
            name in profile.event_names.values() or name in profile.milestone_names.values()
        ):
            raise ValueError(
                f"summary_event {name!r} is the name of one of the {profile.name} profile's own "
                "events: choose another (e.g. 'Video Content Watched')"
            )
