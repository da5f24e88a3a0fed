"""Composing messages: headers that feed text cannot break, escaped HTML, readable content."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from monitor.config import DigestSettings, EmailSettings, RuleConfig, Settings, WebSettings
from monitor.notify.alerts import Delivery, alert_messages
from monitor.notify.compose import clean_header, compose, highlight, message_id_for
from monitor.notify.mailer import FakeMailer
from monitor.records import OutboxRow
from monitor.types import GeoTags, Item, Match, NewItem, TermHit

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RULE = RuleConfig(
    name="iraq-attacks", query='rocket* OR "C-RAM"', severity="urgent",
    recipients=("duty@example.org",), cooldown_s=900,
)
TITLE = "Rockets hit <b>Green Zone</b>"
SUMMARY = "BAGHDAD - Two rockets struck; the C-RAM fired."


def settings(base_url: str = "https://monitor.example.org") -> Settings:
    return Settings(
        rules=(RULE,),
        email=EmailSettings(sender="Monitor <monitor@example.org>"),
        digest=DigestSettings(timezone="Asia/Baghdad"),
        web=WebSettings(base_url=base_url),
    )


def alert_row(
    row_id: int = 7, *, title: str = TITLE, link: str | None = "https://wire.example/gz",
    extra: dict[str, Any] | None = None,
) -> OutboxRow:
    item = Item(
        key="gz-1", feed_id=1, source="AM wire", title=title, summary=SUMMARY, link=link,
        published_at=NOW, fetched_at=NOW, geo=GeoTags(("IQ", "US"), "IQ", ()),
    )
    hits = (TermHit("rocket*", "title", 0, 7), TermHit("rocket*", "summary", 14, 21),
            TermHit("c ram", "summary", 34, 39))
    match = Match(RULE.name, "urgent", ("rocket*", "c ram"), hits, ("IQ",))
    (message, *_) = alert_messages([NewItem(item, (match,))], [RULE], NOW, 21600)
    payload = {**message.payload, "match_id": 3, "item_id": 4, "outlets": 3, **(extra or {})}
    return OutboxRow(
        id=row_id, kind="alert", recipient=message.recipient, dedupe_key=message.dedupe_key,
        payload=payload, status="pending", attempts=0, created_at=NOW, next_attempt_at=NOW,
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_header_text_loses_line_breaks_and_control_characters() -> None:
    assert clean_header("a\r\nBcc: x@y\x00\x1b[31m\u2028b\tc") == "a Bcc: x@y [31m b c"
    assert len(clean_header("x" * 500)) == 200


def test_a_title_smuggling_a_bcc_header_stays_inside_the_subject() -> None:
    message = compose(Delivery((alert_row(title="Rockets\r\nBcc: spy@evil.example"),)),
                      settings(), NOW)
    reparsed = message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert reparsed["Bcc"] is None
    assert reparsed.get_all("To") == ["duty@example.org"]
    assert reparsed["Subject"] == "[URGENT] iraq-attacks: Rockets Bcc: spy@evil.example"
    FakeMailer().send(message)


def test_every_alert_carries_its_kind_and_a_message_id_derived_from_its_row() -> None:
    row = alert_row(42)
    message = compose(Delivery((row,)), settings(), NOW)
    assert message["X-Monitor-Kind"] == "alert"
    assert message["Message-ID"] == message_id_for([row])
    assert message["Message-ID"].startswith("<outbox-42-")
    assert compose(Delivery((row,)), settings(), NOW + timedelta(hours=1))["Message-ID"] == (
        message["Message-ID"]
    )


def test_an_alert_shows_what_matched_where_who_when_and_why() -> None:
    text, html = parts(compose(Delivery((alert_row(),)), settings(), NOW))
    assert "*Rockets* hit <b>Green Zone</b>" in text
    assert "Two *rockets* struck; the *C-RAM* fired." in text
    assert "Where:      Iraq (IQ) · Middle East" in text
    assert "AM wire · reported by 3 outlets" in text
    assert "2026-11-25 15:00 +03" in text
    assert "https://wire.example/gz" in text
    assert 'query: rocket* OR "C-RAM"' in text
    assert "https://monitor.example.org/matches/3" in text
    assert "<mark>Rockets</mark> hit &lt;b&gt;Green Zone&lt;/b&gt;" in html


def test_html_parts_escape_feed_text_and_text_parts_keep_it_verbatim() -> None:
    text, html = parts(compose(Delivery((alert_row(title="<script>x()</script>"),)),
                               settings(), NOW))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "x()</script>" in text


def test_links_that_are_not_http_are_left_out() -> None:
    text, html = parts(compose(Delivery((alert_row(link="javascript:alert(1)"),)), settings(), NOW))
    assert "javascript:" not in text and "javascript:" not in html


def test_without_a_base_url_there_is_no_link_to_the_web_ui() -> None:
    text, _ = parts(compose(Delivery((alert_row(),)), settings(base_url=""), NOW))
    assert "In monitor" not in text


def test_a_cooldown_rollup_says_how_many_more_matches_since_the_last_alert() -> None:
    rows = (alert_row(2), alert_row(3), alert_row(4))
    since = datetime(2026, 11, 25, 11, 5, tzinfo=UTC)
    message = compose(Delivery(rows, since=since), settings(), NOW)
    assert message["Subject"].startswith("[URGENT] iraq-attacks: 3 more matches since 14:05")
    text, _ = parts(message)
    assert "3 more matches for iraq-attacks since the alert at 14:05 (cooldown 15m)" in text


def test_a_flood_rollup_says_the_hourly_limit_was_reached() -> None:
    message = compose(Delivery((alert_row(2), alert_row(3)), flood=True), settings(), NOW)
    assert "flood guard" in message["Subject"]
    assert "20 alert emails in the last hour" in parts(message)[0]


def test_feed_health_reports_are_marked_as_such() -> None:
    row = OutboxRow(
        id=9, kind="feed_health", recipient="ops@example.org", dedupe_key="feed_health:1:x",
        payload={"feed_url": "https://f.example/rss", "feed_name": "F", "event": "failing",
                 "detail": "failing for 26 h (40 attempts): timeout", "at": NOW.isoformat()},
        status="pending", attempts=0, created_at=NOW, next_attempt_at=NOW,
    )
    message = compose(Delivery((row,)), settings(), NOW)
    assert message["X-Monitor-Kind"] == "feed-health"
    assert message["Subject"].startswith("[feed failing] F: failing for 26 h")
    assert "https://f.example/rss" in parts(message)[0]


def test_a_rollup_that_gained_rows_gets_a_new_message_id() -> None:
    first = alert_row(2)
    later = replace(alert_row(3), dedupe_key="alert:iraq-attacks:duty@example.org:other")
    alone, rolled = message_id_for([first]), message_id_for([first, later])
    assert alone != rolled and rolled.startswith("<outbox-2-")
    assert message_id_for([first, later]) == rolled


def test_highlighting_merges_overlapping_spans_and_ignores_spans_outside_the_text() -> None:
    assert highlight("rocket attack", [(0, 6), (3, 8), (50, 60)]) == [
        ("rocket a", True), ("ttack", False),
    ]
    assert highlight("plain", []) == [("plain", False)]


def test_a_story_update_is_marked_as_a_follow_up() -> None:
    message = compose(Delivery((alert_row(extra={"update": True}),)), settings(), NOW)
    assert message["Subject"].startswith("[URGENT] iraq-attacks: update: Rockets hit")
    text, html = parts(message)
    assert "URGENT · iraq-attacks · update to an earlier alert\nUpdate: *Rockets* hit" in text
    assert "Update: " in html


def test_an_ordinary_alert_starts_with_its_severity_rule_and_headline() -> None:
    text, _ = parts(compose(Delivery((alert_row(),)), settings(), NOW))
    assert text.startswith("URGENT · iraq-attacks\n*Rockets* hit <b>Green Zone</b>\n\nBAGHDAD")


def test_a_large_rollup_shows_ten_matches_in_full_and_the_rest_as_one_line_each() -> None:
    rows = tuple(alert_row(n) for n in range(1, 14))
    text, html = parts(compose(Delivery(rows, flood=True), settings(), NOW))
    assert text.count("Why:") == 10
    assert "--- 3 more ---" in text
    assert text.count("* Rockets hit <b>Green Zone</b> (AM wire, 2026-11-25 15:00 +03)") == 3
    assert "<h3 style=\"font-size: 1em;\">3 more</h3>" in html
