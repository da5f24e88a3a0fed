"""`monitor parse FILE_OR_URL [--jsonl]`: parse one feed document and print its entries."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from monitor.cli.context import cli_context, command_config_option
from monitor.cli.output import console, dumps, iso
from monitor.types import Entry, ParsedFeed


def register(group: click.Group) -> None:
    group.add_command(parse)


@click.command()
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--jsonl", is_flag=True, help="One JSON object per entry (stable keys).")
@command_config_option
@click.pass_context
def parse(ctx: click.Context, source: str, jsonl: bool) -> None:
    """Parse one feed document (a file, - for stdin, or an http(s) URL); print its entries."""
    from monitor.errors import ParseError
    from monitor.parse import parse_feed

    body, headers, url = _read(ctx, source)
    try:
        feed = parse_feed(body, headers, url, now=datetime.now(UTC))
    except ParseError as e:
        _fail(f"{source}: {e}")
    if jsonl:
        for entry in feed.entries:
            click.echo(dumps(entry_json(entry)))
    else:
        _print_table(source, feed)


def entry_json(entry: Entry) -> dict[str, Any]:
    """An entry as `monitor parse --jsonl` prints it (INTERFACES.md)."""
    return {
        "id": entry.key,
        "title": entry.title,
        "link": entry.link,
        "published": iso(entry.published_at),
        "summary": entry.summary,
    }


def _read(ctx: click.Context, source: str) -> tuple[bytes, dict[str, str], str | None]:
    if source.startswith(("http://", "https://")):
        return _fetch(ctx, source)
    try:
        body = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as e:
        _fail(f"{source}: {e.strerror or e}")
    return body, {}, None


def _fetch(ctx: click.Context, url: str) -> tuple[bytes, dict[str, str], str | None]:
    from monitor.fetch import fetch_url

    result = fetch_url(url, cli_context(ctx).settings().fetch)
    if result.error is not None or result.body is None:
        _fail(f"{url}: {result.error or f'HTTP {result.status} without a body'}")
    return result.body, dict(result.headers), result.final_url or url


def _print_table(source: str, feed: ParsedFeed) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{feed.title or source} — {len(feed.entries)} entries")
    table.add_column("published", no_wrap=True)
    table.add_column("title")
    table.add_column("link", overflow="fold")
    for entry in feed.entries:
        published = entry.published_at.strftime("%Y-%m-%d %H:%M") if entry.published_at else "—"
        # Text, not str: a title like "[bold]" must not be read as rich markup.
        table.add_row(published, Text(entry.title), Text(entry.link or "—"))
    console().print(table)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(1)
