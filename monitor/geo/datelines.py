"""Wire datelines: the place a story was filed from, at the very start of the text.

    BAGHDAD (Reuters) - ...              Baghdad, Dec 20 (AFP) - ...
    KYIV, Ukraine — ...                  GAZA CITY, Gaza Strip (AP) — ...
    SAO PAULO, Brazil, Nov 3 (Reuters) - NEW DELHI: ...

A title-case place counts only with an agency, a date or a dash after a qualifier, so that an
ordinary first sentence ("Iraq, Syria and Iran - ...") is not mistaken for a dateline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
_WORD = r"[A-Z][\w.'’\-]*"
_NAME = rf"{_WORD}(?:\s+(?:{_WORD}|of|de|da|del|du|la|el|al|the)){{0,3}}"
# The dateline's end: a dash or colon followed by a space, within the first 100 characters.
_END = re.compile(r"\s*(?P<dash>[-—–:]{1,2})\s")
_HEAD = re.compile(
    rf"""\s*(?P<place>{_NAME})
        (?:,\s*(?P<qual>(?!{_MONTH}){_NAME}))?
        (?:,?\s*(?P<date>{_MONTH}))?
        \s*(?P<agency>\([^()\n]{{1,40}}\))?""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Dateline:
    """Character spans of the dateline's place and of its qualifier (state or country)."""

    place: tuple[int, int]
    qualifier: tuple[int, int] | None


def find_dateline(text: str) -> Dateline | None:
    if not text[:1].isupper():
        return None
    end = _END.search(text, 0, 100)
    m = _HEAD.fullmatch(text, 0, end.start()) if end else None
    if end is None or m is None:
        return None
    place = m.group("place")
    has_support = bool(m.group("agency") or m.group("date"))
    shouting = place.upper() == place and any(ch.isalpha() for ch in place)
    with_qualifier = m.group("qual") is not None and end.group("dash") != ":"
    if not (has_support or shouting or with_qualifier):
        return None
    qualifier = m.span("qual") if m.group("qual") else None
    return Dateline(place=m.span("place"), qualifier=qualifier)
