"""Fault tests of the sinks (issue 7, faults 3 and 4), with real workers and a real backfill.

3. The webhook receiver answers 500 for a while, then recovers: every record arrives, each
   idempotency key at least once, and the JSONL sink written before it in the fan-out gets
   every record exactly once although the publish task retried.
4. PostgreSQL is stopped mid-run, then started again: records wait (publish retries) and
   arrive; none lost, none doubled.

Outages last NEWSFLOW_CHAOS_OUTAGE_SECONDS (10 here; `ops/chaos/sink_outages.sh` runs 30).
Each test prints its accounting: in, published, duplicates, DLQ.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import psycopg
import pytest
import redis

from schemas.article import article_id_for
from schemas.ledger import Ledger, RunCounts
from schemas.signing import verify
from tests.conftest import ROOT, require
from tests.integration.conftest import TEST_SINK_SECRET, WorkerProcess, newsflow, service_env
from tests.integration.local_http import LocalHTTPServer, Reply, Seen
from tests.integration.pg import PrivatePostgres, pg_bin

pytestmark = pytest.mark.integration

OUTAGE = float(os.environ.get("NEWSFLOW_CHAOS_OUTAGE_SECONDS", "10"))
ARTICLES = 50
PLACES = ["Vienna", "Nairobi", "Lima", "Hanoi", "Oslo", "Accra", "Quito", "Riga", "Dakar"]
PEOPLE = ["Anna Berg", "Kofi Mensah", "Lucia Paredes", "Tran Van Minh", "Ines Kalnina"]


def write_articles(folder: Path, tag: str) -> list[str]:
    """ARTICLES short stories of our own as .txt files; returns their article ids."""
    folder.mkdir(parents=True)
    ids = []
    for i in range(ARTICLES):
        rng = random.Random(f"{tag}-{i}")
        place, other = rng.sample(PLACES, 2)
        text = (
            f"{rng.choice(PEOPLE)} met officials from {other} in {place} on Monday, "
            f"the foreign ministry said.\n\nBoth sides agreed to hold further talks "
            f"next month. Reference {tag}-{i}."
        ).encode()
        (folder / f"{i:03d}.txt").write_bytes(text)
        ids.append(article_id_for(text))
    return ids


def start_backfill(redis_url: str, folder: Path, sinks: list[str], *extra: str) -> subprocess.Popen:
    args = [a for url in sinks for a in ("--sink", url)]
    return subprocess.Popen(
        [sys.executable, "-m", "producers.cli", "backfill", str(folder), *args, *extra],
        cwd=ROOT,
        env=service_env(redis_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_id_of(backfill: subprocess.Popen) -> str:
    out, err = backfill.communicate(timeout=120)
    assert backfill.returncode == 0, err
    found = re.search(r"run (backfill-[0-9a-f]+):", out)
    assert found, out
    return found.group(1)


def wait_drained(ledger: Ledger, run_id: str, timeout: float) -> RunCounts:
    deadline = time.monotonic() + timeout
    while not (counts := ledger.run(run_id)).drained:
        assert time.monotonic() < deadline, f"run {run_id} not drained: {counts}"
        time.sleep(0.25)
    return counts


def accounting(name: str, counts: RunCounts, extra: str) -> str:
    line = (
        f"{name}: in {counts.inbound}, published {counts.published}, "
        f"duplicates {counts.duplicates}, DLQ {counts.failed}; {extra}"
    )
    print(f"\n{line}")
    return line


def publish_retries(worker: WorkerProcess) -> int:
    """Publish tasks the worker scheduled for a retry (Celery logs each one)."""
    return len(re.findall(r"newsflow\.publish\[[0-9a-f-]+\] retry: Retry in", worker.log()))


@pytest.fixture
def ledger(redis_client: redis.Redis) -> Ledger:
    return Ledger(redis_client)


def start_worker(redis_url: str, tmp: Path, sinks: list[str], **env: str) -> WorkerProcess:
    worker = WorkerProcess(
        redis_url,
        tmp / "worker.log",
        "--concurrency",
        "2",
        "-n",
        f"sinkfault-{tmp.name}@%h",
        NEWSFLOW_SINKS=",".join(sinks),
        NEWSFLOW_SINK_WEBHOOK_SECRET=TEST_SINK_SECRET,
        **env,
    )
    worker.wait_ready()
    return worker


# -- 3. the webhook receiver fails, then recovers ------------------------------------------


class FlakyReceiver:
    """Answers 500 for OUTAGE seconds from the first request, then checks and counts."""

    def __init__(self) -> None:
        self.outage_ends: float | None = None
        self.failed_posts = 0
        self.bad_signatures = 0
        self.deliveries: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, seen: Seen) -> Reply:
        with self._lock:
            now = time.monotonic()
            if self.outage_ends is None:
                self.outage_ends = now + OUTAGE
            if now < self.outage_ends:
                self.failed_posts += 1
                return Reply(500, {"Content-Length": "0"})
            headers = {k.lower(): v for k, v in seen.headers.items()}
            stamp, signature = headers["x-newsflow-timestamp"], headers["x-newsflow-signature"]
            if not verify(TEST_SINK_SECRET.encode(), stamp, seen.body, signature, now=time.time()):
                self.bad_signatures += 1
                return Reply(401, {"Content-Length": "0"})
            for element in json.loads(seen.body):
                assert headers["idempotency-key"] == element["idempotency_key"]
                self.deliveries[element["idempotency_key"]] += 1
            return Reply(204, {"Content-Length": "0"})


def test_webhook_down_then_up_every_record_arrives_once_by_key(redis_url, ledger, tmp_path):
    ids = write_articles(tmp_path / "articles", "hook")
    receiver = FlakyReceiver()
    out = tmp_path / "out.jsonl"
    with LocalHTTPServer() as server:
        server.route("/records", receiver)
        # JSONL first: it takes each record before the webhook fails, so a retry that wrote
        # it again would show as a duplicate line.
        sinks = [f"jsonl://{out}", server.url("/records")]
        worker = start_worker(
            redis_url,
            tmp_path,
            sinks,
            NEWSFLOW_SINK_WEBHOOK_ATTEMPTS="2",
            NEWSFLOW_SINK_WEBHOOK_BACKOFF_SECONDS="0.2",
        )
        try:
            started = time.monotonic()
            run_id = run_id_of(start_backfill(redis_url, tmp_path / "articles", sinks))
            counts = wait_drained(ledger, run_id, timeout=OUTAGE + 150)
            elapsed = time.monotonic() - started
        finally:
            worker.stop()
    retries = publish_retries(worker)
    lines = [json.loads(line)["article_id"] for line in out.read_text().splitlines()]
    keys = {f"{article_id}:{version('newsflow')}" for article_id in ids}
    deliveries = sum(receiver.deliveries.values())
    accounting(
        f"fault 3 (webhook 500 for {OUTAGE:g} s)",
        counts,
        f"webhook: {receiver.failed_posts} POSTs answered 500, {deliveries} deliveries of "
        f"{len(receiver.deliveries)} keys ({deliveries - len(receiver.deliveries)} duplicate "
        f"deliveries); jsonl lines {len(lines)} ({len(lines) - len(set(lines))} duplicates); "
        f"{retries} publish retries; {elapsed:.0f} s",
    )
    assert (counts.inbound, counts.published, counts.failed) == (ARTICLES, ARTICLES, 0)
    assert receiver.failed_posts > 0 and retries > 0  # the outage did hit the run
    assert receiver.bad_signatures == 0
    assert set(receiver.deliveries) == keys
    assert all(n >= 1 for n in receiver.deliveries.values())
    assert sorted(lines) == sorted(ids)  # each exactly once: retries skipped the JSONL sink


# -- 4. PostgreSQL stopped mid-run -----------------------------------------------------------


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    require(pg_bin("initdb") is not None, "initdb/pg_ctl not installed")
    pg = PrivatePostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.remove()


def table_counts(url: str) -> tuple[int, int, int, int, int, int]:
    """articles, distinct ids, sum(writes), entities, events, and entities+events expected."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows, distinct, writes, expected = conn.execute(
            "SELECT count(*), count(DISTINCT article_id), coalesce(sum(writes), 0), "
            "coalesce(sum(entity_count + event_count), 0) FROM articles"
        ).fetchone()
        (ents,) = conn.execute("SELECT count(*) FROM entities").fetchone()
        (evs,) = conn.execute("SELECT count(*) FROM events").fetchone()
    return rows, distinct, writes, ents, evs, expected


def rows_now(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_postgres_stopped_mid_run_records_wait_and_arrive_once(
    redis_url, ledger, tmp_path, private_pg
):
    ids = write_articles(tmp_path / "articles", "pg")
    url = private_pg.url
    migrated = newsflow(redis_url, "db", "migrate", "--url", url)
    assert migrated.returncode == 0, migrated.stderr
    sinks = [url]
    worker = start_worker(redis_url, tmp_path, sinks, NEWSFLOW_SINK_PG_CONNECT_TIMEOUT_SECONDS="2")
    try:
        started = time.monotonic()
        # Five a second: the run is still going when the database goes away.
        backfill = start_backfill(redis_url, tmp_path / "articles", sinks, "--rate", "5")
        deadline = time.monotonic() + 90
        while (at_stop := rows_now(url)) < 5:
            assert time.monotonic() < deadline, worker.log()[-3000:]
            time.sleep(0.1)
        private_pg.stop()
        time.sleep(OUTAGE)
        private_pg.start()
        run_id = run_id_of(backfill)
        counts = wait_drained(ledger, run_id, timeout=OUTAGE + 150)
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
    rows, distinct, writes, ents, evs, expected = table_counts(url)
    with psycopg.connect(url) as conn:
        stored = {r[0] for r in conn.execute("SELECT article_id FROM articles").fetchall()}
    retries = publish_retries(worker)
    accounting(
        f"fault 4 (PostgreSQL stopped {OUTAGE:g} s)",
        counts,
        f"postgresql: {at_stop} articles when stopped, then {rows} ({distinct} distinct), "
        f"{writes - rows} redelivered upserts absorbed, {ents} entity + {evs} event rows "
        f"(expected {expected}); "
        f"{retries} publish retries; {elapsed:.0f} s",
    )
    assert (counts.inbound, counts.published, counts.failed) == (ARTICLES, ARTICLES, 0)
    assert at_stop < ARTICLES and retries > 0  # records did wait for the database
    assert stored == set(ids)  # none lost
    assert rows == distinct == ARTICLES  # none doubled
    assert ents + evs == expected  # children not doubled either
