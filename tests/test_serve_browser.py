"""vtrack.js in a real browser: headless Chromium plays a clip with the snippet attached, and the
messages reaching a collector are the expected viewing and the replay of the recorded session.

Needs Debian's chromium and ffmpeg (.ci/run installs both): locally the test skips without
them; in CI (CI=true) it never skips, it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cdp import CHROMIUM, Browser, chromium
from collector import running_collector
from serve_feed import replayed
from serve_server import serve_process, stop

#: What the viewing makes, heartbeats and milestones left out.
VIEWING = [
    "Video Playback Started",
    "Video Content Started",
    "Video Playback Paused",
    "Video Playback Resumed",
    "Video Playback Seek Started",
    "Video Playback Seek Completed",
    "Video Content Completed",
    "Video Playback Completed",
    "Video Playback Exited",
]

PAGE = """<!doctype html><meta charset="utf-8"><title>vtrack.js</title>
<video id="v" muted preload="auto"></video>
<script src="%(serve)s/vtrack.js"></script>
<script>
  const v = document.getElementById("v");
  window.tracker = vtrack.attach(v, {endpoint: "%(serve)s/v1/events",
    anonymousId: "browser-viewer", content: {asset_id: "clip", title: "clip.webm"}});
  v.src = "/clip.webm";
</script>
"""


def _needs(tool: str) -> None:
    if shutil.which(tool) is None and not os.path.exists(tool):
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs it")
        pytest.skip(f"{tool} is not installed")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 s VP8 WebM clip, made with ffmpeg."""
    _needs("ffmpeg")
    path = tmp_path_factory.mktemp("clip") / "clip.webm"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=8:size=160x120:rate=25",
            "-c:v",
            "libvpx",
            "-b:v",
            "200k",
            "-g",
            "25",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path


class Site:
    """The page's origin, and the vtrack serve it loads the snippet from (set once it runs)."""

    origin = ""
    serve = ""


@contextmanager
def page_server(clip: Path) -> Iterator[Site]:
    """The page (its origin: this server) and the clip, with byte ranges, on 127.0.0.1."""
    site = Site()
    data = clip.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/unit":  # an empty page: nothing but the test's scripts runs
                self._send(200, b"<!doctype html><title>unit</title>", "text/html")
                return
            if self.path != "/clip.webm":
                page = (PAGE % {"serve": site.serve}).encode()
                self._send(200, page, "text/html; charset=utf-8")
                return
            found = re.match(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if found is None:
                self._send(200, data, "video/webm")
                return
            start = int(found.group(1) or 0)
            end = min(int(found.group(2) or len(data) - 1), len(data) - 1)
            extra = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
            self._send(206, data[start : end + 1], "video/webm", extra)

        def _send(
            self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    site.origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _recorded(record: Path, what: str, timeout: float = 20.0) -> None:
    """Wait until the session's recording holds ``what`` (the server took it)."""
    deadline = time.monotonic() + timeout
    while not any(what in p.read_text() for p in record.glob("*.jsonl")):
        assert time.monotonic() < deadline, f"the server never got {what}"
        time.sleep(0.05)


def test_a_viewing_in_chromium_reaches_the_collector_as_its_replay(
    tmp_path: Path, clip: Path
) -> None:
    """Play, pause, resume, seek, play to the end, close the tab: the collector gets the
    expected viewing, and exactly the replay of the session's recorded records."""
    _needs(CHROMIUM)
    record = tmp_path / "record"
    with running_collector() as collector, page_server(clip) as site:
        args = ["--allow-origin", site.origin, "--record", str(record), "--sink", "endpoint"]
        args += ["--url", collector.url]
        env = {**os.environ, "VTRACK_WRITE_KEY": "browser-test"}
        with serve_process(*args, env=env) as (process, site.serve):
            with chromium(tmp_path / "profile") as browser:
                target, tab = browser.open(site.origin)
                browser.wait_for(tab, "typeof tracker === 'object' && v.readyState >= 1")
                browser.evaluate(tab, "v.play().then(() => true)")
                browser.wait_for(tab, "v.currentTime >= 1.0")
                browser.evaluate(tab, "v.pause()")
                time.sleep(1.0)
                browser.evaluate(tab, "v.play().then(() => true)")
                browser.wait_for(tab, "v.currentTime >= 2.5")
                browser.evaluate(tab, "v.currentTime = 5")
                browser.wait_for(tab, "v.ended")
                browser.call("Target.closeTarget", targetId=target)
                _recorded(record, '"pagehide"')
            status, _ = stop(process)
        messages = collector.accepted
    files = sorted(record.glob("*.jsonl"))
    assert (0, 1) == (status, len(files))
    assert replayed(files[0]) == messages
    story = [m["event"] for m in messages if m["event"] in VIEWING]
    assert VIEWING == story


#: A fake <video> with the snippet attached, playing 24 timeupdates (after a harness's fakes).
PLAYING = """
Math.random = () => 0;
window.fake = new EventTarget();
Object.assign(fake, {currentTime: 0, duration: 60, paused: false, ended: false, playbackRate: 1});
window.tracker = vtrack.attach(fake, {endpoint: "http://127.0.0.1:9/v1/events",
  anonymousId: "u", content: {asset_id: "a"}});
for (let i = 0; i < 24; i++) {
  fake.currentTime = i / 4;
  fake.dispatchEvent(new Event(i === 0 ? "play" : "timeupdate"));
}
true
"""

#: A fake <video> and network for the snippet: fetch fails twice, then takes everything.
HARNESS = (
    """
window.calls = [];
window.beacons = [];
let failures = 2;
window.fetch = (url, init) => {
  const ok = failures-- <= 0;
  calls.push({url, body: init.body, keepalive: init.keepalive, credentials: init.credentials, ok});
  return ok ? Promise.resolve({ok: true, status: 204}) : Promise.reject(new TypeError("offline"));
};
navigator.sendBeacon = (url, blob) => {
  blob.text().then((text) => beacons.push(text));
  return true;
};
"""
    + PLAYING
)


@contextmanager
def unit_page(tmp_path: Path, clip: Path, harness: str) -> Iterator[tuple[Browser, str]]:
    """Chromium on the unit page with vtrack.js and ``harness`` (fakes) loaded: (browser, tab)."""
    _needs(CHROMIUM)
    source = (Path(__file__).parent.parent / "vtrack" / "serve" / "vtrack.js").read_text()
    with page_server(clip) as site, chromium(tmp_path / "profile") as browser:
        _, tab = browser.open(f"{site.origin}/unit")
        browser.wait_for(tab, "document.title === 'unit' && document.readyState === 'complete'")
        browser.evaluate(tab, source)
        browser.evaluate(tab, harness)
        yield browser, tab


def test_the_snippet_sends_a_failed_batch_again_and_beacons_at_pagehide(
    tmp_path: Path, clip: Path
) -> None:
    """In Chromium, against a fake network: 20 records leave at once, the batch is sent again
    (same id) until taken, the rest follows in 2 s naming the viewer, and pagehide sends a
    pagehide record by beacon."""
    with unit_page(tmp_path, clip, HARNESS) as (browser, tab):
        browser.wait_for(tab, "calls.filter((c) => c.ok).length >= 2", timeout=20)
        browser.evaluate(tab, "fake.dispatchEvent(new Event('pause')); true")
        browser.evaluate(tab, "dispatchEvent(new PageTransitionEvent('pagehide')); true")
        browser.wait_for(tab, "beacons.length >= 1", timeout=10)
        calls = browser.evaluate(tab, "calls")
        beacons = browser.evaluate(tab, "beacons")
    batches = [re.search(r"batch=([\w-]+)", c["url"]).group(1) for c in calls]  # type: ignore[union-attr]
    records = [[json.loads(line) for line in c["body"].splitlines()] for c in calls]
    last = [json.loads(line) for line in beacons[0].splitlines()]
    assert [False, False, True, True] == [c["ok"] for c in calls]
    assert (1, 2, 3) == (
        len(set(batches[:3])),
        len(set(batches)),
        len({c["url"] for c in calls[:3]}),
    )
    assert [20, 20, 20, 5] == [len(r) for r in records]
    assert [("u", {"asset_id": "a"})] * 2 == [
        (r[0]["anonymous_id"], r[0]["content"]) for r in records[2:]
    ]
    assert ({True}, {"omit"}) == (
        {c["keepalive"] for c in calls},
        {c["credentials"] for c in calls},
    )
    assert (["pause", "pagehide"], "u") == ([r.get("type") for r in last], last[0]["anonymous_id"])


#: A fake <video> and a network whose first fetch hangs until the test settles it.
HANGING = (
    """
window.calls = [];
window.beacons = [];
window.visibility = "visible";
window.fetch = (url, init) => {
  calls.push({url, body: init.body});
  return new Promise((resolve, reject) => { window.settle = {resolve, reject}; });
};
navigator.sendBeacon = (url, blob) => {
  blob.text().then((text) => beacons.push({url, text}));
  return true;
};
Object.defineProperty(document, "visibilityState", {get: () => visibility, configurable: true});
"""
    + PLAYING
)


def test_a_hidden_page_beacons_the_batch_under_way_first_under_its_id(
    tmp_path: Path, clip: Path
) -> None:
    """In Chromium: the page is hidden while a batch's fetch hangs: that batch leaves by beacon
    first, under its own id, then the queued records; the fetch failing afterwards sends
    nothing again (the server drops whichever copy comes second)."""
    with unit_page(tmp_path, clip, HANGING) as (browser, tab):
        browser.wait_for(tab, "calls.length === 1", timeout=10)
        browser.evaluate(
            tab, "visibility = 'hidden'; document.dispatchEvent(new Event('visibilitychange'))"
        )
        browser.wait_for(tab, "beacons.length >= 1", timeout=10)
        browser.evaluate(tab, "settle.reject(new TypeError('offline')); true")
        time.sleep(1.5)  # past a retry's backoff (0.5 s with Math.random() = 0); beacons read
        calls = browser.evaluate(tab, "calls")
        beacons = browser.evaluate(tab, "beacons")
    ids = [re.search(r"batch=([\w-]+)", c["url"]).group(1) for c in calls + beacons]  # type: ignore[union-attr]
    sizes = [len(b["text"].splitlines()) for b in beacons]
    assert (1, [20, 5], ids[0], True) == (len(calls), sizes, ids[1], ids[2] != ids[0])
