"""Real services: a Redis database of our own and real `newsflow worker` processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from tests.conftest import ROOT, require

TEST_REDIS_URL = os.environ.get("NEWSFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.integration

# The session worker's SSRF allow-list (test HTTP servers bind 127.0.0.1; 127.0.0.2 stays
# blocked, standing for an internal service) and the key its callbacks are signed with.
TEST_FETCH_ALLOW_HOSTS = "127.0.0.1/32"
TEST_CALLBACK_SECRET = "newsflow-test-callback-secret"
# The key https:// sinks sign with (every worker of the session has it: they may race).
TEST_SINK_SECRET = "newsflow-test-sink-secret"


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A flushed Redis database for this test session."""
    require(_reachable(TEST_REDIS_URL), f"Redis not reachable at {TEST_REDIS_URL}")
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


def service_env(redis_url: str, **extra: str) -> dict[str, str]:
    """Environment for a newsflow process pointed at the test Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(
        NEWSFLOW_REDIS_URL=redis_url,
        NEWSFLOW_ENV="test",
        NEWSFLOW_LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NewsflowProcess:
    """A real `newsflow` subprocess in a process group of its own, its log in a file."""

    def __init__(self, redis_url: str, log_path: Path, *args: str, **env: str) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "producers.cli", *args],
            cwd=ROOT,
            env=service_env(redis_url, **env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        """Wait until `text` is in the log; fail at once if the process exits."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert self.proc.poll() is None, f"process exited:\n{self.log()[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in the log"
            time.sleep(0.1)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (a worker's warm shutdown, the server's drain), SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class WorkerProcess(NewsflowProcess):
    """A real `newsflow worker` subprocess, its log in a file."""

    metrics_url: str | None = None  # set when it serves Prometheus metrics

    def __init__(self, redis_url: str, log_path: Path, *args: str, **env: str) -> None:
        super().__init__(redis_url, log_path, "worker", *args, **env)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            if "ready." in text and "model_loaded" in text:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{text[-3000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout}s:\n{self.log()[-3000:]}")


@pytest.fixture(scope="session")
def worker(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """One worker on every queue for the session (url fetches may reach 127.0.0.1 only).

    Every module shares it: a second worker on the same database would race it for tasks.
    """
    tmp = tmp_path_factory.mktemp("worker")
    metrics_port = free_port()
    proc = WorkerProcess(
        redis_url,
        tmp / "worker.log",
        "--concurrency",
        "2",
        NEWSFLOW_SINKS=f"jsonl://{tmp}/default.jsonl",
        NEWSFLOW_METRICS_PORT=str(metrics_port),  # /metrics: tests/integration/test_ops_metrics.py
        NEWSFLOW_FETCH_ALLOW_HOSTS=TEST_FETCH_ALLOW_HOSTS,
        NEWSFLOW_CALLBACK_SECRET=TEST_CALLBACK_SECRET,
        NEWSFLOW_SINK_WEBHOOK_SECRET=TEST_SINK_SECRET,
    )
    proc.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


# kombu's Redis transport blocks up to 1 s per BRPOP; one issued before a consumer was
# cancelled can still take a task, so a paused queue is only quiet after this long.
BRPOP_WINDOW = 2.5


def stop_consuming(control: Celery, queue: str, **kwargs: Any) -> None:
    """Make workers stop taking `queue` and wait until none can still take a task from it."""
    assert control.control.cancel_consumer(queue, reply=True, timeout=5, **kwargs)
    time.sleep(BRPOP_WINDOW)


def newsflow(redis_url: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the `newsflow` console script against the test Redis."""
    return subprocess.run(
        [sys.executable, "-m", "producers.cli", *args],
        cwd=ROOT,
        env=service_env(redis_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
