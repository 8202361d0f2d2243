"""PostgreSQL for tests: a scratch database on the shared server, or a private server to stop.

The shared server (NEWSFLOW_TEST_PG_URL, default postgres@127.0.0.1:5432) is never stopped;
fault tests that stop PostgreSQL start their own with initdb/pg_ctl in a temporary folder on
a free port (as the `postgres` OS user when we run as root: initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ADMIN_URL = os.environ.get("NEWSFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def reachable(url: str) -> bool:
    """True when a connection to `url` succeeds within 3 s."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@contextmanager
def scratch_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A uniquely named empty database, dropped afterwards; yields its URL."""
    name = f"newsflow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_bin(tool: str) -> str | None:
    """Path of a PostgreSQL server tool (initdb, pg_ctl), newest version first."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), reverse=True)
    return found[0] if found else shutil.which(tool)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """A throwaway PostgreSQL server (trust auth, loopback only) we may stop and start."""

    def __init__(self) -> None:
        initdb, self._pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if initdb is None or self._pg_ctl is None:
            raise FileNotFoundError("initdb/pg_ctl not found under /usr/lib/postgresql/*/bin")
        self._user = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="newsflow-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        subprocess.run(
            argv, user=self._user, check=True, capture_output=True, timeout=120, cwd=self.root
        )

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run(self._pg_ctl, "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server at once (fast mode: open connections are cut)."""
        self._run(self._pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        """True while the server's pid file exists."""
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        """Stop if running and delete the folder."""
        if self.running():
            with suppress(subprocess.CalledProcessError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
