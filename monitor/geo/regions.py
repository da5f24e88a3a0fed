"""Regions: named groups of countries for rule filters and digest grouping.

Built in: UN M49 continents and sub-regions and a few newsroom groupings ("Middle East",
"Gulf States", "Sahel", "European Union"), from `data/regions.toml`. Config `[[regions]]` come
first, so a config region may redefine a built-in name. Names compare case-insensitively.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from monitor.config import RegionConfig


@cache
def builtin_regions() -> dict[str, frozenset[str]]:
    """Built-in region name (as written in the data file) → ISO2 codes."""
    raw = tomllib.loads((resources.files("monitor.geo") / "data" / "regions.toml").read_text())
    defs: dict[str, dict[str, Any]] = raw["regions"]
    return {name: _expand(name, defs, ()) for name in defs}


def _expand(name: str, defs: dict[str, dict[str, Any]], seen: tuple[str, ...]) -> frozenset[str]:
    if name in seen:
        raise ValueError(f"region {name!r} includes itself")
    spec = defs[name]
    codes = set(spec.get("countries", ()))
    for part in spec.get("includes", ()):
        codes |= _expand(part, defs, (*seen, name))
    return frozenset(codes)


@cache
def _builtin_by_key() -> dict[str, frozenset[str]]:
    return {name.casefold(): codes for name, codes in builtin_regions().items()}


@cache
def _known_countries() -> frozenset[str]:
    return frozenset().union(*builtin_regions().values())


def region_countries(name: str, custom: Sequence[RegionConfig] = ()) -> frozenset[str] | None:
    """ISO2 code (any case) → {code}; a config or built-in region name → its countries;
    None if `name` is neither."""
    key = name.strip().casefold()
    for region in custom:
        if region.name.strip().casefold() == key:
            return frozenset(code.upper() for code in region.countries)
    if key in _builtin_by_key():
        return _builtin_by_key()[key]
    code = name.strip().upper()
    if len(code) == 2 and code.isalpha() and code in _known_countries():
        return frozenset({code})
    return None


def regions_of(country: str, custom: Sequence[RegionConfig] = ()) -> list[str]:
    """Names of the regions containing `country`: config regions first, then built-in ones
    from the most specific (fewest countries) to the widest."""
    code = country.strip().upper()
    names = [r.name for r in custom if code in {c.upper() for c in r.countries}]
    taken = {n.casefold() for n in names}
    builtin = [
        (len(codes), name)
        for name, codes in builtin_regions().items()
        if code in codes and name.casefold() not in taken
    ]
    return names + [name for _, name in sorted(builtin)]
