"""The screen every document passes before a parser sees it (DESIGN §5.6).

Cheap byte-level checks that turn hostile or pointless input into a ParseError in milliseconds:
a size cap, binary garbage (XML forbids most control bytes; a few strays are dropped, a document
full of them is refused), pages that are not feeds (HTML), and the DOCTYPE (see
`monitor.parse_entities`). What passes is UTF-8 with its references normalised, so both parsers
read the same characters. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.errors import ParseError
from monitor.parse_encoding import header_charset, to_utf8
from monitor.parse_entities import normalise_references, screen_internal_subset

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PROLOG_BYTES = 256 * 1024
MARKUP_CHECK_BYTES = 256 * 1024
# Counted as "<" characters, CDATA included: 1,000 entries with full article HTML stay below.
MAX_TAGS = 250_000
# Feeds list newest first; past this is an archive dump or an attack, not news.
MAX_ENTRIES = 1000
FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})

# Control bytes XML 1.0 forbids; in UTF-8 they never occur inside a multi-byte sequence.
_BAD_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 13))
# UTF-16/32 documents are full of NUL bytes until transcoded.
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"<\x00", b"\x00<")
_START_MARKERS = (b"<?xml", b"<rss", b"<feed", b"<rdf:rdf", b"<rdf", b"<channel")
_JUNK_WINDOW = 8192
_PROLOG_TOKEN = re.compile(
    rb"""(?P<ws>\s+)|(?P<comment><!--.*?-->)|(?P<pi><\?.*?\?>)
    |(?P<doctype><!DOCTYPE\s+[^\s\[>]+(?:\s+(?:[^\[>"']|"[^"]*"|'[^']*')*)?)
    |<(?P<root>[A-Za-z_][\w.:-]*)""",
    re.DOTALL | re.VERBOSE | re.IGNORECASE,
)
_ROOT_BASE = re.compile(rb"""[^>]*?\bxml:base\s*=\s*["']([^"'<>]{1,2048})["']""")
_TTL = re.compile(rb"<ttl>\s*(\d{1,6})\s*</ttl>")
_ENTRY_TAG = re.compile(rb"<(?:item|entry)[\s>]")


@dataclass(frozen=True)
class Screened:
    """A document that passed the screen, with the facts read from its head on the way."""

    data: bytes
    is_json: bool = False
    root: str = ""
    xml_base: str | None = None
    ttl_s: int | None = None
    entry_tags: int = 0
    declared_entities: Mapping[bytes, bytes] = field(default_factory=dict)


def screen(body: bytes, headers: Mapping[str, str] | None = None) -> Screened:
    """Check and normalise one fetched document; raises ParseError saying why it was refused."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ParseError(f"document of {len(body)} bytes exceeds {MAX_DOCUMENT_BYTES} (refused)")
    if not body.startswith(_WIDE_STARTS):
        # Before decoding, to refuse binary garbage cheaply. Control bytes are the same
        # characters in UTF-8 and single-byte charsets and never inside a multi-byte CJK one.
        body = _drop_controls(body)
    data = to_utf8(body, header_charset(headers))
    if data is not body:
        data = _drop_controls(data)
    if not data.strip():
        raise ParseError("empty document")
    if data.lstrip()[:1] == b"{":
        return Screened(data=data.strip(), is_json=True)
    return _screen_xml(data[_feed_start(data) :])


def _drop_controls(data: bytes) -> bytes:
    stripped = data.translate(None, _BAD_CONTROLS)
    dropped = len(data) - len(stripped)
    if dropped > max(64, len(data) // 200):
        raise ParseError(f"binary data, not a feed ({dropped} control bytes)")
    return stripped


def _feed_start(data: bytes) -> int:
    """Where the XML starts: feeds served with a PHP warning or junk in front still parse."""
    head = data[:_JUNK_WINDOW].lower()
    found = [i for i in (head.find(m) for m in _START_MARKERS) if i >= 0]
    if not found:
        raise ParseError(f"not a feed document (starts {_preview(data)})")
    return min(found)


def _screen_xml(data: bytes) -> Screened:
    pos = 0
    declared: dict[bytes, bytes] = {}
    doctype: tuple[int, int] | None = None
    while True:
        token = _PROLOG_TOKEN.match(data, pos)
        if token is None or pos > MAX_PROLOG_BYTES:
            raise ParseError(f"no feed element found (at byte {pos}: {_preview(data[pos:])})")
        if token.lastgroup == "root":
            break
        pos = token.end()
        if token.lastgroup == "doctype":
            pos, declared = _doctype_rest(data, pos)
            doctype = (token.start(), pos)
    root = token.group("root").decode("ascii").rpartition(":")[2].lower()
    if root not in FEED_ROOTS:
        raise ParseError(f"not a feed: the root element is <{root}>")
    xml_base = _xml_base(data, token.end())
    if doctype is not None:
        # Screened and, for its entities, expanded here: no parser gets to read a DTD.
        data = data[: doctype[0]] + data[doctype[1] :]
    entry_tags = len(_ENTRY_TAG.findall(data))
    if entry_tags > MAX_ENTRIES:
        data, entry_tags = _first_entries(data, root), MAX_ENTRIES
    if len(data) > MARKUP_CHECK_BYTES:
        _check_markup_load(data)
    data = normalise_references(data, declared)
    return Screened(
        data=data,
        root=root,
        xml_base=xml_base,
        ttl_s=_ttl_seconds(data),
        entry_tags=entry_tags,
        declared_entities=declared,
    )


def unclosed_tags(data: bytes) -> int:
    """Roughly how many start tags are never closed: deep nesting makes parsers slow (feedparser
    super-linearly), and no feed needs it. HTML in CDATA (<br>, <img>) counts too."""
    return data.count(b"<") - 2 * data.count(b"</") - data.count(b"/>") - data.count(b"<!")


def _check_markup_load(data: bytes) -> None:
    """Refuse what would make the XML parsers slow or big: libxml2 keeps ~150 bytes per node
    and fastfeedparser walks them in Python (2.5 million empty elements: 13 s, +360 MB)."""
    tags = data.count(b"<")
    if tags > MAX_TAGS:
        raise ParseError(f"not a feed: {tags} tags in its first {MAX_ENTRIES} entries")
    # Legitimate unclosed tags (HTML in CDATA) come far less often than one per 20 bytes.
    unclosed = unclosed_tags(data)
    if unclosed > 10_000 and unclosed * 20 > len(data):
        raise ParseError(f"not a feed: {unclosed} tags nested or left open")


def _first_entries(data: bytes, root: str) -> bytes:
    """The document cut after its MAX_ENTRIES-th entry. Parsers spend Python time per entry
    (100,000 tiny items took seconds); the recovering parsers close what the cut left open."""
    closing = b"</entry>" if root == "feed" else b"</item>"
    pos = 0
    for _ in range(MAX_ENTRIES):
        found = data.find(closing, pos)
        if found < 0:
            return data
        pos = found + len(closing)
    return data[:pos]


def _doctype_rest(data: bytes, pos: int) -> tuple[int, dict[bytes, bytes]]:
    """After "<!DOCTYPE name extid": either ">" or an internal subset "[ … ]>"."""
    while data[pos : pos + 1].isspace():
        pos += 1
    if data[pos : pos + 1] == b">":
        return pos + 1, {}
    if data[pos : pos + 1] != b"[":
        raise ParseError(f"unreadable DOCTYPE declaration at byte {pos}")
    end, declared = screen_internal_subset(data[:MAX_PROLOG_BYTES], pos + 1)
    return end, declared


def _xml_base(data: bytes, after_root_name: int) -> str | None:
    found = _ROOT_BASE.match(data, after_root_name, after_root_name + 4096)
    return found.group(1).decode("utf-8", "replace").strip() if found else None


def _ttl_seconds(data: bytes) -> int | None:
    first_item = data.find(b"<item")
    found = _TTL.search(data, 0, first_item if first_item >= 0 else len(data))
    return int(found.group(1)) * 60 if found else None


def _preview(data: bytes) -> str:
    return repr(data[:40].decode("utf-8", "replace"))
