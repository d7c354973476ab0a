"""Record a real mpv playback as a raw mpv log (``vtrack replay --dialect mpv``).

Plays a video headless through python-mpv, observes the properties and events a player
integration sees, and writes each as one JSON line with the time it arrived. The scripted
viewing: play, pause for 2 s at 5 s, resume, seek to 20 s at 10 s, play to the end.

    apt-get install -y mpv libmpv2 ffmpeg && pip install python-mpv
    ffmpeg -f lavfi -i testsrc2=duration=30:size=160x120:rate=5 -f lavfi -i sine=duration=30 \\
        -shortest short.webm
    python examples/record_mpv.py short.webm --keep-open yes --out tests/data/mpv-keep-open.log

Nothing is read back from the player inside its callbacks (python-mpv's event thread): the
observers only append what they are given; the script steers from the main thread.

Options beyond the defaults (without them the recorder behaves exactly as above):

    --pause-at S / --seek-at S / --seek-to S
        move the scripted pause (default 5), the seek's moment (default 10) and its target
        (default 20), e.g. ``--seek-to 45 --seek-at 10`` on a 60 s video.
    --throttle BYTES_PER_SEC
        serve the video over HTTP from 127.0.0.1 (with range requests, each connection limited
        to BYTES_PER_SEC) and play that URL, so a bitrate above the limit makes mpv stall
        (``paused-for-cache``); pair it with a small cache, e.g.
        ``--mpv-option cache-secs=1 --mpv-option demuxer-max-bytes=64KiB``.
    --mpv-option NAME=VALUE (repeatable)
        any further mpv option, set when the player is created.
    --wait-timeout S
        how long each scripted wait may take (default 30 to reach a position, 60 to the end;
        given, it is used for both), for slow (throttled) streams.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import mpv  # type: ignore[import-untyped]

#: The properties a player integration observes.
OBSERVED = ("pause", "time-pos", "duration", "seeking", "paused-for-cache", "eof-reached", "speed")
#: The events it listens to.
EVENTS = ("start-file", "file-loaded", "playback-restart", "seek", "end-file", "shutdown")


class Recorder:
    """Collects observations as raw log records, thread-safe."""

    def __init__(self, session: str) -> None:
        self.session = session
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.position: float | None = None
        self.eof = threading.Event()
        self.end_file = threading.Event()

    def add(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records.append({"t": round(time.time(), 6), "session": self.session, **record})

    def on_property(self, name: str, value: Any) -> None:
        self.add({"property": name, "value": value})
        if name == "time-pos" and value is not None:
            self.position = value
        if name == "eof-reached" and value:
            self.eof.set()

    def on_event(self, event: Any) -> None:
        data = event.as_dict(decoder=mpv.lazy_decoder)
        name = data.get("event")
        if name not in EVENTS:
            return
        record: dict[str, Any] = {"event": name}
        if name == "end-file":
            record["reason"] = data.get("reason")
            self.end_file.set()
        self.add(record)


def wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the player did not get there in time")
        time.sleep(0.01)


def throttled_server(video: Path, bytes_per_sec: int) -> ThreadingHTTPServer:
    """Serve ``video`` at /<name> from 127.0.0.1, with byte ranges, each response sent at no
    more than ``bytes_per_sec`` (--throttle). Runs in a daemon thread until shut down."""
    data = video.read_bytes()
    chunk = max(1, min(4096, bytes_per_sec // 20))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            size = len(data)
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            start, end = 0, size - 1
            if match and match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            if match and start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.end_headers()
                return
            self.send_response(206 if match else 200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start + 1))
            if match:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            began = time.monotonic()
            sent = 0
            try:
                while start + sent <= end:
                    piece = data[start + sent : min(start + sent + chunk, end + 1)]
                    self.wfile.write(piece)
                    sent += len(piece)
                    ahead = sent / bytes_per_sec - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the player closed the connection (a seek, the end)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def record(
    video: Path,
    session: str,
    keep_open: str,
    speed: float,
    pause_at: float = 5.0,
    seek_at: float = 10.0,
    seek_to: float = 20.0,
    throttle: int | None = None,
    options: dict[str, str] | None = None,
    wait_timeout: float | None = None,
) -> list[dict[str, Any]]:
    recorder = Recorder(session)
    recorder.add(
        {"anonymous_id": "mpv-viewer", "content": {"asset_id": video.stem, "title": video.name}}
    )
    server = throttled_server(video, throttle) if throttle else None
    source = str(video)
    if server is not None:
        source = f"http://127.0.0.1:{server.server_address[1]}/{video.name}"
    player = mpv.MPV(vo="null", ao="null", keep_open=keep_open, speed=speed, **(options or {}))
    try:
        for name in OBSERVED:
            player.observe_property(name, recorder.on_property)
        player.register_event_callback(recorder.on_event)
        player.play(source)
        wait_for(lambda: (recorder.position or 0.0) >= pause_at, wait_timeout or 30)
        player.pause = True
        time.sleep(2.0)
        player.pause = False
        wait_for(lambda: (recorder.position or 0.0) >= seek_at, wait_timeout or 30)
        player.seek(seek_to, reference="absolute", precision="exact")
        done = recorder.eof if keep_open == "yes" else recorder.end_file
        wait_for(done.is_set, wait_timeout or 60)
        time.sleep(0.5)  # what the player says after the end (keep-open flips pause)
    finally:
        player.terminate()
        if server is not None:
            server.shutdown()
    with recorder.lock:
        return list(recorder.records)


def mpv_option(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.replace("-", "_"), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep-open", choices=("yes", "no"), default="yes")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--session", default="mpv-1")
    parser.add_argument("--pause-at", type=float, default=5.0, metavar="S")
    parser.add_argument("--seek-at", type=float, default=10.0, metavar="S")
    parser.add_argument("--seek-to", type=float, default=20.0, metavar="S")
    parser.add_argument("--throttle", type=int, default=None, metavar="BYTES_PER_SEC")
    parser.add_argument("--mpv-option", type=mpv_option, action="append", default=[])
    parser.add_argument("--wait-timeout", type=float, default=None, metavar="S")
    args = parser.parse_args()
    records = record(
        args.video,
        args.session,
        args.keep_open,
        args.speed,
        pause_at=args.pause_at,
        seek_at=args.seek_at,
        seek_to=args.seek_to,
        throttle=args.throttle,
        options=dict(args.mpv_option),
        wait_timeout=args.wait_timeout,
    )
    with args.out.open("w", encoding="utf-8") as out:
        for item in records:
            out.write(json.dumps(item) + "\n")
    print(f"{len(records)} records written to {args.out}")


if __name__ == "__main__":
    main()
