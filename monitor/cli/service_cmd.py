"""`monitor run`, `poll`, `migrate`, `check-config`, `health`: the service and its checks."""

from __future__ import annotations

import asyncio
import os
import sys
import tomllib
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from monitor.cli.context import cli_context, command_config_option, fail_usage
from monitor.config import Settings
from monitor.errors import ConfigError, RuleError
from monitor.store.base import Store
from monitor.types import CycleStats

if TYPE_CHECKING:
    from monitor.cli.web_cmd import WebHandle


def register(group: click.Group) -> None:
    for command in (run, poll, migrate, check_config, health):
        group.add_command(command)


def _validate_rules_or_exit(settings: Settings) -> None:
    """Refuse to start on a bad rule: it must never be skipped silently."""
    from monitor.geo.regions import region_countries
    from monitor.match import validate_rules

    problems = validate_rules(settings.rules, lambda n: region_countries(n, settings.regions))
    if problems:
        fail_usage(problems)


def summary_line(stats: CycleStats) -> str:
    seconds = (stats.finished_at - stats.started_at).total_seconds()
    line = (
        f"polled {stats.feeds} feeds: {stats.new_items} new items, {stats.matches} matches, "
        f"{stats.errors} errors ({seconds:.1f}s)"
    )
    return line + (f", {stats.lost_leases} lost leases" if stats.lost_leases else "")


async def _poll_once(settings: Settings, store: Store, urls: list[str]) -> CycleStats:
    from monitor.pipeline import poll_cycle
    from monitor.runtime import poll_context, utc_now

    store.sync_feeds(settings.feeds, utc_now())
    async with poll_context(settings, store) as ctx:
        return await poll_cycle(ctx, urls)


def _deliver_due(settings: Settings, store: Store) -> None:
    """Send the alerts (and any due digest) this poll queued before exiting."""
    from monitor.notify import deliver_due
    from monitor.runtime import utc_now

    deliver_due(store, settings, utc_now())


def _poll_urls(store: Store, all_feeds: bool, feed_urls: tuple[str, ...]) -> list[str]:
    if feed_urls:
        known = {f.url for f in store.list_feeds()}
        unknown = [u for u in feed_urls if u not in known]
        if unknown:
            fail_usage(
                [f"--feed {u}: no such feed (add it with `monitor feeds add`)" for u in unknown]
            )
        return list(feed_urls)
    if all_feeds:
        return [f.url for f in store.list_feeds() if not f.disabled_reason]
    return []


@click.command()
@click.option("--all", "all_feeds", is_flag=True, help="Every enabled feed now, due or not.")
@click.option(
    "--feed", "feed_urls", multiple=True, metavar="URL", help="Only this feed (repeatable)."
)
@command_config_option
@click.pass_context
def poll(ctx: click.Context, all_feeds: bool, feed_urls: tuple[str, ...]) -> None:
    """One cycle now: poll the due feeds, match, store, send due alerts, then exit."""
    obj = cli_context(ctx)
    settings = obj.settings()
    _validate_rules_or_exit(settings)
    store = obj.store()
    urls = _poll_urls(store, all_feeds, feed_urls) if (all_feeds or feed_urls) else []
    if (all_feeds or feed_urls) and not urls:
        click.echo("no enabled feeds to poll")
        return
    stats = asyncio.run(_poll_once(settings, store, urls))
    click.echo(summary_line(stats))
    _deliver_due(settings, store)


@click.command()
@click.option("--no-web", is_flag=True, help="Run the worker alone (no web UI).")
@command_config_option
@click.pass_context
def run(ctx: click.Context, no_web: bool) -> None:
    """The service: poll the configured feeds forever on their schedule, and serve the web UI."""
    obj = cli_context(ctx)
    settings = obj.settings()
    _validate_rules_or_exit(settings)
    web = None
    if not no_web:
        from monitor.cli.web_cmd import prepare_web

        web = prepare_web(settings)
        click.echo(f"web UI at {web.url}")
    asyncio.run(_run_worker(settings, obj.store(), web))


async def _run_worker(settings: Settings, store: Store, web: WebHandle | None = None) -> None:
    """The worker, and the web UI in the same event loop; a stop signal ends both."""
    from monitor.runtime import poll_context
    from monitor.worker import Worker

    async with poll_context(settings, store) as ctx:
        if web is None:
            await Worker(ctx).run()
            return
        from monitor.web import serve

        server = asyncio.create_task(serve(web.app, web.sock, ctx.stopping))
        try:
            await Worker(ctx).run()
        finally:
            ctx.stopping.set()
            await server


@click.command()
@command_config_option
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create or update the database schema."""
    cli_context(ctx).store()
    click.echo("schema up to date")


def _raw_rule_problems(path: str) -> list[str]:
    """Rule query problems from the raw file, for when the config itself does not load."""
    from monitor.rules import parse_query

    try:
        with open(path, "rb") as f:
            rules = tomllib.load(f).get("rules", [])
    except (OSError, tomllib.TOMLDecodeError):
        return []
    problems = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        query = rule.get("query") if isinstance(rule, dict) else None
        if not isinstance(query, str):
            continue
        try:
            parse_query(query)
        except RuleError as e:
            problems.append(f"rules[{i}] ({rule.get('name', '?')}).query: {e}")
    return problems


@click.command("check-config")
@command_config_option
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the config and every rule; print every problem (exit 2 if any)."""
    from monitor.config import load_settings

    obj = cli_context(ctx)
    path = obj.resolved_config_path()
    try:
        settings = load_settings(path, os.environ)
    except ConfigError as e:
        problems = e.problems + [p for p in _raw_rule_problems(str(path)) if p not in e.problems]
        fail_usage(problems)
    _validate_rules_or_exit(settings)
    click.echo(f"{path}: OK ({len(settings.feeds)} feeds, {len(settings.rules)} rules)")


@click.command()
@command_config_option
@click.pass_context
def health(ctx: click.Context) -> None:
    """Exit 0 if the last poll cycle is recent (within 3 fetch intervals), else 1."""
    from monitor.runtime import utc_now

    obj = cli_context(ctx)
    settings = obj.settings()
    last = obj.store().last_cycle()
    limit = timedelta(seconds=3 * max(settings.fetch.interval_s, settings.worker.tick_s))
    if last is None:
        click.echo("unhealthy: no poll cycle recorded yet", err=True)
        sys.exit(1)
    age = utc_now() - last.finished_at
    if age > limit:
        click.echo(f"unhealthy: last poll cycle finished {age} ago (limit {limit})", err=True)
        sys.exit(1)
    click.echo(f"healthy: last poll cycle finished {int(age.total_seconds())}s ago")
