"""Story values: the model's parameters, an item's fingerprint, a stored story as assignment
sees it, the outcome of an assignment, and the index Protocol (see `monitor.stories`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

STORY_WINDOW_S = 72 * 3600  # items further apart than this never share a story
LEAD_WORDS = 60  # the lead is the first sentences of the summary, up to this many words
MAX_MEMBERS = 4  # items a story keeps for comparison: its first and its latest ones


@dataclass(frozen=True)
class StoryModel:
    """The fingerprint and join parameters (defaults are the measured choice, bench/stories.md)."""

    shingle_size: int = 2
    num_bins: int = 32
    band_rows: int = 2
    bands: int = 6
    term_key_limit: int = 4
    name_key_limit: int = 5
    weak_key_limit: int = 4
    initials_key_limit: int = 3
    country_key_countries: int = 3
    country_key_terms: int = 6
    confirm_weak: bool = True
    use_places: bool = True
    use_countries: bool = True
    ramp_grace_h: float = 12.0
    dup_threshold: float = 0.4
    dup_per_day: float = 0.1
    shared_overlap: float = 0.08
    shared_place_overlap: float = 0.25
    overlap_threshold: float = 0.2
    conflict_overlap: float = 0.3
    place_conflict_overlap: float = 2.0  # above any overlap: different places, different events
    overlap_per_day: float = 0.5
    longer_lead_ratio: float = 1.5
    min_shared_terms: int = 2
    term_prefix: int = 7  # content terms are compared by their first letters (see fingerprint)
    headline_overlap: float = 0.3  # of the shorter headline's terms in the other headline
    headline_in_text: float = 0.5  # of one headline's terms in the other's title and lead
    min_headline_terms: int = 2
    shared_number_digits: int = 2


DEFAULT_MODEL = StoryModel()


@dataclass(frozen=True, kw_only=True)
class StoryFacts:
    """The names and facts an item brings and its story accumulates (a story's are the union
    of its items')."""

    specific_names: frozenset[str] = frozenset()  # names that can tell one event from another
    weak_names: frozenset[str] = frozenset()  # capitalised only by position ("Boeing workers")
    numbers: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()  # every country the tagger found
    places: frozenset[str] = frozenset()  # cities named (not datelines), to tell events apart
    regions: frozenset[str] = frozenset()  # states, provinces and other divisions named
    initials: frozenset[str] = frozenset()  # of multi-word names: "Reserve Bank of India" → "rbi"
    place_names: frozenset[str] = frozenset()  # the names that are the gazetteer's places


@dataclass(frozen=True)
class Fingerprint(StoryFacts):
    """What an item contributes to story matching; everything here is derived from its text."""

    title: str
    signature: tuple[int, ...]
    band_keys: tuple[str, ...]
    terms: frozenset[str]
    lead_length: int
    update_marker: bool


@dataclass(frozen=True)
class Member:
    """One item of a story, as far as similarity needs it."""

    signature: tuple[int, ...]
    terms: frozenset[str]


@dataclass(frozen=True)
class StoryCandidate(StoryFacts):
    """A stored story as assignment sees it. `members` holds the MinHash signature and content
    terms of a few of its items (the first and the latest ones), so a new item is compared with
    real texts rather than with a growing union; names and numbers accumulate."""

    story_id: int
    members: tuple[Member, ...]
    primary_country: str | None
    first_seen: datetime
    last_seen: datetime
    title: str
    lead_length: int


@dataclass(frozen=True)
class Assignment:
    """Join `story_id`, or start a new story (`new`); `updated`: the item brought something new."""

    story_id: int | None
    new: bool
    updated: bool = False
    score: float = 0.0
    reason: str = "new"


class StoryIndex(Protocol):
    """Candidate lookup by band key, bounded twice so the cost per item stays flat however many
    stories are stored: each key yields at most its `per_key` most recently seen stories, and
    of those only the `limit` sharing the most keys with the item are returned."""

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        """Stories linked to any of `band_keys` whose last_seen ≥ `since`, most shared keys
        first, at most `limit` of them."""

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        """Store (or replace) the candidate and link it to `band_keys`."""
