"""A story's matching state (`StoryCandidate`) ⇄ JSON, the same on every backend.

The id, title, primary country and first/last seen times live in their own columns; every other
field of the candidate (members, name and number sets, lead length) goes into one JSON document,
field by field, so a field added to `StoryCandidate` is stored without touching this module.
A field missing from an older document takes its default.

Decoding is the larger part of a candidate lookup's CPU (~12 µs a story), and the same stories
come back item after item while their event is in the news, so decoded candidates are kept in a
small LRU keyed by the stored text itself: a changed story is a different key, never stale.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from monitor.stories import Member, StoryCandidate

_COLUMNS = frozenset({"story_id", "title", "primary_country", "first_seen", "last_seen"})


def _encode(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple) and value and isinstance(value[0], Member):
        return [[list(m.signature), sorted(m.terms)] for m in value]
    return value


def _members(value: Any) -> tuple[Member, ...]:
    return tuple(Member(tuple(sig), frozenset(terms)) for sig, terms in value)


def _decoder(kind: str) -> Any:
    if kind.startswith("frozenset"):
        return frozenset
    if "Member" in kind:
        return _members
    return None


# (field name, how to decode its JSON value or None) for every stored field, worked out once.
_STORED = tuple(
    (f.name, _decoder(str(f.type))) for f in fields(StoryCandidate) if f.name not in _COLUMNS
)
DECODED_CACHE = 4096


def candidate_json(cand: StoryCandidate) -> str:
    state = {f.name: _encode(getattr(cand, f.name)) for f in fields(cand) if f.name not in _COLUMNS}
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


def candidate_from(
    story_id: int,
    state: str,
    title: str,
    primary_country: str | None,
    first_seen: datetime,
    last_seen: datetime,
) -> StoryCandidate:
    return _candidate(story_id, state, title, primary_country, first_seen, last_seen)


@lru_cache(maxsize=DECODED_CACHE)
def _candidate(
    story_id: int,
    state: str,
    title: str,
    primary_country: str | None,
    first_seen: datetime,
    last_seen: datetime,
) -> StoryCandidate:
    data = json.loads(state)
    stored = {
        name: data[name] if decode is None else decode(data[name])
        for name, decode in _STORED
        if name in data
    }
    return StoryCandidate(
        story_id=story_id,
        title=title,
        primary_country=primary_country,
        first_seen=first_seen,
        last_seen=last_seen,
        **stored,
    )
