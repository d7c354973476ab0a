"""The delivery state machine, driven by a simulated server (no sockets: sans-IO)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrack.delivery import BatchLimits, Dispatch, Outcome, RetryPolicy, sent_at

T0 = 1_700_000_000.0


def event(number: int, size: int = 40) -> bytes:
    head = b'{"n":%d,"pad":"' % number
    return head + b"x" * max(0, size - len(head) - 2) + b'"}'


def numbers(body: bytes) -> list[int]:
    return [item["n"] for item in json.loads(body)["batch"]]


def dispatch(**limits: float) -> Dispatch:
    return Dispatch(BatchLimits(**limits), RetryPolicy(), random=random.Random(1).random)  # type: ignore[arg-type]


def test_sent_at_is_24_characters_of_utc_milliseconds() -> None:
    """sent_at() gives a Unix time as a 24-character UTC ISO timestamp with milliseconds."""
    assert "2023-11-14T22:13:20.250Z" == sent_at(T0 + 0.25)


def test_a_full_batch_goes_at_once_and_a_partial_one_after_the_interval() -> None:
    """A full batch is sent at once, one request at a time; the rest goes after the interval."""
    d = dispatch(max_events=2, interval=5.0)
    for n in range(3):
        d.add(event(n), T0)
    request = d.next_request(T0)
    assert request is not None and numbers(request.body) == [0, 1]
    assert d.next_request(T0) is None  # one request at a time
    assert d.answered(200, None, "", T0) is Outcome.DELIVERED
    assert d.next_request(T0 + 4.9) is None
    assert T0 + 5.0 == d.wakeup(T0 + 4.9)
    request = d.next_request(T0 + 5.0)
    assert request is not None and numbers(request.body) == [2]
    assert json.loads(request.body)["sentAt"] == sent_at(T0 + 5.0)
    d.answered(202, None, "", T0 + 5.0)
    assert d.idle and d.counters.delivered == 3 and d.counters.pending == 0


def test_add_returns_the_batches_it_closed_and_requests_carry_their_sent_at() -> None:
    """add() returns the batch a full one closed (none before); a request knows its sentAt."""
    d = dispatch(max_events=2)
    assert [] == d.add(event(0), T0)
    closed = d.add(event(1), T0)
    assert [[event(0), event(1)]] == [batch.events for batch in closed]
    request = d.next_request(T0 + 0.25)
    assert request is not None
    assert (sent_at(T0 + 0.25), closed[0]) == (request.sent_at, request.batch)
    assert request.sent_at == json.loads(request.body)["sentAt"]


def test_flush_sends_without_waiting() -> None:
    """After flush() a partial batch is due at once instead of after its 60 s interval."""
    d = dispatch(interval=60.0)
    d.add(event(0), T0)
    d.flush()
    assert T0 == d.wakeup(T0)
    request = d.next_request(T0)
    assert request is not None and numbers(request.body) == [0]


def test_a_retry_keeps_the_order_and_sets_a_new_sent_at() -> None:
    """After a 503 the same batch is resent as attempt 1 once its backoff ends, before the next."""
    d = dispatch(max_events=1)
    d.add(event(0), T0)
    d.add(event(1), T0)
    first = d.next_request(T0)
    assert first is not None
    assert d.answered(503, None, "busy", T0) is Outcome.RETRY
    assert 1 == d.counters.retried
    wake = d.wakeup(T0)
    assert wake is not None and T0 <= wake <= T0 + 0.5
    if wake > T0:
        assert d.next_request(wake - 1e-6) is None  # the backoff holds it back
    again = d.next_request(wake)
    assert again is not None and numbers(again.body) == [0] and again.attempt == 1
    d.answered(200, None, "", wake + 1)
    last = d.next_request(wake + 1)
    assert last is not None and numbers(last.body) == [1] and last.attempt == 0


@pytest.mark.parametrize("retry_after", ["7", "Tue, 14 Nov 2023 22:13:27 GMT"])
def test_retry_after_in_both_forms(retry_after: str) -> None:
    """A 429's Retry-After, in seconds or as an HTTP date, puts the retry exactly 7 s later."""
    d = dispatch()
    d.add(event(0), T0)
    d.flush()
    assert d.next_request(T0) is not None
    d.answered(429, retry_after, "", T0)
    assert T0 + 7.0 == d.wakeup(T0)


def test_a_network_error_is_retried() -> None:
    """A request that got no answer is RETRY: the event stays pending and counts as retried."""
    d = dispatch()
    d.add(event(0), T0)
    d.flush()
    d.next_request(T0)
    assert d.failed(T0) is Outcome.RETRY
    assert d.counters.pending == 1 and d.counters.retried == 1


def test_413_splits_the_batch_and_sends_the_halves_in_order() -> None:
    """A 413 on four events resends them as two halves, [0, 1] then [2, 3]."""
    d = dispatch(max_events=4)
    for n in range(4):
        d.add(event(n), T0)
    d.next_request(T0)
    assert d.answered(413, None, "", T0) is Outcome.SPLIT
    first = d.next_request(T0)
    assert first is not None and numbers(first.body) == [0, 1]
    d.answered(200, None, "", T0)
    second = d.next_request(T0)
    assert second is not None and numbers(second.body) == [2, 3]


def test_413_of_a_single_event_is_a_dead_letter() -> None:
    """A 413 on a single event, which cannot be split, makes it a dead letter with status 413."""
    d = dispatch()
    d.add(event(0), T0)
    d.flush()
    d.next_request(T0)
    assert d.answered(413, None, "too big", T0) is Outcome.DEAD
    assert d.counters.dead == 1 and d.dead_letters[0].status == 413


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_refusals_become_dead_letters_with_status_and_answer(status: int) -> None:
    """A 4xx dead-letters the whole batch with its status and the answer cut to 2,000 chars."""
    d = dispatch()
    d.add(event(0), T0)
    d.add(event(1), T0)
    d.flush()
    d.next_request(T0)
    assert d.answered(status, None, '{"error":"bad write key"}' * 200, T0) is Outcome.DEAD
    letter = d.dead_letters[0]
    assert [0, 1] == [json.loads(e)["n"] for e in letter.events]
    assert letter.status == status and letter.answer.startswith('{"error"')
    assert 2_000 == len(letter.answer)
    assert d.counters.dead == 2 and d.counters.pending == 0 and d.idle


def test_an_answer_without_a_request_is_a_bug_in_the_driver() -> None:
    """Reporting an answer while no request is in flight raises RuntimeError."""
    with pytest.raises(RuntimeError, match="no request is in flight"):
        dispatch().answered(200, None, "", T0)


def test_pending_events_are_listed_in_order() -> None:
    """pending_events() lists every undelivered event in order, the in-flight batch included."""
    d = dispatch(max_events=2)
    for n in range(5):
        d.add(event(n), T0)
    d.next_request(T0)
    assert [0, 1, 2, 3, 4] == [json.loads(e)["n"] for e in d.pending_events()]


ANSWERS = st.sampled_from([200, 202, 500, 503, 429, 408, 413, 400, 401, None])


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(0, 200),
    sizes=st.integers(30, 3_000),
    max_events=st.sampled_from([1, 3, 50]),
    answers=st.lists(ANSWERS, max_size=60),
    seed=st.integers(0, 2**16),
)
def test_every_event_is_delivered_or_dead_once_and_in_order(
    count: int, sizes: int, max_events: int, answers: list[int | None], seed: int
) -> None:
    """Whatever the server answers, each event ends delivered or dead, never twice, in order."""
    d = Dispatch(
        BatchLimits(max_events=max_events), RetryPolicy(), random=random.Random(seed).random
    )
    now = T0
    for n in range(count):
        d.add(event(n, sizes), now)
    d.flush()
    delivered: list[int] = []
    dead: list[int] = []
    scripted = iter(answers)
    for _ in range(10_000):  # bounded: the script runs out, then the server says 200
        if d.idle:
            break
        request = d.next_request(now)
        if request is None:
            wake = d.wakeup(now)
            assert wake is not None and wake >= now
            now = wake
            continue
        answer = next(scripted, 200)
        if answer is None:
            d.failed(now)
        elif d.answered(answer, None, "", now) is Outcome.DELIVERED:
            delivered.extend(numbers(request.body))
        if d.dead_letters and len(dead) < sum(len(x.events) for x in d.dead_letters):
            dead = [json.loads(e)["n"] for x in d.dead_letters for e in x.events]
    assert d.idle
    assert list(range(count)) == sorted(delivered + dead)
    assert delivered == sorted(delivered)
    assert d.counters.delivered == len(delivered) and d.counters.dead == len(dead)
    assert 0 == d.counters.pending
