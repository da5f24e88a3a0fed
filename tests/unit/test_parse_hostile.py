"""Hostile documents (DESIGN §5.6): entity blow-ups, external entities, bad character references,
megabytes of garbage. None may crash, hang, fetch or exhaust memory; every failure is a
ParseError. `HOSTILE_DOCUMENTS` is shared with `bench/parse_bench.py`, which records the time
and peak memory of each.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.parse import parse_feed
from monitor.parse_screen import MAX_DOCUMENT_BYTES
from monitor.types import ParsedFeed
from tests.unit.test_sanitize import FORBIDDEN

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
TEN_MB = 10_000_000


def feed_with(body: str = "x", doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>t</title>'
        f"<item><title>A {body} B</title><link>https://e.example/1</link>"
        f"<description>d {body} e</description></item></channel></rss>"
    ).encode()


def _billion_laughs() -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return feed_with("&lol9;", f"<!DOCTYPE lolz [{''.join(levels)}]>")


def _quadratic_blowup() -> bytes:
    return feed_with("&a;" * 100_000, f'<!DOCTYPE r [<!ENTITY a "{"x" * 60_000}">]>')


def _quadratic_small_entity() -> bytes:
    # Each expansion is allowed; their total is not.
    return feed_with("&a;" * 400_000, f'<!DOCTYPE r [<!ENTITY a "{"x" * 4000}">]>')


def _random_bytes() -> bytes:
    return random.Random(1).randbytes(TEN_MB)


def _feed_then_garbage() -> bytes:
    return b'<rss version="2.0"><channel><item><title>x</title></item>' + _random_bytes()


def _deep_nesting() -> bytes:
    return b'<rss version="2.0"><channel>' + b"<a>" * (TEN_MB // 3)


def _html_page() -> bytes:
    return b"<!DOCTYPE html><html><body>" + b"<p>not a feed</p>" * (TEN_MB // 17)


def _text_garbage() -> bytes:
    chunk = b"lorem < ipsum & dolor ]]> sit <![CDATA[ amet > consectetur &amp; "
    return b'<rss version="2.0"><channel>' + chunk * (TEN_MB // len(chunk))


def _amp_garbage() -> bytes:
    chunk = b"lorem & ipsum &x dolor ; sit & amet &y; "
    return b'<rss version="2.0"><channel>' + chunk * (TEN_MB // len(chunk))


def _tiny_elements() -> bytes:
    return b'<rss version="2.0"><channel>' + b"<a/>" * (TEN_MB // 4) + b"</channel></rss>"


def _many_tiny_items() -> bytes:
    item = b"<item><title>t</title><link>https://e.example/%d</link></item>"
    items = b"".join(item % i for i in range(20_000))
    return b'<rss version="2.0"><channel><title>t</title>' + items + b"</channel></rss>"


def _huge_single_item() -> bytes:
    text = "word " * 600_000
    return (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>t</title><item><guid>{'g' * 1_000_000}</guid><title>{'T&amp;' * 200_000}</title>"
        f"<link>https://x.example/{'a' * 500_000}</link><author>{'a' * 500_000}</author>"
        f"<description>{text}</description><content:encoded>{text}</content:encoded>"
        "</item></channel></rss>"
    ).encode()


HOSTILE_DOCUMENTS: dict[str, Callable[[], bytes]] = {
    "billion_laughs": _billion_laughs,
    "quadratic_blowup": _quadratic_blowup,
    "quadratic_small_entity": _quadratic_small_entity,
    "external_entity": lambda: feed_with(
        "&xxe;", '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    ),
    "external_public_entity": lambda: feed_with(
        "&xxe;", '<!DOCTYPE r [<!ENTITY xxe PUBLIC "-//X//EN" "http://127.0.0.1:9/x">]>'
    ),
    "parameter_entity": lambda: feed_with(
        "x", '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
    ),
    "random_10mb": _random_bytes,
    "feed_then_10mb_garbage": _feed_then_garbage,
    "deep_nesting_10mb": _deep_nesting,
    "html_page_10mb": _html_page,
    "text_garbage_10mb": _text_garbage,
    "ampersand_garbage_10mb": _amp_garbage,
    "tiny_elements_10mb": _tiny_elements,
    "oversized": lambda: b"<rss>" + b" " * MAX_DOCUMENT_BYTES,
    "many_tiny_items": _many_tiny_items,
    "huge_single_item": _huge_single_item,
}
MUST_BE_REFUSED = set(HOSTILE_DOCUMENTS) - {"many_tiny_items", "huge_single_item"}


def _high_water_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def _peak_rss_growth_mb(run: Callable[[], object]) -> float:
    """Peak resident memory while `run` runs, minus what was resident before (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _high_water_mb()
    run()
    return _high_water_mb() - before


def _outcome(body: bytes) -> str:
    try:
        return f"{len(parse_feed(body).entries)} entries"
    except ParseError:
        return "refused"


@pytest.mark.parametrize("name", sorted(HOSTILE_DOCUMENTS))
def test_hostile_documents_fail_fast_as_parse_errors(name: str) -> None:
    body = HOSTILE_DOCUMENTS[name]()
    outcome: list[str] = []
    started = time.perf_counter()
    growth = _peak_rss_growth_mb(lambda: outcome.append(_outcome(body)))
    elapsed = time.perf_counter() - started
    assert outcome == ["refused"] or name not in MUST_BE_REFUSED
    # Hang and blow-up detectors, far above the measured costs (bench/parse.md), not budgets.
    assert elapsed < 5.0
    assert growth < 100


def test_every_stored_field_of_a_huge_entry_is_capped() -> None:
    [entry] = parse_feed(_huge_single_item()).entries
    assert entry.key.startswith("sha1:") and len(entry.key) == 45
    assert len(entry.title) <= 1000 and entry.title.startswith("T&T&")
    assert entry.link is None  # longer than any URL we keep
    assert len(entry.summary) <= 20_000 and len(entry.summary_html) <= 100_000
    assert entry.author is not None and len(entry.author) <= 200


@pytest.mark.parametrize(
    ("reference", "expected_title"),
    [
        ("&#xD800;", "A \ufffd B"),
        ("&#xDFFF;", "A \ufffd B"),
        ("&#x110000;", "A \ufffd B"),
        ("&#99999999999;", "A \ufffd B"),
        ("&#0;", "A B"),
        ("&#x1B;", "A B"),
        ("&#xFFFE;", "A \ufffd B"),
        ("&#233;", "A é B"),
        ("&nbsp;&mdash;", "A — B"),
        ("&madeup;", "A &madeup; B"),
    ],
)
def test_bad_character_references_do_not_break_the_feed(
    reference: str, expected_title: str
) -> None:
    [entry] = parse_feed(feed_with(reference)).entries
    assert entry.title == expected_title


def test_json_feed_escapes_for_lone_surrogates_and_controls_are_cleaned() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "j", "items": [{"id": "1",'
        b' "title": "a\\ud800b\\u0000c\\u202ed", "content_html": "<p>x\\udfffy</p>",'
        b' "url": "javascript:alert(1)"}]}'
    )
    [entry] = parse_feed(body).entries
    assert (entry.title, entry.summary, entry.summary_html, entry.link) == (
        "abcd", "xy", "<p>xy</p>", None
    )


@pytest.mark.parametrize(
    "items",
    [
        '[1, "x", null, {"id": "a", "title": "ok"}]',
        '[{"id": "a", "title": "ok", "authors": "bob", "date_published": 12}]',
        '[{"id": "a", "title": "ok", "content_html": 5, "tags": "x", "author": "z"}]',
        '[{"id": {"x": 1}, "title": ["no"]}, {"id": "a", "title": "ok", "url": 5}]',
    ],
)
def test_a_malformed_json_feed_item_costs_only_that_item(items: str) -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + items.encode() + b"}"
    assert [(e.key, e.title) for e in parse_feed(body).entries] == [("a", "ok")]


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b'{"items": {}}'])
def test_json_that_is_not_a_feed_raises_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body)


def test_small_internal_entities_are_expanded() -> None:
    doctype = '<!DOCTYPE rss [<!ENTITY org "Example &amp; Co"><!ENTITY who "&org; staff">]>'
    [entry] = parse_feed(feed_with("&who;", doctype)).entries
    assert entry.title == "A Example & Co staff B"


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]>',
        "<!DOCTYPE r [<!ENTITY a 'x'> <junk> ]>",
        '<!DOCTYPE r [<!-- ]> --> <!ENTITY x SYSTEM "file:///etc/hostname"> ]>',
        '<!DOCTYPE r [<!ENTITY a "]>"> <!ENTITY b SYSTEM "file:///etc/hostname">]>',
        '<!DOCTYPE r [<!ENTITY a "x"',
    ],
)
def test_tricky_doctypes_are_refused(doctype: str) -> None:
    with pytest.raises(ParseError):
        parse_feed(feed_with("&a;", doctype))


class _RecordingHandler(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.requests.append(self.path)
        body = b'<!ENTITY leak "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recording_server() -> Iterator[str]:
    _RecordingHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_no_parser_fetches_dtds_stylesheets_or_entities(recording_server: str) -> None:
    url = recording_server
    documents = [
        feed_with("x", f'<!DOCTYPE rss SYSTEM "{url}/rss.dtd">'),
        feed_with("x", f'<!DOCTYPE rss PUBLIC "-//X//DTD//EN" "{url}/public.dtd">'),
        feed_with("&leak;", f'<!DOCTYPE rss [<!ENTITY leak SYSTEM "{url}/entity">]>'),
        feed_with("&leak;", f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{url}/pe.dtd"> %p;]>'),
        feed_with("x").replace(b"?>", f'?><?xml-stylesheet href="{url}/s.xsl"?>'.encode(), 1),
        f"{url}/as-a-string".encode(),
    ]
    for body in documents:
        try:
            feed = parse_feed(body)
        except ParseError:
            continue
        assert all("fetched" not in e.title for e in feed.entries)
    assert _RecordingHandler.requests == []


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for kind, at, chunk in edits:
        pos = at % (len(data) + 1)
        if kind == 0:
            data = data[:pos] + chunk + data[pos:]
        elif kind == 1:
            data = data[:pos] + data[pos + len(chunk) + 1 :]
        elif kind == 2:
            data = data[:pos] + chunk + data[pos + len(chunk) :]
        else:
            data = data[:pos]
    return data


FUZZ_SEEDS = [p.read_bytes() for p in sorted(FIXTURES.glob("*.xml"))] + [
    (FIXTURES / "jsonfeed.json").read_bytes()
]
_TOKENS = [
    b"<",
    b">",
    b"&",
    b";",
    b"]]>",
    b"<![CDATA[",
    b"&#xD800;",
    b"<!DOCTYPE x [",
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"</item>",
    b"<item>",
    b'"',
    b"{",
    b"}",
    b"\\u0000",
]
edits = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 1 << 16),
        st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(_TOKENS)),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FUZZ_SEEDS), edits)
def test_mutated_feeds_parse_cleanly_or_raise_parse_error(
    seed: bytes, changes: list[tuple[int, int, bytes]]
) -> None:
    try:
        feed = parse_feed(_mutate(seed, changes))
    except ParseError:
        return
    assert isinstance(feed, ParsedFeed) and feed.entries
    for entry in feed.entries:
        for text in (entry.key, entry.title, entry.summary, entry.summary_html, entry.author or ""):
            assert FORBIDDEN.search(text) is None
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert entry.published_at is None or entry.published_at.utcoffset() is not None
