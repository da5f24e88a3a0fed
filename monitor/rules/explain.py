"""Why a query matched: the terms that made it true and their spans in the original fields.

Run only for queries already known to match, so it may be slower than the predicates: it walks
the query (in NNF) and keeps the hits of the subtrees that are true, skipping false branches of
an OR and everything under NOT.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from itertools import islice
from typing import TYPE_CHECKING, cast

from monitor.rules.ast import And, Near, Node, Not, Or, Term, fields_of
from monitor.rules.compile import Matcher
from monitor.rules.positions import Span, near_choices, term_spans
from monitor.rules.predicates import WordForm
from monitor.rules.scan import FIELD_BITS, Scan
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
        plan = matcher.explain_plans[index] = _Planner(matcher).rule(index)
    return cast(_WordsPlan | _Plan, plan).explain(scan, matcher.fields)


def _explanation(found: _Found, scan: Scan, fields: tuple[str, ...]) -> Explanation:
    terms = tuple(dict.fromkeys(label for label, _, _, _ in found))
    hits = {(f, *scan.original_span(f, start, end), label): None for label, f, start, end in found}
    return terms, tuple(TermHit(label, fields[f], s, e) for f, s, e, label in sorted(hits))


class _WordsPlan:
    """A rule with a word form (words in the default fields: one, an OR of them, or an AND of
    them and NOT words): its terms are its positive words that were hit, each at every
    occurrence. The same explanation as the general plan's, without walking the query."""

    def __init__(self, form: WordForm, words: list[tuple[int, str, int]]) -> None:
        self.any_of, self.all_of, self.none_of = form
        # (pattern id, label, length of a whole word or 0 for a prefix), in query order.
        self.words = words

    def explain(self, scan: Scan, fields: tuple[str, ...]) -> Explanation:
        present = scan.default_ids
        if self.any_of:
            if self.all_of.isdisjoint(present):
                return (), ()
        elif not self.all_of <= present or not self.none_of.isdisjoint(present):
            return (), ()
        hits = scan.hits
        span = scan.original_span
        labels: list[str] = []
        found: list[tuple[int, int, int, str]] = []
        for pattern_id, label, length in self.words:
            if pattern_id not in present:
                continue
            labels.append(label)
            for f in (0, 1):
                starts = hits.get(pattern_id << FIELD_BITS | f)
                if starts:
                    for start in starts:
                        end = start + length if length else scan.word_end(start)
                        found.append((f, *span(f, start, end), label))
        if len(labels) > 1:
            # Several words: order the hits as the general plan does, without duplicates.
            labels = list(dict.fromkeys(labels))
            found = sorted(set(found))
        # One word: its hits are already in field and text order, each once.
        return tuple(labels), tuple([TermHit(label, fields[f], s, e) for f, s, e, label in found])


class _Plan(ABC):
    @abstractmethod
    def found(self, scan: Scan) -> _Found | None:
        """The hits that make this node true, or None when it is false."""

    def explain(self, scan: Scan, fields: tuple[str, ...]) -> Explanation:
        return _explanation(self.found(scan) or [], scan, fields)


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

    def rule(self, index: int) -> _WordsPlan | _Plan:
        node = self.matcher.nnf[index]
        form = self.matcher.word_form(index)
        if form is None:
            return self.plan(node)
        terms = node.children if isinstance(node, And | Or) else (node,)
        words = [
            (
                self.matcher.patterns.of(t)[0],
                t.label,
                0 if t.words[0].prefix else len(t.words[0].text),
            )
            for t in terms
            if isinstance(t, Term)
        ]
        return _WordsPlan(form, words)

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
