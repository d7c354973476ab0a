"""``vtrack replay --sink``: a replay delivered to a real HTTP collector on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from collector import Collector, free_port
from test_cli_replay import log_of_two

from vtrack.cli import main
from vtrack.replay import replay
from vtrack.sinks.http import HttpSink


@pytest.fixture(autouse=True)
def write_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTRACK_WRITE_KEY", "key-from-the-environment")


def ids_of(path: Path) -> list[str]:
    return [message["messageId"] for message in replay([path])]


def test_every_message_arrives(
    tmp_path: Path, collector: Collector, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --sink every message reaches the collector; stdout is empty, the key is not shown."""
    log = log_of_two(tmp_path)
    status = main(["replay", str(log), "--sink", "endpoint", "--url", collector.url])
    captured = capsys.readouterr()
    assert 0 == status, captured.err
    assert sorted(collector.accepted_ids()) == sorted(ids_of(log))
    assert "" == captured.out  # with --sink, nothing on stdout unless --out says so
    assert "delivered" in captured.err
    assert "key-from-the-environment" not in captured.err
    auth = collector.requests[0]["headers"]["Authorization"]
    assert auth.startswith("Basic ")


def test_out_as_well(tmp_path: Path, collector: Collector) -> None:
    """--out with --sink writes every message in order and the collector gets them all."""
    log = log_of_two(tmp_path)
    out = tmp_path / "copy.jsonl"
    status = main(["replay", str(log), "--sink", "endpoint", "--url", collector.url,
                   "--out", str(out), "--quiet"])  # fmt: skip
    assert 0 == status
    written = [json.loads(line)["messageId"] for line in out.read_text().splitlines()]
    assert written == ids_of(log) and sorted(collector.accepted_ids()) == sorted(written)


def test_no_write_key_says_where_to_put_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--sink segment without a write key fails with status 2, naming SEGMENT_WRITE_KEY."""
    monkeypatch.delenv("VTRACK_WRITE_KEY")
    status = main(["replay", str(log_of_two(tmp_path)), "--sink", "segment"])
    err = capsys.readouterr().err
    assert 2 == status
    assert (
        "vtrack replay: --sink segment needs a write key: set SEGMENT_WRITE_KEY "
        "(or give --write-key-file)\n"
    ) == err


def test_a_write_key_file(tmp_path: Path, collector: Collector) -> None:
    """--write-key-file supplies the write key sent in the Basic auth header."""
    key = tmp_path / "key"
    key.write_text("from-a-file\n")
    status = main(["replay", str(log_of_two(tmp_path)), "--sink", "endpoint", "--url",
                   collector.url, "--write-key-file", str(key), "--quiet"])  # fmt: skip
    assert 0 == status
    import base64

    auth = collector.requests[0]["headers"]["Authorization"].removeprefix("Basic ")
    assert "from-a-file:" == base64.b64decode(auth).decode()


def test_an_endpoint_that_is_down_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the endpoint down, status is 3 and all 14 messages go in order to --undelivered."""
    log = log_of_two(tmp_path)
    kept = tmp_path / "kept.jsonl"
    url = f"http://127.0.0.1:{free_port()}/v1/batch"
    status = main(["replay", str(log), "--sink", "endpoint", "--url", url, "--quiet",
                   "--deliver-timeout", "1", "--undelivered", str(kept)])  # fmt: skip
    err = capsys.readouterr().err
    assert 3 == status
    assert f"vtrack replay: not everything was delivered: 14 were written to {kept}\n" == err
    assert [json.loads(line)["messageId"] for line in kept.read_text().splitlines()] == ids_of(log)


def test_with_an_outbox_the_next_sink_delivers_what_is_left(
    tmp_path: Path, collector: Collector, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the endpoint down, --spool keeps the 14 messages and a later sink delivers them."""
    log = log_of_two(tmp_path)
    outbox = tmp_path / "outbox.db"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    status = main(["replay", str(log), "--sink", "endpoint", "--url", down, "--quiet",
                   "--deliver-timeout", "1", "--spool", str(outbox)])  # fmt: skip
    assert 3 == status
    assert f"14 wait in the outbox {outbox}" in capsys.readouterr().err
    sink = HttpSink("endpoint", write_key="k", url=collector.url, spool=outbox)
    report = sink.close(timeout=10)
    assert report.complete
    assert sorted(collector.accepted_ids()) == sorted(ids_of(log))


def test_refused_batches_are_kept_too(
    tmp_path: Path, collector: Collector, capsys: pytest.CaptureFixture[str]
) -> None:
    """Batches the collector refuses with 400 are written to --undelivered; status is 3."""
    log = log_of_two(tmp_path)
    kept = tmp_path / "kept.jsonl"
    collector.script = [(400, {})] * 50
    status = main(["replay", str(log), "--sink", "endpoint", "--url", collector.url,
                   "--quiet", "--undelivered", str(kept)])  # fmt: skip
    assert 3 == status
    assert sorted(json.loads(line)["messageId"] for line in kept.read_text().splitlines()) == (
        sorted(ids_of(log))
    )


def test_ctrl_c_still_delivers_what_the_sink_took(
    tmp_path: Path, collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C mid-replay exits 130 after delivering exactly the messages the sink took."""
    from vtrack.cli import delivery as cli_delivery

    taken: list[str] = []
    original = cli_delivery.Delivery.take

    def take_then_interrupt(self: cli_delivery.Delivery, message: dict[str, object]) -> None:
        if len(taken) == 5:
            raise KeyboardInterrupt
        original(self, message)
        taken.append(str(message["messageId"]))

    monkeypatch.setattr(cli_delivery.Delivery, "take", take_then_interrupt)
    status = main(["replay", str(log_of_two(tmp_path)), "--sink", "endpoint", "--url",
                   collector.url, "--quiet"])  # fmt: skip
    assert 130 == status
    assert sorted(collector.accepted_ids()) == sorted(taken)


class TestReviewedEdges:
    def test_a_reused_session_id_with_another_viewer_is_that_viewer(self, tmp_path: Path) -> None:
        """The default session reused by viewer b in a second log is b's; no bad line."""
        from test_replay import T, viewing, write_log

        first = [{k: v for k, v in r.items() if k != "session"} for r in viewing("x", T, "a")]
        second = [{k: v for k, v in r.items() if k != "session"} for r in viewing("x", T + 50, "b")]
        run = replay([write_log(tmp_path / "1.log", first), write_log(tmp_path / "2.log", second)])
        viewers = [m["anonymousId"] for m in run]
        assert viewers == ["a"] * 7 + ["b"] * 7 and run.bad_line_count == 0

    @pytest.mark.parametrize(
        ("option", "value", "reason"),
        [
            ("--deliver-timeout", "nan", "must be a number of seconds >= 0; got 'nan'"),
            ("--deliver-timeout", "-1", "must be a number of seconds >= 0; got '-1'"),
        ],
    )
    def test_bad_timeouts(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str,
        reason: str,
    ) -> None:  # fmt: skip
        """A --deliver-timeout of nan or below 0 is refused, saying what is allowed."""
        with pytest.raises(SystemExit):
            main(["replay", str(log_of_two(tmp_path)), "--sink", "segment", option, value])
        assert reason in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("args", "reason"),
        [
            (["--url", "http://"], "--url must be an http:// or https:// URL with a host"),
            (["--url", "ftp://example.com/v1/batch"], "--url must be an http:// or https://"),
            (["--url", "http://127.0.0.1:99999/v1/batch"], "--url has no valid port"),
            (["--sink", "rudderstack"], "--sink rudderstack needs --url"),
            (["--undelivered", "."], "--undelivered . is a directory"),
            (["--undelivered", "/nonexistent-folder/x.jsonl"], "cannot write in /nonexistent"),
            (["--spool", "."], "--spool .: cannot use it as an outbox"),
        ],
    )
    def test_setup_problems_are_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
    ) -> None:
        """A bad --url, --sink, --undelivered or --spool fails with status 2 and one error line."""
        sink = [] if "--sink" in args else ["--sink", "endpoint"]
        url = (
            [] if "--url" in args or "--sink" in args else ["--url", "http://127.0.0.1:9/v1/batch"]
        )
        status = main(["replay", str(log_of_two(tmp_path)), *sink, *url, *args])
        err = capsys.readouterr().err
        assert 2 == status, err
        assert err.startswith("vtrack replay: ") and reason in err and err.count("\n") == 1

    def test_an_empty_key_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An empty --write-key-file fails with status 2, saying it holds no write key."""
        key = tmp_path / "key"
        key.write_text("")
        status = main(["replay", str(log_of_two(tmp_path)), "--sink", "segment",
                       "--write-key-file", str(key)])  # fmt: skip
        assert 2 == status
        assert (
            f"vtrack replay: {key} holds no write key on its first line\n"
            == capsys.readouterr().err
        )

    def test_an_unwritable_output_still_delivers(
        self, tmp_path: Path, collector: Collector, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When --out cannot be written the status is 2, but what the sink took is delivered."""
        log = log_of_two(tmp_path)
        status = main(["replay", str(log), "--sink", "endpoint", "--url", collector.url,
                       "--out", "/dev/full", "--quiet"])  # fmt: skip
        assert 2 == status
        assert "cannot write /dev/full" in capsys.readouterr().err
        assert collector.accepted_ids()  # what the sink took went out

    def test_what_is_kept_after_giving_up_stays_in_order(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With a full queue and delivery given up, --undelivered keeps all messages in order."""
        from vtrack.cli import delivery as cli_delivery
        from vtrack.core.errors import QueueFull

        calls = {"n": 0}

        def full_after_three(self: HttpSink, message: dict[str, object]) -> None:
            calls["n"] += 1
            if calls["n"] > 3:
                raise QueueFull("full")
            original_emit(self, message)

        original_emit = HttpSink.emit
        monkeypatch.setattr(HttpSink, "emit", full_after_three)
        log = log_of_two(tmp_path)
        kept = tmp_path / "kept.jsonl"
        down = f"http://127.0.0.1:{free_port()}/v1/batch"
        status = main(["replay", str(log), "--sink", "endpoint", "--url", down, "--quiet",
                       "--deliver-timeout", "0", "--undelivered", str(kept)])  # fmt: skip
        assert 3 == status
        del cli_delivery
        lines = [json.loads(line)["messageId"] for line in kept.read_text().splitlines()]
        assert lines == ids_of(log)


def test_ctrl_c_during_the_final_wait_keeps_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while waiting for delivery exits 130, writing all 14 messages to --undelivered."""

    def interrupted(self: HttpSink, timeout: float | None = 30.0) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(HttpSink, "flush", interrupted)
    log = log_of_two(tmp_path)
    kept = tmp_path / "kept.jsonl"
    down = f"http://127.0.0.1:{free_port()}/v1/batch"
    status = main(["replay", str(log), "--sink", "endpoint", "--url", down, "--quiet",
                   "--undelivered", str(kept)])  # fmt: skip
    assert 130 == status
    assert "14 were written to" in capsys.readouterr().err
    assert [json.loads(line)["messageId"] for line in kept.read_text().splitlines()] == ids_of(log)
