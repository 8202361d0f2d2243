"""Worker-side commands (`newsflow worker`, `newsflow process`), run as `python -m workers`.

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
        help="comma-separated stage queues (default: all three: clean,extract,publish)",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m workers`."""
    args = build_parser().parse_args(argv)
    if args.command == "worker":
        return _worker(args)
    if args.command == "events":
        from pathlib import Path

        from workers.events_merge import main as merge_main

        return merge_main(Path(args.path), args.json)
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
    from workers.app import app

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
