"""The routes the session follows are the ``transitions`` machine's, and every rule is in it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from vtrack.core import machine as m
from vtrack.core.actions import ACTIONS, GUARDS

#: Every guard a row of the table names.
GUARD_NAMES = sorted({g.lstrip("!") for row in m.TABLE for g in row[3]})


class RecordingModel:
    """A model for the ``transitions`` machine: guards answer as told, actions are recorded."""

    def __init__(self, state: str, answers: dict[str, bool]) -> None:
        self.state = state
        self.answers = answers
        self.ran: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name in GUARD_NAMES:
            return lambda: self.answers[name]
        if name in ACTIONS:
            return lambda: self.ran.append(name)
        raise AttributeError(name)


def compiled_choice(
    trigger: str, state: str, answers: dict[str, bool]
) -> tuple[str, tuple[str, ...]] | None:
    """What the compiled routes do: the state reached and the actions run (None: refused)."""
    for route in m.ROUTES[trigger].get(state, ()):
        if all(answers[guard] is wanted for guard, wanted in route.conditions):
            return (route.dest or state, route.actions)
    return None


def machine_choice(
    trigger: str, state: str, answers: dict[str, bool]
) -> tuple[str, tuple[str, ...]] | None:
    """What firing the ``transitions`` machine itself does."""
    if state not in m.MACHINE.events[trigger].transitions:
        return None
    model = RecordingModel(state, answers)
    if not m.MACHINE.events[trigger].trigger(model):
        return None
    return (model.state, tuple(model.ran))


class TestRoutes:
    def test_routes_are_derived_from_the_machine(self) -> None:
        """Every trigger of the table is an event of the machine and a key of ROUTES."""
        assert set(m.MACHINE.events) == {row[0] for row in m.TABLE} == set(m.ROUTES)

    @pytest.mark.parametrize("trigger", sorted(m.ROUTES))
    def test_routes_choose_what_the_machine_chooses(self, trigger: str) -> None:
        """For every state and every outcome of the guards, the same state and actions."""
        for state in m.STATES:
            for values in itertools.product((False, True), repeat=len(GUARD_NAMES)):
                answers = dict(zip(GUARD_NAMES, values, strict=True))
                expected = machine_choice(trigger, state, answers)
                assert expected == compiled_choice(trigger, state, answers), (state, answers)

    def test_every_guard_and_action_of_the_table_exists(self) -> None:
        """The table names only guards and actions the session can run, and runs them all."""
        actions = {action for row in m.TABLE for action in row[4]}
        assert (set(GUARD_NAMES), actions) == (set(GUARDS), set(ACTIONS))


class TestRulesOutsideTransitions:
    def test_load_updates_metadata_where_the_table_says(self) -> None:
        """A load of the asset playing is an update in start-up and content states."""
        expected = frozenset({m.STARTING, *m.CONTENT_IN_PROGRESS})
        assert expected == m.METADATA_UPDATE_STATES

    def test_quality_is_reported_once_playback_started_and_before_it_completed(self) -> None:
        """Video Quality Updated is not sent before Playback Started nor after Completed."""
        expected = frozenset(m.OPEN_STATES - {m.IDLE, m.COMPLETED})
        assert expected == m.QUALITY_REPORTED_IN

    def test_only_exit_and_interrupt_reach_a_session_that_is_over(self) -> None:
        """Once exited or interrupted, a session takes only exit (and refuses interrupt)."""
        assert frozenset({"exit", "interrupt"}) == m.ACCEPTED_WHEN_OVER
