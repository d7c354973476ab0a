"""Building the messages a session sends: facts, profile layouts, envelope, messageIds.

Mixed into :class:`vtrack.Session`. A message is built from *facts*. The slow-changing ones
fall in three groups (content, ad, quality); a session holds them as a shared
:class:`~vtrack.profiles.base.FactSet`, which also keeps what the profile laid out of them, and
finds its fact set again when the session says a group changed (:meth:`Emission._forget_facts`).
Positions and times are read fresh for every event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from vtrack.core import machine as m
from vtrack.core.hot_state import HotState
from vtrack.core.messages import message_id_from, message_id_hasher, track_message
from vtrack.profiles import base as kind
from vtrack.profiles.base import (
    AD_GROUP,
    CONTENT_GROUP,
    QUALITY_GROUP,
    SHARED_LAYOUTS_LIMIT,
    FactSet,
    Plan,
    complete,
    shared_facts,
)

if TYPE_CHECKING:
    from vtrack.core.content import Content
    from vtrack.core.playhead import Playhead
    from vtrack.core.schedule import HeartbeatSchedule
    from vtrack.core.session_actions import AdBreak, AdPlay
    from vtrack.core.settings import Settings


class Emission(HotState):
    """How a session turns an event kind and a moment into a stored message."""

    __slots__ = ("_fact_set", "_id_hasher", "_seq", "_stale_groups")

    if TYPE_CHECKING:  # provided by Session and SessionActions
        settings: Settings
        state: str
        session_id: str
        identity_key: str
        identity: str
        _hb: HeartbeatSchedule
        _start_at: float | None
        _content: Content | None
        _content_head: Playhead
        _ad: AdPlay | None
        _break: AdBreak | None
        _prior_length: float
        _ads_seen: float
        _ad_total: float | None
        _playlist: tuple[str, ...]
        _pod_index: int
        _bitrate: float | None
        _framerate: float | None
        _quality: str | None
        _dropped: float | None
        _startup: float | None
        _sound: float | None
        _full_screen: bool | None

    def _init_emission(self) -> None:
        self._seq = 0  # messages made so far: the sequence number in the next messageId
        #: Messages made but not yet taken by the sink; None when there are none.
        self._outbox: list[dict[str, Any]] | None = None
        #: The slow-changing facts as last worked out, shared with like sessions (None: never).
        self._fact_set: FactSet | None = None
        #: Bit ``1 << group`` set: that group changed since ``_fact_set`` was worked out.
        self._stale_groups = 0
        self._id_hasher: Any = None

    # ------------------------------------------------------------------ emission
    def _emit_heartbeat(self, at: float) -> None:
        self._emit(kind.AD_PLAYING if self.state == m.AD_PLAYING else kind.CONTENT_PLAYING, at)

    def _fire_milestone(self, index: int, at: float) -> None:
        tracker = self._content_head.tracker
        assert tracker is not None
        if index < tracker.done:
            return  # once only: a position report already fired it
        tracker.fire(index)
        self._emit_milestone(index, at)

    def _emit_milestone(self, index: int, at: float) -> None:
        tracker, length = self._content_head.tracker, self._content_head.length
        assert tracker is not None and length is not None
        percent = tracker.percents[index]
        threshold = percent * length / 100.0
        self._emit(
            kind.CONTENT_MILESTONE,
            at,
            milestone=percent,
            content_position=threshold,
            content_timecode=threshold,
        )

    def _fire_quartile(self, index: int, at: float) -> None:
        ad = self._ad
        assert ad is not None and ad.head.tracker is not None and ad.head.length is not None
        ad.head.tracker.fire(index)
        quartile = index + 1
        self._emit(
            kind.AD_QUARTILE, at, quartile=quartile, ad_position=ad.head.length * quartile / 4
        )

    def _emit(self, event_kind: str, at: float, **overrides: Any) -> None:
        profile = self.settings.profile
        plan = profile.plans.get(event_kind)
        if plan is None:
            return  # the profile does not send this kind
        name = plan.name
        if name is None:
            name = profile.event_name(event_kind, overrides["milestone"])
            assert name is not None
        moment = self._moment(at, name)
        if overrides:
            moment.update(overrides)
        fact_set = self._fact_set
        if fact_set is None or self._stale_groups:
            fact_set = self._current_fact_set()
        static = fact_set.statics.get(plan.static_id)
        if static is None:
            static = self._static_properties(plan, event_kind, fact_set)
        hasher = self._id_hasher
        if hasher is None:
            assert self._start_at is not None
            hasher = message_id_hasher(self.identity, self.session_id, self._start_at)
            self._id_hasher = hasher
        message = track_message(
            name,
            self.identity_key,
            self.identity,
            complete(plan, static, moment, fact_set.facts if plan.nested else None),
            at,
            message_id_from(hasher, self._seq),
            self.settings.context,
            self.settings.integrations,
        )
        self._seq += 1
        outbox = self._outbox
        if outbox is None:
            self._outbox = [message]
        else:
            outbox.append(message)

    def _static_properties(self, plan: Plan, event_kind: str, fact_set: FactSet) -> dict[str, Any]:
        """The cacheable part of ``event_kind``'s properties, kept in the session's fact set.

        Fact sets that differ only in groups this kind does not read share the result too.
        """
        groups = fact_set.groups
        static = self.settings.profile.static_for(
            event_kind, tuple(groups[group] for group in plan.group_order), self._facts
        )
        fact_set.statics[plan.static_id] = static
        return static

    def _current_fact_set(self) -> FactSet:
        """The session's fact set, found again after one of its groups changed."""
        known, stale = self._fact_set, self._stale_groups
        groups = _NO_GROUPS if known is None else known.groups
        if known is None:
            stale = _ALL_GROUPS
        fact_set = self._fact_set = self.settings.profile.fact_set(
            (
                self._shared_content_facts() if stale & _CONTENT_BIT else groups[0],
                shared_facts(AD_GROUP, self._ad_facts()) if stale & _AD_BIT else groups[1],
                self._shared_quality_facts() if stale & _QUALITY_BIT else groups[2],
            )
        )
        self._stale_groups = 0
        return fact_set

    def _moment(self, at: float, name: str) -> dict[str, Any]:
        """The facts that change from event to event: time, name and positions."""
        head, ad, content = self._content_head, self._ad, self._content
        position = head.pos
        ad_position = ad.head.pos if ad is not None else 0.0
        facts = {
            "session_id": self.session_id,
            "event_name": name,
            "epoch": at,
            "content_position": position,
            "content_timecode": 0 if content is not None and content.live else position,
            "playback_position": self._prior_length + position + self._ads_seen + ad_position,
        }
        if ad is not None:
            facts["ad_position"] = ad_position
        return facts

    def _facts(self) -> dict[str, Any]:
        """Every slow-changing fact, as the session's fact set holds them."""
        fact_set = self._fact_set
        if fact_set is None or self._stale_groups:
            fact_set = self._current_fact_set()
        return {"session_id": self.session_id, **fact_set.facts}

    def _forget_facts(self, *groups: int) -> None:
        """Facts of these groups (content, ad, quality) changed: the fact set is stale."""
        for group in groups:
            self._stale_groups |= 1 << group

    def _slow_facts(self) -> dict[str, Any]:
        """Every slow-changing fact, worked out afresh."""
        return {
            "session_id": self.session_id,
            **self._content_facts(),
            **self._ad_facts(),
            **self._quality_facts(),
        }

    def _content_facts(self) -> dict[str, Any]:
        content, length = self._content, self._content_head.length
        facts: dict[str, Any] = {
            "heartbeat": self.settings.heartbeat,
            "live": content is not None and content.live,
            "content_total_length": length,
        }
        if content is not None:
            pods = content.pod_ids
            schedule = content.ad_schedule
            facts.update(
                content_asset_id=content.asset_id,
                content_pod_id=self._content_pod_id(),
                content_asset_ids=self._playlist
                or ((content.asset_id,) if content.asset_id else None),
                content_pod_ids=pods or None,
                scheduled_ad_asset_ids=[a.asset_id for a in schedule if a.asset_id] or None,
                scheduled_ad_pod_ids=list(dict.fromkeys(a.pod_id for a in schedule if a.pod_id))
                or None,
                title=content.title,
                program=content.program,
                description=content.description,
                season=content.season,
                episode=content.episode,
                genre=content.genre,
                publisher=content.publisher,
                channel=content.channel,
                full_episode=content.full_episode,
                airdate=content.airdate,
                keywords=content.keywords or None,
                video_player=content.video_player,
                ad_enabled=content.ad_enabled,
                extra=content.extra,
            )
        return facts

    def _content_pod_id(self) -> str | None:
        """The content pod playing (the last one once the player has gone past them all)."""
        content = self._content
        pods = content.pod_ids if content is not None else ()
        return pods[min(self._pod_index, len(pods) - 1)] if pods else None

    def _ad_facts(self) -> dict[str, Any]:
        ad, brk, length = self._ad, self._break, self._content_head.length
        facts: dict[str, Any] = {
            "playback_total_length": (
                None
                if length is None or self._ad_total is None
                else self._prior_length + length + self._ad_total
            ),
        }
        if brk is not None:
            facts.update(ad_pod_id=brk.pod_id, ad_type=brk.type, ad_pod_length=brk.ad_count)
        if ad is not None:
            facts.update(
                ad_asset_id=ad.asset_id,
                ad_pod_position=ad.pod_position,
                ad_title=ad.title,
                ad_publisher=ad.publisher,
                ad_total_length=ad.head.length,
                ad_load_type=ad.load_type,
            )
        return facts

    def _quality_facts(self) -> dict[str, Any]:
        return {
            "bitrate": self._bitrate,
            "framerate": self._framerate,
            "quality": self._quality,
            "dropped_frames": self._dropped,
            "startup_time": self._startup,
            "sound": self._sound,
            "full_screen": self._full_screen,
        }

    def _shared_quality_facts(self) -> dict[str, Any]:
        """The quality group's facts, found by their values when known already."""
        values = (
            self._bitrate,
            self._framerate,
            self._quality,
            self._dropped,
            self._startup,
            self._sound,
            self._full_screen,
        )
        # Types in the key: 1, 1.0 and True are equal but must not stand in for each other.
        key = (values, tuple(map(type, values)))
        known = _QUALITY_FACTS.get(key)
        if known is None:
            known = shared_facts(QUALITY_GROUP, self._quality_facts())
            if len(_QUALITY_FACTS) >= SHARED_LAYOUTS_LIMIT:
                _QUALITY_FACTS.clear()
            _QUALITY_FACTS[key] = known
        return known

    def _shared_content_facts(self) -> dict[str, Any]:
        """The content group's facts, found by what they are made of when known already.

        Working them out and finding the equal dict another session holds costs about 10 us
        (custom properties, lists); sessions showing the same content object at the same pod
        look them up by that instead.
        """
        content, length = self._content, self._content_head.length
        key = (
            id(content),
            self._content_pod_id(),
            self._playlist,
            type(length),
            length,
            self.settings.heartbeat,
        )
        known = _CONTENT_FACTS.get(key)
        if known is not None:
            return known[0]
        facts = shared_facts(CONTENT_GROUP, self._content_facts())
        if len(_CONTENT_FACTS) >= SHARED_LAYOUTS_LIMIT:
            _CONTENT_FACTS.clear()
        # The entry holds the content, so no other object can take its id while it lasts.
        _CONTENT_FACTS[key] = (facts, content)
        return facts


#: Content facts by what they are made of: (id of the content, pod id, playlist, length type,
#: length, heartbeat) -> (the shared facts, the content, kept alive).
_CONTENT_FACTS: dict[tuple[Any, ...], tuple[dict[str, Any], Content | None]] = {}

#: Quality facts by their values (and the values' types).
_QUALITY_FACTS: dict[tuple[Any, ...], dict[str, Any]] = {}

#: Bits of :attr:`Emission._stale_groups`.
_CONTENT_BIT: Final = 1 << CONTENT_GROUP
_AD_BIT: Final = 1 << AD_GROUP
_QUALITY_BIT: Final = 1 << QUALITY_GROUP
_ALL_GROUPS: Final = _CONTENT_BIT | _AD_BIT | _QUALITY_BIT
_NO_GROUPS: Final[tuple[dict[str, Any], ...]] = ()
