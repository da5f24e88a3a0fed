"""A story's matching state (`StoryCandidate`) ⇄ JSON, the same on every backend.

The id, title, primary country and first/last seen times live in their own columns; every other
field of the candidate (members, name and number sets, lead length) goes into one JSON document,
field by field, so a field added to `StoryCandidate` is stored without touching this module.
A field missing from an older document takes its default.

A member is stored compactly, `[signature as 8 hex digits per bin, terms joined by spaces]`
(terms are single tokens): decoding was the larger part of a lookup's CPU as JSON lists. The
list form of older documents still loads. Workers keep recently used stories decoded
(`story_window`), so a story is decoded once per change, not once per lookup.
"""

from __future__ import annotations

import json
import struct
import sys
from dataclasses import fields
from datetime import datetime
from typing import Any

from monitor.stories import Member, StoryCandidate

_COLUMNS = frozenset({"story_id", "title", "primary_country", "first_seen", "last_seen"})


def _encode(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple) and value and isinstance(value[0], Member):
        return [[_hex(m.signature), " ".join(sorted(m.terms))] for m in value]
    return value


def _hex(signature: tuple[int, ...]) -> str:
    return struct.pack(f">{len(signature)}I", *signature).hex()


def _signature(value: str | list[int]) -> tuple[int, ...]:
    if isinstance(value, list):  # stored before the compact form
        return tuple(value)
    return struct.unpack(f">{len(value) // 8}I", bytes.fromhex(value))


def _words(value: list[str]) -> frozenset[str]:
    # Interned: the same words recur across every story a worker holds (bench/stories.md).
    return frozenset(map(sys.intern, value))


def _members(value: Any) -> tuple[Member, ...]:
    return tuple(
        Member(_signature(sig), _words(terms.split() if isinstance(terms, str) else terms))
        for sig, terms in value
    )


def _decoder(kind: str) -> Any:
    if kind.startswith("frozenset"):
        return _words
    if "Member" in kind:
        return _members
    return None


# (field name, how to decode its JSON value or None) for every stored field, worked out once.
_STORED = tuple(
    (f.name, _decoder(str(f.type))) for f in fields(StoryCandidate) if f.name not in _COLUMNS
)


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
