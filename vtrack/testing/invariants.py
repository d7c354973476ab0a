"""Rules every stream of video events must follow, as functions anyone can call.

They read only the emitted messages (what a downstream consumer sees), so they check vtrack,
a hand-written player wrapper, or a warehouse table alike::

    from vtrack.testing import check_invariants
    check_invariants(sink.messages, heartbeat=10)   # raises InvariantViolation

The rules, per player session (its viewer and ``session_id``):

- ``unique-ids``: no two messages share a messageId;
- ``timestamp``: every message has an ISO 8601 timestamp; ``time-order``: they never go back;
- ``started-first``: Video Playback Started comes first, and once;
- ``after-completed``: nothing but Video Playback Exited follows Video Playback Completed;
- ``after-exit``: nothing follows Video Playback Exited or Interrupted (but a new session
  under the same id, which starts with Video Playback Started);
- ``position-range``: positions are whole seconds, >= 0 and <= ``total_length`` (Segment);
- ``milestones``: each progress milestone once per content item (counted by its start), in
  ascending order, and not sent before its position;
- ``heartbeat-playing``: content heartbeats only while content plays, ad heartbeats only
  while an ad plays (and none when ``heartbeat`` is 0);
- ``heartbeat-spacing``: with ``heartbeat`` given, a pod's first heartbeat comes that many
  seconds of playing time after it starts, one comes at once on resume, then one every
  ``heartbeat`` s of playing time; no pod plays longer without one. Playing time is read
  from the events. Where a stop shows in none (an ad pod starting, an ad failing, a pod
  ending, the next playlist item loading) the count is unknown until an event shows the
  state again. One stop shows in nothing at all: an ad pod without a single ad (an empty
  ad response). For streams that may hold one, leave ``heartbeat`` out and, knowing when
  the pods played, use :func:`check_heartbeat_timing`;
- ``schema``: each message satisfies its event's schema in seed 004 (Segment profile only).

:class:`InvariantChecker` checks a stream as it comes (each message once), for property tests
that check after every step and for streams too long to hold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from vtrack.core.schedule import HEARTBEAT_INTERVALS
from vtrack.testing.timeline import (
    AD_PLAYING,
    FINAL_EVENTS,
    MILESTONE_EVENT,
    PlayerState,
    SessionKeys,
    epoch_seconds,
    is_heartbeat,
)

#: Seconds of slack for comparing times (messages carry milliseconds).
TIME_TOLERANCE: Final = 2e-3
#: Events after which a pod's heartbeat count starts again.
HEARTBEAT_RESTARTS: Final = frozenset(
    {
        "Video Playback Started",
        "Video Content Started",
        "Video Ad Started",
        "Video Ad Completed",
        "Video Ad Failed",
        "Video Playback Resumed",
    }
)
PROFILES: Final = ("segment", "vimeo-ott")
#: Where the heartbeat count restarts from, after each restart event.
_RESTART_MARKS: Final = {
    "Video Content Started": "start",
    "Video Ad Started": "start",
    "Video Playback Resumed": "resume",
}
#: Events that come only while the pod kept playing up to them (so a heartbeat was due).
_SHOWS_PLAYBACK_WENT_ON: Final = frozenset(
    {
        "Video Playback Buffer Started",
        "Video Playback Seek Started",
        "Video Content Completed",
    }
)


@attrs.frozen
class Violation:
    """One broken rule: which, at which message (index into the checked stream), and why."""

    rule: str
    index: int
    detail: str
    event: str = ""

    def __str__(self) -> str:
        return f"message {self.index} ({self.event}): [{self.rule}] {self.detail}"


class InvariantViolation(AssertionError):
    """Raised by :func:`check_invariants`; ``violations`` lists every broken rule."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = [str(v) for v in self.violations[:20]]
        if len(self.violations) > 20:
            lines.append(f"... and {len(self.violations) - 20} more")
        super().__init__(f"{len(self.violations)} invariant violation(s):\n" + "\n".join(lines))


@attrs.define
class _SessionTrack:
    """What the checker remembers of one player session."""

    player: PlayerState
    started: bool = False
    closed: bool = False
    completed: bool = False
    last_at: float | None = None
    #: The content item (counted by its starts) and the last milestone each item reached.
    item: int = 0
    milestones: dict[int, float] = attrs.Factory(dict)
    #: Vimeo OTT: the title and duration last shown (they tell its items apart).
    shown: tuple[Any, Any] | None = None
    #: Playing seconds of the current pod since the heartbeat count's last mark.
    playing_since_mark: float = 0.0
    #: What that mark was: a heartbeat (``"beat"``), a pod's start (``"start"``), a resume
    #: (``"resume"``, whose heartbeat comes at once), or ``None``: not known (somewhere in an
    #: ad pod's end, which no event marks), so the next heartbeat is not checkable.
    mark: str | None = None
    #: Whether this stretch was already reported as too long without a heartbeat.
    overdue_told: bool = False


class InvariantChecker:
    """Checks messages one at a time against the rules (see the module's docstring).

    ``heartbeat`` is the configured interval (None: not known, spacing unchecked);
    ``profile`` is ``"segment"`` or ``"vimeo-ott"``; ``schema`` validates against seed 004
    (default: for the Segment profile; needs the ``testing`` extra's jsonschema).
    """

    def __init__(
        self, *, heartbeat: int | None = None, profile: str = "segment", schema: bool | None = None
    ) -> None:
        if heartbeat is not None and heartbeat not in HEARTBEAT_INTERVALS:
            raise ValueError(
                f"heartbeat must be None or one of 0, 10, 20, ..., 600; got {heartbeat!r}"
            )
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}; got {profile!r}")
        if schema and profile != "segment":
            raise ValueError("seed 004 describes the Segment profile's events only")
        self.heartbeat = heartbeat
        self.profile = profile
        self.schema = profile == "segment" if schema is None else schema
        self.violations: list[Violation] = []
        self._count = 0
        self._ids: set[Any] = set()
        self._sessions: dict[tuple[str, str], _SessionTrack] = {}
        self._session_key = SessionKeys()

    def feed(self, messages: Iterable[Mapping[str, Any]]) -> list[Violation]:
        """Check more messages of the stream; returns the violations they brought."""
        found: list[Violation] = []
        for message in messages:
            found.extend(self.check(message))
        return found

    def check(self, message: Mapping[str, Any]) -> list[Violation]:
        """Check the stream's next message; returns the violations it brought."""
        index = self._count
        self._count += 1
        event = str(message.get("event", ""))
        found: list[Violation] = []

        def broken(rule: str, detail: str) -> None:
            found.append(Violation(rule, index, detail, event))

        message_id = message.get("messageId")
        if message_id is not None:  # a missing one is the schema rule's business
            if message_id in self._ids:
                broken("unique-ids", f"messageId {message_id!r} was used before")
            self._ids.add(message_id)
        at: float | None
        try:
            at = epoch_seconds(message)
        except ValueError as error:
            broken("timestamp", str(error))
            at = None

        key = self._session_key(message)
        track = self._sessions.get(key)
        if track is None or (track.closed and event == "Video Playback Started"):
            track = self._sessions[key] = _SessionTrack(PlayerState(self.profile))
        self._order(track, event, at, broken)
        self._positions(message, broken)
        self._milestone(track, message, event, broken)
        if at is None:
            track.player.observe(event)
        else:
            self._heartbeat(track, message, event, at, broken)
            track.last_at = at if track.last_at is None else max(track.last_at, at)
        if self.schema:
            from vtrack.testing.schema import schema_errors

            for problem in schema_errors(message):
                broken("schema", problem)
        self.violations.extend(found)
        return found

    # ------------------------------------------------------------------ rules
    @staticmethod
    def _order(track: _SessionTrack, event: str, at: float | None, broken: Any) -> None:
        if at is not None and track.last_at is not None and at < track.last_at - 1e-6:
            broken("time-order", f"timestamp goes back {track.last_at - at:.3f} s")
        if track.closed:
            broken("after-exit", "the session had already exited or been interrupted")
        elif track.completed and event != "Video Playback Exited":
            broken("after-completed", "only Video Playback Exited may follow Playback Completed")
        if not track.started and event != "Video Playback Started":
            broken("started-first", "Video Playback Started must come first")
        elif track.started and event == "Video Playback Started" and not track.closed:
            broken("started-first", "Video Playback Started again before the session ended")
        track.started = True
        if event == "Video Playback Completed":
            track.completed = True
        if event in FINAL_EVENTS:
            track.closed = True

    def _positions(self, message: Mapping[str, Any], broken: Any) -> None:
        if self.profile != "segment":
            return
        properties = message.get("properties") or {}
        for where, values in (("", properties), ("content.", properties.get("content"))):
            if not isinstance(values, Mapping) or "position" not in values:
                continue
            position, total = values["position"], values.get("total_length")
            whole = isinstance(position, int) or (
                isinstance(position, float) and position.is_integer()
            )
            if isinstance(position, bool) or not whole:
                broken("position-range", f"{where}position {position!r} is not whole seconds")
            elif position < 0:
                broken("position-range", f"{where}position {position} is negative")
            elif isinstance(total, int | float) and position > total:
                broken("position-range", f"{where}position {position} is past total_length {total}")

    def _milestone(
        self, track: _SessionTrack, message: Mapping[str, Any], event: str, broken: Any
    ) -> None:
        properties = message.get("properties") or {}
        if self.profile == "vimeo-ott":
            # No Video Content Started there: a new title or duration is a new item.
            shown = (properties.get("video_title"), properties.get("duration"))
            if track.shown is not None and shown != track.shown:
                track.item += 1
            track.shown = shown
        if event == "Video Content Started" or event == "Video Content Ended":
            track.item += 1  # the next milestones belong to another item
            return
        match = MILESTONE_EVENT.match(event)
        if match is not None:
            percent = float(match.group(1))
        elif self.profile == "vimeo-ott" and event == "Video Content Completed":
            percent = 90.0  # Vimeo OTT's name for its 90 % milestone
        else:
            return
        last = track.milestones.get(track.item)
        if last is not None and percent <= last:
            again = "twice" if percent == last else f"after {last:g}%"
            content = properties.get("asset_id", f"item {track.item}")
            broken("milestones", f"milestone {percent:g}% {again} for content {content!r}")
        else:
            track.milestones[track.item] = percent
        value = properties.get("milestone")
        if value is not None and value != percent:
            broken("milestones", f"event names {percent:g}% but milestone is {value!r}")
        position, total = properties.get("position"), properties.get("total_length")
        if (
            self.profile == "segment"
            and isinstance(position, int | float)
            and isinstance(total, int | float)
            and math.floor(percent * total / 100) > position + 1
        ):
            broken("milestones", f"{percent:g}% of {total} s sent at position {position}")

    def _heartbeat(
        self, track: _SessionTrack, message: Mapping[str, Any], event: str, at: float, broken: Any
    ) -> None:
        player = track.player
        if self.profile != "segment":
            player.observe(event)  # Vimeo OTT has no event that marks content playing
            return
        if player.pod_playing and track.last_at is not None:
            track.playing_since_mark += max(0.0, at - track.last_at)
        interval = self.heartbeat
        if not is_heartbeat(message):
            if event in _SHOWS_PLAYBACK_WENT_ON and player.pod_playing:
                self._overdue(track, interval, broken)
            player.observe(event)
            if player.guessed:
                track.mark = None
            elif event in HEARTBEAT_RESTARTS:
                restart = _RESTART_MARKS.get(event)
                track.mark = restart if player.pod_playing else None
                track.playing_since_mark, track.overdue_told = 0.0, False
            return
        if interval == 0:
            broken("heartbeat-playing", "a heartbeat while heartbeats are off")
        ad = event == "Video Ad Playing"
        state = player.observe(event)
        if player.guessed:
            track.mark = None
        if (state == AD_PLAYING) != ad or not player.pod_playing:
            broken("heartbeat-playing", f"a{'n ad' if ad else ' content'} heartbeat while {state}")
        elif interval and track.mark is not None:
            gap = track.playing_since_mark
            at_once = track.mark == "resume" and gap <= TIME_TOLERANCE
            if not at_once and abs(gap - interval) > TIME_TOLERANCE:
                since = {"beat": "the last heartbeat", "start": "the pod started"}.get(
                    track.mark, "playback resumed"
                )
                broken(
                    "heartbeat-spacing",
                    f"{gap:.3f} s of playing time since {since}, not {interval}",
                )
        track.mark, track.playing_since_mark, track.overdue_told = "beat", 0.0, False

    @staticmethod
    def _overdue(track: _SessionTrack, interval: int | None, broken: Any) -> None:
        if not interval or track.mark is None or track.overdue_told:
            return
        if track.playing_since_mark > interval + TIME_TOLERANCE:
            broken(
                "heartbeat-spacing",
                f"{track.playing_since_mark:.3f} s of playing time without a heartbeat "
                f"(interval {interval} s)",
            )
            track.overdue_told = True


def find_violations(
    messages: Iterable[Mapping[str, Any]],
    *,
    heartbeat: int | None = None,
    profile: str = "segment",
    schema: bool | None = None,
) -> list[Violation]:
    """Every rule ``messages`` break (empty if none); see :class:`InvariantChecker`."""
    return InvariantChecker(heartbeat=heartbeat, profile=profile, schema=schema).feed(messages)


def check_invariants(
    messages: Iterable[Mapping[str, Any]],
    *,
    heartbeat: int | None = None,
    profile: str = "segment",
    schema: bool | None = None,
) -> None:
    """Raise :class:`InvariantViolation` listing every rule ``messages`` break."""
    found = find_violations(messages, heartbeat=heartbeat, profile=profile, schema=schema)
    if found:
        raise InvariantViolation(found)


def check_heartbeat_timing(
    messages: Sequence[Mapping[str, Any]],
    *,
    interval: int,
    playing: Sequence[tuple[float, float]],
    restarts: Sequence[float] = (),
) -> None:
    """Exact heartbeat check for callers who know when their pods played.

    ``playing`` lists the (start, end) epoch-second spans during which a pod played;
    ``restarts`` extra moments at which the count started again (the end of an ad pod, which
    no event marks). Heartbeats must fall in playing time, ``interval`` s of it apart.
    Raises :class:`InvariantViolation`.
    """
    found: list[Violation] = []
    previous: float | None = None
    marks = sorted(restarts)
    for index, message in enumerate(messages):
        at = epoch_seconds(message)
        event = str(message.get("event", ""))
        if event in HEARTBEAT_RESTARTS or any(
            previous is not None and previous <= mark <= at for mark in marks
        ):
            previous = None
        if not is_heartbeat(message):
            continue
        if interval == 0:
            found.append(Violation("heartbeat-playing", index, "heartbeats are off", event))
        if not any(a - TIME_TOLERANCE <= at <= b + TIME_TOLERANCE for a, b in playing):
            found.append(Violation("heartbeat-playing", index, "no pod was playing", event))
        if previous is not None:
            gap = sum(max(0.0, min(b, at) - max(a, previous)) for a, b in playing)
            if abs(gap - interval) > TIME_TOLERANCE:
                detail = f"{gap:.3f} s of playing time since the last heartbeat, not {interval}"
                found.append(Violation("heartbeat-spacing", index, detail, event))
        previous = at
    if found:
        raise InvariantViolation(found)
