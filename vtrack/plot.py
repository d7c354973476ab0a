"""Pictures of sessions: a timeline per session, drawn with matplotlib (the ``plot`` extra).

Wall time runs along x, from the session's first message. Coloured bands say what the viewer
was doing (playing, paused, buffering, seeking, in an ad, waiting for the first frame); the line
is the playhead (seconds into the content); marks above it show heartbeats, milestones, seeks
and quality changes; the title carries the session's QoE summary. Headless: a matplotlib
``Figure`` on the Agg canvas, no display and no pyplot state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from vtrack.stats.timeline import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: How ``vtrack plot`` may write a picture: by the file's suffix.
SUFFIXES: Final = (".png", ".svg")
#: The bands, by state of the QoE clock: (colour, legend).
BANDS: Final = {
    "starting": ("#9ecae1", "waiting for the first frame"),
    "playing": ("#a1d99b", "playing"),
    "paused": ("#d9d9d9", "paused"),
    "buffering": ("#fc9272", "buffering"),
    "seeking": ("#fdd49e", "seeking"),
    "ad": ("#bcbddc", "ad"),
}
#: The marks: (marker, colour, legend, row above the line: 0 is the lowest).
MARK_STYLES: Final = {
    "heartbeat": ("|", "#636363", "heartbeat", 0),
    "milestone": ("^", "#238b45", "milestone", 1),
    "seek": ("v", "#d94801", "seek", 2),
    "quality": ("D", "#2171b5", "quality change", 3),
}
INSTALL_HINT: Final = "vtrack plot needs matplotlib: pip install 'vtrack[plot]'"


class PlotError(ValueError):
    """A picture that cannot be made as asked (a suffix, nothing to draw)."""


def draw(timelines: Sequence[Timeline], path: str | Path) -> None:
    """Draw ``timelines`` (one, or small multiples of a few) into ``path`` (.png or .svg).

    Raises :class:`PlotError` for another suffix or no timeline, and ImportError (with
    :data:`INSTALL_HINT`) when matplotlib is missing.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise PlotError(f"{path}: the picture must be a .png or .svg file")
    if not timelines:
        raise PlotError("no session to draw")
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    figure = Figure(figsize=(12, 1.2 + 3.4 * len(timelines)), layout="constrained")
    axes = figure.subplots(len(timelines), 1, squeeze=False)[:, 0]
    for ax, timeline in zip(axes, timelines, strict=True):
        _draw_one(ax, timeline)
    _legend(figure)
    figure.savefig(path, dpi=110)


def _draw_one(ax: Axes, timeline: Timeline) -> None:
    start = timeline.states[0][0] if timeline.states else _first_time(timeline)
    for begin, end, state in timeline.states:
        band = BANDS.get(state)
        if band is not None:
            ax.axvspan(begin - start, end - start, color=band[0], alpha=0.8, linewidth=0)
    if timeline.positions:
        xs = [at - start for at, _ in timeline.positions]
        ax.plot(xs, [p for _, p in timeline.positions], color="#252525", linewidth=1.6)
    top = max((p for _, p in timeline.positions), default=1.0) or 1.0
    for at, mark, label in timeline.marks:
        marker, colour, _, row = MARK_STYLES[mark]
        y = top * (1.06 + 0.07 * row)
        ax.plot([at - start], [y], marker=marker, color=colour, markersize=7, linestyle="")
        if label:
            ax.annotate(label, (at - start, y), xytext=(3, 3), textcoords="offset points",
                        fontsize=7, color=colour)  # fmt: skip
    ax.set_ylim(0, top * 1.36)
    ax.set_xlim(left=0)
    ax.set_xlabel("wall time (seconds since the session began)")
    ax.set_ylabel("playhead (s)")
    ax.set_title(_title(timeline), fontsize=10, loc="left")
    ax.grid(axis="y", color="#f0f0f0")


def _first_time(timeline: Timeline) -> float:
    times = [at for at, _ in timeline.positions] + [at for at, _, _ in timeline.marks]
    return min(times, default=0.0)


def _title(timeline: Timeline) -> str:
    s = timeline.summary
    parts = [f"{s.session_id} ({s.end or 'end unknown'})"]
    if s.startup_time is not None:
        parts.append(f"startup {s.startup_time:.1f} s")
    parts.append(f"played {s.play_time:.0f} s")
    if s.rebuffer_ratio is not None:
        parts.append(f"rebuffering {s.rebuffer_ratio * 100:.1f}% ({s.buffer_count} stalls)")
    if s.completion is not None:
        parts.append(f"completion {s.completion * 100:.0f}%")
    elif s.unique_seconds is not None:
        parts.append(f"{s.unique_seconds:.0f} s watched (no duration: completion unknown)")
    if s.ads_started:
        parts.append(f"{s.ads_started} ads")
    parts.append(f"{s.seek_count} seeks")
    return " | ".join(parts)


def _legend(figure: Any) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color=colour, label=text) for colour, text in BANDS.values()]
    handles.append(Line2D([], [], color="#252525", label="playhead"))
    handles += [
        Line2D([], [], marker=marker, color=colour, linestyle="", label=text)
        for marker, colour, text, _ in MARK_STYLES.values()
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=8, frameon=False)
