"""`monitor db copy` (move an installation from SQLite to PostgreSQL) and `monitor workers`."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from monitor.cli.context import cli_context, command_config_option, fail_usage
from monitor.cli.output import console, dumps, iso, short_time
from monitor.records import WorkerInfo

# Workers whose last heartbeat is older than this are not listed at all.
RECENT = timedelta(days=1)


def register(group: click.Group) -> None:
    group.add_command(db)
    group.add_command(workers)


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("copy")
@click.option("--from", "source", required=True, metavar="sqlite:///PATH",
              help="The SQLite database to copy (relative paths: from the current folder).")
@click.option("--to", "target", required=True, metavar="postgresql://…",
              help="An empty PostgreSQL database (its schema is created).")
def copy(source: str, target: str) -> None:
    """Copy every row of a SQLite installation into an empty PostgreSQL database."""
    from monitor.errors import StoreError
    from monitor.store import is_postgres_url, sqlite_path
    from monitor.store.postgres import PostgresStore
    from monitor.store.sqlite import SqliteStore

    if not source.startswith("sqlite:///") or not is_postgres_url(target):
        fail_usage(["use --from sqlite:///path/to/monitor.db --to postgresql://user@host/db"])
    path = sqlite_path(source, Path.cwd())
    if not path.is_file():
        fail_usage([f"--from: no such SQLite file: {path}"])
    lite = SqliteStore(path)
    lite.migrate()  # the copy reads the current SQLite schema
    lite.close()
    try:
        store = PostgresStore(target)
    except StoreError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    try:
        store.migrate()
        counts = store.copy_from_sqlite(path)
    except StoreError as e:
        fail_usage([str(e)])
    finally:
        store.close()
    for table, n in counts.items():
        click.echo(f"{table}: {n} rows")
    click.echo("copied; now point database.url (or MONITOR_DATABASE_URL) at the PostgreSQL URL")


def status_of(w: WorkerInfo, now: datetime, stale: timedelta) -> str:
    if w.stopped_at is not None:
        return "stopped"
    return "alive" if now - w.last_heartbeat_at <= stale else "dead"


def worker_json(w: WorkerInfo, status: str) -> dict[str, Any]:
    return {
        "name": w.name, "host": w.host, "pid": w.pid, "started": iso(w.started_at),
        "last_heartbeat": iso(w.last_heartbeat_at), "stopped": iso(w.stopped_at),
        "feeds_polled": w.feeds_polled, "status": status,
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array (stable keys).")
@command_config_option
@click.pass_context
def workers(ctx: click.Context, as_json: bool) -> None:
    """Live and recently dead workers sharing the database."""
    from rich.table import Table

    from monitor.runtime import utc_now

    obj = cli_context(ctx)
    settings = obj.settings()
    now = utc_now()
    # Workers beat every tick, even mid-cycle: three missed beats and a worker counts as dead.
    stale = timedelta(seconds=3 * settings.worker.tick_s)
    found = [(w, status_of(w, now, stale)) for w in obj.store().list_workers(since=now - RECENT)]
    if as_json:
        click.echo(dumps([worker_json(w, status) for w, status in found]))
        return
    table = Table(title="Workers")
    for column in ("name", "host", "pid", "status", "started", "last heartbeat", "feeds polled"):
        table.add_column(column, no_wrap=True)
    for w, status in found:
        table.add_row(w.name, w.host, str(w.pid or ""), status, short_time(w.started_at),
                      short_time(w.last_heartbeat_at), str(w.feeds_polled))
    console().print(table)
