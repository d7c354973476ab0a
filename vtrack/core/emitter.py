"""Facts to messages: an event kind and a moment in, a Segment track message out.

The :class:`Emitter` of a session reads the playback state, asks the profile's
:class:`~vtrack.core.facts.FactCache` for the slow-changing facts, lets the profile lay them
out, wraps them in the track envelope (identity, timestamp, a deterministic messageId) and
keeps the message in :attr:`Emitter.outbox` until the session hands it to its sink.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from vtrack.core.errors import SinkError, caused_by
from vtrack.core.facts import FactSet, group_keys
from vtrack.core.messages import message_id_base, message_id_from, track_message
from vtrack.core.schedule import Percent, threshold
from vtrack.core.summary_event import LEAVING, ItemSummary
from vtrack.profiles import base as kind
from vtrack.profiles.base import complete

if TYPE_CHECKING:
    from vtrack.core.playback import PlaybackState
    from vtrack.core.protocols import Sink
    from vtrack.core.settings import Settings


class Emitter:
    """Builds a session's messages; numbers them; keeps them until they are delivered."""

    # The outbox first: the session's fast path reads it (see Clockwork's slots).
    __slots__ = (  # noqa: RUF023
        "outbox",
        "_fact_set",
        "_id_base",
        "_id_prefix",
        "_playback",
        "session_id",
        "settings",
        "identity",
        "identity_key",
        "sequence",
        "started_at",
        "_summary",
    )

    def __init__(
        self,
        settings: Settings,
        playback: PlaybackState,
        session_id: str,
        identity: tuple[str, str],
        first_sequence: int,
    ) -> None:
        #: The session's settings (the session reads them here too).
        self.settings = settings
        self._playback = playback
        self.session_id = session_id
        #: ``userId`` or ``anonymousId``, and its value.
        self.identity_key, self.identity = identity
        #: The sequence number of the next message (part of its messageId).
        self.sequence = first_sequence
        #: When the session began (part of every messageId), set by its first callback; NaN
        #: until then (a float, not None: compiled, see setup.py, it holds no object).
        self.started_at = math.nan
        #: Messages made but not yet taken by the sink; None when there are none.
        self.outbox: list[dict[str, Any]] | None = None
        #: What the session's messageIds are derived from (see :func:`message_id_base`).
        self._id_prefix: str | None = None
        self._id_base = 0
        #: The fact set of the last message.
        self._fact_set: FactSet | None = None
        #: The item playing, followed for its summary event (None: the settings send none).
        self._summary = ItemSummary() if settings.summary_event is not None else None

    def emit(self, event_kind: str, at: float, **overrides: Any) -> None:
        """Make the message of ``event_kind`` at ``at`` (nothing if the profile has no such)."""
        # Every message passes here: the moment's facts are gathered inline, not by a helper.
        settings = self.settings
        profile = settings.profile
        plan = profile.plans.get(event_kind)
        if plan is None:
            return  # the profile does not send this kind
        name = plan.name
        if name is None:
            name = profile.event_name(event_kind, overrides["milestone"])
            assert name is not None
        fact_set = self._current_facts()
        static = fact_set.statics.get(plan.static_id)
        if static is None:
            cache = profile.fact_cache
            static = cache.static(profile, event_kind, plan, fact_set, self.session_id)
        # The facts that change from event to event: time, name and positions.
        playback = self._playback
        head, ad, items, ads = playback.head, playback.ad, playback.items, playback.ads
        position = head.pos
        ad_position = ad.head.pos if ad is not None else 0.0
        content = playback.content
        moment = {
            "session_id": self.session_id,
            "event_name": name,
            "epoch": at,
            "content_position": position,
            "content_timecode": 0 if content is not None and content.live else position,
            # PlaybackState.prior_length and .ads_seen, without their properties.
            "playback_position": (0.0 if items is None else items.prior_length)
            + position
            + (0.0 if ads is None else ads.seen)
            + ad_position,
        }
        if ad is not None:
            moment["ad_position"] = ad_position
        if overrides:
            moment.update(overrides)
        message = self._enveloped(
            name, complete(plan, static, moment, fact_set.facts if plan.nested else None), at
        )
        summary = self._summary
        if summary is not None:
            summary.observe(event_kind, message)
            if event_kind == kind.CONTENT_COMPLETED or event_kind in LEAVING:
                self._send_summary(summary.take(at), at, before_last=event_kind in LEAVING)

    def _enveloped(self, name: str, properties: dict[str, Any], at: float) -> dict[str, Any]:
        """The track message of ``name`` with ``properties``, numbered, into the outbox."""
        prefix = self._id_prefix
        if prefix is None:
            assert not math.isnan(self.started_at)
            prefix, self._id_base = message_id_base(self.identity, self.session_id, self.started_at)
            self._id_prefix = prefix
        message = track_message(
            name,
            self.identity_key,
            self.identity,
            properties,
            at,
            message_id_from(prefix, self._id_base, self.sequence),
            self.settings.context,
            self.settings.integrations,
        )
        self.sequence += 1
        outbox = self.outbox
        if outbox is None:
            self.outbox = [message]
        else:
            outbox.append(message)
        return message

    def _send_summary(
        self, properties: dict[str, Any] | None, at: float, before_last: bool
    ) -> None:
        """The summary event of the item that ended (nothing if no item played).

        ``before_last``: the viewer left before the item ended; the summary, which counts up
        to the exit, goes before Playback Exited (or Interrupted), the session's last message.
        """
        name = self.settings.summary_event
        if properties is None or name is None:
            return
        content = self._playback.content
        if "asset_id" not in properties and content is not None and content.asset_id:
            properties = {"asset_id": content.asset_id, **properties}
        message = self._enveloped(name, properties, at)
        outbox = self.outbox
        if before_last and outbox is not None and len(outbox) >= 2:
            outbox[-2], outbox[-1] = message, outbox[-2]

    def deliver(self, sink: Sink) -> None:
        """Hand the outbox to ``sink`` in order (a :class:`SinkError` keeps the rest)."""
        outbox = self.outbox
        if outbox is None:
            return
        emit = sink.emit
        for index, message in enumerate(outbox):
            try:
                emit(message)
            except Exception as exc:
                del outbox[:index]
                raise caused_by(SinkError(message, exc), exc)  # noqa: B904
        self.outbox = None  # None, not an empty list: the fast path tests it without a load

    def _current_facts(self) -> FactSet:
        """The fact set for the playback as it is now: the last message's, while it holds."""
        settings = self.settings
        keys = group_keys(self._playback, settings.heartbeat)
        fact_set = self._fact_set
        if fact_set is None or keys != fact_set.keys:
            cache = settings.profile.fact_cache
            fact_set = self._fact_set = cache.fact_set(keys, self._playback, settings.heartbeat)
        return fact_set

    def heartbeat(self, at: float, in_ad: bool) -> None:
        """Video Content Playing, or Video Ad Playing in an ad."""
        self.emit(kind.AD_PLAYING if in_ad else kind.CONTENT_PLAYING, at)

    def milestone(self, percent: Percent, at: float) -> None:
        """A progress milestone of the content, reached at ``at``."""
        length = self._playback.head.length
        assert length is not None
        position = threshold(percent, length)
        self.emit(
            kind.CONTENT_MILESTONE,
            at,
            milestone=percent,
            content_position=position,
            content_timecode=position,
        )

    def quartile(self, quartile: int, at: float) -> None:
        """Quartile 1, 2 or 3 of the ad playing, reached at ``at``."""
        ad = self._playback.ad
        assert ad is not None and ad.head.length is not None
        self.emit(
            kind.AD_QUARTILE, at, quartile=quartile, ad_position=ad.head.length * quartile / 4
        )
