"""Why a query matched: the terms that made it true and their spans in the original fields.

Run only for queries already known to match, so it may be slower than the predicates: it walks
the query (in NNF) and keeps the hits of the subtrees that are true, skipping false branches of
an OR and everything under NOT.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from typing import TYPE_CHECKING

from monitor.rules.ast import And, Near, Node, Not, Or, Term, fields_of
from monitor.rules.compile import Matcher
from monitor.rules.positions import Span, near_choices, term_spans
from monitor.rules.scan import Scan
from monitor.types import TermHit

if TYPE_CHECKING:
    from rich.text import Text

# Enough proximity windows to highlight every occurrence a reader would look for, while a
# pathological text (one word repeated thousands of times) cannot make explaining slow.
_MAX_CHOICES = 200
_Found = list[tuple[str, int, Span]]


Explanation = tuple[tuple[str, ...], tuple[TermHit, ...]]


def explain(matcher: Matcher, index: int, scan: Scan) -> Explanation:
    """The terms (labels as written, folded) and hits for query `index` on a scanned item."""
    found = _Explainer(matcher, scan).node(matcher.nnf[index]) or []
    terms = tuple(dict.fromkeys(label for label, _, _ in found))
    hits: dict[TermHit, None] = {}
    for label, field_index, (first, last) in found:
        start, end = scan.original_span(field_index, first, last)
        hits[TermHit(label, matcher.fields[field_index], start, end)] = None
    ordered = sorted(hits, key=lambda h: (matcher.fields.index(h.field), h.start, h.end))
    return terms, tuple(ordered)


class _Explainer:
    def __init__(self, matcher: Matcher, scan: Scan) -> None:
        self.matcher = matcher
        self.scan = scan

    def node(self, node: Node) -> _Found | None:
        """The hits that make `node` true, or None when it is false."""
        if isinstance(node, Not):
            return None if self.node(node.child) is not None else []
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Near):
            return self.near(node)
        results = [self.node(child) for child in node.children]
        if isinstance(node, And) and any(r is None for r in results):
            return None
        if isinstance(node, Or) and all(r is None for r in results):
            return None
        return [hit for r in results if r is not None for hit in r]

    def field_indices(self, leaf: Term | Near) -> list[int]:
        return [self.matcher.field_index(name) for name in fields_of(leaf)]

    def term(self, term: Term) -> _Found | None:
        ids = self.matcher.patterns.of(term)
        found = [
            (term.label, f, span)
            for f in self.field_indices(term)
            for span in term_spans(self.scan, ids, f)
        ]
        return found or None

    def near(self, near: Near) -> _Found | None:
        found: _Found = []
        for f in self.field_indices(near):
            labelled = [self.labelled_spans(alternatives, f) for alternatives in near.operands]
            choices = near_choices([list(spans) for spans in labelled], near.slop)
            for choice in islice(choices, _MAX_CHOICES):
                found.extend((labelled[i][span], f, span) for i, span in enumerate(choice))
        return found or None

    def labelled_spans(self, alternatives: Sequence[Term], field_index: int) -> dict[Span, str]:
        spans: dict[Span, str] = {}
        for term in alternatives:
            for span in term_spans(self.scan, self.matcher.patterns.of(term), field_index):
                spans.setdefault(span, term.label)
        return spans


def highlight(text: str, hits: Sequence[TermHit], field: str, style: str = "bold reverse") -> Text:
    """`text` as rich Text with the hits in `field` styled."""
    from rich.text import Text

    rendered = Text(text)
    for hit in hits:
        if hit.field == field:
            rendered.stylize(style, hit.start, hit.end)
    return rendered


def mark(text: str, hits: Sequence[TermHit], field: str, open_: str = "[", close: str = "]") -> str:
    """`text` with the hits in `field` wrapped in markers (overlapping hits merged)."""
    spans = sorted((h.start, h.end) for h in hits if h.field == field)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out += [text[cursor:start], open_, text[start:end], close]
        cursor = end
    return "".join(out) + text[cursor:]
