"""Record a real libVLC playback as a raw VLC log (``vtrack replay --dialect vlc``).

Plays a video headless through python-vlc, listens to the media player's events and writes
each as one JSON line with the time it arrived and its payload (``time`` and ``length`` in
milliseconds, ``cache`` in percent). The scripted viewing: play, pause for 2 s at 5 s, resume,
seek to 20 s at 10 s, play to the end.

    apt-get install -y vlc-bin vlc-plugin-base ffmpeg && pip install python-vlc
    python examples/record_vlc.py short.webm --out tests/data/vlc.log

Nothing calls libVLC from inside its callbacks: they only append what they are given; the
script steers from the main thread.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any

import vlc  # type: ignore[import-untyped]

#: The events listened to, and the payload each carries (its field in ``event.u``).
EVENTS = {
    "MediaPlayerOpening": None,
    "MediaPlayerBuffering": "new_cache",
    "MediaPlayerPlaying": None,
    "MediaPlayerPaused": None,
    "MediaPlayerStopped": None,
    "MediaPlayerEndReached": None,
    "MediaPlayerEncounteredError": None,
    "MediaPlayerTimeChanged": "new_time",
    "MediaPlayerLengthChanged": "new_length",
    "MediaPlayerSeekableChanged": "new_seekable",
}
#: The name each payload gets in the log.
PAYLOAD_NAMES = {
    "new_cache": "cache",
    "new_time": "time",
    "new_length": "length",
    "new_seekable": "seekable",
}


class Recorder:
    def __init__(self, session: str) -> None:
        self.session = session
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.time_ms = 0
        self.ended = threading.Event()

    def add(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records.append({"t": round(time.time(), 6), "session": self.session, **record})

    def on_event(self, event: Any, name: str, payload: str | None) -> None:
        record: dict[str, Any] = {"event": name}
        if payload is not None:
            value = getattr(event.u, payload)
            record[PAYLOAD_NAMES[payload]] = value
            if payload == "new_time":
                self.time_ms = value
        self.add(record)
        if name in ("MediaPlayerEndReached", "MediaPlayerEncounteredError"):
            self.ended.set()


def wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the player did not get there in time")
        time.sleep(0.01)


def record(video: Path, session: str, rate: float) -> list[dict[str, Any]]:
    recorder = Recorder(session)
    recorder.add(
        {"anonymous_id": "vlc-viewer", "content": {"asset_id": video.stem, "title": video.name}}
    )
    instance = vlc.Instance(["--intf=dummy", "--vout=dummy", "--aout=dummy", "--quiet"])
    player = instance.media_player_new()
    try:
        manager = player.event_manager()
        for name, payload in EVENTS.items():
            manager.event_attach(getattr(vlc.EventType, name), recorder.on_event, name, payload)
        player.set_media(instance.media_new(str(video)))
        if rate != 1.0:
            player.set_rate(rate)
            recorder.add({"event": "RateChanged", "rate": rate})  # libVLC has no such event
        player.play()
        wait_for(lambda: recorder.time_ms >= 5000, 30)
        player.set_pause(1)
        time.sleep(2.0)
        player.set_pause(0)
        wait_for(lambda: recorder.time_ms >= 10000, 30)
        player.set_time(20000)
        wait_for(recorder.ended.is_set, 60)
        time.sleep(0.3)
        player.stop()
        time.sleep(0.3)
    finally:
        player.release()
        instance.release()
    with recorder.lock:
        return list(recorder.records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--session", default="vlc-1")
    args = parser.parse_args()
    records = record(args.video, args.session, args.rate)
    with args.out.open("w", encoding="utf-8") as out:
        for item in records:
            out.write(json.dumps(item) + "\n")
    print(f"{len(records)} records written to {args.out}")


if __name__ == "__main__":
    main()
