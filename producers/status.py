"""What the pipeline is doing, read from Redis alone: queues, in-flight, books, dead letters.

per queue   waiting   = LLEN of each priority list (`names.queue_keys`)
            in flight = kombu's `unacked` hash: messages a worker holds, not yet acked
totals      the ledger's TOTALS_KEY: in, published, duplicates, failed (= dead-lettered)
a run       in = published + duplicates + dead-lettered + pending, pending = queued − settled;
            once the producer is done and nothing is pending the run is finished, and a
            finished run must balance exactly (a line says so when it does not)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Final

import redis

from schemas import names
from schemas.ledger import Ledger, RunCounts
from schemas.redis_errors import map_redis_errors

_PAGE: Final = 200


@dataclass(frozen=True)
class QueueDepth:
    """One stage queue: messages waiting (per priority step) and held by workers."""

    name: str
    by_priority: dict[int, int]
    in_flight: int = 0

    @property
    def waiting(self) -> int:
        """Messages waiting in every priority step."""
        return sum(self.by_priority.values())


@dataclass(frozen=True)
class Totals:
    """The ledger's counters over every run since the database was new."""

    inbound: int = 0
    published: int = 0
    duplicates: int = 0
    failed: int = 0

    @property
    def pending(self) -> int:
        """Articles counted in and not yet settled (in queues or in flight)."""
        return self.inbound - self.published - self.duplicates - self.failed


@dataclass(frozen=True)
class RunBooks:
    """One run's counters and what they say: pending, finished, balanced."""

    run_id: str
    counts: RunCounts
    exists: bool = True

    @property
    def pending(self) -> int:
        """Articles of the run still in the pipeline (negative: settled twice, a bug)."""
        return self.counts.queued - self.counts.settled

    @property
    def finished(self) -> bool:
        """The producer is done and every queued article is settled."""
        return self.counts.producing_done and self.pending <= 0

    @property
    def balanced(self) -> bool:
        """in = published + duplicates + dead-lettered + pending, with nothing negative."""
        c = self.counts
        return (
            self.pending >= 0
            and c.inbound == c.queued + c.duplicates
            and c.inbound == c.published + c.duplicates + c.failed + self.pending
        )

    def line(self, *, broker_idle: bool | None = None) -> str:
        """The one line `newsflow status --run` prints about the run's books."""
        c = self.counts
        if not self.exists:
            return f"run {self.run_id}: no such run in the ledger"
        sums = f"published {c.published} + duplicates {c.duplicates} + dead-lettered {c.failed}"
        if not self.balanced:
            missing = c.inbound - c.published - c.duplicates - c.failed - max(self.pending, 0)
            return (
                f"run {self.run_id}: UNBALANCED: in {c.inbound} ≠ {sums}"
                f" + pending {max(self.pending, 0)} ({missing:+d} unaccounted for)"
            )
        if self.finished:
            return f"run {self.run_id}: in {c.inbound} = {sums} — balanced, finished"
        state = "producing" if not c.producing_done else "draining"
        line = f"run {self.run_id}: in {c.inbound} = {sums} + pending {self.pending} — {state}"
        if c.producing_done and broker_idle:
            line += (
                f"; STALLED: {self.pending} pending but no message waits or is in flight "
                "(no worker on a queue, or messages lost)"
            )
        return line

    def to_json(self, *, broker_idle: bool | None = None) -> dict[str, Any]:
        """The run's books as JSON."""
        c = self.counts
        return {
            "run_id": self.run_id,
            "exists": self.exists,
            "in": c.inbound,
            "queued": c.queued,
            "published": c.published,
            "duplicates": c.duplicates,
            "dead_lettered": c.failed,
            "pending": self.pending,
            "producing_done": c.producing_done,
            "finished": self.finished,
            "balanced": self.balanced,
            "line": self.line(broker_idle=broker_idle),
        }


@dataclass(frozen=True)
class Status:
    """One snapshot of everything `newsflow status` shows."""

    queues: list[QueueDepth]
    in_flight: int
    totals: Totals
    dead_letters: int
    workers: list[str] | None = None  # None: not asked
    run: RunBooks | None = None
    at: float = field(default_factory=time.time)

    @property
    def waiting(self) -> int:
        """Messages waiting on every queue."""
        return sum(q.waiting for q in self.queues)

    @property
    def broker_idle(self) -> bool:
        """Nothing waits and nothing is held by a worker."""
        return self.waiting == 0 and self.in_flight == 0

    def lines(self) -> list[str]:
        """The text of `newsflow status`."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.at))
        out = [f"newsflow status at {stamp} UTC", "", "queue       waiting  in flight"]
        for q in self.queues:
            out.append(f"{q.name:<10} {q.waiting:>8}  {q.in_flight:>9}")
        other = self.in_flight - sum(q.in_flight for q in self.queues)
        if other:
            out.append(f"{'(other)':<10} {'':>8}  {other:>9}")
        out.append(f"{'all':<10} {self.waiting:>8}  {self.in_flight:>9}")
        t = self.totals
        out += [
            "",
            f"totals: in {t.inbound}, published {t.published}, duplicates {t.duplicates}, "
            f"failed {t.failed}, pending {t.pending}",
            f"dead-letter stream: {self.dead_letters} entries (`newsflow dlq list`)",
        ]
        if self.workers is not None:
            names_ = ", ".join(sorted(self.workers)) if self.workers else "none answered"
            out.append(f"workers: {len(self.workers)} ({names_})")
        if self.run is not None:
            out += ["", self.run.line(broker_idle=self.broker_idle)]
        return out

    def to_json(self) -> dict[str, Any]:
        """The snapshot as JSON (`newsflow status --json`)."""
        t = self.totals
        return {
            "at": round(self.at, 3),
            "queues": {
                q.name: {
                    "waiting": q.waiting,
                    "in_flight": q.in_flight,
                    "by_priority": {str(k): v for k, v in q.by_priority.items()},
                }
                for q in self.queues
            },
            "waiting": self.waiting,
            "in_flight": self.in_flight,
            "totals": {
                "in": t.inbound,
                "published": t.published,
                "duplicates": t.duplicates,
                "failed": t.failed,
                "pending": t.pending,
            },
            "dead_letters": self.dead_letters,
            "workers": self.workers,
            "run": None if self.run is None else self.run.to_json(broker_idle=self.broker_idle),
        }


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def unacked_queue(value: bytes | str) -> str | None:
    """The queue of one `unacked` entry (kombu stores `[message, exchange, routing_key]`)."""
    try:
        entry = json.loads(value)
    except ValueError:
        return None
    if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], str):
        return entry[2]
    return None


def read_status(
    client: redis.Redis,
    *,
    run_id: str | None = None,
    queues: tuple[str, ...] = names.ALL_QUEUES,
    workers: list[str] | None = None,
) -> Status:
    """One snapshot from Redis (a handful of commands plus one pass over `unacked`)."""
    with map_redis_errors("reading the queues"):
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            for key in names.queue_keys(queue):
                pipe.llen(key)
        pipe.hlen(names.KOMBU_UNACKED_KEY)
        pipe.hgetall(names.TOTALS_KEY)
        pipe.xlen(names.DEAD_LETTER_STREAM)
        replies = pipe.execute()
        held: dict[str, int] = {}
        for _, value in client.hscan_iter(names.KOMBU_UNACKED_KEY, count=_PAGE):
            queue = unacked_queue(value)
            if queue is not None:
                held[queue] = held.get(queue, 0) + 1
        books = None
        if run_id is not None:
            exists = bool(client.exists(names.run_key(run_id)))
            books = RunBooks(run_id, Ledger(client).run(run_id), exists)
    depths, i = [], 0
    for queue in queues:
        by_priority = {}
        for step in names.PRIORITY_STEPS:
            by_priority[step] = _int(replies[i])
            i += 1
        depths.append(QueueDepth(queue, by_priority, held.get(queue, 0)))
    in_flight, totals_raw, dead = _int(replies[i]), replies[i + 1], _int(replies[i + 2])
    raw = {_text(k): _text(v) for k, v in (totals_raw or {}).items()}
    totals = Totals(
        inbound=_int(raw.get("in")),
        published=_int(raw.get("published")),
        duplicates=_int(raw.get("duplicates")),
        failed=_int(raw.get("failed")),
    )
    return Status(depths, in_flight, totals, dead, workers, books)
