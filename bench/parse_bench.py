"""Feed parsing speed: fastfeedparser vs feedparser, and our full `parse_feed`.

    .venv/bin/python bench/parse_bench.py              # fixtures + generated 25/100-item feeds
    .venv/bin/python bench/parse_bench.py --rounds 50 --min    # min of the rounds (busy host)
    .venv/bin/python bench/parse_bench.py --hostile    # time and peak RSS of each hostile case

Same process, runs alternating between the parsers round by round, median per feed. Raw parser
numbers use each library's defaults on bytes; `parse_feed` is everything we do per document:
screening, fastfeedparser, keys, dates, nh3 sanitising, plain text. Results: bench/parse.md.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fastfeedparser  # noqa: E402
import feedparser  # noqa: E402

from monitor.parse import parse_feed, read_feed  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "feeds"
PLACES = ["Baghdad", "Erbil", "Basra", "Kyiv", "Kharkiv", "Beirut", "Gaza", "Damascus", "Amman",
          "Tehran", "Cairo", "Khartoum", "Sanaa", "Tripoli", "Kabul", "Geneva", "Vienna"]
SUBJECTS = ["Rocket attack", "Drone strike", "Ceasefire talks", "Protest", "Election result",
            "Flooding", "Power outage", "Prisoner exchange", "Border clash", "Aid convoy"]
VERBS = ["reported near", "resumes in", "stalls in", "hits", "spreads across", "ends in"]
WORDS = ("officials said the situation remained tense after overnight events in the capital "
         "while residents described loud explosions and security forces closed several roads "
         "according to witnesses and local media with talks expected to continue this week").split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 24))
    return " ".join(words).capitalize() + "."


def _summary_html(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    paragraphs = [
        f"<p>{_sentence(rng)} In <b>{place}</b>, {_sentence(rng).lower()}</p>"
        for _ in range(rng.randint(1, 3))
    ]
    if rng.random() < 0.4:
        slug = place.lower()
        paragraphs.append(f'<p><a href="https://news.example.org/live/{slug}">Live</a></p>')
    if rng.random() < 0.3:
        paragraphs.append('<img src="https://img.example.org/p.jpg" alt="photo" width="640">')
    return "".join(paragraphs)


def _title(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(PLACES)}"


def news_rss(items: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    out = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Bench wire</title>'
           "<link>https://news.example.org/</link><description>Generated</description>"]
    for i in range(items):
        out.append(
            f"<item><title>{_title(rng)}</title>"
            f"<link>https://news.example.org/world/{i}</link>"
            f'<guid isPermaLink="false">bench-{seed}-{i}</guid>'
            f"<pubDate>Tue, 24 Nov 2026 {i % 24:02d}:{i % 60:02d}:00 +0000</pubDate>"
            f"<dc:creator>Desk {i % 5}</dc:creator><category>World</category>"
            f"<description><![CDATA[{_summary_html(rng)}]]></description></item>"
        )
    out.append("</channel></rss>")
    return "".join(out).encode()


def news_atom(items: int, seed: int = 2) -> bytes:
    rng = random.Random(seed)
    out = ['<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           "<title>Bench broadcaster</title><link href=\"https://tv.example.org/\"/>"
           "<id>urn:bench</id><updated>2026-11-24T20:00:00Z</updated>"]
    for i in range(items):
        html = _summary_html(rng).replace("&", "&amp;").replace("<", "&lt;")
        out.append(
            f"<entry><title>{_title(rng)}</title><link href=\"https://tv.example.org/n/{i}\"/>"
            f"<id>urn:bench:{i}</id><updated>2026-11-24T{i % 24:02d}:00:00Z</updated>"
            f"<published>2026-11-24T{i % 24:02d}:00:00Z</published>"
            f"<author><name>Desk</name></author><summary>{_sentence(rng)}</summary>"
            f'<content type="html">{html}</content></entry>'
        )
    out.append("</feed>")
    return "".join(out).encode()


def documents() -> dict[str, bytes]:
    docs = {f"fixture {p.name}": p.read_bytes() for p in sorted(FIXTURES.glob("*.xml"))}
    for n in (25, 100):
        docs[f"generated rss {n}"] = news_rss(n)
        docs[f"generated atom {n}"] = news_atom(n)
    return docs


def _ffp(body: bytes) -> object:
    try:
        return fastfeedparser.parse(body)
    except Exception as e:  # raw fastfeedparser raises on some fixtures (bad references)
        return e


def _fp(body: bytes) -> object:
    try:
        return feedparser.parse(io.BytesIO(body))
    except Exception as e:  # raw feedparser raises on bad character references
        return e


def _ours(body: bytes) -> object:
    return parse_feed(body)


def _ours_two_new(body: bytes) -> object:
    """The poll path with `read_feed`: every entry identified, only two (the new ones) cleaned."""
    document = read_feed(body)
    return document.entries(skip=set(document.keys[2:]))


RUNNERS: dict[str, Callable[[bytes], object]] = {
    "ffp": _ffp,
    "feedparser": _fp,
    "ours": _ours,
    "ours, 2 new": _ours_two_new,
}


def measure(body: bytes, rounds: int, stat: Callable[[list[float]], float]) -> dict[str, float]:
    """ms per parse for each runner (median or min of the rounds), runners alternating within
    every round so that load and cache effects hit them alike."""
    samples: dict[str, list[float]] = {name: [] for name in RUNNERS}
    for _ in range(rounds):
        for name, run in RUNNERS.items():
            started = time.perf_counter()
            run(body)
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: stat(values) for name, values in samples.items()}


def speed_report(rounds: int, stat: Callable[[list[float]], float]) -> None:
    for run in RUNNERS.values():  # imports and caches warm before anything is timed
        run(news_rss(5))
    print(
        f"{'document':30} {'KB':>6} {'ffp ms':>7} {'fp ms':>7} {'fp/ffp':>6} "
        f"{'ours ms':>7} {'fp/ours':>7} {'2 new ms':>8} {'fp/2new':>7}"
    )
    for name, body in documents().items():
        ms = measure(body, rounds, stat)
        fp = ms["feedparser"]
        print(
            f"{name:30} {len(body) / 1024:6.1f} {ms['ffp']:7.3f} {fp:7.2f} {fp / ms['ffp']:6.1f} "
            f"{ms['ours']:7.3f} {fp / ms['ours']:7.1f} {ms['ours, 2 new']:8.3f} "
            f"{fp / ms['ours, 2 new']:7.1f}"
        )


_CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from monitor.errors import ParseError
from monitor.parse import parse_feed
parse_feed({warm!r})
def high_water_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1])
body = Path({path!r}).read_bytes()
Path("/proc/self/clear_refs").write_text("5")  # reset the peak to what is resident now
before = high_water_kb()
started = time.perf_counter()
try:
    outcome = f"{{len(parse_feed(body).entries)}} entries"
except ParseError as e:
    outcome = "ParseError: " + str(e)[:70]
elapsed = time.perf_counter() - started
after = high_water_kb()
print(json.dumps([len(body), elapsed, (after - before) / 1024, outcome]))
"""


def hostile_report() -> None:
    """Each case in a fresh process: the peak RSS (VmHWM, reset through /proc/self/clear_refs
    once the document is in memory) minus the RSS at that moment. Linux only."""
    from tests.unit.test_parse_hostile import HOSTILE_DOCUMENTS

    print(f"{'case':26} {'MB in':>6} {'ms':>8} {'peak +MB':>9}  outcome")
    warm = news_rss(5)
    with tempfile.TemporaryDirectory() as tmp:
        cases = {**HOSTILE_DOCUMENTS, "news_rss_1000 (accepted)": lambda: news_rss(1000)}
        for name, make in cases.items():
            path = Path(tmp) / "document"
            path.write_bytes(make())
            code = _CHILD.format(root=str(ROOT), warm=warm, path=str(path))
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            size, elapsed, extra_mb, outcome = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{name:26} {size / 1e6:6.1f} {elapsed * 1000:8.1f} {extra_mb:9.1f}  {outcome}")
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--min", action="store_true", help="min of the rounds, not the median")
    parser.add_argument("--hostile", action="store_true", help="hostile documents instead")
    args = parser.parse_args()
    if args.hostile:
        hostile_report()
    else:
        speed_report(args.rounds, min if args.min else statistics.median)


if __name__ == "__main__":
    main()
