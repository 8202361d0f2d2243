"""Inbox watcher throughput: `python ops/bench_watch.py --redis-url redis://127.0.0.1:6379/11`.

Drops N unique small files into a fresh inbox, runs `newsflow watch` with no worker, and
times (1) how fast it claims and queues them all (files/s), (2) a restart that recovers N
files from processing/, and reports the watcher's peak RSS. No worker consumes the queued
tasks, so the given Redis database is FLUSHED at the end: give one of your own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import redis

ROOT = Path(__file__).resolve().parents[1]


def start(inbox: Path, log: Path, redis_url: str, files: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(NEWSFLOW_REDIS_URL=redis_url, NEWSFLOW_LOG_FORMAT="json", NEWSFLOW_ENV="test")
    args = ["--poll", "0.2", "--settle", "0", "--max-in-flight", str(files + 1)]
    return subprocess.Popen(
        [sys.executable, "-m", "producers.cli", "watch", str(inbox), *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def events(log: Path, name: str) -> list[dict]:
    rows = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    return [r for r in rows if r.get("event") == name]


def watch_until(proc: subprocess.Popen[bytes], done: callable) -> tuple[float, int]:
    """Seconds until `done()` and the peak RSS seen meanwhile."""
    started, peak = time.monotonic(), 0
    ps = psutil.Process(proc.pid)
    while not done():
        peak = max(peak, ps.memory_info().rss)
        if proc.poll() is not None:
            raise RuntimeError("the watcher exited early")
        time.sleep(0.05)
    return time.monotonic() - started, max(peak, ps.memory_info().rss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", required=True, help="a database of your own: flushed")
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    client = redis.Redis.from_url(args.redis_url)
    client.flushdb()
    with tempfile.TemporaryDirectory() as tmp:
        inbox, log = Path(tmp) / "inbox", Path(tmp) / "watch.log"
        inbox.mkdir()
        for i in range(args.files):
            (inbox / f"a{i:05d}.txt").write_text(
                f"Officials in the capital said on Monday that {i} new buses would enter service."
            )
        processing = inbox / "processing"

        def all_claimed() -> bool:
            return processing.is_dir() and len(os.listdir(processing)) >= args.files

        proc = start(inbox, log, args.redis_url, args.files)
        seconds, peak = watch_until(proc, all_claimed)
        first = events(log, "file_submitted")
        span = _ts(first[-1]["timestamp"]) - _ts(first[0]["timestamp"]) if len(first) > 1 else 0.0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        print(
            f"claimed and queued {args.files} files in {seconds:.1f}s from start "
            f"({span:.1f}s from first to last submit: {args.files / max(span, 1e-9):.0f} files/s); "
            f"peak RSS {peak / 2**20:.0f} MiB"
        )

        proc = start(inbox, log, args.redis_url, args.files)
        seconds, peak = watch_until(proc, lambda: len(events(log, "watcher_recovered")) >= 2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        pending = events(log, "watcher_recovered")[-1]["pending"]
        print(f"restart recovered {pending} files in processing/ in {seconds:.1f}s from start")
    client.flushdb()
    return 0


def _ts(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


if __name__ == "__main__":
    sys.exit(main())
