"""Login, sessions, CSRF, API credentials and the headers every response carries."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.records import InboxFilter
from monitor.store.sqlite import SqliteStore
from monitor.web import create_app
from monitor.web.security import CSP
from tests.web.conftest import BEARER, PASSWORD, csrf_of


def test_the_ui_refuses_to_start_without_a_password(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="MONITOR_WEB_PASSWORD"):
        create_app(replace(settings, web=replace(settings.web, password="")))


def test_auth_none_is_refused_off_loopback(settings: Settings) -> None:
    web = replace(settings.web, auth="none", password="", host="0.0.0.0")
    with pytest.raises(ConfigError, match="loopback"):
        create_app(replace(settings, web=web))


def test_auth_none_on_loopback_serves_without_login(settings: Settings) -> None:
    web = replace(settings.web, auth="none", password="", host="127.0.0.1")
    with TestClient(create_app(replace(settings, web=web)), base_url="http://127.0.0.1") as client:
        assert client.get("/matches").status_code == 200


def test_auth_none_answers_only_loopback_host_names(settings: Settings) -> None:
    """A rebinding attacker's page reaches 127.0.0.1 under its own host name: refused."""
    web = replace(settings.web, auth="none", password="", host="127.0.0.1")
    with TestClient(create_app(replace(settings, web=web)), base_url="http://127.0.0.1") as client:
        assert client.get("/matches", headers={"Host": "localhost:8080"}).status_code == 200
        assert client.get("/matches", headers={"Host": "evil.example"}).status_code == 400


def test_pages_send_a_visitor_without_a_session_to_the_login(anonymous: TestClient) -> None:
    response = anonymous.get("/matches?rule=iraq-attacks", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fmatches%3Frule%3Diraq-attacks"


def test_a_wrong_password_is_refused(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post("/login", data={"csrf": token, "name": "ann", "password": "guess"})
    assert response.status_code == 401
    assert "Wrong name or password" in response.text
    assert anonymous.get("/matches", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post("/login", data={"csrf": token, "name": "ann",
                                              "password": PASSWORD}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie


def test_the_session_cookie_is_secure_behind_https(settings: Settings) -> None:
    web = replace(settings.web, base_url="https://monitor.example.org")
    with TestClient(create_app(replace(settings, web=web)), base_url="https://x") as client:
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"csrf": token, "name": "ann",
                                               "password": PASSWORD}, follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\t/evil.example",
                                    "/\\evil.example", "evil.example"])
def test_login_never_redirects_off_site(anonymous: TestClient, target: str) -> None:
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post("/login", data={"csrf": token, "name": "ann", "password": PASSWORD,
                                              "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_login_returns_to_the_page_asked_for(anonymous: TestClient) -> None:
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post("/login", data={"csrf": token, "name": "ann", "password": PASSWORD,
                                              "next": "/rules?q=a"}, follow_redirects=False)
    assert response.headers["location"] == "/rules?q=a"


def test_a_form_without_the_csrf_token_is_refused(client: TestClient) -> None:
    response = client.post("/matches/triage", data={"ids": "1", "status": "acknowledged"})
    assert response.status_code == 403
    forged = client.post("/matches/triage", data={"ids": "1", "status": "acknowledged",
                                                  "csrf": "forged"})
    assert forged.status_code == 403


def test_every_page_carries_the_strict_policy_and_hardening_headers(client: TestClient) -> None:
    for path in ("/matches", "/login", "/rules", "/feeds", "/overview", "/api/feeds"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP


def test_charts_may_be_framed_by_our_pages_but_run_no_script(client: TestClient) -> None:
    response = client.get("/charts/world.svg")
    policy = response.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "<script" not in response.text


def test_the_api_wants_a_token_or_a_session(anonymous: TestClient) -> None:
    assert anonymous.get("/api/matches").status_code == 401
    wrong = anonymous.get("/api/matches", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert anonymous.get("/api/matches", headers=BEARER).status_code == 200


def test_api_writes_through_a_session_need_the_csrf_header(client: TestClient) -> None:
    assert client.patch("/api/matches/1", json={"status": "starred"}).status_code == 403
    token = csrf_of(client.get("/matches").text)
    response = client.patch("/api/matches/1", json={"status": "starred"},
                            headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert response.json()["status"] == "starred"


def test_metrics_need_credentials_and_healthz_does_not(anonymous: TestClient) -> None:
    assert anonymous.get("/metrics").status_code == 401
    assert anonymous.get("/metrics", headers=BEARER).status_code == 200
    assert anonymous.get("/healthz").json()["status"] == "ok"


def test_pages_hold_no_inline_script_or_style(client: TestClient, db: SqliteStore) -> None:
    story = db.inbox(InboxFilter()).rows[0].story_id
    for path in ("/matches", f"/stories/{story}", "/rules?q=rocket*", "/feeds", "/overview",
                 "/digest", "/audit"):
        html = client.get(path).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert " style=" not in html and "<style" not in html, path
        assert re.search(r"\son[a-z]+=", html) is None, path


def test_large_charts_are_sent_compressed(client: TestClient) -> None:
    response = client.get("/charts/world.svg", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text.startswith("<?xml")
