"""`monitor tag [--jsonl] [TEXT]`: geotag text — places found, countries, the primary country.

Config `[[places]]` are layered on the bundled gazetteer when a config file is there; without
one (the default path missing) the bundled gazetteer is used alone.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import click

from monitor.cli.context import CliContext, cli_context, command_config_option, fail_usage
from monitor.config import PlaceConfig
from monitor.errors import ConfigError
from monitor.types import GeoTags

if TYPE_CHECKING:
    from monitor.geo import Tagger


def register(group: click.Group) -> None:
    group.add_command(tag)


@click.command()
@click.option("--jsonl", is_flag=True, help='Read {"id","text","title"?} lines from stdin.')
@click.argument("text", required=False)
@command_config_option
@click.pass_context
def tag(ctx: click.Context, jsonl: bool, text: str | None) -> None:
    """Geotag TEXT (or stdin): the places found, every country, the primary country."""
    if jsonl and text is not None:
        fail_usage(["give TEXT or --jsonl, not both"])
    obj = cli_context(ctx)
    if jsonl:
        tagger: Tagger | None = None
        for record in _records(sys.stdin):
            tagger = tagger or _load(obj)  # after the first line is known to be valid
            tags = tagger.tag(record["text"], record.get("title", ""))
            click.echo(json.dumps(tags_json(str(record["id"]), tags), ensure_ascii=False))
        return
    body = text if text is not None else sys.stdin.read()
    click.echo(readable(_load(obj).tag(body)))


def _load(obj: CliContext) -> Tagger:
    from monitor.geo import load_tagger

    try:
        return load_tagger(_config_places(obj))
    except ConfigError as e:
        fail_usage(e.problems)


def _config_places(obj: CliContext) -> tuple[PlaceConfig, ...]:
    explicit = obj.config_path or os.environ.get("MONITOR_CONFIG")
    if not explicit and not obj.resolved_config_path().is_file():
        return ()
    return obj.settings().places


def _records(stream: IO[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            fail_usage([f"stdin line {number}: not JSON ({e.msg})"])
        valid = isinstance(record, dict) and "id" in record and isinstance(record.get("text"), str)
        if not valid or not isinstance(record.get("title", ""), str):
            fail_usage([f'stdin line {number}: expected {{"id", "text", "title"?}} strings'])
        yield record


def tags_json(item_id: str, tags: GeoTags) -> dict[str, Any]:
    """The stable `monitor tag --jsonl` output object (plus each place's field)."""
    return {
        "id": item_id,
        "countries": list(tags.countries),
        "primary": tags.primary,
        "places": [
            {"name": p.name, "country": p.country, "start": p.start, "end": p.end,
             "field": p.field}
            for p in tags.places
        ],
    }


def readable(tags: GeoTags) -> str:
    if not tags.places:
        return "no places found"
    lines = [f"primary:   {tags.primary}", f"countries: {', '.join(tags.countries)}", "places:"]
    width = max(len(p.name) for p in tags.places)
    lines += [f"  {p.name:<{width}}  {p.country}  {p.start}-{p.end}" for p in tags.places]
    return "\n".join(lines)
