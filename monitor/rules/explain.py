"""Why a query matched: the terms that made it true and their spans in the original fields.

Run only for queries already known to match, so it may be slower than the predicates: it walks
the query (in NNF) and keeps the hits of the subtrees that are true, skipping false branches of
an OR and everything under NOT.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from itertools import islice
from typing import TYPE_CHECKING

from monitor.rules.ast import And, Near, Node, Not, Term, fields_of
from monitor.rules.compile import Matcher
from monitor.rules.positions import Span, near_choices, term_spans
from monitor.rules.scan import Scan
from monitor.types import TermHit

if TYPE_CHECKING:
    from rich.text import Text

# Enough proximity windows to highlight every occurrence a reader would look for, while a
# pathological text (one word repeated thousands of times) cannot make explaining slow.
_MAX_CHOICES = 200
# (label, field index, folded start, folded end)
_Found = list[tuple[str, int, int, int]]
Explanation = tuple[tuple[str, ...], tuple[TermHit, ...]]


def explain(matcher: Matcher, index: int, scan: Scan) -> Explanation:
    """The terms (labels as written, folded) and hits for query `index` on a scanned item."""
    plan = matcher.explain_plans.get(index)
    if plan is None:
        plan = matcher.explain_plans[index] = _Planner(matcher).plan(matcher.nnf[index])
    assert isinstance(plan, _Plan)
    found = plan.found(scan) or []
    terms = tuple(dict.fromkeys(label for label, _, _, _ in found))
    hits = {(f, *scan.original_span(f, start, end), label): None for label, f, start, end in found}
    fields = matcher.fields
    return terms, tuple(TermHit(label, fields[f], s, e) for f, s, e, label in sorted(hits))


class _Plan(ABC):
    @abstractmethod
    def found(self, scan: Scan) -> _Found | None:
        """The hits that make this node true, or None when it is false."""


class _TermPlan(_Plan):
    def __init__(self, label: str, ids: tuple[int, ...], fields: list[int]) -> None:
        self.label, self.ids, self.fields = label, ids, fields
        self.words = frozenset(ids)

    def found(self, scan: Scan) -> _Found | None:
        label, ids = self.label, self.ids
        if not self.words <= scan.pattern_ids:
            return None
        if len(ids) == 1:
            found = [
                (label, f, offset, scan.word_end(offset))
                for f in self.fields
                for offset in scan.starts(ids[0], f)
            ]
        else:
            found = [
                (label, f, *scan.token_chars(first, last))
                for f in self.fields
                for first, last in term_spans(scan, ids, f)
            ]
        return found or None

    def spans(self, scan: Scan, field_index: int) -> list[Span]:
        return term_spans(scan, self.ids, field_index)


class _NearPlan(_Plan):
    def __init__(self, operands: list[list[_TermPlan]], slop: int, fields: list[int]) -> None:
        self.operands, self.slop, self.fields = operands, slop, fields

    def found(self, scan: Scan) -> _Found | None:
        found: _Found = []
        for f in self.fields:
            labelled = [_labelled_spans(scan, alternatives, f) for alternatives in self.operands]
            choices = near_choices([list(spans) for spans in labelled], self.slop)
            for choice in islice(choices, _MAX_CHOICES):
                for i, span in enumerate(choice):
                    found.append((labelled[i][span], f, *scan.token_chars(*span)))
        return found or None


def _labelled_spans(scan: Scan, alternatives: Sequence[_TermPlan], f: int) -> dict[Span, str]:
    spans: dict[Span, str] = {}
    for term in alternatives:
        for span in term.spans(scan, f):
            spans.setdefault(span, term.label)
    return spans


class _NotPlan(_Plan):
    def __init__(self, child: _Plan) -> None:
        self.child = child

    def found(self, scan: Scan) -> _Found | None:
        return None if self.child.found(scan) is not None else []


class _BoolPlan(_Plan):
    def __init__(self, is_and: bool, children: list[_Plan]) -> None:
        self.is_and, self.children = is_and, children

    def found(self, scan: Scan) -> _Found | None:
        results = [child.found(scan) for child in self.children]
        failed = [r is None for r in results]
        if any(failed) if self.is_and else all(failed):
            return None
        return [hit for r in results if r is not None for hit in r]


class _Planner:
    """NNF node → plan, with pattern ids and field indices resolved once per query."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    def plan(self, node: Node) -> _Plan:
        if isinstance(node, Not):
            return _NotPlan(self.plan(node.child))
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Near):
            operands = [[self.term(t) for t in alts] for alts in node.operands]
            return _NearPlan(operands, node.slop, self.fields(node))
        return _BoolPlan(isinstance(node, And), [self.plan(c) for c in node.children])

    def fields(self, leaf: Term | Near) -> list[int]:
        return [self.matcher.field_index(name) for name in fields_of(leaf)]

    def term(self, term: Term) -> _TermPlan:
        return _TermPlan(term.label, self.matcher.patterns.of(term), self.fields(term))


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
