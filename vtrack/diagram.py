"""The session's state machine drawn from :data:`vtrack.core.machine.TABLE`: Mermaid or Graphviz.

Nothing is drawn by hand: every state of the table is a node and every row an arrow from each
of its source states to its destination (to itself when the row keeps the state), labelled
with its trigger. Rows between the same two states share one arrow; in the Graphviz text each
trigger keeps its guards (``not`` marks a guard that must be false).
"""

from __future__ import annotations

from typing import Final, Literal

from vtrack.core.machine import IDLE, STATES, TABLE, TERMINAL_STATES

Format = Literal["mermaid", "dot"]
#: The formats :func:`render` writes.
FORMATS: Final[tuple[Format, ...]] = ("mermaid", "dot")


def arrows(*, guards: bool) -> dict[tuple[str, str], list[str]]:
    """``{(source, destination): [trigger, ...]}`` of every row, in the table's order.

    With ``guards``, each trigger reads ``trigger [guard, not other]``; triggers repeat only
    when their guards differ.
    """
    found: dict[tuple[str, str], list[str]] = {}
    for trigger, sources, dest, row_guards, _ in TABLE:
        label = trigger
        if guards and row_guards:
            named = (f"not {g[1:]}" if g.startswith("!") else g for g in row_guards)
            label = f"{trigger} [{', '.join(named)}]"
        for source in (sources,) if isinstance(sources, str) else sources:
            labels = found.setdefault((source, dest or source), [])
            if label not in labels:
                labels.append(label)
    return found


def mermaid() -> str:
    """A Mermaid ``stateDiagram-v2`` of the machine (GitHub renders it in Markdown)."""
    lines = ["stateDiagram-v2", f"    [*] --> {IDLE}"]
    for (source, dest), triggers in arrows(guards=False).items():
        lines.append(f"    {source} --> {dest}: {', '.join(triggers)}")
    lines += [f"    {state} --> [*]" for state in STATES if state in TERMINAL_STATES]
    return "\n".join(lines) + "\n"


def dot() -> str:
    """A Graphviz ``digraph`` of the machine, guards included (``dot -Tsvg`` draws it)."""
    lines = [
        "digraph vtrack_session {",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]
    lines.append('    "start" [shape=point, label=""];')
    lines.append(f'    "start" -> "{IDLE}";')
    for state in STATES:
        shape = ", peripheries=2" if state in TERMINAL_STATES else ""
        lines.append(f'    "{state}" [label="{state}"{shape}];')
    for (source, dest), triggers in arrows(guards=True).items():
        label = "\\n".join(triggers)
        lines.append(f'    "{source}" -> "{dest}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(kind: Format) -> str:
    """The machine in ``kind`` (one of :data:`FORMATS`)."""
    if kind == "mermaid":
        return mermaid()
    if kind == "dot":
        return dot()
    raise ValueError(f"unknown diagram format {kind!r}; the formats are: {', '.join(FORMATS)}")
