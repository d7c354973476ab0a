"""Benchmark of vtrack.testing: how fast the invariants check and the strategies generate.

Prints figures; asserts nothing. Run with ``make bench-testing`` or
``python benchmarks/testing_toolkit.py``.

- the invariant checker, messages per second, with and without seed 004's schema, on the
  output of 2,000 realistic viewings (``callback_sequences()``);
- the strategies: realistic and hostile viewings generated per second (Hypothesis draws
  included), and callbacks per viewing;
- the reference model: steps per second of ``PlayerWrapperModel`` checking vtrack itself.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from hypothesis import HealthCheck, given, settings

from vtrack import MemorySink, Session
from vtrack.core.callbacks import Callback
from vtrack.testing import InvariantChecker, PlayerWrapperModel
from vtrack.testing.strategies import callback_sequences


def generated(count: int, hostility: int) -> tuple[list[list[Callback]], float]:
    """``count`` callback sequences, and the seconds Hypothesis took to make them."""
    out: list[list[Callback]] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(callback_sequences(hostility=hostility))
    def collect(callbacks: list[Callback]) -> None:
        out.append(callbacks)

    start = time.perf_counter()
    collect()
    return out, time.perf_counter() - start


def messages_of(sequences: list[list[Callback]]) -> list[list[dict[str, Any]]]:
    streams = []
    for callbacks in sequences:
        sink = MemorySink()
        session = Session("s", anonymous_id="viewer", sink=sink, heartbeat=10)
        for callback in callbacks:
            session.handle(callback)
        streams.append(sink.messages)
    return streams


def check_rate(streams: list[list[dict[str, Any]]], schema: bool) -> float:
    total = sum(len(s) for s in streams)
    start = time.perf_counter()
    for stream in streams:
        checker = InvariantChecker(heartbeat=10, schema=schema)
        assert not checker.feed(stream)
    return total / (time.perf_counter() - start)


class VtrackItself(PlayerWrapperModel):
    def make_wrapper(self) -> Session:
        return Session("w", anonymous_id="viewer-1", sink=MemorySink(), heartbeat=self.heartbeat)

    def send(self, wrapper: Session, callback: Callback) -> None:
        wrapper.handle(callback)

    def messages(self, wrapper: Session) -> list[dict[str, Any]]:
        sink = wrapper.sink
        assert isinstance(sink, MemorySink)
        return sink.messages


def model_rate(examples: int, steps: int) -> float:
    counted = {"steps": 0}

    class Counting(VtrackItself):
        def _feed(self, callbacks: Any) -> None:
            counted["steps"] += 1
            super()._feed(callbacks)

    Counting.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    start = time.perf_counter()
    Counting.TestCase("runTest").runTest()
    return counted["steps"] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewings", type=int, default=2000)
    args = parser.parse_args()

    realistic, seconds = generated(args.viewings, 0)
    lengths = [len(c) for c in realistic]
    print(
        f"realistic viewings: {len(realistic) / seconds:,.0f}/s generated, "
        f"{statistics.median(lengths):.0f} callbacks median, {max(lengths)} max"
    )
    hostile, seconds = generated(args.viewings // 2, 8)
    print(f"hostile viewings:   {len(hostile) / seconds:,.0f}/s generated")
    streams = messages_of(realistic)
    total = sum(len(s) for s in streams)
    print(f"invariant checker on {total:,} messages of {len(streams):,} sessions:")
    print(f"  without schema: {check_rate(streams, schema=False):,.0f} messages/s")
    print(
        f"  with seed 004:  {check_rate(streams[: len(streams) // 4], schema=True):,.0f} messages/s"
    )
    print(f"reference model:    {model_rate(100, 20):,.0f} steps/s (checking vtrack itself)")


if __name__ == "__main__":
    main()
