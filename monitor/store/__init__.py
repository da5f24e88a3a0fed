"""Persistence. `open_store(url)` picks the backend from the database URL: `sqlite:///…` for
the embedded default, `postgresql://…` for many workers sharing one database."""

from __future__ import annotations

from pathlib import Path

from monitor.errors import StoreError
from monitor.store.base import Store


def sqlite_path(url: str, base_dir: Path | None = None) -> Path:
    """`sqlite:///rel` is relative to base_dir (the config folder); `sqlite:////abs` is absolute."""
    if not url.startswith("sqlite:///"):
        raise StoreError(f"not a sqlite URL: {url!r}")
    raw = url[len("sqlite:///") :]
    path = Path(raw)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def open_store(url: str, base_dir: Path | None = None) -> Store:
    if url.startswith("sqlite:///"):
        from monitor.store.sqlite import SqliteStore

        return SqliteStore(sqlite_path(url, base_dir))
    if is_postgres_url(url):
        from monitor.store.postgres import PostgresStore

        return PostgresStore(url)
    raise StoreError("unsupported database URL: use sqlite:///path or postgresql://…")


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


__all__ = ["Store", "is_postgres_url", "open_store", "sqlite_path"]
