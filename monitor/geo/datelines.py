"""Wire datelines: the place a story was filed from, at the very start of the text.

    BAGHDAD (Reuters) - ...              Baghdad, Dec 20 (AFP) - ...
    KYIV, Ukraine — ...                  GAZA CITY, Gaza Strip (AP) — ...
    SAO PAULO, Brazil, Nov 3 (Reuters) - NEW DELHI: ...          WASHINGTON—President ...

A title-case place counts only with an agency, a date or a dash after a qualifier, so that an
ordinary first sentence ("Iraq, Syria and Iran - ...") is not mistaken for a dateline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
_WORD = r"[A-Z][\w.'’\-]*"
_NAME = rf"{_WORD}(?:\s+(?:{_WORD}|of|de|da|del|du|la|el|al|the)){{0,3}}"
# The dateline's end: a dash or colon followed by a space, within the first 100 characters
# (with the spaces before it, found by stepping back: see find_dateline).
# An em or en dash may also be glued to the text after an all-capitals place:
# "WASHINGTON—President …" (checked below).
_DASH = re.compile(r"(?P<dash>[-—–:]{1,2})\s|(?P<glued>[—–])(?=[A-Z\"“])")
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
    dash = _DASH.search(text, 0, 100)
    if dash is None:
        return None
    # The head ends where the spaces before the dash start. Searching for the dash and stepping
    # back is several times faster than a regex trying `\s*` before a dash at every position.
    m = _HEAD.fullmatch(text, 0, len(text[: dash.start()].rstrip()))
    if m is None:
        return None
    place = m.group("place")
    if dash.group("glued") and place.upper() != place:
        return None
    # The place starts with a capital letter: all capitals needs no test that it has letters.
    if not (
        m.group("agency")
        or m.group("date")
        or place.upper() == place
        or (m.group("qual") is not None and dash.group("dash") not in (":", None))
    ):
        return None
    qualifier = m.span("qual") if m.group("qual") else None
    return Dateline(place=m.span("place"), qualifier=qualifier)
