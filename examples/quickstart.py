"""Drive a session by hand and print the Segment events it emits.

Run: .venv/bin/python examples/quickstart.py
"""

from __future__ import annotations

import sys

from vtrack import Content, JsonLinesSink, ScheduledAd, Session

START = 1_705_314_600.0  # any epoch time; each callback says when it happened


def main() -> None:
    sink = JsonLinesSink(sys.stdout)
    session = Session("session-42", user_id="user-7", sink=sink, heartbeat=10)
    episode = Content(
        asset_id="ep-101",
        pod_ids=("ep-101-a", "ep-101-b"),
        duration=60.0,
        title="Pilot",
        ad_schedule=(ScheduledAd("ad-1", "mid-pod", "mid-roll", 6.0),),
    )
    session.load(episode, at=START)
    session.play(at=START)
    session.playing(0.0, at=START + 0.4)  # first frame: Video Content Started
    session.pause(at=START + 12.0)  # heartbeat at 10.4, then Paused
    session.play(at=START + 15.0)  # Resumed, and a heartbeat at once
    session.ad_break_start("mid-pod", "mid-roll", 1, at=START + 20.0)
    session.ad_start("ad-1", title="Spring Sale", length=6.0, at=START + 20.0)
    session.ad_end(at=START + 26.0)
    session.ad_break_end(at=START + 26.0)
    session.advance(START + 60.0)  # heartbeats and milestones due by then, no callback needed
    session.ended(at=START + 69.4)
    session.exit(at=START + 70.0)
    sink.close()


if __name__ == "__main__":
    main()
