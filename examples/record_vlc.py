"""Record a real libVLC playback as a raw VLC log (``vtrack replay --dialect vlc``).

Plays a video headless through python-vlc, listens to the media player's events and writes
each as one JSON line with the time it arrived and its payload (``time`` and ``length`` in
milliseconds, ``cache`` in percent). The scripted viewing: play, pause for 2 s at 5 s, resume,
seek to 20 s at 10 s, play to the end.

    apt-get install -y vlc-bin vlc-plugin-base ffmpeg && pip install python-vlc
    python examples/record_vlc.py short.webm --out tests/data/vlc.log

Nothing calls libVLC from inside its callbacks: they only append what they are given; the
script steers from the main thread.

Options beyond the defaults (without them the recorder behaves exactly as above):

    --pause-at S / --seek-at S / --seek-to S
        move the scripted pause (default 5), the seek's moment (default 10) and its target
        (default 20), e.g. ``--seek-to 45`` on a 60 s video.
    --give-up S
        never wait more than S seconds in all: if the player ends (``EndReached`` or
        ``EncounteredError``) before the script is done, or S seconds pass, skip the rest of
        the script, stop the player and write what was recorded (for media VLC cannot play,
        e.g. garbage bytes, where the default script would wait for a position that never
        comes and stop with no log).
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


class GaveUp(Exception):
    """The player ended early, or --give-up's time is out: the rest of the script is skipped."""


def record(
    video: Path,
    session: str,
    rate: float,
    pause_at: float = 5.0,
    seek_at: float = 10.0,
    seek_to: float = 20.0,
    give_up: float | None = None,
) -> list[dict[str, Any]]:
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
        scripted(player, recorder, pause_at, seek_at, seek_to, give_up)
        time.sleep(0.3)
        player.stop()
        time.sleep(0.3)
    finally:
        player.release()
        instance.release()
    with recorder.lock:
        return list(recorder.records)


def scripted(
    player: Any,
    recorder: Recorder,
    pause_at: float,
    seek_at: float,
    seek_to: float,
    give_up: float | None,
) -> None:
    """The scripted viewing at the given moments; with ``give_up``, bounded in time and cut
    short when the player ends before the script is done."""
    deadline = time.monotonic() + give_up if give_up is not None else None

    def until(condition: Any, timeout: float) -> None:
        if deadline is None:
            wait_for(condition, timeout)
            return
        while not condition():
            if recorder.ended.is_set() or time.monotonic() > deadline:
                raise GaveUp
            time.sleep(0.01)

    try:
        until(lambda: recorder.time_ms >= pause_at * 1000, 30)
        player.set_pause(1)
        time.sleep(2.0)
        player.set_pause(0)
        until(lambda: recorder.time_ms >= seek_at * 1000, 30)
        player.set_time(round(seek_to * 1000))
        until(recorder.ended.is_set, 60)
    except GaveUp:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--session", default="vlc-1")
    parser.add_argument("--pause-at", type=float, default=5.0, metavar="S")
    parser.add_argument("--seek-at", type=float, default=10.0, metavar="S")
    parser.add_argument("--seek-to", type=float, default=20.0, metavar="S")
    parser.add_argument("--give-up", type=float, default=None, metavar="S")
    args = parser.parse_args()
    records = record(
        args.video,
        args.session,
        args.rate,
        pause_at=args.pause_at,
        seek_at=args.seek_at,
        seek_to=args.seek_to,
        give_up=args.give_up,
    )
    with args.out.open("w", encoding="utf-8") as out:
        for item in records:
            out.write(json.dumps(item) + "\n")
    print(f"{len(records)} records written to {args.out}")


if __name__ == "__main__":
    main()
