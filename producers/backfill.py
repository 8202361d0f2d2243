"""`newsflow backfill`: stream files, folders and globs onto the queue; optionally wait."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import structlog
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from producers.enqueue import Enqueuer
from schemas.article import Source, SourceKind
from schemas.inputs import content_type_for
from schemas.ledger import RunCounts

log = structlog.get_logger(__name__)


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} articles"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def enqueue_files(
    enqueuer: Enqueuer,
    files: Iterable[Path],
    *,
    sinks: list[str] | None,
    force: bool,
    console: Console,
) -> None:
    """Submit every file as it is found (never the whole list in memory)."""
    with _progress(console) as progress:
        task = progress.add_task("queueing", total=None, detail="")
        queued = duplicates = failed = 0
        for path in files:
            result = enqueuer.submit(
                path.read_bytes(),
                Source(kind=SourceKind.BACKFILL, path=str(path)),
                content_type=content_type_for(path),
                sinks=sinks,
                force=force,
            )
            queued += result.status == "queued"
            duplicates += result.status == "duplicate"
            failed += result.status == "failed"
            progress.update(
                task,
                advance=1,
                detail=f"queued {queued}, duplicates {duplicates}, rejected {failed}",
            )
    enqueuer.finish()


def wait_for_run(
    enqueuer: Enqueuer,
    console: Console,
    *,
    poll_seconds: float = 0.25,
    timeout_seconds: float | None = None,
) -> RunCounts:
    """Block until every queued article of the run is published or dead-lettered."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    with _progress(console) as progress:
        counts = enqueuer.ledger.run(enqueuer.run_id)
        task = progress.add_task("processing", total=counts.queued, detail="")
        while True:
            counts = enqueuer.ledger.run(enqueuer.run_id)
            progress.update(
                task,
                completed=counts.settled,
                total=counts.queued,
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
