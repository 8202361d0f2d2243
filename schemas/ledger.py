"""The article ledger in Redis: one state machine shared by producers and workers.

    (absent | failed) ──claim──► queued ──start──► processing ──finish──► published | failed
                       └─ otherwise a duplicate, unless forced

Every transition is one Lua script, so it is atomic, and `finish` is idempotent per
(article, run): a redelivered task (acks_late) never counts an article twice. That is what
keeps the books balanced: for every run, in = published + duplicates + failed once the queue
has drained.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import redis

from schemas import names

Outcome = Literal["published", "failed"]

# ARGV[6] is a token per call: a call retried after a lost reply (the client reconnects
# through a Redis restart) answers as the first time and counts nothing twice.
_CLAIM = """
if redis.call('HGET', KEYS[1], 'claim_token') == ARGV[6] then
  return 1
end
if redis.call('HGET', KEYS[1], 'dup_token') == ARGV[6] then
  return 0
end
local status = redis.call('HGET', KEYS[1], 'status')
redis.call('HINCRBY', KEYS[2], 'in', 1)
redis.call('HINCRBY', KEYS[3], 'in', 1)
if status and status ~= 'failed' and ARGV[2] ~= '1' then
  redis.call('HINCRBY', KEYS[2], 'duplicates', 1)
  redis.call('HINCRBY', KEYS[3], 'duplicates', 1)
  redis.call('HSET', KEYS[1], 'dup_token', ARGV[6])
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'queued', 'stage', ARGV[5], 'run_id', ARGV[1],
           'updated_at', ARGV[3], 'reason', '', 'done_run', '', 'claim_token', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HINCRBY', KEYS[2], 'queued', 1)
return 1
"""

_UNCLAIM = """
redis.call('HINCRBY', KEYS[2], 'in', -1)
redis.call('HINCRBY', KEYS[3], 'in', -1)
redis.call('HINCRBY', KEYS[2], 'queued', -1)
redis.call('DEL', KEYS[1])
return 1
"""

_FINISH = """
local done_run = redis.call('HGET', KEYS[1], 'done_run')
if done_run and done_run == ARGV[2] and ARGV[2] ~= '' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'stage', ARGV[5], 'reason', ARGV[4],
           'updated_at', ARGV[3], 'done_run', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[6])
if ARGV[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
end
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
return 1
"""


# Callback state rides on the article's entry, and only while that entry exists (it has the
# TTL; a write to an expired entry would create one that never expires).
_NOTE_CALLBACK = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'callback', ARGV[1], 'callback_reason', ARGV[2], 'callback_at', ARGV[3])
return 1
"""


@dataclass(frozen=True)
class RunCounts:
    """The books of one run."""

    inbound: int = 0
    queued: int = 0
    duplicates: int = 0
    published: int = 0
    failed: int = 0
    producing_done: bool = False

    @property
    def settled(self) -> int:
        """Articles that reached a final state (published or failed)."""
        return self.published + self.failed

    @property
    def drained(self) -> bool:
        """True once the producer is done and every queued article is settled."""
        return self.producing_done and self.settled >= self.queued

    def summary(self) -> str:
        """The one-line summary printed by `backfill --wait`."""
        return (
            f"queued {self.queued}, published {self.published}, "
            f"duplicates {self.duplicates}, failed {self.failed}"
        )


class Ledger:
    """Article states and run counters, over one Redis connection."""

    def __init__(self, client: redis.Redis, state_ttl_seconds: int = 90 * 24 * 3600) -> None:
        self._r = client
        self._ttl = state_ttl_seconds
        self._claim = client.register_script(_CLAIM)
        self._unclaim = client.register_script(_UNCLAIM)
        self._finish = client.register_script(_FINISH)
        self._note_callback = client.register_script(_NOTE_CALLBACK)

    def claim(
        self, article_id: str, run_id: str, *, force: bool = False, stage: str = "clean"
    ) -> bool:
        """Count the article in; True when it should be sent, False for a duplicate.

        `stage` is where it will start (a `dlq replay` re-enters at the stage that failed).
        """
        keys = [names.article_key(article_id), names.run_key(run_id), names.TOTALS_KEY]
        args = [run_id, "1" if force else "0", _now(), self._ttl, stage, uuid.uuid4().hex]
        return bool(self._claim(keys=keys, args=args))

    def unclaim(self, article_id: str, run_id: str) -> None:
        """Undo a claim whose task could not be sent, so a retry is not taken for a duplicate."""
        keys = [names.article_key(article_id), names.run_key(run_id), names.TOTALS_KEY]
        self._unclaim(keys=keys, args=[])

    def start(self, article_id: str, stage: str) -> None:
        """Mark the article as being worked on at `stage`."""
        self._r.hset(
            names.article_key(article_id),
            mapping={"status": "processing", "stage": stage, "updated_at": _now()},
        )

    def finish(
        self,
        article_id: str,
        run_id: str | None,
        outcome: Outcome,
        *,
        stage: str,
        reason: str = "",
    ) -> bool:
        """Record the final state; False when this (article, run) was already counted."""
        keys = [
            names.article_key(article_id),
            names.run_key(run_id or "none"),
            names.TOTALS_KEY,
        ]
        args = [outcome, run_id or "", _now(), reason, stage, self._ttl]
        return bool(self._finish(keys=keys, args=args))

    def status(self, article_id: str) -> dict[str, str]:
        """The article's ledger entry (empty when unknown)."""
        raw = self._r.hgetall(names.article_key(article_id))
        return {_s(k): _s(v) for k, v in raw.items()}

    def note_callback(self, article_id: str, outcome: str, reason: str = "") -> None:
        """Record the callback's state (`pending`, `delivered`, `failed`) on the entry."""
        self._note_callback(keys=[names.article_key(article_id)], args=[outcome, reason, _now()])

    def is_published(self, article_id: str) -> bool:
        """True when the article reached a sink at least once."""
        return self.status(article_id).get("status") == "published"

    def mark_producing_done(self, run_id: str) -> None:
        """The producer of this run has sent everything it will send."""
        self._r.hset(names.run_key(run_id), "producing_done", "1")

    def run(self, run_id: str) -> RunCounts:
        """The current books of one run."""
        raw = {_s(k): _s(v) for k, v in self._r.hgetall(names.run_key(run_id)).items()}
        return RunCounts(
            inbound=int(raw.get("in", 0)),
            queued=int(raw.get("queued", 0)),
            duplicates=int(raw.get("duplicates", 0)),
            published=int(raw.get("published", 0)),
            failed=int(raw.get("failed", 0)),
            producing_done=raw.get("producing_done") == "1",
        )

    def dead_letter(
        self,
        *,
        article_id: str,
        run_id: str | None,
        stage: str,
        reason: str,
        error: str,
        attempts: int = 1,
        payload: dict[str, Any] | None = None,
        raw_ref: str | None = None,
    ) -> str:
        """Append the failure to the dead-letter stream and settle the article as failed.

        An entry holds: article_id, run_id, stage (`enqueue`, `fetch`, `clean`, `extract`,
        `publish`), reason (a stable code), error (for people), attempts (deliveries of the
        stage's task, 1 for a producer's reject), raw_ref (Redis key of a by-reference body),
        source (the article's path or URL), failed_at, and payload: the stage's input message
        (JSON), which `newsflow dlq replay` sends to that stage again.
        """
        entry = {
            "article_id": article_id,
            "run_id": run_id or "",
            "stage": stage,
            "reason": reason,
            "error": error[:2000],
            "attempts": str(attempts),
            "raw_ref": raw_ref or "",
            "source": source_of(payload),
            "failed_at": _now(),
            "payload": json.dumps(payload) if payload is not None else "",
        }
        entry_id = self._r.xadd(names.DEAD_LETTER_STREAM, entry)  # type: ignore[arg-type]
        self.finish(article_id, run_id, "failed", stage=stage, reason=reason)
        return _s(entry_id)

    def dead_letters(self, count: int = 100) -> list[tuple[str, dict[str, str]]]:
        """The newest dead-letter entries, newest first."""
        rows = self._r.xrevrange(names.DEAD_LETTER_STREAM, count=count)
        return [(_s(i), {_s(k): _s(v) for k, v in f.items()}) for i, f in rows]


def source_of(payload: dict[str, Any] | None) -> str:
    """Where a dead-lettered article came from (path or URL), read from its stage message."""
    if not isinstance(payload, dict):
        return ""
    source = payload.get("source")
    record = payload.get("record")
    if not isinstance(source, dict) and isinstance(record, dict):
        source = record.get("source")
    if not isinstance(source, dict):
        return ""
    return str(source.get("path") or source.get("url") or "")


def _now() -> str:
    return f"{time.time():.3f}"


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
