"""`monitor rules test` through click's CliRunner: JSON-lines input, stored items, bad queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.store import open_store
from monitor.types import FeedResult, GeoTags, Item, NewItem

NOW = datetime.now(UTC)
ITEMS = [
    {
        "id": "gz-1",
        "title": "Rockets hit Baghdad's Green Zone",
        "summary": "Two rockets struck near the U.S. Embassy; C-RAM fired.",
        "source": "Wire",
        "published": (NOW - timedelta(hours=2)).isoformat(),
    },
    {
        "id": "fb-1",
        "title": "Striker scores a rocket",
        "summary": "A stunning goal in the derby match.",
        "published": "2020-01-01T00:00:00Z",
    },
    {"id": "kv-1", "title": "Drone strike in Kyiv", "summary": "A drone hit a building."},
]


def write_items(tmp_path: Path, lines: Sequence[object]) -> Path:
    write_config(tmp_path)
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text('[database]\nurl = "sqlite:///monitor.db"\n')
    return path


def run(*args: str) -> Result:
    """Every run names a config beside its files, so the repository's config never leaks in."""
    files = [Path(a) for a in args if a.endswith(".jsonl")]
    config = ["--config", str(files[0].parent / "monitor.toml")] if files else []
    return CliRunner().invoke(main, [*config, *args])


def json_lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_output_is_one_line_per_matching_item_with_terms(tmp_path: Path) -> None:
    path = write_items(tmp_path, ITEMS)
    result = run("rules", "test", "(rocket* OR drone*) -football", "--input", str(path), "--json")
    assert result.exit_code == 0, result.output
    found = json_lines(result)
    assert [(line["id"], line["terms"]) for line in found] == [
        ("gz-1", ["rocket*"]),
        ("fb-1", ["rocket*"]),
        ("kv-1", ["drone*"]),
    ]
    assert all(set(line) == {"id", "terms", "regions"} for line in found)
    assert all(isinstance(line["regions"], list) for line in found)


def test_since_skips_input_items_published_earlier_but_keeps_undated_ones(
    tmp_path: Path,
) -> None:
    path = write_items(tmp_path, ITEMS)
    query = "rocket* OR drone*"
    result = run("rules", "test", query, "--input", str(path), "--since", "7d", "--json")
    assert [line["id"] for line in json_lines(result)] == ["gz-1", "kv-1"]


def test_human_output_shows_each_hit_and_a_count(tmp_path: Path) -> None:
    path = write_items(tmp_path, ITEMS)
    result = run("rules", "test", '"green zone"', "--input", str(path))
    assert result.exit_code == 0, result.output
    assert "Rockets hit Baghdad's Green Zone" in result.stdout
    assert 'terms: "green zone"' in result.stdout
    assert result.stdout.rstrip().endswith("1 matching item of 3")


def test_a_query_starting_with_a_dash_follows_double_dash(tmp_path: Path) -> None:
    path = write_items(tmp_path, ITEMS)
    result = run("rules", "test", "--input", str(path), "--json", "--", "-goal rocket*")
    assert [line["id"] for line in json_lines(result)] == ["gz-1"]


@pytest.mark.parametrize(
    ("query", "message", "caret"),
    [
        ("rocket AND", "error: dangling operator AND at position 7", "         ^"),
        ('"green zone', "error: unbalanced quote at position 0", "  ^"),
        ("NOT football", "error: query matches items without any of its terms", "  ^"),
    ],
)
def test_a_bad_query_exits_2_with_its_position(
    tmp_path: Path, query: str, message: str, caret: str
) -> None:
    path = write_items(tmp_path, ITEMS)
    result = run("rules", "test", query, "--input", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(message)
    assert lines[1:] == [f"  {query}", caret]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "items.jsonl:1:"),
        ('{"title": "no id"}\n', 'items.jsonl:1: "id" must be a string'),
        ('{"id": "a", "title": "x", "published": "yesterday"}\n', "not an ISO-8601 time"),
    ],
)
def test_a_bad_input_line_exits_2_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = write_items(tmp_path, [])
    path.write_text(content)
    result = run("rules", "test", "rocket", "--input", str(path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_bad_since_exits_2(tmp_path: Path) -> None:
    path = write_items(tmp_path, ITEMS)
    result = run("rules", "test", "rocket", "--input", str(path), "--since", "soon")
    assert result.exit_code == 2 and "--since" in result.stderr


def store_items(config: Path, items: list[Item]) -> None:
    store = open_store("sqlite:///monitor.db", config.parent)
    store.migrate()
    store.add_feed("https://example.org/rss", "Example", NOW)
    [feed] = store.claim_due_feeds(NOW, "test", 60, 10, ignore_schedule=True)
    assert feed.lease_token is not None
    result = FeedResult(
        feed_id=feed.id, lease_token=feed.lease_token, checked_at=NOW, next_check_at=NOW,
        status=200, error=None, error_count=0, etag=None, last_modified=None,
        items=tuple(NewItem(item) for item in items),
    )  # fmt: skip
    assert store.complete_feed(result, "test")
    store.close()


def test_without_input_it_backtests_the_stored_items(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    iraq = GeoTags(("IQ", "US"), "IQ", ())
    store_items(config, [
        Item("a", 0, "Example", "Rockets over Baghdad", "", published_at=NOW, geo=iraq),
        Item("b", 0, "Example", "Markets calm", "", published_at=NOW),
        Item("c", 0, "Example", "Rocket launch", "", published_at=NOW - timedelta(days=30)),
    ])  # fmt: skip
    result = run("rules", "test", "rocket*", "--since", "7d", "--json", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert json_lines(result) == [{"id": "a", "terms": ["rocket*"], "regions": ["IQ", "US"]}]
