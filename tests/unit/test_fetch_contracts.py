"""Callback signatures and bodies, url-envelope routing, the fetched message, fetch settings."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.article import ArticleEnvelope, ArticleMetadata, Source, SourceKind
from schemas.envelopes import is_url_envelope, parse_url_envelope
from schemas.errors import MalformedEnvelope
from schemas.settings import Settings
from schemas.signing import sign, verify
from schemas.stages import CallbackMessage
from tests.conftest import make_raw_article
from workers.fetch import (
    EVENT_FAILED,
    EVENT_PUBLISHED,
    FetchedPage,
    callback_body,
    callback_url_of,
    fetched_article,
    signed_headers,
)

ID = "a" * 64

# Computed outside Python: printf '1700000000.{"event":"article.published"}' |
#   openssl dgst -sha256 -hmac topsecret
OPENSSL_HEX = "76b5914cba01fe94618c0bce38042032fb146991d1c530e255d4c89a136877d8"


def test_signature_matches_an_independent_hmac_implementation():
    body = b'{"event":"article.published"}'
    assert sign(b"topsecret", "1700000000", body) == f"sha256={OPENSSL_HEX}"


def test_verify_checks_secret_body_timestamp_and_window():
    body = b'{"a":1}'
    good = sign(b"k", "1000", body)
    assert verify(b"k", "1000", body, good, now=1100)
    assert not verify(b"other", "1000", body, good, now=1100)
    assert not verify(b"k", "1000", body + b" ", good, now=1100)
    assert not verify(b"k", "1001", body, good, now=1100)  # the timestamp is signed too
    assert not verify(b"k", "1000", body, good, now=1000 + 301)  # replayed too late
    assert not verify(b"k", "１０００", body, good, now=1100)  # non-ASCII digits
    assert not verify(b"k", "", body, good, now=1100)


def test_signed_headers_sign_the_exact_body_with_their_own_timestamp():
    message = CallbackMessage(article_id=ID, url="https://cb.example/x", event=EVENT_PUBLISHED)
    body = callback_body(message, json.dumps({"article_id": ID, "text": "Zürich"}))
    headers = signed_headers(b"s3cret", body, message, now=1_700_000_123.9)
    assert headers["X-Newsflow-Timestamp"] == "1700000123"
    assert verify(b"s3cret", "1700000123", body, headers["X-Newsflow-Signature"], now=1_700_000_124)
    assert headers["X-Newsflow-Event"] == "article.published"
    assert headers["X-Newsflow-Article-Id"] == ID
    payload = json.loads(body)
    assert payload == {
        "event": "article.published",
        "article_id": ID,
        "status": "published",
        "record": {"article_id": ID, "text": "Zürich"},
    }


def test_failed_callback_body_carries_stage_reason_and_error():
    message = CallbackMessage(
        article_id=ID,
        url="https://cb.example/x",
        event=EVENT_FAILED,
        stage="fetch",
        reason="ssrf_blocked",
        error="refused",
    )
    assert json.loads(callback_body(message)) == {
        "event": "article.failed",
        "article_id": ID,
        "status": "failed",
        "stage": "fetch",
        "reason": "ssrf_blocked",
        "error": "refused",
    }


def test_callback_message_refuses_unknown_events():
    with pytest.raises(ValidationError):
        CallbackMessage(article_id=ID, url="https://x", event="article.deleted")


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b'{"url": "https://example.org/a"}', "application/json", True),
        (b'\xef\xbb\xbf  {"url": "https://example.org/a", "title": "T"}', None, True),
        (b'{"text": "story", "url": "https://example.org/a"}', None, False),
        (b'{"html": "<p>x</p>"}', "application/json", False),
        (b'{"url": "https://example.org/a"}', "text/plain", False),  # declared text is text
        (b"{not json", None, False),
        (b'["url"]', None, False),
        (b'{"url": "https://example.org/' + b"a" * 20_000 + b'"}', None, False),
    ],
)
def test_url_envelopes_are_recognised(raw, content_type, expected):
    assert is_url_envelope(raw, content_type) is expected


def test_a_url_envelope_with_bad_fields_is_malformed():
    with pytest.raises(MalformedEnvelope, match="url envelope is invalid"):
        parse_url_envelope(b'{"url": "https://e.org/", "colour": "red"}', None)
    assert parse_url_envelope(b'{"text": "a story"}', None) is None


def test_callback_url_is_found_in_every_stage_message_shape():
    assert callback_url_of({"callback_url": "https://a/1"}) == "https://a/1"
    raw = make_raw_article(metadata=ArticleMetadata(callback_url="https://a/2"))
    assert callback_url_of(raw.model_dump(mode="json")) == "https://a/2"
    envelope = json.dumps({"url": "https://e.org/", "callback_url": "https://a/3"}).encode()
    unopened = {"body_b64": base64.b64encode(envelope).decode(), "metadata": {}}
    assert callback_url_of(unopened) == "https://a/3"
    assert callback_url_of({"body_b64": "!!not base64!!"}) is None
    assert callback_url_of({"record": {"article_id": ID}}) is None


def test_fetched_article_keeps_the_id_and_anchors_dates_at_fetch_time():
    fetched_at = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)
    raw = make_raw_article(
        source=Source(kind=SourceKind.WEBHOOK),
        metadata=ArticleMetadata(title="Producer title"),
        content_type="application/json",
        run_id="webhook-1",
    )
    envelope = ArticleEnvelope(
        url="http://news.example/a", outlet="Daily", callback_url="https://cb.example/"
    )
    page = FetchedPage(
        requested_url="http://news.example/a",
        url="https://news.example/a/",
        status=200,
        media_type="application/xhtml+xml",
        content_type="text/html",
        charset="utf-8",
        body=b"<p>x</p>",
        redirects=("https://news.example/a/",),
        fetched_at=fetched_at,
        elapsed_ms=1.0,
    )
    message = fetched_article(raw, envelope, page)
    assert message.article_id == raw.article_id and message.run_id == "webhook-1"
    assert message.inline_body() == b"<p>x</p>" and message.size == 8
    assert message.content_type == "text/html"
    assert message.source.url == "https://news.example/a/"
    assert message.source.kind == SourceKind.WEBHOOK
    meta = message.metadata
    assert meta.crawled_at == fetched_at and meta.url == "http://news.example/a"
    assert meta.title == "Producer title" and meta.outlet == "Daily"
    assert meta.callback_url == "https://cb.example/"
    by_ref = fetched_article(raw, envelope, page, body_ref="newsflow:raw:x")
    assert by_ref.body_b64 is None and by_ref.body_ref == "newsflow:raw:x"


def test_fetch_settings_parse_comma_lists_and_refuse_bad_networks(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_FETCH_ALLOW_HOSTS", "127.0.0.1/32, Intranet.Example ,::1")
    monkeypatch.setenv("NEWSFLOW_FETCH_ALLOWED_PORTS", "80,443")
    monkeypatch.setenv("NEWSFLOW_FETCH_CONTENT_TYPES", "text/html,Text/Plain")
    monkeypatch.setenv("NEWSFLOW_CALLBACK_SECRET", "x" * 32)
    settings = Settings(_env_file=None)
    assert settings.fetch_allow_hosts == ["127.0.0.1/32", "intranet.example", "::1"]
    assert settings.fetch_allowed_ports == [80, 443]
    assert settings.fetch_content_types == ["text/html", "text/plain"]
    assert "x" * 32 not in repr(settings)  # the secret never shows in logs
    monkeypatch.setenv("NEWSFLOW_FETCH_ALLOW_HOSTS", "10.0.0.0/33")
    with pytest.raises(ValidationError, match="NEWSFLOW_FETCH_ALLOW_HOSTS"):
        Settings(_env_file=None)


def test_production_refuses_a_metadata_allow_entry_and_a_short_callback_secret():
    base = {"env": "production", "redis_url": "redis://redis.internal:6379/0"}
    with pytest.raises(ValidationError, match="metadata address"):
        Settings(_env_file=None, **base, fetch_allow_hosts="10.0.0.0/8,169.254.169.254")
    with pytest.raises(ValidationError, match="shorter than 16"):
        Settings(_env_file=None, **base, callback_secret="short")
    ok = Settings(_env_file=None, **base, fetch_allow_hosts="10.0.0.0/8", callback_secret="x" * 16)
    assert ok.fetch_allow_hosts == ["10.0.0.0/8"]
    # Outside production the same values are allowed (tests, laptops).
    assert Settings(_env_file=None, fetch_allow_hosts="169.254.169.254", callback_secret="short")
