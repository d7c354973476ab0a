"""The few fields of a session that nearly every callback reads, kept side by side.

A replay of a busy log touches thousands of sessions in turn, so each callback starts with
its session out of the CPU cache. Python lays slots out in declaration order, base class
first: declaring these here, at the root of the session's classes, puts them on the object's
first two cache lines instead of five (the interleaved benchmark's timeupdates run about a
quarter faster). Nothing else belongs here.
"""

from __future__ import annotations


class HotState:
    """Slots only; :class:`vtrack.Session` and its mixins give them their meaning."""

    __slots__ = (
        "_content_head",
        "_deadline",
        "_due",
        "_due_index",
        "_hb_due",
        "_last_at",
        "_milestone_index",
        "_milestone_target",
        "_outbox",
        "state",
    )
