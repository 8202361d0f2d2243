"""`newsflow`: the one console script.

Producer commands run here. Worker-side commands (`worker`, `process`) exec into
`python -m workers`, so this front door never imports spaCy or the stage code and starts fast.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from importlib.metadata import version

from producers.cli_args import add_dlq_arguments, add_status_arguments
from producers.config_command import add_config_arguments, settings_ok

WORKER_COMMANDS = ("worker", "process", "events", "db")


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the producer-side commands (worker-side ones are listed for --help)."""
    parser = argparse.ArgumentParser(
        prog="newsflow",
        description="Raw news articles in, structured entity and event records out.",
    )
    parser.add_argument("--version", action="version", version=f"newsflow {version('newsflow')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    backfill = sub.add_parser(
        "backfill",
        help="queue files, folders, globs, JSON Lines, .gz, .tar(.gz) and .zip archives",
    )
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
    backfill.add_argument(
        "--since",
        default=None,
        metavar="DATE",
        help="skip articles published (envelope published_at, else file time) before DATE",
    )
    backfill.add_argument(
        "--rate", type=float, default=None, metavar="N", help="send at most N articles a second"
    )
    backfill.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check everything, print what would be queued, send nothing",
    )
    backfill.add_argument(
        "--resume", action="store_true", help="skip articles already published (a restarted job)"
    )
    backfill.add_argument(
        "--force-version",
        action="store_true",
        help="with --resume: process again the published articles whose record came from "
        "another pipeline or model version than the installed one (after an upgrade)",
    )
    backfill.add_argument(
        "--batch",
        type=int,
        default=None,
        metavar="N",
        help="articles per queue message, parsed together by the model (default "
        "NEWSFLOW_BACKFILL_BATCH_SIZE; 1: one by one); with --rate, at most a second's worth",
    )
    backfill.add_argument(
        "--priority",
        choices=("low", "normal"),
        default="low",
        help="low (default): behind live webhook/watcher traffic on every queue; "
        "normal: in line with it",
    )

    # -- `newsflow serve` (webhook) parser: below this line --
    serve = sub.add_parser("serve", help="run the webhook API (FastAPI on uvicorn)")
    serve.add_argument(
        "--host", default=None, metavar="H", help="bind address (default NEWSFLOW_WEBHOOK_HOST)"
    )
    serve.add_argument(
        "--port", type=int, default=None, metavar="P", help="port (default NEWSFLOW_WEBHOOK_PORT)"
    )

    # -- `newsflow watch` (inbox watcher) parser: below this line --
    watch = sub.add_parser(
        "watch", help="queue the files dropped into a folder (a long-running service)"
    )
    watch.add_argument("inbox", metavar="INBOX", help="folder to watch (must exist)")
    watch.add_argument(
        "--poll", type=float, default=None, metavar="SECONDS", help="scan interval (default 0.5)"
    )
    watch.add_argument(
        "--settle",
        type=float,
        default=None,
        metavar="SECONDS",
        help="take a file once unchanged this long (default 2; 0 if writers rename into place)",
    )
    watch.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        metavar="N",
        help="files kept in processing/ at most (default 1000)",
    )
    watch.add_argument(
        "--once", action="store_true", help="drain the inbox, wait for the outcomes, and exit"
    )
    watch.add_argument(
        "--sink",
        action="append",
        default=None,
        metavar="URL",
        help="sink URL for these articles (repeatable); default NEWSFLOW_SINKS",
    )

    # -- `newsflow dlq` and `newsflow status` (dead letters, accounting) parsers: below --
    dlq = sub.add_parser("dlq", help="list, show, replay and purge the dead-letter stream")
    add_dlq_arguments(dlq)
    status = sub.add_parser("status", help="queues, in-flight, totals, dead letters, a run")
    add_status_arguments(status)

    # -- `newsflow config` (effective settings, secrets masked) parser: below this line --
    add_config_arguments(sub.add_parser("config", help="show the effective settings"))

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
    sub.add_parser(
        "db", help="`newsflow db migrate|status [--url URL]`: the PostgreSQL tables", add_help=False
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `newsflow` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in WORKER_COMMANDS:
        # Replace this process: signals (SIGTERM for a warm shutdown) reach the worker directly.
        os.execv(sys.executable, [sys.executable, "-m", "workers", *argv])
    args = build_parser().parse_args(argv)
    # Every setting is validated before any command: one line per bad variable, exit 2.
    if not settings_ok(f"newsflow {args.command}"):
        return 2
    if args.command == "backfill":
        return _backfill(args)
    # -- dispatch of `serve`: below this line --
    if args.command == "serve":
        from producers.webhook.serve import serve

        return serve(host=args.host, port=args.port)

    # -- dispatch of `dlq` and `status`: below this line --
    if args.command == "dlq":
        from producers.dlq_command import main as dlq_main

        return dlq_main(args)
    if args.command == "status":
        from producers.status_command import main as status_main

        return status_main(args)

    # -- dispatch of `config`: below this line --
    if args.command == "config":
        from producers.config_command import main as config_main

        return config_main(args)

    # -- dispatch of `watch`: below this line --
    if args.command == "watch":
        from producers.watch import main as watch_main

        return watch_main(args)

    return 2


def _backfill(args: argparse.Namespace) -> int:
    from rich.console import Console

    from producers.backfill import (
        MAX_BATCH,
        Backfill,
        BackfillOptions,
        backfill_inputs,
        batch_size,
        parse_since,
        wait_for_run,
    )
    from producers.enqueue import Enqueuer, new_run_id
    from producers.recover import LostArticleRecovery
    from producers.sources import InputReader
    from schemas import names
    from schemas.errors import BrokerUnavailable
    from schemas.logging import configure_logging
    from schemas.settings import get_settings

    try:
        since = parse_since(args.since) if args.since else None
        if args.rate is not None and args.rate <= 0:
            raise ValueError(f"--rate must be above 0 articles a second, not {args.rate}")
        if args.batch is not None and not 1 <= args.batch <= MAX_BATCH:
            raise ValueError(f"--batch must be between 1 and {MAX_BATCH}, not {args.batch}")
        if args.force_version and not args.resume:
            raise ValueError("--force-version goes with --resume (it re-checks published articles)")
    except ValueError as exc:
        print(f"newsflow backfill: {exc}", file=sys.stderr)
        return 2
    settings = get_settings()
    configure_logging(
        "WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_format
    )
    console = Console(stderr=True)
    priority = names.PRIORITY_BACKFILL if args.priority == "low" else names.PRIORITY_LIVE
    enqueuer = Enqueuer(
        settings,
        new_run_id("backfill"),
        priority=priority,
        outage_seconds=settings.redis_outage_seconds,  # a batch rides out a Redis restart
        batch_size=batch_size(args.batch or settings.backfill_batch_size, args.rate),
    )
    options = BackfillOptions(
        sinks=args.sink,
        force=args.force,
        since=since,
        dry_run=args.dry_run,
        resume=args.resume,
        rate=args.rate,
        force_version=args.force_version,
    )
    reader = InputReader(args.paths, max_bytes=settings.max_article_bytes)
    # SIGTERM as an exception, so a stopped job unclaims the batch it had not sent yet.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        backfill = Backfill(enqueuer, options)
        tally = backfill_inputs(backfill, reader, console)
        for line in tally.refusal_lines():
            print(line, file=sys.stderr)
        notes = (tally.skipped_line(since), tally.outdated_line(backfill.current))
        skipped = "\n".join(note for note in notes if note) or None
        if args.dry_run:
            print(
                f"dry run: would queue {tally.queued}, duplicates {tally.duplicates}, "
                f"rejected {tally.rejected}; nothing was sent ({tally.seconds:.1f} s)"
            )
            if skipped:
                print(skipped)
            return 0
        counts = enqueuer.ledger.run(enqueuer.run_id)
        print(
            f"run {enqueuer.run_id}: queued {counts.queued}, "
            f"duplicates {counts.duplicates}, rejected {counts.failed} "
            f"({tally.seconds:.1f} s, {tally.rate:.0f} articles/s)"
        )
        if skipped:
            print(skipped)
        if not args.wait:
            return 0
        # A message the broker lost (Redis restarted mid-delivery) is sent again from the input.
        recovery = LostArticleRecovery(enqueuer, args.paths, sinks=args.sink, force=args.force)
        counts = wait_for_run(enqueuer, console, timeout_seconds=args.timeout, on_stall=recovery)
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
