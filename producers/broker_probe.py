"""Is a task for this article still in the broker? The watcher's one crash-recovery question.

`Enqueuer.submit` claims the article in the ledger, then sends the task: two Redis writes.
A watcher killed between them leaves the article `queued` with no task anywhere, and a plain
resubmit would be taken for a duplicate. The watcher asks this module only for the single
file it was submitting when it died (see `producers/inbox.py`, the intent file).

Kombu's Redis transport keeps each queue as lists (one per priority step: `clean`,
`clean\\x06\\x163`, …) and messages a worker holds but has not acknowledged in the `unacked`
hash. A Celery message names its article in `argsrepr` and inside its base64 body.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final, cast

import redis

from schemas import names

_PAGE: Final = 500


def mentions(raw: bytes, article_id: str) -> bool:
    """True when a stored kombu message (or an `unacked` entry) carries this article id."""
    return article_id.encode() in raw or article_id in articles_of_message(raw)


def articles_of_message(raw: bytes | str) -> list[str]:
    """The article ids a kombu message (or an `unacked` entry) carries: one for a stage
    message, each article of a backfill batch; none if unreadable."""
    try:
        message = json.loads(raw)
        if isinstance(message, list) and message:  # unacked entries: [message, exchange, key]
            message = message[0]
        body = json.loads(base64.b64decode(message["body"]))
        payload = body[0][0]
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        return []
    if not isinstance(payload, dict):
        return []
    items = payload.get("articles")
    found = (_article_id(item) for item in (items if isinstance(items, list) else [payload]))
    return [article for article in found if article]


def _article_id(payload: object) -> str | None:
    if not isinstance(payload, dict):
        return None
    record = payload.get("record")
    found = payload.get("article_id")
    if not found and isinstance(record, dict):
        found = record.get("article_id")
    return found if isinstance(found, str) else None


def task_in_broker(client: redis.Redis, article_id: str, queue: str = names.QUEUE_CLEAN) -> bool:
    """True when a message for the article waits in `queue` or is held unacknowledged."""
    for key in names.queue_keys(queue):
        length = int(client.llen(key))  # type: ignore[arg-type]
        for start in range(0, length, _PAGE):
            page = cast(list[bytes], client.lrange(key, start, start + _PAGE - 1))
            if any(mentions(item, article_id) for item in page):
                return True
    for _, value in client.hscan_iter(names.KOMBU_UNACKED_KEY, count=_PAGE):
        if mentions(value, article_id):
            return True
    return False
