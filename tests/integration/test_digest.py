"""Daily digests: grouping and content, once per recipient per local day (restarts, two workers,
DST changes), a missed digest sent the same day, delivery over real SMTP, `monitor digest`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import RegionConfig, RuleConfig, Settings, WebSettings
from monitor.notify.digest import enqueue_due
from monitor.notify.mailer import SmtpMailer
from monitor.notify.sender import send_due
from monitor.schedule import digest_due_at
from monitor.store import open_store
from monitor.store.base import Store
from monitor.types import Match, NewItem
from tests.support.mail import NORMAL, T0, URGENT, SmtpSink, mail_settings, store_items, story_item

# 18:00 in Baghdad (UTC+3) on T0's day.
DUE = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
EMBASSY = RuleConfig(name="embassy-watch", query="embass*", severity="normal")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def digest_settings(port: int = 0, **digest: Any) -> Settings:
    base = mail_settings(port, rules=(URGENT, NORMAL, EMBASSY), **digest)
    return Settings(
        worker=base.worker, rules=base.rules, email=base.email, digest=base.digest,
        regions=(RegionConfig("Levant", ("SY", "LB", "JO")),),
        web=WebSettings(base_url="https://monitor.example.org"),
    )


def merge_story(db: Path, keys: list[str]) -> None:
    """What story assignment does for copies of one event: one story, its outlet count."""
    with sqlite3.connect(db) as conn:
        ids = [conn.execute("SELECT id FROM items WHERE key = ?", (k,)).fetchone()[0]
               for k in keys]
        story = conn.execute("SELECT story_id FROM items WHERE id = ?", (ids[0],)).fetchone()[0]
        conn.executemany("UPDATE items SET story_id = ? WHERE id = ?", [(story, i) for i in ids])
        conn.execute("UPDATE stories SET outlet_count = ? WHERE id = ?", (len(ids), story))


def the_news(store: Store, settings: Settings, db: Path) -> None:
    """An urgent Iraq story from three outlets (one copy also matching a normal rule), a Syrian
    and an Iranian story, and one with no country."""
    first = story_item("gz-am", "Rockets hit Green Zone", source="AM wire")
    both = NewItem(first.item, (*first.matches, Match("embassy-watch", "normal", ("embass*",))))
    store_items(store, settings, "AM wire", [both], T0)
    store_items(store, settings, "Global Wire",
                [story_item("gz-gw", "Green Zone rocket attack", source="Global Wire"),
                 story_item("sy", "Shelling near Aleppo", source="Global Wire", country="SY",
                            rule=NORMAL)], T0 + timedelta(minutes=5))
    store_items(store, settings, "Gulf Broadcaster",
                [story_item("gz-gb", "C-RAM fires at US embassy", source="Gulf Broadcaster"),
                 story_item("ir", "Uranium stockpile grows", source="Gulf Broadcaster",
                            country="IR", rule=NORMAL),
                 story_item("nowhere", "Rocket launch delayed", source="Gulf Broadcaster",
                            country="", rule=NORMAL)], T0 + timedelta(minutes=10))
    merge_story(db, ["gz-am", "gz-gw", "gz-gb"])


def digest_payload(store: Store) -> dict[str, Any]:
    [row] = [r for r in store.list_outbox() if r.kind == "digest"]
    return dict(row.payload)


def test_the_digest_groups_stories_by_country_urgent_first_each_story_once(
    store: Store, tmp_path: Path
) -> None:
    settings = digest_settings()
    the_news(store, settings, tmp_path / "monitor.db")
    [outcome] = enqueue_due(store, settings, DUE)
    assert outcome.stories == 4
    payload = digest_payload(store)
    assert payload["summary"] == "4 stories from 7 matches in 3 countries; 1 urgent."
    groups = [(g["name"], [s["title"] for s in g["stories"]]) for g in payload["groups"]]
    assert groups[0] == ("Iraq (IQ)", ["Rockets hit Green Zone"])
    assert {name for name, _ in groups[1:]} == {
        "Syria (SY)", "Iran (IR)", "No primary country",
    }
    [iraq] = payload["groups"][0]["stories"]
    assert iraq["outlets"] == 3 and iraq["urgent"] and iraq["alerted"]
    assert iraq["rules"] == ["iraq-attacks", "embassy-watch"]
    syria = next(g for g in payload["groups"] if g["name"] == "Syria (SY)")
    assert syria["regions"][0] == "Levant"


def test_the_digest_is_delivered_as_text_and_html_with_its_kind(
    store: Store, smtp: SmtpSink, tmp_path: Path
) -> None:
    settings = digest_settings(smtp.port)
    the_news(store, settings, tmp_path / "monitor.db")
    enqueue_due(store, settings, DUE)
    report = send_due(store, SmtpMailer(settings.email, 5), settings, DUE, kinds=("digest",))
    assert report.sent == 1
    [received] = smtp.received
    assert received.recipients == ["desk@example.org"]
    assert received.message["X-Monitor-Kind"] == "digest"
    assert received.message["Subject"] == "Digest 2026-11-25: 4 stories (1 urgent)"
    text = received.message.get_body(("plain",))
    html = received.message.get_body(("html",))
    assert text is not None and html is not None
    body = str(text.get_content())
    assert "== Iraq (IQ) · Middle East" in body
    assert "[URGENT, alerted] [new] Rockets hit Green Zone" in body
    assert "AM wire · 3 outlets" in body
    assert "URGENT · alerted" in str(html.get_content())


def test_a_capped_digest_says_how_many_more_and_links_to_the_ui(
    store: Store, tmp_path: Path
) -> None:
    settings = digest_settings(max_stories=2)
    the_news(store, settings, tmp_path / "monitor.db")
    enqueue_due(store, settings, DUE)
    payload = digest_payload(store)
    assert sum(len(g["stories"]) for g in payload["groups"]) == 2
    assert payload["more"] == 2
    assert payload["more_link"] == "https://monitor.example.org/matches"


def test_two_runs_and_two_workers_queue_one_digest_per_recipient_per_day(
    store: Store, tmp_path: Path
) -> None:
    settings = digest_settings()
    second_worker = open_store("sqlite:///monitor.db", tmp_path)
    try:
        first = enqueue_due(store, settings, DUE)
        again = enqueue_due(store, settings, DUE + timedelta(minutes=1))
        other = enqueue_due(second_worker, settings, DUE + timedelta(minutes=2))
    finally:
        second_worker.close()
    assert first[0].outbox_id is not None
    assert again[0].outbox_id is None and other[0].outbox_id is None
    assert len(store.list_outbox()) == 1


def test_no_digest_before_its_time_and_a_missed_one_is_sent_later_that_day(store: Store) -> None:
    settings = digest_settings()
    assert enqueue_due(store, settings, DUE - timedelta(minutes=1)) == []
    late_evening = DUE + timedelta(hours=5, minutes=30)  # 23:30 in Baghdad
    [outcome] = enqueue_due(store, settings, late_evening)
    assert outcome.day == date(2026, 11, 25) and outcome.outbox_id is not None
    next_morning = DUE + timedelta(hours=6, minutes=30)  # 00:30 the next day
    assert enqueue_due(store, settings, next_morning) == []


@pytest.mark.parametrize("start", [datetime(2026, 3, 27, tzinfo=UTC),
                                   datetime(2026, 10, 23, tzinfo=UTC)])
def test_across_a_dst_change_each_local_day_gets_exactly_one_digest_on_time(
    store: Store, start: datetime
) -> None:
    settings = digest_settings(timezone="Europe/Berlin", time="02:30")
    queued: dict[date, datetime] = {}
    tick = start
    while tick < start + timedelta(days=4):
        for outcome in enqueue_due(store, settings, tick):
            if outcome.outbox_id is not None:
                assert outcome.day not in queued
                queued[outcome.day] = tick
        tick += timedelta(minutes=15)
    assert len(queued) == 4
    for day, at in queued.items():
        due = digest_due_at(day, "02:30", "Europe/Berlin")
        assert due <= at < due + timedelta(minutes=15)
    # 02:30 does not exist on the spring-forward day: 03:30 CEST; on the fall-back day the
    # first 02:30 (CEST) counts.
    if start.month == 3:
        assert queued[date(2026, 3, 29)] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    else:
        assert queued[date(2026, 10, 25)] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_stories_new_since_the_last_digest_are_counted(store: Store, tmp_path: Path) -> None:
    settings = digest_settings()
    the_news(store, settings, tmp_path / "monitor.db")
    enqueue_due(store, settings, T0 + timedelta(minutes=30), ignore_time=True)
    store_items(store, settings, "Global Wire",
                [story_item("late", "Rockets hit Basra", source="Global Wire")],
                T0 + timedelta(hours=1))
    enqueue_due(store, settings, DUE, force=True)
    latest = max((r for r in store.list_outbox() if r.kind == "digest"), key=lambda r: r.id)
    assert latest.payload["summary"] == (
        "5 stories from 8 matches in 3 countries; 2 urgent; 1 new since the last digest."
    )


def write_config(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///monitor.db"\n'
        f'[email]\nfrom = "monitor@example.org"\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
        '[digest]\ntime = "18:00"\ntimezone = "Asia/Baghdad"\nrecipients = ["desk@example.org"]\n'
    )
    return config


def test_monitor_digest_now_sends_once_unless_forced_and_outbox_lists_it(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    config = str(write_config(tmp_path, smtp.port))
    runner = CliRunner()
    first = runner.invoke(main, ["digest", "--now", "--config", config])
    assert first.exit_code == 0, first.output
    assert "queued as outbox #1" in first.output and "sent 1 digest(s)" in first.output
    again = runner.invoke(main, ["digest", "--now", "--config", config])
    assert "already queued (--force for another)" in again.output
    forced = runner.invoke(main, ["digest", "--now", "--force", "--config", config])
    assert "queued as outbox #2" in forced.output
    assert len(smtp.received) == 2
    listed = runner.invoke(main, ["outbox", "--json", "--config", config])
    rows = json.loads(listed.output)
    assert [(r["kind"], r["status"], r["attempts"]) for r in rows] == [("digest", "sent", 1)] * 2
    table = runner.invoke(main, ["outbox", "--retry", "1", "--config", config])
    assert "requeued 0 of 1 row(s)" in table.output and "2 outbox rows" in table.output


def test_monitor_outbox_shows_feed_text_literally_and_failures_with_their_reason(
    tmp_path: Path, store: Store
) -> None:
    config = str(write_config(tmp_path, 25))
    settings = digest_settings()
    store_items(store, settings, "AM wire", [story_item("x", "Rockets [/bold] hit [red]Erbil")], T0)
    [row] = store.list_outbox()
    store.fail_outbox([row.id], store.claim_outbox(T0, "t", 60, 1)[0].lease_token or "",
                      "550 5.1.1 [no such user]", T0, permanent=True)
    listed = CliRunner().invoke(main, ["outbox", "--status", "failed", "--config", config],
                                env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "Rockets [/bold] hit [red]Erbil" in listed.output
    assert "550 5.1.1 [no such user]" in listed.output


def test_monitor_digest_for_a_past_date_and_one_recipient(tmp_path: Path, smtp: SmtpSink) -> None:
    config = str(write_config(tmp_path, smtp.port))
    result = CliRunner().invoke(
        main, ["digest", "--date", "2026-01-03", "--recipient", "chief@example.org",
               "--config", config],
    )
    assert result.exit_code == 0, result.output
    assert "chief@example.org 2026-01-03: queued as outbox #1 (0 stories)" in result.output
    [received] = smtp.received
    assert received.recipients == ["chief@example.org"]
    text = received.message.get_body(("plain",))
    assert text is not None
    assert "02 Jan 18:00 – 03 Jan 18:00 (Asia/Baghdad)" in str(text.get_content())


def test_monitor_digest_says_when_it_is_not_due_yet(tmp_path: Path) -> None:
    config = str(write_config(tmp_path, 25))
    result = CliRunner().invoke(main, ["digest", "--date", "2099-01-01", "--config", config])
    assert result.exit_code == 0, result.output
    assert "desk@example.org: not due yet (at 18:00 Asia/Baghdad; --now to build it anyway)" in (
        result.output
    )
