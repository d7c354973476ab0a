"""Play a file or URL with VLC and print the Segment video events as they happen.

    pip install -e '.[players]'   # python-vlc; and apt-get install vlc-bin vlc-plugin-base
    python examples/vlc_player.py VIDEO_OR_URL [--headless] [--rate 2] [--heartbeat 10]

Each event is printed as one JSON line the moment vtrack sends it. Playback runs to the end
(or Ctrl-C); Video Playback Exited is printed last.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import vlc  # type: ignore[import-untyped]

from vtrack import CallbackSink, Content
from vtrack.adapters.vlc import attach_vlc
from vtrack.core.machine import INTERRUPTED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("media", help="a video file or URL")
    parser.add_argument("--headless", action="store_true", help="no window, no sound")
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--heartbeat", type=int, default=10)
    args = parser.parse_args()
    if "://" not in args.media and not Path(args.media).is_file():
        sys.exit(f"{Path(__file__).name}: {args.media}: no such file")
    flags = ["--intf=dummy", "--vout=dummy", "--aout=dummy"] if args.headless else []
    instance = vlc.Instance([*flags, "--quiet"])
    player = instance.media_player_new()
    printed = threading.Lock()
    failed = False

    def show(message: dict[str, object]) -> None:
        with printed:
            print(json.dumps(message), flush=True)

    adapter = attach_vlc(
        player,
        "vlc-example",
        sink=CallbackSink(show),
        anonymous_id="example-viewer",
        heartbeat=args.heartbeat,
        content=Content(asset_id=Path(args.media).stem, title=Path(args.media).name),
    )
    try:
        player.set_media(instance.media_new(args.media))
        if args.rate != 1.0:
            adapter.set_rate(args.rate)
        player.play()
        # The main thread only waits (libVLC calls the adapter): until the end, or until the
        # player gives up on the file (a fatal error interrupts the session).
        while not adapter.translator.ended and not adapter.tracker.closed:
            if adapter.tracker.session.state == INTERRUPTED:
                break
            time.sleep(0.1)
        failed = adapter.tracker.session.state == INTERRUPTED  # garbage ends as a failure
    except KeyboardInterrupt:
        pass
    finally:
        adapter.close()
        player.stop()
        player.release()
        instance.release()
    if failed:
        sys.exit(f"{Path(__file__).name}: VLC could not play {args.media}")


if __name__ == "__main__":
    main()
