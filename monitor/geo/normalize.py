"""Length-preserving text folding for place matching.

Every character maps to exactly one character, so offsets found in the folded text are offsets
in the original: letters are lower-cased and stripped of accents, everything that is not a
letter or digit becomes a space. The folded text is padded with one space on each side so that
patterns (which start with a space) only match at word starts.
"""

from __future__ import annotations

import re
import unicodedata

# Letters whose decomposition has no ASCII base ("ł", "ø") or more than one character ("ß").
_SPECIAL: dict[str, str] = {
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ß": "s", "æ": "a", "Æ": "a",
    "œ": "o", "Œ": "o", "ı": "i", "İ": "i", "þ": "t", "Þ": "t", "ð": "d", "Ð": "d", "ħ": "h",
}


def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if not ch.isalnum():
        return " "
    base = unicodedata.normalize("NFKD", ch)[0].lower()
    return base if len(base) == 1 and base.isalnum() else ch


def _ascii_table() -> bytes:
    return bytes(
        c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122) else 32
        for c in range(256)
    )


_ASCII = _ascii_table()
# Latin-1 through Latin Extended-B, General Punctuation and a few common symbols.
_UNICODE: dict[int, str] = {
    cp: _fold_char(chr(cp))
    for cp in [*range(0x80, 0x250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)]
}
_UNICODE.update({cp: _ASCII_CH for cp, _ASCII_CH in ((c, chr(_ASCII[c])) for c in range(128))})


# The same table keyed by character, for folding the few non-ASCII characters of an item.
_BY_CHAR: dict[str, str] = {chr(cp): folded for cp, folded in _UNICODE.items() if cp >= 128}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_match(m: re.Match[str]) -> str:
    ch = m.group()
    return _BY_CHAR.get(ch, ch)


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-as-space copy of `text`, same length."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII).decode("ascii")
    # `str.translate` with a dict costs ≈ 0.2 µs a character, and one curly quote puts a whole
    # item on that path. Folding only the non-ASCII characters first (each to its final form,
    # which the ASCII table leaves as it is) keeps Latin-script text on the bytes path.
    partly = _NON_ASCII.sub(_fold_match, text)
    if partly.isascii():
        return partly.encode("ascii").translate(_ASCII).decode("ascii")
    return text.translate(_UNICODE)  # letters of other scripts ("ŋ", Cyrillic) stay as they are


def padded(text: str) -> str:
    """`fold(text)` with a space on each side: index i in the original is i + 1 here."""
    return " " + fold(text) + " "


def pattern_key(name: str) -> str:
    """The automaton pattern for a place name: leading space, folded, no trailing space."""
    return " " + fold(name).strip()
