"""Text folding shared by queries, items and place names.

`fold(text)` casefolds, folds accents and Latin letters to ASCII (`Zürich` → `zurich`,
`Łódź` → `lodz`, `ß` → `ss`) and turns every non-alphanumeric character into a space. Most
texts fold character for character, so offsets into the folded string are offsets into the
original; only when a character folds to zero or several characters (ß, ligatures, combining
marks) does `Folded` carry an explicit offset map back into the original.
"""

from __future__ import annotations

import bisect
import codecs
import re
import unicodedata
from dataclasses import dataclass

from monitor.rules.memo import memo

# Letters NFKD does not decompose into an ASCII base letter.
_SPECIAL_LETTERS: dict[str, str] = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
    "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t", "ĸ": "k", "ŋ": "n", "ƒ": "f", "ŀ": "l",
}  # fmt: skip
# Marks a character whose fold is not exactly one character; never produced otherwise because
# the NUL character itself folds to a separator.
_MARKER = "\x00"
_ASCII_TABLE: dict[int, str] = {
    c: (chr(c).lower() if chr(c).isalnum() else " ") for c in range(128)
}
_BYTES_TABLE = bytes(ord(_ASCII_TABLE[c]) for c in range(128)) + bytes(128)
_TOKEN = re.compile(r"[^ ]+")
# Separators common in news copy (curly quotes, dashes, ellipsis, non-breaking and thin spaces):
# replacing them one for one with a space first lets most texts take the pure-ASCII path.
_TYPOGRAPHIC = ("’", "‘", "“", "”", "—", "–", "…", "\xa0", "\u2009", "\u200b")


def fold_char(char: str) -> str:
    """The fold of one character: lower-case ASCII where possible, " " for separators,
    "" for combining marks; may be several characters (ß → ss)."""
    if char.isascii():
        return _ASCII_TABLE[ord(char)]
    if unicodedata.category(char) == "Mn":
        return ""
    lowered = char.casefold()
    out = []
    for part in lowered:
        part = _SPECIAL_LETTERS.get(part, part)
        for piece in unicodedata.normalize("NFKD", part):
            if unicodedata.category(piece) == "Mn":
                continue
            out.append(piece if piece.isalnum() else " ")
    return "".join(out) if out else " "


class _OneToOne(dict[int, str]):
    """str.translate table filled on demand: the fold when it is one character, else the
    marker (the slow path then handles the text)."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        value = folded if len(folded) == 1 else _MARKER
        self[code] = value
        return value


_ONE_TO_ONE = _OneToOne(_ASCII_TABLE)


@dataclass(frozen=True)
class Folded:
    """A folded text; `offsets[i]` is the original index of folded index i (one extra entry at
    the end for the original length), or None when folding kept every offset."""

    text: str
    offsets: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A [start, end) span of the folded text as a span of the original text."""
        if self.offsets is None:
            return start, end
        return self.offsets[start], self.offsets[end]

    def folded_index(self, original: int) -> int:
        """The folded offset of an original offset (of the first character folded from it)."""
        if self.offsets is None:
            return original
        return bisect.bisect_left(self.offsets, original)

    def token_starts(self) -> list[int]:
        return [m.start() for m in _TOKEN.finditer(self.text)]


class _NotAsciiFoldable(Exception):
    """Raised inside the codec error handler to leave the fast path."""


def _fold_encode_errors(exc: UnicodeError) -> tuple[str, int]:
    # The ascii encoder hands us each run of non-ASCII characters: fold it in place when the
    # fold is ASCII and keeps the length, so the rest of the text stays on the C fast path.
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    folded = exc.object[exc.start : exc.end].translate(_ONE_TO_ONE)
    if _MARKER in folded or not folded.isascii():
        raise _NotAsciiFoldable
    return folded, exc.end


codecs.register_error("monitor.rules.fold", _fold_encode_errors)


def fold(text: str) -> Folded:
    """Fold `text` once; words are the runs of non-space characters of `Folded.text`."""
    if text.isascii():
        return Folded(text.translate(_ASCII_TABLE))
    for typographic in _TYPOGRAPHIC:
        text = text.replace(typographic, " ")
    if text.isascii():
        return Folded(text.translate(_ASCII_TABLE))
    return _fold_non_ascii(text)


def _fold_non_ascii(text: str) -> Folded:
    try:
        data = text.encode("ascii", "monitor.rules.fold")
    except _NotAsciiFoldable:
        folded = text.translate(_ONE_TO_ONE)
        if _MARKER in folded:
            return _fold_with_offsets(text)
        return Folded(folded)
    return Folded(data.translate(_BYTES_TABLE).decode("ascii"))


def _fold_with_offsets(text: str) -> Folded:
    pieces: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        pieces.append(folded)
        offsets.extend([index] * len(folded))
    offsets.append(len(text))
    return Folded("".join(pieces), offsets)


@memo
def fold_words(text: str) -> tuple[str, ...]:
    """The words of `text` after folding (`C-RAM` → ("c", "ram"))."""
    return tuple(fold(text).text.split())


def fold_label(text: str) -> str:
    """Fold case and accents but keep punctuation, for showing a term as the analyst wrote it."""
    if text.isascii():
        return text.lower()
    return "".join(c if not c.isalnum() else fold_char(c) for c in text)
