"""Translate redis-py's errors into ours at the boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis

from schemas.errors import BrokerUnavailable


@contextmanager
def map_redis_errors(doing: str) -> Iterator[None]:
    """Raise BrokerUnavailable (retryable) for connection trouble while `doing`."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise BrokerUnavailable(
            f"Redis unreachable while {doing} ({exc}): check NEWSFLOW_REDIS_URL "
            "and that the server is up"
        ) from exc
    except redis.ResponseError as exc:
        if "LOADING" in str(exc) or "MASTERDOWN" in str(exc):
            raise BrokerUnavailable(f"Redis not ready while {doing} ({exc})") from exc
        raise
