"""One item's text, folded once and scanned once by the shared automaton.

The item's fields are joined with a separator, folded in one call and scanned in one pass;
each hit is attributed to its field by offset. Hits are keyed by
`pattern_id << FIELD_BITS | field_index` and hold the folded offset (in the joined text) of
each word the pattern matched at. Token numbers (for phrases and proximity) count words across
the joined text, which is harmless because phrases and proximity only ever compare words of one
field; they and original spans (for highlighting) are computed only when asked for.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Protocol

from monitor.rules.ast import DEFAULT_FIELDS
from monitor.rules.text import fold

FIELD_BITS = 3
DEFAULT_FIELD_COUNT = len(DEFAULT_FIELDS)
# Folds to a space, so no word spans two fields.
_FIELD_SEPARATOR = "\n"


class Automaton(Protocol):
    def find_matches_as_indexes(
        self, haystack: str, overlapping: bool = False
    ) -> list[tuple[int, int, int]]: ...


def hit_key(pattern_id: int, field_index: int) -> int:
    return pattern_id << FIELD_BITS | field_index


class Scan:
    """The folded text of one item and every automaton hit in it.

    `pattern_ids`: patterns hit in any field (for triggering); `default_ids`: patterns hit in
    the default fields, title and summary, which come first in every matcher's field list.
    """

    __slots__ = (
        "pattern_ids", "default_ids", "_found", "_hits", "_folded", "_bases", "_field_starts",
        "_tokens",
    )  # fmt: skip

    def __init__(
        self, automaton: Automaton, fields: Sequence[str], texts: Mapping[str, str]
    ) -> None:
        values = [texts.get(name) or "" for name in fields]
        self._folded = folded = fold(_FIELD_SEPARATOR.join(values))
        self._field_starts = starts = _field_starts(values)
        self._bases = bases = [folded.folded_index(start) for start in starts]
        self._tokens: list[int] | None = None
        self._hits: dict[int, list[int]] | None = None
        # Patterns are " word " (whole word) or " word" (prefix): with the text padded by a
        # space, a hit starting at s is a word starting at folded offset s.
        self._found = found = automaton.find_matches_as_indexes(
            f" {folded.text} ", overlapping=True
        )
        if len(bases) <= DEFAULT_FIELD_COUNT:
            self.default_ids = self.pattern_ids = {hit[0] for hit in found}
        else:
            other_base = bases[DEFAULT_FIELD_COUNT]
            self.default_ids = {hit[0] for hit in found if hit[1] < other_base}
            self.pattern_ids = {hit[0] for hit in found}

    @property
    def hits(self) -> dict[int, list[int]]:
        """Folded word offsets by `hit_key`; built on first use (most items never need it:
        word-only rules are decided from the id sets)."""
        if self._hits is None:
            self._hits = self._index_hits()
        return self._hits

    def _index_hits(self) -> dict[int, list[int]]:
        hits: defaultdict[int, list[int]] = defaultdict(list)
        bases = self._bases
        summary_base = bases[1] if len(bases) > 1 else len(self._folded.text) + 1
        for pattern_id, start, _end in self._found:
            if start < summary_base:
                hits[pattern_id << FIELD_BITS].append(start)
            else:
                index = bisect.bisect_right(bases, start) - 1
                hits[pattern_id << FIELD_BITS | index].append(start)
        return hits

    def starts(self, pattern_id: int, field_index: int) -> list[int]:
        return self.hits.get(pattern_id << FIELD_BITS | field_index) or []

    def token_starts(self) -> list[int]:
        if self._tokens is None:
            self._tokens = self._folded.token_starts()
        return self._tokens

    def tokens_of(self, pattern_id: int, field_index: int) -> list[int]:
        """Token numbers at which the pattern matched in the field."""
        offsets = self.starts(pattern_id, field_index)
        if not offsets:
            return []
        starts = self.token_starts()
        return [bisect.bisect_left(starts, offset) for offset in offsets]

    def word_end(self, offset: int) -> int:
        """The folded end of the word starting at folded `offset`."""
        end = self._folded.text.find(" ", offset)
        return len(self._folded.text) if end < 0 else end

    def token_chars(self, first: int, last: int) -> tuple[int, int]:
        """Tokens first..last (inclusive) as a folded [start, end) span."""
        starts = self.token_starts()
        return starts[first], self.word_end(starts[last])

    def original_span(self, field_index: int, start: int, end: int) -> tuple[int, int]:
        """A folded [start, end) span as a span of the original text of the field."""
        base = self._field_starts[field_index]
        offsets = self._folded.offsets
        if offsets is None:
            return start - base, end - base
        return offsets[start] - base, offsets[end] - base


def _field_starts(values: Sequence[str]) -> list[int]:
    starts, position = [], 0
    for value in values:
        starts.append(position)
        position += len(value) + len(_FIELD_SEPARATOR)
    return starts
