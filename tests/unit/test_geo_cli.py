from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # A folder without config/monitor.toml: the tag command must not need a config.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    return CliRunner()


def test_jsonl_writes_one_line_per_input_in_order(runner: CliRunner) -> None:
    lines = [
        {"id": "a", "text": "BAGHDAD (Reuters) - Rockets hit the Green Zone.", "title": "Rockets"},
        {"id": "b", "text": "The central bank held rates."},
        {"id": "c", "text": "Police in London, Ontario, made arrests."},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = runner.invoke(main, ["tag", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[0]["primary"] == "IQ" and out[0]["countries"] == ["IQ"]
    assert out[1] == {"id": "b", "countries": [], "primary": None, "places": []}
    assert out[2]["primary"] == "CA"
    first = out[0]["places"][0]
    assert {"name", "country", "start", "end"} <= set(first)
    assert lines[0]["text"][first["start"] : first["end"]] == first["name"]


def test_text_argument_prints_a_readable_result(runner: CliRunner) -> None:
    result = runner.invoke(main, ["tag", "Protesters marched in Tbilisi, Georgia's capital."])
    assert result.exit_code == 0, result.output
    assert "primary:   GE" in result.output
    assert "Tbilisi" in result.output


def test_text_without_places_says_so(runner: CliRunner) -> None:
    result = runner.invoke(main, ["tag", "Rates were left unchanged."])
    assert result.exit_code == 0
    assert result.output.strip() == "no places found"


def test_config_places_are_used_when_a_config_is_given(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "geo.toml"
    config.write_text('[[places]]\nname = "Camp Sentinel"\nwithin = "Baghdad"\n')
    stdin = json.dumps({"id": "1", "text": "Mortars hit Camp Sentinel."}) + "\n"
    result = runner.invoke(main, ["tag", "--jsonl", "--config", str(config)], input=stdin)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["primary"] == "IQ"


@pytest.mark.parametrize(
    "stdin",
    ["not json\n", '{"text": "no id"}\n', '{"id": "1", "text": 5}\n', "[1, 2]\n"],
)
def test_bad_input_lines_exit_2_with_a_message(runner: CliRunner, stdin: str) -> None:
    result = runner.invoke(main, ["tag", "--jsonl"], input=stdin)
    assert result.exit_code == 2
    assert "stdin line 1" in result.output


def test_a_named_config_that_is_missing_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["tag", "--config", "nowhere.toml", "Baghdad"])
    assert result.exit_code == 2


def test_a_config_place_with_an_unknown_location_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "geo.toml"
    config.write_text('[[places]]\nname = "Camp Nowhere"\nwithin = "Zzyzx"\n')
    result = runner.invoke(main, ["tag", "--config", str(config), "Mortars hit Camp Nowhere."])
    assert result.exit_code == 2
    assert "Camp Nowhere" in result.output
