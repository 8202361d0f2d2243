"""Local hand-off (workers/handoff.py) in a real worker on clean, extract and publish.

The worker runs extract and publish itself after clean, each a stage of its own in the logs;
a publish that fails transiently goes to the publish queue and retries from there, so the
NLP is never redone; NEWSFLOW_LOCAL_HANDOFF=false sends every stage through Redis.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from schemas.article import article_id_for
from tests.integration.conftest import TEST_SINK_SECRET, WorkerProcess, newsflow
from tests.integration.local_http import LocalHTTPServer, Reply, Seen
from tests.integration.own_redis import own_redis

pytestmark = pytest.mark.integration

PLACES = ["Vienna", "Nairobi", "Lima", "Hanoi", "Oslo", "Accra"]


def write_articles(folder: Path, tag: str, count: int) -> set[str]:
    folder.mkdir()
    ids = set()
    for i in range(count):
        body = (
            f"Ministers from {PLACES[i % 6]} and {PLACES[(i + 2) % 6]} met in Geneva on "
            f"Friday to discuss fishing rights, officials said ({tag} {i}).\n"
        ).encode()
        (folder / f"{i}.txt").write_bytes(body)
        ids.add(article_id_for(body))
    return ids


def events(worker: WorkerProcess) -> list[dict]:
    return [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]


class FailsTwice:
    """A sink endpoint answering 503 to its first two POSTs, then 204."""

    def __init__(self) -> None:
        self.posts = 0
        self.delivered: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, seen: Seen) -> Reply:
        with self._lock:
            self.posts += 1
            if self.posts <= 2:
                return Reply(503, {"Content-Length": "0"})
            for element in json.loads(seen.body):
                self.delivered[element["record"]["article_id"]] += 1
            return Reply(204, {"Content-Length": "0"})


def test_stages_run_in_the_worker_that_cleaned_and_a_failed_publish_retries_alone(tmp_path):
    ids = write_articles(tmp_path / "articles", "handoff", 4)
    receiver = FailsTwice()
    out = tmp_path / "out.jsonl"
    with own_redis(tmp_path) as url, LocalHTTPServer() as server:
        server.route("/records", receiver)
        worker = WorkerProcess(
            url,
            tmp_path / "worker.log",
            *("--queues", "clean,extract,publish", "--concurrency", "1"),
            NEWSFLOW_SINKS=f"jsonl://{out},{server.url('/records')}",
            NEWSFLOW_SINK_WEBHOOK_SECRET=TEST_SINK_SECRET,
            NEWSFLOW_SINK_WEBHOOK_ATTEMPTS="1",
        )
        try:
            worker.wait_ready()
            result = newsflow(url, "backfill", str(tmp_path / "articles"), "--wait")
            assert "queued 4, published 4, duplicates 0, failed 0" in result.stdout, (
                result.stdout + result.stderr + worker.log()[-3000:]
            )
            time.sleep(0.5)
        finally:
            worker.stop()

    lines = events(worker)
    by_stage = {
        stage: [e for e in lines if e.get("event") == f"article_{stage}"]
        for stage in ("cleaned", "extracted", "published")
    }
    for stage, found in by_stage.items():
        assert sorted(e["article_id"] for e in found) == sorted(ids), stage  # once each
    for e in by_stage["extracted"] + by_stage["published"]:
        assert e["stage"] in ("extract", "publish") and e["task_id"]
    # Each stage ran under a task id of its own, though in the process that cleaned.
    clean_tasks = {e["task_id"] for e in by_stage["cleaned"]}
    assert not clean_tasks & {e["task_id"] for e in by_stage["extracted"]}
    # The two 503s: the publish went to its queue, retried from there; the NLP ran once.
    assert [e for e in lines if e.get("event") == "stage_sent_to_queue"]
    assert "newsflow.publish[" in worker.log()  # a publish task received from the queue
    assert set(receiver.delivered) == ids
    assert sorted(
        json.loads(line)["article_id"] for line in out.read_text().splitlines()
    ) == sorted(ids)  # the JSONL sink took each record once: the retry skipped it


def backfill_one_worker(
    tmp_path: Path, url: str, batch: int, **env: str
) -> tuple[WorkerProcess, str]:
    """Backfill `tmp_path/articles` (`--batch`, `--wait`) through one worker on clean, extract
    and publish with one process; the worker and the job's output."""
    worker = WorkerProcess(
        url,
        tmp_path / "worker.log",
        *("--queues", "clean,extract,publish", "--concurrency", "1"),
        NEWSFLOW_SINKS=f"jsonl://{tmp_path}/out.jsonl",
        **env,
    )
    try:
        worker.wait_ready()
        args = (str(tmp_path / "articles"), "--batch", str(batch), "--wait")
        result = newsflow(url, "backfill", *args)
    finally:
        worker.stop()
    return worker, result.stdout + result.stderr


def test_without_local_handoff_every_stage_is_a_task_from_its_queue(tmp_path):
    ids = write_articles(tmp_path / "articles", "no-handoff", 2)
    with own_redis(tmp_path) as url:  # one article per message (batches: test_backfill_batches)
        worker, output = backfill_one_worker(tmp_path, url, 1, NEWSFLOW_LOCAL_HANDOFF="false")
    assert "queued 2, published 2, duplicates 0, failed 0" in output, output
    log = worker.log()
    for task in ("newsflow.clean", "newsflow.extract", "newsflow.publish"):
        assert log.count(f"Task {task}[") >= 2 * 2, task  # received and succeeded, per article
    assert len(ids) == 2
