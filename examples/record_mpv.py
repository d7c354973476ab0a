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
"""

from __future__ import annotations

import argparse
import json
import threading
import time
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


def record(video: Path, session: str, keep_open: str, speed: float) -> list[dict[str, Any]]:
    recorder = Recorder(session)
    recorder.add(
        {"anonymous_id": "mpv-viewer", "content": {"asset_id": video.stem, "title": video.name}}
    )
    player = mpv.MPV(vo="null", ao="null", keep_open=keep_open, speed=speed)
    try:
        for name in OBSERVED:
            player.observe_property(name, recorder.on_property)
        player.register_event_callback(recorder.on_event)
        player.play(str(video))
        wait_for(lambda: (recorder.position or 0.0) >= 5.0, 30)
        player.pause = True
        time.sleep(2.0)
        player.pause = False
        wait_for(lambda: (recorder.position or 0.0) >= 10.0, 30)
        player.seek(20.0, reference="absolute", precision="exact")
        done = recorder.eof if keep_open == "yes" else recorder.end_file
        wait_for(done.is_set, 60)
        time.sleep(0.5)  # what the player says after the end (keep-open flips pause)
    finally:
        player.terminate()
    with recorder.lock:
        return list(recorder.records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep-open", choices=("yes", "no"), default="yes")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--session", default="mpv-1")
    args = parser.parse_args()
    records = record(args.video, args.session, args.keep_open, args.speed)
    with args.out.open("w", encoding="utf-8") as out:
        for item in records:
            out.write(json.dumps(item) + "\n")
    print(f"{len(records)} records written to {args.out}")


if __name__ == "__main__":
    main()
