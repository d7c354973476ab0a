"""The I/O-free delivery rules: batch limits, answers, Retry-After and backoff."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import zlib
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrack.delivery import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    Batch,
    Batcher,
    BatchLimits,
    Outcome,
    RetryPolicy,
    classify,
    parse_retry_after,
)

SENT_AT = "2024-01-15T10:30:00.250Z"


def event(size: int, number: int = 0) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    head = b'{"n":%d,"pad":"' % number
    return head + b"x" * (size - len(head) - 2) + b'"}'


class TestBatch:
    def test_body_is_the_batch_api_shape_and_its_size_is_known_in_advance(self) -> None:
        """The body is {"batch", "sentAt"} with the events in order, exactly batch.size bytes."""
        batch = Batch.of([event(50, 1), event(60, 2)])
        body = batch.body(SENT_AT)
        assert len(body) == batch.size
        decoded = json.loads(body)
        assert SENT_AT == decoded["sentAt"]
        assert [1, 2] == [item["n"] for item in decoded["batch"]]

    def test_empty_batch_body(self) -> None:
        """An empty batch makes a body with an empty batch list and the given sentAt."""
        assert {"batch": [], "sentAt": SENT_AT} == json.loads(Batch().body(SENT_AT))

    def test_sent_at_must_be_a_millisecond_timestamp(self) -> None:
        """A sentAt without milliseconds (not 24 characters) raises ValueError."""
        with pytest.raises(ValueError, match="24 characters"):
            Batch.of([event(20)]).body("2024-01-15T10:30:00Z")

    @given(
        events=st.lists(st.integers(min_value=0, max_value=10**6), max_size=60),
        stamps=st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=3),
    )
    def test_the_gzip_body_is_the_body_compressed_for_every_attempt(
        self, events: list[int], stamps: list[int]
    ) -> None:
        """gzip_body (the events deflated once) decompresses to body() for each sentAt."""
        batch = Batch.of([event(30 + number % 50, number) for number in events])
        for millisecond in stamps:
            stamp = f"2024-01-15T10:30:00.{millisecond:03d}Z"
            assert batch.body(stamp) == zlib.decompress(batch.gzip_body(stamp), wbits=31)

    def test_an_event_added_after_compressing_is_in_the_gzip_body(self) -> None:
        """Adding an event after compress() compresses again: the gzip body holds it."""
        batch = Batch.of([event(40, 1)])
        batch.compress()
        batch.add(event(40, 2))
        assert [1, 2] == [
            item["n"] for item in json.loads(gzip.decompress(batch.gzip_body(SENT_AT)))["batch"]
        ]

    def test_halves_keep_order_and_every_event(self) -> None:
        """Five events halve into 2 then 3, keeping every event in its original order."""
        events = [event(20 + i, i) for i in range(5)]
        first, second = Batch.of(events).halves()
        assert events == first.events + second.events
        assert (2, 3) == (len(first), len(second))

    def test_one_event_cannot_be_split(self) -> None:
        """Halving a batch of a single event raises ValueError."""
        with pytest.raises(ValueError, match="cannot be split"):
            Batch.of([event(20)]).halves()


class TestBatcher:
    def test_full_by_count(self) -> None:
        """With max_events=3, seven events give two full batches of 3 and leave 1 waiting."""
        batcher = Batcher(BatchLimits(max_events=3))
        ready = [batch for i in range(7) for batch in batcher.add(event(20, i), now=0.0)]
        assert [3, 3] == [len(batch) for batch in ready]
        assert 1 == len(batcher)

    def test_full_by_bytes_is_checked_before_adding(self) -> None:
        """An event that would take a batch past max_bytes sends the batch first, without it."""
        batcher = Batcher(BatchLimits(max_bytes=200))
        assert [] == batcher.add(event(100), now=0.0)
        ready = batcher.add(event(100), now=0.0)  # would make 238 bytes: the first goes alone
        assert [1] == [len(batch) for batch in ready]
        assert ready[0].size <= 200

    def test_due_after_the_interval_since_the_first_event(self) -> None:
        """A batch is due interval seconds after its first event (not its last); empty never is."""
        batcher = Batcher(BatchLimits(interval=5.0))
        assert not batcher.due(100.0) and batcher.deadline() is None
        batcher.add(event(20), now=100.0)
        batcher.add(event(20), now=103.0)
        assert 105.0 == batcher.deadline()
        assert not batcher.due(104.9) and batcher.due(105.0)
        assert 2 == len(batcher.take())
        assert not batcher.due(1000.0)

    def test_an_event_that_cannot_fit_any_batch_is_refused(self) -> None:
        """An event too big for even an empty batch raises ValueError and is not kept."""
        batcher = Batcher(BatchLimits(max_bytes=100))
        with pytest.raises(ValueError, match="cannot fit"):
            batcher.add(event(90), now=0.0)
        assert 0 == len(batcher)

    @pytest.mark.parametrize(
        "limits",
        [
            {"max_events": 0},
            {"max_events": MAX_BATCH_EVENTS + 1},
            {"max_events": 2.5},
            {"max_events": True},
            {"max_bytes": MAX_BATCH_BYTES + 1},
            {"max_bytes": 10},
            {"interval": 0},
            {"interval": -1.0},
        ],
    )
    def test_limits_beyond_the_api_are_refused(self, limits: dict[str, float]) -> None:
        """BatchLimits outside the API's bounds, or of the wrong type, raise ValueError."""
        with pytest.raises(ValueError):
            BatchLimits(**limits)  # type: ignore[arg-type]

    @settings(max_examples=200, deadline=None)
    @given(
        sizes=st.lists(
            st.one_of(st.integers(20, 400), st.integers(20, MAX_EVENT_BYTES)), max_size=300
        ),
        max_events=st.sampled_from([1, 7, 100, MAX_BATCH_EVENTS]),
        max_bytes=st.sampled_from([40_000, 250_000, MAX_BATCH_BYTES]),
    )
    def test_no_body_over_the_limits_and_every_event_once_in_order(
        self, sizes: list[int], max_events: int, max_bytes: int
    ) -> None:
        """For any event sizes, no body exceeds the limits and each event is sent once, in order."""
        batcher = Batcher(BatchLimits(max_events=max_events, max_bytes=max_bytes))
        events = [event(size, number) for number, size in enumerate(sizes)]
        batches = [batch for item in events for batch in batcher.add(item, now=0.0)]
        batches.append(batcher.take())
        sent = []
        for batch in batches:
            body = batch.body(SENT_AT)
            assert len(body) <= max_bytes <= MAX_BATCH_BYTES
            assert len(batch) <= max_events <= MAX_BATCH_EVENTS
            sent.extend(json.loads(body)["batch"])
        assert list(range(len(sizes))) == [item["n"] for item in sent]

    def test_many_small_events_stop_at_2500(self) -> None:
        """2,501 small events make one full batch of exactly 2,500 (MAX_BATCH_EVENTS)."""
        batcher = Batcher(BatchLimits(max_events=MAX_BATCH_EVENTS))
        ready = [b for i in range(MAX_BATCH_EVENTS + 1) for b in batcher.add(event(20), 0.0)]
        assert [MAX_BATCH_EVENTS] == [len(batch) for batch in ready]


class TestClassify:
    @pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
    def test_any_2xx_is_delivered(self, status: int) -> None:
        """Any 2xx status, not only 200, classifies as DELIVERED."""
        assert classify(status) is Outcome.DELIVERED

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 405, 410, 301, 302])
    def test_answers_that_repeat_are_dead_letters(self, status: int) -> None:
        """Client errors and redirects, which would repeat on a retry, classify as DEAD."""
        assert classify(status) is Outcome.DEAD

    @pytest.mark.parametrize("status", [None, 408, 429, 500, 502, 503, 504, 599, 100])
    def test_transient_failures_are_retried(self, status: int | None) -> None:
        """No answer, 408, 429, any 5xx and a stray 1xx classify as RETRY."""
        assert classify(status) is Outcome.RETRY

    def test_413_splits(self) -> None:
        """413 Payload Too Large classifies as SPLIT."""
        assert classify(413) is Outcome.SPLIT


class TestRetryAfter:
    NOW = 1_700_000_000.0

    @pytest.mark.parametrize(
        ("value", "seconds"), [("120", 120.0), (" 3 ", 3.0), ("0", 0.0), ("1.5", 1.5)]
    )
    def test_delay_seconds(self, value: str, seconds: float) -> None:
        """Retry-After in delay-seconds, padded or fractional, parses to that many seconds."""
        assert seconds == parse_retry_after(value, self.NOW)

    def test_http_date(self) -> None:
        """Retry-After as an HTTP date 30 s ahead parses to 30.0 seconds."""
        when = dt.datetime.fromtimestamp(self.NOW + 30, dt.UTC)
        assert 30.0 == parse_retry_after(format_datetime(when, usegmt=True), self.NOW)

    def test_http_date_in_the_past_means_now(self) -> None:
        """Retry-After as an HTTP date in the past parses to 0.0: retry now."""
        assert 0.0 == parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", self.NOW)

    @pytest.mark.parametrize(
        "value", [None, "", "soon", "-5", "1e3", "Wed, 21 Oct 2015 07:28:00", "99 Foo 2015"]
    )
    def test_malformed_means_fall_back_to_backoff(self, value: str | None) -> None:
        """Missing, empty, negative or malformed Retry-After parses to None (use the backoff)."""
        assert parse_retry_after(value, self.NOW) is None


class TestRetryPolicy:
    def test_full_jitter_under_an_exponential_ceiling(self) -> None:
        """Delay is random() * min(cap, base * 2**attempt), with no overflow for huge attempts."""
        policy = RetryPolicy(base=0.5, cap=60.0)
        assert [policy.delay(n, lambda: 0.999999) for n in range(9)] == pytest.approx(
            [0.5, 1, 2, 4, 8, 16, 32, 60, 60], rel=1e-5
        )
        assert 0.0 == policy.delay(3, lambda: 0.0)
        assert 30.0 == policy.delay(10_000, lambda: 0.5)  # no overflow however many attempts

    def test_seeded_jitter_is_replayable_and_spread(self) -> None:
        """A seed always gives the same delay; 50 seeds give over 40 distinct ones, all <= 32 s."""
        policy = RetryPolicy()
        first = [policy.delay(6, random.Random(7).random) for _ in range(3)]
        assert first == [policy.delay(6, random.Random(7).random)] * 3
        spread = {round(policy.delay(6, random.Random(seed).random), 3) for seed in range(50)}
        assert len(spread) > 40 and max(spread) <= 32.0

    def test_retry_after_is_honoured_and_capped(self) -> None:
        """Retry-After is waited as given up to max_retry_after; a NaN falls back to the backoff."""
        policy = RetryPolicy(max_retry_after=300.0)
        assert 12.0 == policy.delay(0, lambda: 0.5, retry_after=12.0)
        assert 300.0 == policy.delay(0, lambda: 0.5, retry_after=86_400.0)
        assert 1.0 == policy.delay(2, lambda: 0.5, retry_after=float("nan"))

    def test_settings_are_checked(self) -> None:
        """A base of 0 raises ValueError naming base."""
        with pytest.raises(ValueError, match="base"):
            RetryPolicy(base=0)


def test_retry_after_zero_never_waits_less_than_the_backoff() -> None:
    """Retry-After: 0 still waits the jittered backoff, so repeats cannot become a tight loop."""
    policy = RetryPolicy(base=0.5, cap=60.0)
    assert 2.0 == policy.delay(3, lambda: 0.5, retry_after=0.0)
    assert 0.25 == policy.delay(0, lambda: 0.5, retry_after=0.0)
