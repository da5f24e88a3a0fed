"""Many queries → one `Matcher`: one Aho-Corasick automaton over every word of every query,
and per query a compiled predicate run only when one of its trigger words was hit.

A query's triggers are a set of words at least one of which must occur for the query to be true
(for AND, the most selective child's; for OR, all children's). `parse_query` rejects queries
true on an empty item, so every accepted query has triggers; queries whose triggers are absent
are never evaluated, which is what keeps matching independent of the number of rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import ahocorasick_rs

from monitor.rules.ast import (
    DEFAULT_FIELDS,
    QUERY_FIELDS,
    And,
    Leaf,
    Near,
    Node,
    Not,
    Or,
    Term,
    Word,
    fields_of,
    leaves,
    to_nnf,
)
from monitor.rules.positions import near_choices, term_spans, term_starts
from monitor.rules.scan import Scan, hit_key

Predicate = Callable[[Scan], bool]


@dataclass
class Patterns:
    """Every distinct word of every query, numbered in automaton order."""

    ids: dict[Word, int] = field(default_factory=dict)

    def id(self, word: Word) -> int:
        found = self.ids.get(word)
        if found is None:
            found = self.ids[word] = len(self.ids)
        return found

    def of(self, term: Term) -> tuple[int, ...]:
        return tuple(self.id(word) for word in term.words)

    def automaton(self) -> ahocorasick_rs.AhoCorasick:
        texts = [f" {w.text}" if w.prefix else f" {w.text} " for w in self.ids]
        # The DFA is the fastest scanner here (~2x the default NFA on news text); its memory
        # is recorded in bench/rules.md.
        return ahocorasick_rs.AhoCorasick(texts, implementation=ahocorasick_rs.Implementation.DFA)


class Matcher:
    """Immutable after `build`; safe to share between threads."""

    def __init__(self, queries: Sequence[Node], patterns: Patterns, fields: tuple[str, ...],
                 predicates: list[Predicate], triggers: dict[int, tuple[int, ...]]) -> None:
        self.queries = tuple(queries)
        self.nnf = tuple(to_nnf(q) for q in queries)
        self.patterns = patterns
        self.fields = fields
        self._predicates = predicates
        self._triggers = triggers
        self._automaton = patterns.automaton() if patterns.ids else None

    @classmethod
    def build(cls, queries: Sequence[Node]) -> Matcher:
        patterns = Patterns()
        used = {leaf.field for q in queries for leaf in leaves(q) if leaf.field}
        fields = DEFAULT_FIELDS + tuple(f for f in QUERY_FIELDS[2:] if f in used)
        compiler = _Compiler(patterns, fields)
        predicates: list[Predicate] = []
        triggers: dict[int, list[int]] = {}
        for index, query in enumerate(queries):
            nnf = to_nnf(query)
            predicates.append(compiler.predicate(nnf))
            for word in trigger_words(nnf) or ():
                triggers.setdefault(patterns.id(word), []).append(index)
        frozen = {pid: tuple(rules) for pid, rules in triggers.items()}
        return cls(queries, patterns, fields, predicates, frozen)

    def scan(self, texts: Mapping[str, str]) -> Scan:
        """Fold and scan an item's fields once (`texts`: field name → text)."""
        if self._automaton is None:
            return Scan(_NoPatterns(), (), texts)
        return Scan(self._automaton, self.fields, texts)

    def matching(self, scan: Scan) -> list[int]:
        """Indices of the queries true for the scanned item, in query order."""
        candidates: set[int] = set()
        triggers = self._triggers
        for pattern_id in scan.pattern_ids:
            rules = triggers.get(pattern_id)
            if rules:
                candidates.update(rules)
        predicates = self._predicates
        return [index for index in sorted(candidates) if predicates[index](scan)]

    def field_index(self, name: str) -> int:
        return self.fields.index(name)


class _NoPatterns:
    def find_matches_as_indexes(
        self, haystack: str, overlapping: bool = False
    ) -> list[tuple[int, int, int]]:
        return []


def _word_cost(word: Word) -> float:
    # Longer words are rarer in news text; prefixes match more words than they spell.
    return (3.0 if word.prefix else 1.0) / len(word.text)


def trigger_words(node: Node) -> frozenset[Word] | None:
    """Words one of which must be hit for `node` (in NNF) to be true; None: no such set."""
    if isinstance(node, Not):
        return None
    if isinstance(node, Term):
        return frozenset({max(node.words, key=lambda w: (len(w.text), not w.prefix))})
    if isinstance(node, Near):
        options = [_alternatives_triggers(alts) for alts in node.operands]
        return min(options, key=_set_cost)
    children = [trigger_words(child) for child in node.children]
    if isinstance(node, Or):
        if any(c is None for c in children):
            return None
        return frozenset().union(*(c for c in children if c is not None))
    usable = [c for c in children if c is not None]
    return min(usable, key=_set_cost) if usable else None


def _alternatives_triggers(alternatives: Sequence[Term]) -> frozenset[Word]:
    found: frozenset[Word] = frozenset()
    for term in alternatives:
        found |= trigger_words(term) or frozenset()
    return found


def _set_cost(words: frozenset[Word]) -> float:
    return sum(_word_cost(w) for w in words)


class _Compiler:
    """NNF node → predicate over a Scan; pattern ids and field indices resolved up front."""

    def __init__(self, patterns: Patterns, fields: tuple[str, ...]) -> None:
        self.patterns = patterns
        self.fields = fields

    def predicate(self, node: Node) -> Predicate:
        if isinstance(node, Not):
            inner = self.predicate(node.child)
            return lambda scan: not inner(scan)
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Near):
            return self.near(node)
        children = tuple(self.predicate(child) for child in node.children)
        return _all(children) if isinstance(node, And) else _any(children)

    def field_indices(self, leaf: Leaf) -> tuple[int, ...]:
        return tuple(self.fields.index(name) for name in fields_of(leaf))

    def term(self, term: Term) -> Predicate:
        ids = self.patterns.of(term)
        indices = self.field_indices(term)
        if len(ids) == 1:
            keys = tuple(hit_key(ids[0], f) for f in indices)
            return lambda scan: any(key in scan.hits for key in keys)
        return lambda scan: any(term_starts(scan, ids, f) for f in indices)

    def near(self, near: Near) -> Predicate:
        operands = tuple(tuple(self.patterns.of(t) for t in alts) for alts in near.operands)
        indices = self.field_indices(near)
        slop = near.slop

        def predicate(scan: Scan) -> bool:
            for f in indices:
                spans = [[s for ids in alts for s in term_spans(scan, ids, f)] for alts in operands]
                if next(near_choices(spans, slop), None) is not None:
                    return True
            return False

        return predicate


def _all(children: tuple[Predicate, ...]) -> Predicate:
    def predicate(scan: Scan) -> bool:
        return all(child(scan) for child in children)

    return predicate


def _any(children: tuple[Predicate, ...]) -> Predicate:
    def predicate(scan: Scan) -> bool:
        return any(child(scan) for child in children)

    return predicate
