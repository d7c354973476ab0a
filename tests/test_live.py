"""Live trackers: drift-free heartbeats from the drivers, a clock that never goes back, close."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from typing import Any

from vtrack import CallbackSink, Content, MemorySink
from vtrack.live import AsyncDriver, LiveClock, ManualDriver, ThreadDriver, Tracker

T0 = 1_700_000_000.0
CONTENT = Content(asset_id="live-test", duration=600.0)


class FakeClock:
    """A clock the test sets by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> None:
        self.now = now


class FastClock:
    """Real time, run a hundred times faster: a 10 s heartbeat every 0.1 s of real time."""

    SPEED = 100.0

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def __call__(self) -> float:
        return T0 + (time.monotonic() - self.origin) * self.SPEED

    def seconds_until(self, at: float) -> float:
        return (at - self()) / self.SPEED


def beats(sink: MemorySink) -> list[float]:
    """The heartbeats' content positions."""
    return [
        m["properties"]["position"] for m in sink.messages if m["event"] == "Video Content Playing"
    ]


class TestWithAFakeClock:
    def start(self, clock: FakeClock, driver: ManualDriver) -> tuple[Tracker, MemorySink]:
        sink = MemorySink()
        tracker = Tracker("live", anonymous_id="v", sink=sink, clock=clock, driver=driver)
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        return tracker, sink

    def test_heartbeats_come_exactly_every_n_seconds_of_playing(self) -> None:
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        assert driver.run_until(T0 + 35.0, clock.set) == 3
        stamps = [m["timestamp"] for m in sink.messages if m["event"] == "Video Content Playing"]
        assert stamps == [
            "2023-11-14T22:13:30.000Z",
            "2023-11-14T22:13:40.000Z",
            "2023-11-14T22:13:50.000Z",
        ]
        assert beats(sink) == [10, 20, 30]
        tracker.close()

    def test_a_pause_stops_them_and_resuming_sends_one_at_once(self) -> None:
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        driver.run_until(T0 + 12.0, clock.set)
        tracker.call("pause")
        assert driver.next_deadline() is None
        driver.run_until(T0 + 100.0, clock.set)
        tracker.call("play")
        driver.run_until(T0 + 109.0, clock.set)
        assert beats(sink) == [10, 12]  # the one at resume; the next is 10 s later
        driver.run_until(T0 + 110.0, clock.set)
        assert beats(sink) == [10, 12, 22]
        tracker.close()

    def test_close_sends_exited_and_nothing_after(self) -> None:
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        clock.set(T0 + 5.0)
        tracker.close()
        assert sink.messages[-1]["event"] == "Video Playback Exited"
        count = len(sink.messages)
        tracker.call("pause")
        driver.run_until(T0 + 100.0, clock.set)
        tracker.close()
        assert len(sink.messages) == count
        assert driver.next_deadline() is None

    def test_a_time_before_the_last_is_taken_as_the_last(self) -> None:
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        clock.set(T0 + 5.0)
        tracker.call("pause")
        tracker.call_at("play", T0 + 1.0)  # a late report from a player thread
        assert not tracker.session.anomalies
        assert sink.messages[-2]["event"] == "Video Playback Resumed"
        assert sink.messages[-2]["timestamp"] == "2023-11-14T22:13:25.000Z"
        tracker.close()


class TestLiveClock:
    def test_a_system_clock_step_back_does_not_move_it_back(self) -> None:
        wall = [T0]
        mono = [100.0]
        clock = LiveClock(wall=lambda: wall[0], monotonic=lambda: mono[0])
        assert clock() == T0
        wall[0] = T0 - 3600  # someone sets the clock back an hour
        mono[0] = 101.0
        assert clock() == T0 + 1.0
        assert clock.seconds_until(T0 + 11.0) == 10.0

    def test_readings_never_decrease(self) -> None:
        clock = LiveClock()
        readings = [clock() for _ in range(1000)]
        assert readings == sorted(readings)


class TestThreadDriver:
    def test_one_thread_times_many_trackers_on_deadline(self) -> None:
        driver = ThreadDriver()
        sinks = [MemorySink() for _ in range(5)]
        clock = FastClock()
        trackers = [
            Tracker(f"t{i}", anonymous_id="v", sink=sink, clock=clock, driver=driver)
            for i, sink in enumerate(sinks)
        ]
        try:
            for tracker in trackers:
                tracker.call("load", content=CONTENT)
                tracker.call("play")
                tracker.call("playing", position=0.0)
            deadline = time.monotonic() + 10
            while any(len(beats(sink)) < 3 for sink in sinks) and time.monotonic() < deadline:
                time.sleep(0.01)
            for sink in sinks:
                assert beats(sink)[:3] == [10, 20, 30]
            assert threading.active_count() < 20  # one timer thread, not one per tracker
        finally:
            for tracker in trackers:
                tracker.close()
            driver.stop()

    def test_a_callback_wakes_it_early(self) -> None:
        driver = ThreadDriver()
        sink = MemorySink()
        clock = FastClock()
        tracker = Tracker("t", anonymous_id="v", sink=sink, clock=clock, driver=driver)
        try:
            tracker.call("load", content=CONTENT)
            tracker.call("play")
            tracker.call("playing", position=0.0)
            tracker.call("pause")  # no heartbeats now...
            time.sleep(0.3)
            assert beats(sink) == []
            tracker.call("play")  # ...until resumed: one at once, the next 10 s later
            wait_until = time.monotonic() + 5
            while len(beats(sink)) < 2 and time.monotonic() < wait_until:
                time.sleep(0.01)
            assert len(beats(sink)) >= 2
        finally:
            tracker.close()
            driver.stop()

    def test_callbacks_from_many_threads_at_once(self) -> None:
        driver = ThreadDriver()
        sink = MemorySink()
        tracker = Tracker("t", anonymous_id="v", sink=sink, clock=FastClock(), driver=driver)
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        errors: list[BaseException] = []

        def report(offset: int) -> None:
            try:
                for step in range(300):
                    tracker.call("timeupdate", position=float(step % 50 + offset))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=report, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        tracker.close()
        driver.stop()
        assert errors == []
        assert sink.messages[-1]["event"] == "Video Playback Exited"
        assert len({m["messageId"] for m in sink.messages}) == len(sink.messages)


def test_the_async_driver_times_trackers_and_cancels_on_close() -> None:
    async def scenario() -> tuple[list[float], int]:
        driver = AsyncDriver()
        sink = MemorySink()
        tracker = Tracker("a", anonymous_id="v", sink=sink, clock=FastClock(), driver=driver)
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        for _ in range(500):
            if len(beats(sink)) >= 3:
                break
            await asyncio.sleep(0.01)
        tracker.close()
        await asyncio.sleep(0.2)
        after_close = len(sink.messages)
        await driver.aclose()
        pending = [t for t in asyncio.all_tasks() if t.get_name() == "vtrack-timer"]
        assert sink.messages[-1]["event"] == "Video Playback Exited"
        return beats(sink)[:3], after_close - len(sink.messages) + len(pending)

    first_beats, leftovers = asyncio.run(scenario())
    assert first_beats == [10, 20, 30]
    assert leftovers == 0


def test_an_open_tracker_is_closed_at_interpreter_exit() -> None:
    script = """
import json, sys
from vtrack import Content, CallbackSink
from vtrack.live import Tracker
sink = CallbackSink(lambda m: print(m["event"], flush=True))
tracker = Tracker("exit", anonymous_id="v", sink=sink)
tracker.call("load", content=Content(asset_id="x", duration=60.0))
tracker.call("play")
tracker.call("playing", position=0.0)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "Video Playback Exited"


class TestReviewedEdges:
    def test_trackers_with_different_clocks_are_each_on_time(self) -> None:
        class Shifted(FastClock):
            def __init__(self, shift: float) -> None:
                super().__init__()
                self.shift = shift

            def __call__(self) -> float:
                return super().__call__() + self.shift

            def seconds_until(self, at: float) -> float:
                return (at - self()) / self.SPEED

        driver = ThreadDriver()
        sinks = [MemorySink(), MemorySink()]
        trackers = [
            Tracker(f"c{i}", anonymous_id="v", sink=sink, clock=Shifted(shift), driver=driver)
            for i, (sink, shift) in enumerate(zip(sinks, (0.0, -3600.0), strict=True))
        ]
        try:
            for tracker in trackers:
                tracker.call("load", content=CONTENT)
                tracker.call("play")
                tracker.call("playing", position=0.0)
            deadline = time.monotonic() + 5
            while any(len(beats(s)) < 2 for s in sinks) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert [beats(s)[:2] for s in sinks] == [[10, 20], [10, 20]]
        finally:
            for tracker in trackers:
                tracker.close()
            driver.stop()

    def test_closing_from_a_sink_callback_on_the_timer_thread(self) -> None:
        driver = ThreadDriver()
        messages: list[dict[str, Any]] = []
        box: list[Tracker] = []

        def take(message: dict[str, Any]) -> None:
            messages.append(message)
            if message["event"] == "Video Content Playing":
                box[0].close()  # from inside the session's delivery

        tracker = Tracker("c", anonymous_id="v", sink=CallbackSink(take), clock=FastClock(),
                          driver=driver)  # fmt: skip
        box.append(tracker)
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        deadline = time.monotonic() + 5
        while not tracker.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        driver.stop()
        assert tracker.closed
        assert messages[-1]["event"] == "Video Playback Exited"
        assert len({m["messageId"] for m in messages}) == len(messages)

    def test_a_failing_sink_does_not_keep_close_from_closing(self) -> None:
        def refuse(message: dict[str, Any]) -> None:
            if message["event"] == "Video Playback Exited":
                raise OSError("disk full")

        driver = ManualDriver()
        tracker = Tracker("f", anonymous_id="v", sink=CallbackSink(refuse), clock=FakeClock(),
                          driver=driver)  # fmt: skip
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.close()
        assert tracker.closed and driver.next_deadline() is None
        assert [m["event"] for m in tracker.session.undelivered] == ["Video Playback Exited"]

    def test_a_failing_tick_is_retried_and_the_timer_lives_on(self) -> None:
        driver = ThreadDriver()
        sink = MemorySink()
        tracker = Tracker("r", anonymous_id="v", sink=sink, clock=FastClock(), driver=driver)
        original = tracker.tick
        failures = [1]

        def flaky() -> float | None:
            if failures:
                failures.pop()
                raise RuntimeError("once")
            return original()

        tracker.tick = flaky  # type: ignore[method-assign]
        try:
            tracker.call("load", content=CONTENT)
            tracker.call("play")
            tracker.call("playing", position=0.0)
            deadline = time.monotonic() + 5
            while not beats(sink) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert beats(sink)  # the second try, a second later, delivered it
        finally:
            tracker.close()
            driver.stop()

    def test_the_player_playing_on_after_exit_starts_the_next_session(self) -> None:
        clock, driver = FakeClock(), ManualDriver()
        sink = MemorySink()
        tracker = Tracker("p", anonymous_id="v", sink=sink, clock=clock, driver=driver)
        for _ in range(2):
            tracker.call("load", content=CONTENT)
            tracker.call("play")
            tracker.call("playing", position=0.0)
            clock.set(clock.now + 1)
            tracker.call("exit")
        events = [m["event"] for m in sink.messages]
        assert events.count("Video Playback Started") == 2
        assert events.count("Video Playback Exited") == 2
        assert len({m["messageId"] for m in sink.messages}) == len(sink.messages)
        tracker.close()
