from __future__ import annotations

import pytest

from monitor.config import RegionConfig
from monitor.geo.regions import builtin_regions, region_countries, regions_of

LEVANT = RegionConfig(name="Levant", countries=("SY", "LB", "JO", "IL", "PS"))


@pytest.mark.parametrize(
    ("name", "member", "outsider"),
    [
        ("Western Asia", "IQ", "EG"),
        ("middle east", "EG", "PK"),
        ("Europe", "UA", "TR"),
        ("Sub-Saharan Africa", "NG", "EG"),
        ("Northern Africa", "EG", "NG"),
        ("Southern Asia", "IR", "IQ"),
        ("Eastern Asia", "TW", "VN"),
        ("Latin America", "CU", "US"),
        ("Gulf States", "QA", "IR"),
        ("European Union", "DE", "GB"),
        ("Africa", "ZA", "SA"),
    ],
)
def test_built_in_regions_contain_their_countries(name: str, member: str, outsider: str) -> None:
    countries = region_countries(name)
    assert countries is not None
    assert member in countries
    assert outsider not in countries


@pytest.mark.parametrize(("code", "expected"), [("IQ", {"IQ"}), ("iq", {"IQ"}), ("xk", {"XK"})])
def test_a_country_code_in_any_case_is_its_own_region(code: str, expected: set[str]) -> None:
    assert region_countries(code) == expected


@pytest.mark.parametrize("name", ["Atlantis", "ZZ", "", "Baghdad"])
def test_names_that_are_not_regions_give_none(name: str) -> None:
    assert region_countries(name) is None


def test_config_regions_are_found_case_insensitively_and_win_over_built_ins() -> None:
    assert region_countries("levant", [LEVANT]) == {"SY", "LB", "JO", "IL", "PS"}
    narrow = RegionConfig(name="Europe", countries=("fr",))
    assert region_countries("Europe", [narrow]) == {"FR"}


def test_regions_of_lists_config_regions_first_then_narrowest_built_ins() -> None:
    names = regions_of("iq", [LEVANT, RegionConfig(name="Mesopotamia", countries=("IQ",))])
    assert names[0] == "Mesopotamia"
    assert names.index("Middle East") < names.index("Asia")
    assert "Levant" not in names


def test_every_m49_subregion_country_is_in_exactly_one_continent() -> None:
    continents = ["Africa", "Americas", "Asia", "Europe", "Oceania", "Antarctica"]
    regions = builtin_regions()
    seen: dict[str, str] = {}
    for continent in continents:
        for code in regions[continent]:
            assert code not in seen, f"{code} in {seen.get(code)} and {continent}"
            seen[code] = continent
    assert len(seen) > 240
