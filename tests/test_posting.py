"""How the sync sink POSTs: httpcore's pool by default, an httpx.Client when given or behind a
proxy; the same answer either way."""

from __future__ import annotations

import httpx
import pytest
from collector import Collector

from vtrack._version import __version__
from vtrack.sinks.deadline import AttemptDeadline
from vtrack.sinks.posting import Answer, ClientPoster, PoolPoster, poster_for

BODY = b'{"batch":[{"type":"track","event":"E","anonymousId":"v","messageId":"id-1"}]}'


class TestChoice:
    def test_by_default_the_pool(self) -> None:
        """No client, no proxy: the sink posts through its own pool."""
        poster = poster_for(None, 5.0, AttemptDeadline())
        try:
            assert PoolPoster is type(poster)
        finally:
            poster.close()

    def test_a_client_of_yours_is_used_and_left_open(self) -> None:
        """client=: posts go through it, and closing the poster leaves it open."""
        with httpx.Client() as client:
            poster = poster_for(client, 5.0, AttemptDeadline())
            poster.close()
            assert (ClientPoster, False) == (type(poster), client.is_closed)

    def test_behind_a_proxy_httpx_client(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """HTTPS_PROXY set: httpx's own client, which honours it."""
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
        poster = poster_for(None, 5.0, AttemptDeadline())
        try:
            assert ClientPoster is type(poster)
        finally:
            poster.close()


class TestAnswers:
    @pytest.mark.parametrize("use_client", [False, True])
    def test_the_same_answer_both_ways(self, collector: Collector, use_client: bool) -> None:
        """A 429 with Retry-After: status, Retry-After and text, from the pool or a client."""
        collector.script = [(429, {"Retry-After": "7"})]
        with httpx.Client() as client:
            poster = poster_for(client if use_client else None, 5.0, AttemptDeadline())
            try:
                answer = poster.post(collector.url, BODY, {"Content-Type": "application/json"})
            finally:
                poster.close()
        assert Answer(429, "7", '{"error":"scripted"}') == answer

    def test_requests_name_vtrack(self, collector: Collector) -> None:
        """Each request says User-Agent: vtrack/<version> and carries the sink's headers."""
        poster = PoolPoster(5.0, AttemptDeadline())
        try:
            poster.post(collector.url, BODY, {"Authorization": "Basic x"})
        finally:
            poster.close()
        headers = collector.requests[0]["headers"]
        expected = (f"vtrack/{__version__}", "Basic x", str(len(BODY)))
        assert expected == (
            headers["User-Agent"],
            headers["Authorization"],
            headers["Content-Length"],
        )


def test_a_url_with_non_ascii_text_is_encoded_as_httpx_does(collector: Collector) -> None:
    """A batch URL with non-ASCII text in its path is sent percent-encoded, not refused."""
    poster = PoolPoster(5.0, AttemptDeadline())
    try:
        answer = poster.post(collector.url + "/événements", BODY, {})
    finally:
        poster.close()
    assert 200 == answer.status
