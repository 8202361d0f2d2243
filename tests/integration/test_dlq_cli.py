"""`newsflow dlq` and `newsflow status` against the session worker and real dead letters."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from pathlib import Path

import pytest

from schemas import names
from schemas.article import article_id_for
from tests.integration.chaos import story
from tests.integration.conftest import newsflow
from tests.integration.local_http import LocalHTTPServer, Reply

pytestmark = pytest.mark.integration


def run_of(stdout: str, kind: str = "backfill") -> str:
    found = re.search(rf"run ({kind}-[0-9a-f]+):", stdout)
    assert found, stdout
    return found.group(1)


def dlq_json(redis_url: str, *args: str) -> list[dict]:
    listed = newsflow(redis_url, "dlq", "list", "--json", "--limit", "500", *args)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def status_json(redis_url: str, run_id: str) -> dict:
    result = newsflow(redis_url, "status", "--json", "--no-workers", "--run", run_id)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_list_show_replay_purge_and_the_books_of_both_runs(redis_url, worker, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    tag = uuid.uuid4().hex
    (folder / "good.txt").write_bytes(story(tag, 0))
    (folder / "empty.txt").write_bytes(b"  \n")
    binary = b"\x89PNG\r\n\x1a\n" + random.Random(tag).randbytes(2000)
    (folder / "binary.txt").write_bytes(binary)
    first = newsflow(redis_url, "backfill", str(folder), "--sink", f"jsonl://{tmp_path}/o.jsonl")
    run_id = run_of(first.stdout)
    waited = newsflow(redis_url, "status", "--json", "--no-workers", "--run", run_id)
    deadline = time.monotonic() + 60
    while not json.loads(waited.stdout)["run"]["finished"]:
        assert time.monotonic() < deadline, waited.stdout
        time.sleep(0.3)
        waited = newsflow(redis_url, "status", "--json", "--no-workers", "--run", run_id)
    books = json.loads(waited.stdout)
    assert waited.returncode == 0 and books["run"]["balanced"]
    assert (books["run"]["in"], books["run"]["published"], books["run"]["dead_lettered"]) == (
        3,
        1,
        2,
    )
    assert set(books["queues"]) == set(names.ALL_QUEUES) and books["dead_letters"] >= 2

    entries = {Path(e["source"]).name: e for e in dlq_json(redis_url) if e["run_id"] == run_id}
    empty, png = entries["empty.txt"], entries["binary.txt"]
    assert (empty["stage"], empty["reason"], empty["attempts"]) == ("enqueue", "empty", 1)
    assert (png["stage"], png["reason"], png["attempts"]) == ("clean", "binary", 1)
    assert png["article_id"] == article_id_for(binary)
    assert png["raw"] == f"inline in the stored message ({len(binary)} bytes)"
    only = dlq_json(redis_url, "--stage", "enqueue", "--reason", "empty")
    assert empty["id"] in {e["id"] for e in only} and png["id"] not in {e["id"] for e in only}
    shown = newsflow(redis_url, "dlq", "show", png["id"])
    assert shown.returncode == 0
    assert (
        "reason     binary" in shown.stdout and f"ledger     failed in run {run_id}" in shown.stdout
    )
    assert newsflow(redis_url, "dlq", "show", "1-0").returncode == 1

    dry = newsflow(redis_url, "dlq", "replay", empty["id"], png["id"], "--dry-run")
    assert "would replay 1" in dry.stdout and "refused 1" in dry.stdout, dry.stdout
    replay = newsflow(redis_url, "dlq", "replay", empty["id"], png["id"], "--wait")
    assert replay.returncode == 1, replay.stdout  # one was refused
    assert re.search(r"refused .*empty \(same reason\).*still bad; entry kept", replay.stdout)
    assert re.search(rf"replayed\s+{png['id']} .*clean → newsflow\.clean", replay.stdout)
    assert "queued 1, published 0, duplicates 0, failed 1" in replay.stdout  # failed again
    replay_run = run_of(replay.stdout, "replay")

    assert newsflow(redis_url, "dlq", "show", empty["id"]).returncode == 0  # kept
    assert newsflow(redis_url, "dlq", "show", png["id"]).returncode == 1  # consumed by replay
    again = [e for e in dlq_json(redis_url) if e["article_id"] == png["article_id"]]
    assert [(e["run_id"], e["stage"], e["reason"]) for e in again] == [
        (replay_run, "clean", "binary")
    ]
    replayed_books = status_json(redis_url, replay_run)["run"]
    assert replayed_books["balanced"] and replayed_books["finished"]
    assert (replayed_books["in"], replayed_books["dead_lettered"]) == (1, 1)
    assert status_json(redis_url, run_id)["run"]["balanced"]  # the first run's books stand

    refused = newsflow(redis_url, "dlq", "purge", "--older-than", "1s")
    assert refused.returncode == 1 and "pass --yes" in refused.stdout
    time.sleep(1.1)
    purged = newsflow(redis_url, "dlq", "purge", "--older-than", "1s", "--yes")
    assert purged.returncode == 0 and re.search(r"deleted \d+ entries", purged.stdout)
    assert dlq_json(redis_url) == []


def test_replay_of_a_publish_failure_skips_the_sink_that_took_the_record(
    redis_url, worker, tmp_path
):
    accept = {"now": False}

    def hook(_seen: object) -> Reply:
        return Reply(204 if accept["now"] else 400, {"Content-Length": "0"})

    article = tmp_path / "a.txt"
    article.write_bytes(story(uuid.uuid4().hex, 0))
    out = tmp_path / "out.jsonl"
    with LocalHTTPServer() as server:
        server.route("/hook", hook)
        # JSONL first: it takes the record, then the webhook refuses it for good (400).
        sinks = ["--sink", f"jsonl://{out}", "--sink", server.url("/hook")]
        failed = newsflow(redis_url, "backfill", str(article), *sinks, "--wait")
        assert "queued 1, published 0, duplicates 0, failed 1" in failed.stdout, failed.stderr
        [entry] = [
            e
            for e in dlq_json(redis_url)
            if e["article_id"] == article_id_for(article.read_bytes())
        ]
        assert (entry["stage"], entry["reason"]) == ("publish", "sink_rejected")
        assert len(out.read_text().splitlines()) == 1

        accept["now"] = True
        replay = newsflow(redis_url, "dlq", "replay", entry["id"], "--wait", "--timeout", "60")
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert "publish → newsflow.publish" in replay.stdout
        assert "queued 1, published 1, duplicates 0, failed 0" in replay.stdout
        posts = [s for s in server.requests_to("/hook") if s.method == "POST"]
    assert len(out.read_text().splitlines()) == 1  # the replay skipped the JSONL sink
    assert len(posts) == 2  # refused once, accepted once
