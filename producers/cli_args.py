"""Arguments of `newsflow dlq` and `newsflow status`, kept apart so `cli.py` stays light."""

from __future__ import annotations

import argparse


def add_dlq_arguments(dlq: argparse.ArgumentParser) -> None:
    """The `dlq` actions and their options."""
    actions = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="entries, newest first")
    listing.add_argument("--stage", default=None, help="only this stage (enqueue, clean, …)")
    listing.add_argument("--reason", default=None, help="only this reason code (e.g. binary)")
    listing.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (20)")
    listing.add_argument("--json", action="store_true", help="a JSON array")
    show = actions.add_parser("show", help="one entry in full")
    show.add_argument("entry_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="the entry with its stored message")
    replay = actions.add_parser(
        "replay", help="send entries back to the stage that failed (a new `replay-…` run)"
    )
    replay.add_argument("entry_ids", nargs="*", metavar="ID")
    replay.add_argument("--all", action="store_true", help="every entry (with the filters)")
    replay.add_argument("--stage", default=None, help="with --all: only this stage")
    replay.add_argument("--reason", default=None, help="with --all: only this reason")
    replay.add_argument("--dry-run", action="store_true", help="check and report, send nothing")
    replay.add_argument(
        "--wait", action="store_true", help="wait until every replayed article settles"
    )
    replay.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="with --wait (exit 3)"
    )
    purge = actions.add_parser("purge", help="delete entries older than a duration")
    purge.add_argument(
        "--older-than", required=True, metavar="DURATION", help="e.g. 7d, 12h, 30m, 1d12h"
    )
    purge.add_argument("--yes", action="store_true", help="delete without asking")


def add_status_arguments(status: argparse.ArgumentParser) -> None:
    """The options of `status`."""
    status.add_argument("--json", action="store_true", help="one JSON object (per refresh)")
    status.add_argument(
        "--run", default=None, metavar="RUN_ID", help="the books of one run (backfill-…, …)"
    )
    status.add_argument(
        "--watch", type=float, default=None, metavar="SECONDS", help="refresh every N seconds"
    )
    status.add_argument("--no-workers", action="store_true", help="skip the worker ping (0.5 s)")
