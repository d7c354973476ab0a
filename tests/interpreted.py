"""Run vtrack with its compiled modules interpreted from their ``.py`` sources.

``python tests/interpreted.py SCRIPT [ARGS...]`` runs ``SCRIPT`` as ``__main__`` after
:func:`install`, so the output of the interpreted code can be set beside the compiled one's.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parent.parent


def compiled_modules() -> list[str]:
    """The dotted names of the modules ``setup.py`` compiles (its ``COMPILED_MODULES``)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "COMPILED_MODULES" for t in targets):
                assert node.value is not None
                paths: list[str] = ast.literal_eval(node.value)
                return [path.removesuffix(".py").replace("/", ".") for path in paths]
    raise LookupError("setup.py has no COMPILED_MODULES")


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the ``.py`` file of each compiled module, never its extension."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        source = ROOT.joinpath(*fullname.split(".")).with_suffix(".py")
        return importlib.util.spec_from_file_location(fullname, source)


def install() -> None:
    """From now on the compiled modules are imported from their sources (none imported yet)."""
    names = compiled_modules()
    loaded = [name for name in names if name in sys.modules]
    if loaded:
        raise RuntimeError(f"already imported compiled: {', '.join(loaded)}")
    sys.meta_path.insert(0, _Sources(names))


if __name__ == "__main__":
    install()
    sys.argv = sys.argv[1:]
    sys.path.insert(0, str(Path(sys.argv[0]).resolve().parent))
    runpy.run_path(sys.argv[0], run_name="__main__")
