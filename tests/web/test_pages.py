"""The server-rendered pages: inbox by story, filters, triage with audit, detail, rules,
feeds, overview, digest preview — and hostile feed text rendered inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from monitor.records import InboxFilter
from monitor.schedule import local_day
from monitor.store.sqlite import SqliteStore
from tests.web.conftest import csrf_of


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="row[^"]*"', html)


def test_the_inbox_shows_one_row_per_story_with_counts_per_status(
    client: TestClient, db: SqliteStore
) -> None:
    html = client.get("/matches").text
    page = db.inbox(InboxFilter(status="new"), 50)
    assert len(rows(html)) == page.total
    assert f'New <span class="count">{page.counts["new"]}</span>' in html
    multi_rule = [r for r in page.rows if len(r.rules) > 1]
    assert multi_rule, "the demo has stories matched by two rules"
    assert len({r.story_id for r in page.rows}) == len(page.rows)


def test_the_inbox_filters_by_rule_region_severity_and_text(client: TestClient) -> None:
    everything = len(rows(client.get("/matches").text))
    ukraine = client.get("/matches?region=UA").text
    assert 0 < len(rows(ukraine)) < everything
    assert "Kyiv" in ukraine and "Baghdad" not in ukraine
    urgent = client.get("/matches?severity=urgent").text
    assert 'class="badge urgent"' in urgent and "Kyiv" not in urgent
    found = client.get("/matches?q=odesa").text
    assert len(rows(found)) == 1 and "Odesa" in found
    assert "since: 'soon'" in client.get("/matches?since=soon").text.replace("&#39;", "'")


def triage(client: TestClient, **data: str) -> None:
    token = csrf_of(client.get("/matches").text)
    response = client.post("/matches/triage", data={"csrf": token, **data},
                           follow_redirects=False)
    assert response.status_code == 303


def test_acknowledging_a_story_moves_it_out_of_new_and_audits_each_match(
    client: TestClient, db: SqliteStore
) -> None:
    row = next(r for r in db.inbox(InboxFilter(status="new")).rows if len(r.matches) > 1)
    ids = ",".join(str(m.id) for m in row.matches)
    triage(client, one=f"acknowledged:{ids}")
    after = db.inbox(InboxFilter(status="new"))
    assert row.story_id not in {r.story_id for r in after.rows}
    audit = db.audit_for("match", [str(m.id) for m in row.matches])
    assert len(audit) == len(row.matches)
    assert {(a.actor, str(a.detail["status"])) for a in audit} == {
        ("ann", "['new', 'acknowledged']")
    }


def test_bulk_actions_apply_to_every_selected_row_with_the_note(
    client: TestClient, db: SqliteStore
) -> None:
    chosen = db.inbox(InboxFilter(status="new"), 2).rows
    ids = [",".join(str(m.id) for m in r.matches) for r in chosen]
    token = csrf_of(client.get("/matches").text)
    client.post("/matches/triage", data={"csrf": token, "ids": ids, "status": "starred",
                                         "note": "watch this"})
    starred = db.search_matches(InboxFilter(status="starred"), 50).matches
    assert {m.id for m in starred} == {m.id for r in chosen for m in r.matches}
    assert {m.note for m in starred} == {"watch this"}


def test_a_story_page_highlights_terms_and_shows_places_and_history(
    client: TestClient, db: SqliteStore
) -> None:
    match = db.search_matches(InboxFilter(rule="iraq-attacks", text="green zone"), 1).matches[0]
    triage(client, ids=str(match.id), status="false_positive", note="drill")
    html = client.get(f"/stories/{match.story_id}").text
    assert "<mark>" in html and "Green Zone" in html
    assert "happened in: <strong>Iraq (IQ)</strong>" in html
    assert "(RULE NO LONGER CONFIGURED)" not in html.upper()
    assert re.search(r"<td>ann</td>.*New → False positive", html, re.S)
    assert client.get(f"/matches/{match.id}").status_code == 200
    assert client.get("/stories/999999").status_code == 404


def test_hostile_feed_text_renders_inert(client: TestClient, hostile_match: int) -> None:
    for path in (f"/matches/{hostile_match}", "/matches?q=depot", "/rules?q=depot&days=30"):
        html = client.get(path).text
        assert "depot" in html, path
        assert "<script>alert" not in html and "onerror" not in html
        assert "evil.example" not in html and "javascript:" not in html
        assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    detail = client.get(f"/matches/{hostile_match}").text
    assert '<a href="https://ok.example/a" rel="noopener noreferrer">ok</a>' in detail
    assert "Hostile &lt;i&gt;Outlet&lt;/i&gt;" in detail


def test_the_rules_page_counts_hits_and_backtests_a_query(client: TestClient) -> None:
    html = client.get("/rules").text
    assert re.search(r'id="rule-iraq-attacks".*?<td class="num">(\d+)</td>', html, re.S)
    tested = client.get("/rules", params={"q": "drone* AND strike*", "days": 30}).text
    assert re.search(r"<strong>[1-9]\d*</strong> matching items? of \d+ scanned", tested)
    assert "<mark>" in tested
    bad = client.get("/rules", params={"q": "(rocket"}).text
    assert "Bad query" in bad and "position 0" in bad


def test_poll_now_makes_the_feed_due_and_is_audited(client: TestClient, db: SqliteStore) -> None:
    feed = db.list_feeds()[0]
    token = csrf_of(client.get("/feeds").text)
    before = datetime.now(UTC)
    response = client.post(f"/feeds/{feed.id}/poll", data={"csrf": token})
    assert "is due now" in response.text
    polled = next(f for f in db.list_feeds() if f.id == feed.id)
    assert polled.next_check_at is not None
    assert before <= polled.next_check_at <= datetime.now(UTC)
    assert db.recent_audit(1)[0].action == "poll_now"


def test_the_overview_links_countries_and_days_to_the_inbox(client: TestClient) -> None:
    html = client.get("/overview?window=30d").text
    assert 'href="/matches?status=all&amp;region=IQ&amp;since=30d"' in html
    svg = client.get("/charts/world.svg?window=30d").text
    assert 'xlink:href="/matches?status=all&amp;region=IQ&amp;since=30d"' in svg
    bars = client.get("/charts/daily-rule.svg").text
    assert "rule=iraq-attacks" in bars and "<title>" in bars
    filtered = client.get("/matches?status=all&region=IQ&since=30d").text
    assert "Baghdad" in filtered


def test_the_digest_preview_renders_the_e_mail_without_sending(
    client: TestClient, db: SqliteStore
) -> None:
    queued = len(db.list_outbox())
    html = client.get("/digest?recipient=desk@example.org").text
    assert "Subject:</strong> Digest " in html and "/digest/preview.html?" in html
    frame = client.get("/digest/preview.html?recipient=desk@example.org")
    assert "Digest for" in frame.text
    assert "script-src" not in frame.headers["content-security-policy"]
    assert len(db.list_outbox()) == queued
    today = local_day(datetime.now(UTC), "Asia/Baghdad")
    assert db.digest_run("desk@example.org", today) is None


def test_a_region_name_filters_the_inbox_to_its_countries(client: TestClient) -> None:
    levant = client.get("/matches?region=Levant&status=all").text
    assert "Lebanon" in levant and "Jordan" in levant and "Kyiv" not in levant
    unknown = client.get("/matches?region=Atlantis").text.replace("&#39;", "'")
    assert "region: 'Atlantis' is neither a country code nor a known region" in unknown


def test_the_per_region_chart_sums_the_configured_regions(client: TestClient) -> None:
    assert 'src="/charts/daily-region.svg"' in client.get("/overview").text
    svg = client.get("/charts/daily-region.svg").text
    assert "Levant" in svg and "region=Levant" in svg


def test_the_story_page_can_clear_a_note_but_a_bulk_action_keeps_it(
    client: TestClient, db: SqliteStore
) -> None:
    match = db.search_matches(InboxFilter(), 1).matches[0]
    triage(client, ids=str(match.id), status="", note="first look", replace_note="true")
    triage(client, ids=str(match.id), status="starred", note="")
    assert db.search_matches(InboxFilter(status="starred"), 1).matches[0].note == "first look"
    triage(client, ids=str(match.id), status="", note="", replace_note="true")
    assert db.search_matches(InboxFilter(status="starred"), 1).matches[0].note == ""
