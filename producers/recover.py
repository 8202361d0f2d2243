"""Articles whose message the broker lost, found by the ledger and sent again.

kombu's Redis transport takes a message with BRPOP and only then writes it to its `unacked`
hash. When Redis goes down between the two (a restart at the wrong millisecond) the message
is gone: popped on the server, never seen by a worker. acks_late cannot help (nothing was
received), the visibility timeout cannot help (nothing is in `unacked`). The ledger still
counts the article as queued, so the run never drains and the books show it as pending.

    run stalls (no article settled for a while, nothing waiting in any queue)
      └► unsettled articles of the run (ledger)  −  articles named by a message in `unacked`
           └► the same, checked again a moment later (a message may be between two lists)
                └► lost: the producer sends the article again from its input, under the same
                   run and without a second claim (the books already count it in)

Every task is idempotent on the article id, so a resend that races a late original is safe.
"""

from __future__ import annotations

import time
from typing import Any, Final

import redis
import structlog

from producers.broker_probe import articles_of_message
from producers.enqueue import Enqueuer
from producers.sources import InputItem, InputReader
from schemas import names
from schemas.article import Source, SourceKind, article_id_for
from schemas.ledger import RunCounts
from schemas.redis_errors import map_redis_errors

log = structlog.get_logger(__name__)

UNSETTLED: Final = frozenset({"queued", "processing"})
_SCAN_COUNT: Final = 1000


def unsettled_articles(client: redis.Redis, run_id: str) -> set[str]:
    """Articles of the run that the ledger counts as queued or processing (a SCAN)."""
    prefix = names.article_key("")
    found: set[str] = set()
    with map_redis_errors("scanning the ledger"):
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=_SCAN_COUNT):
            batch.append(key)
            if len(batch) >= _SCAN_COUNT:
                found |= _unsettled_in(client, batch, run_id, prefix)
                batch = []
        found |= _unsettled_in(client, batch, run_id, prefix)
    return found


def _unsettled_in(client: redis.Redis, keys: list[Any], run_id: str, prefix: str) -> set[str]:
    if not keys:
        return set()
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hmget(key, "run_id", "status")
    found = set()
    for key, (run, status) in zip(keys, pipe.execute(), strict=True):
        if _text(run) == run_id and _text(status) in UNSETTLED:
            found.add(_text(key)[len(prefix) :])
    return found


def articles_in_flight(client: redis.Redis) -> set[str]:
    """Articles named by a message a worker holds (kombu's `unacked` hash)."""
    with map_redis_errors("reading unacknowledged messages"):
        return {
            article
            for _, value in client.hscan_iter(names.KOMBU_UNACKED_KEY, count=200)
            for article in articles_of_message(value)
        }


def waiting_messages(client: redis.Redis) -> int:
    """Messages waiting on every stage queue (all priority steps)."""
    with map_redis_errors("reading the queues"):
        pipe = client.pipeline(transaction=False)
        for queue in names.ALL_QUEUES:
            for key in names.queue_keys(queue):
                pipe.llen(key)
        return sum(int(n) for n in pipe.execute())


def lost_articles(client: redis.Redis, run_id: str, *, confirm_seconds: float = 2.0) -> set[str]:
    """Unsettled articles of the run with no message anywhere, twice `confirm_seconds` apart.

    Only asked while nothing waits in the queues: then every live article has its message in
    `unacked`, and one that has none is lost.
    """
    if waiting_messages(client):
        return set()
    suspects = unsettled_articles(client, run_id) - articles_in_flight(client)
    if not suspects:
        return set()
    time.sleep(confirm_seconds)
    if waiting_messages(client):
        return set()
    return (suspects & unsettled_articles(client, run_id)) - articles_in_flight(client)


class LostArticleRecovery:
    """`wait_for_run`'s stall hook for a backfill: resend lost articles from the inputs."""

    def __init__(
        self,
        enqueuer: Enqueuer,
        specs: list[str],
        *,
        sinks: list[str] | None = None,
        force: bool = False,
    ) -> None:
        self.enqueuer = enqueuer
        self.specs = specs
        self.sinks = sinks
        self.force = force
        self.resent = 0
        # A slow task stalls a run too: each check that finds nothing waits twice as long
        # before the next (the ledger SCAN is not free on a big database).
        self._quiet_until = 0.0
        self._backoff = 10.0

    def __call__(self, counts: RunCounts) -> None:
        """Find the run's lost articles (if any) and send each again, once."""
        if not counts.producing_done or time.monotonic() < self._quiet_until:
            return
        lost = lost_articles(self.enqueuer.redis, self.enqueuer.run_id)
        if not lost:
            self._quiet_until = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, 300.0)
            return
        wanted = len(lost)
        reader = InputReader(self.specs, max_bytes=self.enqueuer.settings.max_article_bytes)
        for item in reader:
            if not isinstance(item, InputItem) or article_id_for(item.raw) not in lost:
                continue
            lost.discard(
                self.enqueuer.resend(
                    item.raw,
                    Source(kind=SourceKind.BACKFILL, path=item.path),
                    content_type=item.content_type,
                    sinks=self.sinks,
                    force=self.force,
                )
            )
            self.resent += 1
            if not lost:
                break
        log.warning(
            "lost_articles_resent",
            run_id=self.enqueuer.run_id,
            lost=wanted,
            resent=wanted - len(lost),
            not_found=len(lost),
        )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
