"""An article's status for `GET /v1/articles/{id}`: the ledger entry, plus the record or error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import redis

from producers.webhook.models import ArticleStatus
from schemas import names
from schemas.ledger import Ledger
from schemas.redis_errors import map_redis_errors

# The dead-letter entry is written just before the ledger says `failed`: look only around then.
_DEAD_LETTER_LOOKBACK_MS = 10_000
_DEAD_LETTER_SCAN = 200


def article_status(client: redis.Redis, ledger: Ledger, article_id: str) -> ArticleStatus | None:
    """The article's state, or None when the ledger does not know it."""
    with map_redis_errors("reading the article's status"):
        entry = ledger.status(article_id)
        if not entry.get("status"):
            return None
        status = entry["status"]
        updated_at = _time(entry.get("updated_at"))
        record = _record(client, article_id) if status == "published" else None
        error = _dead_letter_error(client, article_id, updated_at) if status == "failed" else None
    return ArticleStatus(
        id=article_id,
        status=status,  # type: ignore[arg-type]
        stage=entry.get("stage") or None,
        reason=(entry.get("reason") or None) if status == "failed" else None,
        error=error,
        updated_at=updated_at,
        record=record,
    )


def _record(client: redis.Redis, article_id: str) -> dict[str, Any] | None:
    raw = client.get(names.record_key(article_id))
    if raw is None:  # expired, or published before records were kept
        return None
    record = json.loads(raw)  # type: ignore[arg-type]
    return record if isinstance(record, dict) else None


def _dead_letter_error(
    client: redis.Redis, article_id: str, failed_at: datetime | None
) -> str | None:
    """The error message of the article's dead-letter entry, searched near its failure time."""
    if failed_at is None:
        return None
    end = int(failed_at.timestamp() * 1000) + 1000
    rows = client.xrevrange(
        names.DEAD_LETTER_STREAM,
        max=str(end),
        min=str(end - _DEAD_LETTER_LOOKBACK_MS),
        count=_DEAD_LETTER_SCAN,
    )
    for _, fields in rows or []:
        decoded = {_s(k): _s(v) for k, v in (fields or {}).items()}
        if decoded.get("article_id") == article_id:
            return decoded.get("error") or None
    return None


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC) if value else None
    except ValueError:
        return None


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
