"""`newsflow dlq list | show | replay | purge`: the terminal side of `producers.dlq`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from producers.dlq import (
    DeadLetter,
    DeadLetterStream,
    Replayer,
    ReplayResult,
    cutoff_id,
    format_age,
    parse_duration,
)
from producers.enqueue import Enqueuer, new_run_id
from schemas import names
from schemas.errors import BrokerUnavailable
from schemas.logging import configure_logging
from schemas.settings import get_settings

LIST_HEADER = ["ID", "AGE", "STAGE", "REASON", "TRIES", "ARTICLE", "SOURCE", "ERROR"]


def main(args: argparse.Namespace) -> int:
    """Run one `dlq` action; 0 ok, 1 something refused or not found, 2 usage or Redis."""
    settings = get_settings()
    configure_logging(
        "WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_format
    )
    enqueuer = Enqueuer(
        settings,
        new_run_id("replay"),
        priority=names.PRIORITY_BACKFILL,
        outage_seconds=settings.redis_outage_seconds,
    )
    stream = DeadLetterStream(enqueuer.redis)
    try:
        if args.dlq_command == "list":
            return _list(stream, args, sys.stdout)
        if args.dlq_command == "show":
            return _show(enqueuer, stream, args, sys.stdout)
        if args.dlq_command == "replay":
            return _replay(enqueuer, stream, args, sys.stdout)
        return _purge(stream, args, sys.stdout)
    except BrokerUnavailable as exc:
        print(f"newsflow dlq: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"newsflow dlq: {exc}", file=sys.stderr)
        return 2


def render_table(rows: list[list[str]], header: list[str]) -> list[str]:
    """Left-aligned columns, the last one unpadded."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def _list(stream: DeadLetterStream, args: argparse.Namespace, out: TextIO) -> int:
    if args.limit < 1:
        raise ValueError(f"--limit must be at least 1, not {args.limit}")
    entries = list(stream.newest(stage=args.stage, reason=args.reason, limit=args.limit))
    if args.json:
        json.dump([e.to_json() for e in entries], out, indent=2)
        out.write("\n")
        return 0
    now = time.time()
    total = stream.size()
    if entries:
        for line in render_table([e.row(now) for e in entries], LIST_HEADER):
            print(line, file=out)
    filters = " ".join(
        f"--{name} {value}"
        for name, value in (("stage", args.stage), ("reason", args.reason))
        if value
    )
    shown = f"{len(entries)} shown" + (f" ({filters})" if filters else "")
    print(f"{shown}; {total} in {names.DEAD_LETTER_STREAM}", file=out)
    return 0


def _show(
    enqueuer: Enqueuer, stream: DeadLetterStream, args: argparse.Namespace, out: TextIO
) -> int:
    entry = stream.get(args.entry_id)
    if entry is None:
        print(f"newsflow dlq: no entry {args.entry_id} in {stream.key}", file=sys.stderr)
        return 1
    status = enqueuer.ledger.status(entry.article_id) if entry.article_id else {}
    body_kept = bool(enqueuer.redis.exists(names.raw_body_key(entry.article_id)))
    if args.json:
        data = entry.to_json(with_payload=True)
        data["ledger"] = status
        data["raw_body_kept"] = body_kept
        json.dump(data, out, indent=2)
        out.write("\n")
        return 0
    for line in entry.describe(time.time()):
        print(line, file=out)
    now_status = status.get("status", "unknown (no ledger entry)")
    run = f" in run {status['run_id']}" if status.get("run_id") else ""
    print(f"ledger     {now_status}{run}", file=out)
    if body_kept:
        print(f"raw body   {names.raw_body_key(entry.article_id)} is still stored", file=out)
    return 0


def _selected(stream: DeadLetterStream, args: argparse.Namespace) -> list[DeadLetter | str]:
    """The entries to replay, in order; a string for an id that is not in the stream."""
    if args.entry_ids and args.all:
        raise ValueError("give entry ids or --all, not both")
    if not args.entry_ids and not args.all:
        raise ValueError("give the entry ids to replay, or --all (see `newsflow dlq list`)")
    if args.entry_ids:
        return [stream.get(i) or i for i in args.entry_ids]
    # Up to the newest entry now: articles that fail again during this replay are not
    # replayed again in the same breath.
    last = stream.last_id()
    if last is None:
        return []
    return list(stream.oldest(stage=args.stage, reason=args.reason, up_to=last))


def _replay(
    enqueuer: Enqueuer, stream: DeadLetterStream, args: argparse.Namespace, out: TextIO
) -> int:
    selected = _selected(stream, args)
    replayer = Replayer(enqueuer, stream, dry_run=args.dry_run)
    results: list[ReplayResult] = []
    missing = 0
    try:
        for item in selected:
            if isinstance(item, str):
                missing += 1
                print(f"{'not found':<15} {item}  no such entry", file=out)
                continue
            result = replayer.replay(item)
            results.append(result)
            print(result.line(), file=out)
    finally:
        if not args.dry_run:
            enqueuer.finish()
    counts = {o: sum(r.outcome == o for r in results) for o in _OUTCOMES}
    verb = "would replay" if args.dry_run else "replayed"
    replayed = counts["would_replay"] if args.dry_run else counts["replayed"]
    summary = (
        f"{verb} {replayed}, already live {counts['already_live']}, "
        f"refused {counts['refused']}, not replayable {counts['not_replayable']}"
        + (f", not found {missing}" if missing else "")
    )
    if args.dry_run:
        print(f"dry run: {summary}; nothing was sent", file=out)
    else:
        print(f"run {enqueuer.run_id}: {summary}", file=out)
    if args.wait and not args.dry_run and replayed:
        from rich.console import Console

        from producers.backfill import wait_for_run

        try:
            books = wait_for_run(enqueuer, Console(stderr=True), timeout_seconds=args.timeout)
        except TimeoutError as exc:
            print(f"newsflow dlq: {exc}", file=sys.stderr)
            return 3
        print(books.summary(), file=out)
        if books.failed:
            return 1
    bad = counts["refused"] + counts["not_replayable"] + missing
    return 1 if bad else 0


_OUTCOMES = ("replayed", "would_replay", "already_live", "refused", "not_replayable")


def _purge(stream: DeadLetterStream, args: argparse.Namespace, out: TextIO) -> int:
    seconds = parse_duration(args.older_than)
    min_id = cutoff_id(time.time(), seconds)
    older = stream.count_before(min_id)
    what = f"{older} {'entry' if older == 1 else 'entries'} older than {format_age(seconds)}"
    if older == 0:
        print(f"nothing to purge: no entry older than {format_age(seconds)}", file=out)
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"{what} would be deleted; nothing was: pass --yes", file=out)
            return 1
        answer = input(f"delete {what} from {stream.key}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=out)
            return 1
    deleted = stream.purge_before(min_id)
    print(
        f"deleted {deleted} entries older than {format_age(seconds)}; {stream.size()} left",
        file=out,
    )
    return 0
