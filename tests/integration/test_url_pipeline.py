"""URL submissions end to end: Enqueuer.submit → fetch → clean → extract → publish → callback.

A real worker on every queue, real Redis (the test database), real HTTP servers on
loopback. The worker's SSRF guard allows 127.0.0.1 only; 127.0.0.2 stands for an internal
service it must never reach.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from producers.enqueue import Enqueuer, new_run_id
from schemas import names
from schemas.article import RawArticle, Source, SourceKind
from schemas.celery_config import celery_config
from schemas.ledger import Ledger
from schemas.record import Record
from schemas.settings import Settings
from schemas.signing import verify
from tests.conftest import SAMPLES
from tests.integration.conftest import TEST_CALLBACK_SECRET
from tests.integration.local_http import (
    LocalHTTPServer,
    Reply,
    Seen,
    internal_server,
    page,
    redirect,
)

pytestmark = pytest.mark.integration

MAX_BYTES = Settings.model_fields["max_article_bytes"].default
RECORD_TTL = Settings.model_fields["record_ttl_seconds"].default
STORY = (
    "Daily Ledger2 days ago\n\n"
    "Delegates from both countries met in the capital to discuss water rights.\n\n"
    "The foreign minister said the talks had been “difficult but honest” — and would resume "
    "next month in Geneva.\n\n"
    "“We are closer than we have been in years,” she told reporters after the meeting.\n"
)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer("127.0.0.1") as server:
        server.route("/hook", Reply(204, {"Content-Length": "0"}))
        yield server


@pytest.fixture(scope="module")
def internal() -> Iterator[LocalHTTPServer]:
    with internal_server() as server:
        server.route("/admin", page("internal admin page " * 20, "text/plain"))
        yield server


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("url-sink") / "records.jsonl"


@pytest.fixture(scope="module")
def enqueuer(redis_url) -> Enqueuer:
    return Enqueuer(Settings(redis_url=redis_url), new_run_id("urltest"))


def submit(enqueuer: Enqueuer, sink: Path, **envelope: str) -> str:
    """Submit a JSON envelope as the webhook does. (The server's port makes each URL new.)"""
    result = enqueuer.submit(
        json.dumps(envelope).encode(),
        Source(kind=SourceKind.WEBHOOK),
        content_type="application/json",
        sinks=[f"jsonl://{sink}"],
    )
    assert result.status == "queued", result
    return result.article_id


def settle(ledger: Ledger, article_id: str, *, callback: bool = False, timeout: float = 60):
    """The ledger entry once the article (and, if asked, its callback) reached a final state."""
    deadline = time.monotonic() + timeout
    while True:
        entry = ledger.status(article_id)
        done = entry.get("status") in {"published", "failed"}
        if done and (not callback or entry.get("callback") in {"delivered", "failed"}):
            return entry
        assert time.monotonic() < deadline, f"not settled: {entry}"
        time.sleep(0.1)


def sink_records(sink: Path) -> dict[str, dict[str, Any]]:
    if not sink.exists():
        return {}
    rows = (json.loads(line) for line in sink.read_text().splitlines())
    return {row["article_id"]: row for row in rows}


def dead_letter(ledger: Ledger, article_id: str) -> dict[str, str]:
    return next(e for _, e in ledger.dead_letters(200) if e["article_id"] == article_id)


def assert_signed(seen: Seen) -> dict[str, Any]:
    assert verify(
        TEST_CALLBACK_SECRET.encode(),
        seen.headers["X-Newsflow-Timestamp"],
        seen.body,
        seen.headers["X-Newsflow-Signature"],
        now=time.time(),
    ), seen.headers
    return json.loads(seen.body)


def callbacks_for(server: LocalHTTPServer, path: str, article_id: str) -> list[Seen]:
    return [s for s in server.requests_to(path) if s.headers["X-Newsflow-Article-Id"] == article_id]


def test_an_html_page_is_fetched_published_stored_and_called_back(
    worker, site, sink, redis_client, enqueuer
):
    html = (SAMPLES / "04_capital_protest.html").read_bytes()
    site.route("/news/bucharest", redirect("/news/bucharest-rally.html", 301))
    site.route("/news/bucharest-rally.html", page(html))
    article_id = submit(
        enqueuer,
        sink,
        url=site.url("/news/bucharest"),
        callback_url=site.url("/hook"),
        outlet="Continental Post",
    )
    ledger = Ledger(redis_client)
    entry = settle(ledger, article_id, callback=True)
    assert entry["status"] == "published", entry
    assert entry["callback"] == "delivered"

    row = sink_records(sink)[article_id]
    record = Record.model_validate(row)
    assert record.source.url == site.url("/news/bucharest-rally.html")
    assert record.source.kind == "webhook"
    assert "Bucharest" in record.text and "cookie" not in record.text.lower()
    assert record.title and "Bucharest" in record.title
    assert record.entities

    stored = redis_client.get(names.record_key(article_id))
    assert json.loads(stored) == row
    ttl = redis_client.ttl(names.record_key(article_id))
    assert RECORD_TTL - 60 < ttl <= RECORD_TTL

    (hook,) = callbacks_for(site, "/hook", article_id)
    assert hook.headers["X-Newsflow-Event"] == "article.published"
    payload = assert_signed(hook)
    assert payload["event"] == "article.published" and payload["status"] == "published"
    assert payload["article_id"] == article_id and payload["record"] == row
    fetched = site.requests_to("/news/bucharest-rally.html")[-1]
    assert fetched.headers["User-Agent"].startswith("newsflow/")


def test_relative_dates_resolve_against_the_fetch_time(worker, site, sink, redis_client, enqueuer):
    site.route("/plain/water-talks", page(STORY, "text/plain; charset=utf-8"))
    before = datetime.now(UTC)
    article_id = submit(enqueuer, sink, url=site.url("/plain/water-talks"))
    entry = settle(Ledger(redis_client), article_id)
    after = datetime.now(UTC)
    assert entry["status"] == "published", entry
    row = sink_records(sink)[article_id]
    expected = {(moment - timedelta(days=2)).date().isoformat() for moment in (before, after)}
    assert row["published_at"] in expected
    assert row["published_at_origin"] == "relative"


def test_a_redirect_to_a_blocked_address_is_dead_lettered_with_the_reason(
    worker, site, internal, sink, redis_client, enqueuer
):
    site.route("/news/sneaky", redirect(internal.url("/admin")))
    site.route("/hook-failures", Reply(200, {"Content-Length": "0"}))
    article_id = submit(
        enqueuer, sink, url=site.url("/news/sneaky"), callback_url=site.url("/hook-failures")
    )
    ledger = Ledger(redis_client)
    entry = settle(ledger, article_id, callback=True)
    assert (entry["status"], entry["reason"], entry["stage"]) == ("failed", "ssrf_blocked", "fetch")
    dead = dead_letter(ledger, article_id)
    assert dead["stage"] == "fetch" and dead["reason"] == "ssrf_blocked"
    assert "127.0.0.2" in dead["error"] and "NEWSFLOW_FETCH_ALLOW_HOSTS" in dead["error"]
    assert internal.requests_to("/admin") == []
    assert article_id not in sink_records(sink)
    assert not redis_client.exists(names.record_key(article_id))

    (hook,) = callbacks_for(site, "/hook-failures", article_id)
    payload = assert_signed(hook)
    assert payload["event"] == "article.failed"
    assert (payload["stage"], payload["reason"]) == ("fetch", "ssrf_blocked")
    assert entry["callback"] == "delivered"


def test_too_large_and_wrongly_typed_pages_are_dead_lettered(
    worker, site, sink, redis_client, enqueuer
):
    # Declared too large: refused from its Content-Length, before the body is read.
    site.route("/big", page(b"<p>" + b"word " * (MAX_BYTES // 5) + b"</p>"))
    site.route("/image", page(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png"))
    big = submit(enqueuer, sink, url=site.url("/big"))
    image = submit(enqueuer, sink, url=site.url("/image"))
    ledger = Ledger(redis_client)
    assert settle(ledger, big)["reason"] == "too_large"
    assert settle(ledger, image)["reason"] == "unsupported_content_type"
    assert f"{MAX_BYTES:,}-byte limit" in dead_letter(ledger, big)["error"]
    assert "image/png" in dead_letter(ledger, image)["error"]


def test_a_503_is_retried_and_a_failing_callback_is_retried(
    worker, site, sink, redis_client, enqueuer
):
    hits = {"page": 0, "hook": 0}

    def flaky_page(seen: Seen) -> Reply:
        hits["page"] += 1
        return (
            Reply(503, {"Content-Length": "0"}) if hits["page"] == 1 else page(STORY, "text/plain")
        )

    def flaky_hook(seen: Seen) -> Reply:
        hits["hook"] += 1
        return Reply(500 if hits["hook"] == 1 else 200, {"Content-Length": "0"})

    site.route("/plain/flaky", flaky_page)
    site.route("/hook-flaky", flaky_hook)
    article_id = submit(
        enqueuer, sink, url=site.url("/plain/flaky"), callback_url=site.url("/hook-flaky")
    )
    entry = settle(Ledger(redis_client), article_id, callback=True)
    assert entry["status"] == "published" and entry["callback"] == "delivered", entry
    assert hits == {"page": 2, "hook": 2}
    assert article_id in sink_records(sink)
    for attempt in callbacks_for(site, "/hook-flaky", article_id):
        assert assert_signed(attempt)["event"] == "article.published"


def test_a_url_envelope_sent_straight_to_clean_is_fetched_first(
    worker, site, sink, redis_client, redis_url
):
    site.route("/plain/direct", page(STORY.replace("Geneva", "Vienna"), "text/plain"))
    raw = RawArticle.inline(
        json.dumps({"url": site.url("/plain/direct")}).encode(),
        source=Source(kind=SourceKind.WEBHOOK),
        content_type="application/json",
        sinks=[f"jsonl://{sink}"],
    )
    client = Celery("t", set_as_current=False)
    client.conf.update(celery_config(Settings(redis_url=redis_url)))
    client.send_task(names.TASK_CLEAN, args=[raw.model_dump(mode="json")], queue=names.QUEUE_CLEAN)
    entry = settle(Ledger(redis_client), raw.article_id)
    assert entry["status"] == "published", entry
    assert "Vienna" in sink_records(sink)[raw.article_id]["text"]
    assert "url_envelope_forwarded" in worker.log()
