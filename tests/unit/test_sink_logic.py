"""Pure logic of the sinks: URLs, rotation, signatures, backoff, rows, and the fan-out memory."""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from schemas.article import Source, SourceKind
from schemas.errors import SinkRejected, SinkUnavailable
from schemas.record import (
    Entity,
    Event,
    EventActor,
    EventDate,
    Modality,
    PipelineInfo,
    Record,
    Span,
)
from schemas.signing import verify
from workers import pipeline
from workers.delivery import MemoryDeliveryLog, sink_digest
from workers.sinks import MemorySink, open_sink
from workers.sinks.jsonl import JsonlSink, Rotation, free_name, rotated_name
from workers.sinks.pg_migrate import load_migrations
from workers.sinks.pg_rows import (
    ARTICLE_COLUMNS,
    ENTITY_COLUMNS,
    EVENT_COLUMNS,
    article_row,
    entity_rows,
    event_rows,
    period,
    published,
)
from workers.sinks.postgres import PostgresSink, redacted
from workers.sinks.redis_stream import RedisStreamSink, StreamTarget
from workers.sinks.webhook import (
    WebhookOptions,
    WebhookSink,
    backoff_delay,
    batch_body,
    batch_key,
    idempotency_key,
    retry_after_seconds,
    signed_headers,
)

SECRET = b"unit-test-sink-secret"


def make_record(n: int, version: str = "1.0", **overrides: object) -> Record:
    fields: dict[str, object] = {
        "article_id": f"{n:064x}",
        "source": Source(kind=SourceKind.FILE, path=f"{n}.txt"),
        "text": f"story {n}",
        "pipeline": PipelineInfo(version=version),
    }
    fields.update(overrides)
    return Record.model_validate(fields)


def rich_record() -> Record:
    """A record with two entities and one dated, negated event."""
    span = Span(text="Oslo", start=0, end=4)
    return make_record(
        7,
        title="Talks",
        published_at=datetime(2024, 5, 3, 9, 30),  # naive: taken as UTC
        entities=[
            Entity(id="e1", name="Norway", type="GPE", country="NOR", mentions=[span, span]),
            Entity(id="e2", name="Kofi Mensah", type="PERSON", wikidata="Q42", roles=["envoy"]),
        ],
        events=[
            Event(
                id="ev1",
                type="MEET",
                trigger=Span(text="met", start=10, end=13),
                source=EventActor(entity_id="e2", name="Kofi Mensah", country="GHA"),
                target=EventActor(entity_id="e1", name="Norway", country="NOR"),
                date=EventDate(value="2024-02", precision="month", text="in February"),
                modality=Modality(negated=True),
                evidence=Span(text="He never met them.", start=0, end=18),
                confidence=0.8,
                fingerprint="fp1",
            )
        ],
    )


# -- jsonl rotation ------------------------------------------------------------------------


def test_rotation_options_come_from_the_url():
    assert Rotation.from_url("jsonl:///o.jsonl") == Rotation()
    assert not Rotation.from_url("jsonl:///o.jsonl?fsync=always").enabled
    assert Rotation.from_url("jsonl:///o.jsonl?rotate=daily") == Rotation(daily=True)
    assert Rotation.from_url("jsonl:///o.jsonl?max_bytes=100m").max_bytes == 100 * 1024**2
    both = Rotation.from_url("jsonl:///o.jsonl?rotate=daily&max_bytes=4096")
    assert both == Rotation(daily=True, max_bytes=4096)
    for bad in ("rotate=hourly", "max_bytes=0", "max_bytes=ten", "rotate=size"):
        with pytest.raises(ValueError, match="sink"):
            Rotation.from_url(f"jsonl:///o.jsonl?{bad}")


def test_rotation_is_due_on_a_new_utc_day_or_past_the_size():
    now = datetime(2024, 5, 2, 0, 0, 1, tzinfo=UTC)
    yesterday = datetime(2024, 5, 1, 23, 59, tzinfo=UTC).timestamp()
    today = datetime(2024, 5, 2, 0, 0, 0, tzinfo=UTC).timestamp()
    daily = Rotation(daily=True)
    assert daily.due(10, yesterday, 5, now)
    assert not daily.due(10, today, 5, now)
    assert not daily.due(0, yesterday, 5, now)  # an empty file is never rotated
    sized = Rotation(max_bytes=100)
    assert not sized.due(95, today, 5, now)
    assert sized.due(96, today, 5, now)
    assert not sized.due(0, today, 500, now)  # a batch larger than the cap gets a file alone


def test_rotated_names_carry_the_day_or_the_time_and_never_overwrite(tmp_path):
    path = tmp_path / "records.jsonl"
    now = datetime(2024, 5, 2, 10, 11, 12, 345678, tzinfo=UTC)
    last_write = datetime(2024, 5, 1, 22, 0, tzinfo=UTC).timestamp()
    assert rotated_name(path, Rotation(daily=True), last_write, now).name == (
        "records.2024-05-01.jsonl"
    )
    assert rotated_name(path, Rotation(max_bytes=10), now.timestamp(), now).name == (
        "records.2024-05-02T10-11-12.345678Z.jsonl"
    )
    taken = tmp_path / "records.2024-05-01.jsonl"
    taken.write_text("x")
    (tmp_path / "records.2024-05-01-1.jsonl").write_text("x")
    assert free_name(taken).name == "records.2024-05-01-2.jsonl"


def test_size_rotation_keeps_every_line_once_across_writers(tmp_path):
    path = tmp_path / "out.jsonl"
    url = f"jsonl://{path}?max_bytes=2000"
    writers = [JsonlSink(url), JsonlSink(url)]  # two processes' sinks on one file
    for n in range(40):
        writers[n % 2].write_batch([make_record(n)])
    for w in writers:
        w.close()
    files = sorted(tmp_path.glob("out*.jsonl"))
    assert len(files) > 3
    ids = [json.loads(line)["article_id"] for f in files for line in f.read_text().splitlines()]
    assert sorted(ids) == sorted(f"{n:064x}" for n in range(40))
    for f in files:
        assert f.stat().st_size <= 2000


def test_daily_rotation_moves_yesterdays_file_aside(tmp_path):
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(f"jsonl://{path}?rotate=daily")
    sink.write_batch([make_record(1)])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12)
    os.utime(path, (yesterday.timestamp(), yesterday.timestamp()))
    sink.write_batch([make_record(2)])
    sink.write_batch([make_record(3)])
    sink.close()
    old = tmp_path / f"out.{yesterday.date().isoformat()}.jsonl"
    assert [json.loads(x)["article_id"][-1] for x in old.read_text().splitlines()] == ["1"]
    assert [json.loads(x)["article_id"][-1] for x in path.read_text().splitlines()] == ["2", "3"]


# -- webhook: body, keys, signature, backoff -----------------------------------------------


def test_the_body_is_a_json_array_with_one_key_per_record():
    records = [make_record(1), make_record(2, version="2.0")]
    body, keys = batch_body(records)
    elements = json.loads(body)
    assert [e["idempotency_key"] for e in elements] == [f"{1:064x}:1.0", f"{2:064x}:2.0"]
    assert keys == [e["idempotency_key"] for e in elements]
    assert Record.model_validate(elements[1]["record"]) == records[1]
    assert idempotency_key(records[0]) == f"{1:064x}:1.0"
    assert batch_key(keys[:1]) == keys[0]
    assert batch_key(keys).startswith("batch-")
    assert batch_key(keys) == batch_key(list(reversed(keys)))


def test_headers_carry_a_signature_the_receiver_can_verify():
    body, keys = batch_body([make_record(1)])
    headers = signed_headers(SECRET, body, keys, now=1_700_000_000.7)
    assert headers["X-Newsflow-Timestamp"] == "1700000000"
    assert headers["Idempotency-Key"] == keys[0]
    ts, sig = headers["X-Newsflow-Timestamp"], headers["X-Newsflow-Signature"]
    assert sig.startswith("sha256=")
    assert verify(SECRET, ts, body, sig, now=1_700_000_010)
    assert not verify(SECRET, ts, body + b" ", sig, now=1_700_000_010)
    assert not verify(b"another-secret", ts, body, sig, now=1_700_000_010)


def test_backoff_doubles_up_to_the_cap_with_full_jitter():
    assert [backoff_delay(a, 0.5, 4.0, rand=lambda: 1.0) for a in range(1, 6)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        4.0,
    ]
    assert backoff_delay(3, 0.5, 4.0, rand=lambda: 0.0) == 0.0
    rng = random.Random(7)
    draws = [backoff_delay(2, 0.5, 4.0, rand=rng.random) for _ in range(200)]
    assert all(0 <= d <= 1.0 for d in draws) and len(set(draws)) > 100


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 GMT", now) == pytest.approx(30)
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def _webhook(replies: list[int | Exception], slept: list[float]) -> tuple[WebhookSink, list]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = replies[min(len(seen), len(replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(reply, text="nope" if reply >= 400 else "")

    options = WebhookOptions(secret=SECRET, attempts=3, backoff=0.5, backoff_max=4.0)
    sink = WebhookSink(
        "https://sink.example/in",
        options,
        sleep=slept.append,
        transport=httpx.MockTransport(handler),
    )
    return sink, seen


def test_webhook_retries_5xx_and_timeouts_inside_the_sink_then_succeeds():
    slept: list[float] = []
    sink, seen = _webhook([503, httpx.ReadTimeout("slow"), 200], slept)
    sink.write_batch([make_record(1)])
    assert len(seen) == 3 and len(slept) == 2
    assert slept[0] <= 0.5 and slept[1] <= 1.0
    bodies = {r.content for r in seen}
    assert len(bodies) == 1  # the same body every time, signed afresh


def test_webhook_gives_up_after_its_budget_with_a_retryable_error():
    slept: list[float] = []
    sink, seen = _webhook([500], slept)
    with pytest.raises(SinkUnavailable, match=r"failed 3 attempts \(last: answered 500"):
        sink.write_batch([make_record(1)])
    assert len(seen) == 3
    sink, seen = _webhook([httpx.ConnectError("refused")], [])
    with pytest.raises(SinkUnavailable, match="connection failed"):
        sink.write_batch([make_record(1)])


@pytest.mark.parametrize("status", [400, 401, 404, 409, 413, 422, 301])
def test_webhook_4xx_and_3xx_are_permanent(status):
    sink, seen = _webhook([status], [])
    with pytest.raises(SinkRejected, match=f"answered {status}"):
        sink.write_batch([make_record(1)])
    assert len(seen) == 1


@pytest.mark.parametrize("status", [408, 429])
def test_webhook_408_and_429_are_retried(status):
    sink, seen = _webhook([status, 204], [])
    sink.write_batch([make_record(1)])
    assert len(seen) == 2


def test_webhook_sinks_never_open_without_a_secret():
    from schemas.settings import Settings

    with pytest.raises(ValueError, match="NEWSFLOW_SINK_WEBHOOK_SECRET is not set"):
        WebhookOptions.from_settings(Settings(sink_webhook_secret=None))
    with pytest.raises(ValueError, match="http"):
        WebhookSink("https:///nohost", WebhookOptions(secret=SECRET))


# -- redis-stream and postgresql URLs ------------------------------------------------------


def test_stream_urls_name_server_database_key_and_length():
    target = StreamTarget.from_url("redis-stream://:pw@redis.internal:6380/3?key=out&maxlen=500")
    assert target == StreamTarget("redis://:pw@redis.internal:6380/3", "out", 500)
    assert StreamTarget.from_url("redis-stream://127.0.0.1:6379") == StreamTarget(
        "redis://127.0.0.1:6379/0", "newsflow:records", 0
    )
    assert StreamTarget.from_url("rediss-stream://h:1/0").redis_url == "rediss://h:1/0"
    for bad in ("redis-stream:///0", "redis-stream://h/x", "redis-stream://h/0?maxlen=-1"):
        with pytest.raises(ValueError, match="sink"):
            StreamTarget.from_url(bad)


def test_connection_urls_are_redacted_in_messages():
    assert redacted("postgresql://u:secret@db.internal:5433/news") == "db.internal:5433/news"
    assert redacted("postgresql://u@db/news") == "db:5432/news"


def test_the_registry_knows_every_scheme():
    assert isinstance(open_sink("redis-stream://127.0.0.1:1/0"), RedisStreamSink)
    assert isinstance(open_sink("postgresql://u@127.0.0.1:1/x"), PostgresSink)
    assert isinstance(open_sink("postgres://u@127.0.0.1:1/x"), PostgresSink)


# -- postgresql rows and migrations --------------------------------------------------------


def test_periods_span_the_day_month_or_year():
    assert period("2024-05-03") == (date(2024, 5, 3), date(2024, 5, 3))
    assert period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert period(None) == (None, None)
    assert period("2024-13") == (None, None)


def test_publication_time_and_date():
    assert published(make_record(1, published_at=date(2024, 1, 2))) == (None, date(2024, 1, 2))
    stamp, day = published(make_record(1, published_at=datetime(2024, 1, 2, 23, 30)))
    assert stamp == datetime(2024, 1, 2, 23, 30, tzinfo=UTC) and day == date(2024, 1, 2)
    assert published(make_record(1)) == (None, None)


def test_rows_follow_the_columns():
    record = rich_record()
    article = dict(zip(ARTICLE_COLUMNS, article_row(record), strict=True))
    assert article["article_id"] == record.article_id and article["pipeline_version"] == "1.0"
    assert (article["entity_count"], article["event_count"]) == (2, 1)
    assert article["published_date"] == date(2024, 5, 3)
    assert article["record"].obj == record.model_dump(mode="json")
    entities = [dict(zip(ENTITY_COLUMNS, r, strict=True)) for r in entity_rows(record)]
    assert [(e["position"], e["entity_id"], e["mention_count"]) for e in entities] == [
        (0, "e1", 2),
        (1, "e2", 0),
    ]
    assert entities[1]["wikidata"] == "Q42" and entities[1]["roles"] == ["envoy"]
    (event,) = [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in event_rows(record)]
    assert (event["source_country"], event["target_country"]) == ("GHA", "NOR")
    assert (event["date_start"], event["date_end"]) == (date(2024, 2, 1), date(2024, 2, 29))
    assert event["negated"] is True and event["future"] is False
    assert event["fingerprint"] == "fp1" and event["evidence"].obj["text"] == "He never met them."


def test_migrations_are_numbered_files_shipped_with_the_package():
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    first = migrations[0].sql
    for table in ("articles", "entities", "events"):
        assert f"CREATE TABLE {table}" in first
    for column in (*ARTICLE_COLUMNS, *ENTITY_COLUMNS, *EVENT_COLUMNS):
        assert column in first, column


# -- fan-out: a retry skips the sinks that already took the record -------------------------


class FlakySink(MemorySink):
    """Fails the first `failures` writes."""

    def __init__(self, url: str, failures: int) -> None:
        super().__init__(url)
        self.failures = failures

    def write_batch(self, records):
        if self.failures:
            self.failures -= 1
            raise SinkUnavailable("down")
        super().write_batch(records)


def test_a_publish_retry_writes_only_the_sinks_that_missed_the_record():
    first, flaky = MemorySink("memory://fan-first"), FlakySink("memory://fan-second", 2)
    third = MemorySink("memory://fan-third")
    for sink in (first, flaky, third):
        sink.records.clear()
    delivered = MemoryDeliveryLog()
    record = make_record(5)
    for _ in range(2):
        with pytest.raises(SinkUnavailable):
            pipeline.publish_stage(record, [first, flaky, third], time.perf_counter(), delivered)
    pipeline.publish_stage(record, [first, flaky, third], time.perf_counter(), delivered)
    assert [len(s.records) for s in (first, flaky, third)] == [1, 1, 1]
    # Without a delivery log (in-process mode) every sink is written every time.
    pipeline.publish_stage(record, [first], time.perf_counter())
    assert len(first.records) == 2


def test_sink_digests_hide_credentials_and_are_stable():
    url = "postgresql://u:secret@db/news"
    assert sink_digest(url) == sink_digest(url) and "secret" not in sink_digest(url)
    assert sink_digest(url) != sink_digest("postgresql://u:secret@db/other")


def test_a_sink_url_that_cannot_open_is_a_permanent_failure_of_the_article():
    from workers import state

    with pytest.raises(SinkRejected, match="cannot open sink: no sink for scheme 'ftp'"):
        state.sinks_for(["ftp://example/records"])
