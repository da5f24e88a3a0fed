"""The service-side commands through click's CliRunner, on a real SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.config import FeedConfig
from monitor.store import open_store
from monitor.types import CycleStats, FeedResult

FEEDS_JSON_KEYS = {
    "url", "name", "last_status", "last_error", "error_count", "last_fetched_at",
    "next_check_at", "items_seen", "disabled_reason", "health",
}  # fmt: skip


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(f'[database]\nurl = "sqlite:///monitor.db"\n{extra}')
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)])


def test_feeds_add_then_list_as_json_with_the_documented_keys(tmp_path: Path) -> None:
    config = write_config(tmp_path)

    added = run(config, "feeds", "add", "https://example.org/rss.xml", "--name", "Example")
    listed = run(config, "feeds", "list", "--json")

    assert added.exit_code == 0, added.output
    [feed] = json.loads(listed.output)
    assert set(feed) == FEEDS_JSON_KEYS
    assert (feed["url"], feed["name"], feed["items_seen"]) == (
        "https://example.org/rss.xml", "Example", 0,
    )  # fmt: skip


def test_feeds_add_refuses_a_non_http_url_with_exit_2(tmp_path: Path) -> None:
    result = run(write_config(tmp_path), "feeds", "add", "ftp://example.org/feed")

    assert result.exit_code == 2 and "not an http(s) URL" in result.output


def test_opml_import_adds_good_entries_and_reports_each_rejected_one(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="News">'
        '<outline text="A" xmlUrl="https://a.example/rss"/>'
        '<outline text="Evil" xmlUrl="javascript:alert(1)"/>'
        '<outline text="B" xmlUrl="http://b.example/atom"/></outline></body></opml>'
    )

    result = run(config, "feeds", "import-opml", str(opml))

    assert result.exit_code == 0, result.output
    assert "2 feeds added" in result.output and "Evil" in result.output
    exported = run(config, "feeds", "export-opml").output
    assert 'xmlUrl="https://a.example/rss"' in exported and "javascript" not in exported


def test_opml_with_entity_declarations_is_refused(tmp_path: Path) -> None:
    opml = tmp_path / "bomb.opml"
    opml.write_text('<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>')

    result = run(write_config(tmp_path), "feeds", "import-opml", str(opml))

    assert result.exit_code == 2 and "DOCTYPE" in result.output


def test_matches_json_is_an_empty_array_on_a_new_database(tmp_path: Path) -> None:
    result = run(write_config(tmp_path), "matches", "--json", "--since", "1d")

    assert result.exit_code == 0 and json.loads(result.output) == []


def test_health_fails_without_a_recent_cycle_and_passes_with_one(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert run(config, "health").exit_code == 1

    store = open_store("sqlite:///monitor.db", tmp_path)
    store.migrate()
    now = datetime.now(UTC)
    store.record_cycle(CycleStats(started_at=now - timedelta(seconds=2), finished_at=now))
    store.close()

    assert run(config, "health").exit_code == 0


def test_health_fails_when_the_last_cycle_is_stale(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[fetch]\ninterval = "10m"\n')
    store = open_store("sqlite:///monitor.db", tmp_path)
    store.migrate()
    old = datetime.now(UTC) - timedelta(hours=1)
    store.record_cycle(CycleStats(started_at=old, finished_at=old))
    store.close()

    result = run(config, "health")

    assert result.exit_code == 1 and "unhealthy" in result.output


def test_check_config_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[fetch]\ntimeout = "soon"\n\n[[feeds]]\nurl = "ftp://x"\nname = "X"\n\n'
        '[[rules]]\nname = "r"\nquery = \'"unbalanced\'\n',
    )

    result = run(config, "check-config")

    assert result.exit_code == 2
    assert "fetch.timeout" in result.output and "feeds[0].url" in result.output
    assert "rules[0]" in result.output


def test_check_config_accepts_a_good_config(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        '[[feeds]]\nurl = "https://example.org/rss"\nname = "Ex"\n\n'
        '[[rules]]\nname = "iraq"\nquery = "rocket* AND embassy"\nregions = ["IQ"]\n',
    )

    result = run(config, "check-config")

    assert result.exit_code == 0, result.output and "OK" in result.output


def test_a_missing_config_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.toml", "feeds", "list")

    assert result.exit_code == 2 and "nope.toml" in result.output


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = run(write_config(tmp_path), "migrate")

    assert result.exit_code == 0 and (tmp_path / "monitor.db").exists()


def test_stories_json_is_an_array_with_the_documented_keys(tmp_path: Path) -> None:
    result = run(write_config(tmp_path), "stories", "--json", "--since", "1d", "--region", "iq")

    assert result.exit_code == 0 and json.loads(result.output) == []


def test_a_bad_since_is_a_usage_error(tmp_path: Path) -> None:
    result = run(write_config(tmp_path), "matches", "--since", "soon")

    assert result.exit_code == 2 and "--since" in result.output


def test_feeds_list_shows_a_silent_feed(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = open_store("sqlite:///monitor.db", tmp_path)
    store.migrate()
    now = datetime.now(UTC)
    store.sync_feeds([FeedConfig(url="https://quiet.example/rss", name="Quiet")], now)
    [feed] = store.claim_due_feeds(now, "w", 60, 1)
    done = FeedResult(
        feed_id=feed.id, lease_token=feed.lease_token or "", checked_at=now,
        next_check_at=now + timedelta(hours=1), status=304, error=None, error_count=0,
        etag=None, last_modified=None, health="silent",
    )  # fmt: skip
    assert store.complete_feed(done, "w")
    store.close()

    [listed] = json.loads(run(config, "feeds", "list", "--json").output)
    table = run(config, "feeds", "list").output

    assert listed["health"] == "silent" and "silent" in table
