"""The state machine drawn from its table: Mermaid, Graphviz, the command and the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vtrack.cli import main
from vtrack.core.machine import STATES, TABLE, TERMINAL_STATES
from vtrack.diagram import arrows, dot, mermaid, render

README = Path(__file__).parent.parent / "README.md"
PICTURE = re.compile(
    r"<!-- vtrack machine: start -->\n```mermaid\n(.*?)```\n<!-- vtrack machine: end -->", re.S
)


class TestDiagram:
    def test_every_row_is_an_arrow(self) -> None:
        """Each row's trigger labels an arrow from each source to its destination (or itself)."""
        drawn = arrows(guards=False)
        for trigger, sources, dest, _, _ in TABLE:
            for source in (sources,) if isinstance(sources, str) else sources:
                assert trigger in drawn[(source, dest or source)]

    def test_mermaid_names_every_state_and_trigger(self) -> None:
        """The Mermaid picture starts idle, ends in the terminal states, has every trigger."""
        picture = mermaid()
        assert picture.startswith("stateDiagram-v2\n    [*] --> idle\n")
        for state in TERMINAL_STATES:
            assert f"    {state} --> [*]\n" in picture
        states = set(re.findall(r"^    (\w+) --> (\w+)", picture, re.M))
        assert set(STATES) == {s for pair in states for s in pair}
        assert {row[0] for row in TABLE} == {
            trigger
            for labels in re.findall(r": (.*)$", picture, re.M)
            for trigger in labels.split(", ")
        }

    def test_dot_keeps_the_guards(self) -> None:
        """The Graphviz text declares every state and labels arrows with their guards."""
        text = dot()
        assert text.startswith("digraph vtrack_session {") and text.endswith("}\n")
        assert '    "start" -> "idle";\n' in text
        for state in STATES:
            assert f'"{state}" [label="{state}"' in text
        assert '"paused" -> "playing" [label="play [content_has_started]' in text
        assert "play [not content_has_started]" in text

    def test_an_unknown_format_is_refused(self) -> None:
        """render() names the formats it knows."""
        with pytest.raises(ValueError, match="the formats are: mermaid, dot"):
            render("svg")  # type: ignore[arg-type]


class TestCommand:
    def test_vtrack_machine_prints_the_picture(self, capsys: pytest.CaptureFixture[str]) -> None:
        """vtrack machine prints the Mermaid picture; --format dot the Graphviz one."""
        assert 0 == main(["machine"])
        assert mermaid() == capsys.readouterr().out
        assert 0 == main(["machine", "--format", "dot"])
        assert dot() == capsys.readouterr().out

    def test_a_wrong_format_says_what_is_allowed(self) -> None:
        """--format svg exits 2 naming the choices, with no traceback."""
        done = subprocess.run(
            [sys.executable, "-m", "vtrack.cli", "machine", "--format", "svg"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert 2 == done.returncode
        assert "choose from 'mermaid', 'dot'" in done.stderr
        assert "Traceback" not in done.stderr


class TestReadme:
    def test_the_readme_shows_the_machine_as_it_is(self) -> None:
        """The README's Mermaid picture is exactly what the table draws today."""
        found = PICTURE.search(README.read_text(encoding="utf-8"))
        assert found is not None, "the README lost its machine picture"
        assert mermaid() == found.group(1)
