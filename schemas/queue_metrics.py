"""Queue depths, tasks in flight and the dead-letter stream, read from Redis at scrape time.

Served by the webhook's /metrics and by every worker's: a live reading of the shared broker,
never counted per process. In PromQL take `max by (queue, priority)` across scrape targets.
"""

from __future__ import annotations

from collections.abc import Iterator

import redis
import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from schemas import names

log = structlog.get_logger(__name__)

# kombu's Redis transport keeps delivered-but-unacknowledged messages in this hash (acks_late).


def redis_for_metrics(url: str) -> redis.Redis:
    """A client with short timeouts: a scrape must answer even while Redis is away."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


class QueueCollector(Collector):
    """`newsflow_queue_depth{queue,priority}`, `newsflow_tasks_unacked`,
    `newsflow_dead_letter_size` and `newsflow_redis_up`, in one round trip per scrape."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._keys = [
            (queue, str(step), key)
            for queue in names.ALL_QUEUES
            for step, key in zip(names.PRIORITY_STEPS, names.queue_keys(queue), strict=True)
        ]

    def describe(self) -> list[Metric]:
        """Nothing up front: registering must not reach Redis."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Read the lengths now; on a Redis error only `newsflow_redis_up 0`."""
        up = GaugeMetricFamily("newsflow_redis_up", "1 when this scrape could read Redis.")
        try:
            pipe = self._client.pipeline(transaction=False)
            for _, _, key in self._keys:
                pipe.llen(key)
            pipe.xlen(names.DEAD_LETTER_STREAM)
            pipe.hlen(names.KOMBU_UNACKED_KEY)
            *lengths, dead, unacked = pipe.execute()
        except redis.RedisError as exc:
            log.warning("metrics_redis_unreachable", error=type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "newsflow_queue_depth",
            "Messages waiting on a queue, per priority step (0 = live lane, 9 = backfill).",
            labels=["queue", "priority"],
        )
        for (queue, step, _), length in zip(self._keys, lengths, strict=True):
            depth.add_metric([queue, step], int(length))
        yield depth
        yield GaugeMetricFamily(
            "newsflow_tasks_unacked",
            "Tasks delivered to a worker and not yet acknowledged (in flight, or lost with a "
            "dead worker until the visibility timeout).",
            value=int(unacked),
        )
        yield GaugeMetricFamily(
            "newsflow_dead_letter_size",
            "Entries in the dead-letter stream (newsflow dlq list).",
            value=int(dead),
        )
