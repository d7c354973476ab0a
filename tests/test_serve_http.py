"""vtrack serve over HTTP: a real uvicorn server on 127.0.0.1, its routes, limits and refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from serve_feed import Batch, batches_of, by_session, interleaved, replayed
from serve_server import ORIGIN, Running, serving

from vtrack.serve.limits import MAX_BODY
from vtrack.testing.viewing import Pause, Seek, Viewing, Watch

T0 = 1_700_000_000.0
POST = {"Origin": ORIGIN, "Content-Type": "text/plain"}


def header(session: str = "s1", viewer: str = "v1", t: float = T0) -> dict[str, object]:
    return {"t": t, "session": session, "anonymous_id": viewer, "content": {"asset_id": "a"}}


def lines(*records: dict[str, object]) -> bytes:
    return b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)


def post(client: httpx.Client, running: Running, body: bytes, **params: str) -> httpx.Response:
    return client.post(running.events, content=body, headers=POST, params=params)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    with serving(tmp_path) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


class TestEvents:
    def test_posted_batches_make_the_messages_their_records_replay_into(
        self, tmp_path: Path, client: httpx.Client
    ) -> None:
        """Four players' batches posted interleaved: 204 each, and each session's messages
        are the replay of its recorded records."""
        viewings = [
            Viewing(
                60.0,
                (Watch(5.0), Pause(2.0), Seek(30.0), Watch(10.0)),
                ending=ending,
                tick=0.25,
                start_at=T0 + i,
                session_id=f"s{i}",
                viewer=f"v{i}",
            )
            for i, ending in enumerate(("leave", "end", "silent", "leave"))
        ]
        batches: list[Batch] = interleaved(
            [batches_of(v, skew=9.0 * i) for i, v in enumerate(viewings)]
        )
        now = [T0]
        with serving(tmp_path, clock=lambda: now[0], rate_limit=1e6, idle_timeout=3600) as running:
            statuses = set()
            for b in batches:
                now[0] = b.received_at  # the server's clock, as the players' batches reach it
                params = {"sent_at": repr(b.sent_at), "batch": b.batch_id}
                statuses.add(post(client, running, b.body, **params).status_code)
        served = by_session([orjson.loads(line) for line in running.out.read_bytes().splitlines()])
        replays = {}
        for path in running.record.glob("*.jsonl"):
            replays |= by_session(replayed(path))
        assert ({204}, replays) == (statuses, served)
        assert 4 == len(served)

    def test_the_answer_to_a_batch_is_204_with_cors_and_no_cookie(
        self, running: Running, client: httpx.Client
    ) -> None:
        """204, the origin allowed by name (no credentials), no Set-Cookie."""
        answer = post(client, running, lines(header()))
        assert (204, ORIGIN, None, None) == (
            answer.status_code,
            answer.headers.get("access-control-allow-origin"),
            answer.headers.get("access-control-allow-credentials"),
            answer.headers.get("set-cookie"),
        )


class TestIdleSweep:
    def test_a_silent_session_is_ended_by_the_server_on_its_own(
        self, tmp_path: Path, client: httpx.Client
    ) -> None:
        """With a 0.5 s idle timeout, a session that says nothing more exits at its last
        record, with no request to trigger it."""
        now = time.time()
        play = {"currentTime": 0, "duration": 60, "paused": False, "ended": False}
        body = lines(
            header(t=now),
            {"t": now, "session": "s1", "type": "play", **play},
            {"t": now, "session": "s1", "type": "playing", **play},
        )
        with serving(tmp_path, idle_timeout=0.5) as running:
            assert 204 == post(client, running, body).status_code
            deadline = time.monotonic() + 10
            while running.service.sessionizer.open_sessions and time.monotonic() < deadline:
                time.sleep(0.05)
            held = running.service.sessionizer.open_sessions
        events = [orjson.loads(line)["event"] for line in running.out.read_bytes().splitlines()]
        assert (0, "Video Playback Exited") == (held, events[-1])


class TestFailures:
    def test_a_failing_idle_sweep_goes_on_and_ends_the_session(
        self, tmp_path: Path, client: httpx.Client
    ) -> None:
        """The sweep raises twice: it goes on, and the silent session still exits."""
        failures = [RuntimeError("sweep"), RuntimeError("again")]
        with serving(tmp_path, idle_timeout=0.5) as running:
            sweep = running.service.sweep

            def flaky() -> None:
                if failures:
                    raise failures.pop()
                sweep()

            running.service.sweep = flaky  # type: ignore[method-assign]
            assert 204 == post(client, running, playing()).status_code
            deadline = time.monotonic() + 10
            while running.service.sessionizer.open_sessions and time.monotonic() < deadline:
                time.sleep(0.05)
            held = running.service.sessionizer.open_sessions
        assert (0, [], 2) == (held, failures, running.service.errors["sweep"])

    def test_the_server_stops_cleanly_though_its_sweep_always_fails(
        self, tmp_path: Path, client: httpx.Client
    ) -> None:
        """The sweep raises every time: at the stop the open session still exits, written."""
        with serving(tmp_path, idle_timeout=0.2) as running:

            def broken() -> None:
                raise RuntimeError("sweep")

            running.service.sweep = broken  # type: ignore[method-assign]
            assert 204 == post(client, running, playing()).status_code
            time.sleep(0.5)
        events = [orjson.loads(line)["event"] for line in running.out.read_bytes().splitlines()]
        assert (True, "Video Playback Exited") == (running.service.stopping, events[-1])


def playing() -> bytes:
    """A session s1 that starts playing now."""
    now = time.time()
    play = {"currentTime": 0, "duration": 60, "paused": False, "ended": False}
    return lines(
        header(t=now),
        {"t": now, "session": "s1", "type": "play", **play},
        {"t": now, "session": "s1", "type": "playing", **play},
    )


class TestOrigins:
    def test_a_preflight_from_an_allowed_origin_is_answered(
        self, running: Running, client: httpx.Client
    ) -> None:
        """OPTIONS from an allowed origin: 204 allowing POST and Content-Type."""
        answer = client.options(
            running.events,
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert (204, ORIGIN, "POST", "Content-Type") == (
            answer.status_code,
            answer.headers["access-control-allow-origin"],
            answer.headers["access-control-allow-methods"],
            answer.headers["access-control-allow-headers"],
        )

    @pytest.mark.parametrize("origin", ["https://evil.example", "null", None])
    def test_any_other_origin_is_refused(
        self, running: Running, client: httpx.Client, origin: str | None
    ) -> None:
        """Another origin (or none) gets 403, for a preflight and a post, and nothing is applied."""
        headers = {} if origin is None else {"Origin": origin}
        preflight = client.options(running.events, headers=headers)
        posted = client.post(running.events, content=lines(header()), headers=headers)
        assert (403, 403, None, 0) == (
            preflight.status_code,
            posted.status_code,
            posted.headers.get("access-control-allow-origin"),
            running.service.sessionizer.stats.records,
        )


class TestLimits:
    def test_a_body_over_64_kb_is_413(self, running: Running, client: httpx.Client) -> None:
        """A body of 64 KB and one byte is refused, and nothing is applied."""
        record = lines(header())
        body = record * (MAX_BODY // len(record) + 1)
        answer = post(client, running, body[: MAX_BODY + 1])
        assert (413, 0) == (answer.status_code, running.service.sessionizer.stats.records)

    def test_a_streamed_body_over_64_kb_is_413(
        self, running: Running, client: httpx.Client
    ) -> None:
        """A chunked body (no Content-Length) is cut off at the limit too."""

        def chunks() -> Iterator[bytes]:
            for _ in range(MAX_BODY // 1000 + 2):
                yield b" " * 1000

        answer = client.post(running.events, content=chunks(), headers=POST)
        assert 413 == answer.status_code

    def test_a_malformed_line_is_400_naming_it_in_json(
        self, running: Running, client: httpx.Client
    ) -> None:
        """A bad third line: 400, JSON naming line 3, never HTML, nothing applied."""
        body = lines(header(), header()) + b"<script>alert(1)</script>\n"
        answer = post(client, running, body)
        assert (400, "application/json", 3, "nosniff", 0) == (
            answer.status_code,
            answer.headers["content-type"],
            answer.json()["line"],
            answer.headers["x-content-type-options"],
            running.service.sessionizer.stats.records,
        )

    def test_a_session_of_another_viewer_is_409_and_not_applied(
        self, running: Running, client: httpx.Client
    ) -> None:
        """A batch naming another viewer for a session already bound: 409, nothing applied."""
        post(client, running, lines(header()))
        answer = post(client, running, lines(header(viewer="intruder", t=T0 + 1)))
        assert (409, 2, 1) == (
            answer.status_code,
            answer.json()["line"] + 1,
            running.service.sessionizer.stats.records,
        )

    def test_a_client_over_its_rate_is_429(self, tmp_path: Path, client: httpx.Client) -> None:
        """With a request every 10 s (bursts of 1), the next ones at once are 429 with
        Retry-After."""
        with serving(tmp_path, rate_limit=0.1) as running:
            answers = [post(client, running, lines(header(t=T0 + i))) for i in range(3)]
        assert ([204, 429, 429], "10") == (
            [a.status_code for a in answers],
            answers[2].headers["retry-after"],
        )

    @pytest.mark.parametrize("params", [{"sent_at": "soon"}, {"sent_at": "nan"}, {"batch": "a/b"}])
    def test_an_unreadable_query_is_400(
        self, running: Running, client: httpx.Client, params: dict[str, str]
    ) -> None:
        """sent_at must be epoch seconds and batch an id: else 400, nothing applied."""
        answer = post(client, running, lines(header()), **params)
        assert (400, 0) == (answer.status_code, running.service.sessionizer.stats.records)


class TestUnavailable:
    def test_a_batch_that_cannot_be_recorded_is_503_and_taken_when_sent_again(
        self, running: Running, client: httpx.Client
    ) -> None:
        """--record not writable (a session's file made a directory): 503 with Retry-After,
        nothing of the batch applied; the same batch sent again once it is writable: 204,
        applied once."""
        assert 204 == post(client, running, lines(header()), batch="b1").status_code
        part, saved = running.record / "s1.jsonl", running.record.parent / "saved"
        part.rename(saved)
        part.mkdir()
        batch = lines(header(session="s2", viewer="v2", t=T0 + 1), header(t=T0 + 1))
        refused = post(client, running, batch, batch="b2")
        held = running.service.sessionizer.open_sessions
        part.rmdir()
        saved.rename(part)
        taken = post(client, running, batch, batch="b2")
        stats, rejects = running.service.sessionizer.stats, running.service.metrics.rejects
        assert (503, "5", 1, 204, 3, 2, 1) == (
            refused.status_code,
            refused.headers["retry-after"],
            held,
            taken.status_code,
            stats.records,
            running.service.sessionizer.open_sessions,
            rejects["record_failed"],
        )


class TestSessionLimits:
    def test_a_batch_past_max_open_sessions_is_503_and_counted(
        self, tmp_path: Path, client: httpx.Client
    ) -> None:
        """--max-open-sessions 1: a second session is 503 with Retry-After, nothing applied,
        counted as sessions_full; a batch of the session held is taken."""
        with serving(tmp_path, max_open_sessions=1) as running:
            first = post(client, running, lines(header()))
            second = post(client, running, lines(header(session="s2")))
            again = post(client, running, lines(header(t=T0 + 1)))
            text = client.get(f"{running.url}/metrics").text
        assert (204, 503, "60", 204, 2) == (
            first.status_code,
            second.status_code,
            second.headers["retry-after"],
            again.status_code,
            running.service.sessionizer.stats.records,
        )
        assert 'vtrack_serve_rejects_total{reason="sessions_full"} 1' in text.splitlines()

    def test_a_batch_starting_17_sessions_is_400_naming_the_limit(
        self, running: Running, client: httpx.Client
    ) -> None:
        """17 new sessions in one batch: 400 naming the limit and the 17th's line, counted as
        too_many_sessions, nothing applied."""
        answer = post(client, running, lines(*(header(session=f"s{i}") for i in range(17))))
        text = client.get(f"{running.url}/metrics").text
        assert (400, 17, True, 0) == (
            answer.status_code,
            answer.json()["line"],
            "at most 16 sessions" in answer.json()["error"],
            running.service.sessionizer.stats.records,
        )
        assert 'vtrack_serve_rejects_total{reason="too_many_sessions"} 1' in text.splitlines()


class TestOtherRoutes:
    def test_healthz(self, running: Running, client: httpx.Client) -> None:
        """GET /healthz: 200, {"status": "ok"}."""
        answer = client.get(f"{running.url}/healthz")
        assert (200, {"status": "ok"}) == (answer.status_code, answer.json())

    def test_metrics_count_what_happened(self, running: Running, client: httpx.Client) -> None:
        """GET /metrics: Prometheus text with open sessions, records, messages, backlog and
        rejects by reason."""
        post(client, running, lines(header()))
        client.post(running.events, content=b"{}", headers={"Origin": "https://evil.example"})
        post(client, running, b"nope\n")
        text = client.get(f"{running.url}/metrics").text
        found = {
            line.split(" ")[0]: line.split(" ")[1]
            for line in text.splitlines()
            if not line.startswith("#")
        }
        assert {
            "vtrack_serve_open_sessions": "1",
            "vtrack_serve_records_total": "1",
            "vtrack_serve_messages_total": "0",
            "vtrack_serve_delivery_backlog": "0",
            'vtrack_serve_rejects_total{reason="origin"}': "1",
            'vtrack_serve_rejects_total{reason="malformed"}': "1",
            'vtrack_serve_rejects_total{reason="conflict"}': "0",
        }.items() <= found.items()

    def test_the_snippet_is_served_as_javascript(
        self, running: Running, client: httpx.Client
    ) -> None:
        """GET /vtrack.js: the package's script, as JavaScript."""
        answer = client.get(f"{running.url}/vtrack.js")
        source = Path(__file__).parent.parent / "vtrack" / "serve" / "vtrack.js"
        assert (200, "text/javascript; charset=utf-8", source.read_bytes()) == (
            answer.status_code,
            answer.headers["content-type"],
            answer.content,
        )


class TestSnippet:
    def test_it_is_small_plain_javascript_with_no_dependencies(self) -> None:
        """vtrack.js is under 30 KB and loads nothing (no import, require or other script)."""
        source = (Path(__file__).parent.parent / "vtrack" / "serve" / "vtrack.js").read_text()
        loads = [w for w in ("import ", "require(", "importScripts", "<script") if w in source]
        assert (True, []) == (len(source.encode()) < 30 * 1024, loads)
