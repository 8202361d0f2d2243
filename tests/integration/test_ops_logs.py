"""Logs of a real run at INFO: no article text, no secret, context on every task line.

A worker and a webhook run with every kind of secret configured: bearer tokens, an HMAC
request secret, a callback secret, a sink signing secret, and a Redis password in the
broker URL and in a redis-stream sink URL (Redis 6+ takes `AUTH default <any password>`
while the default user has none, so the shared test Redis works with it). Articles carrying
a unique marker sentence go in every way: JSON with a signed callback, a raw body signed with
HMAC, a url to fetch, a poison article, a duplicate, and a request with a wrong token.
Then every line the processes wrote is searched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from celery import Celery

from schemas import names
from schemas.celery_config import celery_config
from schemas.settings import Settings
from tests.integration.conftest import (
    BRPOP_WINDOW,
    TEST_CALLBACK_SECRET,
    TEST_FETCH_ALLOW_HOSTS,
    TEST_SINK_SECRET,
    WorkerProcess,
)
from tests.integration.local_http import LocalHTTPServer, Reply, page
from tests.integration.test_webhook import WebhookServer, wait_settled

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:10]
MARKER = f"The harbour master counted {RUN} orange lanterns on the breakwater."
SECRETS = {
    "token": f"tok-{uuid.uuid4().hex}",
    "hmac": f"hmac-{uuid.uuid4().hex}",
    "callback": f"cb-{uuid.uuid4().hex}",
    "sink": f"sink-{uuid.uuid4().hex}",
    "redis": f"rpw-{uuid.uuid4().hex}",
}
WRONG_TOKEN = f"wrong-{uuid.uuid4().hex}"
TASK_EVENTS = {"article_cleaned", "article_extracted", "article_published", "article_dead_lettered"}


def story(n: int) -> str:
    return (
        f"Ministers from Chile and Peru met in Santiago on Monday to discuss fishing quotas. "
        f"{MARKER} Officials said a further round of talks would follow in June.\n\n"
        f"Filed {n} {uuid.uuid4()}.\n"
    )


def with_password(url: str) -> str:
    parts = urlsplit(url)
    netloc = f"default:{SECRETS['redis']}@{parts.hostname}:{parts.port or 6379}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@pytest.fixture(scope="module")
def stack(redis_url, worker, tmp_path_factory) -> Iterator[dict]:
    """Our worker and webhook with every secret, and where the session worker's log stood."""
    tmp = tmp_path_factory.mktemp("ops-logs")
    secret_url = with_password(redis_url)
    stream_sink = f"redis-stream://{urlsplit(secret_url).netloc}{urlsplit(redis_url).path}"
    env = {
        "NEWSFLOW_LOG_LEVEL": "INFO",
        "NEWSFLOW_WEBHOOK_TOKENS": SECRETS["token"],
        "NEWSFLOW_WEBHOOK_HMAC_SECRET": SECRETS["hmac"],
        "NEWSFLOW_CALLBACK_SECRET": SECRETS["callback"],
        "NEWSFLOW_SINK_WEBHOOK_SECRET": SECRETS["sink"],
        "NEWSFLOW_FETCH_ALLOW_HOSTS": TEST_FETCH_ALLOW_HOSTS,
        "NEWSFLOW_SINKS": f"jsonl://{tmp}/out.jsonl,{stream_sink}?key=newsflow:logs-test:{RUN}",
    }
    session_log_start = len(worker.log())
    control = Celery("test-control", set_as_current=False)
    control.conf.update(celery_config(Settings(redis_url=redis_url)))
    ours = WorkerProcess(
        secret_url, tmp / "worker.log", "--concurrency", "2", "-n", f"logs-{RUN}@%h", **env
    )
    webhook = None
    others: list[str] = []
    try:
        ours.wait_ready()
        # Every task of this run goes to our worker, the one with the secrets: the others
        # (the session worker) stop consuming until the module is done.
        nodes = [name for reply in control.control.ping(timeout=2) for name in reply]
        others = [name for name in nodes if not name.startswith("logs-")]
        for queue in names.ALL_QUEUES:
            control.control.cancel_consumer(queue, destination=others, reply=True, timeout=5)
        time.sleep(BRPOP_WINDOW)  # a BRPOP already issued may still take a task
        webhook = WebhookServer(secret_url, tmp / "webhook.log", **env)
        yield {"worker": ours, "webhook": webhook, "session_log_start": session_log_start}
    finally:
        for queue in names.ALL_QUEUES if others else ():
            control.control.add_consumer(queue, destination=others, reply=True, timeout=5)
        if webhook is not None:
            webhook.stop()
        ours.stop()


def test_no_article_text_and_no_secret_in_any_log_line(stack, worker):
    webhook: WebhookServer = stack["webhook"]
    bearer = {"Authorization": f"Bearer {SECRETS['token']}"}
    with LocalHTTPServer() as site, httpx.Client(base_url=webhook.url, timeout=30) as client:
        site.route(
            "/story", page(f"<html><body><article><p>{story(9)}</p></article></body></html>")
        )
        site.route("/callback", Reply(204))
        accepted = []
        # JSON with a callback (signed with the callback secret by the worker).
        first = {"text": story(1), "title": "Quotas", "callback_url": site.url("/callback")}
        response = client.post("/v1/articles", json=first, headers=bearer)
        assert response.status_code == 202, response.text
        accepted.append(response.json())
        # A raw text body signed with the HMAC secret.
        body = story(2).encode()
        ts = str(int(time.time()))
        mac = hmac.new(SECRETS["hmac"].encode(), f"{ts}.".encode() + body, hashlib.sha256)
        signed = {
            "Content-Type": "text/plain",
            "X-Newsflow-Timestamp": ts,
            "X-Newsflow-Signature": f"sha256={mac.hexdigest()}",
        }
        response = client.post("/v1/articles", content=body, headers=signed)
        assert response.status_code == 202, response.text
        accepted.append(response.json())
        # A url the worker fetches from a local site.
        response = client.post("/v1/articles", json={"url": site.url("/story")}, headers=bearer)
        assert response.status_code == 202, response.text
        accepted.append(response.json())
        # Poison: NUL bytes around the marker, dead-lettered by clean with a reason.
        poison = (f"{MARKER}\x00\x00\x00 {RUN}" * 20).encode()
        response = client.post(
            "/v1/articles", content=poison, headers={**bearer, "Content-Type": "text/plain"}
        )
        assert response.status_code == 202, response.text
        dead = response.json()
        # The first article again (a duplicate), and a wrong token.
        again = client.post("/v1/articles", json=first, headers=bearer)
        assert again.json()["status"] == "duplicate"
        wrong = client.post(
            "/v1/articles",
            json={"text": story(3)},
            headers={"Authorization": f"Bearer {WRONG_TOKEN}"},
        )
        assert wrong.status_code in (401, 403)

        client.headers.update(bearer)
        for item in accepted:
            assert wait_settled(client, item["status_url"])["status"] == "published", item
        assert wait_settled(client, dead["status_url"])["status"] == "failed"
        deadline = time.monotonic() + 30
        while not site.requests_to("/callback") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert site.requests_to("/callback"), "the signed callback never came"
        time.sleep(1.0)  # the last log lines of each task

    logs = {
        "worker": stack["worker"].log(),
        "webhook": webhook.log(),
        "session worker": worker.log()[stack["session_log_start"] :],
    }
    for event in TASK_EVENTS | {"article_fetched", "callback_delivered"}:
        assert f'"event": "{event}"' in logs["worker"], event  # our worker did it all
    session_secrets = [
        ("session callback", TEST_CALLBACK_SECRET),
        ("session sink", TEST_SINK_SECRET),
    ]
    for name, text in logs.items():
        assert MARKER not in text and f"{RUN} orange lanterns" not in text, name
        for kind, secret in [*SECRETS.items(), ("wrong token", WRONG_TOKEN), *session_secrets]:
            assert secret not in text, f"{kind} secret in the {name} log"
    # JSON lines; every task summary line says which article, task and stage it is about.
    task_lines = 0
    for name in ("worker", "webhook"):
        for line in logs[name].splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event.get("event") in TASK_EVENTS:
                task_lines += 1
                assert event["article_id"] and event["task_id"] and event["stage"], line
    assert task_lines > 0
