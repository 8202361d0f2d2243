"""Contracts: JSON Schema files are fresh, models validate what they should."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.article import RawArticle, article_id_for
from schemas.export import EXPORTED, JSON_DIR, render
from schemas.record import SCHEMA_VERSION, Record
from tests.conftest import make_raw_article


@pytest.mark.parametrize("filename", sorted(EXPORTED))
def test_exported_json_schema_is_fresh(filename):
    committed = (JSON_DIR / filename).read_text(encoding="utf-8")
    assert committed == render(EXPORTED[filename]), (
        f"schemas/json/{filename} is stale: run `python -m schemas.export`"
    )


def test_article_id_is_sha256_of_raw_bytes():
    assert article_id_for(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_raw_article_round_trips_through_json():
    message = make_raw_article()
    again = RawArticle.model_validate_json(message.model_dump_json())
    assert again == message
    assert again.inline_body() == message.inline_body()


def test_raw_article_needs_exactly_one_body():
    message = make_raw_article()
    with pytest.raises(ValidationError, match="exactly one"):
        RawArticle.model_validate({**message.model_dump(), "body_ref": "newsflow:raw:x"})
    with pytest.raises(ValidationError, match="exactly one"):
        RawArticle.model_validate({**message.model_dump(), "body_b64": None})


def test_record_rejects_unknown_fields_and_bad_country_codes():
    base = {
        "article_id": "a" * 64,
        "source": {"kind": "file"},
        "text": "x",
        "pipeline": {"version": "0"},
    }
    record = Record.model_validate(base)
    assert record.schema_version == SCHEMA_VERSION
    with pytest.raises(ValidationError):
        Record.model_validate({**base, "surprise": 1})
    with pytest.raises(ValidationError):
        Record.model_validate(
            {**base, "entities": [{"id": "e", "name": "N", "type": "GPE", "country": "Korea"}]}
        )


def test_published_at_keeps_dates_as_dates():
    base = {
        "article_id": "a" * 64,
        "source": {"kind": "file"},
        "text": "x",
        "pipeline": {"version": "0"},
    }
    assert (
        Record.model_validate_json(
            Record.model_validate({**base, "published_at": "2024-07-28"}).model_dump_json()
        ).published_at.isoformat()
        == "2024-07-28"
    )
