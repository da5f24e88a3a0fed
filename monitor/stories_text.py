"""Text side of story fingerprints: wire boilerplate, folding, tokens, names and numbers (pure).

    raw title / summary
      └► strip_boilerplate   "UPDATE 2-", "BREAKING:", "BAGHDAD, Nov 3 (Reuters) -" → markers
          └► Words.of        words as written, with offsets (one regex pass)
              └► tokens      per word, cached: folded, number words → digits, stop words
                             dropped, plural "s" stripped
    names   = capitalised words: strong (mid-sentence) or weak (capital explained by position)
    is_generic_name: countries, demonyms, institutions — names that identify no single event
    numbers = digit tokens that are not years
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from monitor.geo.datelines import find_dateline
from monitor.stories_concepts import cognate, concept
from monitor.types import Place

_MARKER = re.compile(
    r"^\s*(?:(?P<update>UPDATE(?:D)?(?:\s*\d+)?|WRAPUP(?:\s*\d+)?|LEAD(?:\s*\d+)?)"
    r"|(?P<breaking>BREAKING(?:\s+NEWS)?|URGENT|FLASH|NEWSALERT)"
    r"|(?P<other>REFILE|CORRECTED|EXCLUSIVE|ANALYSIS|FACTBOX|RPT|WATCH|LIVE|VIDEO))"
    r"\s*(?:[:\-\u2013\u2014|]+\s*|\s+(?=[A-Z\d]))",
)
_AGENCY_TAIL = re.compile(r"\s*[-\u2013\u2014|]\s*(?:Reuters|AFP|AP|Al Jazeera|BBC News|dpa)\s*$")
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_NON_WORD = re.compile(r"[\W_]+")
_SCALED = re.compile(r"(\d+)(k|m|mn|b|bn)")
_ZEROS = {"k": "000", "m": "000000", "mn": "000000", "b": "000000000", "bn": "000000000"}
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_SPACE_RUN = re.compile(r"\S+")
_WORD = re.compile(
    r"\d+[.,]\d{1,2}(?![\d]|[.,]\d)|\d{1,3}(?:,\d{3})+(?!\d)|[^\W_]+(?:['\u2019][^\W_]+)?"
)
# A decimal as written in English or on the Continent: "4.25", "4,25", "2,0".
_DECIMAL = re.compile(r"(\d+)[.,](\d{1,2})")

_LATIN = str.maketrans(
    {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "đ": "d", "Đ": "d",
     "ı": "i", "œ": "oe", "Œ": "oe", "þ": "th", "ð": "d", "ħ": "h"},
)

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our out over own same she should so some
    such than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your s t
    said says say told tell according reported reports report news agency statement statements
    late early earlier later near amid after new us overnight local official officials source
    sources least least people monday tuesday wednesday thursday friday saturday sunday today
    yesterday tonight week weekend day days january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    update updated breaking reuters afp ap dpa
    le la les de des du un une et en au aux pour par sur dans est sont avec ce cette qui que
    pas plus ont été son sa ses leur leurs il elle ils elles apres selon lors
    el los las del y por para con una que se al lo como su sus fue han ha tras segun sobre
    der die das und von zu mit den dem ein eine im ist nach bei auf aus
    o os as do da dos das em com um uma para pelo pela
    ne se ou mais nous vous ete etre contre sans sous vers chez tout toute tous toutes
    moins aussi encore dont ou
    es esta estan contra desde hasta durante menos muy tambien estos otro otra
    ya dijo
    nicht sich auch als wie noch wird wurde wurden sind haben durch gegen seit mindestens
    einem einen einer eines zum zur vom um unter sowie laut sagte
    no na nos nas ao aos pelos pelas foi ser menos sem apos disse
    enero febrero marzo abril junio agosto septiembre setiembre octubre noviembre diciembre
    janvier fevrier avril mai juin juillet aout septembre octobre novembre decembre
    januar februar marz juni juli oktober dezember janeiro fevereiro maio junho julho
    setembro outubro novembro dezembro gennaio febbraio aprile maggio giugno luglio settembre
    ottobre dicembre lunes martes miercoles jueves viernes sabado lundi mardi mercredi jeudi
    vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag
    lunedi martedi mercoledi giovedi venerdi sabato domenica""".split()
)
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "hundred": "100", "dozen": "12",
    # French, Spanish, German, Portuguese (not those that are also words: "neuf", "sept", "once")
    "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "huit": "8", "dix": "10",
    "douze": "12", "vingt": "20", "trente": "30",
    "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7", "ocho": "8",
    "nueve": "9", "diez": "10", "doce": "12", "veinte": "20", "treinta": "30",
    "zwei": "2", "drei": "3", "vier": "4", "funf": "5", "sechs": "6", "sieben": "7", "acht": "8",
    "neun": "9", "zehn": "10", "zwolf": "12", "zwanzig": "20", "dreissig": "30",
    "quatro": "4", "sete": "7", "oito": "8", "nove": "9", "dez": "10", "doze": "12",
    "vinte": "20", "trinta": "30",
}
# Capitalised words that are not names: headline verbs and sentence fillers seen capitalised.
_NOT_NAMES = STOP_WORDS | {"mr", "mrs", "ms", "dr", "sen", "gen", "col", "lt", "st", "president"}


@dataclass(frozen=True)
class CleanText:
    """A title or lead with wire boilerplate removed, and the markers that were found."""

    text: str
    update_marker: bool
    breaking_marker: bool

    @property
    def marked(self) -> bool:
        return self.update_marker or self.breaking_marker


def strip_boilerplate(text: str) -> CleanText:
    """Drop leading wire markers and the dateline ("UPDATE 2-", "BAGHDAD (Reuters) -": read by
    the geotagger's `find_dateline`, so both see the same datelines) and an agency tail."""
    update = breaking = False
    while (m := _MARKER.match(text)) is not None:
        update = update or m.group("update") is not None
        breaking = breaking or m.group("breaking") is not None
        text = text[m.end():]
    text = text.lstrip()
    if (dateline := find_dateline(text)) is not None:
        text = text[dateline.end :]
    return CleanText(_AGENCY_TAIL.sub("", text, count=1).strip(), update, breaking)


def fold(text: str) -> str:
    """Casefold, fold accents and Latin letters to ASCII, punctuation → single spaces."""
    text = _THOUSANDS.sub("", text).casefold()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.translate(_LATIN)))
    return _NON_WORD.sub(" ", text).strip()


def stem(token: str) -> str:
    """A light plural stemmer: rockets → rocket, casualties → casualty, buses → bus."""
    if len(token) <= 3 or not token.endswith("s") or token.endswith("ss"):
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ses", "xes", "ches", "shes")):
        return token[:-2]
    return token[:-1]


@lru_cache(maxsize=1 << 16)
def word_tokens(word: str) -> tuple[str, ...]:
    """The content tokens of one word as written: folded, number words → digits, stop words
    dropped, plural stripped ("Baghdad's" → ("baghdad",), "10,000" → ("10000",)). Cached: news
    vocabulary repeats, so this is one dictionary lookup per word in the steady state."""
    if (decimal := _DECIMAL.fullmatch(word)) is not None:
        whole, fraction = decimal.group(1), decimal.group(2).rstrip("0")
        return (f"{whole}.{fraction}" if fraction else whole,)
    out: list[str] = []
    for part in fold(word).split():
        part = NUMBER_WORDS.get(part, part)
        if part[:1].isdigit() and (scaled := _SCALED.fullmatch(part)) is not None:
            part = scaled.group(1) + _ZEROS[scaled.group(2)]  # "150k" → "150000"
        if part in STOP_WORDS or (len(part) < 2 and not part.isdigit()):
            continue
        out.append(part if part.isdigit() else concept(cognate(stem(part))))
    return tuple(out)


@dataclass(frozen=True)
class Words:
    """A text and its words as written, with their offsets."""

    text: str
    words: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(text, tuple((m.group(), m.start()) for m in _WORD.finditer(text)))

    def tokens(self) -> list[str]:
        return [t for word, _ in self.words for t in word_tokens(word)]


def tokens(text: str) -> list[str]:
    """The content tokens of a text (see `word_tokens`)."""
    return Words.of(text).tokens()


def is_number(token: str) -> bool:
    """A number token: digits, or a decimal ("4.25": `word_tokens` writes both forms so)."""
    return token.replace(".", "", 1).isdigit()


def numbers(toks: list[str]) -> frozenset[str]:
    """Number tokens except years (1900–2100): the facts an update changes."""
    return frozenset(t for t in toks if is_number(t) and not _is_year(t))


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2100


def _is_title_case(words: tuple[tuple[str, int], ...]) -> bool:
    long_words = [w for w, _ in words if len(w) > 3]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words)


@dataclass(frozen=True)
class Names:
    """Capitalised words, folded and stemmed, in order. `strong`: nothing else explains the
    capital (mid-sentence, in a sentence-case headline). `weak`: the capital is explained (sentence
    start, Title-Case headline) but the word never appears in lower case in the same text."""

    strong: tuple[str, ...]
    weak: tuple[str, ...]
    initials: tuple[str, ...] = ()  # of multi-word names, to meet acronyms ("rbi")


def names(title: Words, lead: Words) -> Names:
    """The names in a title and its lead."""
    lowered = {w.casefold() for w, _ in title.words + lead.words if w[0].islower()}
    strong: list[str] = []
    weak: list[str] = []
    for text, headline in ((title, True), (lead, False)):
        title_case = headline and _is_title_case(text.words)
        for word, start in text.words:
            if not word[0].isupper():
                continue
            before = text.text[max(0, start - 3) : start].rstrip()
            explained = title_case or not before or before[-1] in ".!?:;\"'\u201c"
            if explained and not word.isupper():
                if word.casefold() in lowered:
                    continue
                _add_name(word, weak)
            else:
                _add_name(word, strong)
    initials: list[str] = []
    for text in (title, lead):
        for letters in _initialisms(text):
            _append(initials, letters)
    return Names(tuple(strong), tuple(n for n in weak if n not in strong), tuple(initials))


_CONNECTORS = frozenset({"of", "for", "and", "the", "de", "du", "des", "la", "le", "del"})


def _initialisms(text: Words) -> list[str]:
    """The initials of runs of 2–6 capitalised words ("Reserve Bank of India" → "rbi",
    "UK Maritime Trade Operations" → "ukmto"), so that a name meets its acronym."""
    found: list[str] = []
    run: list[str] = []
    end = -1
    for word, start in (*text.words, ("", 1 << 30)):
        joined = start <= end + 1 or text.text[end:start].strip() == ""
        if word[:1].isupper() and joined:
            run.append(word)
        elif word.casefold() in _CONNECTORS and run and joined:
            pass
        else:
            # Every tail of the run: its first word may only be capitalised by its position
            # ("The", "Paramilitary Rapid Support Forces").
            for first in range(max(0, len(run) - 6), len(run) - 1):
                letters = "".join(w if w.isupper() else w[0] for w in run[first:]).casefold()
                if len(letters) >= 3 and letters not in found:
                    found.append(letters)
            run = [word] if word[:1].isupper() else []
        end = start + len(word)
    return found


def span_of(raw: str, clean: str, max_words: int | None = None) -> tuple[int, int]:
    """Where `clean` (a stripped copy of `raw`), cut to its first `max_words` words, lies in
    `raw`: (start, end) offsets, or (0, 0) when it is empty or not found."""
    start = raw.find(clean) if clean else -1
    if start < 0:
        return (0, 0)
    end = len(clean)
    if max_words is not None:
        for count, match in enumerate(_SPACE_RUN.finditer(clean), start=1):
            if count == max_words:
                end = match.end()
                break
    return (start, start + end)


@dataclass(frozen=True)
class PlaceNames:
    """The gazetteer's places inside a cleaned title and lead, as names."""

    names: list[str]  # each word as written, folded, and each place's name as one string
    cities: list[str]  # the names of cities, one string each ("el obeid")
    regions: list[str]  # of states, provinces and other first-level divisions


def place_names(
    places: Sequence[Place], title: tuple[str, tuple[int, int]], lead: tuple[str, tuple[int, int]]
) -> PlaceNames:
    """Names of the gazetteer's places found inside the cleaned title and lead (datelines and
    text past the lead do not count): each word as written, folded, plus the place's name as
    one string ("al hillah"); spellings of one city meet ("Kiev", "Kyiv"). Countries and other
    generic names are left out."""
    out = PlaceNames([], [], [])
    for place in places:
        if place.kind == "actor":
            continue  # an institution or a leader: a name like any other, not a place
        raw, (start, end) = title if place.field == "title" else lead
        if not start <= place.start < place.end <= end:
            continue
        words = [w for w, _ in Words.of(raw[place.start : place.end]).words]
        whole = " ".join(tokens(place.name))
        if all(is_generic_name(t) for t in whole.split()):
            continue
        level = _LEVELS.get(place.kind)
        if level is not None and whole:
            _append(getattr(out, level), whole)
        here = [t for w in words for t in word_tokens(w) if not is_generic_name(t)]
        for name in [*here, whole]:
            if name and name not in _NOT_NAMES and not name.isdigit():
                _append(out.names, name)
    return out


# Which places can tell two events apart by level; curated places (regions, districts,
# landmarks) and places of unknown kind do not.
_LEVELS = {"city": "cities", "admin1": "regions", "abbreviation": "regions"}


def _append(into: list[str], name: str) -> None:
    if name not in into:
        into.append(name)


def _add_name(word: str, into: list[str]) -> None:
    for part in word_tokens(word):
        if part not in _NOT_NAMES and not part.isdigit() and part not in into:
            into.append(part)


# Capitalised words that name no particular place or actor: countries and their adjectives come
# from pycountry; these are the rest (regions, institutions, irregular demonyms).
_GENERIC_NAMES = frozenset(
    """america american us usa uk britain british english french spanish turkish dutch swiss greek
    welsh irish polish swedish danish finnish norwegian german afghan saudi emirati filipino
    thai somali congolese lebanese argentine peruvian belgian arab arabic european africa
    african asia asian middle east west western eastern northern southern central north south
    gulf ministry government army police president prime minister state province city national
    international court council party forces force region media agency security defence
    defense health interior foreign military authority authorities department office capital
    republic kingdom united nations un eu union people university hospital airport league cup
    champion championship world premier series tournament final open grand prix
    russia syria vietnam laos turkey iran korea britain england scotland wales holland burma
    czech macedonia palestine ivory coast cape verde timor bolivia brasil mexique espana
    administration head regional emergency service services committee commission federal bank
    reserve monetary policy general staff chief command armed navy air guard coast ministry
    secretary spokesman spokeswoman spokesperson governor mayor parliament senate congress
    center centre institute network organization organisation association foundation
    corporation group company inc ltd news press times post daily tv radio channel online
    journal operation operations trade maritime disaster management relief red cross crescent
    doctor medical public municipal district county metropolitan federation democratic popular
    liberation front movement alliance coalition opposition rebel militia troop special unit
    brigade division battalion corps revolutionary islamic al el le la de du des lo los las
    del di da das dos von der van sea ocean strait bay river lake""".split()
)
# Actors in the news every day: sharing one of them says as little as sharing "Gaza".
HUB_NAMES = frozenset(
    """hamas hezbollah houthi houthis idf netanyahu trump biden putin zelensky zelenskiy
    zelenskyy taliban isis nato kremlin pentagon xi modi erdogan khamenei rsf
    wagner tass xinhua irna sana wam kcna ukrinform reuters ap afp bbc cnn un unicef who
    opec imf fed ecb""".split()
)
_DEMONYM_ENDINGS = ("n", "an", "ian", "ean", "i", "ese", "ish")


@lru_cache(maxsize=1)
def _country_words() -> tuple[frozenset[str], frozenset[str]]:
    words: set[str] = set()
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None)):
            if name:
                words.update(tokens(name))
    stems = {w[:-1] if len(w) > 4 and w[-1] in "aeiouy" else w for w in words}
    return frozenset(words), frozenset(s for s in stems if len(s) >= 4)


def is_generic_name(name: str) -> bool:
    """A country, a demonym ("iraqi", "ukrainian"), or an institution: not a specific place."""
    words, stems = _country_words()
    if name in words or name in _GENERIC_NAMES:
        return True
    return any(name[: -len(end)] in stems for end in _DEMONYM_ENDINGS if name.endswith(end))
