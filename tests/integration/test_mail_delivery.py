"""Alert delivery through a real SMTP server on loopback (aiosmtpd): content, headers, story
dedupe, cooldown roll-ups, the flood guard, and every way the server can fail."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import FeedConfig, RuleConfig, WebSettings
from monitor.notify.mailer import FileMailer, SmtpMailer
from monitor.notify.sender import SendReport, send_due
from monitor.runtime import poll_context
from monitor.store.base import Store
from monitor.types import FeedResult, OutboxMessage
from monitor.worker import Worker
from tests.support.feed_server import FeedServer, Route, rss
from tests.support.mail import (
    T0,
    URGENT,
    SmtpSink,
    mail_settings,
    store_items,
    story_item,
)
from tests.support.polling import FOOTBALL, GREEN_ZONE, Clock, make_settings, poll


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def send(
    store: Store,
    port: int,
    now: datetime,
    *,
    rules: Sequence[RuleConfig] = (URGENT,),
    max_per_hour: int = 20,
) -> SendReport:
    s = mail_settings(port, rules=rules, max_per_hour=max_per_hour)
    return send_due(store, SmtpMailer(s.email, timeout_s=5), s, now)


def statuses(store: Store) -> list[tuple[str, int]]:
    return [(r.status, r.attempts) for r in reversed(store.list_outbox())]


def test_an_alert_arrives_with_its_kind_stable_message_id_and_content(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port)
    store_items(store, settings, "AM wire", [story_item("gz-1", "Rockets hit Green Zone")], T0)
    report = send(store, smtp.port, T0)
    assert (report.sent, report.rows) == (1, 1)
    [received] = smtp.received
    [row] = store.list_outbox()
    assert received.recipients == ["duty@example.org"]
    assert received.sender == "monitor@example.org"
    assert received.message["X-Monitor-Kind"] == "alert"
    assert received.message["Message-ID"] == row.message_id
    assert received.message["Subject"] == "[URGENT] iraq-attacks: Rockets hit Green Zone"
    text = received.message.get_body(("plain",))
    assert text is not None and "*Rockets* hit Green Zone" in str(text.get_content())
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, T0)


def test_a_title_smuggling_a_bcc_header_reaches_only_the_rule_recipient(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port)
    title = "Rockets hit Green Zone\r\nBcc: spy@evil.example"
    store_items(store, settings, "AM wire", [story_item("gz-1", title)], T0)
    send(store, smtp.port, T0)
    [received] = smtp.received
    assert received.recipients == ["duty@example.org"]
    assert received.message["Bcc"] is None
    assert received.message["Subject"].endswith("Rockets hit Green Zone Bcc: spy@evil.example")


def test_three_outlets_reporting_one_story_send_one_alert(store: Store, smtp: SmtpSink) -> None:
    settings = mail_settings(smtp.port)
    for n, source in enumerate(("AM wire", "Global Wire", "Gulf Broadcaster")):
        copy = story_item(f"gz-{n}", f"Rockets hit Green Zone ({source})", source=source)
        store_items(store, settings, source, [copy], T0 + timedelta(minutes=n),
                    story_key=lambda _: "story:green-zone")
        send(store, smtp.port, T0 + timedelta(minutes=n))
    assert smtp.subjects() == ["[URGENT] iraq-attacks: Rockets hit Green Zone (AM wire)"]
    assert len(store.list_outbox()) == 1


def test_matches_during_the_cooldown_arrive_as_one_rollup_when_it_ends(
    store: Store, smtp: SmtpSink
) -> None:
    rules = (replace(URGENT, cooldown_s=900),)
    settings = mail_settings(smtp.port, rules=rules)
    store_items(store, settings, "AM wire", [story_item("a", "Rockets hit Erbil")], T0)
    send(store, smtp.port, T0, rules=rules)
    later = [story_item(k, f"Rockets hit {k}") for k in ("Basra", "Kirkuk", "Mosul")]
    store_items(store, settings, "Global Wire", later, T0 + timedelta(minutes=2))
    assert send(store, smtp.port, T0 + timedelta(minutes=3), rules=rules).deferred == 3
    assert send(store, smtp.port, T0 + timedelta(minutes=14), rules=rules).sent == 0
    assert send(store, smtp.port, T0 + timedelta(minutes=15), rules=rules).sent == 1
    assert smtp.subjects() == [
        "[URGENT] iraq-attacks: Rockets hit Erbil",
        "[URGENT] iraq-attacks: 3 more matches since 15:00: Rockets hit Basra",
    ]
    assert statuses(store) == [("sent", 1)] * 4


def test_the_flood_guard_caps_emails_per_hour_and_rolls_up_the_rest(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port, max_per_hour=3)
    burst = [story_item(f"s{n}", f"Rockets hit town {n}") for n in range(6)]
    store_items(store, settings, "AM wire", burst, T0)
    assert send(store, smtp.port, T0, max_per_hour=3).sent == 3
    assert smtp.subjects()[2] == "[URGENT] 4 matches rolled up (flood guard): Rockets hit town 2"
    store_items(store, settings, "Global Wire", [story_item("late", "Rockets hit Hit")],
                T0 + timedelta(minutes=10))
    assert send(store, smtp.port, T0 + timedelta(minutes=10), max_per_hour=3).deferred == 1
    assert send(store, smtp.port, T0 + timedelta(minutes=61), max_per_hour=3).sent == 1
    assert len(smtp.received) == 4
    assert statuses(store) == [("sent", 1)] * 7


def test_alerts_queued_while_smtp_is_down_arrive_once_when_it_is_back(store: Store) -> None:
    down = SmtpSink()
    settings = mail_settings(down.port)
    store_items(store, settings, "AM wire",
                [story_item(f"s{n}", f"Rockets hit town {n}") for n in range(3)], T0)
    report = send(store, down.port, T0)
    assert (report.sent, report.retried) == (0, 1)
    [first] = [r for r in store.list_outbox() if r.attempts]
    assert first.status == "pending" and "Connection" in (first.last_error or "")
    assert first.next_attempt_at == T0 + timedelta(seconds=30)
    down.start()
    try:
        send(store, down.port, T0 + timedelta(seconds=5))
        send(store, down.port, T0 + timedelta(seconds=30))
        send(store, down.port, T0 + timedelta(minutes=5))
    finally:
        down.stop()
    assert sorted(down.subjects()) == [f"[URGENT] iraq-attacks: Rockets hit town {n}"
                                       for n in range(3)]
    assert sorted(statuses(store)) == [("sent", 1), ("sent", 1), ("sent", 2)]


def test_a_4xx_reply_is_retried_after_a_backoff_and_then_delivered(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port)
    store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
    smtp.replies = ["451 4.3.0 Try again later", "452 4.3.1 Insufficient storage"]
    assert send(store, smtp.port, T0).retried == 1
    assert send(store, smtp.port, T0 + timedelta(seconds=29)).retried == 0
    assert send(store, smtp.port, T0 + timedelta(seconds=30)).retried == 1
    [row] = store.list_outbox()
    assert (row.attempts, row.next_attempt_at) == (2, T0 + timedelta(seconds=90))
    assert "452" in (row.last_error or "")
    assert send(store, smtp.port, T0 + timedelta(seconds=90)).sent == 1
    assert len(smtp.received) == 1
    assert statuses(store) == [("sent", 3)]


def test_a_5xx_reply_is_recorded_on_the_row_and_retried_only_when_requeued(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port)
    store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
    smtp.replies = ["554 5.7.1 Message rejected as spam"]
    assert send(store, smtp.port, T0).failed == 1
    assert send(store, smtp.port, T0 + timedelta(days=1)).sent == 0
    [row] = store.list_outbox()
    assert row.status == "failed" and row.last_error == "554 5.7.1 Message rejected as spam"
    assert smtp.received == []
    assert store.requeue_outbox([row.id], T0 + timedelta(days=2)) == 1
    assert send(store, smtp.port, T0 + timedelta(days=2)).sent == 1
    assert statuses(store) == [("sent", 1)]


def test_a_refused_recipient_address_is_a_permanent_failure(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port)
    store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
    smtp.refuse["duty@example.org"] = "550 5.1.1 No such user"
    assert send(store, smtp.port, T0).failed == 1
    [row] = store.list_outbox()
    assert row.status == "failed" and "550 5.1.1 No such user" in (row.last_error or "")


def test_feed_health_rows_go_to_the_admin_as_a_small_report(store: Store, smtp: SmtpSink) -> None:
    settings = mail_settings(smtp.port)
    store_items(store, settings, "AM wire", [], T0)
    payload = {"feed_url": "https://am.example/rss", "feed_name": "AM wire", "event": "disabled",
               "detail": "disabled: 410 Gone", "at": T0.isoformat()}
    [feed] = store.claim_due_feeds(T0 + timedelta(hours=1), "p", 60, 1)
    result = FeedResult(
        feed_id=feed.id, lease_token=feed.lease_token or "", checked_at=T0, next_check_at=T0,
        status=410, error="410 Gone", error_count=1, etag=None, last_modified=None,
        outbox=(OutboxMessage("feed_health", "ops@example.org", "fh:1", payload),),
    )
    assert store.complete_feed(result, "p")
    send(store, smtp.port, T0)
    [received] = smtp.received
    assert received.recipients == ["ops@example.org"]
    assert received.message["X-Monitor-Kind"] == "feed-health"
    assert received.message["Subject"] == "[feed disabled] AM wire: disabled: 410 Gone"


def test_without_an_smtp_host_each_message_becomes_one_eml_file(
    store: Store, tmp_path: Path
) -> None:
    settings = mail_settings(0)
    store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
    mailer = FileMailer(tmp_path / "mail")
    assert send_due(store, mailer, settings, T0).sent == 1
    [path] = (tmp_path / "mail").iterdir()
    assert path.name.startswith("outbox-1-") and path.suffix == ".eml"
    assert b"X-Monitor-Kind: alert" in path.read_bytes()


def test_polling_an_urgent_match_queues_its_alert_and_the_email_links_the_stored_match(
    tmp_path: Path, store: Store, feed_server: FeedServer, smtp: SmtpSink
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE, FOOTBALL]))
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/wire.xml"), name="Wire")])
    poll(settings, store, Clock())
    [row] = store.list_outbox()
    assert (row.kind, row.recipient, row.status) == ("alert", "duty@example.org", "pending")
    assert row.payload["title"] == "Rockets hit Baghdad's Green Zone"
    mailing = replace(mail_settings(smtp.port), web=WebSettings(base_url="https://m.example"))
    assert send_due(store, SmtpMailer(mailing.email, 5), mailing, Clock().now).sent == 1
    [match] = store.list_matches()
    text = smtp.received[0].message.get_body(("plain",))
    assert text is not None
    assert f"In monitor: https://m.example/matches/{match.id}" in str(text.get_content())


def test_a_backlog_older_than_the_alert_age_limit_is_matched_but_never_alerts(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE]))
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/wire.xml"), name="Wire")])
    one_hour = replace(settings, email=replace(settings.email, alert_max_age_s=3600))
    poll(one_hour, store, Clock())  # published 10:00, polled 12:00
    assert len(store.list_matches()) == 1
    assert store.list_outbox() == []


def smtp_mailer(port: int, *, user: str = "", password: str = "", security: str = "none"
                ) -> SmtpMailer:
    email = replace(mail_settings(port).email, smtp_user=user, smtp_password=password,
                    smtp_security=security)
    return SmtpMailer(email, timeout_s=5)


PLAIN_AUTH_ON_LOOPBACK = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@PLAIN_AUTH_ON_LOOPBACK
def test_smtp_auth_logs_in_with_the_configured_user_and_password(store: Store) -> None:
    sink = SmtpSink(login=("monitor", "s3cret")).start()
    try:
        settings = mail_settings(sink.port)
        store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
        mailer = smtp_mailer(sink.port, user="monitor", password="s3cret")
        assert send_due(store, mailer, settings, T0).sent == 1
    finally:
        sink.stop()
    assert len(sink.received) == 1


@PLAIN_AUTH_ON_LOOPBACK
def test_a_wrong_smtp_password_is_retried_later_not_given_up(store: Store) -> None:
    sink = SmtpSink(login=("monitor", "s3cret")).start()
    try:
        settings = mail_settings(sink.port)
        store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
        mailer = smtp_mailer(sink.port, user="monitor", password="wrong")
        assert send_due(store, mailer, settings, T0).retried == 1
    finally:
        sink.stop()
    [row] = store.list_outbox()
    assert row.status == "pending" and "authentication failed: 535" in (row.last_error or "")


def test_starttls_refused_by_the_server_is_a_transient_failure(
    store: Store, smtp: SmtpSink
) -> None:
    settings = mail_settings(smtp.port)
    store_items(store, settings, "AM wire", [story_item("gz", "Rockets hit Green Zone")], T0)
    mailer = smtp_mailer(smtp.port, security="starttls")
    assert send_due(store, mailer, settings, T0).retried == 1
    [row] = store.list_outbox()
    assert row.status == "pending" and "STARTTLS" in (row.last_error or "")


def test_each_worker_tick_polls_then_sends_the_alerts_it_queued(
    tmp_path: Path, store: Store, feed_server: FeedServer
) -> None:
    feed_server.routes["/wire.xml"] = Route(body=rss([GREEN_ZONE]))
    settings = make_settings(tmp_path, [FeedConfig(url=feed_server.url("/wire.xml"), name="Wire")])
    clock = Clock()

    async def one_tick() -> None:
        store.sync_feeds(settings.feeds, clock())
        async with poll_context(settings, store, clock=clock) as ctx:
            await Worker(ctx, FileMailer(tmp_path / "mail")).tick()

    asyncio.run(one_tick())
    [eml] = (tmp_path / "mail").iterdir()
    assert b"Subject: [URGENT] iraq-attacks: Rockets hit Baghdad's Green Zone" in eml.read_bytes()
    assert [r.status for r in store.list_outbox()] == ["sent"]
