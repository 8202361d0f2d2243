"""Backfill throughput and the producer's peak memory, for growing inputs.

Generates synthetic articles of our own (a JSON Lines file and a .tar.gz of .txt files) in a
temporary folder, runs the real `newsflow backfill` on each against a Redis database that is
flushed before every run (never db 0), and prints articles enqueued per second and the
producer's peak RSS (the child's own `ru_maxrss`, from wait4). Flat memory means the peak
does not grow with the number of articles.

    python ops/bench_backfill.py                       # 1,000 and 5,000 articles, db 12
    python ops/bench_backfill.py --sizes 1000,5000,20000 --redis redis://127.0.0.1:6379/12
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parents[1]

PLACES = ["Vienna", "Nairobi", "Lima", "Hanoi", "Oslo", "Accra", "Quito", "Riga", "Dakar"]
PEOPLE = ["Anna Berg", "Kofi Mensah", "Lucia Paredes", "Tran Van Minh", "Ines Kalnina"]
TOPICS = ["gas transit", "grain exports", "fishing rights", "border trade", "water sharing"]
VERBS = ["agreed", "declined", "promised", "refused", "offered", "proposed"]


def story(i: int) -> str:
    """A synthetic news story of about 1.5 KB, unique per i."""
    rng = random.Random(i)
    paragraphs = []
    for p in range(6):
        place, other = rng.sample(PLACES, 2)
        person, topic, verb = rng.choice(PEOPLE), rng.choice(TOPICS), rng.choice(VERBS)
        paragraphs.append(
            f"{person} {verb} in {place} on Tuesday to reopen talks on {topic} with "
            f"officials from {other}, the foreign ministry said in a statement (item {i}, "
            f"paragraph {p}). Negotiators are expected to meet again next month."
        )
    return "\n\n".join(paragraphs)


def write_jsonl(path: Path, n: int, offset: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(offset, offset + n):
            line = {"text": story(i), "title": f"Talks {i}", "published_at": "2024-05-01"}
            fh.write(json.dumps(line) + "\n")


def write_tar_gz(path: Path, n: int, offset: int) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for i in range(offset, offset + n):
            data = story(i).encode()
            info = tarfile.TarInfo(f"articles/{i // 1000:03d}/{i}.txt")
            info.size = len(data)
            info.mtime = 1_714_521_600
            tar.addfile(info, io.BytesIO(data))


def run_backfill(path: Path, redis_url: str) -> dict[str, float]:
    """One `newsflow backfill` run; its own peak RSS (kB on Linux) from wait4."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(NEWSFLOW_REDIS_URL=redis_url, NEWSFLOW_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "producers.cli", "backfill", str(path), "--priority", "low"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"backfill of {path} exited {proc.returncode}:\n{out}")
    found = re.search(r"queued (\d+),.*\(([\d.]+) s, (\d+) articles/s\)", out)
    if not found:
        raise SystemExit(f"unexpected output:\n{out}")
    return {
        "queued": int(found.group(1)),
        "seconds": float(found.group(2)),
        "rate": float(found.group(3)),
        "wall": wall,
        "peak_mb": usage.ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated article counts")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="a test database")
    args = parser.parse_args()
    if urlparse(args.redis).path in ("", "/", "/0"):
        raise SystemExit("refusing to flush Redis db 0: give a test database, e.g. .../12")
    client = redis.Redis.from_url(args.redis)
    sizes = [int(s) for s in args.sizes.split(",")]

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        for n in sizes:
            for kind, write in (("jsonl", write_jsonl), ("tar.gz", write_tar_gz)):
                path = Path(tmp) / f"articles-{n}.{kind}"
                write(path, n, offset=n * 10)
                client.flushdb()  # fresh ledger: every article is new
                result = run_backfill(path, args.redis)
                if result["queued"] != n:
                    raise SystemExit(f"{path.name}: queued {result['queued']}, expected {n}")
                rows.append((kind, n, path.stat().st_size, result))
                path.unlink()
        client.flushdb()

    print(f"{'input':8} {'articles':>8} {'MB':>6} {'s':>6} {'articles/s':>10} {'peak RSS MB':>11}")
    for kind, n, size, r in rows:
        print(
            f"{kind:8} {n:8,} {size / 1e6:6.1f} {r['seconds']:6.1f} {r['rate']:10,.0f} "
            f"{r['peak_mb']:11.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
