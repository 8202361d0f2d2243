"""Worker-side commands (`newsflow worker`, `process`, `events`, `db`): `python -m workers`.

The `newsflow` front door (producers.cli) execs into this module for these commands, so the
producer side never imports the NLP stack.
"""

from __future__ import annotations

import argparse
import os
import sys

from schemas import names


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the worker-side commands."""
    parser = argparse.ArgumentParser(prog="newsflow")
    sub = parser.add_subparsers(dest="command", required=True)

    worker = sub.add_parser("worker", help="start a Celery worker on one or more stage queues")
    worker.add_argument(
        "--queues",
        "-Q",
        default=",".join(names.ALL_QUEUES),
        help="comma-separated queues (default: all: clean,extract,publish,fetch,callback)",
    )
    worker.add_argument(
        "--concurrency",
        "-c",
        type=int,
        default=None,
        help="worker processes (default: number of cores)",
    )
    worker.add_argument(
        "--sink",
        action="append",
        default=None,
        metavar="URL",
        help="default sink URL (repeatable); overrides NEWSFLOW_SINKS",
    )
    worker.add_argument(
        "--hostname", "-n", default=None, help="node name (default: newsflow-<queues>@<host>)"
    )
    worker.add_argument("--loglevel", "-l", default=None, help="log level (NEWSFLOW_LOG_LEVEL)")

    process = sub.add_parser("process", help="run the pipeline in this process, no broker")
    process.add_argument("paths", nargs="+", help="files, folders (recursive) or globs")
    process.add_argument("--out", required=True, metavar="FILE.jsonl", help="JSON Lines output")
    process.add_argument(
        "--sink", action="append", default=[], metavar="URL", help="extra sink URL (repeatable)"
    )
    events = sub.add_parser("events", help="work with the events of a JSONL output")
    events_sub = events.add_subparsers(dest="action", required=True)
    merge = events_sub.add_parser("merge", help="merge events told by several articles")
    merge.add_argument("path", metavar="FILE.jsonl")
    merge.add_argument("--json", action="store_true", help="one JSON object per event")

    db = sub.add_parser("db", help="the PostgreSQL sink's tables")
    db_sub = db.add_subparsers(dest="action", required=True)
    for action, text in (
        ("migrate", "create or upgrade the tables (safe to run again)"),
        ("status", "list the migrations and when each was applied"),
    ):
        db_action = db_sub.add_parser(action, help=text)
        db_action.add_argument(
            "--url",
            default=None,
            help="postgresql://… (default: the first postgresql:// URL in NEWSFLOW_SINKS)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m workers`: a bad setting is one line and exit 2."""
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    from schemas.settings_view import error_lines, is_settings_error

    try:
        return _run(args)
    except ValidationError as exc:
        if not is_settings_error(exc):
            raise
        for line in error_lines(exc):
            print(f"newsflow {args.command}: {line}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "worker":
        return _worker(args)
    if args.command == "events":
        from pathlib import Path

        from workers.events_merge import main as merge_main

        return merge_main(Path(args.path), args.json)
    if args.command == "db":
        from workers.db_cli import main as db_main

        return db_main(args.action, args.url)
    return _process(args)


def _worker(args: argparse.Namespace) -> int:
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    unknown = sorted(set(queues) - set(names.ALL_QUEUES))
    if unknown:
        print(
            f"newsflow worker: unknown queue(s) {', '.join(unknown)}; "
            f"choose from {', '.join(names.ALL_QUEUES)}",
            file=sys.stderr,
        )
        return 2
    if args.sink:
        os.environ["NEWSFLOW_SINKS"] = ",".join(args.sink)
    if args.loglevel:
        os.environ["NEWSFLOW_LOG_LEVEL"] = args.loglevel.upper()
    os.environ["NEWSFLOW_WORKER_QUEUES"] = ",".join(queues)

    from schemas.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()  # fail fast, naming the bad variable
    from schemas.settings_view import mask_url
    from workers.sinks import open_sink

    for url in settings.sinks:  # a bad sink URL or a missing sink secret: say so now
        try:
            open_sink(url).close()  # sinks connect on first write: this only parses
        except ValueError as exc:  # the message quotes the URL: never its password
            print(f"newsflow worker: {str(exc).replace(url, mask_url(url))}", file=sys.stderr)
            return 2
    if settings.metrics_port:  # before anything imports prometheus_client
        from workers.metrics_dir import prepare_multiprocess_dir

        prepare_multiprocess_dir()
    from workers.app import app

    if settings.metrics_port:
        from workers.metrics import start_server

        try:
            start_server(settings.metrics_port, str(settings.redis_url))
        except OSError as exc:
            print(
                f"newsflow worker: cannot serve metrics on NEWSFLOW_METRICS_PORT="
                f"{settings.metrics_port}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2

    argv = [
        "worker",
        "--queues",
        ",".join(queues),
        "--hostname",
        args.hostname or f"newsflow-{'-'.join(queues)}@%h",
        "--loglevel",
        settings.log_level,
        "--pool",
        "prefork",
    ]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    app.worker_main(argv)
    return 0


def _process(args: argparse.Namespace) -> int:
    from pathlib import Path

    from schemas.inputs import iter_article_files
    from schemas.logging import configure_logging
    from schemas.settings import get_settings
    from workers import state
    from workers.inprocess import process_files
    from workers.sinks import open_sink

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    out = Path(args.out).resolve()
    sinks = [open_sink(f"jsonl://{out}"), *(open_sink(url) for url in args.sink)]
    try:
        summary = process_files(
            iter_article_files(args.paths), state.model(), state.clean_options(), sinks
        )
    finally:
        for sink in sinks:
            sink.close()
    for path, why in summary.failures:
        print(f"failed: {path}: {why}", file=sys.stderr)
    print(summary.line())
    return 1 if summary.failed else 0
