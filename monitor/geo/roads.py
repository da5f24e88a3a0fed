"""British road numbers: "a crash on the A120", "the M25 was closed". Local British news names
its roads by number and often no town at all; no other country writes "the A417". Like an
institution (see `[actors]` in data/places.toml) a road places only an item that names no place.
Aircraft, rifles, chips, cars and armed groups share the pattern ("the A380 superjumbo", "the
M16 rifle", "the M23 rebels"): a road number followed by such a word does not count.
"""

from __future__ import annotations

import re

from monitor.types import Place

COUNTRY = "GB"
_ROAD = re.compile(
    r"\b[Tt]he (?P<road>[AM][1-9]\d{0,3})(?:\([MT]\))?(?![\w-])"
    r"(?! (?:aircraft|airliners?|airbus|jets?|planes?|superjumbos?|rifles?|carbines?|chips?|"
    r"processors?|tanks?|paper|sheets?|coupe|sedan|saloon|Competition|engines?|models?|"
    r"series|bus|buses|class|grade|format|size|rebels?|rebellion|militias?|fighters|movement|"
    r"group|forces)\b)"
)


def find_road(text: str, title: str) -> Place | None:
    """The first British road number in the title, else in the text."""
    for field, source in (("title", title), ("text", text)):
        if "he A" in source or "he M" in source:
            m = _ROAD.search(source)
            if m is not None:
                start, end = m.span("road")
                return Place(m.group("road"), COUNTRY, start, end, field, "road")
    return None
