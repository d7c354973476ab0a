"""Live trackers: drift-free heartbeats from the drivers, a clock that never goes back, close."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable
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


def beats_since(sink: MemorySink, index: int) -> list[float]:
    """The positions of the heartbeats sent after the first ``index`` messages."""
    return [
        m["properties"]["position"]
        for m in sink.messages[index:]
        if m["event"] == "Video Content Playing"
    ]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (the test then asserts it)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


class TestWithAFakeClock:
    def start(self, clock: FakeClock, driver: ManualDriver) -> tuple[Tracker, MemorySink]:
        sink = MemorySink()
        tracker = Tracker("live", anonymous_id="v", sink=sink, clock=clock, driver=driver)
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        return tracker, sink

    def test_heartbeats_come_exactly_every_n_seconds_of_playing(self) -> None:
        """Run to 35 s, ManualDriver ticks three heartbeats, stamped and placed at 10, 20, 30 s."""
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        assert 3 == driver.run_until(T0 + 35.0, clock.set)
        stamps = [m["timestamp"] for m in sink.messages if m["event"] == "Video Content Playing"]
        assert [
            "2023-11-14T22:13:30.000Z",
            "2023-11-14T22:13:40.000Z",
            "2023-11-14T22:13:50.000Z",
        ] == stamps
        assert [10, 20, 30] == beats(sink)
        tracker.close()

    def test_a_pause_stops_them_and_resuming_sends_one_at_once(self) -> None:
        """Paused, no deadline is left; resuming sends a heartbeat at once, the next 10 s on."""
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        driver.run_until(T0 + 12.0, clock.set)
        tracker.call("pause")
        assert driver.next_deadline() is None
        driver.run_until(T0 + 100.0, clock.set)
        tracker.call("play")
        driver.run_until(T0 + 109.0, clock.set)
        assert [10, 12] == beats(sink)  # the one at resume; the next is 10 s later
        driver.run_until(T0 + 110.0, clock.set)
        assert [10, 12, 22] == beats(sink)
        tracker.close()

    def test_close_sends_exited_and_nothing_after(self) -> None:
        """close() sends Exited last; later callbacks, ticks and a second close send nothing."""
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        clock.set(T0 + 5.0)
        tracker.close()
        assert "Video Playback Exited" == sink.messages[-1]["event"]
        count = len(sink.messages)
        tracker.call("pause")
        driver.run_until(T0 + 100.0, clock.set)
        tracker.close()
        assert len(sink.messages) == count
        assert driver.next_deadline() is None

    def test_a_time_before_the_last_is_taken_as_the_last(self) -> None:
        """A call_at time before the last callback's is stamped as that time, with no anomaly."""
        clock, driver = FakeClock(), ManualDriver()
        tracker, sink = self.start(clock, driver)
        clock.set(T0 + 5.0)
        tracker.call("pause")
        tracker.call_at("play", T0 + 1.0)  # a late report from a player thread
        assert not tracker.session.anomalies
        assert "Video Playback Resumed" == sink.messages[-2]["event"]
        assert "2023-11-14T22:13:25.000Z" == sink.messages[-2]["timestamp"]
        tracker.close()


class TestLiveClock:
    def test_a_system_clock_step_back_does_not_move_it_back(self) -> None:
        """With the wall clock set back an hour, LiveClock still moves on by monotonic time."""
        wall = [T0]
        mono = [100.0]
        clock = LiveClock(wall=lambda: wall[0], monotonic=lambda: mono[0])
        assert T0 == clock()
        wall[0] = T0 - 3600  # someone sets the clock back an hour
        mono[0] = 101.0
        assert T0 + 1.0 == clock()
        assert 10.0 == clock.seconds_until(T0 + 11.0)

    def test_readings_never_decrease(self) -> None:
        """A thousand readings of a real LiveClock come in non-decreasing order."""
        clock = LiveClock()
        readings = [clock() for _ in range(1000)]
        assert readings == sorted(readings)


class TestThreadDriver:
    def test_one_thread_times_many_trackers_on_deadline(self) -> None:
        """One ThreadDriver beats five trackers at 10, 20, 30 s, with no thread per tracker."""
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
            wait_until(lambda: all(len(beats(sink)) >= 3 for sink in sinks))
            for sink in sinks:
                assert [10, 20, 30] == beats(sink)[:3]
            assert threading.active_count() < 20  # one timer thread, not one per tracker
        finally:
            for tracker in trackers:
                tracker.close()
            driver.stop()

    def test_a_callback_wakes_it_early(self) -> None:
        """No heartbeat comes while paused; play wakes the idle timer thread to send the next."""
        driver = ThreadDriver()
        sink = MemorySink()
        clock = FastClock()
        tracker = Tracker("t", anonymous_id="v", sink=sink, clock=clock, driver=driver)
        try:
            tracker.call("load", content=CONTENT)
            tracker.call("play")
            tracker.call("playing", position=0.0)
            tracker.call("pause")  # no heartbeats now...
            paused = len(sink.messages)
            # Thirty clock seconds, three heartbeats' time: a slow machine can only hide a bug.
            time.sleep(0.3)
            assert [] == beats_since(sink, paused)
            tracker.call("play")  # ...until resumed: one at once, the next 10 s later
            wait_until(lambda: len(beats_since(sink, paused)) >= 2)
            assert len(beats_since(sink, paused)) >= 2
        finally:
            tracker.close()
            driver.stop()

    def test_callbacks_from_many_threads_at_once(self) -> None:
        """Four threads reporting at once raise nothing; ids stay unique and Exited comes last."""
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
        assert [] == errors
        assert "Video Playback Exited" == sink.messages[-1]["event"]
        assert len({m["messageId"] for m in sink.messages}) == len(sink.messages)


def test_the_async_driver_times_trackers_and_cancels_on_close() -> None:
    """AsyncDriver beats at 10, 20, 30 s; after close nothing more is sent and no task is left."""

    def timer_tasks() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t.get_name() == "vtrack-timer"]

    async def scenario() -> tuple[list[float], int, int]:
        driver = AsyncDriver()
        sink = MemorySink()
        tracker = Tracker("a", anonymous_id="v", sink=sink, clock=FastClock(), driver=driver)
        tracker.call("load", content=CONTENT)
        tracker.call("play")
        tracker.call("playing", position=0.0)
        deadline = time.monotonic() + 10
        while len(beats(sink)) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        tracker.close()
        after_close = len(sink.messages)
        # Twenty clock seconds, two heartbeats' time, for a task that outlived close to show.
        await asyncio.sleep(0.2)
        await driver.aclose()
        deadline = time.monotonic() + 10
        while timer_tasks() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert "Video Playback Exited" == sink.messages[-1]["event"]
        return beats(sink)[:3], len(sink.messages) - after_close, len(timer_tasks())

    first_beats, sent_after_close, tasks_left = asyncio.run(scenario())
    assert [10, 20, 30] == first_beats
    assert 0 == sent_after_close
    assert 0 == tasks_left


def test_an_open_tracker_is_closed_at_interpreter_exit() -> None:
    """A tracker still open when the interpreter exits sends Video Playback Exited last."""
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
    assert 0 == done.returncode, done.stderr
    assert "Video Playback Exited" == done.stdout.splitlines()[-1]


class TestReviewedEdges:
    def test_trackers_with_different_clocks_are_each_on_time(self) -> None:
        """Two trackers with clocks an hour apart, on one ThreadDriver, each beat at 10 and 20 s."""

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
            wait_until(lambda: all(len(beats(s)) >= 2 for s in sinks))
            assert [[10, 20], [10, 20]] == [beats(s)[:2] for s in sinks]
        finally:
            for tracker in trackers:
                tracker.close()
            driver.stop()

    def test_closing_from_a_sink_callback_on_the_timer_thread(self) -> None:
        """A sink that closes its tracker on the timer thread's heartbeat closes it; Exited last."""
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
        wait_until(lambda: tracker.closed)
        driver.stop()
        assert tracker.closed
        assert "Video Playback Exited" == messages[-1]["event"]
        assert len({m["messageId"] for m in messages}) == len(messages)

    def test_a_failing_sink_does_not_keep_close_from_closing(self) -> None:
        """A sink failing on Exited still lets close() close; Exited stays in undelivered."""

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
        assert ["Video Playback Exited"] == [m["event"] for m in tracker.session.undelivered]

    def test_a_failing_tick_is_retried_and_the_timer_lives_on(self) -> None:
        """A tick that raises once is retried by the timer thread, and a heartbeat gets sent."""
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
            wait_until(lambda: bool(beats(sink)))
            assert beats(sink)  # the second try, a second later, delivered it
        finally:
            tracker.close()
            driver.stop()

    def test_the_player_playing_on_after_exit_starts_the_next_session(self) -> None:
        """Loading again after exit starts a second session: two Started, two Exited, ids unique."""
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
        assert 2 == events.count("Video Playback Started")
        assert 2 == events.count("Video Playback Exited")
        assert len({m["messageId"] for m in sink.messages}) == len(sink.messages)
        tracker.close()
