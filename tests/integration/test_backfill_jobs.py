"""`newsflow backfill` against real Redis and real workers: archives, options, priority."""

from __future__ import annotations

import io
import json
import os
import random
import re
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from producers.enqueue import Enqueuer, new_run_id
from schemas import names
from schemas.article import Source, SourceKind, article_id_for
from schemas.ledger import Ledger, RunCounts
from schemas.record import Record
from schemas.settings import Settings
from tests.integration.conftest import WorkerProcess, newsflow

pytestmark = pytest.mark.integration

PLACES = ["Vienna", "Nairobi", "Lima", "Hanoi", "Oslo", "Accra", "Quito", "Riga", "Dakar"]
PEOPLE = ["Anna Berg", "Kofi Mensah", "Lucia Paredes", "Tran Van Minh", "Ines Kalnina"]
TOPICS = ["gas transit", "grain exports", "fishing rights", "border trade", "water sharing"]


def story(tag: str, i: int) -> str:
    """A short synthetic news story of our own, unique per (tag, i)."""
    rng = random.Random(f"{tag}-{i}")
    place, other = rng.sample(PLACES, 2)
    person, topic = rng.choice(PEOPLE), rng.choice(TOPICS)
    return (
        f"{person} arrived in {place} on Tuesday for talks on {topic} with officials "
        f"from {other}, the foreign ministry said.\n\n"
        f"The two sides agreed to meet again next month, according to a statement "
        f"issued after the meeting. Reference {tag}-{i}.\n\n"
        f"Officials in {other} said the talks on {topic} had been constructive."
    )


def envelope_line(tag: str, i: int, **extra: object) -> str:
    return json.dumps({"text": story(tag, i), "title": f"Talks {tag} {i}", **extra})


def read_records(path: Path) -> list[Record]:
    if not path.exists():
        return []
    return [Record.model_validate_json(line) for line in path.read_text().splitlines()]


def run_id_of(stdout: str) -> str:
    found = re.search(r"run (backfill-[0-9a-f]+):", stdout)
    assert found, stdout
    return found.group(1)


def wait_until_drained(ledger: Ledger, run_id: str, timeout: float = 90) -> RunCounts:
    deadline = time.monotonic() + timeout
    while not (counts := ledger.run(run_id)).drained:
        assert time.monotonic() < deadline, f"run {run_id} not drained: {counts}"
        time.sleep(0.05)
    return counts


@pytest.fixture(scope="module")
def stage_workers(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WorkerProcess, WorkerProcess]]:
    """A `clean` worker and an `extract,publish` worker, one process each (concurrency 1)."""
    tmp = tmp_path_factory.mktemp("backfill-workers")
    sink = {"NEWSFLOW_SINKS": f"jsonl://{tmp}/default.jsonl"}
    common = ("--concurrency", "1")
    clean = WorkerProcess(
        redis_url, tmp / "clean.log", "--queues", "clean", "-n", "bf-clean@%h", *common, **sink
    )
    nlp = WorkerProcess(
        redis_url,
        tmp / "nlp.log",
        "--queues",
        "extract,publish",
        "-n",
        "bf-nlp@%h",
        *common,
        **sink,
    )
    try:
        clean.wait_for_log("ready.")
        nlp.wait_ready()
        yield clean, nlp
    finally:
        clean.stop()
        nlp.stop()


@pytest.fixture
def ledger(redis_client: redis.Redis) -> Ledger:
    return Ledger(redis_client)


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_a_tar_gz_archive_is_published_member_by_member(redis_url, stage_workers, ledger, tmp_path):
    archive = tmp_path / "dump.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for i in range(3):
            add_member(tar, f"news/{i}.txt", story("tar", i).encode())
        lines = [envelope_line("tar-jsonl", 0, published_at="2024-02-03"), "{broken"]
        add_member(tar, "news/more.jsonl", "\n".join(lines).encode())
        add_member(tar, "../escape.txt", story("tar", 9).encode())
    out = tmp_path / "out.jsonl"

    result = newsflow(redis_url, "backfill", str(archive), "--sink", f"jsonl://{out}", "--wait")

    assert result.returncode == 1, result.stderr  # two refused members count as failed
    assert "queued 6, published 4, duplicates 0, failed 2" in result.stdout
    records = {r.source.path: r for r in read_records(out)}
    assert sorted(records) == sorted(
        [f"{archive}!/news/{i}.txt" for i in range(3)] + [f"{archive}!/news/more.jsonl:1"]
    )
    for i in range(3):
        record = records[f"{archive}!/news/{i}.txt"]
        assert record.article_id == article_id_for(story("tar", i).encode())
        assert f"Reference tar-{i}." in record.text
    from_line = records[f"{archive}!/news/more.jsonl:1"]
    assert from_line.article_id == article_id_for(lines[0].encode())
    assert from_line.title == "Talks tar-jsonl 0"
    assert str(from_line.published_at) == "2024-02-03"
    dead = {f["reason"]: f for _, f in ledger.dead_letters(20) if f["stage"] == "enqueue"}
    assert json.loads(dead["unsafe_path"]["payload"])["source"]["path"] == (
        f"{archive}!/../escape.txt"
    )
    assert "climbs out" in dead["unsafe_path"]["error"]
    assert json.loads(dead["malformed_envelope"]["payload"])["source"]["path"] == (
        f"{archive}!/news/more.jsonl:2"
    )
    assert "../escape.txt" in result.stderr and "more.jsonl:2" in result.stderr


def test_a_dry_run_counts_everything_and_sends_and_claims_nothing(
    redis_url, redis_client, ledger, tmp_path
):
    dump = tmp_path / "dump.jsonl"
    lines = [envelope_line("dry", i) for i in range(5)] + ["not json"]
    dump.write_text("\n".join(lines) + "\n")
    queued_before = [redis_client.llen(k) for k in names.queue_keys(names.QUEUE_CLEAN)]
    dead_before = redis_client.xlen(names.DEAD_LETTER_STREAM)

    result = newsflow(redis_url, "backfill", str(dump), "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "dry run: would queue 5, duplicates 0, rejected 1; nothing was sent" in result.stdout
    assert "dump.jsonl:6: malformed_envelope" in result.stderr
    for line in lines:
        assert ledger.status(article_id_for(line.encode())) == {}
    assert [redis_client.llen(k) for k in names.queue_keys(names.QUEUE_CLEAN)] == queued_before
    assert redis_client.xlen(names.DEAD_LETTER_STREAM) == dead_before

    # Once claimed, the same lines are what a dry run calls duplicates.
    for line in lines[:2]:
        assert ledger.claim(article_id_for(line.encode()), new_run_id("test"))
    again = newsflow(redis_url, "backfill", str(dump), "--dry-run")
    assert "would queue 3, duplicates 2, rejected 1" in again.stdout


def test_resume_skips_what_was_published_without_claiming_it(
    redis_url, stage_workers, ledger, tmp_path
):
    dump = tmp_path / "dump.jsonl"
    out = tmp_path / "out.jsonl"
    dump.write_text("".join(envelope_line("resume", i) + "\n" for i in range(3)))
    first = newsflow(redis_url, "backfill", str(dump), "--sink", f"jsonl://{out}", "--wait")
    assert "queued 3, published 3, duplicates 0, failed 0" in first.stdout, first.stderr

    with dump.open("a") as fh:  # the job had more to do when it stopped
        fh.write("".join(envelope_line("resume", i) + "\n" for i in range(3, 5)))
    second = newsflow(
        redis_url, "backfill", str(dump), "--sink", f"jsonl://{out}", "--wait", "--resume"
    )

    assert second.returncode == 0, second.stderr
    assert "skipped 3 already published (--resume)" in second.stdout
    assert "queued 2, published 2, duplicates 0, failed 0" in second.stdout
    run = ledger.run(run_id_of(second.stdout))
    assert run.inbound == 2  # the skipped ones were never claimed in this run
    assert len(read_records(out)) == 5


def test_since_skips_older_articles_by_published_at_else_file_time(redis_url, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dump.jsonl").write_text(
        "\n".join(
            [
                envelope_line("since", 0, published_at="2023-12-31"),
                envelope_line("since", 1, published_at="2024-03-01T08:00:00Z"),
                envelope_line("since", 2, published_at="2020-01-01"),
                envelope_line("since", 3),  # no date: the file's time decides (new)
            ]
        )
    )
    old, new = folder / "old.txt", folder / "new.txt"
    old.write_text(story("since", 4))
    new.write_text(story("since", 5))
    os.utime(old, (1_500_000_000, 1_500_000_000))  # 2017

    result = newsflow(redis_url, "backfill", str(folder), "--since", "2024-01-01", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "would queue 3, duplicates 0, rejected 0" in result.stdout
    assert "3 older than 2024-01-01T00:00:00+00:00 (2 by published_at, 1 by file time)" in (
        result.stdout
    )
    bad = newsflow(redis_url, "backfill", str(folder), "--since", "yesterday")
    assert bad.returncode == 2 and "not an ISO date" in bad.stderr


def test_rate_spaces_the_submits(redis_url, tmp_path):
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(envelope_line("rate", i) + "\n" for i in range(11)))
    result = newsflow(redis_url, "backfill", str(dump), "--dry-run", "--rate", "20")
    assert "would queue 11" in result.stdout, result.stderr
    seconds = float(re.search(r"nothing was sent \(([\d.]+) s\)", result.stdout).group(1))
    assert 0.45 <= seconds < 3  # ten intervals of 1/20 s after the first token


def backlog_then_live(
    redis_url: str, ledger: Ledger, tmp_path: Path, priority: str, n: int = 60
) -> tuple[int, int]:
    """Queue n backfill articles, then one live article; backfill published (before, at) it."""
    dump = tmp_path / "dump.jsonl"
    tag = f"prio-{priority}"
    dump.write_text("".join(envelope_line(tag, i) + "\n" for i in range(n)))
    out = tmp_path / "out.jsonl"
    # One article per message: the lanes order messages, and a batch is one message.
    args = ("--sink", f"jsonl://{out}", "--priority", priority, "--batch", "1")
    result = newsflow(redis_url, "backfill", str(dump), *args)
    assert f"queued {n}," in result.stdout, result.stderr
    run_id = run_id_of(result.stdout)

    live = Enqueuer(Settings(redis_url=redis_url), new_run_id("live"))  # the webhook's path
    raw = story(f"{tag}-live", 0).encode()
    before = ledger.run(run_id).published
    submitted = live.submit(
        raw, Source(kind=SourceKind.WEBHOOK), content_type="text/plain", sinks=[f"jsonl://{out}"]
    )
    assert submitted.status == "queued"
    deadline = time.monotonic() + 90
    while ledger.status(submitted.article_id).get("status") != "published":
        assert time.monotonic() < deadline, "the live article was never published"
        time.sleep(0.01)
    at = ledger.run(run_id).published
    assert wait_until_drained(ledger, run_id).published == n
    return before, at


def test_a_live_article_overtakes_a_backfill_on_every_queue(
    redis_url, redis_client, stage_workers, ledger, tmp_path
):
    before, at = backlog_then_live(redis_url, ledger, tmp_path, "low")
    assert 60 - before >= 20, "too little backlog left to prove anything"
    # Only what the workers had in hand (prefetch and in-flight retries across three stages)
    # when the live article arrived went first; without the lane it waits for ≥ 15 (below).
    assert at - before <= 6, (before, at)


def test_without_the_low_priority_a_live_article_waits_behind_the_backfill(
    redis_url, stage_workers, ledger, tmp_path
):
    before, at = backlog_then_live(redis_url, ledger, tmp_path, "normal")
    assert 60 - before >= 20, "too little backlog left to prove anything"
    assert at - before >= 0.75 * (60 - before), (before, at)
