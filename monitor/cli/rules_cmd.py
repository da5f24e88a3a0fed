"""`monitor rules test QUERY`: backtest a query against stored items or a JSON-lines file."""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import click

from monitor.cli.context import cli_context, command_config_option, fail_usage
from monitor.config import PlaceConfig
from monitor.errors import RuleError
from monitor.types import GeoTags, Item

if TYPE_CHECKING:
    from rich.console import Console

    from monitor.rules.backtest import BacktestHit

# Below this many stored items a progress bar would only flicker.
PROGRESS_THRESHOLD = 2000


class _Tagger(Protocol):
    def tag(self, text: str, title: str = "") -> GeoTags: ...


def register(group: click.Group) -> None:
    group.add_command(rules)


@click.group()
def rules() -> None:
    """Work with rule queries."""


@rules.command("test")
@click.argument("query")
@click.option("--since", default=None, help='Only items published since, e.g. "7d".')
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON-lines items instead of the stored ones.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per matching item.")
@command_config_option
@click.pass_context
def test(
    ctx: click.Context, query: str, since: str | None, input_path: Path | None, as_json: bool
) -> None:
    """Backtest QUERY; a query starting with "-" follows "--"."""
    from monitor.rules import parse_query
    from monitor.rules.backtest import backtest, is_since

    try:
        parse_query(query)
    except RuleError as e:
        _fail_query(e)
    since_at = _since(since)
    console = _console(stderr=False)
    scanned = [0]
    items = _items(ctx, input_path, since_at, as_json)
    if since_at is not None:
        items = (item for item in items if is_since(item, since_at))
    found = 0
    for hit in backtest(query, _counted(items, scanned)):
        found += 1
        if as_json:
            click.echo(json.dumps({"id": hit.item.key, "terms": hit.terms, "regions": hit.regions}))
        else:
            _print_hit(console, hit)
    if not as_json:
        console.print(f"{found} matching item{'s' * (found != 1)} of {scanned[0]}")


def _fail_query(e: RuleError) -> NoReturn:
    click.echo(f"error: {e.message} at position {e.position}", err=True)
    click.echo(f"  {e.query}", err=True)
    click.echo(f"  {' ' * e.position}^", err=True)
    sys.exit(2)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    from monitor.config import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as e:
        fail_usage([f"--since: {e}"])
    return datetime.now(UTC) - timedelta(seconds=seconds)


def _counted(items: Iterable[Item], counter: list[int]) -> Iterator[Item]:
    for item in items:
        counter[0] += 1
        yield item


def _items(
    ctx: click.Context, path: Path | None, since: datetime | None, quiet: bool
) -> Iterable[Item]:
    if path is not None:
        return read_items(path, _load_tagger(_config_places(ctx)))
    store = cli_context(ctx).store()
    total = store.count_items(since)
    items = store.iter_items(since)
    if quiet or total < PROGRESS_THRESHOLD:
        return items
    return _with_progress(items, total)


def _with_progress(items: Iterable[Item], total: int) -> Iterator[Item]:
    from rich.progress import track

    yield from track(
        items, total=total, description="matching", console=_console(stderr=True), transient=True
    )


def read_items(path: Path, tagger: _Tagger | None) -> Iterator[Item]:
    """Items from JSON lines `{"id", "title", "summary", "source"?, "published"?}`; a bad line
    is a usage error naming the line."""
    try:
        handle = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    except OSError as e:
        fail_usage([f"--input: cannot read {path}: {e.strerror}"])
    with handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    item = item_from_json(json.loads(line))
                except (ValueError, TypeError) as e:
                    fail_usage([f"{path}:{number}: {e}"])
                yield _tagged(item, tagger) if tagger else item


def item_from_json(data: Any) -> Item:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if not isinstance(data.get("id"), str):
        raise ValueError('"id" must be a string')
    text = {k: data.get(k) or "" for k in ("title", "summary", "source")}
    if not all(isinstance(v, str) for v in text.values()):
        raise ValueError('"title", "summary" and "source" must be strings')
    published = data.get("published")
    return Item(
        key=data["id"],
        feed_id=0,
        source=text["source"],
        title=text["title"],
        summary=text["summary"],
        published_at=_published(published) if published else None,
    )


def _published(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError('"published" must be an ISO-8601 string')
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise ValueError(f'"published" is not an ISO-8601 time: {value!r}') from e
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _config_places(ctx: click.Context) -> tuple[PlaceConfig, ...]:
    """The config's extra places when there is a config file (JSON-lines runs need none)."""
    obj = cli_context(ctx)
    return obj.settings().places if obj.resolved_config_path().exists() else ()


@functools.cache
def _load_tagger(places: tuple[PlaceConfig, ...]) -> _Tagger | None:
    """The gazetteer tagger when the geo package provides one (imported only here: it is big);
    loaded once per process."""
    try:
        module = importlib.import_module("monitor.geo")
    except ImportError:
        return None
    factory = getattr(module, "load_tagger", None)
    return factory(places) if callable(factory) else None


def _tagged(item: Item, tagger: _Tagger) -> Item:
    from dataclasses import replace

    return replace(item, geo=tagger.tag(item.summary, item.title))


def _console(stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _print_hit(console: Console, hit: BacktestHit) -> None:
    from rich.text import Text

    from monitor.rules import highlight

    item = hit.item
    when = item.published_at.isoformat() if item.published_at else "-"
    header = Text(f"{item.key}  {item.source or '-'}  {when}", style="dim")
    console.print(header)
    console.print(highlight(item.title, hit.hits, "title"))
    if item.summary:
        console.print(highlight(item.summary, hit.hits, "summary"))
    regions = ", ".join(hit.regions) or "-"
    console.print(Text(f"terms: {', '.join(hit.terms)}  regions: {regions}", style="cyan"))
    console.print()
