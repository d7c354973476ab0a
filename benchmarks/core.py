"""Benchmark of the session core: callbacks per second and bytes per idle session.

Prints figures; asserts nothing. Run with ``make bench`` or ``python benchmarks/core.py``.

- one long session: a 3-hour viewing on the realistic mix;
- 10,000 interleaved sessions on the realistic mix (about 80 % timeupdate, the rest pauses,
  seeks, stalls, ad breaks, quality changes), callbacks merged in time order as a replay of
  a busy log would apply them;
- 100,000 idle sessions (created and loaded, not playing): bytes held per session.

The callbacks are generated before timing starts, so only the core is measured. Figures are
CPU time, best and median of ``--repeat`` runs on fresh sessions. Beside them, a baseline
measured in the same run: ``json.loads`` of the same interleaved callbacks written as log
lines, so a slow machine shows as a slow baseline, not as a slower core.
"""

from __future__ import annotations

import argparse
import functools
import gc
import heapq
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
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


#: Chance that the next step of a viewer is a timeupdate. Every other step is 2 callbacks on
#: average (an ad break is 19, 15 of them timeupdates), so this makes 80 % of the callbacks
#: timeupdates, the issue's mix: p + 0.75 (1 - p) = 0.8 (p + 2.55 (1 - p)).
TIMEUPDATE_SHARE = 0.89
#: The event-heavy mix: a pause, seek, stall, quality switch or ad break every few callbacks,
#: about 0.42 messages per callback (the realistic mix makes about 0.22).
EVENT_HEAVY_SHARE = 0.73
#: The other steps, by weight: pause and resume, seek, stall, quality switch, mid-roll ad break.
OTHER_STEPS = (("pause", 5), ("seek", 4), ("stall", 4), ("quality", 6), ("ad_break", 1))


def realistic_session(
    rng: random.Random, start: float, callbacks: int, timeupdate_share: float = TIMEUPDATE_SHARE
) -> list[Step]:
    """About ``callbacks`` callbacks of one viewer: 80 % timeupdate, the rest everything else.

    ``timeupdate_share`` is the chance that a step is a timeupdate; ``EVENT_HEAVY_SHARE`` makes
    the event-heavy mix.
    """
    t, position = start, 0.0
    steps: list[Step] = [(t, "load", {"content": CONTENT}), (t, "play", {})]
    t += 0.3
    steps.append((t, "playing", {"position": 0.0}))
    kinds, weights = zip(*OTHER_STEPS, strict=True)
    while len(steps) < callbacks:
        if rng.random() < timeupdate_share:
            tick = rng.uniform(0.2, 0.3)
            t += tick
            position = min(position + tick, CONTENT.duration or 0.0)
            steps.append((t, "timeupdate", {"position": position}))
            continue
        step = rng.choices(kinds, weights)[0]
        if step == "pause":
            t += rng.uniform(0.1, 0.5)
            steps.append((t, "pause", {}))
            t += rng.uniform(1.0, 20.0)
            steps.append((t, "play", {}))
        elif step == "seek":
            target = rng.uniform(0.0, (CONTENT.duration or 0.0) * 0.9)
            steps.append((t, "seeking", {"position": target}))
            t += rng.uniform(0.1, 1.0)
            steps.append((t, "seeked", {"position": target}))
            position = target
        elif step == "stall":
            steps.append((t, "waiting", {}))
            t += rng.uniform(0.2, 4.0)
            steps.append((t, "playing", {"position": position}))
        elif step == "quality":
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


#: One callback ready to apply: the session's bound method, its positional arguments, its time.
Call = tuple[Callable[..., None], tuple[Any, ...], float]


def prepare(sessions: Sequence[object], steps: list[tuple[int, Step]]) -> list[Call]:
    """Bind each step to its session's method before timing starts.

    A replay decodes each log line into fresh objects and calls one method; looking the method
    up by name and unpacking a stored keyword dict per call would time the benchmark's own
    bookkeeping instead (about 1 us per callback, measured), so that is done here.
    """
    calls: list[Call] = []
    for index, (at, name, args) in steps:
        method = getattr(sessions[index], name)
        # Fresh floats, laid out in the order they are read (as a decoder makes them), not
        # scattered over the memory of the per-viewer scripts they were generated in.
        fresh_at = at * 1.0
        if not args:
            calls.append((method, (), fresh_at))
        elif tuple(args) == ("position",):
            calls.append((method, (args["position"] * 1.0,), fresh_at))
        elif tuple(args) == ("content",):
            calls.append((method, (args["content"],), fresh_at))
        else:
            calls.append((functools.partial(method, **args), (), fresh_at))
    return calls


def run(calls: list[Call]) -> float:
    """Apply the calls; return the CPU seconds they took (steadier than wall time on a VM)."""
    gc.collect()
    # The pre-generated input is not the core's to carry: keep the collector off it.
    gc.freeze()
    begin = time.process_time()
    for method, args, at in calls:
        method(*args, at=at)
    elapsed = time.process_time() - begin
    gc.unfreeze()
    return elapsed


class NoOpSession:
    """Takes every callback and does nothing: what the benchmark loop costs on its own."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return self.ignore

    def ignore(self, *args: Any, at: float, **kwargs: Any) -> None: ...


def measure(label: str, build: Callable[[], list[Session]], steps: list[tuple[int, Step]]) -> float:
    """Run the steps on fresh sessions ``repeat`` times; report and return the best rate."""
    times, events = [], 0
    for _ in range(REPEAT):
        sessions = build()
        sink = sessions[0].sink
        assert isinstance(sink, CountingSink)
        calls = prepare(sessions, steps)
        times.append(run(calls))
        del calls
        events = sink.count
    best, median = min(times), statistics.median(times)
    print(
        f"{label}: {len(steps):,} callbacks, {events:,} events ({events / len(steps):.2f} per "
        f"callback): {len(steps) / best:,.0f} callbacks/s best, {len(steps) / median:,.0f} "
        f"median of {REPEAT}; {events / best:,.0f} events/s best"
    )
    return len(steps) / best


def bench_loop_alone(steps: list[tuple[int, Step]], sessions_count: int) -> None:
    """The same loop on sessions that do nothing: the part of each figure that is not vtrack."""
    sessions = [NoOpSession() for _ in range(sessions_count)]
    best = min(run(prepare(sessions, steps)) for _ in range(REPEAT))
    print(
        f"the benchmark loop alone ({sessions_count:,} no-op sessions): "
        f"{best / len(steps) * 1e6:.2f} us per callback, included in the figures above"
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


def bench_baseline(steps: list[tuple[int, Step]]) -> float:
    """The machine's speed, in this run: ``json.loads`` of the callbacks as log lines."""
    lines = [
        json.dumps({"t": at, "session": f"s{index}", "event": name, **_plain(args)}).encode()
        for index, (at, name, args) in steps
    ]
    times = []
    for _ in range(REPEAT):
        gc.collect()
        begin = time.process_time()
        for line in lines:
            json.loads(line)
        times.append(time.process_time() - begin)
    best = min(times)
    print(f"baseline, json.loads of the callbacks as log lines: {len(lines) / best:,.0f} lines/s")
    return len(lines) / best


def _plain(args: dict[str, Any]) -> dict[str, Any]:
    """A callback's arguments as a log line holds them (a content by its asset id)."""
    return {key: (value.asset_id if key == "content" else value) for key, value in args.items()}


def bench_interleaved(
    steps: list[tuple[int, Step]], sessions_count: int, profile: Profile
) -> float:
    def build() -> list[Session]:
        sink, settings = CountingSink(), Settings(profile=profile)
        return [
            Session(f"s{i}", anonymous_id=f"viewer-{i}", sink=sink, settings=settings)
            for i in range(sessions_count)
        ]

    label = f"{sessions_count:,} interleaved sessions ({profile.name} profile)"
    return measure(label, build, steps)


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
    rate = bench_interleaved(steps, sessions, SEGMENT)
    bench_interleaved(steps, sessions, SILENT)
    bench_loop_alone(steps, sessions)
    baseline = bench_baseline(steps)
    print(
        f"the core on the realistic interleaved mix: {rate:,.0f} callbacks/s, "
        f"{rate / baseline:.2f}x the baseline (the same in any machine's units)"
    )
    del steps
    bench_idle_memory(100_000 // scale)


if __name__ == "__main__":
    main()
