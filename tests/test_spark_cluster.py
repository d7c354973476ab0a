"""A real Spark standalone cluster on 127.0.0.1: a master, two workers, the replay on them."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from spark_logs import generate, split
from test_spark_replay import by_session

pytestmark = pytest.mark.spark

#: How long the cluster may take to start, and the replay to run (seconds).
START_TIMEOUT, RUN_TIMEOUT = 90.0, 240.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def spark_class() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-class")


class Cluster:
    """Spark's own Master and Worker processes, each in its process group, logging to files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes: list[subprocess.Popen[bytes]] = []
        self.port, self.ui = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1"}

    def start(self, *args: str, name: str) -> None:
        log = (self.directory / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [spark_class(), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        )

    def alive_workers(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui}/json/", timeout=2) as page:
                return int(json.load(page).get("aliveworkers", 0))
        except OSError:
            return 0

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A master and two workers (1 core, 1 GiB each) on 127.0.0.1, always stopped after."""
    cluster = Cluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        cluster.start(
            "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
            "--port", str(cluster.port), "--webui-port", str(cluster.ui), name="master",
        )  # fmt: skip
        for number in (1, 2):
            work = cluster.directory / f"work-{number}"
            cluster.start(
                "org.apache.spark.deploy.worker.Worker", cluster.url, "--host", "127.0.0.1",
                "--cores", "1", "--memory", "1g", "--webui-port", str(free_port()),
                "--work-dir", str(work), name=f"worker-{number}",
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while cluster.alive_workers() < 2:
            assert time.monotonic() < deadline, "the cluster did not start (see its logs)"
            time.sleep(0.5)
        yield cluster
    finally:
        cluster.stop()


def test_the_replay_on_a_cluster_is_vtrack_replays(cluster: Cluster, tmp_path: Path) -> None:
    """On a standalone master with two workers, --engine spark writes vtrack replay's messages,
    each session's in order, and both workers ran executors."""
    logs = [str(path) for path in split(generate(random.Random(5), 30), tmp_path)]
    single = subprocess.run(
        [sys.executable, "-m", "vtrack.cli", "replay", *logs, "--quiet"],
        capture_output=True,
        timeout=RUN_TIMEOUT,
    )
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(
        "spark.executor.memory 512m\nspark.driver.memory 512m\nspark.cores.max 2\n"
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "vtrack.cli", "replay", *logs, "--engine", "spark",
         "--spark-master", cluster.url, "--out", str(out), "--quiet"],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        env={**cluster.env, "SPARK_CONF_DIR": str(conf), "PYSPARK_PYTHON": sys.executable},
    )  # fmt: skip
    expected = single.stdout.decode().splitlines()
    parts = sorted(out.glob("part-*.txt"))
    actual = [line for part in parts for line in part.read_text().splitlines()]
    assert single.returncode == done.returncode, done.stderr.decode()[-3000:]
    assert sorted(expected) == sorted(actual)
    assert by_session(expected) == by_session(actual)
    ran = [any((cluster.directory / f"work-{n}").glob("app-*/*")) for n in (1, 2)]
    assert [True, True] == ran
