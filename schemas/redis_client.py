"""Redis clients that ride out a short outage (a restart, a failover) instead of failing.

redis-py retries a command on ConnectionError/TimeoutError (BusyLoadingError, the answer of a
server still loading its AOF, is one) with capped exponential backoff, reconnecting each
time, for about `outage_seconds`. A retried command may run twice when the server executed it
but the reply was lost, so every script that counts (the ledger's claim) is idempotent per call.
"""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0


def retries_for(outage_seconds: float) -> int:
    """Retries whose backoff adds up to at least `outage_seconds` (0.05, 0.1, … then 1 s each)."""
    ramp = 5  # 0.1 + 0.2 + 0.4 + 0.8 ≈ 1.5 s before the cap is reached
    return ramp + max(0, int(outage_seconds / BACKOFF_CAP_SECONDS))


def connect(url: str, *, outage_seconds: float, socket_timeout: float = 10) -> redis.Redis:
    """A client of `url` that keeps retrying for about `outage_seconds` when Redis goes away."""
    return redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=5,
        retry=Retry(
            ExponentialBackoff(cap=BACKOFF_CAP_SECONDS, base=BACKOFF_BASE_SECONDS),
            retries_for(outage_seconds),
        ),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
