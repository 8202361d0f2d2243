"""Versioned SQL migrations of the PostgreSQL sink: `newsflow db migrate` and `db status`.

Migrations are data files, `workers/sinks/migrations/NNNN_name.sql`, applied in order, each in
its own transaction together with its row in `schema_migrations` (version, name, checksum,
applied_at). Running twice applies nothing the second time; two migrators at once serialise on
an advisory lock. An applied file whose text changed is refused: add a new file instead.
Imports psycopg only (no spaCy, no Celery), so it runs anywhere newsflow is installed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files

import psycopg

# Any constant will do; it names "newsflow migrations" among the database's advisory locks.
_LOCK_ID = 0x6E657773_666C6F77 & 0x7FFF_FFFF_FFFF_FFFF
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    """One SQL file."""

    version: int
    name: str
    sql: str = field(repr=False)

    @property
    def checksum(self) -> str:
        """sha256 of the file's text: an applied migration must never change."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Applied:
    """A migration's state in one database."""

    migration: Migration
    applied_at: datetime | None


class MigrationError(Exception):
    """A migration cannot be applied as things stand (the message says why and what to do)."""


def load_migrations() -> list[Migration]:
    """Every migration file shipped with newsflow, in version order."""
    folder = files("workers.sinks").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


def migrate(url: str, *, connect_timeout: int = 10) -> tuple[list[Migration], list[Migration]]:
    """Apply what is missing; returns (applied now, already there)."""
    migrations = load_migrations()
    with psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(CREATE_TABLE)
            done = _applied(conn)
            now, before = [], []
            for migration in migrations:
                if migration.version in done:
                    _check_unchanged(migration, done[migration.version])
                    before.append(migration)
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode("utf-8"))
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                now.append(migration)
            return now, before
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))


def status(url: str, *, connect_timeout: int = 10) -> list[Applied]:
    """Each shipped migration and when it was applied here (None: pending)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout) as conn:
        conn.execute(CREATE_TABLE)
        rows = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    when = {version: applied_at for version, applied_at in rows}
    return [Applied(m, when.get(m.version)) for m in load_migrations()]


def _applied(conn: psycopg.Connection) -> dict[int, str]:
    rows = conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
    return {version: checksum for version, checksum in rows}


def _check_unchanged(migration: Migration, checksum: str) -> None:
    if checksum != migration.checksum:
        raise MigrationError(
            f"migration {migration.version:04d}_{migration.name}.sql was changed after it was "
            "applied to this database: restore the file and put the change in a new, "
            "higher-numbered migration"
        )
