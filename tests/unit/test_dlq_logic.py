"""Pure logic of `newsflow dlq`: durations, entry decoding and formatting, replay checks."""

from __future__ import annotations

import base64
import json

import pytest

from producers.broker_probe import articles_of_message
from producers.dlq import (
    DeadLetter,
    Replayer,
    ReplayResult,
    cutoff_id,
    entry_time,
    format_age,
    matches,
    parse_duration,
    top_file,
)
from producers.dlq_command import render_table
from schemas.celery_config import celery_config
from schemas.ledger import source_of
from schemas.redis_client import retries_for
from schemas.settings import Settings
from tests.conftest import make_raw_article


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("7d", 7 * 86400),
        ("12h", 12 * 3600),
        ("30m", 1800),
        ("90s", 90),
        ("2w", 14 * 86400),
        ("1d12h", 36 * 3600),
        ("1.5h", 5400),
        (" 7D ", 7 * 86400),
        ("1d 6h", 30 * 3600),
    ],
)
def test_durations_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "7x", "d7", "-1d", "0s", "7d!", "1y"])
def test_bad_durations_are_refused_with_an_example(text):
    with pytest.raises(ValueError, match=r"7d|positive"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0s"),
        (42, "42s"),
        (300, "5m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 720, "3h12m"),
        (86400, "1d"),
        (2 * 86400 + 4 * 3600 + 59, "2d4h"),
    ],
)
def test_ages_are_short(seconds, text):
    assert format_age(seconds) == text


def test_stream_ids_and_cutoffs_are_milliseconds():
    assert entry_time("1795360209735-3") == pytest.approx(1795360209.735)
    assert cutoff_id(1000.0, 10) == "990000"
    assert cutoff_id(1000.5, 0.25) == "1000250"


def fields(**overrides: object) -> dict[bytes, bytes]:
    row = {
        "article_id": "a" * 64,
        "run_id": "backfill-1",
        "stage": "clean",
        "reason": "binary",
        "error": "the article is a PNG image, not text",
        "attempts": "3",
        "raw_ref": "",
        "source": "in/x.png.txt",
        "failed_at": "1700000000.500",
        "payload": json.dumps({"article_id": "a" * 64, "body_b64": "eA==", "size": 1}),
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return {k.encode(): v.encode() for k, v in row.items()}


def test_an_entry_decodes_from_stream_bytes():
    entry = DeadLetter.from_stream(b"1700000000500-0", fields())
    assert (entry.entry_id, entry.stage, entry.reason, entry.attempts) == (
        "1700000000500-0",
        "clean",
        "binary",
        3,
    )
    assert entry.failed_at == 1700000000.5 and entry.payload == {
        "article_id": "a" * 64,
        "body_b64": "eA==",
        "size": 1,
    }
    assert entry.raw_reference() == "inline in the stored message (1 bytes)"
    assert entry.replayable_stage


def test_old_or_odd_entries_decode_without_failing():
    payload = json.dumps({"record": {"source": {"kind": "url", "url": "https://x.test/a"}}})
    entry = DeadLetter.from_stream(
        "1700000000000-0",
        {"stage": "publish", "attempts": "many", "payload": payload, "failed_at": "n/a"},
    )
    assert entry.attempts == 1 and entry.failed_at == 1700000000.0
    assert entry.source == "https://x.test/a" == entry.raw_reference()
    broken = DeadLetter.from_stream("1-0", {"payload": "{not json"})
    assert broken.payload is None and broken.raw_reference() == "-"
    assert not DeadLetter.from_stream("1-0", {"stage": "callback"}).replayable_stage


def test_the_raw_reference_prefers_the_body_key():
    entry = DeadLetter.from_stream("1-0", fields(raw_ref="newsflow:raw:" + "a" * 64))
    assert entry.raw_reference() == "newsflow:raw:" + "a" * 64


def test_rows_and_json_are_what_list_prints():
    entry = DeadLetter.from_stream("1700000000500-0", fields(error="x" * 200))
    row = entry.row(now=1700000000.5 + 3700)
    assert row[:6] == ["1700000000500-0", "1h01m", "clean", "binary", "3", "a" * 12]
    assert len(row[7]) == 70 and row[7].endswith("…")
    data = entry.to_json()
    assert "payload" not in data and data["raw"].startswith("inline")
    assert entry.to_json(with_payload=True)["payload"]["size"] == 1
    lines = render_table([row], ["ID", "AGE", "STAGE", "REASON", "TRIES", "ART", "SRC", "ERR"])
    assert lines[0].split() == ["ID", "AGE", "STAGE", "REASON", "TRIES", "ART", "SRC", "ERR"]
    assert lines[1].startswith("1700000000500-0  1h01m")
    described = "\n".join(entry.describe(now=1700000000.5 + 60))
    assert "attempts   3" in described and "(1m ago" in described


def test_filters_match_stage_and_reason():
    entry = DeadLetter.from_stream("1-0", fields())
    assert matches(entry, None, None) and matches(entry, "clean", "binary")
    assert not matches(entry, "enqueue", None) and not matches(entry, None, "empty")


def test_backfill_labels_lead_to_their_file(tmp_path):
    assert top_file("in/a.zip!/dir/b.txt").as_posix() == "in/a.zip"
    assert top_file(f"{tmp_path}/x.jsonl:17").name == "x.jsonl"
    odd = tmp_path / "odd:3"
    odd.write_text("a file whose name ends like a line number")
    assert top_file(str(odd)) == odd


def test_a_stored_message_is_checked_against_its_stage_model():
    good = make_raw_article().model_dump(mode="json")
    assert Replayer._message_problem("clean", good) is None
    problem = Replayer._message_problem("clean", {"article_id": "b" * 64, "size": "big"})
    assert problem and "RawArticle" in problem and "would fail again" in problem
    assert Replayer._message_problem("publish", good)  # not a PublishMessage


def test_replay_lines_name_the_outcome():
    entry = DeadLetter.from_stream("5-0", fields())
    line = ReplayResult(entry, "already_live", "the article is published again").line()
    assert line.startswith("already live    5-0  aaaaaaaaaaaa  the article")


def test_source_of_reads_the_message_or_its_record():
    assert source_of({"source": {"kind": "backfill", "path": "a.txt"}}) == "a.txt"
    assert source_of({"record": {"source": {"kind": "url", "url": "https://x"}}}) == "https://x"
    assert source_of({"source": "nonsense"}) == "" == source_of(None)


def test_the_articles_of_a_kombu_message_are_read_from_its_body():
    def kombu(payload: object) -> dict[str, object]:
        body = json.dumps([[payload], {}, {"callbacks": None}]).encode()
        return {"body": base64.b64encode(body).decode(), "headers": {}}

    message = kombu({"article_id": "c" * 64, "run_id": "r"})
    assert articles_of_message(json.dumps(message)) == ["c" * 64]
    assert articles_of_message(json.dumps([message, "extract", "extract"])) == ["c" * 64]
    record = kombu({"record": {"article_id": "d" * 64}})
    assert articles_of_message(json.dumps(record).encode()) == ["d" * 64]
    batch = kombu({"articles": [{"article_id": "e" * 64}, {"article_id": "f" * 64}, "junk"]})
    assert articles_of_message(json.dumps(batch)) == ["e" * 64, "f" * 64]
    assert articles_of_message(b"not json") == []
    assert articles_of_message(json.dumps({"body": "%%%"})) == []


def test_clients_and_publishing_ride_out_a_redis_outage():
    assert retries_for(0) == 5 and retries_for(30) == 35
    policy = celery_config(Settings(redis_outage_seconds=20))["task_publish_retry_policy"]
    waits = [min(policy["interval_max"], i * policy["interval_step"]) for i in range(32)]
    assert sum(waits[: policy["max_retries"]]) >= 20
