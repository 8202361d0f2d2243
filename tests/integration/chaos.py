"""Helpers of the fault tests: a private Redis we may restart, articles we write, the books.

The shared Redis (127.0.0.1:6379) is never stopped: a test that restarts Redis or kills
workers starts its own `redis-server` on a free port, in a temporary folder, with AOF on.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import redis

from schemas.article import article_id_for
from schemas.ledger import Ledger, RunCounts
from tests.integration.conftest import WorkerProcess

PLACES = ["Vienna", "Nairobi", "Lima", "Hanoi", "Oslo", "Accra", "Quito", "Riga", "Dakar"]
PEOPLE = ["Anna Berg", "Kofi Mensah", "Lucia Paredes", "Tran Van Minh", "Ines Kalnina"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def story(tag: str, i: int, *, paragraphs: int = 2) -> bytes:
    """A short news story of our own, unique per (tag, i)."""
    rng = random.Random(f"{tag}-{i}")
    lines = []
    for p in range(paragraphs):
        place, other = rng.sample(PLACES, 2)
        lines.append(
            f"{rng.choice(PEOPLE)} met officials from {other} in {place} on Monday, "
            f"the foreign ministry said. Both sides agreed to hold further talks next "
            f"month ({tag}-{i}-{p})."
        )
    return "\n\n".join(lines).encode() + b"\n"


def write_stories(folder: Path, tag: str, count: int, *, paragraphs: int = 2) -> list[str]:
    """`count` stories as .txt files in `folder`; returns their article ids."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(count):
        body = story(tag, i, paragraphs=paragraphs)
        (folder / f"{tag}-{i:04d}.txt").write_bytes(body)
        ids.append(article_id_for(body))
    return ids


def accounting(name: str, counts: RunCounts, extra: str = "") -> str:
    """Print (and return) a fault test's accounting line: in, published, duplicates, DLQ."""
    line = (
        f"{name}: in {counts.inbound}, published {counts.published}, "
        f"duplicates {counts.duplicates}, DLQ {counts.failed}"
    )
    if extra:
        line += f"; {extra}"
    print(f"\n{line}", flush=True)
    return line


def wait_drained(ledger: Ledger, run_id: str, timeout: float) -> RunCounts:
    """The run's books once every queued article is settled (Redis blips are waited out)."""
    deadline = time.monotonic() + timeout
    counts = RunCounts()
    while time.monotonic() < deadline:
        try:
            counts = ledger.run(run_id)
        except redis.ConnectionError:
            counts = RunCounts()
        if counts.drained:
            return counts
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} not drained after {timeout:.0f} s: {counts}")


class PrivateRedis:
    """A throwaway `redis-server` (AOF, fsync always) on a free port, ours to stop and start."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.binary = binary
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 15) -> None:
        """Start the server on the same port and folder (its AOF is loaded back)."""
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()[-2000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"redis-server not up after {timeout}s")

    def client(self) -> redis.Redis:
        """A new client of this server (short timeouts)."""
        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=1)

    def shutdown(self) -> None:
        """SHUTDOWN (the AOF is fsynced, then the server exits), and wait for the exit."""
        assert self.proc is not None
        with suppress(redis.ConnectionError):
            self.client().shutdown()
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """Stop for good (SIGKILL if SHUTDOWN does not end it)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.shutdown()
        except (redis.RedisError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        """The server's log file."""
        path = self.folder / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    """A started PrivateRedis, stopped whatever happens."""
    server = PrivateRedis(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class SupervisedWorker:
    """A `newsflow worker` started again whenever it exits on its own (compose's
    `restart: unless-stopped`): Celery/kombu 5.7 can die with an unrecoverable error while
    the broker connection is being lost, and production relies on the restart policy."""

    def __init__(self, redis_url: str, folder: Path, *args: str, **env: str) -> None:
        self._factory = lambda n: WorkerProcess(redis_url, folder / f"worker-{n}.log", *args, **env)
        self.started: list[WorkerProcess] = []
        self.exits: list[int] = []

    @property
    def current(self) -> WorkerProcess:
        """The worker process running now (or last)."""
        return self.started[-1]

    def start(self) -> None:
        """Start a worker and wait until it is ready."""
        self.started.append(self._factory(len(self.started)))
        self.current.wait_ready()

    def check(self) -> None:
        """Restart the worker if it exited since the last check."""
        code = self.current.proc.poll()
        if code is not None:
            self.exits.append(code)
            self.start()

    def stop(self) -> None:
        """Warm shutdown of the current worker."""
        if self.started:
            self.current.stop()

    def log(self) -> str:
        """Every worker's log, in order."""
        return "".join(w.log() for w in self.started)
