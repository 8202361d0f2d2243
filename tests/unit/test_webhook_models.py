"""Webhook request parsing: fields, canonical envelope bytes, media types and charsets."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from producers.enqueue import Enqueuer
from producers.webhook.body import as_utf8, parse_content_type, parse_json
from producers.webhook.errors import ApiError
from producers.webhook.intake import Intake, canonical_bytes
from producers.webhook.models import ArticleIn, batch_model
from schemas.settings import Settings
from workers.clean.envelope import open_envelope

STORY = "Officials from both countries met in the capital on Friday to discuss the border."


def article(**fields) -> ArticleIn:
    return ArticleIn.model_validate(fields)


def test_identical_json_is_the_same_article_however_it_is_written():
    a = article(text=STORY, title="Talks", published_at="2025-05-02", outlet="Wire")
    b = ArticleIn.model_validate_json(
        '{ "outlet" : "Wire",\n "published_at": "2025-05-02", "title":"Talks", "text": '
        + json.dumps(STORY)
        + "}"
    )
    assert canonical_bytes(a.envelope()) == canonical_bytes(b.envelope())
    assert canonical_bytes(a.envelope()) != canonical_bytes(article(text=STORY).envelope())


def test_canonical_bytes_are_sorted_compact_utf8_without_nulls():
    raw = canonical_bytes(article(text="Zürich talks " * 4, title=None).envelope())
    assert raw == json.dumps(
        {"text": "Zürich talks " * 4}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def test_the_worker_opens_the_canonical_envelope_with_its_callback():
    sent = article(
        html="<p>" + STORY + "</p>",
        title="Talks",
        callback_url="https://hooks.example.org/done",
    )
    opened = open_envelope(canonical_bytes(sent.envelope()).decode(), "application/json")
    assert opened is not None
    assert opened.html == sent.html and opened.callback_url == "https://hooks.example.org/done"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"text": STORY, "html": "<p>x</p>"},
        {"text": "   \n"},
        {"html": ""},
        {"url": "ftp://example.org/a"},
        {"url": "/relative/path"},
        {"url": "http://"},
        {"url": "http://exa mple.org/"},
        {"url": "http://example.org:99999/"},
        {"text": STORY, "callback_url": "javascript:alert(1)"},
        {"text": STORY, "colour": "red"},
        {"text": STORY, "published_at": "last Tuesday"},
        {"text": STORY, "title": "x" * 1001},
    ],
)
def test_invalid_articles_are_refused(fields):
    with pytest.raises(ValidationError):
        ArticleIn.model_validate(fields)


def test_http_and_https_urls_are_accepted():
    assert article(url="https://news.example.org/a?b=1#c").url
    assert article(url="HTTP://news.example.org:8080/").url
    assert article(text=STORY, callback_url="http://10.0.0.5/cb").callback_url


def test_batch_size_is_bounded_by_the_setting():
    batch = batch_model(2)
    batch.model_validate({"articles": [{"text": STORY}, {"text": STORY + "!"}]})
    for articles in ([], [{"text": STORY}] * 3):
        with pytest.raises(ValidationError):
            batch.model_validate({"articles": articles})


def test_media_types():
    assert parse_content_type("application/json").mime == "application/json"
    parsed = parse_content_type('Text/Plain; charset="ISO-8859-1"')
    assert (parsed.mime, parsed.charset) == ("text/plain", "iso-8859-1")
    for bad in (None, "", "application/xml", "multipart/form-data; boundary=x"):
        with pytest.raises(ApiError) as caught:
            parse_content_type(bad)
        assert caught.value.status == 415


def test_declared_charsets_are_honoured():
    assert as_utf8("Zürich".encode("latin-1"), "iso-8859-1") == "Zürich".encode()
    assert as_utf8(b"\xff\xfe raw", None) == b"\xff\xfe raw"  # undeclared: the worker sniffs
    assert as_utf8("Zürich".encode(), "UTF-8") == "Zürich".encode()
    for charset in ("klingon", "rot13", "base64"):
        with pytest.raises(ApiError) as caught:
            as_utf8(b"abc", charset)
        assert caught.value.status == 400


def test_malformed_json_is_a_400():
    for body, charset in ((b'{"text": ', None), (b"\xff\xfe{", None), (b"{}", "latin-1")):
        with pytest.raises(ApiError) as caught:
            parse_json(body, charset)
        assert caught.value.status == 400
    assert parse_json(b'{"text": "x"}', "utf-8") == {"text": "x"}


def test_a_callback_is_refused_where_the_server_cannot_sign_it():
    unsigned = Intake(Settings(callback_secret=None), Enqueuer(Settings(), "unit"))
    with pytest.raises(ApiError) as caught:
        unsigned.check_callback("https://hooks.example.org/done")
    assert caught.value.status == 422
    unsigned.check_callback(None)
    Intake(Settings(callback_secret="k"), Enqueuer(Settings(), "unit")).check_callback(
        "https://hooks.example.org/done"
    )
