"""The modules mypyc compiles (setup.py) behave exactly as their interpreted sources.

An install compiles them unless ``VTRACK_PURE_PYTHON`` is set; the interpreted code must then
write the same bytes, and the compiled code must keep what Python promises about exceptions.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from interpreted import ROOT, compiled_modules

from vtrack import InvalidCallback, Session, Settings, SinkError
from vtrack.replay import Replayer, ReplayError
from vtrack.replay.sources import SourceError, read_lines

PURE = os.environ.get("VTRACK_PURE_PYTHON", "") not in ("", "0")


@pytest.mark.parametrize("name", compiled_modules())
def test_each_listed_module_is_compiled(name: str) -> None:
    """Each module setup.py lists is imported as an extension, beside its source.

    (`make` builds them again when a source changes; a stale one would run old code.)
    """
    module = importlib.import_module(name)
    source = ROOT.joinpath(*name.split(".")).with_suffix(".py")
    loaded = Path(module.__file__ or "")
    if PURE:
        assert source == loaded
    else:
        assert (source.parent, ".so") == (loaded.parent, loaded.suffix)


def test_the_interpreted_modules_write_the_golden_bytes() -> None:
    """Replays and demos, with every compiled module interpreted, write the recorded bytes."""
    program = (
        "import sys, runpy; sys.path.insert(0, 'tests'); import interpreted; "
        "interpreted.install(); import vtrack.core.emitter as e; print(e.__file__); "
        "sys.argv = ['tests/test_golden_outputs.py', '--check']; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    emitter_file, summary, *changed = done.stdout.splitlines()
    assert (0, "", []) == (done.returncode, done.stderr, changed)
    assert str(ROOT / "vtrack" / "core" / "emitter.py") == emitter_file
    assert summary.endswith(" hashes, 0 changed")


class _Broken:
    def emit(self, message: dict[str, object]) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_sink_error_names_the_sinks_exception_as_its_cause() -> None:
    """SinkError.__cause__ is what the sink raised, as ``raise ... from`` would set it."""
    session = Session("s", anonymous_id="v", sink=_Broken())
    with pytest.raises(SinkError) as raised:
        session.play(at=1.0)
    assert (BrokenPipeError, True) == (
        type(raised.value.__cause__),
        raised.value.__cause__ is raised.value.cause,
    )


def test_a_source_error_does_not_chain_the_os_error(tmp_path: Path) -> None:
    """A missing log's SourceError hides the OSError it came from (``raise ... from None``)."""
    with pytest.raises(SourceError) as raised:
        list(read_lines(tmp_path / "missing.log"))
    assert (None, True) == (raised.value.__cause__, raised.value.__suppress_context__)


@pytest.mark.parametrize("event", ["seeked", "ad_end"])  # a usual line, and a full parse
def test_a_strict_replays_error_names_the_refused_callback_as_its_cause(event: str) -> None:
    """A strict replay's ReplayError has the session's InvalidCallback as its __cause__."""
    replayer = Replayer(Settings(), strict=True)
    records = [
        {"t": 1.0, "session": "s", "event": "load", "anonymous_id": "v", "duration": 60.0},
        {"t": 2.0, "session": "s", "event": "play"},
        {"t": 3.0, "session": "s", "event": "playing", "position": 0.0},
    ]
    for line, record in enumerate(records, 1):
        replayer.feed_object(record, ("log", line))
    with pytest.raises(ReplayError) as raised:
        replayer.feed_object({"t": 4.0, "session": "s", "event": event}, ("log", 4))
    assert InvalidCallback is type(raised.value.__cause__)
