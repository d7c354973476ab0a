"""The slow-changing facts of a message, worked out once and shared by like sessions.

A message is made of facts (see :mod:`vtrack.profiles.base`). Those that change from event to
event (time, positions) are read fresh each time; the others fall in three groups that change
at different moments: the content (item, pod, playlist, length), the ad (pod, ad, the
playback's total length) and the quality. Each group is looked up by *what it is made of*
(its key, built from the playback state for every message), so nothing has to be told that a
fact changed, and sessions in the same situation share one :class:`FactSet` with the layouts
the profile made of it. Every cache lives in one :class:`FactCache` per profile (what the
layouts are made of), each table bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from vtrack.core.playback import QUALITY_FIELDS, PlaybackState

if TYPE_CHECKING:
    from vtrack.core.content import Content
    from vtrack.profiles.base import Plan, Profile

#: How many entries each table of a :class:`FactCache` keeps before it starts afresh.
SHARED_LAYOUTS_LIMIT: Final = 4096

#: Key of the three groups: what the content, ad and quality facts are made of.
GroupKeys = tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]


def group_keys(playback: PlaybackState, heartbeat: int) -> GroupKeys:
    """What the content, ad and quality facts of ``playback`` are made of, now."""
    ad, ads, items = playback.ad, playback.ads, playback.items
    # The parts a playback makes only when it needs them, read here without their properties
    # (this runs for every message): what they say when absent is theirs to say, see
    # PlaybackState.pod_index, .playlist and .brk.
    pod_index, brk = (0, None) if ads is None else (ads.pod_index, ads.brk)
    return (
        # The length is a float or None (vtrack.core.content.usable_length): no 1 / 1.0 / True.
        (
            playback.content,
            pod_index,
            () if items is None else items.playlist,
            playback.head.length,
            heartbeat,
        ),
        (playback.total_length(), brk, None if ad is None else ad.info),
        playback.quality_key,
    )


def content_facts(playback: PlaybackState, heartbeat: int) -> dict[str, Any]:
    """The content group: the item, its pod, the playlist, its metadata."""
    content, length = playback.content, playback.head.length
    facts: dict[str, Any] = {
        "heartbeat": heartbeat,
        "live": content is not None and content.live,
        "content_total_length": length,
    }
    if content is not None:
        schedule = content.ad_schedule
        facts.update(
            content_asset_id=content.asset_id,
            content_pod_id=playback.content_pod_id(),
            content_asset_ids=playback.playlist
            or ((content.asset_id,) if content.asset_id else None),
            content_pod_ids=content.pod_ids or None,
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


def ad_facts(playback: PlaybackState) -> dict[str, Any]:
    """The ad group: the pod, the ad, and the playback's total length (ads included)."""
    facts: dict[str, Any] = {"playback_total_length": playback.total_length()}
    brk, ad = playback.brk, playback.ad
    if brk is not None:
        facts.update(ad_pod_id=brk.pod_id, ad_type=brk.type, ad_pod_length=brk.ad_count)
    if ad is not None:
        info = ad.info
        facts.update(
            ad_asset_id=info.asset_id,
            ad_pod_position=info.pod_position,
            ad_title=info.title,
            ad_publisher=info.publisher,
            ad_total_length=info.length,
            ad_load_type=info.load_type,
        )
    return facts


def quality_facts(playback: PlaybackState) -> dict[str, Any]:
    """The quality group: bitrate, frame rate, quality, dropped frames, sound, full screen."""
    return dict(zip(QUALITY_FIELDS, playback.quality, strict=True))


def slow_facts(playback: PlaybackState, heartbeat: int, session_id: str) -> dict[str, Any]:
    """Every slow-changing fact of ``playback``, worked out afresh (no cache)."""
    return {
        "session_id": session_id,
        **content_facts(playback, heartbeat),
        **ad_facts(playback),
        **quality_facts(playback),
    }


class FactSet:
    """The slow-changing facts of sessions in one situation, and their cacheable layouts.

    Nothing in a fact set ever changes but ``statics``, which only grows.
    """

    __slots__ = ("facts", "groups", "keys", "statics")

    def __init__(self, keys: GroupKeys, groups: tuple[dict[str, Any], ...]) -> None:
        #: What the groups are made of (sessions compare theirs with it, holding nothing more).
        self.keys = keys
        #: The content, ad and quality facts (shared dicts: do not change them).
        self.groups = groups
        #: The three groups merged (no session id: each event brings it).
        self.facts: dict[str, Any] = {}
        for group in groups:
            self.facts.update(group)
        #: The cacheable part of the properties, by :attr:`Plan.static_id`.
        self.statics: dict[int, dict[str, Any]] = {}


class FactCache:
    """Fact groups, fact sets and cacheable layouts, shared by the sessions of one profile.

    Every table is keyed by what its entries are made of, and bounded by ``limit``.
    """

    __slots__ = ("_by_inputs", "_contents", "_fact_sets", "_groups", "limit")

    def __init__(self, limit: int = SHARED_LAYOUTS_LIMIT) -> None:
        self.limit = limit
        #: Contents by value: sessions showing equal contents hold one object, so the keys of
        #: their facts compare by identity.
        self._contents: dict[Content, Content] = {}
        #: Per group (content, ad, quality): its key -> its facts.
        self._groups: tuple[dict[Any, dict[str, Any]], ...] = ({}, {}, {})
        #: Ids of the three group dicts -> their fact set (which holds them: no id is reused).
        self._fact_sets: dict[tuple[int, ...], FactSet] = {}
        #: (plan, ids of the groups its layout reads) -> (the layout, those groups, held).
        self._by_inputs: dict[tuple[int, ...], tuple[dict[str, Any], tuple[Any, ...]]] = {}

    def canonical(self, content: Content) -> Content:
        """The content equal to ``content`` that sessions already hold (else ``content``)."""
        contents = self._contents
        try:
            found = contents.get(content)
        except TypeError:
            return content  # an unhashable custom property: kept apart
        if found is None:
            if len(contents) >= self.limit:
                contents.clear()
            found = contents[content] = content
        return found

    def fact_set(self, keys: GroupKeys, playback: PlaybackState, heartbeat: int) -> FactSet:
        """The fact set of a session whose groups are made of ``keys``."""
        groups = (
            self._group(0, keys[0], lambda: content_facts(playback, heartbeat)),
            self._group(1, keys[1], lambda: ad_facts(playback)),
            self._group(2, keys[2], lambda: quality_facts(playback)),
        )
        ids = (id(groups[0]), id(groups[1]), id(groups[2]))
        found = self._fact_sets.get(ids)
        if found is None:
            if len(self._fact_sets) >= self.limit:
                self._fact_sets.clear()
            found = self._fact_sets[ids] = FactSet(keys, groups)
        return found

    def _group(self, group: int, key: Any, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        table = self._groups[group]
        try:
            found = table.get(key)
        except TypeError:
            return build()  # an unhashable custom property: kept apart
        if found is None:
            if len(table) >= self.limit:
                table.clear()
            found = table[key] = build()
        return found

    def static(
        self,
        profile: Profile,
        kind: str,
        plan: Plan,
        fact_set: FactSet,
        session_id: str,
    ) -> dict[str, Any]:
        """The cacheable part of ``kind``'s properties for ``fact_set`` (do not change it).

        Fact sets that differ only in groups this kind does not read share the result.
        """
        inputs = tuple(fact_set.groups[group] for group in plan.group_order)
        key = (plan.static_id, *map(id, inputs))
        known = self._by_inputs.get(key)
        if known is not None:
            static = known[0]
        else:
            static = profile.static_properties(kind, {"session_id": session_id, **fact_set.facts})
            if len(self._by_inputs) >= self.limit:
                self._by_inputs.clear()
            self._by_inputs[key] = (static, inputs)
        fact_set.statics[plan.static_id] = static
        return static

    def __reduce__(self) -> tuple[type[FactCache], tuple[int]]:
        """A cache is pickled empty (Spark sends settings to its executors): its entries are
        made again where they are needed, and the same messages come of them."""
        return FactCache, (self.limit,)

    def __len__(self) -> int:
        """How many entries the tables hold in all."""
        groups = sum(len(table) for table in self._groups)
        return groups + len(self._contents) + len(self._fact_sets) + len(self._by_inputs)
