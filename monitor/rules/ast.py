"""Our small rule AST: what a query means, independent of the library that parsed it.

A `Term` is one word or an exact phrase (several words in order); `Near` is proximity: every
operand occurs, in any order, with at most `slop` other words between them. `field` None means
the default field (title and summary, each searched on its own). `pos` is the 0-based character
offset of the node in the query, for error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_FIELDS: tuple[str, ...] = ("title", "summary")
QUERY_FIELDS: tuple[str, ...] = ("title", "summary", "source", "author", "link")
MIN_PREFIX = 3


@dataclass(frozen=True)
class Word:
    """A folded word; `prefix` means it matches any word starting with `text`."""

    text: str
    prefix: bool = False

    def matches(self, token: str) -> bool:
        return token.startswith(self.text) if self.prefix else token == self.text


@dataclass(frozen=True)
class Term:
    """One word, or several words that must be adjacent and in order (a phrase)."""

    words: tuple[Word, ...]
    label: str
    field: str | None = None
    pos: int = 0


@dataclass(frozen=True)
class Near:
    """Proximity: each operand is a set of alternatives (`(a OR "b c") NEAR/5 d`)."""

    operands: tuple[tuple[Term, ...], ...]
    slop: int
    field: str | None = None
    pos: int = 0


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node
    pos: int = 0


Node = Term | Near | And | Or | Not
Leaf = Term | Near
# A tuple, not the union: isinstance() with a tuple is several times faster on hot paths.
_LEAVES = (Term, Near)


def fields_of(node: Leaf) -> tuple[str, ...]:
    """The fields a leaf is searched in, each on its own."""
    return (node.field,) if node.field else DEFAULT_FIELDS


def leaves(node: Node) -> Iterator[Leaf]:
    if isinstance(node, _LEAVES):
        yield node
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        for child in node.children:
            yield from leaves(child)


def matches_empty(node: Node) -> bool:
    """Whether the query is true for an item without any of its terms (every leaf false)."""
    if isinstance(node, _LEAVES):
        return False
    if isinstance(node, Not):
        return not matches_empty(node.child)
    if isinstance(node, And):
        return all(matches_empty(child) for child in node.children)
    return any(matches_empty(child) for child in node.children)


def to_nnf(node: Node, negate: bool = False) -> Node:
    """Push every NOT down to a leaf (De Morgan), dropping double negations."""
    if isinstance(node, Not):
        return to_nnf(node.child, not negate)
    if isinstance(node, _LEAVES):
        return Not(node, node.pos) if negate else node
    children = tuple(to_nnf(child, negate) for child in node.children)
    flip = negate != isinstance(node, Or)
    return Or(children) if flip else And(children)
