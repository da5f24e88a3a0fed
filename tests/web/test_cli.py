"""`monitor web`, and the web UI that `monitor run` serves in the worker's event loop."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import httpx
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import Settings
from monitor.web import create_app, serve
from monitor.web.app import address, bind
from tests.web.conftest import store_factory


def test_monitor_web_refuses_to_start_without_a_password(demo_files: tuple[Path, Path]) -> None:
    config = demo_files[0]
    text = config.read_text().replace('auth = "none"', 'auth = "password"')
    guarded = config.with_name("guarded.toml")
    guarded.write_text(text)
    for command in (["web"], ["run"]):
        result = CliRunner().invoke(main, [*command, "--config", str(guarded)],
                                    env={"MONITOR_WEB_PASSWORD": ""})
        assert result.exit_code == 2
        assert "MONITOR_WEB_PASSWORD" in result.output


def test_the_embedded_server_answers_until_the_stop_event(
    settings: Settings, db_path: Path
) -> None:
    app = create_app(replace(settings, web=replace(settings.web, api_token="t")),
                     lambda: store_factory(db_path))

    async def scenario() -> tuple[int, int, bool]:
        stopping = asyncio.Event()
        sock = bind("127.0.0.1", 0)
        task = asyncio.create_task(serve(app, sock, stopping))
        async with httpx.AsyncClient(base_url=address(sock)) as client:
            for _ in range(100):
                try:
                    health = await client.get("/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            api = await client.get("/api/feeds", headers={"Authorization": "Bearer t"})
        stopping.set()
        await asyncio.wait_for(task, 10)
        return health.status_code, api.status_code, task.done()

    assert asyncio.run(scenario()) == (200, 200, True)
