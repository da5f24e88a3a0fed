"""Geotagger benchmark: quality on the labelled set, tagging speed, load time, memory.

    .venv/bin/python bench/geo_bench.py            # summary
    .venv/bin/python bench/geo_bench.py --misses   # also list the items it gets wrong

Speed is measured over the labelled items repeated; load is timed cold (building the cache in
a fresh temporary folder) and warm (from that cache), each in this process.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ahocorasick_rs  # noqa: E402

from monitor.geo import Tagger, load_tagger  # noqa: E402
from monitor.geo.datelines import find_dateline  # noqa: E402
from monitor.geo.evaluate import evaluate, read_labelled  # noqa: E402
from monitor.geo.gazetteer import COUNTRY, DEMONYM, Gazetteer, load_gazetteer  # noqa: E402
from monitor.geo.normalize import padded  # noqa: E402
from monitor.types import GeoTags, Place  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "geo_labelled.jsonl"
# Labelled by another engineer for story grouping; its `primary` is a held-out check.
STORIES = ROOT / "tests" / "data" / "stories_labelled.jsonl"
_CHUNK = 10  # items per timed chunk in the speed test


def _strip_dateline(text: str) -> str:
    """The text without its dateline, as many feed summaries come."""
    if find_dateline(text) is None:
        return text
    head = re.match(r"[^-—–:]*?[-—–:]{1,2}\s", text)
    return text[head.end() :] if head else text


def _timed_load(cache_dir: Path) -> float:
    """Seconds to a usable Tagger from `cache_dir` (load_tagger's in-memory sharing bypassed)."""
    started = time.perf_counter()
    Tagger(load_gazetteer(cache_dir))
    return time.perf_counter() - started


class NamesOnly:
    """The baseline the issue quotes: country names and demonyms, primary = most mentioned."""

    def __init__(self, gaz: Gazetteer) -> None:
        table = {
            key: next(c.country for c in cands if c.kind in (COUNTRY, DEMONYM))
            for key, cands in gaz.lookup().items()
            if any(c.kind in (COUNTRY, DEMONYM) for c in cands)
        }
        self.keys = list(table)
        self.countries = [table[k] for k in self.keys]
        self.automaton = ahocorasick_rs.AhoCorasick(
            self.keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )

    def tag(self, text: str, title: str = "") -> GeoTags:
        counts: dict[str, int] = {}
        places = []
        for field, value in (("title", title), ("text", text)):
            norm = padded(value)
            for index, start, end in self.automaton.find_matches_as_indexes(norm):
                if not norm[end].isalnum() and value[start].isupper():
                    country = self.countries[index]
                    counts[country] = counts.get(country, 0) + 1
                    places.append(Place(value[start : end - 1], country, start, end - 1, field))
        ranked = tuple(sorted(counts, key=lambda c: -counts[c]))
        return GeoTags(ranked, ranked[0] if ranked else None, tuple(places))


def _speed(tagger: Tagger, pairs: list[tuple[str, str]], rounds: int) -> tuple[float, float]:
    """CPU seconds for one pass over `pairs`: the bare fold + Aho-Corasick pass (two folds and
    two automaton runs per item, as first measured) and full tagging. The items go in chunks
    of ~10; each chunk's time is its best of `rounds`, bare and tagged taken in turn. On a
    shared 2-core machine a 20 ms pass is almost never left alone, a 1 ms chunk often is."""
    automaton = tagger._automaton  # the bare Aho-Corasick pass, as a same-process yardstick
    chunks = [pairs[i : i + _CHUNK] for i in range(0, len(pairs), _CHUNK)]
    bare = [float("inf")] * len(chunks)
    tagged = [float("inf")] * len(chunks)
    clock = time.process_time
    for _ in range(rounds):
        for n, chunk in enumerate(chunks):
            started = clock()
            for text, title in chunk:
                automaton.find_matches_as_indexes(padded(text))
                automaton.find_matches_as_indexes(padded(title))
            bare[n] = min(bare[n], clock() - started)
            started = clock()
            for text, title in chunk:
                tagger.tag(text, title)
            tagged[n] = min(tagged[n], clock() - started)
    return sum(bare), sum(tagged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list mis-tagged items")
    parser.add_argument("--rounds", type=int, default=30, help="passes over the set for speed")
    args = parser.parse_args()
    items = read_labelled(LABELLED)
    with tempfile.TemporaryDirectory() as tmp:
        cold = _timed_load(Path(tmp))
        warm = min(_timed_load(Path(tmp)) for _ in range(3))
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tagger = load_tagger(cache_dir=Path(tmp))
    scores = evaluate(tagger, items)
    base = evaluate(NamesOnly(load_gazetteer()), items)
    undated = [{**item, "text": _strip_dateline(item["text"])} for item in items]
    no_dateline = evaluate(tagger, undated)
    text_only = evaluate(tagger, [{**item, "title": ""} for item in undated])
    pairs = [(item["text"], item.get("title", "")) for item in items]
    bare, elapsed = _speed(tagger, pairs, args.rounds)
    chars = sum(len(t) + len(h) for t, h in pairs) / len(pairs)
    print(f"items            {scores.items} (mean {chars:.0f} chars title+text)")
    print(f"countries        P {scores.precision:.3f}  R {scores.recall:.3f}  F1 {scores.f1:.3f}")
    print(f"primary accuracy {scores.primary_accuracy:.3f}")
    print(f"baseline         names + demonyms only: F1 {base.f1:.3f}, "
          f"primary {base.primary_accuracy:.3f}")
    if STORIES.is_file():
        rows = [r for r in read_labelled(STORIES) if "primary" in r]
        held = [{"text": r["summary"], "title": r["title"], "primary": r["primary"],
                 "countries": []} for r in rows]
        print(f"held-out         stories set ({len(held)} items, another hand): primary "
              f"{evaluate(tagger, held).primary_accuracy:.3f}")
    print(f"datelines cut    F1 {no_dateline.f1:.3f}, primary {no_dateline.primary_accuracy:.3f}"
          f"  (and no title: F1 {text_only.f1:.3f}, primary {text_only.primary_accuracy:.3f})")
    count = len(pairs)
    print(f"speed            {count / elapsed:,.0f} items/s tagged "
          f"({elapsed / count * 1e6:.1f} µs/item; bare fold + automaton pass "
          f"{count / bare:,.0f} items/s, {bare / count * 1e6:.1f} µs; "
          f"tagging = {elapsed / bare:.1f}× the bare pass; CPU time, best of {args.rounds})")
    print(f"load             cold build {cold:.2f} s, from cache {warm:.2f} s")
    print(f"memory           max RSS {rss_mb:.0f} MiB after build + two loads")
    if args.misses:
        by_id = {str(item["id"]): item for item in items}
        for miss in scores.misses:
            print(f"  {miss.id} {by_id[miss.id]['title'][:60]!r}: expected {miss.expected} "
                  f"{miss.expected_primary}, got {miss.got} {miss.got_primary}")


if __name__ == "__main__":
    main()
