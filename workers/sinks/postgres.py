"""PostgreSQL sink (`postgresql://user[:password]@host:port/dbname`), through psycopg 3.

Each record is one transaction: upsert the `articles` row keyed on (article_id, pipeline
version), then delete and re-insert its `entities` and `events` rows. A redelivered publish
therefore leaves exactly one copy (the row's `writes` counter shows it came twice), and two
workers writing the same article at once serialise on the article row's lock, taken first.

One connection per worker process (sinks are cached per process, `workers.state.sinks_for`),
opened on first write inside the process and reopened after it breaks. Connection failures,
timeouts, serialization failures and missing tables raise SinkUnavailable (the publish task
retries with backoff); data PostgreSQL refuses for good raises SinkRejected (dead-letter).
Tables come from `newsflow db migrate` (`workers.sinks.pg_migrate`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import structlog
from psycopg import sql

from schemas.errors import SinkRejected, SinkUnavailable
from schemas.record import Record
from schemas.settings import get_settings
from workers.sinks import pg_rows
from workers.sinks.base import SinkBase

log = structlog.get_logger(__name__)

_KEY = ("article_id", "pipeline_version")


def _insert(table: str, columns: Sequence[str]) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
    )


UPSERT_ARTICLE = _insert("articles", pg_rows.ARTICLE_COLUMNS) + sql.SQL(
    " ON CONFLICT (article_id, pipeline_version) DO UPDATE SET {}, "
    "written_at = now(), writes = articles.writes + 1"
).format(
    sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
        for c in pg_rows.ARTICLE_COLUMNS
        if c not in _KEY
    )
)
INSERT_ENTITY = _insert("entities", pg_rows.ENTITY_COLUMNS)
INSERT_EVENT = _insert("events", pg_rows.EVENT_COLUMNS)
DELETE_CHILDREN = [
    sql.SQL("DELETE FROM {} WHERE article_id = %s AND pipeline_version = %s").format(
        sql.Identifier(table)
    )
    for table in ("entities", "events")
]


def redacted(url: str) -> str:
    """`host:port/dbname` of a connection URL: never the password, for messages and logs."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


class PostgresSink(SinkBase):
    """Upsert records into articles, entities and events, one transaction per record."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: int | None = None,
        statement_timeout_seconds: float | None = None,
    ) -> None:
        if urlsplit(url).scheme.lower() not in {"postgresql", "postgres"}:
            raise ValueError(f"sink {url!r} is not a postgresql:// URL")
        settings = get_settings()
        self.url = url
        self._connect_timeout = connect_timeout or settings.sink_pg_connect_timeout_seconds
        self._statement_ms = int(
            1000 * (statement_timeout_seconds or settings.sink_pg_statement_timeout_seconds)
        )
        self._conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = None
            conn = psycopg.connect(
                self.url,
                autocommit=True,  # transactions are explicit: one per record
                connect_timeout=self._connect_timeout,
                application_name="newsflow-sink",
                options=f"-c statement_timeout={self._statement_ms}",
            )
            found = conn.execute("SELECT to_regclass('articles') IS NOT NULL").fetchone()
            if not (found and found[0]):
                conn.close()
                raise SinkUnavailable(
                    f"postgresql sink {redacted(self.url)} has no articles table: run "
                    "`newsflow db migrate --url …` (records wait and are retried)"
                )
            self._conn = conn
            log.info("sink_pg_connected", db=redacted(self.url))
        return self._conn

    def write_batch(self, records: Sequence[Record]) -> None:
        """Upsert each record in its own transaction."""
        for record in records:
            with self._errors_mapped():
                self._upsert(self._connection(), record)

    def _upsert(self, conn: psycopg.Connection, record: Record) -> None:
        key = (record.article_id, record.pipeline.version)
        with conn.transaction(), conn.cursor() as cur:
            # The article row first: its row lock serialises concurrent writers of one article.
            cur.execute(UPSERT_ARTICLE, pg_rows.article_row(record))
            for delete in DELETE_CHILDREN:
                cur.execute(delete, key)
            if record.entities:
                cur.executemany(INSERT_ENTITY, pg_rows.entity_rows(record))
            if record.events:
                cur.executemany(INSERT_EVENT, pg_rows.event_rows(record))

    @contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        """psycopg's errors → ours: what waiting can fix is SinkUnavailable, the rest rejected."""
        where = redacted(self.url)
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # Connection refused or lost, server shutting down, statement timeout, deadlock or
            # serialization failure: all worth a retry, on a fresh connection if this one broke.
            self._drop_broken()
            raise SinkUnavailable(
                f"postgresql sink {where} unavailable ({type(exc).__name__}: "
                f"{_first_line(exc)}): retried later; check the server is up"
            ) from exc
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            raise SinkRejected(
                f"postgresql sink {where} refused the record ({type(exc).__name__}: "
                f"{_first_line(exc)}): fix the data or the schema, then replay"
            ) from exc
        except psycopg.ProgrammingError as exc:
            # Missing table/column or privilege: the database is behind the code. Waiting for
            # `newsflow db migrate` (or a GRANT) can fix it, so the record is kept.
            raise SinkUnavailable(
                f"postgresql sink {where} does not match this version ({type(exc).__name__}: "
                f"{_first_line(exc)}): run `newsflow db migrate` and check privileges"
            ) from exc

    def _drop_broken(self) -> None:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            conn, self._conn = self._conn, None
            conn.close()

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
