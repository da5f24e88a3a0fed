"""Persistence. `open_store(url)` picks the backend from the database URL."""

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
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///path")


__all__ = ["Store", "open_store", "sqlite_path"]
