"""Making feed strings safe to store, match, mail and display.

Every string a feed gives us is hostile until cleaned: it may carry NUL bytes (which some
databases and mail servers choke on), control characters (header injection), lone surrogates
(which cannot be encoded to UTF-8 at all), bidi overrides (which make "gpj.exe" read as
"exe.jpg"), and invisible characters that split words so a rule term no longer matches.
HTML is sanitised with nh3 (ammonia, html5ever) before anything displays it.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3

MAX_URL_LEN = 2048

# Removed outright: C0/C1 controls other than whitespace, DEL, lone surrogates, bidi embeddings,
# overrides and isolates, and invisible characters that split words (ZWSP, word joiner, soft
# hyphen, BOM, invisible operators, deprecated format characters, tag characters).
# ZWJ/ZWNJ (U+200C/D) stay: Persian, Indic scripts and emoji need them.
_INVISIBLE = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\u00ad\u180e\u200b\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff\U000e0000-\U000e007f"
)
_REMOVE = re.compile(f"[{_INVISIBLE}]")
# In URLs every whitespace and control character goes (browsers drop tab/CR/LF inside URLs).
_URL_REMOVE = re.compile(f"[{_INVISIBLE}\t\n\r\x85]")
_URL_SPACES = re.compile(r"\s")
# The common case, accepted without urlsplit: scheme, a plain host name, optional port, and a
# path of printable ASCII without spaces or backslashes.
_SIMPLE_URL = re.compile(
    r"(https?)://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?(?::(\d{1,5}))?(?:[/?#][!-\[\]-~]*)?",
    re.IGNORECASE,
)

_TEXT_TAGS = set(
    "p div br li tr td th h1 h2 h3 h4 h5 h6 blockquote pre hr dd dt figcaption".split()
)
_INLINE_TAGS = set(
    "a abbr b cite code del em i ins q s small span strong sub sup time u img".split()
)
_STRUCTURE_TAGS = set("ul ol dl table thead tbody tfoot figure caption".split())
SAFE_TAGS = frozenset(_TEXT_TAGS | _INLINE_TAGS | _STRUCTURE_TAGS)
SAFE_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "time": {"datetime"},
}
# Their content is dropped, not just the tag: code, styles, embedded documents and form controls.
_DROP_WITH_CONTENT = set(
    "script style noscript template iframe object embed applet svg math textarea select button"
    " title head".split()
)
# Paragraph-like blocks break before and after (a blank line between two of them); list items,
# rows and cells only before, so a list reads one item per line.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|blockquote|pre|hr|figcaption)\b[^>]*>|<(?:br|li|tr|td|th|dd|dt)\b[^>]*>"
)
# nh3's output is well-formed, quotes every attribute and escapes "<" in text and attributes.
_ANY_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
_TEXT_CLEANER = nh3.Cleaner(
    tags=set(_TEXT_TAGS), attributes={}, clean_content_tags=_DROP_WITH_CONTENT, link_rel=None
)


def clean_text(s: str, *, max_len: int, keep_newlines: bool = False) -> str:
    """Text safe to store: invisible/control characters removed, whitespace collapsed, capped.

    With `keep_newlines`, line breaks survive (at most one blank line in a row); otherwise every
    run of whitespace becomes one space. Idempotent.
    """
    s = strip_invisible(s)
    if keep_newlines:
        s = _collapse_lines(s)
    else:
        s = " ".join(s.split())
    if len(s) > max_len:
        s = s[:max_len].rstrip()
    return s


def strip_invisible(s: str) -> str:
    """`s` without the characters `clean_text` removes, whitespace untouched (for HTML)."""
    # Most feed text is printable ASCII, which holds none of them: skip the regex scan.
    if s.isascii() and s.isprintable():
        return s
    return _REMOVE.sub("", s) if _REMOVE.search(s) is not None else s


def _collapse_lines(s: str) -> str:
    lines: list[str] = []
    for raw in s.splitlines():
        line = " ".join(raw.split())
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def clean_link(url: str | None) -> str | None:
    """An absolute http(s) URL safe to store and to put in an href, or None.

    Controls and invisible characters are dropped, inner spaces percent-encoded; other schemes
    (javascript:, data:, file:, mailto:), relative references, hostless or malformed URLs and
    URLs longer than 2048 characters give None. Idempotent.
    """
    if url is None or len(url) > 2 * MAX_URL_LEN:
        return None
    simple = _SIMPLE_URL.fullmatch(url)
    if simple is not None and len(url) <= MAX_URL_LEN and int(simple.group(2) or 0) < 65536:
        return simple.group(1).lower() + url[len(simple.group(1)) :]
    if not (url.isascii() and url.isprintable()):
        url = _URL_REMOVE.sub("", url)
    url = url.strip()
    if " " in url or not url.isascii():
        url = _URL_SPACES.sub("%20", url)
    if not url or len(url) > MAX_URL_LEN:
        return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return None
    if "\\" in parts.netloc or "%" in parts.netloc.rpartition("@")[2]:
        return None
    return scheme + url[len(parts.scheme) :]


def resolve_link(link: str | None, base: str | None) -> str | None:
    """`link` resolved against `base` (when relative), then cleaned with `clean_link`."""
    if link is None or len(link) > 2 * MAX_URL_LEN:
        return None
    if base and "://" not in link[:16]:
        try:
            link = urljoin(base, link.strip())
        except ValueError:
            return None
    return clean_link(link)


def sanitize_html(html_text: str, *, base_url: str | None = None) -> str:
    """HTML safe to display: a conservative allow-list of tags and attributes (no scripts,
    styles, forms, frames or event handlers), links with rel="noopener noreferrer", and only
    absolute http(s) URLs (relative ones resolved against `base_url`, or dropped without one).
    """
    return display_cleaner(base_url).clean(strip_invisible(html_text))


def display_cleaner(base_url: str | None) -> nh3.Cleaner:
    """The nh3 cleaner `sanitize_html` uses for documents at `base_url` (reuse it per feed)."""
    return _display_cleaner(clean_link(base_url) if base_url else None)


@lru_cache(maxsize=512)
def _display_cleaner(base_url: str | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(SAFE_TAGS),
        attributes=SAFE_ATTRIBUTES,
        clean_content_tags=_DROP_WITH_CONTENT,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
        url_relative=("rewrite_with_base", base_url) if base_url else "deny",
    )


def html_to_text(html_text: str) -> str:
    """Plain text of an HTML fragment, for matching: tags removed (scripts and styles with
    their content), entities decoded, block elements turned into line breaks, whitespace
    collapsed (newlines kept, at most one blank line in a row)."""
    return text_of_safe_html(_TEXT_CLEANER.clean(strip_invisible(html_text)))


def text_of_safe_html(safe_html: str, *, max_len: int | None = None) -> str:
    """Plain text of HTML that nh3 already sanitised (as `sanitize_html` returns it), cleaned as
    `clean_text(..., keep_newlines=True)` does; avoids a second sanitising pass when both the
    display HTML and the text are wanted."""
    if "<" in safe_html:
        safe_html = _ANY_TAG.sub("", _BLOCK_TAG.sub("\n", safe_html))
    if "&" in safe_html:
        safe_html = html.unescape(safe_html)
    return clean_text(safe_html, max_len=max_len or len(safe_html), keep_newlines=True)


def looks_like_html(text: str) -> bool:
    """Whether a string carries markup or entities worth decoding (titles usually do not)."""
    return _MARKUP_HINT.search(text) is not None


_MARKUP_HINT = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});")
