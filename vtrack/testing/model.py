"""A reference model: check *your* player wrapper against vtrack with Hypothesis.

Subclass :class:`PlayerWrapperModel` and say how to build, drive and read your wrapper.
Hypothesis then plays viewers at both: every step (play, pause, seek, stall, ads, rate and
quality changes, leaving, playing to the end) becomes player callbacks sent to your wrapper
and to a vtrack :class:`~vtrack.Session`. After each step your wrapper's messages must keep
the invariants (:mod:`vtrack.testing.invariants`) and match vtrack's event by event; when
they do not, the failure shows both timelines side by side, shrunk to the fewest steps::

    class CheckMyTracker(PlayerWrapperModel):
        def make_wrapper(self):
            return MyTracker()
        def send(self, wrapper, callback):
            wrapper.on_player_event(callback.name, callback.at, **callback.args)
        def messages(self, wrapper):
            return wrapper.sent

    TestMyTracker = CheckMyTracker.TestCase
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from vtrack.core.callbacks import Callback
from vtrack.core.content import Content
from vtrack.core.session import Session
from vtrack.core.settings import Settings
from vtrack.sinks import MemorySink
from vtrack.testing.compare import EventsDiffer, assert_events
from vtrack.testing.invariants import InvariantChecker, InvariantViolation
from vtrack.testing.simulated_player import SimulatedPlayer
from vtrack.testing.strategies import DAMAGES, actions, damage, quarter_seconds
from vtrack.testing.timeline import epoch_seconds, position_of
from vtrack.testing.viewing import (
    Action,
    AdBreak,
    ChangeQuality,
    ChangeRate,
    NextItem,
    Pause,
    Seek,
    SeekWhilePaused,
    Stall,
    Watch,
)

#: A message as compared: (event, seconds from the start, position); None: not compared.
Compared = tuple[str, float | None, float | None]
Row = Compared | None

ALL_ACTIONS: tuple[type, ...] = (
    Watch,
    Pause,
    Seek,
    SeekWhilePaused,
    Stall,
    ChangeRate,
    ChangeQuality,
    AdBreak,
    NextItem,
)


class PlayerWrapperModel(RuleBasedStateMachine):
    """Drives your wrapper and a vtrack session with the same callbacks; they must agree.

    Implement :meth:`make_wrapper`, :meth:`send` and :meth:`messages` (and :meth:`advance` if
    your wrapper keeps its own timer). Tune with the class attributes:

    - ``heartbeat`` (seconds, 0-600 in tens), ``profile``, ``milestones``: vtrack's settings,
      which your wrapper is meant to follow;
    - ``duration`` (seconds; ``None`` with ``live = True`` for a livestream), ``tick`` (how
      often the player reports its position), ``start_at`` (epoch seconds);
    - ``allowed_actions``: which viewer actions to generate (:data:`ALL_ACTIONS` by default);
      ``rates``: playback rates the viewer may choose; ``preroll``: generate pre-roll pods;
    - ``compared_events``: the event names compared (``None``: all); ``compare_times`` and
      ``compare_positions``: whether times and positions must match too;
    - ``schema``: validate your messages against seed 004 (needs complete Segment messages:
      ``messageId``, ``userId``/``anonymousId``, ``type``, ...);
    - ``timer``: your wrapper emits what falls due on its own timer (implement
      :meth:`advance`); then time also passes with no callback at all;
    - ``hostility``: up to how many damaged callbacks (duplicates, impossible callbacks, bad
      positions...) each misbehaving step sends (0: the player never misbehaves).
    """

    heartbeat: ClassVar[int] = 10
    profile: ClassVar[str] = "segment"
    milestones: ClassVar[tuple[float, ...]] = (25.0, 50.0, 75.0, 90.0)
    duration: ClassVar[float | None] = 120.0
    live: ClassVar[bool] = False
    tick: ClassVar[float] = 1.0
    start_at: ClassVar[float] = 1_700_000_000.0
    allowed_actions: ClassVar[tuple[type, ...]] = ALL_ACTIONS
    rates: ClassVar[tuple[float, ...]] = (1.0, 0.5, 2.0)
    preroll: ClassVar[bool] = True
    compared_events: ClassVar[Collection[str] | None] = None
    compare_times: ClassVar[bool] = True
    compare_positions: ClassVar[bool] = True
    schema: ClassVar[bool] = False
    hostility: ClassVar[int] = 0
    timer: ClassVar[bool] = False

    # ------------------------------------------------------------------ your wrapper
    def make_wrapper(self) -> Any:
        """A fresh instance of your wrapper for one run."""
        raise NotImplementedError("subclass PlayerWrapperModel and implement make_wrapper()")

    def send(self, wrapper: Any, callback: Callback) -> None:
        """Make ``wrapper`` see the player callback ``callback`` (at ``callback.at``).

        ``callback.name`` and ``callback.args`` are those of the :class:`~vtrack.Session`
        method of the same name (``load(content)``, ``play()``, ``timeupdate(position)`` ...).
        """
        raise NotImplementedError("subclass PlayerWrapperModel and implement send()")

    def messages(self, wrapper: Any) -> Sequence[Mapping[str, Any]]:
        """Every message ``wrapper`` emitted so far, in order (dicts with at least ``event``,
        ``timestamp`` (ISO 8601) and ``properties``)."""
        raise NotImplementedError("subclass PlayerWrapperModel and implement messages()")

    def advance(self, wrapper: Any, at: float) -> None:
        """Time moves on to ``at`` (a timer would fire): emit what is due. Default: nothing."""

    def make_content(self) -> Content:
        """The content item the player loads."""
        return Content(
            asset_id="video-1",
            duration=None if self.live else self.duration,
            live=self.live,
            title="A video",
        )

    # ------------------------------------------------------------------ machinery
    def __init__(self) -> None:
        super().__init__()
        self.reference_sink = MemorySink()
        settings = Settings(
            heartbeat=self.heartbeat, profile=self.profile, milestones=self.milestones
        )
        self.reference = Session(
            "session-1", anonymous_id="viewer-1", sink=self.reference_sink, settings=settings
        )
        self.player = SimulatedPlayer(self.make_content(), start_at=self.start_at, tick=self.tick)
        self.wrapper = self.make_wrapper()
        self.sent: list[Callback] = []
        self._actions: st.SearchStrategy[Action] | None
        try:
            self._actions = actions(
                duration=self.player.duration,
                rates=self.rates,
                playlists=not self.live,
                kinds=self.allowed_actions,
            )
        except ValueError:
            unknown = [k for k in self.allowed_actions if k not in ALL_ACTIONS]
            if unknown:
                raise TypeError(
                    f"allowed_actions holds {unknown!r}; choose from {ALL_ACTIONS!r}"
                ) from None
            self._actions = None  # nothing left to do (live, or none allowed): only leave
        spacing = self.heartbeat if self.hostility == 0 else None
        self._theirs = InvariantChecker(heartbeat=spacing, profile=self.profile, schema=self.schema)
        self._ours = InvariantChecker(heartbeat=spacing, profile=self.profile, schema=False)
        self._checked = 0
        self._ours_checked = 0
        self._our_rows: list[Row] = []
        self._their_rows: list[Row] = []

    def _feed(self, callbacks: Sequence[Callback]) -> None:
        for callback in callbacks:
            at = callback.at if callback.at is not None else self.player.now
            self.sent.append(callback)
            self.advance(self.wrapper, at)
            self.send(self.wrapper, callback)
            self.reference.handle(callback)

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        preroll: tuple[float, ...] = ()
        if self.preroll:
            lengths = st.lists(quarter_seconds(1.0, 30.0), max_size=2)
            preroll = tuple(data.draw(lengths, label="pre-roll ad lengths"))
        self._feed(self.player.start(preroll))

    @precondition(lambda self: not self.player.done and self._actions is not None)
    @rule(data=st.data())
    def viewer_acts(self, data: st.DataObject) -> None:
        assert self._actions is not None
        action: Action = data.draw(self._actions, label="action")
        self._feed(self.player.act(action))

    @precondition(lambda self: not self.player.done)
    @rule()
    def viewer_leaves(self) -> None:
        self._feed(self.player.finish("leave"))

    @precondition(lambda self: not self.player.done and self.player.duration is not None)
    @rule()
    def plays_to_the_end(self) -> None:
        self._feed(self.player.finish("end"))

    @precondition(lambda self: self.timer or self.player.done)
    @rule(seconds=quarter_seconds(0.25, 30.0))
    def time_passes(self, seconds: float) -> None:
        """No callback for a while (a throttled background tab, or after the end)."""
        self._feed(self.player.pass_time(seconds))
        if self.timer:
            self.advance(self.wrapper, self.player.now)
            self.reference.advance(self.player.now)

    @precondition(lambda self: self.hostility > 0 and not self.player.done)
    @rule(data=st.data())
    def player_misbehaves(self, data: st.DataObject) -> None:
        # Damage that adds callbacks after the last one (dropping or reordering would need
        # the future).
        kinds = [kind for kind in DAMAGES if kind not in ("drop", "reorder")]
        last = self.sent[-1] if self.sent else Callback("play", self.player.now)
        for _ in range(data.draw(st.integers(1, self.hostility), label="damages")):
            harm = (
                data.draw(st.sampled_from(kinds), label="kind"),
                0,
                data.draw(st.integers(0, 7)),
            )
            extra = damage([last], [harm])
            extra.remove(last)
            self._feed(extra)

    def _rows(self, messages: Sequence[Mapping[str, Any]], cache: list[Row]) -> list[Compared]:
        """The comparable rows of ``messages``, reading only those not read yet."""
        wanted = self.compared_events
        for message in messages[len(cache) :]:
            event = str(message.get("event"))
            if wanted is not None and event not in wanted:
                cache.append(None)
                continue
            at = epoch_seconds(message) - self.start_at if self.compare_times else None
            position = position_of(message) if self.compare_positions else None
            cache.append((event, at, position))
        return [row for row in cache if row is not None]

    @invariant()
    def wrapper_agrees_with_vtrack(self) -> None:
        ours = self.reference_sink.messages
        theirs = list(self.messages(self.wrapper))
        if len(ours) == self._ours_checked and len(theirs) == self._checked:
            return  # nothing new since the last check
        found = self._ours.feed(ours[self._ours_checked :])
        self._ours_checked = len(ours)
        if found:
            raise InvariantViolation(found)  # vtrack itself: please report it
        found = self._theirs.feed(theirs[self._checked :])
        self._checked = len(theirs)
        if found:
            raise InvariantViolation(found)
        expected = self._rows(ours, self._our_rows)
        mine = self._rows(theirs, self._their_rows)
        if expected == mine:
            return
        as_messages = [m for m in theirs if self._kept(m)]
        try:
            assert_events(as_messages, expected, start=self.start_at)
        except EventsDiffer as differ:
            raise EventsDiffer(
                f"your wrapper's events differ from vtrack's after {len(self.sent)} "
                f"callbacks:\n{differ}"
            ) from None

    def _kept(self, message: Mapping[str, Any]) -> bool:
        wanted = self.compared_events
        return wanted is None or str(message.get("event")) in wanted
