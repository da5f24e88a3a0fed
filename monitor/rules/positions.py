"""Phrases and proximity decided from hit positions (token numbers), never by re-reading text.

A span is (first, last) token number, inclusive. Proximity: choose one span per operand, no two
sharing a token, such that the tokens inside their extent not covered by them number at most
`slop` ("at most N other words between them", in any order).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from monitor.rules.scan import Scan

Span = tuple[int, int]


def term_starts(scan: Scan, pattern_ids: Sequence[int], field_index: int) -> list[int]:
    """Token numbers where the word, or every word of the phrase in order, starts."""
    first = scan.tokens_of(pattern_ids[0], field_index)
    if len(pattern_ids) == 1 or not first:
        return first
    following: list[set[int]] = []
    for pattern_id in pattern_ids[1:]:
        tokens = scan.tokens_of(pattern_id, field_index)
        if not tokens:
            return []
        following.append(set(tokens))
    return [t for t in first if all(t + i in s for i, s in enumerate(following, 1))]


def term_spans(scan: Scan, pattern_ids: Sequence[int], field_index: int) -> list[Span]:
    width = len(pattern_ids) - 1
    return [(t, t + width) for t in term_starts(scan, pattern_ids, field_index)]


def near_choices(operands: Sequence[Sequence[Span]], slop: int) -> Iterator[tuple[Span, ...]]:
    """Every valid choice of spans, each produced once (anchored at its earliest token)."""
    if not operands or any(not spans for spans in operands):
        return
    ordered = [sorted(spans) for spans in operands]
    reach = sum(max(last - first + 1 for first, last in spans) for spans in ordered) + slop
    for anchor in sorted({first for spans in ordered for first, _ in spans}):
        window = [_within(spans, anchor, anchor + reach - 1) for spans in ordered]
        if all(window):
            yield from _choose(window, [], anchor, slop)


def _within(spans: list[Span], low: int, high: int) -> list[Span]:
    found = []
    for index in range(bisect.bisect_left(spans, (low, low)), len(spans)):
        span = spans[index]
        if span[0] > high:
            break
        if span[1] <= high:
            found.append(span)
    return found


def _choose(
    window: list[list[Span]], chosen: list[Span], anchor: int, slop: int
) -> Iterator[tuple[Span, ...]]:
    if len(chosen) == len(window):
        if min(first for first, _ in chosen) == anchor and _gaps(chosen) <= slop:
            yield tuple(chosen)
        return
    for span in window[len(chosen)]:
        if all(span[1] < other[0] or other[1] < span[0] for other in chosen):
            chosen.append(span)
            yield from _choose(window, chosen, anchor, slop)
            chosen.pop()


def _gaps(spans: Sequence[Span]) -> int:
    extent = max(last for _, last in spans) - min(first for first, _ in spans) + 1
    return extent - sum(last - first + 1 for first, last in spans)
