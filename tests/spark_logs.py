"""Generated player logs for the Spark replay tests: what makes sessionizing hard, all at once.

Many interleaved sessions, split across several files (one gzip-compressed) so that sessions
span files, session ids used again after their session exited, bad lines of every kind, and
a session that never names its viewer.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

T = 1_700_000_000.0


def viewing(rng: random.Random, session: str, start: float, viewer: str | None) -> list[Any]:
    """One viewing: load, play, playing, timeupdates with pauses, seeks and stalls, then an exit
    (or nothing: the replay exits it at the end of the input)."""
    at, position = start, 0.0
    first: dict[str, Any] = {"t": at, "session": session, "event": "load", "asset_id": "c1",
                             "duration": 300.0, "title": "Pilot"}  # fmt: skip
    if viewer is not None:
        first["user_id" if viewer.startswith("u") else "anonymous_id"] = viewer
    records = [first, {"t": at + 0.1, "session": session, "event": "play"}]
    at += 0.3
    records.append({"t": at, "session": session, "event": "playing", "position": 0.0})
    for _ in range(rng.randint(5, 40)):
        at += rng.uniform(0.2, 2.0)
        position += 1.0
        roll = rng.random()
        if roll < 0.06:
            records.append({"t": at, "session": session, "event": "pause"})
            at += rng.uniform(0.5, 5.0)
            records.append({"t": at, "session": session, "event": "play"})
            records.append({"t": at + 0.1, "session": session, "event": "playing",
                            "position": position})  # fmt: skip
        elif roll < 0.1:
            target = position + rng.uniform(10, 60)
            records.append({"t": at, "session": session, "event": "seeking", "position": target})
            records.append({"t": at + 0.4, "session": session, "event": "seeked",
                            "position": target})  # fmt: skip
            position, at = target, at + 0.5
        elif roll < 0.13:
            records.append({"t": at, "session": session, "event": "waiting"})
        else:
            records.append({"t": at, "session": session, "event": "timeupdate",
                            "position": position})  # fmt: skip
    if rng.random() < 0.7:
        records.append({"t": at + 1.0, "session": session, "event": "exit"})
    return records


BAD_LINES = [
    b"not json at all",
    b"[1, 2, 3]",
    b'{"t": 1700000001.0, "session": "s-x", "event": "fly"}',
    b'{"t": "soon", "session": "s-y", "event": "play"}',
    b'{"t": 1700000001.0, "session": 7, "event": "play"}',
    b'{"t": NaN, "event": "play"}',
    b"\xff\xfe not utf-8",
    b"   ",
]


def generate(rng: random.Random, sessions: int) -> list[bytes]:
    """The lines of one log: ``sessions`` ids, some used twice, interleaved by time."""
    timed: list[tuple[float, int, bytes]] = []
    for index in range(sessions):
        session = f"s{index}"
        start = T + rng.uniform(0, 120)
        viewer = f"u{index}" if index % 3 else f"a{index}"
        records = viewing(rng, session, start, viewer)
        if index % 4 == 0:  # the id again, after its session exited: the same viewer
            records += viewing(rng, session, records[-1]["t"] + 5.0, None)
        timed += [(record["t"], len(timed) + n, _line(record)) for n, record in enumerate(records)]
        if index % 7 == 0:  # time going backwards, placed in the log after its session's 5th
            back = dict(records[4], t=start - 50.0)  # record: refused, the session goes on
            timed.append((records[4]["t"], len(timed), _line(back)))
    timed += [(T + 60.0, -1, _line(r)) for r in viewing(rng, "nameless", T + 50.0, None)]
    timed.sort()
    lines = [line for _, _, line in timed]
    for bad in BAD_LINES:  # never at the start of a file (see split)
        lines.insert(rng.randrange(30, len(lines)), bad)
    return lines


def split(lines: list[bytes], directory: Path, files: int = 3) -> list[Path]:
    """The lines in ``files`` consecutive files (the second gzip-compressed), in order."""
    size = -(-len(lines) // files)
    paths = []
    for number in range(files):
        chunk = b"".join(line + b"\n" for line in lines[number * size : (number + 1) * size])
        path = directory / f"part-{number}.log"
        if number == 1:
            path = path.with_suffix(".log.gz")
            path.write_bytes(gzip.compress(chunk))
        else:
            path.write_bytes(chunk)
        paths.append(path)
    return paths


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode()
