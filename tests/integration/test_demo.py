"""`make demo`'s code path: the sample feeds served on loopback, polled by the real worker."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.records import StoredMatch
from monitor.store import open_store

GREEN_ZONE_OUTLETS = {"Agence Mondiale (AM wire)", "Gulf Broadcaster", "Euro Public Radio"}


def demo_matches(var_dir: Path) -> list[StoredMatch]:
    store = open_store(f"sqlite:///{var_dir / 'monitor.db'}")
    try:
        return store.list_matches()
    finally:
        store.close()


def green_zone(matches: list[StoredMatch]) -> list[StoredMatch]:
    return [m for m in matches if m.rule == "iraq-attacks" and "Green Zone" in m.title]


def test_the_fast_demo_matches_the_green_zone_story_in_three_outlets(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--fast", "--var-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    matches = demo_matches(tmp_path)
    attacks = green_zone(matches)
    assert {m.source for m in attacks} == GREEN_ZONE_OUTLETS
    assert all(m.primary_region == "IQ" and m.severity == "urgent" for m in attacks)
    assert not [m for m in matches if "rocket" in m.title.lower() and m.primary_region != "IQ"]
    assert "Green Zone" in result.output
    assert {m.story_id for m in attacks} == {attacks[0].story_id}
    assert all(m.story_outlets == 3 for m in attacks)
    mail = [p.read_text() for p in (tmp_path / "mail").glob("*.eml")]
    green_zone_alerts = [m for m in mail if "X-Monitor-Kind: alert" in m and "Green Zone" in m]
    assert len(green_zone_alerts) == 1
    assert sum("X-Monitor-Kind: digest" in m for m in mail) == 1


def test_the_timed_demo_picks_up_items_as_they_are_released(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--speed", "60", "--var-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert {m.source for m in green_zone(demo_matches(tmp_path))} == GREEN_ZONE_OUTLETS
    assert result.output.count("URGENT") >= 3


def test_a_second_demo_run_starts_from_an_empty_database(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["demo", "--fast", "--var-dir", str(tmp_path)])

    again = runner.invoke(main, ["demo", "--fast", "--var-dir", str(tmp_path)])

    assert again.exit_code == 0
    assert {m.source for m in green_zone(demo_matches(tmp_path))} == GREEN_ZONE_OUTLETS
