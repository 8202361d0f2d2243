"""Throughput and latency of `POST /v1/articles` against a real `newsflow serve`.

Starts the server on a free port against the given Redis database, sends unique articles
(so each is queued, never a duplicate) from N concurrent connections, and prints requests/s
and the latency percentiles of the 202. No worker is needed: the queue only grows (the
high-water mark is lifted for the run). Use a scratch database: `--flush` empties it after.

    .venv/bin/python ops/bench_webhook.py --redis-url redis://127.0.0.1:6379/13 --flush
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
STORY = (ROOT / "tests" / "samples" / "02_summit_agreement.txt").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(redis_url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(
        NEWSFLOW_REDIS_URL=redis_url,
        NEWSFLOW_LOG_FORMAT="json",
        NEWSFLOW_WEBHOOK_QUEUE_HIGH_WATER=str(10**9),
    )
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "producers.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start; see {log_path}")


async def run(url: str, total: int, concurrency: int, raw: bool) -> tuple[list[float], int, float]:
    """Send `total` articles; the 202 latencies (s), the count of other answers, wall time."""
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    tag = uuid.uuid4().hex[:8]

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            text = f"{STORY}\n\nBench {tag} article {i}.\n"
            started = time.perf_counter()
            if raw:
                response = await client.post(
                    "/v1/articles", content=text.encode(), headers={"Content-Type": "text/plain"}
                )
            else:
                response = await client.post("/v1/articles", json={"text": text})
            elapsed = time.perf_counter() - started
            if response.status_code == 202:
                latencies.append(elapsed)
            else:
                failures += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, failures, wall


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", required=True, help="a scratch Redis database")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--raw", action="store_true", help="text/plain bodies instead of JSON")
    parser.add_argument("--flush", action="store_true", help="FLUSHDB the scratch db afterwards")
    args = parser.parse_args()

    port = free_port()
    log_path = Path(f"/tmp/bench_webhook_{port}.log")
    proc = start_server(args.redis_url, port, log_path)
    try:
        url = f"http://127.0.0.1:{port}"
        asyncio.run(run(url, min(200, args.requests), 8, args.raw))  # warm-up
        latencies, failures, wall = asyncio.run(run(url, args.requests, args.concurrency, args.raw))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        if args.flush:
            redis.Redis.from_url(args.redis_url).flushdb()
    body = "text/plain" if args.raw else "JSON"
    ms = [x * 1000 for x in latencies]
    print(
        f"POST /v1/articles ({body}, {len(STORY.encode()):,}-byte article), "
        f"{args.requests} requests, {args.concurrency} connections, 1 uvicorn process:"
    )
    print(f"  {len(latencies) / wall:,.0f} requests/s (202), {failures} other answers")
    print(
        f"  latency ms: p50 {percentile(ms, 0.50):.1f}  p90 {percentile(ms, 0.90):.1f}  "
        f"p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}  mean {statistics.fmean(ms):.1f}"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
