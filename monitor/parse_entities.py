"""Entity declarations and references: the part of XML that turns small documents into big ones.

`screen_internal_subset` reads a DOCTYPE's internal subset with a whitelist tokenizer and
refuses external entities (XXE), parameter entities, and internal entities whose expansion
grows past a few kilobytes (billion laughs). `normalise_references` then rewrites every entity
and character reference the parsers would choke on, so lxml (which cuts text short at an
undefined entity) and feedparser (which raises on `&#xD800;` or `&#99999999999;`) read the same
characters: HTML named entities become numeric references, unknown names and bare ampersands
become literal text, invalid code points become U+FFFD, and the few small declared entities are
expanded here with a bound on the total. CDATA sections are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.entities import html5

from monitor.errors import ParseError

MAX_ENTITIES = 64
MAX_ENTITY_EXPANSION = 4096
MAX_TOTAL_EXPANSION = 1 << 20

_SUBSET_TOKEN = re.compile(
    rb"""(?P<ws>\s+)
    |(?P<comment><!--.*?-->)
    |(?P<pi><\?.*?\?>)
    |(?P<entity><!ENTITY\s+(?P<pe>%\s+)?(?P<name>[^\s%;&"'<>]+)\s+
        (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<external>SYSTEM|PUBLIC)\b(?:[^>"']|"[^"]*"|'[^']*')*)
        \s*>)
    |(?P<decl><!(?:ELEMENT|ATTLIST|NOTATION)\b(?:[^>"']|"[^"]*"|'[^']*')*>)
    |(?P<end>\]\s*>)""",
    re.DOTALL | re.VERBOSE,
)
_ENTITY_REF = re.compile(rb"&([^\s&;#<>\"']+);")
_PREDEFINED = {b"amp", b"lt", b"gt", b"quot", b"apos"}
# References the parsers mishandle, and bare ampersands (AT&T: lxml drops the text after one,
# feedparser invents "&T;"). Numeric references are matched only in the ranges that can hold
# an invalid code point (controls, surrogates, U+FFFE/F, past U+10FFFF); the callback decides.
_SUSPECT = (  # one leading "&" for all branches, so the regex engine can skip to each "&"
    rb"&(?:(?:#[xX]0*(?P<hex>[0-8bBcCeEfF]|1[0-9A-Fa-f]|[dD][89a-fA-F][0-9A-Fa-f]{2}"
    rb"|[fF]{3}[eEfF]|[0-9A-Fa-f]{5,8})|#0*(?P<dec>[0-8]|1[124-9]|2[0-9]|3[01]|[0-9]{5,10})"
    rb"|(?!(?:amp|lt|gt|quot|apos);)(?P<name>[A-Za-z][A-Za-z0-9]{0,31}));"
    rb"|#[xX]?[0-9A-Fa-f]{9,};|(?P<bare>)(?!#?[A-Za-z0-9]+;))"
)
_ANY_SUSPECT = re.compile(_SUSPECT)
# The same, skipping CDATA sections, whose "&" is literal text (often in URLs).
_REWRITE = re.compile(rb"(?P<cdata><!\[CDATA\[.*?(?:\]\]>|\Z))|" + _SUSPECT, re.DOTALL)
MAX_REWRITES = 50_000
_HTML_REFS: dict[bytes, bytes] = {
    name[:-1].encode("ascii"): b"".join(b"&#%d;" % ord(c) for c in text)
    for name, text in html5.items()
    if name.endswith(";")
}


def screen_internal_subset(data: bytes, start: int) -> tuple[int, dict[bytes, bytes]]:
    """Read the internal subset beginning at `start` (just after "["): return where the
    DOCTYPE ends and the declared general entities fully expanded. Raises ParseError for
    anything outside the whitelist."""
    raw: dict[bytes, bytes] = {}
    pos = start
    while True:
        token = _SUBSET_TOKEN.match(data, pos)
        if token is None:
            raise ParseError(f"unreadable DOCTYPE declaration at byte {pos}")
        pos = token.end()
        if token.lastgroup == "end":
            return pos, _expand_all(raw)
        if token.group("entity") is None:
            continue
        if token.group("external") is not None:
            raise ParseError("DOCTYPE declares an external entity (refused: parsing never fetches)")
        if token.group("pe") is not None:
            raise ParseError("DOCTYPE declares a parameter entity (refused)")
        if len(raw) >= MAX_ENTITIES:
            raise ParseError(f"DOCTYPE declares more than {MAX_ENTITIES} entities (refused)")
        value = token.group("dq") if token.group("dq") is not None else token.group("sq")
        raw.setdefault(token.group("name"), value)


def _expand_all(raw: Mapping[bytes, bytes]) -> dict[bytes, bytes]:
    expanded: dict[bytes, bytes] = {}
    for name in raw:
        _expand(name, raw, expanded, ())
    return expanded


def _expand(
    name: bytes, raw: Mapping[bytes, bytes], done: dict[bytes, bytes], stack: tuple[bytes, ...]
) -> bytes:
    if name in done:
        return done[name]
    if name in stack:
        raise ParseError(f"entity {name.decode('ascii', 'replace')!r} refers to itself")

    grown = len(raw[name])

    def replace(ref: re.Match[bytes]) -> bytes:
        nonlocal grown
        inner = ref.group(1)
        if inner not in raw:
            return ref.group(0)
        value = _expand(inner, raw, done, (*stack, name))
        grown += len(value)
        # Checked while substituting, so a long list of references never gets built.
        if grown > MAX_ENTITY_EXPANSION:
            raise ParseError(
                f"entity {name.decode('ascii', 'replace')!r} expands to more than "
                f"{MAX_ENTITY_EXPANSION} bytes (entity blow-up refused)"
            )
        return value

    done[name] = _ENTITY_REF.sub(replace, raw[name])
    if len(done[name]) > MAX_ENTITY_EXPANSION:
        raise ParseError(f"entity {name.decode('ascii', 'replace')!r} is too long (refused)")
    return done[name]


def normalise_references(data: bytes, declared: Mapping[bytes, bytes]) -> bytes:
    """Rewrite references the parsers mishandle (see module docstring); others stay as they are.
    Raises ParseError when declared entities would expand the document past a bound, or when
    so much needs rewriting that the document is garbage."""
    if declared:
        _check_total_expansion(data, declared)
    elif _ANY_SUSPECT.search(data) is None:
        return data  # the common case: one C-speed scan, no callbacks
    rewrites = 0

    def replace(ref: re.Match[bytes]) -> bytes:
        nonlocal rewrites
        rewrites += 1
        if rewrites > MAX_REWRITES:
            raise ParseError(f"not a feed: more than {MAX_REWRITES} broken references")
        return _rewrite(ref, declared)

    return _REWRITE.sub(replace, data)


def _rewrite(ref: re.Match[bytes], declared: Mapping[bytes, bytes]) -> bytes:
    if ref.group("cdata") is not None:
        return ref.group(0)
    if ref.group("bare") is not None:
        return b"&amp;"
    name = ref.group("name")
    if name is not None:
        return declared.get(name) or _HTML_REFS.get(name) or b"&amp;" + name + b";"
    digits = ref.group("hex") or ref.group("dec")
    if digits is None:
        return b"&#xFFFD;"  # more digits than any code point has
    code = int(digits, 16) if ref.group("hex") is not None else int(digits)
    if _is_xml_char(code):
        return ref.group(0)
    # A control character is dropped (as clean_text would); a non-character is marked.
    return b"" if code < 0x20 else b"&#xFFFD;"


def _check_total_expansion(data: bytes, declared: Mapping[bytes, bytes]) -> None:
    total = sum(data.count(b"&" + name + b";") * len(value) for name, value in declared.items())
    if total > MAX_TOTAL_EXPANSION:
        raise ParseError(
            f"entity references would expand the document by {total} bytes (blow-up refused)"
        )


def _is_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
