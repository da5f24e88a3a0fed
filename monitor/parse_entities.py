"""Entity declarations and references: the part of XML that turns small documents into big ones.

`screen_internal_subset` reads a DOCTYPE's internal subset with a whitelist tokenizer and
refuses external entities (XXE), parameter entities, and internal entities whose expansion
grows past a few kilobytes (billion laughs). `normalise_references` then rewrites every entity
and character reference the parsers would choke on, so lxml (which cuts text short at an
undefined entity) and feedparser (which raises on `&#xD800;` or `&#99999999999;`) read the same
characters: HTML named entities become numeric references, unknown names become literal text,
invalid code points become U+FFFD, and the few small declared entities are expanded here with a
bound on the total.
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
_ANY_REF = re.compile(
    rb"&(?:#[xX]0*([0-9A-Fa-f]{1,8})|#0*([0-9]{1,10})|(?!(?:amp|lt|gt|quot|apos);)"
    rb"([A-Za-z][A-Za-z0-9]{0,31}));|&#[xX]?[0-9A-Fa-f]{9,};"
)
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
    Raises ParseError when declared entities would expand the document past a bound."""
    if b"&" not in data:
        return data
    if declared:
        _check_total_expansion(data, declared)

    def replace(ref: re.Match[bytes]) -> bytes:
        hex_digits, decimal, name = ref.groups()
        if name is not None:
            return declared.get(name) or _HTML_REFS.get(name) or b"&amp;" + name + b";"
        if hex_digits is None and decimal is None:
            return b"&#xFFFD;"
        code = int(hex_digits, 16) if hex_digits is not None else int(decimal)
        if _is_xml_char(code):
            return ref.group(0)
        # A control character is dropped (as clean_text would); a non-character is marked.
        return b"" if code < 0x20 else b"&#xFFFD;"

    return _ANY_REF.sub(replace, data)


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
