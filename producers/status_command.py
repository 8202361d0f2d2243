"""`newsflow status [--json] [--run RUN_ID] [--watch SECONDS]`: the terminal side."""

from __future__ import annotations

import argparse
import json
import sys
import time

from producers.enqueue import Enqueuer
from producers.status import Status, read_status
from schemas.errors import BrokerUnavailable
from schemas.logging import configure_logging
from schemas.settings import get_settings

PING_SECONDS = 0.5


def main(args: argparse.Namespace) -> int:
    """Print one snapshot (or one per interval); exit 1 when the run is unbalanced."""
    settings = get_settings()
    configure_logging(
        "WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_format
    )
    if args.watch is not None and args.watch <= 0:
        print(
            f"newsflow status: --watch must be above 0 seconds, not {args.watch}", file=sys.stderr
        )
        return 2
    enqueuer = Enqueuer(settings, "status")  # only its Redis client and Celery client
    try:
        while True:
            snapshot = _snapshot(enqueuer, args)
            _print(snapshot, args, clear=args.watch is not None and not args.json)
            if args.watch is None:
                break
            time.sleep(args.watch)
    except BrokerUnavailable as exc:
        print(f"newsflow status: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    if args.run is not None and snapshot.run is not None:
        if not snapshot.run.exists:
            return 2
        if not snapshot.run.balanced:
            return 1
    return 0


def _snapshot(enqueuer: Enqueuer, args: argparse.Namespace) -> Status:
    workers = None if args.no_workers else _workers(enqueuer)
    return read_status(enqueuer.redis, run_id=args.run, workers=workers)


def _workers(enqueuer: Enqueuer) -> list[str] | None:
    """Names of the workers that answer a broadcast ping within PING_SECONDS."""
    try:
        replies = enqueuer.celery.control.ping(timeout=PING_SECONDS) or []
    except Exception:  # the ping is a nicety: Redis trouble shows in the counters instead
        return None
    return sorted(name for reply in replies for name in reply)


def _print(snapshot: Status, args: argparse.Namespace, *, clear: bool) -> None:
    if args.json:
        print(json.dumps(snapshot.to_json()), flush=True)
        return
    if clear and sys.stdout.isatty():
        print("\x1b[2J\x1b[H", end="")
    print("\n".join(snapshot.lines()), flush=True)
    if args.watch is not None:
        print("")
