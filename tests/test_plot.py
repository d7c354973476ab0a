"""Timelines of sessions and their pictures (PNG and SVG, headless), and ``vtrack plot``."""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import orjson
import pytest

from vtrack import SEGMENT, VIMEO_OTT, Content, MemorySink, Profile, Session, Settings
from vtrack.cli import main
from vtrack.cli.demo import demo_callbacks
from vtrack.plot import PlotError, draw
from vtrack.stats.timeline import Timeline, timelines

T0 = 1_700_000_000.0


def demo_messages(profile: Profile = SEGMENT, session_id: str = "demo") -> list[dict[str, Any]]:
    """The built-in demo session's messages under ``profile``."""
    sink = MemorySink()
    session = Session(
        session_id, anonymous_id="viewer", sink=sink, settings=Settings(profile=profile)
    )
    for callback in demo_callbacks():
        session.handle(callback)
    return sink.messages


def live_messages() -> list[dict[str, Any]]:
    """A live stream watched for 45 s with a stall: no duration, so no completion."""
    sink = MemorySink()
    session = Session("live", anonymous_id="viewer", sink=sink)
    session.load(Content(asset_id="channel-1", live=True), at=T0)
    session.play(at=T0)
    session.playing(position=0.0, at=T0 + 1)
    session.waiting(at=T0 + 20)
    session.playing(position=19.0, at=T0 + 23)
    session.exit(at=T0 + 46)
    return sink.messages


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert b"\x89PNG\r\n\x1a\n" == head[:8]
    width, height = struct.unpack(">II", head[16:24])
    return width, height


class TestTimeline:
    def test_the_demo_timeline_adds_up(self) -> None:
        """States cover the session's wall time; marks match the summary's counts."""
        (timeline,) = timelines(demo_messages())
        first, last = timeline.states[0][0], timeline.states[-1][1]
        assert pytest.approx(last - first) == sum(end - begin for begin, end, _ in timeline.states)
        assert timeline.summary.heartbeats == sum(m == "heartbeat" for _, m, _ in timeline.marks)
        milestones = [label for _, mark, label in timeline.marks if mark == "milestone"]
        assert ["25%", "50%", "75%", "90%"] == milestones
        assert (180.0, 0.0) == (max(p for _, p in timeline.positions), timeline.positions[0][1])


class TestPictures:
    @pytest.mark.parametrize("profile", [SEGMENT, VIMEO_OTT], ids=lambda p: p.name)
    def test_png_of_each_profile(self, profile: Profile, tmp_path: Path) -> None:
        """The demo session draws into a 1320 x 506 PNG under either profile."""
        path = tmp_path / "demo.png"
        draw(timelines(demo_messages(profile)), path)
        assert (1320, 506) == png_size(path)

    def test_svg_of_a_live_session(self, tmp_path: Path) -> None:
        """A live session draws into an SVG that parses, its title saying completion is unknown."""
        (timeline,) = timelines(live_messages())
        assert None is timeline.summary.completion
        path = tmp_path / "live.svg"
        draw([timeline], path)
        root = ElementTree.parse(path).getroot()
        assert "{http://www.w3.org/2000/svg}svg" == root.tag
        assert "completion unknown" in path.read_text(encoding="utf-8")

    def test_small_multiples_grow_downwards(self, tmp_path: Path) -> None:
        """Three sessions draw one above the other in one taller picture."""
        messages = [m for n in range(3) for m in demo_messages(session_id=f"s{n}")]
        chosen = timelines(messages, limit=3)
        path = tmp_path / "three.png"
        draw(chosen, path)
        assert ["s0", "s1", "s2"] == [t.summary.session_id for t in chosen]
        assert (1320, 1254) == png_size(path)

    def test_refuses_what_it_cannot_draw(self, tmp_path: Path) -> None:
        """Another suffix, or no session, is a PlotError naming the problem."""
        with pytest.raises(PlotError, match=r"must be a \.png or \.svg file"):
            draw(timelines(live_messages()), tmp_path / "x.gif")
        empty: list[Timeline] = []
        with pytest.raises(PlotError, match="no session to draw"):
            draw(empty, tmp_path / "x.png")


class TestCommand:
    @pytest.fixture()
    def events(self, tmp_path: Path) -> Path:
        path = tmp_path / "events.jsonl"
        messages = demo_messages(session_id="a") + live_messages()
        path.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in messages))
        return path

    def test_draws_the_session_asked_for(self, events: Path, tmp_path: Path) -> None:
        """--session picks one session; --first 2 draws both, one above the other."""
        one, two = tmp_path / "one.png", tmp_path / "two.png"
        assert 0 == main(["plot", str(events), "--session", "live", "-o", str(one)])
        assert 0 == main(["plot", str(events), "--first", "2", "-o", str(two)])
        assert [506, 880] == [png_size(one)[1], png_size(two)[1]]

    def test_errors_say_what_is_wrong(
        self, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A missing session, a wrong suffix and a missing file exit 2 with one line each."""
        assert 2 == main(["plot", str(events), "--session", "zz", "-o", str(tmp_path / "a.png")])
        assert 2 == main(["plot", str(events), "-o", str(tmp_path / "a.jpg")])
        assert 2 == main(["plot", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "a.png")])
        assert [
            f"vtrack plot: no session 'zz' in {events}",
            f"vtrack plot: {tmp_path / 'a.jpg'}: the picture must be a .png or .svg file",
            f"vtrack plot: {tmp_path / 'none.jsonl'}: no such file",
        ] == capsys.readouterr().err.splitlines()

    def test_without_matplotlib_it_says_how_to_install_it(
        self, events: Path, tmp_path: Path
    ) -> None:
        """With matplotlib missing, vtrack plot exits 2 with the install hint, no traceback."""
        code = (
            "import sys; sys.modules['matplotlib'] = None; from vtrack.cli import main; "
            f"sys.exit(main(['plot', {str(events)!r}, '-o', {str(tmp_path / 'a.png')!r}]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert (2, "vtrack plot: vtrack plot needs matplotlib: pip install 'vtrack[plot]'\n") == (
            done.returncode,
            done.stderr,
        )
