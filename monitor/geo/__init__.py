"""Offline geotagging: which places an item names and where its story happens.

    load_tagger(places) -> Tagger          Tagger.tag(text, title) -> GeoTags
    regions.region_countries(name)         regions.regions_of(country)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from monitor.config import PlaceConfig
from monitor.geo.gazetteer import load_gazetteer
from monitor.geo.tagger import Tagger

__all__ = ["Tagger", "load_tagger"]


def load_tagger(places: Sequence[PlaceConfig] = (), cache_dir: Path | None = None) -> Tagger:
    """The bundled gazetteer (from the on-disk cache when current) with config places on top.

    Raises ConfigError when a config place's country cannot be resolved."""
    return Tagger(load_gazetteer(cache_dir), places)
