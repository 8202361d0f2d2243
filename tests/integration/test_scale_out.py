"""Scale-out: worker groups on several hosts share one Redis, each on the queues it is given.

Two `newsflow worker` groups with their own node names (standing for two hosts) against one
Redis of the test's own: `clean,publish` on one, `extract` (the model) on the other. Nothing
else consumes that Redis, so every article must pass through both groups.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

from schemas.article import article_id_for
from tests.integration.conftest import WorkerProcess, newsflow
from tests.integration.own_redis import own_redis

pytestmark = pytest.mark.integration

PLACES = ["Vienna", "Nairobi", "Lima", "Hanoi", "Oslo", "Accra", "Quito", "Riga"]


@pytest.fixture
def shared_redis(tmp_path: Path) -> Iterator[str]:
    """The one Redis both groups use (the test's own: nothing else takes its tasks)."""
    with own_redis(tmp_path) as url:
        yield url


def events(worker: WorkerProcess, name: str) -> list[dict]:
    """The worker's JSON log lines with this event name."""
    found = []
    for line in worker.log().splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            event = json.loads(line)
            if event.get("event") == name:
                found.append(event)
    return found


def test_two_worker_groups_on_two_hosts_share_one_redis(shared_redis, tmp_path):
    inbox = tmp_path / "articles"
    inbox.mkdir()
    ids = set()
    for i in range(12):
        body = (
            f"Officials from {PLACES[i % 8]} and {PLACES[(i + 3) % 8]} met in Geneva on "
            f"Monday to discuss grain exports, the foreign ministry said (scale-out {i}).\n\n"
            "Both delegations agreed to meet again next month.\n"
        ).encode()
        (inbox / f"{i:02d}.txt").write_bytes(body)
        ids.add(article_id_for(body))
    sink = {"NEWSFLOW_SINKS": f"jsonl://{tmp_path}/records.jsonl"}
    front = WorkerProcess(
        shared_redis,
        tmp_path / "host-a.log",
        *("--queues", "clean,publish", "--hostname", "front@host-a", "--concurrency", "1"),
        **sink,
    )
    nlp = WorkerProcess(
        shared_redis,
        tmp_path / "host-b.log",
        *("--queues", "extract", "--hostname", "nlp@host-b", "--concurrency", "1"),
        **sink,
    )
    try:
        front.wait_for_log("ready.")
        nlp.wait_ready()
        # Both nodes answer on the one Redis under their own names.
        control = Celery(broker=shared_redis, set_as_current=False).control
        nodes = {name for reply in control.ping(timeout=3) for name in reply}
        assert {"front@host-a", "nlp@host-b"} <= nodes, nodes

        result = newsflow(shared_redis, "backfill", str(inbox), "--wait", "--timeout", "45")
        assert "queued 12, published 12, duplicates 0, failed 0" in result.stdout, (
            result.stdout + result.stderr + nlp.log()[-2000:]
        )
        time.sleep(0.5)  # the last summary lines
    finally:
        front.stop()
        nlp.stop()

    records = [json.loads(line) for line in (tmp_path / "records.jsonl").read_text().splitlines()]
    assert {r["article_id"] for r in records} == ids
    assert all(r["entities"] for r in records)  # the model ran on every one
    # Each stage ran where its queue was consumed, and only there.
    assert {e["article_id"] for e in events(front, "article_cleaned")} == ids
    assert {e["article_id"] for e in events(nlp, "article_extracted")} == ids
    assert {e["article_id"] for e in events(front, "article_published")} == ids
    assert not events(front, "article_extracted")
    assert not events(nlp, "article_cleaned") and not events(nlp, "article_published")
