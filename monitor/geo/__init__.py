"""Offline geotagging: which places an item names and where its story happens.

    load_tagger(places) -> Tagger          Tagger.tag(text, title) -> GeoTags
    regions.region_countries(name)         regions.regions_of(country)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from monitor.config import PlaceConfig
from monitor.geo.gazetteer import Gazetteer, load_gazetteer
from monitor.geo.tagger import Tagger

__all__ = ["Tagger", "load_tagger"]


def load_tagger(places: Sequence[PlaceConfig] = (), cache_dir: Path | None = None) -> Tagger:
    """The bundled gazetteer (from the on-disk cache when current) with config places on top.

    A Tagger never changes once built, so one per (places, cache_dir) is kept in memory and
    shared. Raises ConfigError when a config place's country cannot be resolved."""
    return _cached_tagger(tuple(places), cache_dir)


@lru_cache(maxsize=4)
def _cached_tagger(places: tuple[PlaceConfig, ...], cache_dir: Path | None) -> Tagger:
    return Tagger(_cached_gazetteer(cache_dir), places)


@lru_cache(maxsize=2)
def _cached_gazetteer(cache_dir: Path | None) -> Gazetteer:
    return load_gazetteer(cache_dir)
