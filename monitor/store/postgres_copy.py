"""Moving an installation from SQLite to PostgreSQL: every table, ids kept, in one transaction.

Rows go through PostgreSQL's `COPY … FROM STDIN` in text format, so SQLite's values need no
conversion: ISO-8601 text is valid `timestamptz` and `date` input, JSON text valid `jsonb`,
0/1 valid `boolean`. Only columns both schemas have are copied. Identity sequences are moved
past the copied ids, so new rows never collide. The target must be empty: a half-copied
database is never left behind (the transaction rolls back on any error).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg

from monitor.errors import StoreError

# Parents before children (foreign keys).
TABLES = (
    "feeds", "stories", "items", "matches", "outbox", "digest_runs", "audit",
    "cycles", "workers", "host_backoff",
)
# Tables whose `id` is an identity column (the others have natural keys).
IDENTITIES = ("feeds", "stories", "items", "matches", "outbox", "audit", "cycles")
_BATCH = 2000

Conn = psycopg.Connection[dict[str, Any]]


def copy_all(source: sqlite3.Connection, conn: Conn) -> dict[str, int]:
    """Copy every table from `source` into the empty, migrated database behind `conn`."""
    with conn.transaction():
        used = conn.execute("SELECT EXISTS (SELECT 1 FROM feeds) AS used").fetchone()
        if used is None or used["used"]:
            raise StoreError("the target database already holds feeds: copy into an empty one")
        counts = {table: _copy_table(source, conn, table) for table in TABLES}
        for table in IDENTITIES:
            _advance_identity(conn, table)
    return counts


def _columns(source: sqlite3.Connection, conn: Conn, table: str) -> list[str]:
    have = {row[1] for row in source.execute(f"PRAGMA table_info({table})")}
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [row["column_name"] for row in rows if row["column_name"] in have]


def _copy_table(source: sqlite3.Connection, conn: Conn, table: str) -> int:
    columns = _columns(source, conn, table)
    if not columns:
        return 0
    names = ", ".join(columns)
    cursor = source.execute(f"SELECT {names} FROM {table}")
    copied = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        while rows := cursor.fetchmany(_BATCH):
            for row in rows:
                copy.write_row(tuple(row))
            copied += len(rows)
    return copied


def _advance_identity(conn: Conn, table: str) -> None:
    row = conn.execute("SELECT pg_get_serial_sequence(%s, 'id') AS seq", (table,)).fetchone()
    if row is None or row["seq"] is None:
        return
    conn.execute(
        f"SELECT setval(%s, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}",
        (row["seq"],),
    )
