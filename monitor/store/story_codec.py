"""A story's matching state (`StoryCandidate`) ⇄ JSON, the same on every backend.

The id, title, primary country and first/last seen times live in their own columns; every other
field of the candidate (members, name and number sets, lead length) goes into one JSON document,
field by field, so a field added to `StoryCandidate` is stored without touching this module.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Any

from monitor.stories import Member, StoryCandidate

_COLUMNS = frozenset({"story_id", "title", "primary_country", "first_seen", "last_seen"})


def _encode(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple) and value and isinstance(value[0], Member):
        return [[list(m.signature), sorted(m.terms)] for m in value]
    return value


def _decode(kind: str, value: Any) -> Any:
    if kind.startswith("frozenset"):
        return frozenset(value)
    if "Member" in kind:
        return tuple(Member(tuple(sig), frozenset(terms)) for sig, terms in value)
    return value


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
    data = json.loads(state)
    stored = {
        f.name: _decode(str(f.type), data[f.name])
        for f in fields(StoryCandidate)
        if f.name in data
    }
    return StoryCandidate(
        story_id=story_id,
        title=title,
        primary_country=primary_country,
        first_seen=first_seen,
        last_seen=last_seen,
        **stored,
    )
