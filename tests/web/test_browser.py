"""The UI in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright
against the app served by uvicorn on a loopback port. Screenshots go to test-output/web/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from monitor.records import InboxFilter
from monitor.store.sqlite import SqliteStore
from monitor.web.app import address, bind
from tests.web.conftest import PASSWORD

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "web"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    pytest.skip(
        "BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (apt-get install chromium; "
        "`make test` installs it)", allow_module_level=True,
    )


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield address(sock)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def log_in(page: Page) -> None:
    page.goto("/matches")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fmatches$"))
    page.fill("input[name=name]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Inbox")


def csp_errors(page: Page) -> list[str]:
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", seen)
    return found


def test_an_analyst_logs_in_filters_and_acknowledges_a_story_by_keyboard(
    page: Page, db_path: Path
) -> None:
    violations = csp_errors(page)
    log_in(page)
    shot(page, "inbox")
    page.fill("input[name=region]", "UA")
    page.click("form.filters button[type=submit]")
    rows = page.locator("tr.row")
    expect(rows.first).to_contain_text("drone")
    ukraine = rows.count()
    first_title = rows.first.locator("a.open").inner_text()
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page.locator("tr.row")).to_have_count(ukraine - 1)
    expect(page.locator("table.inbox")).not_to_contain_text(first_title)
    store = SqliteStore(db_path)
    acked = store.search_matches(InboxFilter(status="acknowledged"), 50).matches
    store.close()
    assert first_title in {m.title for m in acked}
    assert len({m.story_id for m in acked}) == 1, "one story: every copy acknowledged at once"
    assert violations == []


def test_a_false_positive_on_the_story_page_shows_in_its_history(page: Page) -> None:
    violations = csp_errors(page)
    log_in(page)
    page.fill("input[name=q]", "Green Zone")
    page.click("form.filters button[type=submit]")
    page.locator("tr.row a.open").first.click()
    expect(page.locator("mark").first).to_be_visible()
    match = page.locator("section.match").first
    match.locator("input[name=note]").fill("C-RAM test firing, not an attack")
    match.locator("button[value=false_positive]").click()
    history = page.locator("table.audit")
    expect(history).to_contain_text("ann")
    expect(history).to_contain_text("New → False positive")
    expect(history).to_contain_text("C-RAM test firing")
    page.locator("h1").scroll_into_view_if_needed()
    shot(page, "story")
    assert violations == []


def test_a_backtest_shows_highlighted_hits(page: Page) -> None:
    log_in(page)
    page.goto("/rules")
    page.fill("input[name=q]", "rocket* NEAR/8 embass*")
    page.fill("input[name=days]", "30")
    page.click("form.backtest button[type=submit]")
    expect(page.locator("p.result-count")).to_contain_text("matching item")
    expect(page.locator("ol.hits mark").first).to_be_visible()
    shot(page, "rules")


def test_hostile_summaries_do_not_run_in_the_browser(page: Page, hostile_match: int) -> None:
    dialogs: list[str] = []

    def opened(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", opened)
    log_in(page)
    page.goto(f"/matches/{hostile_match}")
    page.locator("details summary").first.click()
    expect(page.locator(".feed-html")).to_contain_text("Rocket strike.")
    assert page.locator(".feed-html form, .feed-html script, .feed-html [onerror]").count() == 0
    time.sleep(0.2)
    assert dialogs == []


def test_the_overview_map_opens_the_inbox_for_a_country(page: Page) -> None:
    log_in(page)
    page.goto("/overview?window=30d")
    frame = page.frame_locator("iframe.map")
    frame.locator('a[*|href*="region=IQ"]').first.click(force=True)
    expect(page).to_have_url(re.compile(r"/matches\?status=all&region=IQ&since=30d$"))
    expect(page.locator("tr.row").first).to_be_visible()
    page.goto("/overview?window=30d")
    shot(page, "overview")
