"""One item's text, folded once per field and scanned once per field by the shared automaton.

Hits are keyed by `pattern_id << FIELD_BITS | field_index` and hold the folded character
offset of each word the pattern matched at. Token numbers (for phrases and proximity) and
original spans (for highlighting) are derived from those offsets only when asked for.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Protocol

from monitor.rules.text import Folded, fold

FIELD_BITS = 3


class Automaton(Protocol):
    def find_matches_as_indexes(
        self, haystack: str, overlapping: bool = False
    ) -> list[tuple[int, int, int]]: ...


def hit_key(pattern_id: int, field_index: int) -> int:
    return pattern_id << FIELD_BITS | field_index


class Scan:
    """The folded fields of one item and every automaton hit in them."""

    __slots__ = ("folded", "hits", "pattern_ids", "_token_starts")

    def __init__(
        self, automaton: Automaton, fields: Sequence[str], texts: Mapping[str, str]
    ) -> None:
        self.folded: list[Folded] = []
        hits: defaultdict[int, list[int]] = defaultdict(list)
        seen: set[int] = set()
        for index, name in enumerate(fields):
            folded = fold(texts.get(name) or "")
            self.folded.append(folded)
            if not folded.text:
                continue
            # Patterns are " word " (whole word) or " word" (prefix), so padding the folded
            # text with spaces makes every hit start exactly one character before a word.
            found = automaton.find_matches_as_indexes(f" {folded.text} ", overlapping=True)
            for pattern_id, start, _end in found:
                hits[pattern_id << FIELD_BITS | index].append(start)
                seen.add(pattern_id)
        self.hits: dict[int, list[int]] = hits
        self.pattern_ids = seen
        self._token_starts: list[list[int] | None] = [None] * len(fields)

    def starts(self, pattern_id: int, field_index: int) -> list[int]:
        return self.hits.get(pattern_id << FIELD_BITS | field_index) or []

    def token_starts(self, field_index: int) -> list[int]:
        starts = self._token_starts[field_index]
        if starts is None:
            starts = self.folded[field_index].token_starts()
            self._token_starts[field_index] = starts
        return starts

    def tokens_of(self, pattern_id: int, field_index: int) -> list[int]:
        """Token numbers at which the pattern matched in the field."""
        offsets = self.starts(pattern_id, field_index)
        if not offsets:
            return []
        starts = self.token_starts(field_index)
        return [bisect.bisect_left(starts, offset) for offset in offsets]

    def original_span(self, field_index: int, first: int, last: int) -> tuple[int, int]:
        """Tokens first..last (inclusive) as a [start, end) span of the original field text."""
        folded = self.folded[field_index]
        start = self.token_starts(field_index)[first]
        last_start = self.token_starts(field_index)[last]
        end = folded.text.find(" ", last_start)
        return folded.span(start, len(folded.text) if end < 0 else end)
