"""Prometheus metrics, scraped over HTTP from a real worker and a real webhook.

The session worker serves /metrics from its main process (NEWSFLOW_METRICS_PORT) while its
two prefork children count; the webhook serves /metrics beside its API. Queue depths are
checked against Redis with the worker's `clean` consumer paused, so something is waiting.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from celery import Celery
from prometheus_client.parser import text_string_to_metric_families

from schemas import names
from schemas.celery_config import celery_config
from schemas.pipeline_version import current_stamp
from schemas.settings import Settings
from tests.integration.conftest import WorkerProcess, free_port, newsflow, stop_consuming
from tests.integration.test_webhook import WebhookServer, wait_settled

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
STAGES = ("clean", "extract", "publish")


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def story(tag: str) -> str:
    return (
        f"The foreign ministers of Kenya and Ethiopia met in Nairobi on Monday to discuss "
        f"water sharing on the Nile. Officials said the talks would continue next month.\n\n"
        f"Filed {tag} {uuid.uuid4()}.\n"
    )


def three_good_one_bad(redis_url: str, worker: WorkerProcess, tmp_path: Path, batch: int):
    """Backfill three good articles and one clean refuses; metrics before and after."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"good-{i}.txt").write_text(story(f"metrics {i}"), encoding="utf-8")
    (inbox / "nul.txt").write_bytes(b"news\x00" * 50 + uuid.uuid4().bytes)  # clean refuses it
    before = scrape(worker.metrics_url)
    sink = f"jsonl://{tmp_path}/out.jsonl"
    result = newsflow(
        redis_url, "backfill", str(inbox), "--sink", sink, "--batch", str(batch), "--wait"
    )
    assert "queued 4, published 3, duplicates 0, failed 1" in result.stdout, result.stderr
    time.sleep(0.5)  # postrun (the count) runs just after the ledger says published
    return before, scrape(worker.metrics_url)


def test_a_worker_counts_every_stage_and_times_it(redis_url, worker, tmp_path):
    before, after = three_good_one_bad(redis_url, worker, tmp_path, batch=1)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Every article was received by clean; three made it through every stage.
    assert grew("newsflow_articles_received_total", stage="clean") >= 4
    for stage in STAGES:
        assert grew("newsflow_articles_processed_total", stage=stage) >= 3, stage
        # Histograms: an observation per task run, and time spent.
        assert grew("newsflow_stage_duration_seconds_count", stage=stage) >= 3, stage
        assert grew("newsflow_stage_duration_seconds_sum", stage=stage) > 0, stage
        assert grew("newsflow_stage_duration_seconds_bucket", stage=stage, le="+Inf") >= 3
    assert grew("newsflow_articles_published_total") >= 3
    # The worker runs extract and publish inside clean (local hand-off): clean's own time
    # leaves them out, so it stays below the model's.
    seconds = {s: grew("newsflow_stage_duration_seconds_sum", stage=s) for s in STAGES}
    assert seconds["clean"] < seconds["extract"], seconds
    dead = {
        dict(labels)["reason"]: n - before.get((name, labels), 0.0)
        for (name, labels), n in after.items()
        if name == "newsflow_articles_dead_lettered_total" and dict(labels)["stage"] == "clean"
    }
    assert sum(dead.values()) >= 1, dead

    # The model load time of the worker's children, labelled with what records carry.
    label = current_stamp(Settings(_env_file=None).spacy_model).model
    assert 0 < value(after, "newsflow_model_load_seconds", model=label) < 120
    assert value(after, "newsflow_redis_up") == 1


def test_a_backfill_batch_counts_each_article_under_its_stage(redis_url, worker, tmp_path):
    before, after = three_good_one_bad(redis_url, worker, tmp_path, batch=4)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("newsflow_articles_received_total", stage="clean") == 4
    assert grew("newsflow_articles_processed_total", stage="clean") == 3
    assert grew("newsflow_articles_received_total", stage="extract") == 3
    assert grew("newsflow_articles_processed_total", stage="extract") == 3
    assert grew("newsflow_articles_processed_total", stage="publish") == 3
    assert grew("newsflow_articles_dead_lettered_total", stage="clean", reason="binary") == 1
    # One run of each batch task, timed under its own label; publish one by one.
    assert grew("newsflow_stage_duration_seconds_count", stage="clean_batch") == 1
    assert grew("newsflow_stage_duration_seconds_count", stage="extract_batch") == 1
    assert grew("newsflow_stage_duration_seconds_count", stage="publish") == 3


def test_queue_depth_and_dead_letters_on_the_webhook_and_the_worker(
    redis_url, redis_client, worker, tmp_path
):
    control = Celery("test-control", set_as_current=False)
    control.conf.update(celery_config(Settings(redis_url=redis_url)))
    server = WebhookServer(redis_url, tmp_path / "webhook.log")
    client = httpx.Client(base_url=server.url, timeout=30)
    try:
        stop_consuming(control, "clean")
        accepted = client.post("/v1/articles", json={"text": story("queued")})
        assert accepted.status_code == 202, accepted.text
        refused = client.post("/v1/articles", json={"text": " "})
        assert refused.status_code == 422

        webhook = scrape(f"{server.url}/metrics")
        waiting = redis_client.llen(names.queue_keys(names.QUEUE_CLEAN)[0])
        assert waiting >= 1
        assert value(webhook, "newsflow_queue_depth", queue="clean", priority="0") == waiting
        assert value(webhook, "newsflow_queue_depth", queue="extract", priority="9") == (
            redis_client.llen(names.queue_keys(names.QUEUE_EXTRACT)[3])
        )
        assert value(webhook, "newsflow_dead_letter_size") == redis_client.xlen(
            names.DEAD_LETTER_STREAM
        )
        assert value(webhook, "newsflow_webhook_articles_total", outcome="queued") == 1
        route = {"method": "POST", "route": "/v1/articles"}
        assert value(webhook, "newsflow_webhook_requests_total", **route, status="202") == 1
        assert value(webhook, "newsflow_webhook_requests_total", **route, status="422") == 1
        assert value(webhook, "newsflow_webhook_request_duration_seconds_count", **route) == 2
        # The worker's main process reads the same broker.
        from_worker = scrape(worker.metrics_url)
        assert value(from_worker, "newsflow_queue_depth", queue="clean", priority="0") >= 1
    finally:
        assert control.control.add_consumer("clean", reply=True, timeout=5)
    try:
        status = wait_settled(client, accepted.json()["status_url"])
        assert status["status"] == "published", status
    finally:
        client.close()
        assert server.stop() == 0, server.log()[-3000:]


def test_metrics_say_redis_is_down_instead_of_failing_the_scrape(tmp_path):
    server = WebhookServer(f"redis://127.0.0.1:{free_port()}/0", tmp_path / "webhook.log")
    try:
        samples = scrape(f"{server.url}/metrics")
        assert value(samples, "newsflow_redis_up") == 0
        assert not any(name == "newsflow_queue_depth" for name, _ in samples)
    finally:
        assert server.stop() == 0, server.log()[-3000:]
