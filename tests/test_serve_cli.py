"""The vtrack serve command: its refusals (one line, exit 2), and a stop on SIGTERM."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from serve_server import serve_process, stop

from vtrack.cli import main
from vtrack.cli.serve import INSTALL_HINT
from vtrack.serve import running

ORIGIN = "https://www.example.com"


def vtrack_serve(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "vtrack.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    return done.returncode, done.stderr


class TestRefusals:
    @pytest.mark.parametrize(
        ("args", "said"),
        [
            (["--allow-origin", "https://x.com/"], "an origin is scheme://host[:port]"),
            (["--allow-origin", "*"], "an origin is scheme://host[:port]"),
            (["--allow-origin", ORIGIN, "--idle-timeout", "0"], "a number of seconds > 0"),
            (["--allow-origin", ORIGIN, "--port", "70000"], "a port number from 0 to 65535"),
            (["--allow-origin", ORIGIN, "--rate-limit", "-1"], "requests per second > 0"),
            (["--allow-origin", ORIGIN, "--max-open-sessions", "0"], "sessions from 1"),
        ],
    )
    def test_bad_options_are_refused_in_one_line(self, args: list[str], said: str) -> None:
        """A bad option value: exit 2, argparse's usage and one line saying what is wanted."""
        status, err = vtrack_serve(*args)
        assert (2, True, False) == (status, said in err, "Traceback" in err)

    def test_allow_origin_is_required(self) -> None:
        """No --allow-origin: exit 2 saying it is required."""
        status, err = vtrack_serve("--out", "-")
        assert (2, True) == (status, "--allow-origin" in err.splitlines()[-1])

    def test_an_out_that_is_a_directory_is_refused(self, tmp_path: Path) -> None:
        """--out DIR: one line, exit 2."""
        status, err = vtrack_serve("--allow-origin", ORIGIN, "--port", "0", "--out", str(tmp_path))
        assert (2, f"vtrack serve: --out {tmp_path}: is a directory\n") == (status, err)

    def test_a_record_path_that_is_a_file_is_refused(self, tmp_path: Path) -> None:
        """--record FILE: one line naming it, exit 2."""
        path = tmp_path / "file"
        path.write_text("")
        status, err = vtrack_serve("--allow-origin", ORIGIN, "--port", "0", "--record", str(path))
        assert (2, 1, True) == (status, len(err.splitlines()), str(path) in err)

    def test_a_port_in_use_is_refused(self) -> None:
        """A port something listens on already: one line, exit 2."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            status, err = vtrack_serve("--allow-origin", ORIGIN, "--port", port)
        assert (
            2,
            f"vtrack serve: cannot listen on 127.0.0.1:{port}: Address already in use\n",
        ) == (
            status,
            err,
        )

    def test_a_sink_without_a_write_key_is_refused(self, tmp_path: Path) -> None:
        """--sink segment with no key in the environment: one line, exit 2."""
        env = {k: v for k, v in os.environ.items() if k != "SEGMENT_WRITE_KEY"}
        status, err = vtrack_serve(
            "--allow-origin",
            ORIGIN,
            "--port",
            "0",
            "--sink",
            "segment",
            "--spool",
            str(tmp_path / "o.db"),
            env=env,
        )
        assert (2, 1, True) == (status, len(err.splitlines()), "SEGMENT_WRITE_KEY" in err)

    def test_without_the_serve_extra_it_says_how_to_install_it(self) -> None:
        """With starlette and uvicorn missing: exit 2 and the install hint, no traceback."""
        code = (
            "import sys; sys.modules['starlette'] = sys.modules['uvicorn'] = None; "
            "from vtrack.cli import main; "
            f"sys.exit(main(['serve', '--allow-origin', {ORIGIN!r}]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert (2, f"vtrack serve: {INSTALL_HINT}\n") == (done.returncode, done.stderr)


class TestStop:
    def test_sigterm_stops_it_and_says_what_it_did(self, tmp_path: Path) -> None:
        """SIGTERM: it stops (exit 0), saying how many sessions, records and messages it had."""
        with serve_process("--allow-origin", ORIGIN, "--out", str(tmp_path / "o.jsonl")) as (
            process,
            url,
        ):
            assert 200 == httpx.get(f"{url}/healthz", timeout=10).status_code
            status, err = stop(process)
        assert (
            0,
            "vtrack serve: stopped; 0 sessions, 0 records, 0 messages (0 records skipped)\n",
        ) == (status, err)


class TestOrigins:
    def test_a_default_port_in_an_origin_is_dropped_as_browsers_drop_it(
        self, tmp_path: Path
    ) -> None:
        """--allow-origin https://www.example.com:443 http://localhost:80: pages whose Origin
        header has no port (as browsers send it for a default port) may post."""
        args = ["--allow-origin", f"{ORIGIN}:443", "http://localhost:80"]
        with serve_process(*args, "--out", str(tmp_path / "o.jsonl")) as (process, url):
            answers = [
                httpx.post(
                    f"{url}/v1/events", content=b"\n", headers={"Origin": origin}
                ).status_code
                for origin in (ORIGIN, "http://localhost")
            ]
            stop(process)
        assert [204, 204] == answers


class TestDefaults:
    def test_sessions_end_after_120_s_of_silence_by_default(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No --idle-timeout: 120 s (a hidden tab's keepalive may come a minute apart), and
        100,000 open sessions at most."""
        seen: list[argparse.Namespace] = []

        def start(args: argparse.Namespace) -> None:
            seen.append(args)

        monkeypatch.setattr(running, "start", start)
        assert 2 == main(["serve", "--allow-origin", ORIGIN])
        assert [(120.0, 100_000)] == [(a.idle_timeout, a.max_open_sessions) for a in seen]
