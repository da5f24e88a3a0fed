"""Wire datelines: the place a story was filed from, at the very start of the text.

    BAGHDAD (Reuters) - ...              Baghdad, Dec 20 (AFP) - ...
    KYIV, Ukraine — ...                  GAZA CITY, Gaza Strip (AP) — ...
    SAO PAULO, Brazil, Nov 3 (Reuters) - NEW DELHI: ...          WASHINGTON—President ...
    ABU DHABI, 19th September, 2026 (WAM) -- ...                MOSCOW, September 19. /TASS/. ...

A title-case place counts only with an agency, a date or a dash after a qualifier, so that an
ordinary first sentence ("Iraq, Syria and Iran - ...") is not mistaken for a dateline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH_NAME = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# "Dec 20", "Sept. 7", "19th September", with an optional year: ", 2026".
_MONTH = (
    rf"(?:{_MONTH_NAME}\s+\d{{1,2}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_NAME})(?:,\s*\d{{4}})?"
)
_WORD = r"[A-Z][\w.'’\-]*"
_NAME = rf"{_WORD}(?:\s+(?:{_WORD}|of|de|da|del|du|la|el|al|the)){{0,3}}"
# The dateline's end: a dash or colon followed by a space, within the first 100 characters
# (with the spaces before it, found by stepping back: see find_dateline).
_DASH = re.compile(r"(?P<dash>[-—–:]{1,2})\s")
# An all-capitals place with an em or en dash glued to the text: "WASHINGTON—President …".
_GLUED = re.compile(r"[A-Z][A-Z.'’ -]{2,30}?(?=[—–][A-Z\"“])")
# TASS writes its name between slashes after the date, with no dash: "MOSCOW, September 19. /TASS/."
_SLASHED = re.compile(r"\.?\s*/[A-Z]{2,8}/\.?\s")
_HEAD = re.compile(
    rf"""\s*(?P<place>{_NAME})
        (?:,\s*(?P<qual>(?!{_MONTH}){_NAME}))?
        (?:,?\s*(?P<date>{_MONTH}))?
        \s*(?P<agency>\([^()\n]{{1,40}}\))?""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Dateline:
    """Character spans of the dateline's place and of its qualifier (state or country), and
    where the story's own text starts."""

    place: tuple[int, int]
    qualifier: tuple[int, int] | None
    end: int


def find_dateline(text: str) -> Dateline | None:
    if not text[:1].isupper():
        return None
    found = _wire_dateline(text)
    if found is None and text[1:2].isupper():
        glued = _GLUED.match(text)
        if glued is not None:
            return Dateline(place=(0, len(glued.group().rstrip())), qualifier=None,
                            end=glued.end() + 1)  # fmt: skip
    return found


def _wire_dateline(text: str) -> Dateline | None:
    ends = [m for m in (_DASH.search(text, 0, 100), _SLASHED.search(text, 0, 100)) if m]
    if not ends:
        return None
    dash = min(ends, key=lambda m: m.start())
    # The head ends where the spaces before the dash start. Searching for the dash and stepping
    # back is several times faster than a regex trying `\s*` before a dash at every position.
    m = _HEAD.fullmatch(text, 0, len(text[: dash.start()].rstrip()))
    if m is None:
        return None
    place = m.group("place")
    # The place starts with a capital letter: all capitals needs no test that it has letters.
    if not (
        m.group("agency")
        or m.group("date")
        or place.upper() == place
        or (m.group("qual") is not None and dash.group().strip() != ":")
    ):
        return None
    qualifier = m.span("qual") if m.group("qual") else None
    return Dateline(place=m.span("place"), qualifier=qualifier, end=dash.end())
