"""A throw-away PostgreSQL cluster for the tests: `initdb` into a temp dir, `pg_ctl start` on a
unix socket in that dir (it also listens on 127.0.0.1, same port), an emptied or a fresh
database per test.

Durability is switched off (fsync, synchronous_commit, full_page_writes): the cluster lives for
one test session. As root, the server runs as the `postgres` OS user (else `nobody`), since
`initdb` refuses root. When no server binaries are found, `find_bindir` returns None and the
fixtures skip with a loud reason (`make system-deps` installs Debian's `postgresql`).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

from tests.support.mail import free_port

SUPERUSER = "monitor"
SERVER_SETTINGS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
    "-c shared_buffers=64MB -c log_min_messages=warning"
)
_TRUNCATE_ALL = """
DO $$ DECLARE names text; BEGIN
    SELECT string_agg(quote_ident(tablename), ', ') INTO names FROM pg_tables
    WHERE schemaname = 'public' AND tablename <> 'schema_migrations';
    IF names IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || names || ' RESTART IDENTITY CASCADE';
    END IF;
END $$
"""
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: the PostgreSQL store tests are "
    "SKIPPED. Install them with `make system-deps` (Debian package `postgresql`)."
)


def find_bindir() -> Path | None:
    """The newest installed server's bin dir, else whatever `initdb` is on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _server_user() -> str | None:
    """The OS user to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither `postgres` nor `nobody` exists")


@dataclass
class PgCluster:
    bindir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="monitor-pg-")))
    port: int = field(default_factory=free_port)
    user: str | None = field(default_factory=_server_user)
    _names: itertools.count[int] = field(default_factory=itertools.count)
    _shared: set[str] = field(default_factory=set)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PgCluster:
        if self.user is not None:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        options = (f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 "
                   f"{SERVER_SETTINGS}")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URI over the unix socket in the cluster's dir."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={quote(str(self.root), safe='')}" \
               f"&port={self.port}"

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY file_copy')
        return name

    def reset_database(self, name: str) -> str:
        """The shared test database `name`, created on first use, emptied otherwise (every table
        but the migration ledger, so the schema stays current); returns its URL."""
        if name not in self._shared:
            with psycopg.connect(self.url(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
            self._shared.add(name)
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute(_TRUNCATE_ALL)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
