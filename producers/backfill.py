"""`newsflow backfill`: stream articles from files, folders, globs, JSON Lines and archives.

    InputReader ─► refused? ─► dead-letter it, counted as failed (dry run: counted only)
                ─► older than --since? ─► skipped (by published_at, else by file time)
                ─► published already and --resume? ─► skipped, no claim, no token spent
                   (--force-version: unless another pipeline version made it: re-queued)
                ─► --rate token ─► Enqueuer.submit (dry run: Enqueuer.preview)

One article in memory at a time, whatever the size of the inputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

import structlog
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from producers.enqueue import Enqueuer, SubmitResult
from producers.ratelimit import TokenBucket
from producers.sources import InputItem, InputReader, Item, RefusedItem, envelope_published_at
from schemas.article import Source, SourceKind, article_id_for
from schemas.ledger import RunCounts
from schemas.pipeline_version import PipelineStamp, current_stamp, stamp_of
from schemas.redis_errors import map_redis_errors

log = structlog.get_logger(__name__)

OlderBy = Literal["published_at", "mtime"]
MAX_LISTED_REFUSALS = 20  # the rest are counted, and all are in the dead-letter stream
MAX_BATCH = 64  # articles per clean_batch message (NEWSFLOW_BACKFILL_BATCH_SIZE's bound)


def batch_size(wanted: int, rate: float | None) -> int:
    """Articles per message: with --rate, no more than a second's worth, so a slow job's
    articles never wait long for their batch to fill."""
    if rate is None:
        return wanted
    return max(1, min(wanted, int(rate)))


@dataclass(frozen=True)
class BackfillOptions:
    """What one backfill run does with the articles it finds."""

    sinks: list[str] | None = None
    force: bool = False
    since: datetime | None = None
    dry_run: bool = False
    resume: bool = False
    rate: float | None = None
    # With resume: process again what a different pipeline/model version published.
    force_version: bool = False


@dataclass
class BackfillTally:
    """The producer's own books of one run (the ledger keeps the workers' side)."""

    queued: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped_published: int = 0
    outdated: int = 0  # published by another pipeline version, queued again (--force-version)
    older_by_published_at: int = 0
    older_by_mtime: int = 0
    seconds: float = 0.0
    refusals: list[str] = field(default_factory=list)  # the first few, for the terminal

    @property
    def seen(self) -> int:
        """Every item found in the inputs."""
        return (
            self.queued
            + self.duplicates
            + self.rejected
            + self.skipped_published
            + self.older_by_published_at
            + self.older_by_mtime
        )

    @property
    def rate(self) -> float:
        """Articles queued per second of producing."""
        return self.queued / self.seconds if self.seconds > 0 else 0.0

    def detail(self) -> str:
        """The progress bar's running counts."""
        skipped = self.skipped_published + self.older_by_published_at + self.older_by_mtime
        text = f"queued {self.queued}, duplicates {self.duplicates}, rejected {self.rejected}"
        return f"{text}, skipped {skipped}" if skipped else text

    def skipped_line(self, since: datetime | None) -> str | None:
        """Why articles were skipped, or None when none was."""
        parts = []
        if self.skipped_published:
            parts.append(f"{self.skipped_published} already published (--resume)")
        older = self.older_by_published_at + self.older_by_mtime
        if older and since is not None:
            parts.append(
                f"{older} older than {since.isoformat()} ({self.older_by_published_at} by "
                f"published_at, {self.older_by_mtime} by file time)"
            )
        return f"skipped {', '.join(parts)}" if parts else None

    def outdated_line(self, current: PipelineStamp | None) -> str | None:
        """--force-version: how many published articles were queued again, and for what."""
        if current is None:
            return None
        return (
            f"re-queued {self.outdated} published by another pipeline version "
            f"(now {current}) (--force-version)"
        )

    def refusal_lines(self) -> list[str]:
        """The rejected items to show on the terminal: the first few, then how many more."""
        lines = [f"rejected: {line}" for line in self.refusals]
        if self.rejected > len(self.refusals):
            more = self.rejected - len(self.refusals)
            lines.append(f"rejected: … and {more} more")
        return lines

    def note_refusal(self, path: str, why: str) -> None:
        """Count a rejected item; keep its line if the list is still short."""
        self.rejected += 1
        if len(self.refusals) < MAX_LISTED_REFUSALS:
            self.refusals.append(f"{path}: {why}")


def refused_article_id(path: str) -> str:
    """Ledger key of an item refused unread: it has no bytes to hash, so its path stands in."""
    return article_id_for(f"newsflow:refused:{path}".encode())


def parse_since(text: str) -> datetime:
    """`--since` value: an ISO date or datetime; a naive one is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"--since {text!r} is not an ISO date: use e.g. 2024-01-31 or 2024-01-31T12:00:00Z"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def older_than(item: InputItem, since: datetime) -> OlderBy | None:
    """Why the item is older than `since`: its published_at if it has one, else its file time."""
    published = item.published_at
    if published is None and item.content_type in (None, "application/json"):
        published = envelope_published_at(item.raw)
    if published is not None:
        return "published_at" if _as_utc(published) < since else None
    if item.modified_at is not None and item.modified_at < since:
        return "mtime"
    return None


def _as_utc(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Backfill:
    """One backfill run: the filters, the limiter and the books around `Enqueuer.submit`."""

    def __init__(
        self,
        enqueuer: Enqueuer,
        options: BackfillOptions,
        *,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.enqueuer = enqueuer
        self.options = options
        self.bucket = bucket or (TokenBucket(options.rate) if options.rate else None)
        self.tally = BackfillTally()
        self.current: PipelineStamp | None = None
        if options.force_version:
            self.current = current_stamp(enqueuer.settings.spacy_model)

    def run(self, items: Iterable[Item]) -> BackfillTally:
        """Handle every item; tell the ledger the run is complete (unless a dry run)."""
        started = time.perf_counter()
        try:
            for item in items:
                self.handle(item)
        except BaseException:  # Ctrl-C, SIGTERM, a read error: nothing left claimed but unsent
            self.enqueuer.discard_pending()
            raise
        self.tally.seconds = time.perf_counter() - started
        if not self.options.dry_run:
            self.enqueuer.finish()
        return self.tally

    def handle(self, item: Item) -> None:
        """One item through the filters to the queue (or to the dead-letter stream)."""
        if isinstance(item, RefusedItem):
            self._refuse(item)
            return
        if self.options.since is not None:
            older = older_than(item, self.options.since)
            if older == "published_at":
                self.tally.older_by_published_at += 1
                return
            if older == "mtime":
                self.tally.older_by_mtime += 1
                return
        force = self.options.force
        if self.options.resume:
            entry = self._entry(item.raw)
            if entry.get("status") == "published":
                if not self._outdated(entry):
                    self.tally.skipped_published += 1
                    return
                force = True  # a published article is otherwise a duplicate
                self.tally.outdated += 1
        if self.bucket is not None:
            self.bucket.acquire()
        result = self._submit(item, force=force)
        if result.status != "queued" and self.bucket is not None:
            self.bucket.refund()  # nothing reached the workers
        if result.status == "queued":
            self.tally.queued += 1
        elif result.status == "duplicate":
            self.tally.duplicates += 1
        else:
            self.tally.note_refusal(item.path, result.reason or "rejected")

    def _entry(self, raw: bytes) -> dict[str, str]:
        with map_redis_errors("reading the ledger"):
            return self.enqueuer.ledger.status(article_id_for(raw))

    def _outdated(self, entry: dict[str, str]) -> bool:
        """--force-version: the record came from another pipeline, or from one not noted."""
        return self.current is not None and stamp_of(entry) != self.current

    def _submit(self, item: InputItem, *, force: bool) -> SubmitResult:
        if self.options.dry_run:
            return self.enqueuer.preview(item.raw, force=force)
        return self.enqueuer.submit(
            item.raw,
            Source(kind=SourceKind.BACKFILL, path=item.path),
            content_type=item.content_type,
            sinks=self.options.sinks,
            force=force,
        )

    def _refuse(self, item: RefusedItem) -> None:
        """Dead-letter a refused item with its reason; it counts as failed in the run."""
        log.info("input_refused", path=item.path, reason=item.reason, error=item.error)
        if not self.options.dry_run and not self._dead_letter(item):
            self.tally.duplicates += 1  # the same bad bytes are already on the books
            return
        self.tally.note_refusal(item.path, f"{item.reason}: {item.error}")

    def _dead_letter(self, item: RefusedItem) -> bool:
        article_id = (
            article_id_for(item.raw) if item.raw is not None else refused_article_id(item.path)
        )
        ledger, run_id = self.enqueuer.ledger, self.enqueuer.run_id
        with map_redis_errors("dead-lettering a refused input"):
            if not ledger.claim(article_id, run_id, force=self.options.force):
                return False
            ledger.dead_letter(
                article_id=article_id,
                run_id=run_id,
                stage="enqueue",
                reason=item.reason,
                error=item.error,
                payload={"source": {"kind": SourceKind.BACKFILL.value, "path": item.path}},
            )
        return True


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[articles]} articles ·"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def backfill_inputs(
    backfill: Backfill, reader: InputReader, console: Console, *, refresh_every: int = 25
) -> BackfillTally:
    """Run the backfill over the reader with a progress bar (bytes of the inputs when known)."""
    total = reader.total_bytes
    label = "checking (dry run)" if backfill.options.dry_run else "queueing"

    def counted(progress: Progress, task: TaskID) -> Iterable[Item]:
        n = 0
        for n, item in enumerate(reader, 1):
            yield item
            if n % refresh_every == 0:
                advance(progress, task, n)
        advance(progress, task, n)

    def advance(progress: Progress, task: TaskID, n: int) -> None:
        progress.update(
            task,
            completed=reader.bytes_done if total else n,
            articles=n,
            detail=backfill.tally.detail(),
        )

    with _progress(console) as progress:
        task = progress.add_task(label, total=total, articles=0, detail="")
        return backfill.run(counted(progress, task))


def wait_for_run(
    enqueuer: Enqueuer,
    console: Console,
    *,
    poll_seconds: float = 0.25,
    timeout_seconds: float | None = None,
    on_stall: Callable[[RunCounts], None] | None = None,
    stall_seconds: float = 10.0,
) -> RunCounts:
    """Block until every queued article of the run is published or dead-lettered.

    `on_stall` is called when no article has settled for `stall_seconds` (and again after
    each further such pause): `producers.recover` resends what the broker lost.
    """
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    with _progress(console) as progress:
        counts = enqueuer.ledger.run(enqueuer.run_id)
        task = progress.add_task("processing", total=counts.queued, articles=0, detail="")
        settled, moved_at = -1, time.monotonic()
        while True:
            counts = enqueuer.ledger.run(enqueuer.run_id)
            if counts.settled != settled:
                settled, moved_at = counts.settled, time.monotonic()
            elif on_stall is not None and time.monotonic() - moved_at > stall_seconds:
                on_stall(counts)
                moved_at = time.monotonic()
            progress.update(
                task,
                completed=counts.settled,
                total=counts.queued,
                articles=counts.settled,
                detail=f"published {counts.published}, failed {counts.failed}",
            )
            if counts.drained:
                return counts
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {enqueuer.run_id} not drained after {timeout_seconds}s: "
                    f"{counts.summary()}; are workers running on every queue?"
                )
            time.sleep(poll_seconds)
