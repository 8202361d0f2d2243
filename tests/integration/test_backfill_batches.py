"""Backfill batches (workers/batch_tasks.py) through real workers on a Redis of the test's own.

A batch is one message of several articles, parsed together by the model; each article is
still claimed, dead-lettered and published on its own.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import redis

from producers.broker_probe import task_in_broker
from producers.dlq import DeadLetterStream
from producers.enqueue import Enqueuer
from schemas import names
from schemas.article import Source, SourceKind, article_id_for
from schemas.ledger import Ledger
from schemas.settings import Settings
from tests.integration.own_redis import own_redis
from tests.integration.test_local_handoff import backfill_one_worker, events, write_articles

pytestmark = pytest.mark.integration

BINARY = b"\x00\x01\x02\x03PK\x00\x00" * 300  # passes the producer's checks, fails clean


def records(path: Path) -> Counter[str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return Counter(json.loads(line)["article_id"] for line in lines)


def test_one_bad_article_is_dead_lettered_alone_and_the_batch_is_parsed_together(tmp_path):
    ids = write_articles(tmp_path / "articles", "batch", 5)
    (tmp_path / "articles" / "zz-binary.txt").write_bytes(BINARY)
    with own_redis(tmp_path) as url:
        worker, output = backfill_one_worker(tmp_path, url, 8)
        assert "queued 6, published 5, duplicates 0, failed 1" in output, output
        dead = list(DeadLetterStream(redis.Redis.from_url(url)).newest())
    assert [(d.article_id, d.stage, d.reason) for d in dead] == [
        (article_id_for(BINARY), "clean", "binary")
    ]
    # Dead-lettered with its own single-article message, so `dlq replay` uses the plain tasks.
    assert dead[0].payload["article_id"] == article_id_for(BINARY)
    assert "articles" not in dead[0].payload
    assert records(tmp_path / "out.jsonl") == Counter(dict.fromkeys(ids, 1))

    lines = events(worker)
    assert [(e["articles"], e["passed"]) for e in lines if e["event"] == "batch_cleaned"] == [
        (6, 5)
    ]
    assert [(e["articles"], e["passed"]) for e in lines if e["event"] == "batch_extracted"] == [
        (5, 5)
    ]
    # Per-article lines name the article and its single stage, inside the batch tasks.
    extracted = [e for e in lines if e["event"] == "article_extracted"]
    assert sorted(e["article_id"] for e in extracted) == sorted(ids)
    assert {e["stage"] for e in extracted} == {"extract"}


def test_without_handoff_a_batch_crosses_the_batch_queues_and_publishes_one_by_one(tmp_path):
    ids = write_articles(tmp_path / "articles", "batch-queues", 3)
    with own_redis(tmp_path) as url:
        worker, output = backfill_one_worker(tmp_path, url, 8, NEWSFLOW_LOCAL_HANDOFF="false")
        assert "queued 3, published 3, duplicates 0, failed 0" in output, output
    log = worker.log()
    # Received and succeeded lines of Celery's own worker log, per task.
    assert log.count("Task newsflow.clean_batch[") == 2
    assert log.count("Task newsflow.extract_batch[") == 2
    assert log.count("Task newsflow.publish[") == 2 * 3
    assert "Task newsflow.clean[" not in log and "Task newsflow.extract[" not in log
    assert records(tmp_path / "out.jsonl") == Counter(dict.fromkeys(ids, 1))


def test_the_producer_holds_a_batch_until_full_and_unclaims_what_it_never_sent(tmp_path):
    with own_redis(tmp_path) as url:
        client = redis.Redis.from_url(url)
        enqueuer = Enqueuer(Settings(redis_url=url), "backfill-batch-test", batch_size=3)
        bodies = [f"Story {i} about fishing quotas, officials said.".encode() for i in range(5)]
        source = Source(kind=SourceKind.BACKFILL)
        for body in bodies[:3]:
            assert enqueuer.submit(body, source).status == "queued"
        # Full: one clean_batch message carries all three.
        assert client.llen(names.QUEUE_CLEAN) == 1
        assert all(task_in_broker(client, article_id_for(body)) for body in bodies[:3])
        for body in bodies[3:]:
            assert enqueuer.submit(body, source).status == "queued"
        assert client.llen(names.QUEUE_CLEAN) == 1  # two held, not sent
        enqueuer.discard_pending()  # the job stops on an error or a signal
        ledger = Ledger(client)
        assert ledger.run("backfill-batch-test").queued == 3
        assert not any(ledger.status(article_id_for(body)) for body in bodies[3:])
        # Unclaimed, so a later run sends them instead of taking them for duplicates.
        again = Enqueuer(Settings(redis_url=url), "backfill-batch-again", batch_size=3)
        assert [again.submit(b, source).status for b in bodies[3:]] == ["queued", "queued"]
        again.finish()  # sends the partial batch
        assert client.llen(names.QUEUE_CLEAN) == 2
        assert all(task_in_broker(client, article_id_for(body)) for body in bodies[3:])


def test_a_worker_process_over_its_memory_limit_is_replaced_after_its_task(tmp_path):
    ids = write_articles(tmp_path / "articles", "recycle", 2)
    with own_redis(tmp_path) as url:  # every process is above 1 MB after any task
        worker, output = backfill_one_worker(tmp_path, url, 1, NEWSFLOW_WORKER_MAX_MEMORY_MB="1")
    assert "queued 2, published 2, duplicates 0, failed 0" in output, output
    # One process at a time (concurrency 1): the second article ran in a fresh process (model
    # loaded and warmed up again) that replaced the first after its task. The one replacing
    # the second may still be starting when the worker is stopped.
    warmed = [e for e in events(worker) if e["event"] == "worker_warmed_up"]
    assert len(warmed) >= 2, worker.log()[-3000:]
    assert records(tmp_path / "out.jsonl") == Counter(dict.fromkeys(ids, 1))
