"""`newsflow watch INBOX`: a long-running service that queues the files dropped into a folder.

One file's way through (folders in `producers/inbox.py`):

 1. **Seen** by a poll (`os.scandir`). Taken only when complete: never a hidden or
    `*.part`/`*.tmp`-style name, and unchanged (size, mtime, inode) for `settle` seconds.
 2. **Claimed**: its name goes into the intent file, then it is renamed into `processing/`.
 3. **Submitted** through `Enqueuer.submit`, the one enqueue path; the intent is cleared.
 4. **Settled** from the ledger, polled in pipelined batches: `published` (or a duplicate
    of a published article) → `done/`; `failed` (rejected at enqueue, or dead-lettered by a
    worker) → `failed/` with `<name>.reason` taken from the dead-letter entry.

Crash safety. A restart first re-reads `processing/`: every file there was submitted, and the
ledger dedupes by content id, so it simply waits for its state again (or resubmits when the
ledger forgot it). Only the file named by the intent can be half-submitted (ledger claimed,
task never sent); it is resubmitted unless its task is found in the broker
(`producers/broker_probe.py`). So no file is lost and none is sent twice.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import structlog

from producers.broker_probe import task_in_broker
from producers.enqueue import Enqueuer, new_run_id
from producers.inbox import Inbox, Intent, SettleTracker, content_type_of, unique_name
from schemas import names
from schemas.article import Source, SourceKind, article_id_for
from schemas.errors import BrokerUnavailable
from schemas.redis_errors import map_redis_errors
from schemas.settings import Settings

log = structlog.get_logger(__name__)

T = TypeVar("T")

_LEDGER_BATCH = 500
# A dead-letter entry is written just before the ledger's `updated_at`; stream ids are
# Redis-server milliseconds, so look this far either side (clock skew between hosts).
_DEAD_LETTER_WINDOW_MS = 10_000
_MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class WatchOptions:
    """How the watcher polls and when it stops."""

    poll_seconds: float = 0.5
    settle_seconds: float = 2.0
    max_in_flight: int = 1000
    once: bool = False
    sinks: list[str] | None = None


@dataclass
class WatchCounts:
    """What one watcher process did."""

    claimed: int = 0
    recovered: int = 0
    resubmitted: int = 0
    done: int = 0
    failed: int = 0

    def summary(self) -> str:
        """The line printed when the watcher stops."""
        return (
            f"claimed {self.claimed}, recovered {self.recovered}, "
            f"resubmitted {self.resubmitted}, done {self.done}, failed {self.failed}"
        )


class Watcher:
    """Polls one inbox, claims settled files, submits them, and files them by outcome."""

    def __init__(self, inbox: Inbox, enqueuer: Enqueuer, options: WatchOptions) -> None:
        self.inbox = inbox
        self.enqueuer = enqueuer
        self.options = options
        self.tracker = SettleTracker(options.settle_seconds)
        self.pending: dict[str, str] = {}  # name in processing/ → article id
        self.counts = WatchCounts()
        self._stop = threading.Event()
        self._doubt: Intent | None = None  # a submit that may have half-happened

    def stop(self) -> None:
        """Ask the loop to stop after the file in hand (safe from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    def run(self) -> WatchCounts:
        """Recover, then poll until stopped (or, with `once`, until the inbox is drained)."""
        log.info(
            "watcher_started",
            inbox=str(self.inbox.root),
            run_id=self.enqueuer.run_id,
            **asdict(self.options),
        )
        recovered = False
        backoff = self.options.poll_seconds
        while not self.stopping:
            wait = self.options.poll_seconds
            try:
                if not recovered:
                    self.recover()
                    recovered = True
                if self._doubt is not None:
                    self.resolve(self._doubt)
                self.settle_pending()
                waiting = self.claim_ready()
                if self.options.once and not waiting and not self.pending:
                    break
                backoff = self.options.poll_seconds
            except BrokerUnavailable as exc:
                log.warning("redis_unavailable", error=exc.message, retry_in=backoff)
                wait, backoff = backoff, min(backoff * 2, _MAX_BACKOFF_SECONDS)
            except OSError as exc:  # disk full, permissions: keep the service up, retry later
                log.error("inbox_unusable", error=str(exc), retry_in=backoff)
                wait, backoff = backoff, min(backoff * 2, _MAX_BACKOFF_SECONDS)
            self._stop.wait(wait)
        self._close_run()
        log.info("watcher_stopped", in_processing=len(self.pending), **asdict(self.counts))
        return self.counts

    # -- 1, 2, 3: seeing, claiming and submitting ------------------------------------------

    def claim_ready(self) -> int:
        """Claim the settled files, oldest first; returns how many candidates still wait."""
        now_monotonic, now_wall = time.monotonic(), time.time()
        seen: set[str] = set()
        ready = []
        for entry in self.inbox.scan():
            seen.add(entry.name)
            if self.tracker.observe(entry.name, entry.signature, now_monotonic, now_wall):
                ready.append(entry)
        self.tracker.keep_only(seen)
        ready.sort(key=lambda e: (e.signature.mtime_ns, e.name))
        room = max(self.options.max_in_flight - len(self.pending), 0)
        claimed = 0
        for entry in ready[:room]:
            if self.stopping:
                break
            claimed += self.claim(entry.name)
        return len(seen) - claimed

    def claim(self, name: str) -> bool:
        """Move one inbox file into `processing/` and submit it; False when it vanished."""
        as_name = unique_name(self.inbox.processing, name)
        self._begin_doubt(Intent(name=as_name, run_id=self.enqueuer.run_id))
        try:
            self.inbox.claim(name, as_name)
        except OSError as exc:  # vanished (deleted or renamed away), or not ours to move
            self._end_doubt()
            if not isinstance(exc, FileNotFoundError):
                log.warning("file_unclaimable", file=name, error=str(exc))
            return False
        self.counts.claimed += 1
        self.submit(as_name, origin=self.inbox.root / name)
        self._end_doubt()
        return True

    def resubmit(self, name: str) -> None:
        """Submit a file of `processing/` again, under the same intent protection as a claim."""
        self.counts.resubmitted += 1
        self._begin_doubt(Intent(name=name, run_id=self.enqueuer.run_id))
        self.submit(name)
        self._end_doubt()

    def _begin_doubt(self, intent: Intent) -> None:
        # The intent is on disk (and in memory) until submit returned: if we die, or Redis
        # fails in between, `resolve` later decides whether the task went out.
        self._doubt = intent
        self.inbox.write_intent(intent)

    def _end_doubt(self) -> None:
        self._doubt = None
        self.inbox.clear_intent()

    def submit(self, name: str, origin: Path | None = None) -> None:
        """Send one file of `processing/` through the enqueue path; it then waits in pending."""
        path = self.inbox.processing / name
        flog = log.bind(file=name)
        try:
            size = path.stat().st_size
            if size > self.enqueuer.settings.max_article_bytes:
                # Refused before reading: the watcher never holds an oversized file in memory.
                self._fail_here(
                    name,
                    _sha256_of_file(path),
                    "too_large",
                    f"the file is {size:,} bytes, over the "
                    f"{self.enqueuer.settings.max_article_bytes:,}-byte limit "
                    "(NEWSFLOW_MAX_ARTICLE_BYTES): split it or raise the limit",
                )
                return
            raw = path.read_bytes()
        except OSError as exc:
            self._fail_here(name, "", "unreadable", f"cannot read the file ({exc}): fix its mode")
            return
        try:
            result = self.enqueuer.submit(
                raw,
                Source(kind=SourceKind.WATCH, path=str(origin or self.inbox.root / name)),
                content_type=content_type_of(name),
                sinks=self.options.sinks,
            )
        except BrokerUnavailable:
            raise
        except Exception as exc:  # a bug must not stop the inbox: file it with the reason
            flog.exception("file_submit_crashed")
            article_id = article_id_for(raw)
            if self._claim_stands(article_id, self.enqueuer.run_id):
                self.pending[name] = article_id  # the task went out after all
                return
            self._fail_here(name, article_id, "unexpected_error", f"{type(exc).__name__}: {exc}")
            return
        self.pending[name] = result.article_id
        flog.info("file_submitted", article_id=result.article_id, status=result.status)

    # -- 4: settling from the ledger ------------------------------------------------------

    def settle_pending(self) -> None:
        """Move every pending file whose article reached a final state."""
        for chunk in _batches(list(self.pending.items()), _LEDGER_BATCH):
            with map_redis_errors("reading article states"):
                pipe = self.enqueuer.redis.pipeline(transaction=False)
                for _, article_id in chunk:
                    pipe.hmget(
                        names.article_key(article_id), "status", "reason", "stage", "updated_at"
                    )
                rows = pipe.execute()
            for (name, article_id), row in zip(chunk, rows, strict=True):
                status, reason, stage, updated_at = (_text(v) for v in row)
                if status == "published":
                    self._done(name, article_id)
                elif status == "failed":
                    self._failed(name, article_id, reason, stage, updated_at)
                elif status is None:
                    # The ledger forgot it (TTL, or a flushed Redis): submitting again is safe.
                    log.warning("ledger_entry_missing", file=name, article_id=article_id)
                    del self.pending[name]
                    self.resubmit(name)

    def _done(self, name: str, article_id: str) -> None:
        try:
            final = self.inbox.to_done(name)
        except FileNotFoundError:
            self._vanished(name, article_id)
            return
        del self.pending[name]
        self.counts.done += 1
        log.info("file_done", file=name, article_id=article_id, moved_to=f"done/{final}")

    def _failed(
        self,
        name: str,
        article_id: str,
        reason: str | None,
        stage: str | None,
        updated_at: str | None,
    ) -> None:
        entry_id, entry = self._dead_letter_entry(article_id, updated_at)
        self._file_failure(
            name,
            {
                "file": name,
                "article_id": article_id,
                "reason": reason or entry.get("reason") or "failed",
                "stage": stage or entry.get("stage") or "",
                "error": entry.get("error")
                or "dead-lettered; no matching entry in the dead-letter stream",
                "dead_letter_id": entry_id,
                "failed_at": _iso(entry.get("failed_at") or updated_at),
            },
        )

    def _fail_here(self, name: str, article_id: str, reason: str, error: str) -> None:
        """A failure found by the watcher itself, before anything reached Redis."""
        self._file_failure(
            name,
            {
                "file": name,
                "article_id": article_id,
                "reason": reason,
                "stage": "watch",
                "error": error,
                "dead_letter_id": None,
                "failed_at": _iso(None),
            },
        )

    def _file_failure(self, name: str, reason: dict[str, Any]) -> None:
        try:
            final = self.inbox.to_failed(name, reason)
        except FileNotFoundError:
            self._vanished(name, reason["article_id"])
            return
        self.pending.pop(name, None)
        self.counts.failed += 1
        log.warning(
            "file_failed",
            file=name,
            article_id=reason["article_id"],
            reason=reason["reason"],
            stage=reason["stage"],
            error=reason["error"],
            moved_to=f"failed/{final}",
        )

    def _vanished(self, name: str, article_id: str) -> None:
        # Someone took the file out of processing/ by hand: nothing left to file.
        self.pending.pop(name, None)
        log.warning("file_vanished", file=name, article_id=article_id)

    def _dead_letter_entry(
        self, article_id: str, updated_at: str | None
    ) -> tuple[str | None, dict[str, str]]:
        """The newest dead-letter entry of the article near the time the ledger settled it."""
        try:
            at_ms = int(float(updated_at or "") * 1000)
        except ValueError:
            return None, {}
        start, end = at_ms - _DEAD_LETTER_WINDOW_MS, at_ms + _DEAD_LETTER_WINDOW_MS
        found: tuple[str | None, dict[str, str]] = (None, {})
        lower = f"{start}-0"
        with map_redis_errors("reading the dead-letter stream"):
            while True:
                rows = cast(
                    list[tuple[bytes, dict[bytes, bytes]]],
                    self.enqueuer.redis.xrange(
                        names.DEAD_LETTER_STREAM, min=lower, max=f"{end}-0", count=200
                    ),
                )
                for entry_id, fields in rows:
                    if _text(fields.get(b"article_id")) == article_id:
                        found = (
                            _text(entry_id),
                            {_text(k) or "": _text(v) or "" for k, v in fields.items()},
                        )
                if len(rows) < 200:
                    return found
                lower = f"({_text(rows[-1][0])}"

    # -- crash recovery -------------------------------------------------------------------

    def recover(self) -> None:
        """Take back what a previous run left in `processing/`."""
        intent = self.inbox.read_intent()
        for name in self.inbox.in_processing():
            if intent is not None and name == intent.name:
                continue
            try:
                self.pending[name] = _sha256_of_file(self.inbox.processing / name)
            except OSError as exc:
                self._fail_here(name, "", "unreadable", f"cannot read the file ({exc})")
                continue
            self.counts.recovered += 1
        self._doubt = intent
        log.info(
            "watcher_recovered",
            pending=len(self.pending),
            in_doubt=intent.name if intent else None,
        )

    def resolve(self, intent: Intent) -> None:
        """Finish the one submit that may have half-happened: claimed but maybe never sent."""
        path = self.inbox.processing / intent.name
        if not path.exists():  # died before the rename, or the file was filed already
            self._end_doubt()
            return
        article_id = _sha256_of_file(path)
        ours = self._claim_stands(article_id, intent.run_id)
        log.info(
            "doubt_resolved",
            file=intent.name,
            article_id=article_id,
            outcome="task_was_sent" if ours else "submitting_again",
        )
        if ours:  # our claim stands and its task went out: wait for it like any other
            self.pending[intent.name] = article_id
            self.counts.recovered += 1
            self._end_doubt()
            return
        self.resubmit(intent.name)

    def _claim_stands(self, article_id: str, run_id: str) -> bool:
        """True when `run_id` claimed the article and its task went out; a claim whose task
        never went out is undone (so a resubmit is not taken for a duplicate)."""
        with map_redis_errors("checking a half-finished submit"):
            entry = self.enqueuer.ledger.status(article_id)
        if entry.get("run_id") != run_id:
            return False
        if entry.get("status") != "queued" or self._task_was_sent(article_id):
            return True
        with map_redis_errors("undoing a claim whose task was never sent"):
            self.enqueuer.ledger.unclaim(article_id, run_id)
        log.warning("claim_undone", article_id=article_id, run_id=run_id)
        return False

    def _task_was_sent(self, article_id: str) -> bool:
        # Twice, a second apart: a worker holds a message briefly between taking it off the
        # list and recording it as unacknowledged, and only then marks the article started.
        for attempt in range(2):
            with map_redis_errors("looking for the task in the broker"):
                if task_in_broker(self.enqueuer.redis, article_id):
                    return True
                if self.enqueuer.ledger.status(article_id).get("status") != "queued":
                    return True
            if attempt == 0:
                time.sleep(1.0)
        return False

    def _close_run(self) -> None:
        try:
            self.enqueuer.finish()
        except BrokerUnavailable as exc:
            log.warning("run_not_closed", error=exc.message)


def _sha256_of_file(path: Path) -> str:
    """The article id of a file, read in chunks (same as `article_id_for(read_bytes())`)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _iso(epoch: str | None) -> str:
    try:
        moment = datetime.fromtimestamp(float(epoch or ""), UTC)
    except ValueError:
        moment = datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def options_from(args: argparse.Namespace, settings: Settings) -> WatchOptions:
    """CLI flags over `NEWSFLOW_WATCH_*` settings."""
    return WatchOptions(
        poll_seconds=args.poll if args.poll is not None else settings.watch_poll_seconds,
        settle_seconds=args.settle if args.settle is not None else settings.watch_settle_seconds,
        max_in_flight=(
            args.max_in_flight if args.max_in_flight is not None else settings.watch_max_in_flight
        ),
        once=args.once,
        sinks=args.sink,
    )


def main(args: argparse.Namespace) -> int:
    """`newsflow watch`: 0 when stopped or drained; 1 when `--once` filed failures; 2 on misuse."""
    from schemas.logging import configure_logging
    from schemas.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    inbox = Inbox(Path(args.inbox))
    try:
        inbox.prepare()
        inbox.lock()
    except FileNotFoundError as exc:
        print(f"newsflow watch: {exc}", file=sys.stderr)
        return 2
    except BlockingIOError:
        print(
            f"newsflow watch: another watcher holds {inbox.root}: one watcher per inbox",
            file=sys.stderr,
        )
        return 2
    options = options_from(args, settings)
    watcher = Watcher(inbox, Enqueuer(settings, new_run_id("watch")), options)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: watcher.stop())
    try:
        counts = watcher.run()
    finally:
        inbox.unlock()
    print(counts.summary())
    return 1 if options.once and counts.failed and not watcher.stopping else 0
