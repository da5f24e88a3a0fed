"""Shared CLI plumbing: `--config` (before or after the command), logging, settings, store."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = "config/monitor.toml"


class CliContext:
    """Holds what the group decided; loads settings and opens the store on first use."""

    def __init__(self) -> None:
        self.config_path: str | None = None
        self._settings: Settings | None = None
        self._store: Store | None = None

    def configure(self, config: str | None, verbose: int) -> None:
        if config:
            self.config_path = config
        level = logging.WARNING - 10 * min(verbose, 2)
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)

    def resolved_config_path(self) -> Path:
        return Path(self.config_path or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)

    def settings(self) -> Settings:
        if self._settings is None:
            from monitor.config import load_settings

            try:
                self._settings = load_settings(self.resolved_config_path(), os.environ)
            except ConfigError as e:
                fail_usage(e.problems)
        return self._settings

    def store(self) -> Store:
        if self._store is None:
            from monitor.store import is_postgres_url, open_store

            settings = self.settings()
            base = settings.path.parent if settings.path else Path.cwd()
            self._store = open_store(settings.database.url, base)
            if not is_postgres_url(settings.database.url) or _invoked() == "migrate":
                self._store.migrate()
            elif not self._store.schema_is_current():
                # Many workers share one PostgreSQL: only `monitor migrate` changes its schema.
                fail_usage(["schema out of date, run monitor migrate"])
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _invoked() -> str | None:
    """The name of the subcommand being run (`monitor migrate` → "migrate")."""
    ctx = click.get_current_context(silent=True)
    return ctx.info_name if ctx is not None else None


def fail_usage(problems: list[str]) -> NoReturn:
    """User error: every problem on stderr, exit 2, no traceback."""
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(2)


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.find_root().ensure_object(CliContext).config_path = value
    return value


def config_option(f: F) -> F:
    """`--config PATH` on the group."""
    return click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        default=None,
        callback=_remember_config,
        help="Config file (default: $MONITOR_CONFIG, else config/monitor.toml).",
    )(f)


def command_config_option(f: F) -> F:
    """`--config PATH` after the command name; every command carries it."""
    return click.option(
        "--config",
        type=click.Path(dir_okay=False),
        default=None,
        expose_value=False,
        callback=_remember_config,
        help="Config file (default: $MONITOR_CONFIG, else config/monitor.toml).",
    )(f)


def cli_context(ctx: click.Context) -> CliContext:
    """The root's context object; closes the store when the command ends."""
    obj = ctx.find_root().ensure_object(CliContext)
    ctx.call_on_close(obj.close)
    return obj
