"""Bytes → UTF-8 bytes, before any parser sees a document.

The parsers then all read the same UTF-8 text: the Content-Type charset is honoured (HTTP wins
over the XML prolog, as RFC 7303 says), UTF-16/32 documents are transcoded so that nothing
(a DOCTYPE included) can hide from the byte-level screens, and the prolog is rewritten to say
utf-8. Labels browsers treat as windows-1252 (latin-1, ascii) are decoded as windows-1252.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WINDOWS_1252_ALIASES = {"latin_1", "iso8859_1", "ascii", "cp1252"}
_PROLOG_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_PROLOG_ENCODING_ATTR = re.compile(rb"""(<\?xml[^>]{0,200}?encoding\s*=\s*["'])[^"']*(["'])""")


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """The charset parameter of a Content-Type header (header names compared case-blind)."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "content-type":
            found = _CHARSET_PARAM.search(value)
            return found.group(1) if found else None
    return None


def to_utf8(body: bytes, charset: str | None) -> bytes:
    """`body` as UTF-8 bytes with any BOM dropped and the XML prolog saying utf-8.

    Order of authority: a BOM, then `charset` (from HTTP), then the XML prolog; a declared
    encoding decodes with replacement characters for bad bytes. Undeclared documents are UTF-8
    when they decode as such, else windows-1252. One exception: a latin-1/windows-1252 label
    on bytes that are valid UTF-8 with non-ASCII characters is a server default, not a fact
    (latin-1 text practically never forms valid UTF-8 sequences), so UTF-8 wins.
    """
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return _transcode(body[len(bom) :], bom_encoding)
    sniffed = _sniff_utf16(body)
    declared = sniffed or _known_codec(charset) or _known_codec(_prolog_encoding(body))
    if declared is not None and declared.startswith(("utf_16", "utf_32")) and sniffed is None:
        # A wide encoding declared on a document that does not look wide: the label is wrong.
        declared = None
    if declared in (None, "utf_8") or (declared == "cp1252" and not body.isascii()):
        try:
            body.decode("utf-8")
            return _say_utf8(body)
        except UnicodeDecodeError:
            pass
    return _transcode(body, declared or "cp1252")


def _transcode(body: bytes, encoding: str) -> bytes:
    return _say_utf8(body.decode(encoding, errors="replace").encode("utf-8", errors="replace"))


def _say_utf8(data: bytes) -> bytes:
    """`data` with its prolog (if it names another encoding) rewritten to say utf-8."""
    if _known_codec(_prolog_encoding(data)) in (None, "utf_8"):
        return data
    return _PROLOG_ENCODING_ATTR.sub(rb"\1utf-8\2", data[:300], count=1) + data[300:]


def _sniff_utf16(body: bytes) -> str | None:
    # A BOM-less UTF-16 document still starts with "<?" in its encoding (XML 1.0 appendix F).
    if body.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if body.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    return None


def _prolog_encoding(body: bytes) -> str | None:
    found = _PROLOG_ENCODING.match(body[:300])
    return found.group(1).decode("ascii") if found else None


def _known_codec(label: str | None) -> str | None:
    """Python's codec name for a charset label, or None when unknown or not a text encoding."""
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    name = info.name.replace("-", "_")
    if name in _WINDOWS_1252_ALIASES:
        return "cp1252"
    return name
