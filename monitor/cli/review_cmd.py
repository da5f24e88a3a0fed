"""`monitor feeds …` and `monitor matches`: what the store holds, for people and scripts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

import click

from monitor.cli.context import cli_context, command_config_option, fail_usage
from monitor.cli.output import (
    console,
    dumps,
    feed_json,
    feeds_table,
    match_json,
    matches_table,
    stories_table,
    story_json,
)
from monitor.config import parse_duration
from monitor.types import MATCH_STATUSES


def register(group: click.Group) -> None:
    group.add_command(feeds)
    group.add_command(matches)
    group.add_command(stories)


@click.group()
def feeds() -> None:
    """Manage and inspect the feeds stored in the database."""


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array (stable keys).")
@command_config_option
@click.pass_context
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """Feeds with status: last fetch, HTTP status, last error, errors, next check, items."""
    rows = cli_context(ctx).store().list_feeds()
    if as_json:
        click.echo(dumps([feed_json(f) for f in rows]))
    else:
        console().print(feeds_table(rows))


@feeds.command("add")
@click.argument("url")
@click.option("--name", default="", help="Display name (default: the host).")
@click.option(
    "--tier", type=click.Choice(["wire", "broadcaster", "outlet", "other"]), default="other"
)
@command_config_option
@click.pass_context
def feeds_add(ctx: click.Context, url: str, name: str, tier: str) -> None:
    """Add a feed by URL (kept across config syncs)."""
    from monitor.runtime import utc_now

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail_usage([f"{url}: not an http(s) URL"])
    feed_id = cli_context(ctx).store().add_feed(url, name or parts.hostname, utc_now(), tier=tier)
    click.echo(f"feed {feed_id}: {url}")


@feeds.command("import-opml")
@click.argument("file", type=click.File("rb"))
@command_config_option
@click.pass_context
def feeds_import_opml(ctx: click.Context, file: BinaryIO) -> None:
    """Add the feeds of an OPML file; entries that aren't http(s) are reported and skipped."""
    from monitor.errors import ParseError
    from monitor.opml import parse_opml
    from monitor.runtime import utc_now

    try:
        parsed = parse_opml(file.read())
    except ParseError as e:
        fail_usage([f"{file.name}: {e}"])
    store = cli_context(ctx).store()
    known = {f.url for f in store.list_feeds()}
    for feed in parsed.feeds:
        store.add_feed(feed.url, feed.name, utc_now())
    for problem in parsed.rejected:
        click.echo(f"skipped {problem}", err=True)
    added = sum(f.url not in known for f in parsed.feeds)
    click.echo(
        f"{added} feeds added, {len(parsed.feeds) - added} already present, "
        f"{len(parsed.rejected)} rejected"
    )


@feeds.command("export-opml")
@command_config_option
@click.pass_context
def feeds_export_opml(ctx: click.Context) -> None:
    """Print every enabled feed as OPML 2.0."""
    from monitor.opml import render_opml

    rows = [f for f in cli_context(ctx).store().list_feeds() if not f.disabled_reason]
    click.echo(render_opml(rows), nl=False)


@click.command()
@click.option("--since", default=None, metavar="DURATION", help='Matched within, e.g. "1d".')
@click.option("--rule", default=None, help="Only this rule.")
@click.option("--region", default=None, metavar="CODE", help="Primary or listed region (ISO2).")
@click.option("--status", type=click.Choice(MATCH_STATUSES), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True, help="A JSON array (stable keys).")
@command_config_option
@click.pass_context
def matches(
    ctx: click.Context,
    since: str | None,
    rule: str | None,
    region: str | None,
    status: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Stored matches for review, newest first."""
    rows = (
        cli_context(ctx)
        .store()
        .list_matches(
            since=_cutoff(since),
            rule=rule,
            region=region.upper() if region else None,
            status=status,
            limit=limit,
        )
    )
    if as_json:
        click.echo(dumps([match_json(m) for m in rows]))
    else:
        console().print(matches_table(rows))


def _cutoff(since: str | None) -> datetime | None:
    from monitor.runtime import utc_now

    try:
        return utc_now() - timedelta(seconds=parse_duration(since)) if since else None
    except ValueError as e:
        fail_usage([f"--since: {e}"])


@click.command()
@click.option("--since", default=None, metavar="DURATION", help='Last seen within, e.g. "1d".')
@click.option("--region", default=None, metavar="CODE", help="Primary country (ISO2).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array (stable keys).")
@command_config_option
@click.pass_context
def stories(ctx: click.Context, since: str | None, region: str | None, as_json: bool) -> None:
    """Stories (items about one event) with their outlets, most recently seen first."""
    rows = cli_context(ctx).store().list_stories(
        since=_cutoff(since), region=region.upper() if region else None
    )
    if as_json:
        click.echo(dumps([story_json(s) for s in rows]))
    else:
        console().print(stories_table(rows))
