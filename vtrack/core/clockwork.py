"""When something falls due: heartbeats, content milestones and ad quartiles.

The one place that decides it. A :class:`Clockwork` is the heartbeat schedule (a subclass of
:class:`~vtrack.core.schedule.HeartbeatSchedule`) and owns the milestone trackers (the content
item's, the ad's, and those of items played before, so a playlist coming back to an item never
sends its milestones twice). The session tells it what played (:meth:`Clockwork.settle`,
:meth:`Clockwork.observe_content`) and in which state it is (:meth:`Clockwork.update`); it
answers with :attr:`Clockwork.deadline`: when the next thing falls due, and which
(:attr:`Clockwork.due`). It also keeps the session's last time (:attr:`Clockwork.last_at`).

Its one shortcut, :meth:`Clockwork.steady_report`, takes a position report of a pod playing on
short of its next milestone without the general path (most callbacks are such reports). It
is switched off with ``Session.fast_path = False``; a differential property test checks the
two give the same messages.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from vtrack.core.machine import AD_PLAYING, PLAYING, PLAYING_STATES
from vtrack.core.schedule import (
    HeartbeatSchedule,
    MilestoneTracker,
    Percent,
    milestone_tracker,
)

if TYPE_CHECKING:
    from vtrack.core.content import Content
    from vtrack.core.emitter import Emitter
    from vtrack.core.playback import AdPlay, PlaybackState
    from vtrack.core.playhead import Playhead
    from vtrack.core.settings import Settings

#: :attr:`Clockwork.due` when the heartbeat is due (else it is the index of the milestone, or
#: in an ad of the quartile, that is due).
DUE_HEARTBEAT: Final = -1
#: What :meth:`Clockwork.fire_due` says was due.
FIRED_HEARTBEAT: Final = 0
FIRED_MILESTONE: Final = 1
FIRED_QUARTILE: Final = 2
NO_DEADLINE: Final = math.inf
#: An ad's quartiles (VAST): Video Ad Playing with quartile 1, 2 and 3.
AD_QUARTILES: Final = (25, 50, 75)


class Clockwork(HeartbeatSchedule):
    """The heartbeat schedule, the milestone trackers and the deadline they make."""

    # What steady_report reads and writes first: a replay touches thousands of sessions in turn,
    # each out of the CPU cache, and slots are laid out in this order (after the schedule's).
    __slots__ = (  # noqa: RUF023
        "last_at",
        "deadline",
        "steady_head",
        "steady_limit",
        "hb_due",
        "due",
        "steady_due",
        "milestones",
        "_by_asset",
        "_fresh",
    )

    def __init__(self, settings: Settings):
        super().__init__(settings.heartbeat)
        #: The session's present: the time of the last callback it accepted (NaN before the
        #: first: a float, not None, so compiled, see setup.py, it holds no object). Kept here
        #: rather than by the session for memory alone: objects take 16-byte steps, so this
        #: slot fits in the clockwork's last step for free, and the session's object is 16
        #: bytes smaller without it.
        self.last_at = math.nan
        milestones = settings.milestones
        #: The tracker of an item that has not played yet (None: no milestones set).
        self._fresh = (
            milestone_tracker(milestones, settings.milestone_basis) if milestones else None
        )
        #: The milestones of the content item playing (an ad's quartiles are its own: AdPlay).
        self.milestones: MilestoneTracker | None = None
        #: Trackers of items played before, by asset id (None until a second item loads).
        self._by_asset: dict[str, MilestoneTracker] | None = None
        #: When the next thing falls due, and what: the heartbeat (:data:`DUE_HEARTBEAT`), or
        #: the milestone of this index (the ad's quartile in an ad: the state tells which).
        self.deadline = NO_DEADLINE
        self.due = DUE_HEARTBEAT
        #: When the next heartbeat is due (while a pod plays).
        self.hb_due = NO_DEADLINE
        #: The playing pod's playhead while :meth:`steady_report` may take its reports (None:
        #: it may not); reports short of ``steady_limit`` cross nothing. ``steady_due`` says
        #: what the limit is: the position of the milestone (or quartile) of that index, or,
        #: as :data:`DUE_HEARTBEAT`, the pod's end (nothing pending).
        self.steady_head: Playhead | None = None
        self.steady_limit = NO_DEADLINE
        self.steady_due = DUE_HEARTBEAT

    # ------------------------------------------------------------------ trackers
    def begin_item(self, previous: Content | None, content: Content) -> None:
        """A content item starts (after ``previous``, if any): its milestones take over."""
        if previous is not None and previous.asset_id is not None and self.milestones is not None:
            if self._by_asset is None:
                self._by_asset = {}
            self._by_asset[previous.asset_id] = self.milestones
        self.milestones = self.tracker_for(content)

    def keep_milestones(self, content: Content) -> None:
        """The item playing is ``content`` (updated): it gets milestones if it had none.

        A live item keeps a tracker that fires nothing (it has no length); keeping it means
        milestones already sent are never sent again if it turns out not live.
        """
        if self.milestones is None:
            self.milestones = self.tracker_for(content)

    def tracker_for(self, content: Content) -> MilestoneTracker | None:
        """The milestones of ``content``: those it had if it played before, else fresh ones."""
        if content.live or self._fresh is None:
            return None
        if self._by_asset is not None and content.asset_id is not None:
            known = self._by_asset.get(content.asset_id)
            if known is not None:
                return known
        return self._fresh

    def start_ad(self, ad: AdPlay) -> None:
        """``ad`` starts: its quartiles (if its length is known)."""
        ad.quartiles = milestone_tracker(AD_QUARTILES) if ad.head.length is not None else None

    # ------------------------------------------------------------------ what played
    def settle(self, t: float, state: str, playback: PlaybackState) -> None:
        """Bring the playheads up to ``t``, recording the content played on the way."""
        head = playback.head
        start = head.settle(t, state == PLAYING)
        if start is not None and self.milestones is not None:
            self.milestones = self.milestones.recorded(start, head.pos)
        ad = playback.ad
        if ad is not None:
            ad.head.settle(t, state == AD_PLAYING)  # quartiles go by position: nothing to record

    def observe_content(
        self, head: Playhead, position: float, t: float
    ) -> list[tuple[float, Percent]]:
        """Take a content position reported at ``t`` while playing.

        Returns the milestones continuous playback crossed up to it that were not yet due by
        interpolation, as ``(moment, percent)``, each marked done: the moment is interpolated
        between the last settled point and this report. A report too far from the
        interpolation is a jump: nothing in between counts as played.
        """
        start, start_at, observed, predicted, continuous = head.report(position, t)
        tracker = self.milestones
        crossed: list[tuple[float, Percent]] = []
        if tracker is None:
            return crossed
        if not continuous:
            tracker = tracker.recorded(start, predicted)
        elif observed <= predicted:
            # Milestones up to the predicted position were due by interpolation already.
            tracker = tracker.recorded(start, observed)
        elif head.length is not None:
            at = start
            while (target := tracker.next_target(at, head.length)) is not None:
                index, reached = target
                if reached > observed:
                    break
                reached = max(reached, at)
                moment = start_at + (reached - start) / (observed - start) * (t - start_at)
                tracker = tracker.recorded(at, reached).fired(index)
                crossed.append((moment, tracker.percents[index]))
                at = reached
            tracker = tracker.recorded(at, observed)
        self.milestones = tracker
        return crossed

    def reach_end(self, length: float) -> list[Percent]:
        """The content ended (the playhead reached ``length``): the milestones that makes due.

        On the ``position`` basis, an end means every milestone is reached: those not sent
        yet are due, in ascending order (a seek to the last second then ``ended``, or a stale
        last report, still gets them). On the ``played`` and ``watched`` bases only what was
        played counts, and the end plays nothing more.
        """
        tracker = self.milestones
        if tracker is None or tracker.basis != "position":
            return []
        percents: list[Percent] = []
        while (target := tracker.next_target(length, length)) is not None:
            tracker = tracker.fired(target[0])
            percents.append(tracker.percents[target[0]])
        self.milestones = tracker
        return percents

    def advance(self, at: float, state: str, playback: PlaybackState, emitter: Emitter) -> None:
        """Emit, in time order, everything due up to ``at`` (the state does not change)."""
        while self.deadline <= at:
            due_at = self.deadline
            self.settle(due_at, state, playback)
            fired = self.fire_due(state, playback)
            if fired is not None:
                what, number = fired
                if what == FIRED_HEARTBEAT:
                    emitter.heartbeat(due_at, in_ad=state == AD_PLAYING)
                elif what == FIRED_MILESTONE:
                    emitter.milestone(number, due_at)
                else:
                    emitter.quartile(int(number), due_at)
            self.recompute(state, playback)

    def fire_due(self, state: str, playback: PlaybackState) -> tuple[int, Percent] | None:
        """Mark what is due at :attr:`deadline` as sent: ``(what, its number)``, or None.

        ``what`` is one of the ``FIRED_*`` constants; the number is the milestone's percent or
        the ad's quartile (1-3); None when the milestone was already sent (a position report
        fired it).
        """
        index = self.due
        if index == DUE_HEARTBEAT:
            self.fire_beat()
            return FIRED_HEARTBEAT, 0
        if state != AD_PLAYING:
            tracker = self.milestones
            assert tracker is not None
            if index < tracker.done:
                return None  # once only
            self.milestones = tracker.fired(index)
            return FIRED_MILESTONE, tracker.percents[index]
        ad = playback.ad
        assert ad is not None and ad.quartiles is not None
        ad.quartiles = ad.quartiles.fired(index)
        return FIRED_QUARTILE, index + 1

    # ------------------------------------------------------------------ deadlines
    def update(self, t: float, state: str, playback: PlaybackState) -> None:
        """After a callback at ``t``: playing time runs in a playing state; deadlines anew."""
        if state in PLAYING_STATES:
            self.start_beats(t)
        else:
            self.stop_beats(t)
        self.recompute(state, playback)

    def recompute(self, state: str, playback: PlaybackState) -> None:
        """Work out the next deadline for a session in ``state``."""
        deadline, due = NO_DEADLINE, DUE_HEARTBEAT
        self.steady_head = None
        if state in PLAYING_STATES:
            beat = self.beat_deadline()
            if beat is not None:
                deadline = beat
            self.hb_due = deadline
            head: Playhead | None = playback.head
            tracker = self.milestones
            if state == AD_PLAYING:
                ad = playback.ad
                head = None if ad is None else ad.head
                tracker = None if ad is None else ad.quartiles
            if head is not None:
                length = head.length
                upcoming = (
                    None
                    if tracker is None or length is None or head.rate <= 0.0
                    else tracker.next_target(head.pos, length)
                )
                if upcoming is not None:
                    moment = head.time_to_reach(upcoming[1])
                    if moment < deadline:
                        deadline, due = moment, upcoming[0]
                self._aim(head, tracker, upcoming)
        self.deadline, self.due = deadline, due

    def _aim(
        self,
        head: Playhead,
        tracker: MilestoneTracker | None,
        upcoming: tuple[int, float] | None,
    ) -> None:
        """Let :meth:`steady_report` take reports of ``head`` when they depend on position only.

        The ``played`` and ``watched`` bases must record every stretch played: not for them.
        On the ``position`` basis, ``upcoming`` (the next milestone and where it is reached)
        depends on nothing else.
        """
        if head.rate <= 0.0 or (tracker is not None and tracker.basis != "position"):
            return
        self.steady_head = head
        if upcoming is None:
            length = head.length
            self.steady_due = DUE_HEARTBEAT
            self.steady_limit = NO_DEADLINE if length is None else length
            return
        self.steady_due, self.steady_limit = upcoming

    def steady_report(self, position: float, at: float) -> bool:
        """Take a report of the playing pod at ``position`` if it crosses nothing.

        The caller checked that nothing fell due by ``at`` and that ``at`` is a valid time
        no earlier than the last. Returns False (changing nothing) when the general path must
        take it.
        """
        head = self.steady_head
        limit = self.steady_limit
        if head is None or not 0.0 <= position < limit:
            return False
        moment = NO_DEADLINE
        if self.steady_due != DUE_HEARTBEAT:  # the limit is the next milestone's position
            moment = at + (limit - position) / head.rate
            if moment <= at:
                return False  # a hair short of the target: due now in floats; fired there
        head.pos = position
        head.at = at
        if moment < self.hb_due:
            self.deadline, self.due = moment, self.steady_due
            return True
        self.deadline, self.due = self.hb_due, DUE_HEARTBEAT
        return True
