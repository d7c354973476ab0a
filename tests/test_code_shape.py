"""The code keeps the shape that lets a newcomer find a rule in one guess."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vtrack import Session

VTRACK = Path(__file__).parent.parent / "vtrack"
MODULES = sorted(VTRACK.rglob("*.py"))
MODULE_LINES, CLASS_LINES, FUNCTION_LINES = 500, 400, 60


def _name(path: Path) -> str:
    return str(path.relative_to(VTRACK))


def _sizes(path: Path, kinds: tuple[type[ast.AST], ...]) -> dict[str, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        f"{_name(path)}:{node.name}": node.end_lineno - node.lineno + 1  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if isinstance(node, kinds)
    }


class TestCodeShape:
    @pytest.mark.parametrize("path", MODULES, ids=_name)
    def test_modules_are_small(self, path: Path) -> None:
        """No module is over 500 lines."""
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MODULE_LINES

    @pytest.mark.parametrize("path", MODULES, ids=_name)
    def test_classes_and_functions_are_small(self, path: Path) -> None:
        """No class is over 400 lines, no function over 60."""
        classes = _sizes(path, (ast.ClassDef,))
        functions = _sizes(path, (ast.FunctionDef, ast.AsyncFunctionDef))
        too_big = {name: n for name, n in classes.items() if n > CLASS_LINES}
        too_big |= {name: n for name, n in functions.items() if n > FUNCTION_LINES}
        assert {} == too_big

    def test_the_session_is_composed_not_inherited(self) -> None:
        """Session inherits from nothing: its parts are collaborators it holds."""
        assert (Session, object) == Session.__mro__
