"""A word or a phrase as written in a query → our `Word`s and the term's label.

A word or a phrase means the same wherever it is written, and rules share most of theirs, so
each distinct text is converted once (memoised). Problems are raised as `TermProblem` with the
offset in the text; the parser adds the position of the text in the query.
"""

from __future__ import annotations

import re

from monitor.rules.ast import MIN_PREFIX, Word
from monitor.rules.memo import memo
from monitor.rules.text import fold_label, fold_words

NEAR = re.compile(r"NEAR(?:/(.*))?")
_CHUNK = re.compile(r"\S+")


class TermProblem(Exception):
    """A bad word or phrase: the message, and where in the word or phrase the problem is."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


@memo
def word_terms(text: str) -> tuple[tuple[Word, ...], str]:
    """An unquoted query word (as luqum lexed it): its Words and its label."""
    if NEAR.fullmatch(text):
        raise TermProblem(f"{text} needs a word on each side", 0)
    if text == "*":
        raise TermProblem("a bare * would match everything", 0)
    if text.startswith("*"):
        raise TermProblem("leading wildcards are not supported", 0)
    core, prefix = _wildcard(text)
    words = fold_words(core)
    if not words:
        raise TermProblem(f"{text} has no letters or digits", 0)
    if prefix and len(words[-1]) < MIN_PREFIX:
        raise TermProblem(f"prefix {text} is shorter than {MIN_PREFIX} characters", 0)
    return _words((words, prefix)), fold_label(text)


# A phrase's words with the offset of each in its text, all its words, and its label.
Phrase = tuple[tuple[tuple[Word, int], ...], tuple[Word, ...], str]


@memo
def phrase_terms(inner: str) -> Phrase:
    """The phrase whose text (between the quotes) is `inner`."""
    found: list[tuple[Word, int]] = []
    for m in _CHUNK.finditer(inner):
        chunk, offset = m.group(), m.start()
        if chunk.startswith("*"):
            raise TermProblem("leading wildcards are not supported", offset)
        try:
            core, prefix = _wildcard(chunk)
        except TermProblem as e:
            raise TermProblem(e.message, offset + e.offset) from None
        words = fold_words(core)
        if not words:
            continue
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise TermProblem(f"prefix {chunk} is shorter than {MIN_PREFIX} characters", offset)
        found.extend((word, offset) for word in _words((words, prefix)))
    if not found:
        raise TermProblem("empty phrase", -1)
    return tuple(found), tuple(word for word, _ in found), fold_label(f'"{inner}"')


def _wildcard(text: str) -> tuple[str, bool]:
    """Unescape `text`; return it without a trailing unescaped `*`, and whether it had one."""
    if "\\" not in text and "?" not in text and "*" not in text[:-1]:
        return (text[:-1], True) if text.endswith("*") else (text, False)
    out: list[str] = []
    escaped = prefix = False
    for index, char in enumerate(text):
        if escaped or char != "\\":
            prefix = not escaped and char == "*"
            if char == "?" and not escaped:
                raise TermProblem("? wildcards are not supported; use a prefix*", index)
            if prefix and index != len(text) - 1:
                raise TermProblem("* is only allowed at the end of a word", index)
            out.append(char)
        escaped = not escaped and char == "\\"
    core = "".join(out)
    return (core[:-1], True) if prefix else (core, False)


@memo
def _words(key: tuple[tuple[str, ...], bool]) -> tuple[Word, ...]:
    """Words are shared between rules: 10,000 rules use a few thousand distinct words."""
    words, prefix = key
    return tuple(Word(w) for w in words[:-1]) + (Word(words[-1], prefix),)
