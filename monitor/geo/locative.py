"""Is a name preceded by a preposition of place ("in Baghdad", "near the U.S. Embassy", "an attack
on Kyiv", "in the eastern region of Chad") or a direction ("south Beirut")?

Shared by the scoring (a place said to be where something happens weighs more) and the
disambiguation (a weak name such as "Nice" after a lower-case "in" is a place).
"""

from __future__ import annotations

import re

_PREPOSITIONS = frozenset("in at near outside inside across around into throughout within".split())
# The same in the other languages of our copy, only as written in lower case: "en Bolivia",
# "no Brasil", "dans le", "nella". "a" is left out: in English it is an article.
_FOREIGN = frozenset("en em no na nos nas dans au aux à nel nella nello negli nelle im".split())
# "región de Atacama", "provincia di Bergamo", "estado do Pará", "département du Nord".
_ADMIN_OF = re.compile(
    r"\b(regi[oó]n|regi[aã]o|r[ée]gion|regione|provin[cz]ia|prov[ií]ncia|province|estado|"
    r"[ée]tat|stato|departamento|d[ée]partement|dipartimento|comuna|commune|comune|municipio|"
    r"munic[ií]pio|distrito|ciudad|cidade|ville|citt[aà]|cant[oó]n|canton|comarca|"
    r"prefectura|pr[ée]fecture|prefettura) (?:de|di|do|da|du|del|della|des|dello) $",
    re.IGNORECASE,
)
_OF_WORDS = frozenset("de di do da du del della des dello".split())
# German nouns of place written right before the name: "Bundesland Bayern", "Provinz Sichuan".
_GERMAN_ADMIN = frozenset(
    "Provinz Region Bundesland Bundesstaat Landkreis Kanton Gemeinde Stadt Hauptstadt".split()
)
# "Pope visits Iraq", "Senior U.S. Military Official Visits Georgia": the visit's destination.
_VISITS = frozenset("visit visits visited visiting tour tours toured touring".split())
# Words allowed between the preposition and the name: "in the east of", "in northern Iraq".
_BETWEEN = frozenset(
    "the north south east west central northeast northwest southeast southwest northern "
    "southern eastern western northeastern northwestern southeastern southwestern".split()
)
_DIRECTIONS = _BETWEEN - {"the"}
# "an attack on Kyiv", "strikes on Gaza": the target of an attack is the scene.
_ATTACK_ON = re.compile(
    r"\b(?:attacks?|strikes?|airstrikes?|air strikes?|raids?|assaults?|offensive|bombardment|"
    r"shelling|barrage|offensive) (on) $",
    re.IGNORECASE,
)
# "in the eastern region of Chad", "in the city of Mosul", "near the outskirts of Kyiv".
_PART_OF = re.compile(
    r"\b(in|at|near|outside|inside|across|around|into|throughout|within) (?:the |an? )?"
    r"(?:[a-z-]+ ){0,2}(?:region|regions|part|parts|province|city|town|village|capital|north|"
    r"south|east|west|outskirts|centre|center|heart|suburbs|district|state|county|port) of $",
    re.IGNORECASE,
)
_LOCATIVE = re.compile(
    r"\b(in|at|near|outside|inside|across|around|into|throughout|within) (?:the )?"
    r"(?:(?:north|south|east|west|central|northeast|northwest|southeast|southwest)(?:ern)? )?$",
    re.IGNORECASE,
)


# "in a British hospital": only before a demonym and a place noun ("in a U.S. strike" is not).
_LOCATIVE_A = re.compile(
    r"\b(in|at|near|outside|inside|across|around|into|throughout|within) an? $", re.IGNORECASE
)


def preposition_before_article(text: str, start: int) -> str:
    """The preposition before "a"/"an" before `text[start:]`, as written, or ""."""
    m = _LOCATIVE_A.search(text, max(0, start - 16), start)
    return m.group(1) if m else ""


def preposition_before(text: str, start: int) -> str:
    """The preposition of place before `text[start:]`, as written, or ""."""
    # The common cases without a regex: no word before, or a word that is plainly not a
    # preposition, direction or article.
    if start < 3 or text[start - 1] != " ":
        return ""
    space = text.rfind(" ", max(0, start - 16), start - 1)
    word = text[space + 1 : start - 1]
    lowered = word.lower()
    if lowered in _PREPOSITIONS or lowered in _VISITS or word in _FOREIGN:
        return word
    if word in _OF_WORDS:
        m = _ADMIN_OF.search(text, max(0, start - 20), start)
        return m.group(1).lower() if m else ""
    if word in _GERMAN_ADMIN:
        return word.lower()
    if lowered == "on":
        m = _ATTACK_ON.search(text, max(0, start - 40), start)
        return m.group(1) if m else ""
    if lowered == "of":
        m = _PART_OF.search(text, max(0, start - 50), start)
        return m.group(1) if m else ""
    if lowered in _DIRECTIONS and word.islower():
        return word  # "south Beirut", "northern Gaza": geography, not an actor
    if lowered not in _BETWEEN:
        return ""
    m = _LOCATIVE.search(text, max(0, start - 30), start)
    return m.group(1) if m else ""
