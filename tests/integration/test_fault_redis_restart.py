"""Fault 2 (issue 7): Redis restarts in the middle of a backfill; the run completes, in = out.

A private `redis-server` (AOF, `appendfsync always`) on a free port; a real worker and a real
`newsflow backfill --wait` against it. Once a quarter of the articles are published (the
producer is still sending: `--rate`), Redis is shut down, kept down for a moment, and started
again on the same folder. Workers and the producer must reconnect and finish the run with
every article published once in the ledger and present in the sink.

CI runs 200 articles; `ops/chaos/redis_restart.sh` runs 1,000 (NEWSFLOW_CHAOS_ARTICLES).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rich.console import Console

from producers.backfill import wait_for_run
from producers.enqueue import Enqueuer, new_run_id
from producers.recover import LostArticleRecovery
from schemas import names
from schemas.article import Source, SourceKind
from schemas.ledger import Ledger
from schemas.settings import Settings
from tests.conftest import ROOT, require
from tests.integration.chaos import (
    PrivateRedis,
    SupervisedWorker,
    accounting,
    private_redis,
    write_stories,
)
from tests.integration.conftest import service_env

pytestmark = pytest.mark.integration

ARTICLES = int(os.environ.get("NEWSFLOW_CHAOS_ARTICLES", "200"))
DOWN_SECONDS = float(os.environ.get("NEWSFLOW_CHAOS_REDIS_DOWN_SECONDS", "3"))
RATE = 40  # articles a second: the producer is still sending when Redis goes away
# A message a worker had received when Redis went away stays in kombu's `unacked` hash until
# the visibility timeout; 10 s keeps the test short (tasks here last well under a second).
VISIBILITY = "10"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    require(shutil.which("redis-server") is not None, "redis-server not installed")
    with private_redis(tmp_path / "redis") as started:
        yield started


def published_so_far(server: PrivateRedis) -> int:
    try:
        return int(server.client().hget(names.TOTALS_KEY, "published") or 0)
    except redis.ConnectionError:
        return 0


def start_backfill(server: PrivateRedis, folder: Path, sink: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "producers.cli",
            "backfill",
            str(folder),
            "--sink",
            sink,
            "--rate",
            str(RATE),
            "--wait",
            "--timeout",
            "240",
        ],
        cwd=ROOT,
        env=service_env(server.url, NEWSFLOW_VISIBILITY_TIMEOUT_SECONDS=VISIBILITY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_redis_restart_mid_backfill_completes_with_in_equal_out(server, tmp_path):
    ids = write_stories(tmp_path / "articles", "restart", ARTICLES)
    out = tmp_path / "out.jsonl"
    sink = f"jsonl://{out}"
    worker = SupervisedWorker(
        server.url,
        tmp_path,
        "--concurrency",
        "2",
        "-n",
        f"restart-{tmp_path.name}@%h",
        NEWSFLOW_SINKS=sink,
        NEWSFLOW_VISIBILITY_TIMEOUT_SECONDS=VISIBILITY,
    )
    backfill = None
    try:
        worker.start()
        started = time.monotonic()
        backfill = start_backfill(server, tmp_path / "articles", sink)
        deadline = time.monotonic() + 120
        while (before := published_so_far(server)) < ARTICLES // 4:
            assert backfill.poll() is None, backfill.communicate()
            assert time.monotonic() < deadline, worker.log()[-3000:]
            time.sleep(0.05)
        server.shutdown()
        down_at = time.monotonic()
        time.sleep(DOWN_SECONDS)
        server.start()
        downtime = time.monotonic() - down_at
        deadline = time.monotonic() + 250
        while backfill.poll() is None and time.monotonic() < deadline:
            worker.check()
            time.sleep(0.5)
        stdout, stderr = backfill.communicate(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        if backfill is not None and backfill.poll() is None:
            backfill.kill()
            backfill.wait()
        worker.stop()
    found = re.search(r"run (backfill-[0-9a-f]+):", stdout)
    assert found, (stdout, stderr[-3000:])
    counts = Ledger(server.client()).run(found.group(1))
    dead = server.client().xlen(names.DEAD_LETTER_STREAM)
    aof = sorted(p.name for p in (tmp_path / "redis").rglob("*.aof*"))
    lines = Counter(json.loads(line)["article_id"] for line in out.read_text().splitlines())
    log = worker.log()
    accounting(
        f"fault 2 (Redis restarted mid-backfill, {ARTICLES} articles)",
        counts,
        f"published before the restart {before}, Redis down {downtime:.1f} s, "
        f"sink lines {sum(lines.values())} ({sum(lines.values()) - len(lines)} redelivered "
        f"duplicates), worker reconnects {log.count('Connection to broker lost')}, "
        f"worker restarts {len(worker.exits)}, retries requeued {log.count('retry_not_sent')}, "
        f"lost by the broker and resent {stderr.count('article_resent')}, {elapsed:.0f} s",
    )
    assert backfill.returncode == 0, (stdout, stderr[-3000:])
    assert aof, "Redis ran without its append-only file"
    assert server.starts == 2 and before < ARTICLES  # the restart did hit the run
    assert f"queued {ARTICLES}, published {ARTICLES}, duplicates 0, failed 0" in stdout
    assert (counts.inbound, counts.published, counts.failed) == (ARTICLES, ARTICLES, 0)
    assert dead == 0
    assert set(lines) == set(ids)  # in = out: every article reached the sink


def test_backfill_wait_resends_an_article_whose_message_the_broker_lost(
    redis_url, worker, tmp_path
):
    """The recovery the restart relies on, made deterministic: one article is counted in
    (claimed) but its message never reaches Redis, as when a BRPOP reply dies with Redis."""
    folder = tmp_path / "in"
    ids = write_stories(folder, f"lost-{tmp_path.name}", 2)
    files = sorted(folder.iterdir())
    sinks = [f"jsonl://{tmp_path}/out.jsonl"]
    enqueuer = Enqueuer(Settings(redis_url=redis_url), new_run_id("backfill"))
    source = Source(kind=SourceKind.BACKFILL, path=str(files[0]))
    assert enqueuer.submit(files[0].read_bytes(), source, sinks=sinks).status == "queued"
    assert enqueuer.ledger.claim(ids[1], enqueuer.run_id)  # counted in; no message sent
    enqueuer.finish()
    recovery = LostArticleRecovery(enqueuer, [str(folder)], sinks=sinks)
    counts = wait_for_run(
        enqueuer, Console(quiet=True), timeout_seconds=60, on_stall=recovery, stall_seconds=1
    )
    accounting("lost message resent", counts, f"resent {recovery.resent}")
    assert (counts.inbound, counts.published, counts.failed) == (2, 2, 0)
    assert recovery.resent == 1
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["article_id"] for line in lines) == sorted(ids)
