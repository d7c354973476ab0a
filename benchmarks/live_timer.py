"""How late live heartbeats land: real clock, real timer thread, 60 s of playback.

Prints figures; asserts nothing. Run with ``python benchmarks/live_timer.py [--seconds 60]``.

``--trackers`` sessions (default 20, started 0.1 s apart) play for ``--seconds`` with a 10 s
heartbeat on the shared timer thread. For each heartbeat, lateness is the live clock when the
message reached the sink minus the moment it was due (its timestamp, which is exact to the
millisecond): what the timer thread's sleeping costs.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import datetime

from vtrack import CallbackSink, Content
from vtrack.live import Tracker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--trackers", type=int, default=20)
    args = parser.parse_args()
    lateness: list[float] = []
    lock = threading.Lock()
    trackers: list[Tracker] = []

    def record(tracker_box: list[Tracker]) -> CallbackSink:
        def take(message: dict[str, object]) -> None:
            if message["event"] != "Video Content Playing" or not tracker_box:
                return
            now = tracker_box[0].clock()
            due = datetime.fromisoformat(str(message["timestamp"]).replace("Z", "+00:00"))
            with lock:
                lateness.append((now - due.timestamp()) * 1000.0)

        return CallbackSink(take)

    content = Content(asset_id="timer", duration=3600.0)
    for index in range(args.trackers):
        box: list[Tracker] = []
        tracker = Tracker(f"t{index}", anonymous_id="v", sink=record(box), heartbeat=10)
        box.append(tracker)
        tracker.call("load", content=content)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        trackers.append(tracker)
        time.sleep(0.1)
    time.sleep(args.seconds)
    for tracker in trackers:
        tracker.close()
    lateness.sort()
    print(
        f"{len(lateness)} heartbeats of {args.trackers} trackers over {args.seconds:.0f} s: "
        f"median {statistics.median(lateness):.2f} ms late, 95th percentile "
        f"{lateness[int(len(lateness) * 0.95) - 1]:.2f} ms, max {lateness[-1]:.2f} ms "
        "(timestamps are to the millisecond: +-0.5 ms)"
    )


if __name__ == "__main__":
    main()
