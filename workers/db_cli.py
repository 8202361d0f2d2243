"""`newsflow db migrate|status [--url URL]`: the PostgreSQL sink's tables (no spaCy, no Celery)."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import psycopg

from schemas.settings import get_settings
from workers.sinks.pg_migrate import MigrationError, migrate, status
from workers.sinks.postgres import redacted


def database_url(given: str | None) -> str | None:
    """`--url`, else the first postgresql:// (or postgres://) sink in NEWSFLOW_SINKS."""
    if given:
        return given
    return next(
        (u for u in get_settings().sinks if urlsplit(u).scheme in {"postgresql", "postgres"}),
        None,
    )


def main(action: str, given_url: str | None) -> int:
    """Run `migrate` or `status`; 0 on success, 1 when the database refused, 2 on usage."""
    url = database_url(given_url)
    if url is None:
        print(
            "newsflow db: no database: pass --url postgresql://user@host/db or put a "
            "postgresql:// URL in NEWSFLOW_SINKS",
            file=sys.stderr,
        )
        return 2
    where = redacted(url)
    try:
        if action == "migrate":
            applied, present = migrate(url)
            for migration in applied:
                print(f"applied {migration.version:04d}_{migration.name}")
            print(f"{where}: {len(applied)} applied, {len(present)} already there")
            return 0
        for row in status(url):
            when = row.applied_at.isoformat() if row.applied_at else "pending"
            print(f"{row.migration.version:04d}_{row.migration.name}\t{when}")
        return 0
    except MigrationError as exc:
        print(f"newsflow db {action}: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"newsflow db {action}: {where}: {first}", file=sys.stderr)
        return 1
