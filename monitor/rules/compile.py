"""Many queries → one `Matcher`: one Aho-Corasick automaton over every word of every query,
and per query a compiled predicate run only when one of its trigger words was hit.

A query's triggers are a set of words at least one of which must occur for the query to be true
(for AND, the most selective child's; for OR, all children's). `parse_query` rejects queries
true on an empty item, so every accepted query has triggers; queries whose triggers are absent
are never evaluated, which is what keeps matching independent of the number of rules.

A triggered query is then decided in the cheapest way that is exact: a word or an OR of words
is true as soon as one of its words is hit in the default fields (no evaluation at all); an
AND of words and NOT words by two set tests inline (`WordForm`); others first by their
necessary-word clauses, rarest first, inline, and only then by their compiled predicate
(phrases and proximity on hit positions).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import ahocorasick_rs

from monitor.rules.ast import (
    DEFAULT_FIELDS,
    QUERY_FIELDS,
    Near,
    Node,
    Not,
    Or,
    Term,
    Word,
    leaves,
    to_nnf,
)
from monitor.rules.predicates import Clauses, Predicate, PredicateCompiler, WordForm
from monitor.rules.scan import Scan

K = TypeVar("K", bound=Hashable)


@dataclass
class Patterns:
    """Every distinct word of every query, numbered in automaton order."""

    # Keyed by the automaton pattern (" word " whole word, " word" prefix): strings cache
    # their hash, which matters when 10,000 rules are compiled.
    ids: dict[str, int] = field(default_factory=dict)
    # Each term's ids, by id(term): a rule's terms are looked up by several compile steps.
    # The term is kept beside its ids, so an id() reused after the term is freed cannot hit.
    _terms: dict[int, tuple[Term, tuple[int, ...]]] = field(default_factory=dict)

    # `_word_cost` of each pattern, by id.
    costs: list[float] = field(default_factory=list)

    def id(self, word: Word) -> int:
        pattern = f" {word.text}" if word.prefix else f" {word.text} "
        found = self.ids.get(pattern)
        if found is None:
            found = self.ids[pattern] = len(self.ids)
            self.costs.append(_word_cost(word))
        return found

    def of(self, term: Term) -> tuple[int, ...]:
        known = self._terms.get(id(term))
        if known is not None and known[0] is term:
            return known[1]
        ids = tuple(self.id(word) for word in term.words)
        self._terms[id(term)] = (term, ids)
        return ids

    def forget_terms(self) -> None:
        self._terms.clear()

    def trigger(self, term: Term) -> int:
        """The pattern id of the term's trigger word (see `rarest`)."""
        return self.of(term)[rarest(term.words)]

    def automaton(self) -> ahocorasick_rs.AhoCorasick:
        texts = list(self.ids)
        # The DFA is the fastest scanner here (~2x the default NFA on news text); its memory
        # is recorded in bench/rules.md.
        return ahocorasick_rs.AhoCorasick(texts, implementation=ahocorasick_rs.Implementation.DFA)


class Matcher:
    """Immutable after `build`; safe to share between threads."""

    def __init__(
        self,
        queries: Sequence[Node],
        nnf: Sequence[Node],
        patterns: Patterns,
        fields: tuple[str, ...],
        evaluators: tuple[list[Predicate], list[WordForm | None], list[Clauses]],
        triggers: tuple[dict[int, tuple[int, ...]], dict[int, tuple[int, ...]]],
    ) -> None:
        self.queries = tuple(queries)
        self.nnf = tuple(nnf)
        self.patterns = patterns
        self.fields = fields
        self._predicates, self._forms, self._clauses = evaluators
        # Rules to evaluate when a pattern is hit anywhere, and rules true when a pattern is
        # hit in the default fields (words and OR-lists of words).
        self._triggers, self._direct = triggers
        self._automaton = patterns.automaton() if patterns.ids else None
        # Filled lazily by explain.py, one entry per query the first time it is explained;
        # concurrent fills compute the same value, so no lock is needed.
        self.explain_plans: dict[int, object] = {}

    @classmethod
    def build(cls, queries: Sequence[Node]) -> Matcher:
        with gc_paused():
            return cls._build(queries)

    @classmethod
    def _build(cls, queries: Sequence[Node]) -> Matcher:
        patterns = Patterns()
        used = {leaf.field for q in queries for leaf in leaves(q) if leaf.field}
        fields = DEFAULT_FIELDS + tuple(f for f in QUERY_FIELDS[2:] if f in used)
        compiler = PredicateCompiler(patterns.of, fields)
        nnf = [to_nnf(query) for query in queries]
        forms = [compiler.word_form(node) for node in nnf]
        # Rules with a word form are decided by it alone (see `matching`).
        predicates = [
            _decided_by_form if form else compiler.predicate(node)
            for node, form in zip(nnf, forms, strict=True)
        ]
        clauses: list[Clauses] = []
        triggers: dict[int, list[int]] = {}
        direct: dict[int, list[int]] = {}
        cost = patterns.costs.__getitem__
        for index, (node, form) in enumerate(zip(nnf, forms, strict=True)):
            if form and form[0]:
                # A word or an OR of words is true exactly when one of its words, which are
                # also its triggers, is hit in the default fields: no evaluation needed.
                trigger, table = form[1], direct
            else:
                trigger = trigger_set(node, patterns.trigger, cost) or frozenset()
                table = triggers
            clauses.append(() if form else _selective(compiler.clauses(node), trigger, cost))
            for pattern_id in trigger:
                table.setdefault(pattern_id, []).append(index)
        frozen = (
            {pid: tuple(rules) for pid, rules in triggers.items()},
            {pid: tuple(rules) for pid, rules in direct.items()},
        )
        # The memo would keep an object per term for the cyclic GC to traverse for as long as
        # the matcher lives; explanations look up the few terms they need again.
        patterns.forget_terms()
        return cls(queries, nnf, patterns, fields, (predicates, forms, clauses), frozen)

    def scan(self, texts: Mapping[str, str]) -> Scan:
        """Fold and scan an item's fields once (`texts`: field name → text)."""
        if self._automaton is None:
            return Scan(_NoPatterns(), (), texts)
        return Scan(self._automaton, self.fields, texts)

    def matching(self, scan: Scan) -> list[int]:
        """Indices of the queries true for the scanned item, in query order."""
        hit = scan.pattern_ids
        present = scan.default_ids
        found = set().union(*filter(None, map(self._direct.get, present)))
        candidates = set().union(*filter(None, map(self._triggers.get, hit)))
        predicates, forms, clauses = self._predicates, self._forms, self._clauses
        for index in candidates:
            form = forms[index]
            if form is None:
                for clause in clauses[index]:
                    if clause.isdisjoint(hit):
                        break
                else:
                    if predicates[index](scan):
                        found.add(index)
            elif form[1] <= present and form[2].isdisjoint(present):
                found.add(index)
        return sorted(found)

    def word_form(self, index: int) -> WordForm | None:
        """How query `index` is decided when it is made of default-field words only."""
        return self._forms[index]

    def field_index(self, name: str) -> int:
        return self.fields.index(name)


def _selective(clauses: Clauses, trigger: frozenset[int], cost: Callable[[int], float]) -> Clauses:
    """The clauses worth testing once the rule is triggered, the likeliest to fail first: a
    clause holding every trigger word is then already met."""
    kept = [clause for clause in clauses if not trigger <= clause]
    return tuple(sorted(kept, key=lambda clause: _set_cost(clause, cost)))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Parsing and compiling allocate ~100 long-lived objects per rule; the cyclic collector
    would re-traverse them again and again (half the time at 10,000 rules). Nothing built here
    forms garbage cycles, so collection can wait until the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _decided_by_form(scan: Scan) -> bool:
    raise AssertionError("a rule with a word form is decided by its form")


class _NoPatterns:
    def find_matches_as_indexes(
        self, haystack: str, overlapping: bool = False
    ) -> list[tuple[int, int, int]]:
        return []


def _word_cost(word: Word) -> float:
    # Longer words are rarer in news text; prefixes match more words than they spell.
    return (3.0 if word.prefix else 1.0) / len(word.text)


def rarest(words: tuple[Word, ...]) -> int:
    """The index of the word a term is triggered by: the longest, a whole word before a prefix."""
    if len(words) == 1:
        return 0
    return max(range(len(words)), key=lambda i: (len(words[i].text), not words[i].prefix))


def trigger_words(node: Node) -> frozenset[Word] | None:
    """Words one of which must be hit for `node` (in NNF) to be true; None: no such set."""
    return trigger_set(node, lambda term: term.words[rarest(term.words)], _word_cost)


def trigger_set(
    node: Node, key: Callable[[Term], K], cost: Callable[[K], float]
) -> frozenset[K] | None:
    """`trigger_words` with each term's trigger word as `key(term)` (the matcher uses pattern
    ids); `cost` ranks the keys as `_word_cost` ranks their words."""
    if isinstance(node, Term):
        return frozenset((key(node),))
    if isinstance(node, Not):
        return None
    if isinstance(node, Near):
        options = [frozenset(map(key, alts)) for alts in node.operands]
        return min(options, key=lambda keys: _set_cost(keys, cost))
    children = [trigger_set(child, key, cost) for child in node.children]
    if isinstance(node, Or):
        if None in children:
            return None
        return frozenset().union(*children)  # type: ignore[arg-type]
    usable = [c for c in children if c is not None]
    return min(usable, key=lambda keys: _set_cost(keys, cost)) if usable else None


def _set_cost(keys: frozenset[K], cost: Callable[[K], float]) -> float:
    if len(keys) == 1:
        return cost(next(iter(keys)))
    # Summed in a fixed order, so equal sets cost exactly the same whatever their keys.
    return sum(sorted(map(cost, keys)))
