"""Hypothesis strategies: viewers, and the player callbacks their viewing makes.

Everything is built from a :class:`~vtrack.testing.viewing.Viewing` (what the viewer did), so
a failing case shrinks the way a person would simplify it: fewer actions, shorter waits,
normal speed, no ads. :func:`callback_sequences` then turns a viewing into the callbacks a
player would make, with their times, and (with ``hostility``) damages them the way real
players and networks do.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

from hypothesis import strategies as st

from vtrack.core.callbacks import Callback
from vtrack.testing.simulated_player import viewing_callbacks
from vtrack.testing.viewing import (
    Action,
    AdBreak,
    ChangeQuality,
    ChangeRate,
    Ending,
    NextItem,
    Pause,
    Seek,
    SeekWhilePaused,
    Stall,
    Viewing,
    Watch,
)

#: Playback rates real players offer; 1.0 first, so rates shrink to normal speed.
RATES: tuple[float, ...] = (1.0, 0.5, 1.25, 1.5, 2.0, 4.0, 16.0)
#: Position report intervals of real players (HTML5 fires timeupdate about every 250 ms).
TICKS: tuple[float, ...] = (1.0, 0.25, 0.5)
#: Every way a viewing may end; leaving first, so failures shrink to a viewer who leaves.
ENDINGS: tuple[Ending, ...] = ("leave", "end", "silent", "interrupt", "error")


def quarter_seconds(low: float, high: float) -> st.SearchStrategy[float]:
    """Seconds from ``low`` to ``high`` in whole quarters (shrinking towards ``low``)."""
    return st.integers(round(low * 4), round(high * 4)).map(lambda quarters: quarters / 4)


def actions(
    *,
    duration: float | None = 600.0,
    rates: Sequence[float] = RATES,
    ads: bool = True,
    playlists: bool = True,
    max_wait: float = 60.0,
    kinds: Collection[type] | None = None,
) -> st.SearchStrategy[Action]:
    """One thing a viewer does. Watching comes first, so actions shrink to plain watching.

    ``kinds`` limits the actions to these classes (``None``: all); ``ads`` and
    ``playlists`` false leave out :class:`AdBreak` and :class:`NextItem`.
    """
    seek_limit = duration if duration is not None else 3600.0
    seek_to = quarter_seconds(0.0, seek_limit)
    every: list[tuple[type, st.SearchStrategy[Action]]] = [
        (Watch, st.builds(Watch, quarter_seconds(0.25, max_wait))),
        (Pause, st.builds(Pause, quarter_seconds(0.25, max_wait))),
        (Seek, st.builds(Seek, seek_to, quarter_seconds(0.0, 2.0))),
        (Stall, st.builds(Stall, quarter_seconds(0.25, 10.0))),
        (ChangeRate, st.builds(ChangeRate, st.sampled_from(list(rates)))),
        (
            ChangeQuality,
            st.builds(
                ChangeQuality,
                st.sampled_from([2_500_000, 800_000, 5_000_000]),
                st.sampled_from([None, 30.0, 24.0, 60.0]),
            ),
        ),
        (SeekWhilePaused, st.builds(SeekWhilePaused, seek_to, quarter_seconds(0.0, 2.0))),
        (AdBreak, ad_breaks()),
        (NextItem, st.builds(NextItem, quarter_seconds(10.0, 300.0))),
    ]
    left_out = ({AdBreak} if not ads else set()) | ({NextItem} if not playlists else set())
    choices = [
        strategy
        for kind, strategy in every
        if kind not in left_out and (kinds is None or kind in kinds)
    ]
    if not choices:
        raise ValueError("no viewer action left to generate: check kinds, ads and playlists")
    return st.one_of(choices)


def ad_breaks(max_ads: int = 3) -> st.SearchStrategy[AdBreak]:
    """A mid-roll pod of 1 to ``max_ads`` ads, some skipped, its first ad sometimes paused
    or stalling halfway."""
    lengths = st.lists(quarter_seconds(1.0, 30.0), min_size=1, max_size=max_ads)
    return lengths.flatmap(
        lambda ls: st.builds(
            AdBreak,
            st.just(tuple(ls)),
            st.lists(st.booleans(), min_size=len(ls), max_size=len(ls)).map(tuple),
            st.one_of(st.just(0.0), quarter_seconds(0.25, 20.0)),
            st.one_of(st.just(0.0), quarter_seconds(0.25, 5.0)),
        )
    )


def _draw_length(
    draw: st.DrawFn, duration: float | st.SearchStrategy[float | None] | None, live: bool | None
) -> tuple[bool, float | None]:
    """Whether the viewing is live, and the content's length (None: live or never learnt)."""
    if live is None:
        fixed_length = duration is not None and not isinstance(duration, st.SearchStrategy)
        is_live = False if fixed_length else draw(st.sampled_from([False, False, False, True]))
    else:
        is_live = live
    if is_live:
        return True, None
    if isinstance(duration, st.SearchStrategy):
        return False, draw(duration)
    if duration is None:
        return False, draw(quarter_seconds(10.0, 300.0))
    return False, duration


@st.composite
def viewings(
    draw: st.DrawFn,
    *,
    duration: float | st.SearchStrategy[float | None] | None = None,
    live: bool | None = None,
    ads: bool = True,
    playlists: bool = True,
    rates: Sequence[float] = RATES,
    endings: Sequence[Ending] = ENDINGS,
    min_actions: int = 0,
    max_actions: int = 12,
    ticks: Sequence[float] = TICKS,
) -> Viewing:
    """A realistic viewing: content of some length (or live), a few actions, an ending.

    Parameters fix what a test cares about:

    - ``duration``: seconds, a strategy of them (``None`` in it: a length the player never
      learns), or ``None`` for a random length;
    - ``live``: a livestream; ``None``: sometimes, unless ``duration`` is a number;
    - ``ads``: pre-roll, mid-roll and post-roll pods; ``playlists``: moving on to the next
      item; ``rates``: the playback rates the viewer may pick;
    - ``endings``: how it may end (a livestream, or content of unknown length, never plays
      to its end); ``min_actions`` / ``max_actions``: how many actions; ``ticks``: how often
      the player reports its position.
    """
    is_live, length = _draw_length(draw, duration, live)
    steps = draw(
        st.lists(
            actions(duration=length, rates=rates, ads=ads, playlists=playlists and not is_live),
            min_size=min_actions,
            max_size=max_actions,
        )
    )
    preroll: tuple[float, ...] = ()
    postroll: tuple[float, ...] = ()
    if ads:
        preroll = tuple(draw(st.lists(quarter_seconds(1.0, 30.0), max_size=2)))
        if length is not None:
            postroll = tuple(draw(st.lists(quarter_seconds(1.0, 30.0), max_size=2)))
    possible = [e for e in endings if not (length is None and e == "end")] or ["leave"]
    ending: Ending = draw(st.sampled_from(possible))
    return Viewing(
        duration=length,
        actions=tuple(steps),
        ending=ending,
        live=is_live,
        start_position=draw(st.sampled_from([0.0, 0.0, 30.0]))
        if length is None or length > 60
        else 0.0,
        preroll=preroll,
        postroll=postroll,
        tick=draw(st.sampled_from(list(ticks))),
    )


# ---------------------------------------------------------------------- callbacks
#: The ways real players and networks damage a callback stream.
DAMAGES: tuple[str, ...] = (
    "duplicate",
    "drop",
    "reorder",
    "impossible",
    "bad-position",
    "time-back",
    "seek-storm",
)
#: Callbacks that make no sense in most states (an ad's end with no ad, a seek's end with no
#: seek ...).
IMPOSSIBLE: tuple[str, ...] = ("ad_end", "seeked", "ad_break_end", "ad_skip", "ad_click")
BAD_POSITIONS: tuple[float, ...] = (math.nan, -1.0, math.inf, -math.inf, -0.25, 1e300)


@st.composite
def damages(draw: st.DrawFn, *, max_damages: int) -> list[tuple[str, int, int]]:
    """Damages as ``(kind, where, detail)``; an empty list (no damage) is the simplest."""
    return draw(
        st.lists(
            st.tuples(st.sampled_from(DAMAGES), st.integers(0, 10_000), st.integers(0, 7)),
            max_size=max_damages,
        )
    )


def damage(callbacks: Sequence[Callback], harm: Sequence[tuple[str, int, int]]) -> list[Callback]:
    """Apply ``harm`` (from :func:`damages`) to a callback stream; pure."""
    out = list(callbacks)
    for kind, where, detail in harm:
        if not out:
            break
        i = where % len(out)
        target = out[i]
        # A callback without a time reads the session's clock: the damage happens at the
        # latest time known before it.
        known = [c.at for c in out[: i + 1] if c.at is not None]
        at = known[-1] if known else 0.0
        if kind == "duplicate":
            out.insert(i + 1, target)
        elif kind == "drop":
            del out[i]
        elif kind == "reorder" and i + 1 < len(out):
            # The two arrive swapped: each keeps its place in time, so only the order is wrong.
            following = out[i + 1]
            out[i] = Callback(following.name, target.at, following.args)
            out[i + 1] = Callback(target.name, following.at, target.args)
        elif kind == "impossible":
            name = IMPOSSIBLE[detail % len(IMPOSSIBLE)]
            out.insert(i, Callback(name, at, {}))
        elif kind == "bad-position":
            bad = BAD_POSITIONS[detail % len(BAD_POSITIONS)]
            name = target.name if "position" in target.args else "timeupdate"
            args = {**target.args, "position": bad} if name == target.name else {"position": bad}
            out.insert(i + 1, Callback(name, at, args))
        elif kind == "time-back":
            out.insert(i + 1, Callback("timeupdate", at - 0.5 - detail, {"position": 1.0}))
        elif kind == "seek-storm":
            targets = [(detail * 37 + n * 53) % 600 for n in range(detail + 2)]
            storm = [Callback("seeking", at, {"position": float(t)}) for t in targets]
            out[i + 1 : i + 1] = [*storm, Callback("seeked", at, {})]
    return out


@st.composite
def _callbacks_of(
    draw: st.DrawFn,
    /,
    viewing: Viewing | st.SearchStrategy[Viewing],
    hostility: int,
) -> list[Callback]:
    chosen = draw(viewing) if isinstance(viewing, st.SearchStrategy) else viewing
    callbacks: list[Callback] = viewing_callbacks(chosen)
    if hostility:
        callbacks = damage(callbacks, draw(damages(max_damages=hostility)))
    return callbacks


def callback_sequences(
    viewing: Viewing | st.SearchStrategy[Viewing] | None = None,
    *,
    hostility: int = 0,
    **viewing_options: Any,
) -> st.SearchStrategy[list[Callback]]:
    """The callbacks of a viewing (given, or drawn from :func:`viewings` with
    ``viewing_options``), with their times. ``hostility`` is how many damages
    (:data:`DAMAGES`) may be done to them: duplicates, drops, reordering, impossible
    callbacks, NaN / negative / infinite positions, time going backwards, seek storms.
    Damage shrinks away first.
    """
    if isinstance(hostility, bool) or not isinstance(hostility, int) or hostility < 0:
        raise ValueError(f"hostility must be >= 0 (the most damages); got {hostility!r}")
    if viewing is not None and viewing_options:
        raise TypeError("pass either a viewing or options for viewings(), not both")
    return _callbacks_of(viewing if viewing is not None else viewings(**viewing_options), hostility)


def hostile_callback_sequences(
    *, hostility: int = 8, **viewing_options: Any
) -> st.SearchStrategy[list[Callback]]:
    """:func:`callback_sequences` with damage (up to ``hostility`` harms)."""
    return callback_sequences(hostility=hostility, **viewing_options)
