"""What a profile is: event names and property layouts, as data.

The session does not know how any analytics tool spells an event or lays out its
properties. For every event it decides to send it names an event *kind* (below) and hands over
the *facts* of the moment (a flat dict: ``content_position``, ``ad_asset_id``, ...). A
:class:`Profile` turns that into an event name and a properties object, or drops the event
when the tool has no such event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

import attrs

from vtrack.core.facts import FactCache
from vtrack.core.playback import QUALITY_FIELDS
from vtrack.profiles.layout import Fill, Layout, compile_fill, compile_layout

# Event kinds: what happened, independent of how a tool names it.
PLAYBACK_STARTED: Final = "playback_started"
PLAYBACK_PAUSED: Final = "playback_paused"
PLAYBACK_PAUSED_AT_END: Final = "playback_paused_at_end"
PLAYBACK_RESUMED: Final = "playback_resumed"
BUFFER_STARTED: Final = "buffer_started"
BUFFER_COMPLETED: Final = "buffer_completed"
SEEK_STARTED: Final = "seek_started"
SEEK_COMPLETED: Final = "seek_completed"
PLAYBACK_INTERRUPTED: Final = "playback_interrupted"
PLAYBACK_EXITED: Final = "playback_exited"
PLAYBACK_COMPLETED: Final = "playback_completed"
CONTENT_STARTED: Final = "content_started"
CONTENT_PLAYING: Final = "content_playing"  # heartbeat
CONTENT_COMPLETED: Final = "content_completed"  # the content reached its end
CONTENT_MILESTONE: Final = "content_milestone"
AD_STARTED: Final = "ad_started"
AD_PLAYING: Final = "ad_playing"  # heartbeat
AD_QUARTILE: Final = "ad_quartile"
AD_COMPLETED: Final = "ad_completed"
AD_SKIPPED: Final = "ad_skipped"
AD_CLICKED: Final = "ad_clicked"
AD_FAILED: Final = "ad_failed"
QUALITY_UPDATED: Final = "quality_updated"

KINDS: Final = (
    PLAYBACK_STARTED,
    PLAYBACK_PAUSED,
    PLAYBACK_PAUSED_AT_END,
    PLAYBACK_RESUMED,
    BUFFER_STARTED,
    BUFFER_COMPLETED,
    SEEK_STARTED,
    SEEK_COMPLETED,
    PLAYBACK_INTERRUPTED,
    PLAYBACK_EXITED,
    PLAYBACK_COMPLETED,
    CONTENT_STARTED,
    CONTENT_PLAYING,
    CONTENT_COMPLETED,
    CONTENT_MILESTONE,
    AD_STARTED,
    AD_PLAYING,
    AD_QUARTILE,
    AD_COMPLETED,
    AD_SKIPPED,
    AD_CLICKED,
    AD_FAILED,
    QUALITY_UPDATED,
)


def _flag(value: Any) -> int:
    return 1 if value else 0


def _true_only(value: Any) -> bool | None:
    return True if value else None


#: How a fact's value is written into a property. A writer returning None leaves it out.
WRITERS: Final[Mapping[str, Callable[[Any], Any]]] = {
    "raw": lambda value: value,
    "floor": math.floor,  # whole seconds, rounded down (Segment spec and seed 004: integers)
    "round": round,
    "str": str,
    "bool": bool,
    "flag": _flag,  # Vimeo OTT's booleans: 1 or 0
    "true_only": _true_only,  # livestream: true, or left out
    "list": list,
}


@attrs.frozen
class Field:
    """One property: ``key`` in the output, taken from ``fact`` and written by ``write``.

    ``nested`` builds an object from other fields instead of reading one fact (the ``content``
    object of ad events); ``value`` is a constant (Vimeo OTT's ``type: "video"``).
    """

    key: str
    fact: str | None = None
    write: str = attrs.field(default="raw", validator=attrs.validators.in_(WRITERS))
    nested: tuple[Field, ...] | None = None
    value: Any = None


#: Facts that change from one event to the next; all others only when the session's content,
#: pod, ad or quality changes, so a session may cache what a profile makes of them.
DYNAMIC_FACTS: Final = frozenset(
    {
        "event_name",
        "epoch",
        "content_position",
        "content_timecode",
        "playback_position",
        "ad_position",
        "milestone",
        "quartile",
        "seek_position",
        "method",
        "skipped",
    }
)


#: Facts that never change within a session but differ between sessions. They are left out of
#: the cacheable part (as ``None``, so the properties keep their order) and written per event,
#: so sessions showing the same content with the same quality share one cached layout.
SESSION_FACTS: Final = frozenset({"session_id"})

#: The other facts fall in three groups that change at different moments; a session works out
#: again only the groups that changed (see :mod:`vtrack.core.facts`). Group 0 is the content (the
#: default).
CONTENT_GROUP, AD_GROUP, QUALITY_GROUP = 0, 1, 2
FACT_GROUPS: Final = {
    **dict.fromkeys(
        (
            "ad_asset_id",
            "ad_pod_id",
            "ad_type",
            "ad_pod_position",
            "ad_pod_length",
            "ad_title",
            "ad_publisher",
            "ad_total_length",
            "ad_load_type",
            "playback_total_length",
        ),
        AD_GROUP,
    ),
    **dict.fromkeys(QUALITY_FIELDS, QUALITY_GROUP),
}


def _groups(fields: tuple[Field, ...]) -> frozenset[int]:
    found: set[int] = set()
    for field in fields:
        if field.nested is not None:
            found |= _groups(field.nested)
        elif field.fact is not None:
            found.add(FACT_GROUPS.get(field.fact, CONTENT_GROUP))
    return frozenset(found)


def _is_dynamic(field: Field) -> bool:
    if field.nested is not None:
        return any(_is_dynamic(inner) for inner in field.nested)
    return field.fact in DYNAMIC_FACTS


class Plan(NamedTuple):
    """How a profile sends one kind, worked out once so each event just follows it."""

    #: The event name; ``None`` for milestones, named per percentage (:meth:`Profile.event_name`).
    name: str | None
    #: Kinds with the same id have the same :meth:`Profile.static_properties` for the same facts.
    static_id: int
    #: The fact groups (content, ad, quality) the cacheable part reads.
    groups: frozenset[int]
    #: ``(property, fact)`` for each :data:`SESSION_FACTS` property, filled in per event.
    session_fields: tuple[tuple[str, str], ...]
    #: The same groups, in order (a cache of this kind's layouts is keyed by them).
    group_order: tuple[int, ...]
    #: Completes a copy of the cacheable part: the :data:`SESSION_FACTS` and
    #: :data:`DYNAMIC_FACTS` properties, and fresh copies of its lists.
    fill: Fill
    #: ``(property, layout)`` of nested objects, which read every fact.
    nested: tuple[tuple[str, Layout], ...]


@attrs.frozen
class Profile:
    """A tool's vocabulary: event names per kind and the property layout of each kind.

    A kind missing from ``event_names`` is not sent. A milestone event is named by
    ``milestone_names`` for its percentage, or else by the milestone kind's name used as a
    format string (``{percent}`` is the percentage). ``extra`` lists the kinds into which the
    content's ``extra`` properties are copied.
    """

    name: str
    event_names: Mapping[str, str]
    layouts: Mapping[str, tuple[Field, ...]]
    milestone_names: Mapping[float, str] = attrs.field(factory=dict)
    extra: frozenset[str] = frozenset()
    #: The :class:`Plan` of every kind this profile sends.
    plans: Mapping[str, Plan] = attrs.field(init=False, eq=False, repr=False)
    #: The facts and layouts the sessions of this profile share (:mod:`vtrack.core.facts`).
    fact_cache: FactCache = attrs.field(init=False, eq=False, repr=False)
    _static: Mapping[str, Layout] = attrs.field(init=False, eq=False, repr=False)
    _dynamic_keys: Mapping[str, frozenset[str]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        missing = set(self.event_names) - set(self.layouts)
        if missing:
            raise ValueError(f"profile {self.name!r} names kinds without a layout: {missing}")
        plans: dict[str, Plan] = {}
        static: dict[str, Layout] = {}
        dynamic_keys: dict[str, frozenset[str]] = {}
        shared: dict[tuple[Any, ...], tuple[int, Layout]] = {}
        for kind, fields in self.layouts.items():
            moving = tuple(f for f in fields if _is_dynamic(f))
            still = tuple(f for f in fields if f not in moving)
            # Kinds whose cacheable part is the same (Paused, Resumed, Buffer ..., all laid
            # out as playback events) share one compiled layout and one cache entry.
            extra = kind in self.extra
            key = (still, extra, frozenset(f.key for f in moving) if extra else frozenset())
            if key not in shared:
                shared[key] = (len(shared), compile_layout(still, WRITERS))
            static_id, static[kind] = shared[key]
            dynamic_keys[kind] = frozenset(f.key for f in moving)
            if kind not in self.event_names:
                continue
            name = self.event_names[kind]
            session_fields = tuple(
                (f.key, f.fact)
                for f in still
                if f.fact in SESSION_FACTS and f.write == "raw" and f.nested is None
            )
            groups = _groups(still) | ({CONTENT_GROUP} if extra else frozenset())
            plans[kind] = Plan(
                name=None if kind == CONTENT_MILESTONE else name,
                static_id=static_id,
                groups=groups,
                group_order=tuple(sorted(groups)),
                session_fields=session_fields,
                fill=compile_fill(
                    tuple(f for f in moving if f.nested is None),
                    session_fields,
                    tuple(f.key for f in still if f.write == "list"),
                    WRITERS,
                ),
                nested=tuple(
                    (f.key, compile_layout(f.nested, WRITERS))
                    for f in moving
                    if f.nested is not None
                ),
            )
        object.__setattr__(self, "plans", plans)
        object.__setattr__(self, "fact_cache", FactCache())
        object.__setattr__(self, "_static", static)
        object.__setattr__(self, "_dynamic_keys", dynamic_keys)

    def event_name(self, kind: str, milestone: float | None = None) -> str | None:
        """The event name for ``kind``, or ``None`` when this profile does not send it."""
        name = self.event_names.get(kind)
        if name is None or kind != CONTENT_MILESTONE:
            return name
        return self.milestone_names.get(milestone or 0.0) or name.format(percent=milestone)

    def properties(self, kind: str, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Lay the facts of one event out as this profile's properties object."""
        return self.complete(kind, self.static_properties(kind, facts), facts, facts)

    def static_properties(self, kind: str, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The part of the properties made of facts outside :data:`DYNAMIC_FACTS` (cacheable).

        Custom ``extra`` properties are included here; they never replace a layout's own.
        Properties from :data:`SESSION_FACTS` are ``None`` here (:meth:`complete` fills them
        in). The result may be shared with other sessions: it must not be changed.
        """
        out = self._static[kind](facts)
        if kind in self.extra:
            extra = facts.get("extra")
            if extra:
                dynamic_keys = self._dynamic_keys[kind]
                for key, value in extra.items():
                    if key not in dynamic_keys:
                        out.setdefault(key, value)
        plan = self.plans.get(kind)
        if plan is None:
            return out
        for key, _ in plan.session_fields:
            out[key] = None
        return out

    def complete(
        self,
        kind: str,
        static: dict[str, Any],
        moment: Mapping[str, Any],
        facts: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A fresh properties object: a copy of ``static`` plus the dynamic facts laid out.

        ``moment`` holds the :data:`DYNAMIC_FACTS` and :data:`SESSION_FACTS` of this event;
        ``facts`` the others, which only nested objects (the ``content`` of ad events) need
        besides.
        """
        return complete(self.plans[kind], static, moment, facts)


def complete(
    plan: Plan,
    static: dict[str, Any],
    moment: Mapping[str, Any],
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """:meth:`Profile.complete` for a kind whose plan is at hand (the emission hot path)."""
    out = static.copy()
    plan.fill(out, moment)
    for key, layout in plan.nested:
        out[key] = layout({**facts, **moment} if facts else moment)
    return out
