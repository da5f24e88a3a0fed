"""An item's story fingerprint: title + lead (+ the geo tagger's tags) → what assignment compares
(pure). The steps are documented in `monitor.stories` and bench/stories.md."""

from __future__ import annotations

from functools import lru_cache

from monitor import stories_minhash as mh
from monitor.stories_model import DEFAULT_MODEL, LEAD_WORDS, Fingerprint, StoryModel
from monitor.stories_text import (
    Names,
    PlaceNames,
    Words,
    is_generic_name,
    is_number,
    names,
    numbers,
    place_names,
    span_of,
    strip_boilerplate,
    tokens,
)
from monitor.types import GeoTags


def fingerprint(
    title: str,
    summary: str,
    model: StoryModel = DEFAULT_MODEL,
    *,
    geo: GeoTags | None = None,
) -> Fingerprint:
    """Normalise title + lead, then compute MinHash, band keys, terms, key terms and numbers.
    `geo`: the geo tagger's result for this title and summary. Its places inside the cleaned
    title and lead count as names however they are capitalised; its countries widen which
    primary countries are compatible (see `assign`)."""
    places = geo.places if geo is not None and model.use_places else ()
    clean_title = strip_boilerplate(title)
    clean_summary = strip_boilerplate(summary)
    title_words = Words.of(clean_title.text)
    lead_words = Words.of(" ".join(clean_summary.text.split()[:LEAD_WORDS]))
    title_toks = title_words.tokens()
    toks = title_toks + lead_words.tokens()
    sig = mh.signature(mh.shingles(toks, model.shingle_size), model.num_bins)
    located = PlaceNames([], [], [])
    if places:
        located = place_names(
            places,
            (title, span_of(title, clean_title.text)),
            (summary, span_of(summary, clean_summary.text, LEAD_WORDS)),
        )
    found = _with_places(names(title_words, lead_words), located)
    key_terms = list(dict.fromkeys(found.strong + found.weak + tuple(title_toks)))
    specific = [n for n in found.strong if not is_generic_name(n)]
    weak = [n for n in found.weak if not is_generic_name(n)]
    keys = (
        mh.band_keys(sig, model.band_rows, model.bands)
        + mh.term_keys(key_terms, model.term_key_limit)
        + mh.name_keys(specific[: model.name_key_limit])
        + mh.name_keys(weak[: model.weak_key_limit])
        + mh.name_keys(found.initials[: model.initials_key_limit])
        + _country_keys(geo, title_toks, model)
    )
    return Fingerprint(
        title=clean_title.text,
        signature=sig,
        band_keys=tuple(dict.fromkeys(keys)),
        terms=content_terms(toks, model),
        specific_names=frozenset(specific),
        numbers=numbers(toks),
        lead_length=len(clean_summary.text),
        update_marker=clean_title.marked or clean_summary.marked,
        weak_names=frozenset(weak),
        countries=frozenset(geo.countries if geo is not None and model.use_countries else ()),
        places=frozenset(located.cities),
        regions=frozenset(located.regions),
        initials=frozenset(found.initials),
        place_names=frozenset(located.names),
    )


def content_terms(toks: list[str], model: StoryModel = DEFAULT_MODEL) -> frozenset[str]:
    """The tokens compared by the same-event rule, cut to their first `term_prefix` letters, so
    that inflections and cognates meet: "president" / "presidential" / "presidente", "military"
    / "militaire" / "militar", "investigation" / "investigators" / "investigacion". Numbers are
    facts, compared on their own (`numbers`)."""
    return frozenset(t[: model.term_prefix] for t in toks if not is_number(t))


@lru_cache(maxsize=4096)
def headline_terms(title: str, model: StoryModel = DEFAULT_MODEL) -> frozenset[str]:
    """The content terms of a cleaned title (`Fingerprint.title`, `StoryCandidate.title`), as
    `content_terms` makes them. Cached: a story's title is compared with every item it meets."""
    return content_terms(tokens(title), model)


def _with_places(found: Names, located: PlaceNames) -> Names:
    """The gazetteer's places are strong names, wherever they stand."""
    if not located.names:
        return found
    return Names(
        strong=tuple(dict.fromkeys(found.strong + tuple(located.names))),
        weak=tuple(n for n in found.weak if n not in located.names),
        initials=found.initials,
    )


def _country_keys(geo: GeoTags | None, title_tokens: list[str], model: StoryModel) -> list[str]:
    """Keys of (country, headline term): where it happens first, then the most named."""
    if geo is None:
        return []
    terms = [t for t in dict.fromkeys(title_tokens) if not is_number(t)]
    return mh.country_keys(
        geo.countries[: model.country_key_countries], terms[: model.country_key_terms]
    )
