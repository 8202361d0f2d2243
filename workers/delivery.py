"""Which sinks already took an article: the fan-out's memory across publish retries.

The publish stage writes the record to each sink in turn. When the second sink fails and the
task retries, the first must not get the record again: after each successful write the sink's
URL (as a digest: URLs may hold passwords) is added to a Redis set for (article, run), and a
retry skips the members. The set expires (NEWSFLOW_SINK_DELIVERY_TTL_SECONDS); a new run of the
same article (`--force`, a new pipeline version) has a new set and writes everywhere again.

If the worker dies between a write and its mark, that one sink gets the record twice: the
idempotent sinks (PostgreSQL, redis-stream, webhook by key) absorb it, JSONL readers drop
duplicates by `article_id`.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import redis

from schemas import names
from schemas.redis_errors import map_redis_errors


class DeliveryLog(Protocol):
    """Remembers the sinks an article was written to."""

    def is_delivered(self, url: str) -> bool:
        """True when the sink at `url` already took the record."""
        ...

    def mark(self, url: str) -> None:
        """Note that the sink at `url` took the record."""
        ...


class MemoryDeliveryLog:
    """The in-memory twin, for unit tests and the in-process mode."""

    def __init__(self) -> None:
        self.urls: set[str] = set()

    def is_delivered(self, url: str) -> bool:
        """True when `url` was marked."""
        return url in self.urls

    def mark(self, url: str) -> None:
        """Remember `url`."""
        self.urls.add(url)


def sink_digest(url: str) -> str:
    """A short stable name for a sink URL that does not reveal its credentials."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


class RedisDeliveryLog:
    """The delivery log of one (article, run) in a Redis set."""

    def __init__(
        self, client: redis.Redis, article_id: str, run_id: str | None, ttl_seconds: int
    ) -> None:
        self._r = client
        self.key = names.delivered_key(article_id, run_id)
        self._ttl = ttl_seconds
        self._members: set[str] | None = None

    def is_delivered(self, url: str) -> bool:
        """True when the sink at `url` already took the record (the set is read once)."""
        if self._members is None:
            with map_redis_errors("reading which sinks took the article"):
                raw = self._r.smembers(self.key)
            self._members = {m.decode() if isinstance(m, bytes) else str(m) for m in raw}
        return sink_digest(url) in self._members

    def mark(self, url: str) -> None:
        """Add the sink to the set and (re)start its expiry."""
        with map_redis_errors("noting the sink that took the article"):
            pipe = self._r.pipeline(transaction=True)
            pipe.sadd(self.key, sink_digest(url))
            pipe.expire(self.key, self._ttl)
            pipe.execute()
