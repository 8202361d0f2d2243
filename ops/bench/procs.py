"""Real newsflow processes for the benchmark: workers, the webhook, backfills, and their RSS.

Every process runs from a source tree (`root`, the repository by default) with `python -m
producers.cli …` against the benchmark's own Redis database, logs to a file, and is stopped
by its own process group id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis

ROOT = Path(__file__).resolve().parents[2]


def env_for(redis_url: str, **extra: str) -> dict[str, str]:
    """This environment without NEWSFLOW_* variables, pointed at the benchmark's Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(
        NEWSFLOW_REDIS_URL=redis_url,
        NEWSFLOW_ENV="development",
        NEWSFLOW_LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


class Service:
    """One long-running newsflow process (`worker`, `serve`) with its log in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, root: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "producers.cli", *args],
            cwd=root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        """The process id (the leader of its own process group)."""
        return self.proc.pid

    def log(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for(self, done: Callable[[str], bool], what: str, timeout: float = 120) -> None:
        """Wait until `done(log_text)` is true; fail with the log's tail if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if done(text):
                return
            if self.proc.poll() is not None:
                raise SystemExit(f"{what}: process exited {self.proc.returncode}:\n{text[-3000:]}")
            time.sleep(0.1)
        raise SystemExit(f"{what}: not ready after {timeout} s:\n{self.log()[-3000:]}")

    def stop(self, timeout: float = 60) -> None:
        """Warm shutdown (SIGTERM to the group's leader), SIGKILL to the group if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def start_worker(
    redis_url: str,
    log_path: Path,
    queues: str,
    concurrency: int,
    sink: str,
    *,
    root: Path = ROOT,
    hostname: str | None = None,
    env: dict[str, str] | None = None,
) -> Service:
    """A real `newsflow worker`, returned once every child has loaded the model (if needed)."""
    args = ["worker", "--queues", queues, "--concurrency", str(concurrency), "--sink", sink]
    if hostname:
        args += ["--hostname", hostname]
    worker = Service(args, env_for(redis_url, **(env or {})), log_path, root)
    loads = concurrency if "extract" in queues.split(",") else 0
    worker.wait_for(
        lambda text: "ready." in text and text.count('"model_loaded"') >= loads,
        f"worker {queues}",
    )
    return worker


def start_webhook(
    redis_url: str,
    log_path: Path,
    port: int,
    *,
    root: Path = ROOT,
    env: dict[str, str] | None = None,
) -> Service:
    """A real `newsflow serve` on 127.0.0.1:port, returned once /healthz answers."""
    extra = {"NEWSFLOW_WEBHOOK_QUEUE_HIGH_WATER": str(10**9), **(env or {})}
    server = Service(["serve", "--port", str(port)], env_for(redis_url, **extra), log_path, root)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            if server.proc.poll() is not None:
                raise SystemExit(f"newsflow serve exited:\n{server.log()[-3000:]}") from None
        time.sleep(0.1)
    server.stop()
    raise SystemExit(f"newsflow serve not ready after 60 s:\n{server.log()[-3000:]}")


def start_backfill(
    redis_url: str,
    path: Path,
    log_path: Path,
    *,
    root: Path = ROOT,
    env: dict[str, str] | None = None,
) -> Service:
    """A real `newsflow backfill PATH` (backfill lane), not waited for."""
    return Service(["backfill", str(path)], env_for(redis_url, **(env or {})), log_path, root)


@dataclass
class RssSampler:
    """Peak RSS of processes and their descendants, sampled on a thread every `interval` s.

    `series[pid]` keeps (seconds since start, RSS bytes) for the processes in `track`.
    """

    interval: float = 0.2
    roots: dict[str, int] = field(default_factory=dict)  # label → pid (tree root)
    track: set[str] = field(default_factory=set)  # labels whose RSS over time is kept
    peaks: dict[str, dict[int, int]] = field(default_factory=dict)  # label → pid → peak
    series: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def watch(self, label: str, pid: int, *, keep_series: bool = False) -> None:
        """Sample `pid` and its descendants under `label` from now on."""
        self.roots[label] = pid
        self.peaks.setdefault(label, {})
        if keep_series:
            self.track.add(label)
            self.series.setdefault(label, [])

    def start(self) -> None:
        """Start sampling."""
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread:
            self._thread.join()

    def peak(self, label: str) -> int:
        """The largest RSS any one process under `label` reached, in bytes."""
        return max(self.peaks.get(label, {}).values(), default=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            for label, pid in list(self.roots.items()):
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in procs:
                    try:
                        rss = proc.memory_info().rss
                    except psutil.Error:
                        continue
                    peaks = self.peaks[label]
                    peaks[proc.pid] = max(peaks.get(proc.pid, 0), rss)
                    if label in self.track and proc.pid == pid:
                        self.series[label].append((time.monotonic() - self._started, rss))
            self._stop.wait(self.interval)


def queue_depth(client: redis.Redis, queue: str) -> int:
    """Messages waiting on `queue`, every priority lane (kombu: one list per step)."""
    from schemas import names

    pipe = client.pipeline(transaction=False)
    for key in names.queue_keys(queue):
        pipe.llen(key)
    return sum(pipe.execute())


def articles_waiting(client: redis.Redis, queue: str) -> int:
    """Articles in the messages waiting on `queue` (a backfill batch message holds several)."""
    from producers.broker_probe import articles_of_message
    from schemas import names

    return sum(
        len(articles_of_message(message))
        for key in names.queue_keys(queue)
        for message in client.lrange(key, 0, -1)
    )
