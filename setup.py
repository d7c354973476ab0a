"""Builds vtrack, compiling the modules every callback runs through with mypyc.

Everything else about the package is in ``pyproject.toml``. The compiled modules are the same
source, type-checked with ``mypy --strict``: mypyc turns them into C extensions, which replay
logs in about half the CPU time (see the README's Performance section). Set
``VTRACK_PURE_PYTHON=1`` to install without compiling (no C compiler needed); the output is
byte for byte the same (``tests/test_compiled.py``).
"""

from __future__ import annotations

import os

from setuptools import setup

#: The modules compiled, in one place (tests/test_compiled.py reads this list). A module that
#: takes a user's values straight from a call (vtrack.core.session) stays interpreted: compiled
#: code would refuse a badly typed argument with a TypeError before vtrack could explain it.
COMPILED_MODULES = [
    "vtrack/core/actions.py",
    "vtrack/core/clockwork.py",
    "vtrack/core/emitter.py",
    "vtrack/core/errors.py",
    "vtrack/core/facts.py",
    "vtrack/core/messages.py",
    "vtrack/core/observations.py",
    "vtrack/core/playhead.py",
    "vtrack/core/schedule.py",
    "vtrack/core/summary_event.py",
    "vtrack/core/validation.py",
    "vtrack/core/playback.py",
    "vtrack/profiles/layout.py",
    "vtrack/replay/engine.py",
    "vtrack/replay/log_format.py",
    "vtrack/replay/open_session.py",
    "vtrack/replay/run.py",
    "vtrack/replay/sources.py",
]


def _extensions() -> list[object]:
    if os.environ.get("VTRACK_PURE_PYTHON", "") not in ("", "0"):
        return []
    from mypyc.build import mypycify

    # One shared library for them all, named for the package (not for a hash of the list).
    extensions = mypycify(COMPILED_MODULES, opt_level="3", group_name="vtrack")
    for extension in extensions:
        extension.optional = True  # no C compiler: a warning, and the modules run interpreted
    return list(extensions)


if __name__ == "__main__":
    setup(ext_modules=_extensions())
