"""Stored-string safety: clean_text, clean_link, sanitize_html, html_to_text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.sanitize import (
    MAX_URL_LEN,
    clean_link,
    clean_text,
    html_to_text,
    resolve_link,
    sanitize_html,
    strip_invisible,
)

# What must never reach storage: controls (tab/newline aside), lone surrogates, bidi controls.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufeff]"
)
any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=300)
hostile_text = st.text(
    alphabet=st.sampled_from(
        list("ab \t\n\r\x00\x01\x1b\x7f\x85\x9f\u00a0\u200b\u202e\u2028\u2066\ud800\udfff\ufeff")
    ),
    max_size=200,
)
text_inputs = st.one_of(any_text, hostile_text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Rocket\t attack \n in  Baghdad ", "Rocket attack in Baghdad"),
        ("NUL\x00 byte", "NUL byte"),
        ("bell\x07 and esc\x1b[31m", "bell and esc[31m"),
        ("C1\x9b control", "C1 control"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("\u202egpj.exe", "gpj.exe"),
        ("isolate \u2066x\u2069", "isolate x"),
        ("Bagh\u200bdad", "Baghdad"),
        ("soft\u00adhyphen", "softhyphen"),
        ("\ufeffBOM", "BOM"),
        ("non\u00a0breaking", "non breaking"),
        ("زن\u200cها", "زن\u200cها"),  # ZWNJ is part of Persian spelling and stays
        ("line\u2028separator", "line separator"),
    ],
)
def test_clean_text_removes_what_must_not_be_stored(raw: str, expected: str) -> None:
    assert clean_text(raw, max_len=100) == expected


def test_clean_text_keeps_single_line_breaks_when_asked() -> None:
    raw = "  first line \r\n\n\n\n second\tline \u2029third\n\n"
    assert clean_text(raw, max_len=100, keep_newlines=True) == "first line\n\nsecond line\nthird"


def test_clean_text_caps_the_length_without_a_trailing_space() -> None:
    assert clean_text("abc def ghi", max_len=8) == "abc def"


@given(text_inputs, st.integers(min_value=0, max_value=120), st.booleans())
def test_clean_text_output_is_safe_bounded_and_idempotent(
    raw: str, max_len: int, keep_newlines: bool
) -> None:
    once = clean_text(raw, max_len=max_len, keep_newlines=keep_newlines)
    assert FORBIDDEN.search(once) is None
    assert len(once) <= max_len
    assert once == once.strip()
    assert clean_text(once, max_len=max_len, keep_newlines=keep_newlines) == once
    once.encode("utf-8")  # a lone surrogate would raise here
    if not keep_newlines:
        assert "\n" not in once and "\t" not in once and "  " not in once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.org/a?b=1#c", "https://example.org/a?b=1#c"),
        ("HTTP://Example.org/", "http://Example.org/"),
        ("  https://example.org/x \n", "https://example.org/x"),
        ("https://exa\tmple.org/x\ny", "https://example.org/xy"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/\u202eevil", "https://example.org/evil"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>x</script>", None),
        ("file:///etc/passwd", None),
        ("mailto:a@example.org", None),
        ("ftp://example.org/x", None),
        ("/relative/path", None),
        ("//example.org/protocol-relative", None),
        ("https://", None),
        ("https://[::1", None),
        ("https://example.org:99999/", None),
        ("https://" + "a" * MAX_URL_LEN + ".org/", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_link_keeps_only_absolute_http_links(raw: str | None, expected: str | None) -> None:
    assert clean_link(raw) == expected


@given(text_inputs)
def test_clean_link_output_is_http_bounded_and_idempotent(raw: str) -> None:
    for candidate in (raw, "https://example.org/" + raw, "http://" + raw):
        cleaned = clean_link(candidate)
        if cleaned is None:
            continue
        assert cleaned.startswith(("http://", "https://"))
        assert len(cleaned) <= MAX_URL_LEN
        assert FORBIDDEN.search(cleaned) is None and not re.search(r"\s", cleaned)
        assert clean_link(cleaned) == cleaned


@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("/a", "https://example.org/feed/rss", "https://example.org/a"),
        ("b", "https://example.org/feed/rss", "https://example.org/feed/b"),
        ("https://other.example/x", "https://example.org/", "https://other.example/x"),
        ("javascript:alert(1)", "https://example.org/", None),
        ("/a", None, None),
    ],
)
def test_resolve_link_resolves_relative_links_then_cleans(
    link: str, base: str | None, expected: str | None
) -> None:
    assert resolve_link(link, base) == expected


HOSTILE_HTML = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT&colon;alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name="p"><button>go</button></form>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)><circle/></svg>",
    '<object data="https://evil.example/x.swf"></object>',
    '<p onclick="x()">y</p>',
    "<scr<script>ipt>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="https://ok.example/" target="_blank">ok</a>',
]


@pytest.mark.parametrize("html", HOSTILE_HTML)
def test_sanitize_html_leaves_nothing_active(html: str) -> None:
    safe = sanitize_html(html).lower()
    for active in (
        "<script",
        "onerror",
        "onload",
        "onclick",
        "javascript",
        "data:",
        "<iframe",
        "<form",
        "<input",
        "<style",
        "style=",
        "<svg",
        "<object",
        "target=",
    ):
        assert active not in safe


def test_sanitize_html_keeps_ordinary_formatting_and_marks_links() -> None:
    html = '<p>A <b>bold</b> <a href="https://ok.example/x">link</a></p><ul><li>one</li></ul>'
    assert sanitize_html(html) == (
        '<p>A <b>bold</b> <a href="https://ok.example/x" rel="noopener noreferrer">link</a></p>'
        "<ul><li>one</li></ul>"
    )


def test_sanitize_html_resolves_relative_urls_or_drops_them() -> None:
    html = '<a href="/x">x</a><img src="i.png">'
    assert sanitize_html(html, base_url="https://ok.example/news/") == (
        '<a href="https://ok.example/x" rel="noopener noreferrer">x</a>'
        '<img src="https://ok.example/news/i.png">'
    )
    assert 'href="/x"' not in sanitize_html(html)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One\n\nTwo & three"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<b>bold</b>and<i>italic</i>", "boldanditalic"),
        ("x<script>var a = '<p>';</script>y", "xy"),
        ("<style>p { color: red }</style>text", "text"),
        ("caf&eacute; &lt;tag&gt; &#8217; &nbsp;x", "café <tag> ’ x"),
        ("Profits &lt; expectations", "Profits < expectations"),
        ("a < b and c > d", "a < b and c > d"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<!-- hidden -->shown", "shown"),
        ("", ""),
    ],
)
def test_html_to_text_gives_the_plain_text_for_matching(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@given(any_text)
def test_html_to_text_never_leaves_tags_from_markup(raw: str) -> None:
    text = html_to_text(f"<p>{raw}</p><script>secret()</script>")
    assert "secret()" not in text


def test_strip_invisible_leaves_whitespace_alone() -> None:
    assert strip_invisible("<p>a\u202e\n  b\x00</p>") == "<p>a\n  b</p>"
