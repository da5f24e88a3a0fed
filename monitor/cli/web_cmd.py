"""`monitor web`: the review UI and JSON API alone (`monitor run` and `monitor demo` start the
same app beside the worker, through `prepare_web`)."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import click

from monitor.cli.context import cli_context, command_config_option, fail_usage
from monitor.config import Settings
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(group: click.Group) -> None:
    group.add_command(web)


@dataclass(frozen=True)
class WebHandle:
    """An app and the socket it will serve on (bound already, so the address is known)."""

    app: FastAPI
    sock: socket.socket
    url: str


def prepare_web(
    settings: Settings, host: str | None = None, port: int | None = None, *,
    any_port_if_busy: bool = False,
) -> WebHandle:
    """Build the app and bind its socket; a user error (no password, address in use) exits
    with a message. Imports the web stack only here."""
    from monitor.web.app import address, bind, create_app

    web_settings = replace(settings.web, host=host or settings.web.host,
                           port=settings.web.port if port is None else port)
    try:
        app = create_app(replace(settings, web=web_settings))
    except ConfigError as e:
        fail_usage(e.problems)
    try:
        sock = bind(web_settings.host, web_settings.port)
    except OSError as e:
        if not (any_port_if_busy and e.errno == errno.EADDRINUSE):
            fail_usage([f"web: cannot listen on {web_settings.host}:{web_settings.port}: "
                        f"{e.strerror or e}"])
        sock = bind(web_settings.host, 0)
    return WebHandle(app, sock, address(sock))


@click.command()
@click.option("--host", default=None, help="Listen address (default: web.host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: web.port; 0 = any free port).")
@command_config_option
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the review web UI and JSON API (without the worker)."""
    import uvicorn

    settings = cli_context(ctx).settings()
    handle = prepare_web(settings, host, port)
    click.echo(f"web UI at {handle.url}  (API schema: {handle.url}/api/openapi.json)")
    config = uvicorn.Config(handle.app, log_level="warning", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[handle.sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled: it has shut down cleanly
    finally:
        handle.sock.close()
