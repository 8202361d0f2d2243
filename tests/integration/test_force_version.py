"""`newsflow backfill --resume --force-version`: after a model upgrade, only what an older
pipeline published is processed again.

The real worker notes each record's (pipeline version, model) on the ledger entry; two
entries are then made to look older (another model, and no note at all: published before
notes were kept), and the same files are backfilled again.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from schemas import names
from schemas.pipeline_version import MODEL_FIELD, VERSION_FIELD, current_stamp
from schemas.settings import Settings
from tests.integration.conftest import newsflow

pytestmark = pytest.mark.integration


def story(i: int) -> str:
    return (
        f"Police in Lima arrested three protest leaders on Tuesday, officials said. "
        f"The interior ministry accused them of blocking roads.\n\nFiled {i} {uuid.uuid4()}.\n"
    )


def test_force_version_reprocesses_only_records_of_another_pipeline(
    redis_url, redis_client, worker, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ids = []
    for i in range(3):
        path = inbox / f"{i}.txt"
        path.write_text(story(i), encoding="utf-8")
        ids.append(hashlib.sha256(path.read_bytes()).hexdigest())
    out = tmp_path / "out.jsonl"
    sink = ("--sink", f"jsonl://{out}")

    first = newsflow(redis_url, "backfill", str(inbox), *sink, "--wait")
    assert "queued 3, published 3, duplicates 0, failed 0" in first.stdout, first.stderr
    current = current_stamp(Settings(_env_file=None).spacy_model)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    for record in records:  # what the worker noted is what the record says, and what is installed
        entry = redis_client.hgetall(names.article_key(record["article_id"]))
        assert entry[VERSION_FIELD] == record["pipeline"]["version"] == current.version
        assert entry[MODEL_FIELD] == record["pipeline"]["model"] == current.model

    older, unnoted, same = ids
    redis_client.hset(names.article_key(older), MODEL_FIELD, "en_core_web_sm-3.7.1")
    redis_client.hdel(names.article_key(unnoted), VERSION_FIELD, MODEL_FIELD)

    plain = newsflow(redis_url, "backfill", str(inbox), *sink, "--resume", "--wait")
    assert "queued 0, published 0, duplicates 0, failed 0" in plain.stdout, plain.stderr
    assert "skipped 3 already published (--resume)" in plain.stdout

    dry = newsflow(redis_url, "backfill", str(inbox), "--resume", "--force-version", "--dry-run")
    assert "dry run: would queue 2, duplicates 0, rejected 0" in dry.stdout, dry.stderr

    upgrade = newsflow(
        redis_url, "backfill", str(inbox), *sink, "--resume", "--force-version", "--wait"
    )
    assert "queued 2, published 2, duplicates 0, failed 0" in upgrade.stdout, upgrade.stderr
    assert "skipped 1 already published (--resume)" in upgrade.stdout
    assert f"re-queued 2 published by another pipeline version (now {current})" in upgrade.stdout
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["article_id"] for r in records[3:]) == sorted([older, unnoted])
    for article_id in ids:
        entry = redis_client.hgetall(names.article_key(article_id))
        assert (entry[VERSION_FIELD], entry[MODEL_FIELD]) == (current.version, current.model)

    again = newsflow(redis_url, "backfill", str(inbox), *sink, "--resume", "--force-version")
    assert "queued 0, duplicates 0" in again.stdout and "re-queued 0" in again.stdout
    assert len(out.read_text().splitlines()) == 5
    assert same in {r["article_id"] for r in records[:3]}


def test_force_version_needs_resume(redis_url, tmp_path):
    result = newsflow(redis_url, "backfill", str(tmp_path), "--force-version")
    assert result.returncode == 2
    assert "--force-version goes with --resume" in result.stderr
