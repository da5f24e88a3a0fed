"""Stories: group items about one real-world event, as they arrive (pure decisions).

    fingerprint(title, summary)          text → Fingerprint: MinHash of word bigrams, LSH band
                                         keys, content terms, names, numbers, wire markers
    index.candidates(fp.band_keys, since) stories sharing a band key (bounded, never a scan)
    assign(fp, item_time, primary, candidates) → Assignment: join a story or start a new one,
                                         and whether the item *updated* the story
    index.add(candidate, fp.band_keys)   new_candidate(...) or merge(...) is what gets stored

An item joins a candidate story when both are in the time window, their places are compatible
(same primary country, or one unknown) and either the text is a near-duplicate (MinHash
Jaccard ≥ `dup_threshold`) or it is the same event: enough shared content terms and shared names,
with the bar rising the longer the story has been quiet. `process()` runs the whole step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from monitor import stories_minhash as mh
from monitor.stories_index import MemoryStoryIndex
from monitor.stories_text import (
    fold,
    is_generic_name,
    names,
    numbers,
    strip_boilerplate,
    tokens,
)

__all__ = [
    "DEFAULT_MODEL", "Assignment", "Fingerprint", "Member", "MemoryStoryIndex", "StoryCandidate",
    "StoryIndex", "StoryModel", "assign", "fingerprint", "is_update", "merge", "new_candidate",
    "process",
]

LEAD_WORDS = 60  # the lead is the first sentences of the summary, up to this many words
MAX_MEMBERS = 4  # items a story keeps for comparison: its first and its latest ones


@dataclass(frozen=True)
class StoryModel:
    """The fingerprint and join parameters (defaults are the measured choice, bench/stories.md)."""

    shingle_size: int = 2
    num_bins: int = 32
    band_rows: int = 2
    term_key_limit: int = 8
    dup_threshold: float = 0.4
    dup_per_day: float = 0.1
    overlap_threshold: float = 0.15
    overlap_per_day: float = 0.35
    grace_s: float = 12 * 3600
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
    """Candidate lookup by band key. Implementations keep at most a bounded number of the most
    recently seen stories per key, so the cost per item stays flat as the index grows."""

    def candidates(self, band_keys: Sequence[str], since: datetime) -> list[StoryCandidate]:
        """Distinct stories linked to any of `band_keys` whose last_seen ≥ `since`."""

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        """Store (or replace) the candidate and link it to `band_keys`."""


def fingerprint(title: str, summary: str, model: StoryModel = DEFAULT_MODEL) -> Fingerprint:
    """Normalise title + lead, then compute MinHash, band keys, terms, key terms and numbers."""
    clean_title = strip_boilerplate(title)
    clean_lead = strip_boilerplate(" ".join(summary.split()[:LEAD_WORDS]))
    title_toks = tokens(fold(clean_title.text))
    toks = title_toks + tokens(fold(clean_lead.text))
    sig = mh.signature(mh.shingles(toks, model.shingle_size), model.num_bins)
    found = names(clean_title.text, clean_lead.text)
    key_terms = list(dict.fromkeys(found.strong + found.weak + tuple(title_toks)))
    keys = mh.band_keys(sig, model.band_rows) + mh.term_keys(key_terms, model.term_key_limit)
    return Fingerprint(
        title=clean_title.text,
        signature=sig,
        band_keys=tuple(dict.fromkeys(keys)),
        terms=frozenset(t for t in toks if not t.isdigit()),
        key_terms=tuple(key_terms),
        names=frozenset(found.strong),
        numbers=numbers(toks),
        lead_length=len(strip_boilerplate(summary).text),
        update_marker=any(c.update_marker or c.breaking_marker for c in (clean_title, clean_lead)),
    )


def assign(
    fp: Fingerprint,
    item_time: datetime,
    primary_country: str | None,
    candidates: Sequence[StoryCandidate],
    *,
    window_s: float = 72 * 3600,
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
    text = max((mh.similarity(fp.signature, m.signature) for m in cand.members), default=0.0)
    overlap = max((_overlap(fp.terms, m.terms) for m in cand.members), default=0.0)
    quiet_days = max(0.0, (item_time - cand.last_seen).total_seconds() / 86400)
    late_days = max(0.0, quiet_days - model.grace_s / 86400)
    if text >= model.dup_threshold + model.dup_per_day * quiet_days:
        reason = "near-duplicate"
    elif overlap >= model.overlap_threshold + model.overlap_per_day * late_days and _same_actors(
        fp, cand, overlap, model
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


def _same_actors(fp: Fingerprint, cand: StoryCandidate, overlap: float, model: StoryModel) -> bool:
    """At least one specific name in common (not a country, demonym or institution), backed by a
    second one, a shared number, a shared country name, or a clearly higher term overlap."""
    shared = fp.names & cand.names
    specific = sum(not is_generic_name(n) for n in shared)
    if specific == 0:
        return False
    evidence = specific + min(1, len(shared) - specific) + min(1, len(fp.numbers & cand.numbers))
    return evidence >= model.min_evidence or overlap >= model.solo_overlap


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
    window_s: float = 72 * 3600,
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
