"""`newsflow`: the one console script.

Producer commands run here. Worker-side commands (`worker`, `process`) exec into
`python -m workers`, so this front door never imports spaCy or the stage code and starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import version

WORKER_COMMANDS = ("worker", "process", "events")


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the producer-side commands (worker-side ones are listed for --help)."""
    parser = argparse.ArgumentParser(
        prog="newsflow",
        description="Raw news articles in, structured entity and event records out.",
    )
    parser.add_argument("--version", action="version", version=f"newsflow {version('newsflow')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    backfill = sub.add_parser("backfill", help="queue files, folders (recursive) and globs")
    backfill.add_argument("paths", nargs="+", metavar="PATH")
    backfill.add_argument(
        "--sink",
        action="append",
        default=None,
        metavar="URL",
        help="sink URL for these articles (repeatable); default NEWSFLOW_SINKS",
    )
    backfill.add_argument(
        "--wait", action="store_true", help="wait until every article is published or dead-lettered"
    )
    backfill.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --wait: give up after this long (exit 3)",
    )
    backfill.add_argument(
        "--force", action="store_true", help="process articles again even if already processed"
    )

    sub.add_parser(
        "worker", help="start a Celery worker (see `newsflow worker --help`)", add_help=False
    )
    sub.add_parser(
        "process",
        help="run the pipeline in-process, no broker (see `newsflow process --help`)",
        add_help=False,
    )
    sub.add_parser(
        "events", help="`newsflow events merge FILE.jsonl`: events across articles", add_help=False
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `newsflow` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in WORKER_COMMANDS:
        # Replace this process: signals (SIGTERM for a warm shutdown) reach the worker directly.
        os.execv(sys.executable, [sys.executable, "-m", "workers", *argv])
    args = build_parser().parse_args(argv)
    if args.command == "backfill":
        return _backfill(args)
    return 2


def _backfill(args: argparse.Namespace) -> int:
    from rich.console import Console

    from producers.backfill import enqueue_files, wait_for_run
    from producers.enqueue import Enqueuer, new_run_id
    from schemas.errors import BrokerUnavailable
    from schemas.inputs import iter_article_files
    from schemas.logging import configure_logging
    from schemas.settings import get_settings

    settings = get_settings()
    configure_logging(
        "WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_format
    )
    console = Console(stderr=True)
    enqueuer = Enqueuer(settings, new_run_id("backfill"))
    try:
        enqueue_files(
            enqueuer,
            iter_article_files(args.paths),
            sinks=args.sink,
            force=args.force,
            console=console,
        )
        counts = enqueuer.ledger.run(enqueuer.run_id)
        if not args.wait:
            print(
                f"run {enqueuer.run_id}: queued {counts.queued}, "
                f"duplicates {counts.duplicates}, rejected {counts.failed}"
            )
            return 0
        counts = wait_for_run(enqueuer, console, timeout_seconds=args.timeout)
    except FileNotFoundError as exc:
        print(f"newsflow backfill: {exc}", file=sys.stderr)
        return 2
    except BrokerUnavailable as exc:
        print(f"newsflow backfill: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        print(f"newsflow backfill: {exc}", file=sys.stderr)
        return 3
    print(counts.summary())
    return 1 if counts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
