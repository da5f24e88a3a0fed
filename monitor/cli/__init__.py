"""The `monitor` command line: a thin shell over the functions the worker uses.

Each area's commands live in their own module below and are registered on `main` here. Heavy
modules (parsers, gazetteer, web stack) are imported inside the commands that use them.
"""

from __future__ import annotations

import importlib

import click

from monitor.cli.context import CliContext, config_option

# Each module defines `register(group: click.Group) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "service_cmd",
    "review_cmd",
    "demo_cmd",
    "rules_cmd",
    "parse_cmd",
    "tag_cmd",
    "notify_cmd",
    "db_cmd",
    "web_cmd",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@config_option
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: int) -> None:
    """Watch news wire feeds, match rules and regions, alert and digest."""
    obj = ctx.ensure_object(CliContext)
    obj.configure(config, verbose)


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"monitor.cli.{name}")
        module.register(main)


_register()
