"""The dead-letter stream `newsflow:dead-letter`: read it, replay it, purge it.

    list / show ─► XREVRANGE, newest first, filtered by stage and reason
    replay ID   ─► stage `enqueue`  ─► check the input again (stored bytes, else its path):
                │                      still bad ─► refused with its reason, entry kept
                │                      good now   ─► Enqueuer.submit (a new article if it changed)
                └► fetch|clean|extract|publish ─► ledger claim in a `replay-…` run at that stage
                                                  ─► the stored stage message, its run_id
                                                     replaced, sent to `newsflow.<stage>`
                                                  ─► entry deleted (the article is alive again;
                                                     failing again writes a new entry)
    purge       ─► XTRIM MINID: entries whose id (= time written) is older than the cutoff

A replay is a run of its own, with its own books: the original run keeps its `failed` count
(it did fail, and its books stay balanced), and the replay run counts every replayed article
in, then published or failed as the workers settle it. Producer-side: schemas only, no spaCy.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import redis
import structlog
from pydantic import BaseModel, ValidationError

from producers.enqueue import Enqueuer
from producers.sources import InputItem, InputReader, RefusedItem
from schemas import names
from schemas.article import ArticleMetadata, RawArticle, Source, SourceKind
from schemas.errors import ArticleTooLarge, InvalidArticle
from schemas.ledger import source_of
from schemas.redis_errors import map_redis_errors
from schemas.stages import CleanedArticle, PublishMessage

log = structlog.get_logger(__name__)

ENQUEUE_STAGE: Final = "enqueue"
# The message each replayable stage's task takes (checked before sending: a message that
# cannot be parsed would only come straight back).
STAGE_MESSAGES: Final[dict[str, type[BaseModel]]] = {
    "fetch": RawArticle,
    "clean": RawArticle,
    "extract": CleanedArticle,
    "publish": PublishMessage,
}
_PAGE: Final = 200
_ARTICLE_ID = re.compile(r"^[0-9a-f]{64}$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

Outcome = Literal["replayed", "would_replay", "already_live", "refused", "not_replayable"]


def parse_duration(text: str) -> float:
    """Seconds in `7d`, `12h`, `30m`, `90s`, `2w` or a sum such as `1d12h`."""
    cleaned = text.strip().lower()
    parts = list(_DURATION_PART.finditer(cleaned))
    if not parts or "".join(p.group(0) for p in parts).replace(" ", "") != cleaned.replace(" ", ""):
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit, e.g. 7d, 12h, 30m, 90s, "
            "2w or 1d12h"
        )
    seconds = sum(float(p.group(1)) * _UNITS[p.group(2)] for p in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return seconds


def format_age(seconds: float) -> str:
    """A short age: `42s`, `5m`, `3h12m`, `2d4h`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


def entry_time(entry_id: str) -> float:
    """Unix time an entry was written, from its stream id (`<ms>-<seq>`)."""
    return int(entry_id.split("-", 1)[0]) / 1000


def cutoff_id(now: float, older_than_seconds: float) -> str:
    """The stream id below which entries are older than the cutoff (for XTRIM MINID)."""
    return str(int((now - older_than_seconds) * 1000))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@dataclass(frozen=True)
class DeadLetter:
    """One entry of the dead-letter stream."""

    entry_id: str
    article_id: str
    run_id: str
    stage: str
    reason: str
    error: str
    attempts: int
    raw_ref: str
    source: str
    failed_at: float
    payload: dict[str, Any] | None

    @classmethod
    def from_stream(cls, entry_id: bytes | str, fields: dict[Any, Any]) -> DeadLetter:
        """Decode one XRANGE row (tolerant of entries written before a field existed)."""
        row = {_text(k): _text(v) for k, v in fields.items()}
        payload: dict[str, Any] | None = None
        if row.get("payload"):
            try:
                decoded = json.loads(row["payload"])
                payload = decoded if isinstance(decoded, dict) else None
            except ValueError:
                payload = None
        source = row.get("source") or source_of(payload)
        ident = _text(entry_id)
        try:
            failed_at = float(row.get("failed_at") or entry_time(ident))
        except ValueError:
            failed_at = entry_time(ident)
        return cls(
            entry_id=ident,
            article_id=row.get("article_id", ""),
            run_id=row.get("run_id", ""),
            stage=row.get("stage", ""),
            reason=row.get("reason", ""),
            error=row.get("error", ""),
            attempts=int(row["attempts"]) if row.get("attempts", "").isdigit() else 1,
            raw_ref=row.get("raw_ref", ""),
            source=source,
            failed_at=failed_at,
            payload=payload,
        )

    @property
    def replayable_stage(self) -> bool:
        """True when the entry names a stage `replay` knows how to re-enter."""
        return self.stage == ENQUEUE_STAGE or self.stage in STAGE_MESSAGES

    def raw_reference(self) -> str:
        """Where the raw article can be found again, for people."""
        if self.raw_ref:
            return self.raw_ref
        payload = self.payload or {}
        if isinstance(payload.get("body_b64"), str):
            size = payload.get("size")
            return "inline in the stored message" + (f" ({size} bytes)" if size is not None else "")
        if isinstance(payload.get("body_ref"), str):
            return str(payload["body_ref"])
        return self.source or "-"

    def row(self, now: float) -> list[str]:
        """The columns of `dlq list`."""
        return [
            self.entry_id,
            format_age(now - self.failed_at),
            self.stage,
            self.reason,
            str(self.attempts),
            self.article_id[:12],
            _shorten(self.source or "-", 40),
            _shorten(self.error.replace("\n", " "), 70),
        ]

    def to_json(self, *, with_payload: bool = False) -> dict[str, Any]:
        """The entry as JSON (`dlq list --json`, `dlq show --json`)."""
        data: dict[str, Any] = {
            "id": self.entry_id,
            "article_id": self.article_id,
            "run_id": self.run_id,
            "stage": self.stage,
            "reason": self.reason,
            "error": self.error,
            "attempts": self.attempts,
            "raw_ref": self.raw_ref,
            "source": self.source,
            "raw": self.raw_reference(),
            "failed_at": self.failed_at,
        }
        if with_payload:
            data["payload"] = self.payload
        return data

    def describe(self, now: float) -> list[str]:
        """The lines of `dlq show` (the payload summarised; `--json` prints it whole)."""
        lines = [
            f"entry      {self.entry_id}  ({format_age(now - self.failed_at)} ago, "
            f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(self.failed_at))} UTC)",
            f"article    {self.article_id}",
            f"run        {self.run_id or '-'}",
            f"stage      {self.stage}",
            f"reason     {self.reason}",
            f"attempts   {self.attempts}",
            f"source     {self.source or '-'}",
            f"raw        {self.raw_reference()}",
            f"error      {self.error}",
        ]
        if self.payload is not None:
            keys = ", ".join(sorted(self.payload))
            lines.append(f"message    {len(json.dumps(self.payload)):,} bytes of JSON ({keys})")
        else:
            lines.append("message    none stored")
        return lines


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def matches(entry: DeadLetter, stage: str | None, reason: str | None) -> bool:
    """True when the entry passes the `--stage` and `--reason` filters."""
    return (stage is None or entry.stage == stage) and (reason is None or entry.reason == reason)


class DeadLetterStream:
    """The dead-letter stream over one Redis connection."""

    def __init__(self, client: redis.Redis, key: str = names.DEAD_LETTER_STREAM) -> None:
        self._r = client
        self.key = key

    def size(self) -> int:
        """How many entries the stream holds."""
        with map_redis_errors("reading the dead-letter stream"):
            return int(self._r.xlen(self.key))  # type: ignore[arg-type]

    def newest(
        self, *, stage: str | None = None, reason: str | None = None, limit: int | None = None
    ) -> Iterator[DeadLetter]:
        """Entries newest first, filtered, at most `limit` of them."""
        upper, found = "+", 0
        while limit is None or found < limit:
            with map_redis_errors("reading the dead-letter stream"):
                rows = self._r.xrevrange(self.key, max=upper, min="-", count=_PAGE)
            if not rows:
                return
            for entry_id, fields in rows:
                entry = DeadLetter.from_stream(entry_id, fields)
                if matches(entry, stage, reason):
                    found += 1
                    yield entry
                    if limit is not None and found >= limit:
                        return
            upper = f"({_text(rows[-1][0])}"

    def oldest(
        self, *, stage: str | None = None, reason: str | None = None, up_to: str = "+"
    ) -> Iterator[DeadLetter]:
        """Entries oldest first up to `up_to` (inclusive), filtered."""
        lower = "-"
        while True:
            with map_redis_errors("reading the dead-letter stream"):
                rows = self._r.xrange(self.key, min=lower, max=up_to, count=_PAGE)
            if not rows:
                return
            for entry_id, fields in rows:
                entry = DeadLetter.from_stream(entry_id, fields)
                if matches(entry, stage, reason):
                    yield entry
            lower = f"({_text(rows[-1][0])}"

    def last_id(self) -> str | None:
        """Id of the newest entry, None when the stream is empty."""
        with map_redis_errors("reading the dead-letter stream"):
            rows = self._r.xrevrange(self.key, count=1)
        return _text(rows[0][0]) if rows else None

    def get(self, entry_id: str) -> DeadLetter | None:
        """One entry by id, None when there is no such entry."""
        with map_redis_errors("reading the dead-letter stream"):
            rows = self._r.xrange(self.key, min=entry_id, max=entry_id, count=1)
        return DeadLetter.from_stream(rows[0][0], rows[0][1]) if rows else None

    def remove(self, entry_id: str) -> bool:
        """Delete one entry (a replayed article is alive again); False if it was gone."""
        with map_redis_errors("deleting a dead-letter entry"):
            return bool(self._r.xdel(self.key, entry_id))

    def count_before(self, min_id: str) -> int:
        """How many entries have an id below `min_id` (what a purge would delete)."""
        total, lower = 0, "-"
        upper = f"({min_id}-0"
        while True:
            with map_redis_errors("reading the dead-letter stream"):
                rows = self._r.xrange(self.key, min=lower, max=upper, count=1000)
            total += len(rows)
            if len(rows) < 1000:
                return total
            lower = f"({_text(rows[-1][0])}"

    def purge_before(self, min_id: str) -> int:
        """Delete every entry with an id below `min_id` (exact XTRIM MINID); how many went."""
        with map_redis_errors("purging the dead-letter stream"):
            return int(self._r.xtrim(self.key, minid=min_id, approximate=False))


@dataclass(frozen=True)
class ReplayResult:
    """What `replay` did with one entry."""

    entry: DeadLetter
    outcome: Outcome
    detail: str
    article_id: str = ""

    def line(self) -> str:
        """One line of `dlq replay` output."""
        label = self.outcome.replace("_", " ")
        return f"{label:<15} {self.entry.entry_id}  {self.entry.article_id[:12]}  {self.detail}"


class Replayer:
    """Re-enters dead-lettered articles at the stage that failed, in one replay run."""

    def __init__(
        self, enqueuer: Enqueuer, stream: DeadLetterStream, *, dry_run: bool = False
    ) -> None:
        self.enqueuer = enqueuer
        self.stream = stream
        self.dry_run = dry_run

    def replay(self, entry: DeadLetter) -> ReplayResult:
        """Replay one entry: re-check an enqueue reject, re-send a stage's message."""
        if entry.stage == ENQUEUE_STAGE:
            result = self._recheck(entry)
        elif entry.stage in STAGE_MESSAGES:
            result = self._resend(entry)
        else:
            result = ReplayResult(
                entry, "not_replayable", f"stage {entry.stage!r} has no task to replay into"
            )
        log.info(
            "dead_letter_replay",
            entry_id=entry.entry_id,
            article_id=entry.article_id,
            stage=entry.stage,
            outcome=result.outcome,
            run_id=self.enqueuer.run_id,
            detail=result.detail,
        )
        return result

    # -- a stage's message, sent again -------------------------------------------------------

    def _resend(self, entry: DeadLetter) -> ReplayResult:
        stage = entry.stage
        task = f"{names.PREFIX}.{stage}"
        payload = entry.payload
        if not _ARTICLE_ID.match(entry.article_id) or payload is None:
            return ReplayResult(
                entry,
                "not_replayable",
                "the entry has no article id or no stored message (a malformed message): "
                "nothing to send again",
            )
        problem = self._message_problem(stage, payload)
        if problem:
            return ReplayResult(entry, "refused", problem)
        body_ref = payload.get("body_ref")
        if isinstance(body_ref, str) and body_ref:
            with map_redis_errors("checking the raw body"):
                kept = bool(self.enqueuer.redis.exists(body_ref))
            if not kept:
                return ReplayResult(
                    entry,
                    "not_replayable",
                    f"the raw body {body_ref} has expired (NEWSFLOW_RAW_BODY_TTL_SECONDS): "
                    "submit the article again from its source",
                )
        ledger, run_id = self.enqueuer.ledger, self.enqueuer.run_id
        if self.dry_run:
            status = ledger.status(entry.article_id).get("status")
            if status and status != "failed":
                return ReplayResult(
                    entry, "already_live", f"the article is {status}: entry would be removed"
                )
            return ReplayResult(entry, "would_replay", f"{stage} → {task}")
        with map_redis_errors("claiming the replayed article"):
            claimed = ledger.claim(entry.article_id, run_id, stage=stage)
        if not claimed:
            status = ledger.status(entry.article_id).get("status", "?")
            self.stream.remove(entry.entry_id)
            return ReplayResult(
                entry, "already_live", f"the article is {status} again: entry removed"
            )
        message = dict(payload, run_id=run_id)
        try:
            if stage == "publish":
                self._carry_deliveries(entry.article_id, entry.run_id or None, run_id)
            with map_redis_errors(f"sending {task}"):
                self.enqueuer.celery.send_task(
                    task,
                    args=[message],
                    queue=names.TASK_QUEUES[task],
                    priority=self.enqueuer.priority,
                )
        except Exception:
            ledger.unclaim(entry.article_id, run_id)
            raise
        self.stream.remove(entry.entry_id)
        return ReplayResult(
            entry, "replayed", f"{stage} → {task} (failed after {entry.attempts} attempt(s))"
        )

    @staticmethod
    def _message_problem(stage: str, payload: dict[str, Any]) -> str | None:
        try:
            STAGE_MESSAGES[stage].model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "message"
            return (
                f"the stored message is not a valid {STAGE_MESSAGES[stage].__name__} "
                f"({first['msg']} at {where}): it would fail again; not sent"
            )
        return None

    def _carry_deliveries(self, article_id: str, old_run: str | None, new_run: str) -> None:
        """Sinks that took the record before the publish failed are skipped on replay too."""
        source = names.delivered_key(article_id, old_run)
        target = names.delivered_key(article_id, new_run)
        with map_redis_errors("carrying the delivery log over"):
            if self.enqueuer.redis.exists(source):
                self.enqueuer.redis.copy(source, target, replace=True)

    # -- an enqueue-time reject, checked again ---------------------------------------------------

    def _recheck(self, entry: DeadLetter) -> ReplayResult:
        payload = entry.payload or {}
        found = self._input_again(entry, payload)
        if isinstance(found, ReplayResult):
            return found
        raw, content_type = found
        try:
            self.enqueuer.check(raw)
        except InvalidArticle as exc:
            return _refused_again(entry, exc.reason, exc.message)
        return self._submit_again(entry, payload, raw, content_type)

    def _input_again(
        self, entry: DeadLetter, payload: dict[str, Any]
    ) -> tuple[bytes, Any] | ReplayResult:
        """The rejected bytes: kept in the entry, else read again from the source path."""
        kept = payload.get("body_b64")
        if isinstance(kept, str):
            try:
                return base64.b64decode(kept, validate=True), payload.get("content_type")
            except (binascii.Error, ValueError):
                pass
        size = payload.get("size")
        limit = self.enqueuer.settings.max_article_bytes
        if isinstance(size, int) and size > limit:
            return _refused_again(
                entry,
                ArticleTooLarge.reason,
                f"the article was {size:,} bytes, still over the {limit:,}-byte limit "
                "(NEWSFLOW_MAX_ARTICLE_BYTES)",
            )
        if not entry.source or "://" in entry.source:
            return ReplayResult(
                entry,
                "not_replayable",
                "the rejected bytes were not kept and there is no file to read again: "
                "submit the article again from its source",
            )
        item = reread(entry.source, max_bytes=limit)
        if item is None:
            return ReplayResult(
                entry,
                "not_replayable",
                f"{entry.source} is no longer there (run replay from the folder the backfill "
                "ran in): submit the article again from its source",
            )
        if isinstance(item, RefusedItem):
            return _refused_again(entry, item.reason, item.error)
        return item.raw, item.content_type

    def _submit_again(
        self, entry: DeadLetter, payload: dict[str, Any], raw: bytes, content_type: Any
    ) -> ReplayResult:
        if self.dry_run:
            return ReplayResult(entry, "would_replay", "the input passes its checks now")
        source = _source_model(payload, entry.source)
        metadata = None
        if isinstance(payload.get("metadata"), dict):
            try:
                metadata = ArticleMetadata.model_validate(payload["metadata"])
            except ValidationError:
                metadata = None
        sinks = payload.get("sinks") if isinstance(payload.get("sinks"), list) else None
        result = self.enqueuer.submit(
            raw,
            source,
            metadata=metadata,
            content_type=content_type if isinstance(content_type, str) else None,  # type: ignore[arg-type]
            sinks=sinks,
        )
        changed = "" if result.article_id == entry.article_id else " (the input changed: new id)"
        if result.status == "failed":  # cannot happen after a passing check, but never lost
            return ReplayResult(entry, "refused", result.reason or "rejected", result.article_id)
        self.stream.remove(entry.entry_id)
        if result.status == "duplicate":
            return ReplayResult(entry, "already_live", f"already processed{changed}: entry removed")
        return ReplayResult(
            entry, "replayed", f"enqueue → {names.TASK_CLEAN}{changed}", result.article_id
        )


def _refused_again(entry: DeadLetter, reason: str, error: str) -> ReplayResult:
    same = "same reason" if reason == entry.reason else f"was {entry.reason}"
    return ReplayResult(
        entry,
        "refused",
        f"{reason} ({same}): {error} — the input is still bad; entry kept",
    )


def _source_model(payload: dict[str, Any], path: str) -> Source:
    data = payload.get("source")
    if isinstance(data, dict):
        try:
            return Source.model_validate(data)
        except ValidationError:
            pass
    return Source(kind=SourceKind.BACKFILL, path=path or None)


def top_file(label: str) -> Path:
    """The file on disk behind a backfill label (`a.zip!/b.txt`, `a.jsonl:17`, `a.txt`)."""
    head = label.split("!/", 1)[0]
    if "!/" not in label and not Path(head).exists():
        stripped = re.sub(r":\d+$", "", head)
        if stripped != head:
            return Path(stripped)
    return Path(head)


def reread(label: str, *, max_bytes: int) -> InputItem | RefusedItem | None:
    """The item at backfill label `label`, read again by the backfill's own reader."""
    top = top_file(label)
    if not top.is_file():
        return None
    for item in InputReader([str(top)], max_bytes=max_bytes):
        if item.path == label:
            return item
    return None
