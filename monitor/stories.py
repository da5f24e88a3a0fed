"""Stories: group items about one real-world event, as they arrive (pure decisions).

    fingerprint(title, summary)          text → Fingerprint: MinHash of word bigrams, LSH band
                                         keys, content terms, names, numbers, wire markers
    index.candidates(fp.band_keys, since) stories sharing a band key (bounded, never a scan)
    assign(fp, item_time, primary, candidates) → Assignment: join a story or start a new one,
                                         and whether the item *updated* the story
    index.add(candidate, fp.band_keys)   new_candidate(...) or merge(...) is what gets stored

An item joins a candidate story when both are in the time window, their places are compatible
(same primary country, or one unknown), they do not name different specific places or actors
(none shared while both name some), and either the text is a near-duplicate (MinHash Jaccard
≥ `dup_threshold`) or it is the same event: a shared specific name, enough shared content terms
and a second piece of evidence. Both bars rise the longer the story has been quiet, which is what
keeps "same place, another day" apart. `process()` runs the whole step. The model, its thresholds
and their measurement: bench/stories.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from monitor import stories_minhash as mh
from monitor.stories_index import MemoryStoryIndex
from monitor.stories_text import Words, is_generic_name, names, numbers, strip_boilerplate

__all__ = [
    "DEFAULT_MODEL", "STORY_WINDOW_S", "Assignment", "Fingerprint", "Member", "MemoryStoryIndex",
    "StoryCandidate", "StoryIndex", "StoryModel", "assign", "fingerprint", "is_update", "merge",
    "new_candidate", "process",
]

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
    name_key_limit: int = 3
    dup_threshold: float = 0.4
    dup_per_day: float = 0.1
    overlap_threshold: float = 0.2
    overlap_per_day: float = 0.35
    min_evidence: int = 2
    solo_overlap: float = 0.25
    longer_lead_ratio: float = 1.5


DEFAULT_MODEL = StoryModel()


@dataclass(frozen=True)
class Fingerprint:
    """What an item contributes to story matching; everything here is derived from its text."""

    title: str
    signature: tuple[int, ...]
    band_keys: tuple[str, ...]
    terms: frozenset[str]
    key_terms: tuple[str, ...]
    names: frozenset[str]
    specific_names: frozenset[str]
    title_names: frozenset[str]
    numbers: frozenset[str]
    lead_length: int
    update_marker: bool


@dataclass(frozen=True)
class Member:
    """One item of a story, as far as similarity needs it."""

    signature: tuple[int, ...]
    terms: frozenset[str]


@dataclass(frozen=True)
class StoryCandidate:
    """A stored story as assignment sees it. `members` holds the MinHash signature and content
    terms of a few of its items (the first and the latest ones), so a new item is compared with
    real texts rather than with a growing union; names and numbers accumulate."""

    story_id: int
    members: tuple[Member, ...]
    names: frozenset[str]
    specific_names: frozenset[str]
    title_names: frozenset[str]
    numbers: frozenset[str]
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


def fingerprint(title: str, summary: str, model: StoryModel = DEFAULT_MODEL) -> Fingerprint:
    """Normalise title + lead, then compute MinHash, band keys, terms, key terms and numbers."""
    clean_title = strip_boilerplate(title)
    clean_summary = strip_boilerplate(summary)
    title_words = Words.of(clean_title.text)
    lead_words = Words.of(" ".join(clean_summary.text.split()[:LEAD_WORDS]))
    title_toks = title_words.tokens()
    toks = title_toks + lead_words.tokens()
    sig = mh.signature(mh.shingles(toks, model.shingle_size), model.num_bins)
    found = names(title_words, lead_words)
    key_terms = list(dict.fromkeys(found.strong + found.weak + tuple(title_toks)))
    specific = [n for n in found.strong if not is_generic_name(n)]
    keys = (
        mh.band_keys(sig, model.band_rows, model.bands)
        + mh.term_keys(key_terms, model.term_key_limit)
        + mh.name_keys(specific[: model.name_key_limit])
    )
    return Fingerprint(
        title=clean_title.text,
        signature=sig,
        band_keys=tuple(dict.fromkeys(keys)),
        terms=frozenset(t for t in toks if not t.isdigit()),
        key_terms=tuple(key_terms),
        names=frozenset(found.strong),
        specific_names=frozenset(specific),
        title_names=frozenset(n for n in found.in_title if not is_generic_name(n)),
        numbers=numbers(toks),
        lead_length=len(clean_summary.text),
        update_marker=clean_title.marked or clean_summary.marked,
    )


def assign(
    fp: Fingerprint,
    item_time: datetime,
    primary_country: str | None,
    candidates: Sequence[StoryCandidate],
    *,
    window_s: float = STORY_WINDOW_S,
    model: StoryModel = DEFAULT_MODEL,
) -> Assignment:
    """Join the best-scoring compatible candidate, or start a new story."""
    best: Assignment | None = None
    for cand in candidates:
        if not _compatible(cand, item_time, primary_country, window_s):
            continue
        verdict = _judge(fp, item_time, cand, model)
        if verdict is not None and (best is None or verdict.score > best.score):
            best = verdict
    return best if best is not None else Assignment(story_id=None, new=True)


def _compatible(
    cand: StoryCandidate, item_time: datetime, primary: str | None, window_s: float
) -> bool:
    if primary and cand.primary_country and primary != cand.primary_country:
        return False
    after_last = (item_time - cand.last_seen).total_seconds()
    before_first = (cand.first_seen - item_time).total_seconds()
    return after_last <= window_s and before_first <= window_s


def _judge(
    fp: Fingerprint, item_time: datetime, cand: StoryCandidate, model: StoryModel
) -> Assignment | None:
    specific = fp.specific_names & cand.specific_names
    if not specific and fp.specific_names and cand.specific_names:
        return None  # each names its own places or actors, none in common: different events
    quiet_days = max(0.0, (item_time - cand.last_seen).total_seconds() / 86400)
    text = max((mh.similarity(fp.signature, m.signature) for m in cand.members), default=0.0)
    overlap = max((_overlap(fp.terms, m.terms) for m in cand.members), default=0.0)
    if text >= model.dup_threshold + model.dup_per_day * quiet_days:
        reason = "near-duplicate"
    elif (
        specific
        and overlap >= model.overlap_threshold + model.overlap_per_day * quiet_days
        and _enough_evidence(fp, cand, len(specific), overlap, model)
    ):
        reason = "same-event"
    else:
        return None
    return Assignment(
        story_id=cand.story_id,
        new=False,
        updated=is_update(fp, cand, model),
        score=text + overlap,
        reason=reason,
    )


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """The overlap coefficient |a ∩ b| / min(|a|, |b|)."""
    return len(a & b) / (min(len(a), len(b)) or 1)


def _enough_evidence(
    fp: Fingerprint, cand: StoryCandidate, specific: int, overlap: float, model: StoryModel
) -> bool:
    """A shared specific name (not a country, demonym or institution) backed by a second one,
    a shared generic name or a shared number; or, alone, by a clearly higher term overlap when
    the headlines do not name different specific places or actors."""
    generic = len(fp.names & cand.names) - specific
    evidence = specific + min(1, generic) + min(1, len(fp.numbers & cand.numbers))
    if evidence >= model.min_evidence:
        return True
    headlines_disagree = bool(fp.title_names and cand.title_names) and not (
        fp.title_names & cand.title_names
    )
    return overlap >= model.solo_overlap and not headlines_disagree


def is_update(fp: Fingerprint, cand: StoryCandidate, model: StoryModel = DEFAULT_MODEL) -> bool:
    """New numbers, an UPDATE/BREAKING marker, or a materially longer lead than seen so far."""
    if fp.update_marker or (fp.numbers - cand.numbers):
        return True
    return fp.lead_length > model.longer_lead_ratio * max(cand.lead_length, 1)


def new_candidate(
    story_id: int, fp: Fingerprint, item_time: datetime, primary_country: str | None
) -> StoryCandidate:
    """The story an item starts."""
    return StoryCandidate(
        story_id=story_id,
        members=(Member(fp.signature, fp.terms),),
        names=fp.names,
        specific_names=fp.specific_names,
        title_names=fp.title_names,
        numbers=fp.numbers,
        primary_country=primary_country,
        first_seen=item_time,
        last_seen=item_time,
        title=fp.title,
        lead_length=fp.lead_length,
    )


def merge(
    cand: StoryCandidate, fp: Fingerprint, item_time: datetime, primary_country: str | None
) -> StoryCandidate:
    """The story after `fp` joined it: times widened, the item kept as a member (the first and
    latest few are kept), names and numbers added."""
    members = (*cand.members, Member(fp.signature, fp.terms))
    if len(members) > MAX_MEMBERS:
        members = (members[0], *members[-(MAX_MEMBERS - 1) :])
    return replace(
        cand,
        members=members,
        names=cand.names | fp.names,
        specific_names=cand.specific_names | fp.specific_names,
        title_names=cand.title_names | fp.title_names,
        numbers=cand.numbers | fp.numbers,
        primary_country=cand.primary_country or primary_country,
        first_seen=min(cand.first_seen, item_time),
        last_seen=max(cand.last_seen, item_time),
        lead_length=max(cand.lead_length, fp.lead_length),
    )


def process(
    index: StoryIndex,
    fp: Fingerprint,
    item_time: datetime,
    primary_country: str | None,
    new_story_id: Callable[[], int],
    *,
    window_s: float = STORY_WINDOW_S,
    model: StoryModel = DEFAULT_MODEL,
) -> Assignment:
    """One item through the whole step: look up, decide, record. Returns the final assignment
    (with the new story's id filled in when one was started)."""
    since = item_time - timedelta(seconds=window_s)
    found = index.candidates(fp.band_keys, since)
    result = assign(fp, item_time, primary_country, found, window_s=window_s, model=model)
    if result.new:
        story_id = new_story_id()
        index.add(new_candidate(story_id, fp, item_time, primary_country), fp.band_keys)
        return replace(result, story_id=story_id)
    joined = next(c for c in found if c.story_id == result.story_id)
    index.add(merge(joined, fp, item_time, primary_country), fp.band_keys)
    return result
