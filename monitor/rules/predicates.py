"""NNF query → predicate over a `Scan`, with pattern ids and field indices resolved up front.

Predicates run for every triggered rule of every item, so they are shaped for speed: single
words in the default fields (the bulk of most rules) are decided together by one set
operation per AND/OR (`{a, b} <= hit`, `{c, d}.isdisjoint(hit)`), and phrases and proximity
first check that their words were hit at all before any position work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.rules.ast import DEFAULT_FIELDS, And, Leaf, Near, Node, Not, Or, Term, fields_of
from monitor.rules.positions import near_choices, term_spans, term_starts
from monitor.rules.scan import Scan, hit_key

Predicate = Callable[[Scan], bool]
WordForm = tuple[bool, frozenset[int], frozenset[int]]
Clauses = tuple[frozenset[int], ...]
PatternIds = Callable[[Term], tuple[int, ...]]


class PredicateCompiler:
    def __init__(self, pattern_ids: PatternIds, fields: tuple[str, ...]) -> None:
        self.pattern_ids = pattern_ids
        self.fields = fields

    def predicate(self, node: Node) -> Predicate:
        if isinstance(node, Not):
            inner = self.predicate(node.child)
            return lambda scan: not inner(scan)
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Near):
            return self.near(node)
        return self.boolean(node)

    def simple_word(self, node: Node) -> int | None:
        """The pattern id of a single word searched in the default fields, else None."""
        if isinstance(node, Term) and node.field is None and len(node.words) == 1:
            return self.pattern_ids(node)[0]
        return None

    def word_form(self, node: Node) -> WordForm | None:
        """The query as pure set tests on default-field words, when it is one: a word or an OR
        of words is (True, any_of, {}); an AND of words and NOT words is (False, all_of,
        none_of). Matcher.matching runs these inline, without a predicate call."""
        word = self.simple_word(node)
        if word is not None:
            return True, frozenset({word}), frozenset()
        if not isinstance(node, And | Or):
            return None
        positive: list[int] = []
        negative: list[int] = []
        for child in node.children:
            word = self.simple_word(child)
            negated = self.simple_word(child.child) if isinstance(child, Not) else None
            if word is not None:
                positive.append(word)
            elif negated is not None:
                negative.append(negated)
            else:
                return None
        if isinstance(node, Or):
            return (True, frozenset(positive), frozenset()) if not negative else None
        return False, frozenset(positive), frozenset(negative)

    def clauses(self, node: Node) -> Clauses:
        """Necessary conditions: sets of pattern ids each of which must meet the ids hit in the
        item for `node` to be true. Matcher.matching tests them inline, so most triggered
        rules that fail are rejected without a predicate call."""
        if isinstance(node, Term):
            return tuple(frozenset({i}) for i in dict.fromkeys(self.pattern_ids(node)))
        if isinstance(node, Near):
            firsts = (frozenset(self.pattern_ids(t)[0] for t in alts) for alts in node.operands)
            return tuple(dict.fromkeys(firsts))
        if isinstance(node, Not):
            return ()
        children = [self.clauses(child) for child in node.children]
        if isinstance(node, And):
            return tuple(dict.fromkeys(c for clauses in children for c in clauses))
        if not all(children):
            return ()
        return (frozenset().union(*(min(clauses, key=len) for clauses in children)),)

    def boolean(self, node: And | Or) -> Predicate:
        positive: list[int] = []
        negative: list[int] = []
        others: list[Predicate] = []
        for child in node.children:
            word = self.simple_word(child)
            negated = self.simple_word(child.child) if isinstance(child, Not) else None
            if word is not None:
                positive.append(word)
            elif negated is not None:
                negative.append(negated)
            else:
                others.append(self.predicate(child))
        if isinstance(node, And):
            checks = _all_words(positive) + _no_words(negative) + others
            return checks[0] if len(checks) == 1 else _all(tuple(checks))
        checks = _any_word(positive) + _missing_word(negative) + others
        return checks[0] if len(checks) == 1 else _any(tuple(checks))

    def field_indices(self, leaf: Leaf) -> tuple[int, ...]:
        return tuple(self.fields.index(name) for name in fields_of(leaf))

    def term(self, term: Term) -> Predicate:
        ids = self.pattern_ids(term)
        if len(ids) == 1:
            if term.field is None:
                return _any_word(list(ids))[0]
            key = hit_key(ids[0], self.fields.index(term.field))
            return lambda scan: key in scan.hits
        # Tuples of ints, not lists: the cyclic GC stops tracking them (rules live long).
        keys = tuple((f, tuple(hit_key(i, f) for i in ids)) for f in self.field_indices(term))
        words = frozenset(ids)

        def phrase(scan: Scan) -> bool:
            if not words <= scan.pattern_ids:
                return False
            hits = scan.hits
            for f, needed in keys:
                if all(k in hits for k in needed) and term_starts(scan, ids, f):
                    return True
            return False

        return phrase

    def near(self, near: Near) -> Predicate:
        operands = [[self.pattern_ids(t) for t in alts] for alts in near.operands]
        slop = near.slop
        per_field = tuple(
            (
                f,
                tuple(
                    tuple((ids, tuple(hit_key(i, f) for i in ids)) for ids in a) for a in operands
                ),
            )
            for f in self.field_indices(near)
        )
        # An operand can only hold if the first word of one of its alternatives was hit
        # somewhere: one set test per operand rejects most candidates before any field work.
        firsts = tuple(frozenset(ids[0] for ids in alts) for alts in operands)

        def proximity(scan: Scan) -> bool:
            hit = scan.pattern_ids
            for first_words in firsts:
                if first_words.isdisjoint(hit):
                    return False
            return _near_in_fields(scan, per_field, slop)

        return proximity


_FieldOperands = tuple[
    tuple[int, tuple[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...], ...]], ...
]


def _near_in_fields(scan: Scan, per_field: _FieldOperands, slop: int) -> bool:
    hits = scan.hits
    for f, field_operands in per_field:
        present = [
            [ids for ids, keys in alts if all(k in hits for k in keys)] for alts in field_operands
        ]
        if not all(present):
            continue
        spans = [[s for ids in alts for s in term_spans(scan, ids, f)] for alts in present]
        if next(near_choices(spans, slop), None) is not None:
            return True
    return False


assert DEFAULT_FIELDS == ("title", "summary"), "Scan.default_ids assumes these two fields"


def _all_words(ids: Sequence[int]) -> list[Predicate]:
    if not ids:
        return []
    if len(ids) == 1:
        (only,) = ids
        return [lambda scan: only in scan.default_ids]
    words = frozenset(ids)
    return [lambda scan: words <= scan.default_ids]


def _no_words(ids: Sequence[int]) -> list[Predicate]:
    if not ids:
        return []
    words = frozenset(ids)
    return [lambda scan: words.isdisjoint(scan.default_ids)]


def _any_word(ids: Sequence[int]) -> list[Predicate]:
    if not ids:
        return []
    if len(ids) == 1:
        (only,) = ids
        return [lambda scan: only in scan.default_ids]
    words = frozenset(ids)
    return [lambda scan: not words.isdisjoint(scan.default_ids)]


def _missing_word(ids: Sequence[int]) -> list[Predicate]:
    if not ids:
        return []
    words = frozenset(ids)
    return [lambda scan: not words <= scan.default_ids]


def _all(children: tuple[Predicate, ...]) -> Predicate:
    def predicate(scan: Scan) -> bool:
        for child in children:
            if not child(scan):
                return False
        return True

    return predicate


def _any(children: tuple[Predicate, ...]) -> Predicate:
    def predicate(scan: Scan) -> bool:
        for child in children:
            if child(scan):
                return True
        return False

    return predicate
