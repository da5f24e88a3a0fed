"""Stories: group items about one real-world event, as they arrive (pure decisions).

    fingerprint(title, summary, geo=tags) text (+ the geo tagger's places and countries) →
                                         Fingerprint: MinHash of word bigrams, LSH band keys,
                                         content terms, names, numbers, wire markers
    index.candidates(fp.band_keys, since) stories sharing a band key (bounded, never a scan)
    assign(fp, item_time, primary, candidates) → Assignment: join a story or start a new one,
                                         and whether the item *updated* the story
    index.add(candidate, fp.band_keys)   new_candidate(...) or merge(...) is what gets stored

An item joins a candidate story when both are in the time window, their places are compatible
(same primary country, one unknown, or one's primary mentioned by the other), and either the
text is a near-duplicate (MinHash Jaccard ≥ `dup_threshold`) or it is the same event: enough
shared content terms — words are folded to one token per fact across wordings and languages
("tremor" = "quake", "muertos" = "killed") and compared by their first seven letters
("presidential" = "presidente") — for what the two share: a person, group, acronym or number;
only places or everyday actors; nothing — or their headlines say the same (a third of the
shorter headline's terms in the other headline, or half of one headline in the other's title
and lead). Two reports naming different cities, or different provinces, are different events.
Names are capitalised words, the gazetteer's places and the initials of multi-word names; a
name capitalised only by its position counts when the other side writes it as a name. Both bars
rise the longer the story has been quiet (after a grace of some hours), which is what keeps
"same place, another day" apart. `process()` runs the whole step. Values: `stories_model`;
fingerprints: `stories_fingerprint`. The model, its thresholds and their measurement:
bench/stories.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta

from monitor import stories_minhash as mh
from monitor.stories_fingerprint import fingerprint, headline_terms
from monitor.stories_index import MemoryStoryIndex
from monitor.stories_model import (
    DEFAULT_MODEL,
    MAX_MEMBERS,
    STORY_WINDOW_S,
    Assignment,
    Fingerprint,
    Member,
    StoryCandidate,
    StoryFacts,
    StoryIndex,
    StoryModel,
)
from monitor.stories_text import HUB_NAMES

__all__ = [
    "DEFAULT_MODEL", "STORY_WINDOW_S", "Assignment", "Fingerprint", "Member", "MemoryStoryIndex",
    "StoryCandidate", "StoryIndex", "StoryModel", "assign", "fingerprint", "is_update", "merge",
    "new_candidate", "process",
]


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
        if not _compatible(cand, item_time, primary_country, fp.countries, window_s):
            continue
        verdict = _judge(fp, item_time, cand, model)
        if verdict is not None and (best is None or verdict.score > best.score):
            best = verdict
    return best if best is not None else Assignment(story_id=None, new=True)


def _compatible(
    cand: StoryCandidate,
    item_time: datetime,
    primary: str | None,
    countries: frozenset[str],
    window_s: float,
) -> bool:
    theirs = cand.primary_country
    if primary and theirs and primary != theirs:
        if primary not in cand.countries and theirs not in countries:
            return False
    after_last = (item_time - cand.last_seen).total_seconds()
    before_first = (cand.first_seen - item_time).total_seconds()
    return after_last <= window_s and before_first <= window_s


def _judge(
    fp: Fingerprint, item_time: datetime, cand: StoryCandidate, model: StoryModel
) -> Assignment | None:
    quiet_days = max(0.0, (item_time - cand.last_seen).total_seconds() / 86400)
    text = max((mh.similarity(fp.signature, m.signature) for m in cand.members), default=0.0)
    common = [fp.terms & m.terms for m in cand.members]  # content terms shared with each item
    # The overlap coefficient |A ∩ B| / min(|A|, |B|), against the closest item.
    overlap = max(
        (
            len(c) / (min(len(fp.terms), len(m.terms)) or 1)
            for c, m in zip(common, cand.members, strict=True)
        ),
        default=0.0,
    )
    ramp = model.overlap_per_day * max(0.0, quiet_days - model.ramp_grace_h / 24)
    if text >= model.dup_threshold + model.dup_per_day * quiet_days:
        reason: str | None = "near-duplicate"
    else:
        reason = _same_event(fp, cand, common, overlap, ramp, model)
    if reason is None:
        return None
    return Assignment(
        story_id=cand.story_id,
        new=False,
        updated=is_update(fp, cand, model),
        score=text + overlap,
        reason=reason,
    )


def _same_event(
    fp: Fingerprint,
    cand: StoryCandidate,
    common: list[frozenset[str]],
    overlap: float,
    ramp: float,
    model: StoryModel,
) -> str | None:
    """"same-event" (enough content shared for what the two name), "same-headline", or None."""
    apart = _places_apart(fp, cand)
    shared = _shared_specific(fp, cand, model)
    if overlap >= _overlap_bar(fp, cand, shared, apart, model) + ramp and _shares_enough(
        fp, cand, common, model
    ):
        return "same-event"
    if not apart and _same_headline(fp, cand, model, ramp, named=bool(shared)):
        return "same-headline"
    return None


def _same_headline(
    fp: Fingerprint, cand: StoryCandidate, model: StoryModel, ramp: float, *, named: bool
) -> bool:
    """A headline says what happened in a few words, so two that share most of theirs report
    one event even when the leads go separate ways ("Tsunami advisory lifted, 7 hurt after
    temblor in Kushiro" / "Japan issues tsunami advisory after 6.8 tremor"): terms in common
    covering `headline_overlap` of the shorter headline (the story's first), or
    `headline_in_text` of one headline inside the other side's title and lead. At least
    `min_headline_terms` of them when the two share a name or place (`named`), one more when
    they do not ("Rockets hit …" twenty times is twenty events). Both bars ride the time ramp;
    different cities or provinces never get here."""
    least = model.min_headline_terms + (0 if named else 1)
    ours, theirs = headline_terms(fp.title, model), headline_terms(cand.title, model)
    pairs = [(ours, theirs, min(len(ours), len(theirs)), model.headline_overlap)]
    pairs += [(ours, m.terms, len(ours), model.headline_in_text) for m in cand.members]
    pairs.append((theirs, fp.terms, len(theirs), model.headline_in_text))
    for head, other, size, bar in pairs:
        shared = len(head & other)
        if shared >= least and shared >= (bar + ramp) * size:
            return True
    return False


def _overlap_bar(
    fp: Fingerprint, cand: StoryCandidate, shared: frozenset[str], apart: bool, model: StoryModel
) -> float:
    """How much content the two must share to be one event (before the time ramp): little
    when they share a specific name or place, nothing will do when they name different cities
    or different provinces (kidnappings in Kebbi and in Kogi), and more when both name
    something and nothing in common ("Bank of England cuts rates" / "Fed lowers rate")."""
    if apart:
        return model.place_conflict_overlap
    if shared - fp.place_names - cand.place_names - HUB_NAMES:
        return model.shared_overlap
    if shared:
        # Only places or everyday actors in common: Gaza, Baghdad or Hamas see many events a day.
        return model.shared_place_overlap
    if fp.specific_names and cand.specific_names:
        return model.conflict_overlap
    return model.overlap_threshold


def _shares_enough(
    fp: Fingerprint, cand: StoryCandidate, common: list[frozenset[str]], model: StoryModel
) -> bool:
    """At least `min_shared_terms` content terms in common with one of the story's items, not
    counting the cities and provinces both name: on short texts a high overlap coefficient can
    rest on two words ("Baghdad", "attack")."""
    where = {p[: model.term_prefix] for p in fp.places | fp.regions | cand.places | cand.regions}
    return any(len(c - where) >= model.min_shared_terms for c in common)


def _places_apart(fp: Fingerprint, cand: StoryCandidate) -> bool:
    """They name different cities, or different provinces: different events."""
    return _apart(fp.places, cand.places) or _apart(fp.regions, cand.regions)


def _apart(ours: frozenset[str], theirs: frozenset[str]) -> bool:
    """Both name places of one level (cities, or states and provinces) and none in common.
    A city and a province may be one inside the other, so they never disagree."""
    return bool(ours and theirs and not ours & theirs)


def _shared_specific(fp: Fingerprint, cand: StoryCandidate, model: StoryModel) -> frozenset[str]:
    """Specific names both sides use, and the facts they share. A weak name on one side
    (capitalised only by its place at a sentence start or in a Title-Case headline) counts when
    the other side writes it as a name: "Boeing machinists vote…" and "…strike by 33,000 Boeing
    workers"; an acronym meets its name's initials ("RBI", "Reserve Bank of India")."""
    shared = fp.specific_names & cand.specific_names
    shared |= (fp.initials & cand.specific_names) | (fp.specific_names & cand.initials)
    # A number of two digits or more in both ("185 prisoners", "42,000 jobs") is a fact shared.
    # Not a decimal: rates and percentages recur across unrelated events (4.75 % at two banks).
    shared |= {
        n for n in fp.numbers & cand.numbers if n.isdigit() and len(n) >= model.shared_number_digits
    }
    if model.confirm_weak:
        shared |= (fp.weak_names & cand.specific_names) | (fp.specific_names & cand.weak_names)
    return shared


def is_update(fp: Fingerprint, cand: StoryCandidate, model: StoryModel = DEFAULT_MODEL) -> bool:
    """New numbers, an UPDATE/BREAKING marker, or a materially longer lead than seen so far."""
    if fp.update_marker or (fp.numbers - cand.numbers):
        return True
    return fp.lead_length > model.longer_lead_ratio * max(cand.lead_length, 1)


_ACCUMULATED = tuple(f.name for f in fields(StoryFacts))


def new_candidate(
    story_id: int, fp: Fingerprint, item_time: datetime, primary_country: str | None
) -> StoryCandidate:
    """The story an item starts."""
    return StoryCandidate(
        story_id=story_id,
        members=(Member(fp.signature, fp.terms),),
        primary_country=primary_country,
        first_seen=item_time,
        last_seen=item_time,
        title=fp.title,
        lead_length=fp.lead_length,
        **{name: getattr(fp, name) for name in _ACCUMULATED},
    )


def merge(
    cand: StoryCandidate, fp: Fingerprint, item_time: datetime, primary_country: str | None
) -> StoryCandidate:
    """The story after `fp` joined it: times widened, the item kept as a member (the first and
    latest few are kept), names, places and numbers added."""
    members = (*cand.members, Member(fp.signature, fp.terms))
    if len(members) > MAX_MEMBERS:
        members = (members[0], *members[-(MAX_MEMBERS - 1) :])
    return replace(
        cand,
        members=members,
        primary_country=cand.primary_country or primary_country,
        first_seen=min(cand.first_seen, item_time),
        last_seen=max(cand.last_seen, item_time),
        lead_length=max(cand.lead_length, fp.lead_length),
        **{name: getattr(cand, name) | getattr(fp, name) for name in _ACCUMULATED},
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
