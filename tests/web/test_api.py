"""The JSON API: pagination and filters, story detail, audited PATCH, backtest, feeds, schema."""

from __future__ import annotations

from fastapi.testclient import TestClient

from monitor.store.sqlite import SqliteStore
from tests.web.conftest import BEARER


def test_matches_are_paginated_newest_first_with_a_next_offset(client: TestClient) -> None:
    first = client.get("/api/matches?limit=5", headers=BEARER).json()
    assert len(first["items"]) == 5 and first["next_offset"] == 5
    times = [m["matched_at"] for m in first["items"]]
    assert times == sorted(times, reverse=True)
    rest = client.get(f"/api/matches?limit=500&offset={first['next_offset']}",
                      headers=BEARER).json()
    assert rest["next_offset"] is None
    ids = [m["id"] for m in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == first["total"]


def test_matches_filter_by_rule_region_and_text(client: TestClient) -> None:
    by_rule = client.get("/api/matches?rule=iraq-attacks", headers=BEARER).json()["items"]
    assert by_rule and {m["rule"] for m in by_rule} == {"iraq-attacks"}
    by_region = client.get("/api/matches?region=ua", headers=BEARER).json()["items"]
    assert by_region and all(m["primary_region"] == "UA" or "UA" in m["regions"]
                             for m in by_region)
    by_text = client.get("/api/matches?q=green%20zone", headers=BEARER).json()["items"]
    assert any("green zone" in m["title"].lower() for m in by_text)
    assert client.get("/api/matches?q=zzyzx", headers=BEARER).json()["total"] == 0


def test_an_unreadable_filter_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.get("/api/matches?since=yesterday", headers=BEARER)
    assert response.status_code == 422
    assert "since" in response.json()["detail"][0]


def test_patching_a_match_changes_it_and_writes_the_audit_log(
    client: TestClient, db: SqliteStore
) -> None:
    response = client.patch("/api/matches/2", json={"status": "false_positive",
                                                    "note": "football"}, headers=BEARER)
    assert response.status_code == 200
    assert response.json()["status"] == "false_positive" and response.json()["note"] == "football"
    [entry] = db.audit_for("match", ["2"])
    assert entry.actor == "api" and entry.action == "triage"
    assert entry.detail == {"status": ["new", "false_positive"], "note": "football"}


def test_patching_an_unknown_match_or_status_fails_cleanly(client: TestClient) -> None:
    assert client.patch("/api/matches/999999", json={"status": "new"},
                        headers=BEARER).status_code == 404
    assert client.patch("/api/matches/1", json={"status": "closed"},
                        headers=BEARER).status_code == 422


def test_a_story_lists_every_copy_with_its_matches_places_and_audit(client: TestClient) -> None:
    match = client.get("/api/matches?q=green%20zone&rule=iraq-attacks",
                       headers=BEARER).json()["items"][0]
    client.patch(f"/api/matches/{match['id']}", json={"status": "acknowledged"}, headers=BEARER)
    story = client.get(f"/api/stories/{match['story_id']}", headers=BEARER).json()
    assert story["items"] and story["primary_region"] == "IQ"
    matched = [m for item in story["items"] for m in item["matches"]]
    assert match["id"] in {m["id"] for m in matched}
    assert all(m["spans"] for m in matched)
    assert story["audit"][0]["actor"] == "api"
    assert client.get("/api/stories/999999", headers=BEARER).status_code == 404


def test_the_rule_test_backtests_stored_items(client: TestClient) -> None:
    response = client.post("/api/rules/test", json={"query": '"green zone"', "days": 30},
                           headers=BEARER)
    body = response.json()
    assert response.status_code == 200 and body["scanned"] > len(body["hits"]) > 0
    assert {s["term"] for h in body["hits"] for s in h["spans"]} == {'"green zone"'}


def test_a_bad_query_is_a_422_with_its_position(client: TestClient) -> None:
    response = client.post("/api/rules/test", json={"query": "rocket AND"}, headers=BEARER)
    assert response.status_code == 422
    assert response.json()["detail"]["position"] >= 0
    assert response.json()["detail"]["message"]


def test_feeds_report_their_state(client: TestClient) -> None:
    feeds = client.get("/api/feeds", headers=BEARER).json()
    assert {f["state"] for f in feeds} <= {"ok", "new", "failing", "silent", "disabled"}
    assert any(f["items_seen"] > 0 and f["last_status"] == 200 for f in feeds)


def test_the_openapi_schema_lists_the_api(anonymous: TestClient) -> None:
    paths = anonymous.get("/api/openapi.json").json()["paths"]
    assert {"/api/matches", "/api/matches/{match_id}", "/api/stories/{story_id}",
            "/api/rules/test", "/api/feeds"} <= set(paths)
    assert "patch" in paths["/api/matches/{match_id}"]
    assert not any(p.startswith(("/matches", "/login")) for p in paths)


def test_metrics_count_polls_items_matches_and_the_outbox(client: TestClient) -> None:
    text = client.get("/metrics", headers=BEARER).text
    for name in ("monitor_poll_cycles_total 1.0", "monitor_items_total", "monitor_matches_total",
                 "monitor_alerts_sent_total", "monitor_alerts_failed_total",
                 "monitor_outbox_backlog", "monitor_cycle_duration_seconds"):
        assert name in text


def test_a_query_nested_too_deeply_is_a_bad_query_not_a_crash(client: TestClient) -> None:
    query = "(" * 990 + "rocket" + ")" * 990
    response = client.post("/api/rules/test", json={"query": query}, headers=BEARER)
    assert response.status_code == 422
    assert "nested deeper" in response.json()["detail"]["message"]
