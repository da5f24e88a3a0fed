"""`monitor demo`: the offline demo — sample feeds served on loopback, the real worker polling them.

The demo server releases its sample items over about two minutes; the worker polls every few
seconds and each new match is printed as it arrives, while the web UI (no login: loopback with
`web.auth = "none"`) shows them. When every item is out and polled, the full table of matches
is printed; in a terminal the UI then stays up until Ctrl-C, otherwise the demo ends.
"""

from __future__ import annotations

import asyncio
import email.policy
import os
import shutil
import signal
import sys
import webbrowser
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from monitor.cli.context import command_config_option, fail_usage
from monitor.cli.output import console as make_console
from monitor.cli.output import matches_table
from monitor.config import Settings
from monitor.records import StoredMatch
from monitor.store.base import Store

if TYPE_CHECKING:
    from monitor.cli.web_cmd import WebHandle
    from monitor.demo import DemoServer
    from monitor.worker import Worker

REPORT_EVERY_S = 1.0
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class DemoWeb:
    """The demo's web UI: where it listens, whether to stay up after the demo, open a browser."""

    handle: WebHandle
    keep_serving: bool
    open_browser: bool


def register(group: click.Group) -> None:
    group.add_command(demo)


@click.command()
@click.option("--fast", is_flag=True, help="Release every sample item at once, poll once, exit.")
@click.option("--speed", type=click.FloatRange(min=0.1), default=1.0, help="Release speed-up.")
@click.option(
    "--var-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/demo"),
    show_default=True,
    help="Throw-away folder for the database and mail (emptied first).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help=f"Web UI port (default {DEFAULT_PORT}, or any free one if taken; 0 = any).")
@click.option("--no-browser", is_flag=True, help="Do not open the web UI in a browser.")
@click.option("--keep-serving/--exit-when-done", default=None,
              help="After the demo, keep the web UI up until Ctrl-C (default: in a terminal).")
@command_config_option
def demo(fast: bool, speed: float, var_dir: Path, port: int | None, no_browser: bool,
         keep_serving: bool | None) -> None:
    """Offline demo: serve the bundled sample feeds on loopback and watch matches arrive."""
    from monitor.demo import DemoServer, default_demo_dir, write_demo_config

    source = default_demo_dir()
    if not (source / "demo.toml").is_file():
        fail_usage([f"{source}: the demo material (config/demo) is not there"])
    _empty(var_dir)
    server = DemoServer(source / "feeds", speed=speed)
    base_url = server.start()
    try:
        if fast:
            server.release_all()
        config = write_demo_config(
            source / "demo.toml", var_dir / "monitor.toml", base_url, data_dir=var_dir
        )
        settings = _load(config)
        console = make_console()
        console.print(f"[bold]monitor demo[/]: {len(server.feeds)} sample feeds at {base_url}")
        console.print(f"config: {config}  (try `monitor matches --config {config}`)")
        web = None if fast else _demo_web(settings, port, no_browser, keep_serving)
        asyncio.run(_run(settings, server, console, fast, web))
    finally:
        server.stop()


def _empty(var_dir: Path) -> None:
    for name in ("monitor.db", "monitor.db-wal", "monitor.db-shm"):
        (var_dir / name).unlink(missing_ok=True)
    shutil.rmtree(var_dir / "mail", ignore_errors=True)
    var_dir.mkdir(parents=True, exist_ok=True)


def _demo_web(
    settings: Settings, port: int | None, no_browser: bool, keep_serving: bool | None
) -> DemoWeb:
    from monitor.cli.web_cmd import prepare_web

    handle = prepare_web(settings, port=DEFAULT_PORT if port is None else port,
                         any_port_if_busy=port is None)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    keep = interactive if keep_serving is None else keep_serving
    return DemoWeb(handle, keep, keep and not no_browser)


def _load(config: Path) -> Settings:
    from monitor.config import load_settings

    return load_settings(config, os.environ)


async def _run(
    settings: Settings, server: DemoServer, console: Console, fast: bool, web: DemoWeb | None
) -> None:
    from monitor.pipeline import poll_cycle
    from monitor.runtime import poll_context
    from monitor.store import open_store
    from monitor.worker import Worker

    store = open_store(settings.database.url)
    store.migrate()
    stop_web = asyncio.Event()
    try:
        async with poll_context(settings, store) as ctx:
            ui = _start_web(web, stop_web, console)
            if fast:
                store.sync_feeds(settings.feeds, ctx.clock())
                await poll_cycle(ctx)
            else:
                worker = Worker(ctx)
                runner = asyncio.create_task(worker.run(handle_signals=False))
                await _report_until_done(store, server, worker, console)
                worker.stop()
                await runner
            await asyncio.to_thread(_send_mail, store, settings, ctx.clock())
            _print_final(store, console)
            _print_mail(settings, console)
            await _serve_until_interrupted(web, ui, stop_web, console)
    finally:
        stop_web.set()
        store.close()


def _start_web(
    web: DemoWeb | None, stop: asyncio.Event, console: Console
) -> asyncio.Task[None] | None:
    if web is None:
        return None
    from monitor.web import serve

    task = asyncio.create_task(serve(web.handle.app, web.handle.sock, stop))
    console.print(f"[bold]web UI[/]: {web.handle.url}  (no login: loopback only)")
    if web.open_browser:
        webbrowser.open(web.handle.url)
    return task


async def _serve_until_interrupted(
    web: DemoWeb | None, ui: asyncio.Task[None] | None, stop: asyncio.Event, console: Console
) -> None:
    """In a terminal the UI stays up after the demo until Ctrl-C (or SIGTERM)."""
    if web is None or ui is None:
        return
    if web.keep_serving:
        console.print(f"The web UI stays up at {web.handle.url} — press Ctrl-C to stop.")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    stop.set()
    await ui


async def _report_until_done(
    store: Store, server: DemoServer, worker: Worker, console: Console
) -> None:
    """Print matches as they arrive; return once every item is out and every feed was polled
    after that."""
    shown: set[int] = set()
    all_out_at: datetime | None = None
    while all_out_at is None or not _all_polled_since(store, all_out_at):
        await asyncio.sleep(REPORT_EVERY_S)
        _print_new(store.list_matches(), shown, console)
        if all_out_at is None and server.next_release_in() is None:
            all_out_at = worker.ctx.clock()
    _print_new(store.list_matches(), shown, console)


def _all_polled_since(store: Store, moment: datetime) -> bool:
    feeds = [f for f in store.list_feeds() if not f.disabled_reason]
    return all(f.last_fetched_at is not None and f.last_fetched_at > moment for f in feeds)


def _print_new(matches: list[StoredMatch], shown: set[int], console: Console) -> None:
    for m in reversed(matches):
        if m.id in shown:
            continue
        shown.add(m.id)
        severity = "[bold red]URGENT[/]" if m.severity == "urgent" else "normal"
        console.print(
            f"{m.matched_at:%H:%M:%S} {severity} [cyan]{m.rule}[/] "
            f"[{m.primary_region or '—'}] {m.source}: {m.title} "
            f"[dim]({', '.join(m.terms)})[/]"
        )


def _send_mail(store: Store, settings: Settings, now: datetime) -> None:
    """Alerts still due, and today's digest now rather than at `digest.time`."""
    from monitor.notify import deliver_due
    from monitor.notify.digest import enqueue_due

    enqueue_due(store, settings, now, force=True, ignore_time=True)
    deliver_due(store, settings, now)


def _print_mail(settings: Settings, console: Console) -> None:
    mail = sorted(settings.email.outbox_dir.glob("*.eml"))
    console.print(f"{len(mail)} emails written to {settings.email.outbox_dir}/:")
    parser = BytesHeaderParser(policy=email.policy.default)
    for path in mail:
        console.print(f"  {path.name}  {parser.parsebytes(path.read_bytes())['Subject']}")


def _print_final(store: Store, console: Console) -> None:
    matches = store.list_matches()
    stories = {m.story_id for m in matches}
    console.print(matches_table(matches, title=f"{len(matches)} matches in {len(stories)} stories"))
