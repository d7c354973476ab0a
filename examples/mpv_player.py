"""Play a file or URL with mpv and print the Segment video events as they happen.

    pip install -e '.[players]'   # python-mpv; and apt-get install mpv libmpv2
    python examples/mpv_player.py VIDEO_OR_URL [--headless] [--speed 2] [--heartbeat 10]

Each event is printed as one JSON line the moment vtrack sends it: heartbeats every
``--heartbeat`` seconds of playing, milestones, pauses, seeks (use the mpv window's keys), the
end. Close the window (or Ctrl-C) to leave: Video Playback Exited is printed last.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import mpv  # type: ignore[import-untyped]

from vtrack import CallbackSink, Content
from vtrack.adapters.mpv import attach_mpv
from vtrack.core.machine import INTERRUPTED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", help="a video file or URL")
    parser.add_argument("--headless", action="store_true", help="no window, no sound")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--heartbeat", type=int, default=10)
    args = parser.parse_args()
    if "://" not in args.media and not Path(args.media).is_file():
        sys.exit(f"{Path(__file__).name}: {args.media}: no such file")
    options = {"vo": "null", "ao": "null"} if args.headless else {"input_default_bindings": True}
    player = mpv.MPV(keep_open="no", speed=args.speed, **options)
    printed = threading.Lock()
    failed = False

    def show(message: dict[str, object]) -> None:
        with printed:
            print(json.dumps(message), flush=True)

    adapter = attach_mpv(
        player,
        "mpv-example",
        sink=CallbackSink(show),
        anonymous_id="example-viewer",
        heartbeat=args.heartbeat,
        content=Content(asset_id=Path(args.media).stem, title=Path(args.media).name),
    )
    try:
        player.play(args.media)
        # Until the end, until the window is closed (mpv shuts down: the session exits), or
        # until the player gives up on the file (a fatal error interrupts the session).
        while not adapter.translator.ended and not adapter.tracker.closed:
            if adapter.tracker.session.state == INTERRUPTED:
                failed = True
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        adapter.close()
        player.terminate()
    if failed:
        sys.exit(f"{Path(__file__).name}: mpv could not play {args.media}")


if __name__ == "__main__":
    main()
