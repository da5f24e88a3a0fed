from __future__ import annotations

import pytest

from monitor.geo.datelines import find_dateline


@pytest.mark.parametrize(
    ("text", "place", "qualifier"),
    [
        ("BAGHDAD (Reuters) - Rockets hit", "BAGHDAD", None),
        ("Baghdad, Dec 20 (AFP) - Rockets hit", "Baghdad", None),
        ("KYIV, Ukraine — Russia launched", "KYIV", "Ukraine"),
        ("GAZA CITY, Gaza Strip (AP) — Strikes", "GAZA CITY", "Gaza Strip"),
        ("SAO PAULO, Brazil, Nov 3 (Reuters) - Shares", "SAO PAULO", "Brazil"),
        ("LONDON, Nov. 25 (Reuters) - Britain", "LONDON", None),
        ("WASHINGTON — The Senate", "WASHINGTON", None),
        ("ISLAMABAD: Pakistani forces", "ISLAMABAD", None),
        ("MAYFIELD, Ky. (AP) — A tornado", "MAYFIELD", "Ky."),
        ("Kabul, Afghanistan – Officials", "Kabul", "Afghanistan"),
        ("ABU DHABI, 19th September, 2026 (WAM) -- Officials", "ABU DHABI", None),
        ("MOSCOW, September 19. /TASS/. Officials", "MOSCOW", None),
    ],
)
def test_it_finds_wire_datelines(text: str, place: str, qualifier: str | None) -> None:
    found = find_dateline(text)
    assert found is not None
    assert text[slice(*found.place)] == place
    assert (text[slice(*found.qualifier)] if found.qualifier else None) == qualifier
    assert text[found.end :].split()[0] in {"Rockets", "Russia", "Strikes", "Shares", "Britain",
                                            "The", "Pakistani", "A", "Officials"}  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Iraq, Syria and Iran - the three neighbours - met on Monday.",
        "The president said - without giving details - that talks would resume.",
        "Police said on Monday that two men were arrested.",
        "",
        "rockets hit the city (officials said) - no casualties",
    ],
)
def test_ordinary_first_sentences_are_not_datelines(text: str) -> None:
    assert find_dateline(text) is None
