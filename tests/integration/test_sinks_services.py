"""Each sink against the real thing: PostgreSQL, a Redis stream, an HTTP receiver."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
import redis

from schemas.article import Source, SourceKind
from schemas.errors import SinkRejected, SinkUnavailable
from schemas.record import Entity, Event, EventActor, EventDate, PipelineInfo, Record, Span
from schemas.signing import verify
from tests.conftest import ROOT, require
from tests.integration.conftest import service_env
from tests.integration.local_http import LocalHTTPServer, Reply, Seen
from tests.integration.pg import ADMIN_URL, reachable, scratch_database
from workers.sinks.pg_migrate import migrate
from workers.sinks.postgres import PostgresSink
from workers.sinks.redis_stream import RedisStreamSink
from workers.sinks.webhook import WebhookOptions, WebhookSink

pytestmark = pytest.mark.integration

SECRET = b"integration-sink-secret"
COUNTRIES = ["NOR", "GHA", "PER", "VNM", "LVA"]


def make_record(n: int, *, version: str = "1.0", entities: int = 3, events: int = 2) -> Record:
    """A record with `entities` entities and `events` events (ours, made up)."""
    ents = [
        Entity(
            id=f"ent-{n}-{i}",
            name=f"Entity {n} {i}",
            type="GPE" if i % 2 else "PERSON",
            country=COUNTRIES[(n + i) % len(COUNTRIES)],
            mentions=[Span(text="x", start=i, end=i + 1)] * (i + 1),
        )
        for i in range(entities)
    ]
    evs = [
        Event(
            id=f"ev-{n}-{i}",
            type="MEET" if i % 2 else "ACCUSE",
            trigger=Span(text="met", start=0, end=3),
            source=EventActor(entity_id=ents[0].id, name=ents[0].name, country=ents[0].country)
            if ents
            else None,
            target=EventActor(entity_id=None, name="them", country=COUNTRIES[i % 5]),
            date=EventDate(value=f"2024-0{1 + i % 9}", precision="month", text="in spring"),
            evidence=Span(text=f"Sentence {i}.", start=0, end=12),
            confidence=0.5,
            fingerprint=f"fp-{i}",
        )
        for i in range(events)
    ]
    return Record(
        article_id=f"{n:064x}",
        source=Source(kind=SourceKind.FILE, path=f"{n}.txt", outlet="Daily Test"),
        title=f"Story {n}",
        published_at="2024-05-03",
        text=f"Story number {n}.",
        entities=ents,
        events=evs,
        pipeline=PipelineInfo(version=version),
    )


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A migrated scratch database for this module, dropped afterwards."""
    require(reachable(ADMIN_URL), f"PostgreSQL not reachable at {ADMIN_URL}")
    with scratch_database() as url:
        migrate(url)
        yield url


def counts(url: str, article_id: str) -> tuple[int, int, int, int]:
    """(article rows, their writes, entity rows, event rows) of one article."""
    with psycopg.connect(url) as conn:
        rows, writes = conn.execute(
            "SELECT count(*), coalesce(sum(writes), 0) FROM articles WHERE article_id = %s",
            (article_id,),
        ).fetchone()
        ents = conn.execute(
            "SELECT count(*) FROM entities WHERE article_id = %s", (article_id,)
        ).fetchone()[0]
        evs = conn.execute(
            "SELECT count(*) FROM events WHERE article_id = %s", (article_id,)
        ).fetchone()[0]
    return rows, writes, ents, evs


def test_db_migrate_is_a_command_and_idempotent(redis_url):
    require(reachable(ADMIN_URL), f"PostgreSQL not reachable at {ADMIN_URL}")
    with scratch_database() as url:
        runs = [
            subprocess.run(
                [sys.executable, "-m", "producers.cli", "db", "migrate", "--url", url],
                cwd=ROOT,
                env=service_env(redis_url),
                capture_output=True,
                text=True,
                timeout=60,
            )
            for _ in range(2)
        ]
        assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
        assert "applied 0001_init" in runs[0].stdout
        assert "0 applied, 1 already there" in runs[1].stdout
        assert "applied 0001" not in runs[1].stdout
        with psycopg.connect(url) as conn:
            tables = {
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            }
            versions = conn.execute("SELECT version FROM schema_migrations").fetchall()
        assert {"articles", "entities", "events", "schema_migrations"} <= tables
        assert versions == [(1,)]


def test_upserts_are_idempotent_per_article_and_version(pg_url):
    sink = PostgresSink(pg_url)
    record = make_record(1)
    sink.write_batch([record])
    sink.write_batch([record])  # a redelivered publish
    assert counts(pg_url, record.article_id) == (1, 2, 3, 2)

    # The same article re-extracted with fewer entities: children replaced, not added.
    sink.write_batch([make_record(1, entities=1, events=1)])
    assert counts(pg_url, record.article_id) == (1, 3, 1, 1)

    # A new pipeline version is a second row beside the first.
    sink.write_batch([make_record(1, version="2.0")])
    assert counts(pg_url, record.article_id) == (2, 4, 4, 3)
    sink.close()


def test_rows_are_queryable_by_an_analyst(pg_url):
    records = [make_record(n) for n in range(100, 105)]
    sink = PostgresSink(pg_url)
    sink.write_batch(records)
    sink.close()
    ids = [r.article_id for r in records]
    with psycopg.connect(pg_url) as conn:
        (meets,) = conn.execute(
            "SELECT count(*) FROM events e JOIN articles a USING (article_id, pipeline_version) "
            "WHERE e.article_id = ANY(%s) AND e.type = 'MEET' AND a.outlet = 'Daily Test' "
            "AND e.date_start >= '2024-02-01' AND e.date_end <= '2024-02-29'",
            (ids,),
        ).fetchone()
        title, record = conn.execute(
            "SELECT title, record FROM articles WHERE article_id = %s", (ids[2],)
        ).fetchone()
        conn.execute("SET enable_seqscan = off")  # tiny tables: ask whether an index serves
        plans = {
            column: "\n".join(
                r[0]
                for r in conn.execute(
                    f"EXPLAIN SELECT * FROM events WHERE {column} = 'x'"
                ).fetchall()
            )
            for column in ("fingerprint", "type", "source_country")
        }
    assert meets == 5  # event 1 of each record is a MEET in February 2024
    assert title == "Story 102" and Record.model_validate(record) == records[2]
    assert "events_fingerprint_idx" in plans["fingerprint"]
    assert "events_type_date_idx" in plans["type"]
    assert "events_countries_idx" in plans["source_country"]


def test_an_unreachable_or_unmigrated_database_is_retryable(pg_url):
    with pytest.raises(SinkUnavailable, match="retried later"):
        PostgresSink("postgresql://postgres@127.0.0.1:1/none", connect_timeout=2).write_batch(
            [make_record(1)]
        )
    with (
        scratch_database() as empty,
        pytest.raises(SinkUnavailable, match="newsflow db migrate"),
    ):
        PostgresSink(empty).write_batch([make_record(1)])


def test_a_connection_cut_by_the_server_is_reopened(pg_url):
    sink = PostgresSink(pg_url)
    sink.write_batch([make_record(200)])
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'newsflow-sink' AND datname = current_database()"
        )
    with pytest.raises(SinkUnavailable):
        sink.write_batch([make_record(201)])  # the broken connection is noticed here
    sink.write_batch([make_record(201)])  # and replaced on the retry
    assert counts(pg_url, f"{201:064x}")[0] == 1
    sink.close()


def test_upsert_throughput(pg_url):
    """Records a second, one transaction each (5 entities, 3 events): a figure, with a floor."""
    sink = PostgresSink(pg_url)
    records = [make_record(10_000 + n, entities=5, events=3) for n in range(300)]
    sink.write_batch(records[:5])  # connect outside the clock
    started = time.perf_counter()
    sink.write_batch(records[5:])
    rate = (len(records) - 5) / (time.perf_counter() - started)
    sink.close()
    print(f"\npostgresql upsert: {rate:.0f} records/s (5 entities, 3 events, 1 tx each)")
    assert rate > 20


# -- Redis stream --------------------------------------------------------------------------


@pytest.fixture
def stream_url(redis_url: str, redis_client: redis.Redis) -> str:
    redis_client.delete("test:records")
    for key in redis_client.scan_iter("newsflow:stream-sent:test:records:*"):
        redis_client.delete(key)
    base = redis_url.removeprefix("redis://")
    return f"redis-stream://{base}?key=test:records"


def test_stream_entries_carry_id_version_and_record_once(stream_url, redis_client):
    sink = RedisStreamSink(stream_url)
    records = [make_record(n) for n in range(3)]
    sink.write_batch(records)
    sink.write_batch(records[:2])  # redelivered
    sink.write_batch([make_record(0, version="2.0")])  # a new pipeline version is new
    sink.close()
    entries = redis_client.xrange("test:records")
    assert [(f["article_id"][-1], f["pipeline_version"]) for _, f in entries] == [
        ("0", "1.0"),
        ("1", "1.0"),
        ("2", "1.0"),
        ("0", "2.0"),
    ]
    assert Record.model_validate_json(entries[1][1]["record"]) == records[1]
    ttl = redis_client.ttl(f"newsflow:stream-sent:test:records:{records[0].article_id}:1.0")
    assert 0 < ttl <= 7 * 24 * 3600


def test_stream_is_trimmed_to_about_maxlen(stream_url, redis_client):
    sink = RedisStreamSink(f"{stream_url}&maxlen=50")
    for n in range(0, 600, 20):
        sink.write_batch([make_record(1000 + i) for i in range(n, n + 20)])
    sink.close()
    length = redis_client.xlen("test:records")
    assert 50 <= length < 600  # approximate (~): whole macro-nodes are dropped


def test_stream_errors_are_mapped(stream_url, redis_client):
    with pytest.raises(SinkUnavailable, match="unreachable"):
        RedisStreamSink("redis-stream://127.0.0.1:1/0?key=x").write_batch([make_record(1)])
    redis_client.set("test:records", "not a stream")
    with pytest.raises(SinkRejected, match="is a stream"):
        RedisStreamSink(stream_url).write_batch([make_record(1)])
    redis_client.delete("test:records")


# -- HTTP webhook --------------------------------------------------------------------------


class Receiver:
    """A receiving endpoint: checks signatures, dedupes by idempotency key, can fail on cue."""

    def __init__(self, server: LocalHTTPServer, path: str = "/in") -> None:
        self.server, self.path = server, path
        self.fail_next: list[int] = []
        self.deliveries: Counter[str] = Counter()
        self.bad_signatures = 0
        self.batch_sizes: list[int] = []
        self._lock = threading.Lock()
        server.route(path, self.reply)

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    def reply(self, seen: Seen) -> Reply:
        with self._lock:
            if self.fail_next:
                return Reply(self.fail_next.pop(0), {"Content-Length": "0"})
            headers = {k.lower(): v for k, v in seen.headers.items()}
            ts, sig = headers["x-newsflow-timestamp"], headers["x-newsflow-signature"]
            if not verify(SECRET, ts, seen.body, sig, now=time.time()):
                self.bad_signatures += 1
                return Reply(401, {"Content-Length": "0"})
            elements = json.loads(seen.body)
            self.batch_sizes.append(len(elements))
            for element in elements:
                self.deliveries[element["idempotency_key"]] += 1
            return Reply(204, {"Content-Length": "0"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with LocalHTTPServer() as server:
        yield Receiver(server)


def webhook(url: str, **options: float) -> WebhookSink:
    return WebhookSink(
        url,
        WebhookOptions(secret=SECRET, attempts=3, backoff=0.05, backoff_max=0.2, **options),
    )


def test_a_batch_is_one_signed_post_with_a_key_per_record(receiver):
    records = [make_record(n) for n in range(3)]
    with webhook(receiver.url) as sink:
        sink.write_batch(records)
    (post,) = receiver.server.requests_to("/in")
    assert receiver.batch_sizes == [3] and receiver.bad_signatures == 0
    assert set(receiver.deliveries) == {f"{r.article_id}:1.0" for r in records}
    assert post.headers["Idempotency-Key"].startswith("batch-")
    assert post.headers["X-Newsflow-Batch-Size"] == "3"
    assert post.headers["Content-Type"] == "application/json"


def test_a_500_is_retried_inside_the_sink_then_delivered_once(receiver):
    receiver.fail_next = [500, 503]
    record = make_record(7)
    with webhook(receiver.url) as sink:
        sink.write_batch([record])
    posts = receiver.server.requests_to("/in")
    assert len(posts) == 3
    assert {p.headers["Idempotency-Key"] for p in posts} == {f"{record.article_id}:1.0"}
    assert receiver.deliveries == Counter({f"{record.article_id}:1.0": 1})


def test_past_the_budget_the_sink_raises_for_the_task_to_retry(receiver):
    receiver.fail_next = [502, 502, 502, 502]
    with webhook(receiver.url) as sink, pytest.raises(SinkUnavailable, match="502"):
        sink.write_batch([make_record(8)])
    assert len(receiver.server.requests_to("/in")) == 3
    assert not receiver.deliveries


def test_a_wrong_secret_is_refused_for_good(receiver):
    sink = WebhookSink(receiver.url, WebhookOptions(secret=b"wrong-secret-here", attempts=3))
    with pytest.raises(SinkRejected, match="answered 401"):
        sink.write_batch([make_record(9)])
    sink.close()
    assert receiver.bad_signatures == 1 and len(receiver.server.requests_to("/in")) == 1


def test_a_slow_receiver_times_out_and_is_retryable():
    with LocalHTTPServer() as server:
        server.route("/slow", Reply(200, {"Content-Length": "2"}, [b"o", b"k"], pause=2.0))
        sink = webhook(server.url("/slow"), timeout=0.5)
        started = time.monotonic()
        with pytest.raises(SinkUnavailable, match="timed out"):
            sink.write_batch([make_record(10)])
        sink.close()
        assert time.monotonic() - started < 6
        assert len(server.requests_to("/slow")) == 3
    # A closed port: connection refused, retryable.
    with pytest.raises(SinkUnavailable, match="connection failed"):
        webhook("http://127.0.0.1:1/in").write_batch([make_record(11)])


# -- the fan-out's delivery log ------------------------------------------------------------


def test_the_delivery_log_remembers_sinks_per_article_and_run(redis_client):
    from workers.delivery import RedisDeliveryLog

    first = RedisDeliveryLog(redis_client, "a" * 64, "run-1", ttl_seconds=60)
    assert not first.is_delivered("postgresql://u:pw@db/x")
    first.mark("postgresql://u:pw@db/x")
    retry = RedisDeliveryLog(redis_client, "a" * 64, "run-1", ttl_seconds=60)
    assert retry.is_delivered("postgresql://u:pw@db/x")
    assert not retry.is_delivered("jsonl:///out.jsonl")
    assert not RedisDeliveryLog(redis_client, "a" * 64, "run-2", 60).is_delivered(
        "postgresql://u:pw@db/x"
    )  # a new run (--force) writes everywhere again
    assert 0 < redis_client.ttl(retry.key) <= 60
    assert "pw" not in "".join(redis_client.smembers(retry.key))
