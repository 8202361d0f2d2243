"""The webhook end to end: a real uvicorn server, a real worker, the real Redis.

Submit by JSON, raw text, HTML and URL; follow the status URL until published; compare the
record with the one the worker wrote to its sink. Every error answer is checked for its
status and its one JSON shape; back-pressure with the worker's consumer paused; Redis down
with the server pointed at a port where nothing listens; the OpenAPI document fuzzed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from celery import Celery

from schemas import signing
from schemas.celery_config import celery_config
from schemas.settings import Settings
from tests.conftest import SAMPLES
from tests.integration.conftest import (
    TEST_CALLBACK_SECRET,
    NewsflowProcess,
    WorkerProcess,
    free_port,
    stop_consuming,
)
from tests.integration.local_http import LocalHTTPServer, Reply, page

pytestmark = pytest.mark.integration

TOKEN = "test-token-3f9a"
SECRET = "test-hmac-secret-77c1"
MAX_BODY = 256 * 1024
MAX_BATCH = 5


class WebhookServer(NewsflowProcess):
    """A real `newsflow serve` subprocess on a free port, its log in a file."""

    def __init__(self, redis_url: str, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(redis_url, log_path, "serve", "--port", str(self.port), **env)
        self._wait_alive()

    def _wait_alive(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not up after {timeout}s:\n{self.log()[-3000:]}")

    def stop(self, timeout: float = 20) -> int:
        return super().stop(timeout)


@pytest.fixture(scope="module")
def webhook(redis_url, tmp_path_factory):
    """The main server: bearer token and HMAC auth, small body and batch limits."""
    tmp = tmp_path_factory.mktemp("webhook")
    server = WebhookServer(
        redis_url,
        tmp / "webhook.log",
        NEWSFLOW_WEBHOOK_TOKENS=f"other-token,{TOKEN}",
        NEWSFLOW_WEBHOOK_HMAC_SECRET=SECRET,
        NEWSFLOW_WEBHOOK_MAX_BODY_BYTES=str(MAX_BODY),
        NEWSFLOW_WEBHOOK_MAX_BATCH=str(MAX_BATCH),
        NEWSFLOW_CALLBACK_SECRET=TEST_CALLBACK_SECRET,
    )
    try:
        yield server
    finally:
        assert server.stop() == 0, server.log()[-3000:]


@pytest.fixture
def client(webhook):
    with httpx.Client(
        base_url=webhook.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as c:
        yield c


def unique(text: str) -> str:
    """The text with a line of its own, so it is a new article in this session."""
    return f"{text.rstrip()}\n\nFiled {uuid.uuid4()}.\n"


def canonical(envelope: dict) -> bytes:
    """The documented identity rule: sorted keys, no spaces, UTF-8, nulls left out."""
    kept = {k: v for k, v in envelope.items() if v is not None}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def wait_settled(client: httpx.Client, url: str, timeout: float = 120) -> dict:
    """Poll a status URL until the article is published or failed."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.append(body["status"])
        if body["status"] in {"published", "failed"}:
            assert set(seen) <= {"queued", "processing", "published", "failed"}
            return body
        time.sleep(0.2)
    raise TimeoutError(f"{url} still {seen[-1:]} after {timeout}s")


def sink_record(worker: WorkerProcess, article_id: str) -> dict:
    """The record the worker wrote to its default JSONL sink."""
    sink = worker.log_path.parent / "default.jsonl"
    for line in sink.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["article_id"] == article_id:
            return record
    raise AssertionError(f"no record {article_id} in {sink}")


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The one error shape, with the expected status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status and error["code"] == code
    assert isinstance(error["message"], str) and len(error["message"]) > 10
    assert isinstance(error["details"], list)
    return error


def assert_published(status: dict, article_id: str, worker: WorkerProcess) -> dict:
    assert status["status"] == "published", status
    assert status["id"] == article_id and status["stage"] == "publish"
    record = status["record"]
    assert record is not None, "published, but the status carries no record"
    assert record == sink_record(worker, article_id)
    assert record["article_id"] == article_id
    assert record["source"]["kind"] == "webhook"
    return record


def test_json_text_and_html_are_published_with_their_records(webhook, worker, client):
    story = unique(sample("02_summit_agreement.txt"))
    envelope = {
        "text": story,
        "title": "Leaders sign the summit agreement",
        "published_at": "2025-03-06",
        "outlet": "Meridian Wire",
    }
    response = client.post("/v1/articles", json=envelope)
    assert response.status_code == 202, response.text
    accepted = response.json()
    article_id = sha256(canonical(envelope))
    assert accepted == {
        "id": article_id,
        "status": "queued",
        "status_url": f"{webhook.url}/v1/articles/{article_id}",
    }
    assert response.headers["location"] == accepted["status_url"]

    html = unique(sample("04_capital_protest.html"))
    html_response = client.post("/v1/articles", json={"html": html})
    assert html_response.status_code == 202, html_response.text
    html_id = sha256(canonical({"html": html}))
    assert html_response.json()["id"] == html_id

    record = assert_published(wait_settled(client, accepted["status_url"]), article_id, worker)
    assert record["title"] == "Leaders sign the summit agreement"
    assert record["published_at"] == "2025-03-06" and record["published_at_origin"] == "metadata"
    assert record["source"]["outlet"] == "Meridian Wire"
    first_paragraph = next(line for line in story.splitlines() if len(line.split()) > 20)
    assert first_paragraph.strip()[:80] in record["text"]
    assert record["entities"], "a news story with named people and countries"

    html_record = assert_published(
        wait_settled(client, html_response.json()["status_url"]), html_id, worker
    )
    assert len(html_record["text"]) > 200 and "<" not in html_record["text"][:200]


def test_raw_text_and_html_bodies_are_published_under_their_file_ids(webhook, worker, client):
    text = unique(sample("03_border_clashes.txt")).encode()
    response = client.post(
        "/v1/articles",
        content=text,
        params={"title": "Clashes on the border", "outlet": "Raw Wire"},
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["id"] == sha256(text)  # the id a backfill of the file would give

    html = unique(sample("04_capital_protest.html")).replace("Filed", "<!-- raw -->Filed")
    html_bytes = html.encode()
    html_response = client.post(
        "/v1/articles", content=html_bytes, headers={"Content-Type": "text/html"}
    )
    assert html_response.status_code == 202, html_response.text
    assert html_response.json()["id"] == sha256(html_bytes)

    record = assert_published(
        wait_settled(client, response.json()["status_url"]), sha256(text), worker
    )
    assert record["title"] == "Clashes on the border"
    assert record["source"]["outlet"] == "Raw Wire"
    html_record = assert_published(
        wait_settled(client, html_response.json()["status_url"]), sha256(html_bytes), worker
    )
    assert html_record["text"]


def test_relative_dates_resolve_against_the_time_of_receipt(webhook, worker, client):
    story = unique(
        "Ministers agree to reopen the crossing\n\nMeridian Wire | 2 days ago\n\n"
        + "\n\n".join(sample("05_humanitarian_aid.txt").split("\n\n")[3:])
    ).encode()
    before = datetime.now(UTC)
    response = client.post("/v1/articles", content=story, headers={"Content-Type": "text/plain"})
    after = datetime.now(UTC)
    assert response.status_code == 202, response.text
    record = assert_published(
        wait_settled(client, response.json()["status_url"]), sha256(story), worker
    )
    assert record["published_at_origin"] == "relative"
    expected = {(moment - timedelta(days=2)).date().isoformat() for moment in (before, after)}
    assert record["published_at"] in expected


def test_a_failed_article_reports_its_reason_and_error(webhook, worker, client):
    nothing = {"text": f"Go to Top\n\nShare this {uuid.uuid4().hex[:6]}\n"}
    response = client.post("/v1/articles", json=nothing)
    assert response.status_code == 202, response.text
    status = wait_settled(client, response.json()["status_url"])
    assert status["status"] == "failed" and status["record"] is None
    assert status["stage"] == "clean" and status["reason"] == "empty"
    assert "characters of story are left" in status["error"]


def test_identical_json_again_is_a_duplicate_however_it_is_written(webhook, client):
    story = unique(sample("06_diplomatic_accusation.txt"))
    first = client.post("/v1/articles", json={"text": story, "outlet": "Wire"})
    assert first.status_code == 202 and first.json()["status"] == "queued"
    rewritten = '{\n  "outlet": "Wire",\n  "text": ' + json.dumps(story) + "\n}"
    again = client.post(
        "/v1/articles", content=rewritten, headers={"Content-Type": "application/json"}
    )
    assert again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert again.json()["id"] == first.json()["id"]
    other = client.post("/v1/articles", json={"text": story, "outlet": "Another Wire"})
    assert other.json()["status"] == "queued" and other.json()["id"] != first.json()["id"]


def test_a_batch_is_queued_whole_or_refused_whole(webhook, worker, client):
    a = {"text": unique(sample("01_trade_sanctions.txt"))}
    b = {"text": unique(sample("05_humanitarian_aid.txt")), "title": "Aid convoy"}
    response = client.post("/v1/articles:batch", json={"articles": [a, b, a]})
    assert response.status_code == 202, response.text
    batch = response.json()
    assert [x["id"] for x in batch["articles"]] == [sha256(canonical(x)) for x in (a, b, a)]
    assert [x["status"] for x in batch["articles"]] == ["queued", "queued", "duplicate"]
    assert (batch["queued"], batch["duplicates"]) == (2, 1)
    for item in batch["articles"][:2]:
        assert_published(wait_settled(client, item["status_url"]), item["id"], worker)

    fresh = {"text": unique(sample("02_summit_agreement.txt"))}
    refused = client.post(
        "/v1/articles:batch", json={"articles": [fresh, {"text": "  "}, {"url": "file:///x"}]}
    )
    error = assert_error(refused, 422, "invalid_fields")
    assert {tuple(d["loc"][:3]) for d in error["details"]} == {
        ("body", "articles", 1),
        ("body", "articles", 2),
    }
    assert_error(client.get(f"/v1/articles/{sha256(canonical(fresh))}"), 404, "not_found")
    too_many = client.post("/v1/articles:batch", json={"articles": [fresh] * (MAX_BATCH + 1)})
    assert_error(too_many, 422, "invalid_fields")


def test_auth_is_required_once_configured(webhook):
    body = json.dumps({"text": unique(sample("03_border_clashes.txt"))}).encode()
    json_type = {"Content-Type": "application/json"}
    with httpx.Client(base_url=webhook.url, timeout=30) as anonymous:
        missing = anonymous.post("/v1/articles", content=body, headers=json_type)
        assert_error(missing, 401, "unauthenticated")
        assert missing.headers["www-authenticate"] == "Bearer"
        assert_error(anonymous.get(f"/v1/articles/{'a' * 64}"), 401, "unauthenticated")
        assert_error(anonymous.post("/v1/articles:batch", json={}), 401, "unauthenticated")
        wrong = anonymous.post(
            "/v1/articles", content=body, headers={**json_type, "Authorization": "Bearer nope"}
        )
        assert_error(wrong, 403, "forbidden")
        basic = anonymous.post(
            "/v1/articles", content=body, headers={**json_type, "Authorization": "Basic dTpw"}
        )
        assert_error(basic, 401, "unauthenticated")

        def signed(payload: bytes, timestamp: int, secret: str = SECRET) -> dict:
            ts = str(timestamp)
            mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256)
            return {
                **json_type,
                "X-Newsflow-Timestamp": ts,
                "X-Newsflow-Signature": f"sha256={mac.hexdigest()}",
            }

        now = int(time.time())
        ok = anonymous.post("/v1/articles", content=body, headers=signed(body, now))
        assert ok.status_code == 202, ok.text
        stale = anonymous.post("/v1/articles", content=body, headers=signed(body, now - 3600))
        assert_error(stale, 403, "forbidden")
        tampered = anonymous.post("/v1/articles", content=body + b" ", headers=signed(body, now))
        assert_error(tampered, 403, "forbidden")
        other_key = anonymous.post(
            "/v1/articles", content=body, headers=signed(body, now, secret="guess")
        )
        assert_error(other_key, 403, "forbidden")
        status = anonymous.get(ok.json()["status_url"], headers=signed(b"", now))
        assert status.status_code == 200 and status.json()["id"] == ok.json()["id"]
        # Probes and the API document stay open.
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/openapi.json").status_code == 200


def test_size_type_and_field_errors_share_one_shape(webhook, client):
    big = "word " * (MAX_BODY // 5 + 10)
    assert_error(client.post("/v1/articles", json={"text": big}), 413, "too_large")
    chunked = client.post(
        "/v1/articles",
        content=iter([b"x" * 65536] * 5),  # no Content-Length: counted while streaming
        headers={"Content-Type": "text/plain"},
    )
    assert_error(chunked, 413, "too_large")

    xml = client.post(
        "/v1/articles", content=b"<a>news</a>", headers={"Content-Type": "application/xml"}
    )
    assert_error(xml, 415, "unsupported_media_type")
    assert_error(client.post("/v1/articles", content=b"news"), 415, "unsupported_media_type")
    raw_batch = client.post(
        "/v1/articles:batch", content=b"news", headers={"Content-Type": "text/plain"}
    )
    assert_error(raw_batch, 415, "unsupported_media_type")

    broken = client.post(
        "/v1/articles", content=b'{"text": ', headers={"Content-Type": "application/json"}
    )
    assert_error(broken, 400, "malformed_body")
    bad_charset = client.post(
        "/v1/articles", content=b"news", headers={"Content-Type": "text/plain; charset=klingon"}
    )
    assert_error(bad_charset, 400, "malformed_body")

    story = unique(sample("01_trade_sanctions.txt"))
    for invalid in (
        {"text": story, "html": "<p>x</p>"},
        {"url": "ftp://example.org/story"},
        {"text": story, "callback_url": "not a url"},
        {"text": story, "published_at": "yesterday"},
        {"text": story, "priority": "high"},
        [story],
    ):
        assert_error(client.post("/v1/articles", json=invalid), 422, "invalid_fields")
    with_query = client.post("/v1/articles", json={"text": story}, params={"title": "T"})
    assert_error(with_query, 422, "invalid_fields")
    blank = client.post("/v1/articles", content=b" \n ", headers={"Content-Type": "text/plain"})
    assert_error(blank, 422, "invalid_fields")
    bad_date = client.post(
        "/v1/articles",
        content=story.encode(),
        params={"published_at": "soon"},
        headers={"Content-Type": "text/plain"},
    )
    error = assert_error(bad_date, 422, "invalid_fields")
    assert error["details"][0]["loc"][:2] == ["query", "published_at"]

    assert_error(client.get(f"/v1/articles/{'0' * 64}"), 404, "not_found")
    assert_error(client.get("/v1/articles/not-an-id"), 422, "invalid_fields")
    assert_error(client.get("/v1/articles"), 405, "method_not_allowed")
    assert_error(client.get("/v2/nothing"), 404, "not_found")


def test_readiness_reports_redis_and_a_worker(webhook, worker):
    response = httpx.get(f"{webhook.url}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["worker"] and body["queue_depth"] >= 0


def test_back_pressure_answers_429_over_the_high_water_mark(redis_url, worker, tmp_path):
    control = Celery("test-control", set_as_current=False)
    control.conf.update(celery_config(Settings(redis_url=redis_url)))
    server = WebhookServer(
        redis_url, tmp_path / "webhook.log", NEWSFLOW_WEBHOOK_QUEUE_HIGH_WATER="2"
    )
    client = httpx.Client(base_url=server.url, timeout=30)
    accepted = []
    try:
        # The worker stops taking from `clean`, so submissions pile up there.
        stop_consuming(control, "clean")
        for name in ("01_trade_sanctions.txt", "02_summit_agreement.txt"):
            response = client.post("/v1/articles", json={"text": unique(sample(name))})
            assert response.status_code == 202, response.text
            accepted.append(response.json())
        refused = client.post(
            "/v1/articles", json={"text": unique(sample("03_border_clashes.txt"))}
        )
        assert_error(refused, 429, "queue_full")
        assert int(refused.headers["retry-after"]) > 0
        raw_refused = client.post(
            "/v1/articles", content=b"Some story " * 10, headers={"Content-Type": "text/plain"}
        )
        assert_error(raw_refused, 429, "queue_full")
    finally:
        assert control.control.add_consumer("clean", reply=True, timeout=5)
    try:
        # Drained, the queue takes submissions again and what was queued is published.
        for item in accepted:
            assert_published(wait_settled(client, item["status_url"]), item["id"], worker)
        again = client.post("/v1/articles", json={"text": unique(sample("03_border_clashes.txt"))})
        assert again.status_code == 202, again.text
    finally:
        client.close()
        assert server.stop() == 0


def test_redis_down_is_503_and_sigterm_stops_the_server_cleanly(tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    server = WebhookServer(dead, tmp_path / "webhook.log")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            started = time.monotonic()
            down = client.post("/v1/articles", json={"text": "Officials met on Friday. " * 5})
            assert_error(down, 503, "broker_unavailable")
            assert down.headers["retry-after"]
            assert time.monotonic() - started < 10, "a dead Redis must be reported promptly"
            assert_error(client.get(f"/v1/articles/{'a' * 64}"), 503, "broker_unavailable")
            assert_error(client.get("/readyz"), 503, "not_ready")
            assert client.get("/healthz").status_code == 200
    finally:
        assert server.stop() == 0, server.log()[-3000:]
    assert "webhook_stopped" in server.log()


def test_url_submissions_are_fetched_published_and_called_back(webhook, worker, client):
    html = unique(sample("04_capital_protest.html"))
    with LocalHTTPServer() as site:  # 127.0.0.1: the only address the test worker may fetch
        site.route("/story.html", page(html))
        site.route("/callback", Reply(204))
        envelope = {
            "url": site.url("/story.html"),
            "outlet": "Local Site",
            "callback_url": site.url("/callback"),
        }
        response = client.post("/v1/articles", json=envelope)
        assert response.status_code == 202, response.text
        article_id = response.json()["id"]
        assert article_id == sha256(canonical(envelope))
        status = wait_settled(client, response.json()["status_url"])
        assert status["status"] == "published", status
        assert len(site.requests_to("/story.html")) == 1
        deadline = time.monotonic() + 60
        while not site.requests_to("/callback"):
            assert time.monotonic() < deadline, "no callback arrived"
            time.sleep(0.2)
        callback = site.requests_to("/callback")[0]
    record = assert_published(status, article_id, worker)
    assert record["source"]["url"] == envelope["url"]
    assert record["source"]["outlet"] == "Local Site"
    assert len(record["text"]) > 200

    headers = {k.lower(): v for k, v in callback.headers.items()}
    assert signing.verify(
        TEST_CALLBACK_SECRET.encode(),
        headers["x-newsflow-timestamp"],
        callback.body,
        headers["x-newsflow-signature"],
        now=time.time(),
    )
    delivered = json.loads(callback.body)
    assert delivered["event"] == "article.published" and delivered["article_id"] == article_id
    assert delivered["record"] == record


def test_the_openapi_document_holds_up_to_fuzzing(webhook, worker, tmp_path):
    document = httpx.get(f"{webhook.url}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/articles", "/v1/articles:batch", "/v1/articles/{article_id}"} <= set(
        document["paths"]
    )
    assert set(document["components"]["securitySchemes"]) == {"bearer", "signature"}
    assert document["paths"]["/v1/articles"]["post"]["security"] == [
        {"bearer": []},
        {"signature": []},
    ]
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{webhook.url}/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--seed",
            "6",
            "--header",
            f"Authorization: Bearer {TOKEN}",
        ],
        cwd=tmp_path,  # its cache directory goes here, not into the repository
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
