"""Story assignment bench: quality on the labelled set, speed with 100,000 stories indexed.

    .venv/bin/python bench/stories_bench.py            # everything (about ten minutes)
    .venv/bin/python bench/stories_bench.py --quality  # quality, demo and near-duplicate tables

Quality: items of tests/data/stories_labelled.jsonl go through `process()` in time order with a
`MemoryStoryIndex`; "same story" is scored pairwise against the labelled groups. The label's
`primary` stands in for the geo tagger's primary country (absent = unknown).
Speed: a synthetic news-like stream (templates × places × names × numbers) fills the index with
100,000 stories, then a further stream is timed through fingerprint + process.
"""

from __future__ import annotations

import argparse
import copy
import gc
import itertools
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor import stories_minhash as mh  # noqa: E402
from monitor.store.base import Arrival  # noqa: E402
from monitor.store.story_window import merged_keys  # noqa: E402
from monitor.stories import (  # noqa: E402
    DEFAULT_MODEL,
    Fingerprint,
    MemoryStoryIndex,
    StoryCandidate,
    StoryModel,
    fingerprint,
    process,
)
from monitor.stories_model import LEAD_WORDS  # noqa: E402
from monitor.stories_text import strip_boilerplate, tokens  # noqa: E402
from monitor.types import GeoTags  # noqa: E402

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "stories_labelled.jsonl"


class Labelled(NamedTuple):
    id: str
    group: str
    published: datetime
    title: str
    summary: str
    primary: str | None
    split: str


class Quality(NamedTuple):
    precision: float
    recall: float


def load_labelled(path: Path = LABELLED) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    items = [
        Labelled(
            r["id"], r["group"], datetime.fromisoformat(r["published"]), r["title"],
            r["summary"], r.get("primary"), r.get("split", "dev"),
        )
        for r in rows
    ]
    return sorted(items, key=lambda i: (i.published, i.id))


@lru_cache(maxsize=1)
def _tags() -> dict[str, GeoTags]:
    from monitor.geo import load_tagger

    tagger = load_tagger()
    return {i.id: tagger.tag(i.summary, i.title) for i in load_labelled()}


def assign_all(
    items: Sequence[Labelled], model: StoryModel = DEFAULT_MODEL, geo: str = "tagger"
) -> dict[str, int]:
    """Item id → story id, assigning in time order. Every item is tagged by the gazetteer, as
    in the pipeline; `geo`: "tagger" — its primary country; "labels" — the label's."""
    index = MemoryStoryIndex()
    out: dict[str, int] = {}
    tags = _tags()
    for item in items:
        tag = tags[item.id]
        primary = tag.primary if geo == "tagger" else item.primary
        fp = fingerprint(item.title, item.summary, model, geo=tag)
        result = process(index, fp, item.published, primary, index.next_id, model=model)
        assert result.story_id is not None
        out[item.id] = result.story_id
    return out


def pairwise(items: Sequence[Labelled], stories: dict[str, int]) -> Quality:
    tp = fp = fn = 0
    for a, b in itertools.combinations(items, 2):
        same_label = a.group == b.group
        same_story = stories[a.id] == stories[b.id]
        tp += same_label and same_story
        fp += same_story and not same_label
        fn += same_label and not same_story
    return Quality(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


# ---------------------------------------------------------------------------------------------
# model comparison


VARIANTS: dict[str, StoryModel] = {
    "default": DEFAULT_MODEL,
    "near-duplicate path only": replace(
        DEFAULT_MODEL, shared_overlap=9.0, overlap_threshold=9.0, conflict_overlap=9.0
    ),
    "same-event path only": replace(DEFAULT_MODEL, dup_threshold=9.0),
    "word unigrams (shingle 1)": replace(DEFAULT_MODEL, shingle_size=1),
    "word trigrams (shingle 3)": replace(DEFAULT_MODEL, shingle_size=3),
    "16 bands of 2 bins (16 keys)": replace(DEFAULT_MODEL, bands=16),
    "dup threshold 0.3": replace(DEFAULT_MODEL, dup_threshold=0.3),
    "dup threshold 0.5": replace(DEFAULT_MODEL, dup_threshold=0.5),
    "shared-name overlap 0.05": replace(DEFAULT_MODEL, shared_overlap=0.05),
    "shared-name overlap 0.12": replace(DEFAULT_MODEL, shared_overlap=0.12),
    "at least 1 shared term": replace(DEFAULT_MODEL, min_shared_terms=1),
    "at least 3 shared terms": replace(DEFAULT_MODEL, min_shared_terms=3),
    "plain overlap 0.12": replace(DEFAULT_MODEL, overlap_threshold=0.12),
    "plain overlap 0.2": replace(DEFAULT_MODEL, overlap_threshold=0.2),
    "conflicting-names overlap 0.25": replace(DEFAULT_MODEL, conflict_overlap=0.25),
    "conflicting-names overlap 0.4": replace(DEFAULT_MODEL, conflict_overlap=0.4),
    "different places: overlap 0.4": replace(DEFAULT_MODEL, place_conflict_overlap=0.4),
    "no time ramp": replace(DEFAULT_MODEL, overlap_per_day=0.0, dup_per_day=0.0),
    "ramp 0.35 per day": replace(DEFAULT_MODEL, overlap_per_day=0.35),
    "ramp 0.7 per day": replace(DEFAULT_MODEL, overlap_per_day=0.7),
    "no ramp grace": replace(DEFAULT_MODEL, ramp_grace_h=0.0),
    "ramp grace 6 h": replace(DEFAULT_MODEL, ramp_grace_h=6.0),
    "ramp grace 18 h": replace(DEFAULT_MODEL, ramp_grace_h=18.0),
    "pairs of 8 key terms (28 keys)": replace(DEFAULT_MODEL, term_key_limit=8),
    "pairs of 3 key terms (3 keys)": replace(DEFAULT_MODEL, term_key_limit=3),
    "no name keys": replace(DEFAULT_MODEL, name_key_limit=0),
    "no country keys": replace(DEFAULT_MODEL, country_key_countries=0),
    "shared numbers do not count": replace(DEFAULT_MODEL, shared_number_digits=99),
    "fewer keys (3 names, 2 weak, 2 × 4 country)": replace(
        DEFAULT_MODEL, name_key_limit=3, weak_key_limit=2, country_key_countries=2,
        country_key_terms=4,
    ),
    "no weak-name confirmation": replace(DEFAULT_MODEL, confirm_weak=False),
    "no weak-name keys": replace(DEFAULT_MODEL, weak_key_limit=0),
    "no gazetteer places as names": replace(DEFAULT_MODEL, use_places=False),
    "no mentioned countries": replace(DEFAULT_MODEL, use_countries=False),
}


SPLITS = ("dev", "holdout", "b", "c", "d", "e", "f", "g")


def quality_table() -> list[str]:
    """Every variant as the pipeline runs it ("tagger": the tagger's primary, places and
    countries); the default also with the label's primary ("labels") instead. Pairwise P/R per
    split of the labelled set (see bench/stories.md) and over all of it."""
    head = " | ".join(f"P {s} | R {s}" for s in (*SPLITS, "all"))
    lines = [
        f"| variant | geo | {head} | stories |",
        "|---|---|" + "---|---|" * (len(SPLITS) + 1) + "---|",
    ]
    items = load_labelled()
    runs = [
        (name, model, geo)
        for name, model in VARIANTS.items()
        for geo in (("tagger", "labels") if name == "default" else ("tagger",))
    ]
    for name, model, geo in runs:
        stories = assign_all(items, model, geo)
        cells = [name, geo]
        for split in (*SPLITS, None):
            q = pairwise([i for i in items if split in (None, i.split)], stories)
            cells += [f"{q.precision:.3f}", f"{q.recall:.3f}"]
        cells.append(str(len(set(stories.values()))))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------------------------------------
# near-duplicate score: MinHash vs exact Jaccard vs SimHash, on pairs within 72 h


def simhash64(items: Iterable[str]) -> int:
    """Charikar's SimHash over the same shingles (the alternative we measured against)."""
    weights = [0] * 64
    for item in items:
        h = mh.hash32(item) | mh.hash32(item + "#") << 32
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def _shingle_sets(items: Sequence[Labelled], size: int) -> dict[str, set[str]]:
    out = {}
    for item in items:
        toks = tokens(strip_boilerplate(item.title).text)
        lead = " ".join(strip_boilerplate(item.summary).text.split()[:LEAD_WORDS])
        out[item.id] = mh.shingles(toks + tokens(lead), size)
    return out


def _recall_at_precision(scored: list[tuple[float, bool]], floor: float) -> tuple[float, float]:
    """The lowest threshold whose precision stays ≥ floor, and the recall there."""
    positives = sum(same for _, same in scored) or 1
    best = (1.0, 0.0)
    tp = fp = 0
    for score, same in sorted(scored, reverse=True):
        tp += same
        fp += not same
        if tp / (tp + fp) >= floor:
            best = (score, tp / positives)
    return best


def near_duplicate_table(floor: float = 0.99) -> list[str]:
    items = load_labelled()
    sets = _shingle_sets(items, DEFAULT_MODEL.shingle_size)
    scorers: dict[str, tuple[Callable[[set[str]], object], Callable[[Any, Any], float]]] = {
        "exact Jaccard (reference)": (lambda s: s, lambda a, b: len(a & b) / (len(a | b) or 1)),
        "MinHash, 32 bins (OPH)": (lambda s: mh.signature(s, 32), mh.similarity),
        "MinHash, 64 bins (OPH)": (lambda s: mh.signature(s, 64), mh.similarity),
        "SimHash, 64 bits": (simhash64, lambda a, b: 1 - bin(a ^ b).count("1") / 64),
    }
    lines = [
        f"| score | µs per item | threshold at P≥{floor} | pair recall there |",
        "|---|---|---|---|",
    ]
    for name, (make, compare) in scorers.items():
        started = time.perf_counter()
        sigs = {k: make(v) for k, v in sets.items()}
        per_item = (time.perf_counter() - started) / len(sets) * 1e6
        scored = [
            (compare(sigs[a.id], sigs[b.id]), a.group == b.group)
            for a, b in itertools.combinations(items, 2)
            if abs((a.published - b.published).total_seconds()) <= 72 * 3600
        ]
        threshold, recall = _recall_at_precision(scored, floor)
        lines.append(f"| {name} | {per_item:.1f} | {threshold:.2f} | {recall:.3f} |")
    return lines


# ---------------------------------------------------------------------------------------------
# speed: a synthetic news-like stream against an index holding 100,000 stories

_SYLLABLES = "ka ru mi to sa la ne bo di ha ya zu ri ko an el or ma ti ba su go".split()
_TEMPLATES = [
    ("{Event} in {place} kills {n}", "A {event} hit the {place} district of {region} on {day}, "
     "killing {n} people and wounding {m}, {org} officials said."),
    ("{n} dead after {event} hits {place}", "At least {n} people were killed when a {event} struck "
     "{place} in {region}, {person} of the {org} told reporters on {day}."),
    ("{place} {event}: toll rises to {n}", "The number of people killed in the {event} in {place} "
     "rose to {n} on {day}, with {m} injured, according to {person}."),
    ("{Person} visits {place} after {event}", "{person} travelled to {place} in {region} on {day} "
     "to meet families of the {n} victims of the {event}, the {org} said."),
]
_EVENTS = "bombing flood fire earthquake landslide shooting storm explosion riot crash".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _pseudo_names(rng: random.Random, count: int, parts: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(names)


class _Event(NamedTuple):
    place: str
    region: str
    person: str
    org: str
    event: str
    n: int
    m: int
    day: str
    country: str


def _render(ev: _Event, variant: int, n: int | None = None) -> tuple[str, str]:
    title, summary = _TEMPLATES[variant % len(_TEMPLATES)]
    slots = {
        "place": ev.place, "region": ev.region, "person": ev.person, "org": ev.org,
        "event": ev.event, "Event": ev.event.capitalize(), "Person": ev.person,
        "n": str(ev.n if n is None else n), "m": str(ev.m), "day": ev.day,
    }
    return title.format(**slots), summary.format(**slots)


class SyntheticNews:
    """Random events over a vocabulary of made-up places, people and organisations."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.places = _pseudo_names(self.rng, 6000, 3)
        self.regions = _pseudo_names(self.rng, 300, 2)
        first, last = _pseudo_names(self.rng, 300, 2), _pseudo_names(self.rng, 3000, 3)
        self.people = [f"{self.rng.choice(first)} {name}" for name in last]
        self.orgs = [f"{n} Agency" for n in _pseudo_names(self.rng, 500, 3)]
        self.countries = [f"{a}{b}" for a in "ABCDEFGH" for b in "KLMNPQRS"]

    def event(self) -> _Event:
        r = self.rng
        return _Event(
            r.choice(self.places), r.choice(self.regions), r.choice(self.people),
            r.choice(self.orgs), r.choice(_EVENTS), r.randint(2, 400), r.randint(2, 400),
            r.choice(_DAYS), r.choice(self.countries),
        )


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def speed(stages: Sequence[int] = (10_000, 50_000, 100_000), probes: int = 10_000) -> list[str]:
    """Fill the index in stages; at each stage time `probes` further items through it."""
    news = SyntheticNews()
    index = MemoryStoryIndex()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    step = timedelta(seconds=48 * 3600 / stages[-1])  # all stories stay inside the 72 h window
    stored: list[tuple[_Event, datetime]] = []
    lines = [
        "| stories in index | fill items/s (wall) | RSS MiB | assign only items/s (CPU) "
        "| fingerprint + assign items/s (CPU) | candidates mean / p99 "
        "| joined: rewrites · updates · new events |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in stages:
        started = time.perf_counter()
        count = target - len(stored)
        for _ in range(count):
            ev, at = news.event(), start + step * len(stored)
            stored.append((ev, at))
            process(index, fingerprint(*_render(ev, 0)), at, ev.country, index.next_id)
        fill = count / (time.perf_counter() - started)
        gc.collect()
        gc.freeze()  # the index is long-lived: keep full GC passes (O(heap)) out of the timing
        lines.append(_probe_row(news, index, stored, probes, fill, start + step * len(stored)))
    return lines


def _probe_row(
    news: SyntheticNews,
    index: MemoryStoryIndex,
    stored: list[tuple[_Event, datetime]],
    probes: int,
    fill: float,
    now: datetime,
) -> str:
    """Time `probes` items through process() (fingerprints made beforehand), then another
    `probes` fresh items through fingerprint() + process()."""
    stream = _probe_stream(news, stored, probes, now)
    fps = [
        (fingerprint(title, summary), country, at, kind)
        for title, summary, country, at, kind in stream
    ]
    counts = sorted(
        len(index.candidates(fp.band_keys, at - timedelta(hours=72))) for fp, _, at, _ in fps
    )
    joined = {"rewrite": 0, "update": 0, "new": 0}
    kinds = {k: sum(1 for *_, kind in stream if kind == k) for k in joined}
    started = time.process_time()
    for fp, country, at, kind in fps:
        joined[kind] += not process(index, fp, at, country, index.next_id).new
    assign_rate = probes / (time.process_time() - started)
    fresh = _probe_stream(news, stored, probes, now)
    started = time.process_time()
    for title, summary, country, at, _ in fresh:
        process(index, fingerprint(title, summary), at, country, index.next_id)
    full_rate = probes / (time.process_time() - started)
    return (
        f"| {len(index):,} | {fill:,.0f} | {_rss_mib():,.0f} | **{assign_rate:,.0f}** "
        f"| {full_rate:,.0f} | {sum(counts) / len(counts):.1f} / {counts[len(counts) * 99 // 100]} "
        f"| {joined['rewrite'] / kinds['rewrite']:.0%} · {joined['update'] / kinds['update']:.0%} "
        f"· {joined['new'] / kinds['new']:.1%} |"
    )


def _probe_stream(
    news: SyntheticNews, stored: list[tuple[_Event, datetime]], count: int, now: datetime
) -> list[tuple[str, str, str, datetime, str]]:
    """40 % rewrites of stored events and 10 % updates (a new number), each within 6 h of the
    original; 50 % new events."""
    rng = news.rng
    out = []
    for _ in range(count):
        roll = rng.random()
        ev, at = rng.choice(stored)
        later = at + timedelta(seconds=rng.uniform(0, 6 * 3600))
        if roll < 0.4:
            out.append((*_render(ev, rng.randint(1, 3)), ev.country, later, "rewrite"))
        elif roll < 0.5:
            out.append((*_render(ev, 2, n=ev.n + rng.randint(1, 9)), ev.country, later, "update"))
        else:
            ev = news.event()
            out.append((*_render(ev, 0), ev.country, now, "new"))
    return out


def demo_table(geo: bool) -> list[str]:
    """The offline demo's feeds (config/demo/feeds), all at one time: the stories that gathered
    more than one item. `geo`: tag each item with the demo config's places as the pipeline
    does (primary, countries, places); else primary unknown and no places. Expected: the Green
    Zone trio and the Kyiv pair."""
    import tomllib

    import feedparser

    from monitor.config import PlaceConfig
    from monitor.geo import load_tagger

    root = LABELLED.parents[2] / "config" / "demo"
    config = tomllib.loads((root / "demo.toml").read_text(encoding="utf-8"))
    places = [
        PlaceConfig(p["name"], tuple(p.get("aliases", ())), p.get("within", ""),
                    p.get("country", ""))
        for p in config.get("places", ())
    ]  # fmt: skip
    tagger = load_tagger(places)
    index = MemoryStoryIndex()
    stories: dict[int, list[str]] = {}
    at = datetime(2026, 1, 3, 19, 32, tzinfo=UTC)
    for path in sorted((root / "feeds").glob("*.xml")):
        for entry in feedparser.parse(path).entries:
            summary = re.sub(r"<[^>]+>", " ", entry.get("summary", ""))
            tags = tagger.tag(summary, entry.title) if geo else GeoTags()
            fp = fingerprint(entry.title, summary, geo=tags)
            result = process(index, fp, at, tags.primary, index.next_id)
            stories.setdefault(result.story_id or 0, []).append(f"{path.stem}: {entry.title}")
    return [" · ".join(titles) for titles in stories.values() if len(titles) > 1]


# ---------------------------------------------------------------------------------------------
# the persisted index: the same probes through a real store, against the memory index


class _RecordingIndex(MemoryStoryIndex):
    """A memory index that also remembers each story's band keys as a store keeps them
    (`stories.band_keys`), with a revision per write: exactly what the stores' rows hold."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[int, str] = {}
        self.revs: dict[int, int] = {}
        self.rev = 0

    def add(self, candidate: StoryCandidate, band_keys: Sequence[str]) -> None:
        super().add(candidate, band_keys)
        sid = candidate.story_id
        self.keys[sid] = merged_keys(self.keys.get(sid, ""), band_keys)
        self.rev += 1
        self.revs[sid] = self.rev

    def rows(self) -> list[tuple[StoryCandidate, str, int]]:
        return [(c, self.keys[c.story_id], self.revs[c.story_id]) for c in self.stored()]


def _bulk_sqlite(path: Path, index: _RecordingIndex) -> None:
    """Write the filled index into the store's own table (one transaction)."""
    import sqlite3

    from monitor.store.sqlite_codec import ts
    from monitor.store.story_codec import candidate_json

    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO stories (id, title, first_seen_at, last_seen_at, primary_country, "
            "outlet_count, fingerprint, band_keys, rev) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
            [(c.story_id, c.title, ts(c.first_seen), ts(c.last_seen), c.primary_country,
              candidate_json(c), keys, rev) for c, keys, rev in index.rows()],
        )  # fmt: skip
    conn.execute("ANALYZE")
    conn.close()


def _bulk_postgres(url: str, index: _RecordingIndex) -> None:
    import psycopg

    from monitor.store.story_codec import candidate_json

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY stories (id, title, first_seen_at, last_seen_at, primary_country, "
            "outlet_count, fingerprint, band_keys, rev) FROM STDIN"
        ) as copy:
            for c, keys, rev in index.rows():
                copy.write_row((c.story_id, c.title, c.first_seen, c.last_seen,
                                c.primary_country, 1, candidate_json(c), keys, rev))  # fmt: skip
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT max(id) FROM stories))"
        )
        cur.execute("ANALYZE stories")


_T = TypeVar("_T")


class _Probe(NamedTuple):
    fp: Fingerprint
    at: datetime
    country: str


def _timed(assign: Callable[[_T], int], calls: Sequence[_T]) -> tuple[float, float, int]:
    """CPU and wall seconds for `assign` over `calls` (an item or a poll's items each), and
    how many items joined a story."""
    cpu, wall = time.process_time(), time.perf_counter()
    joined = sum(assign(c) for c in calls)
    return time.process_time() - cpu, time.perf_counter() - wall, joined


def store_speed(stored: int, probes: int, rounds: int, backends: Sequence[str]) -> list[str]:
    """Fill an index with `stored` stories, copy that state into each backend's tables, then
    send the same `rounds` × `probes` items through each: the memory index with `process()`,
    the stores with `store.assign_story()` (the pipeline's call: one transaction per item).
    Best round per backend; every backend sees the same items in the same order."""
    import tempfile

    from monitor.store import open_store

    news = SyntheticNews()
    recorder = _RecordingIndex()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    step = timedelta(seconds=48 * 3600 / stored)
    events: list[tuple[_Event, datetime]] = []
    for n in range(stored):
        ev, at = news.event(), start + step * n
        events.append((ev, at))
        process(recorder, fingerprint(*_render(ev, 0)), at, ev.country, recorder.next_id)
    now = start + step * stored
    batches = [
        [_Probe(fingerprint(t, s), at, c) for t, s, c, at, _ in stream]
        for stream in (_probe_stream(news, events, probes, now) for _ in range(rounds))
    ]
    lines = [
        f"{len(recorder):,} stories, {sum(len(k.split()) for k in recorder.keys.values()):,} "
        f"stored band keys; {rounds} rounds of "
        f"{probes:,} items (40 % rewrites, 10 % updates, 50 % new events); best round:",
        "",
        "| index | assign items/s (CPU) | assign items/s (wall) | × memory (CPU) | joined "
        "| window load s (wall) |",
        "|---|---|---|---|---|---|",
    ]
    base: float | None = None
    with tempfile.TemporaryDirectory(prefix="stories-bench-") as tmp:
        for backend in backends:
            ran = _run_backend(backend, Path(tmp), recorder, batches, open_store)
            if ran is None:
                lines.append(f"| {backend} | skipped (no server binaries) | | | | |")
                continue
            results, load_s = ran
            cpu, wall, joined = min(results)
            base = base or cpu
            lines.append(
                f"| {backend} | **{probes / cpu:,.0f}** | {probes / wall:,.0f} "
                f"| {base / cpu:.2f} | {joined / probes:.0%} | {load_s:.2f} |"
            )
    return lines


def _run_backend(
    backend: str,
    tmp: Path,
    recorder: _RecordingIndex,
    batches: list[list[_Probe]],
    open_store: Callable[..., Any],
) -> tuple[list[tuple[float, float, int]], float] | None:
    """The timed rounds, and the wall seconds of the first assignment (a store loads its
    window of buckets then)."""
    if backend == "memory":
        index = copy.deepcopy(recorder)
        gc.collect()
        gc.freeze()

        def assign(p: _Probe) -> bool:
            return not process(index, p.fp, p.at, p.country, index.next_id).new

        return [_timed(assign, batch) for batch in batches], 0.0
    cluster = None
    backend, _, per_call = backend.partition("@")
    batch = int(per_call or 1)
    if backend == "sqlite":
        name = f"stories-{batch}.db"
        store = open_store(f"sqlite:///{name}", tmp)
        store.migrate()
        _bulk_sqlite(tmp / name, recorder)
    else:
        sys.path.insert(0, str(LABELLED.parents[2]))
        from tests.support.postgres import PgCluster, find_bindir

        bindir = find_bindir()
        if bindir is None:
            return None
        cluster = PgCluster(bindir).start()
        url = cluster.url(cluster.create_database())
        store = open_store(url)
        store.migrate()
        _bulk_postgres(url, recorder)
    try:

        def assign(p: _Probe) -> bool:
            return not store.assign_story(p.fp, p.at, p.country).new

        def assign_batch(ps: Sequence[_Probe]) -> int:
            arrivals = [Arrival(p.fp, p.at, p.country) for p in ps]
            return sum(not a.new for a in store.assign_stories(arrivals))

        gc.collect()
        gc.freeze()  # the fill's objects are not the worker's heap (as for the memory index)
        first = batches[0][0]
        warm_up = _Probe(fingerprint("Warm-up item", "Nothing to join."), first.at, "")
        load_s = _timed(assign, [warm_up])[1]
        if batch == 1:
            return [_timed(assign, probes) for probes in batches], load_s
        polls = [[ps[i : i + batch] for i in range(0, len(ps), batch)] for ps in batches]
        return [_timed(assign_batch, each) for each in polls], load_s
    finally:
        store.close()
        if cluster is not None:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quality", action="store_true", help="quality tables only")
    parser.add_argument("--stored", type=int, default=100_000, help="stories in the index")
    parser.add_argument(
        "--store", action="store_true",
        help="only the persisted index: memory vs SQLite vs PostgreSQL, same items",
    )  # fmt: skip
    parser.add_argument("--probes", type=int, default=2_000, help="items per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (best is kept)")
    parser.add_argument(
        "--backends",
        default="memory,sqlite,sqlite@10,postgres,postgres@10",
        help="for --store, comma-separated; name@N sends N items per call (one poll's items)",
    )
    args = parser.parse_args()
    if args.store:
        print(f"## Persisted index (load average {os.getloadavg()[0]:.1f})\n")
        backends = args.backends.split(",")
        print("\n".join(store_speed(args.stored, args.probes, args.rounds, backends)))
        return
    print("## Quality (pairwise, labelled set)\n")
    print("\n".join(quality_table()))
    for geo in (False, True):
        how = "tagged as in the pipeline" if geo else "no geo tags"
        print(f"\n## Demo feeds ({how}): stories with more than one item\n")
        print("\n".join(f"- {line}" for line in demo_table(geo)))
    print("\n## Near-duplicate score alone\n")
    print("\n".join(near_duplicate_table()))
    if not args.quality:
        print("\n## Speed\n")
        stages = [n for n in (10_000, 50_000) if n < args.stored] + [args.stored]
        print("\n".join(speed(stages)))


if __name__ == "__main__":
    main()
