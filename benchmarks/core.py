"""Benchmark of the session core: callbacks per second and bytes per idle session.

Prints figures; asserts nothing. Run with ``make bench`` or ``python benchmarks/core.py``.

- one long session: a 3-hour viewing on the realistic mix;
- 10,000 interleaved sessions on the realistic mix (about 80 % timeupdate, the rest pauses,
  seeks, stalls, ad breaks, quality changes), callbacks merged in time order as a replay of
  a busy log would apply them;
- 100,000 idle sessions (created and loaded, not playing): bytes held per session.

The callbacks are generated before timing starts, so only the core is measured. Figures are
CPU time, best and median of ``--repeat`` runs on fresh sessions.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from vtrack import SEGMENT, Content, Profile, ScheduledAd, Session, Settings

START = 1_700_000_000.0
REPEAT = 3
CONTENT = Content(
    asset_id="bench",
    pod_ids=("p1", "p2", "p3"),
    duration=2700.0,
    title="Benchmark",
    ad_schedule=(
        ScheduledAd("pre", "pod-pre", "pre-roll", 15.0),
        ScheduledAd("mid", "pod-mid", "mid-roll", 30.0),
    ),
)

Step = tuple[float, str, dict[str, Any]]


class CountingSink:
    """Counts messages (and keeps nothing), so the sink costs next to nothing."""

    def __init__(self) -> None:
        self.count = 0

    def emit(self, message: dict[str, Any]) -> None:
        self.count += 1

    def flush(self) -> None: ...

    def close(self) -> None: ...


def realistic_session(rng: random.Random, start: float, callbacks: int) -> list[Step]:
    """About ``callbacks`` callbacks of one viewer: 80 % timeupdate, the rest everything else."""
    t, position = start, 0.0
    steps: list[Step] = [(t, "load", {"content": CONTENT}), (t, "play", {})]
    t += 0.3
    steps.append((t, "playing", {"position": 0.0}))
    while len(steps) < callbacks:
        roll = rng.random()
        if roll < 0.80:
            tick = rng.uniform(0.2, 0.3)
            t += tick
            position = min(position + tick, CONTENT.duration or 0.0)
            steps.append((t, "timeupdate", {"position": position}))
        elif roll < 0.85:
            t += rng.uniform(0.1, 0.5)
            steps.append((t, "pause", {}))
            t += rng.uniform(1.0, 20.0)
            steps.append((t, "play", {}))
        elif roll < 0.89:
            target = rng.uniform(0.0, (CONTENT.duration or 0.0) * 0.9)
            steps.append((t, "seeking", {"position": target}))
            t += rng.uniform(0.1, 1.0)
            steps.append((t, "seeked", {"position": target}))
            position = target
        elif roll < 0.93:
            steps.append((t, "waiting", {}))
            t += rng.uniform(0.2, 4.0)
            steps.append((t, "playing", {"position": position}))
        elif roll < 0.99:
            steps.append((t, "quality", {"bitrate": rng.choice([800, 1600, 3200, 6400])}))
        else:
            steps.append((t, "ad_break_start", {"pod_id": "pod-mid", "type": "mid-roll"}))
            steps.append((t, "ad_start", {"asset_id": "mid", "length": 30.0}))
            for second in range(1, 31, 2):
                steps.append((t + second, "timeupdate", {"position": float(second)}))
            t += 30.0
            steps.append((t, "ad_end", {}))
            steps.append((t, "ad_break_end", {}))
    steps.append((t + 1.0, "exit", {}))
    return steps


def run(sessions: list[Session], steps: list[tuple[int, Step]]) -> float:
    """Apply the steps; return the CPU seconds they took (steadier than wall time on a VM)."""
    gc.collect()
    # The pre-generated input is not the core's to carry: keep the collector off it.
    gc.freeze()
    begin = time.process_time()
    for index, (at, name, args) in steps:
        getattr(sessions[index], name)(**args, at=at)
    elapsed = time.process_time() - begin
    gc.unfreeze()
    return elapsed


def measure(label: str, build: Callable[[], list[Session]], steps: list[tuple[int, Step]]) -> None:
    """Run the steps on fresh sessions ``repeat`` times; report the best and the median."""
    times, events = [], 0
    for _ in range(REPEAT):
        sessions = build()
        sink = sessions[0].sink
        assert isinstance(sink, CountingSink)
        times.append(run(sessions, steps))
        events = sink.count
    best, median = min(times), statistics.median(times)
    print(
        f"{label}: {len(steps):,} callbacks, {events:,} events ({events / len(steps):.2f} per "
        f"callback): {len(steps) / best:,.0f} callbacks/s best, {len(steps) / median:,.0f} "
        f"median of {REPEAT}; {events / best:,.0f} events/s best"
    )


def bench_one_long_session(callbacks: int) -> None:
    steps = [(0, step) for step in realistic_session(random.Random(1), START, callbacks)]
    measure(
        "one long session",
        lambda: [Session("long", anonymous_id="viewer", sink=CountingSink())],
        steps,
    )


def _tagged(index: int, script: list[Step]) -> Iterator[tuple[Step, int]]:
    return ((step, index) for step in script)


#: A profile that sends nothing: measures the state machine and schedules without the cost of
#: building messages.
SILENT = Profile(name="silent", event_names={}, layouts={})


def interleaved_steps(sessions_count: int, per_session: int) -> list[tuple[int, Step]]:
    """Realistic sessions merged in time order, as a replay of a busy log applies them."""
    rng = random.Random(2)
    scripts = [
        realistic_session(rng, START + rng.uniform(0, 600), per_session)
        for _ in range(sessions_count)
    ]
    merged = heapq.merge(
        *(_tagged(i, script) for i, script in enumerate(scripts)),
        key=lambda pair: pair[0][0],
    )
    return [(i, step) for step, i in merged]


def bench_interleaved(steps: list[tuple[int, Step]], sessions_count: int, profile: Profile) -> None:
    def build() -> list[Session]:
        sink, settings = CountingSink(), Settings(profile=profile)
        return [
            Session(f"s{i}", anonymous_id=f"viewer-{i}", sink=sink, settings=settings)
            for i in range(sessions_count)
        ]

    measure(f"{sessions_count:,} interleaved sessions ({profile.name} profile)", build, steps)


def bench_idle_memory(count: int) -> None:
    sink = CountingSink()
    settings = Settings()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sessions = []
    for i in range(count):
        session = Session(f"idle-{i}", anonymous_id=f"viewer-{i}", sink=sink, settings=settings)
        session.load(CONTENT, at=START)
        sessions.append(session)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # The ids are strings a real application holds anyway; count them separately.
    ids = sum(len(s.session_id) + len(s.identity) + 2 * 49 for s in sessions)
    print(
        f"{count:,} idle sessions (loaded, not playing): {held / count:,.0f} bytes per session "
        f"({(held - ids) / count:,.0f} without the session id and user id strings)"
    )


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args()
    REPEAT = max(1, args.repeat)
    scale = 10 if args.quick else 1
    bench_one_long_session(400_000 // scale)
    sessions = 10_000 // scale
    steps = interleaved_steps(sessions, 100)
    bench_interleaved(steps, sessions, SEGMENT)
    bench_interleaved(steps, sessions, SILENT)
    del steps
    bench_idle_memory(100_000 // scale)


if __name__ == "__main__":
    main()
