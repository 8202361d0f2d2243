"""The walking skeleton end to end: backfill → Redis → real Celery worker → JSONL."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery

from schemas import names
from schemas.celery_config import celery_config
from schemas.ledger import Ledger
from schemas.record import Record
from schemas.settings import Settings
from tests.conftest import sample_files, seed_files
from tests.integration.conftest import newsflow

pytestmark = pytest.mark.integration


def read_records(path: Path) -> list[Record]:
    return [Record.model_validate_json(line) for line in path.read_text().splitlines()]


def test_backfill_publishes_one_record_per_article_then_skips_duplicates(
    redis_url, worker, tmp_path
):
    files = sample_files() + seed_files()
    out = tmp_path / "out.jsonl"
    first = newsflow(redis_url, "backfill", *map(str, files), "--sink", f"jsonl://{out}", "--wait")
    n = len(files)
    assert first.returncode == 0, first.stderr
    assert f"queued {n}, published {n}, duplicates 0, failed 0" in first.stdout

    records = read_records(out)
    expected_ids = {hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    assert sorted(r.article_id for r in records) == sorted(expected_ids)
    for record in records:
        assert record.source.kind == "backfill" and record.source.path
        assert record.text and record.pipeline.model

    second = newsflow(redis_url, "backfill", *map(str, files), "--sink", f"jsonl://{out}", "--wait")
    assert second.returncode == 0, second.stderr
    assert f"queued 0, published 0, duplicates {n}, failed 0" in second.stdout
    assert len(read_records(out)) == n

    forced = newsflow(
        redis_url, "backfill", str(files[0]), "--sink", f"jsonl://{out}", "--wait", "--force"
    )
    assert "queued 1, published 1, duplicates 0, failed 0" in forced.stdout
    assert len(read_records(out)) == n + 1


def test_malformed_inputs_are_failed_with_a_reason_and_good_ones_flow(
    redis_url, redis_client, worker, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    story = sample_files()[0].read_text(encoding="utf-8")
    (inbox / "good.txt").write_text(f"{story}\nFiled {uuid.uuid4()}.\n", encoding="utf-8")
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "binary.txt").write_bytes(b"\x7fELF" + bytes(range(256)) * 4)
    (inbox / "nul.txt").write_bytes(b"news\x00" * 50)
    rng = random.Random(3)
    (inbox / "garbage.txt").write_bytes(bytes(rng.randrange(128, 256) for _ in range(4000)))
    (inbox / "tiny.txt").write_text("Go to Top\n")
    out = tmp_path / "out.jsonl"

    result = newsflow(redis_url, "backfill", str(inbox), "--sink", f"jsonl://{out}", "--wait")
    assert result.returncode == 1
    assert "queued 6, published 1, duplicates 0, failed 5" in result.stdout
    assert len(read_records(out)) == 1

    ledger = Ledger(redis_client)
    reasons = {}
    for path in inbox.iterdir():
        entry = ledger.status(hashlib.sha256(path.read_bytes()).hexdigest())
        reasons[path.name] = (entry["status"], entry.get("reason"))
    assert reasons["good.txt"] == ("published", "")
    assert reasons["empty.txt"][0] == "failed"
    assert {reasons[n][1] for n in ("binary.txt", "nul.txt")} == {"binary"}
    assert reasons["garbage.txt"][1] in {"undecodable", "binary"}
    assert reasons["tiny.txt"][1] == "empty"
    dead = {f["article_id"]: f for _, f in ledger.dead_letters(50)}
    for path in inbox.iterdir():
        if path.name != "good.txt":
            entry = dead[hashlib.sha256(path.read_bytes()).hexdigest()]
            assert entry["reason"] and entry["error"] and entry["stage"] in {"enqueue", "clean"}
    assert worker.proc.poll() is None, "the worker survived every bad input"


def test_a_message_that_breaks_the_contract_is_dead_lettered(redis_url, redis_client, worker):
    client = Celery("t", set_as_current=False)
    client.conf.update(celery_config(Settings(redis_url=redis_url)))
    before = redis_client.xlen(names.DEAD_LETTER_STREAM)
    client.send_task(
        names.TASK_CLEAN, args=[{"article_id": "b" * 64, "size": "big"}], queue=names.QUEUE_CLEAN
    )
    deadline = time.monotonic() + 30
    while redis_client.xlen(names.DEAD_LETTER_STREAM) == before:
        assert time.monotonic() < deadline, "malformed message vanished"
        time.sleep(0.1)
    _, entry = Ledger(redis_client).dead_letters(1)[0]
    assert entry["reason"] == "malformed_envelope"
    assert entry["article_id"] == "b" * 64
    assert "RawArticle" in entry["error"]


def test_large_bodies_travel_by_reference(redis_url, redis_client, worker, tmp_path):
    paragraph = "The delegation from the capital met regional governors on Friday. "
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"{i}. {paragraph * 8}" for i in range(150)))
    assert big.stat().st_size > 64 * 1024
    out = tmp_path / "out.jsonl"
    result = newsflow(redis_url, "backfill", str(big), "--sink", f"jsonl://{out}", "--wait")
    assert "published 1" in result.stdout, result.stderr
    article_id = hashlib.sha256(big.read_bytes()).hexdigest()
    assert redis_client.exists(names.raw_body_key(article_id))
    assert read_records(out)[0].text.count("delegation") == 150 * 8


def test_queued_path_gives_the_same_records_as_in_process_mode(redis_url, worker, tmp_path):
    files = sample_files()
    queued_out, local_out = tmp_path / "queued.jsonl", tmp_path / "local.jsonl"
    assert (
        newsflow(
            redis_url,
            "backfill",
            *map(str, files),
            "--sink",
            f"jsonl://{queued_out}",
            "--wait",
            "--force",
        ).returncode
        == 0
    )
    assert newsflow(redis_url, "process", *map(str, files), "--out", str(local_out)).returncode == 0

    def comparable(path: Path) -> dict[str, dict]:
        rows = {}
        for line in path.read_text().splitlines():
            row = json.loads(line)
            row.pop("source")  # kind and received_at differ by design
            row["pipeline"].pop("timings_ms")
            rows[row["article_id"]] = row
        return rows

    assert comparable(queued_out) == comparable(local_out)


def test_worker_log_lines_are_bound_to_article_task_and_stage(worker):
    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    stage_lines = [
        line
        for line in lines
        if line["event"] in {"article_cleaned", "article_extracted", "article_published"}
    ]
    assert stage_lines
    for line in stage_lines:
        assert len(line["article_id"]) == 64 and line["task_id"]
        assert line["stage"] in {"clean", "extract", "publish"}
        assert line["timestamp"].endswith("Z")
