"""Offline demo: a loopback HTTP server for the sample feeds and a throw-away config.

Each item of the sample feeds in `config/demo/feeds/` (RSS 2.0, RSS 1.0/RDF, Atom) carries a
private release offset in seconds after the demo starts, `<demo:release>45</demo:release>` in
namespace `urn:monitor:demo`. `DemoServer` serves only the items whose offset has passed, so a
newcomer watches news "break" over about two minutes. It strips the release elements and the
namespace declaration, moves every date so that `DEMO_EPOCH` becomes its start time (items stay
recent, so alerts fire), and answers like a polite server: Content-Type by format, an ETag of the
served bytes, Last-Modified of the newest item, 304 for a matching If-None-Match. Documents are
processed textually (a regex over `<item>`/`<entry>` blocks), so the rest is served as written.

`write_demo_config()` copies `demo.toml` pointed at the running server, relative paths made
absolute, so the copy can live in a throw-away directory.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# The moment the sample feeds were written for; the server maps it to its own start time.
DEMO_EPOCH = datetime(2026, 1, 3, 19, 30, tzinfo=UTC)

_ITEM = re.compile(r"[ \t]*<(?P<tag>item|entry)\b[^>]*>.*?</(?P=tag)>[ \t]*\n?", re.S)
_RELEASE = re.compile(r"[ \t]*<demo:release\b[^>]*>\s*(?P<s>[\d.]+)\s*</demo:release>[ \t]*\n?")
_NS_DECL = re.compile(r"\s+xmlns:demo\s*=\s*(['\"])urn:monitor:demo\1")
_ABOUT = re.compile(r"\brdf:about=\"([^\"]*)\"")
_SEQ_LI = re.compile(r"[ \t]*<rdf:li\s+rdf:resource=\"([^\"]*)\"\s*/>[ \t]*\n?")
_DATE_TAGS = "pubDate|lastBuildDate|updated|published|dc:date"
_DATE = re.compile(rf"<(?P<tag>{_DATE_TAGS})>(?P<value>[^<]+)</(?P=tag)>")
_RFC822_TAGS = frozenset({"pubDate", "lastBuildDate"})
_ROOT = re.compile(r"<(rss|feed|rdf:RDF)[\s>]")
_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "feed": "application/atom+xml; charset=utf-8",
    "rdf:RDF": "application/rdf+xml; charset=utf-8",
}
_LOOPBACK_FEED_URL = re.compile(r"http://127\.0\.0\.1:\d+/")

DateMap = Callable[[datetime], datetime]


@dataclass(frozen=True)
class DemoItem:
    """One item or entry block, release element removed."""

    text: str
    release_s: float
    about: str | None = None


@dataclass(frozen=True)
class DemoFeed:
    """A sample feed split into document text and items (in document order)."""

    name: str
    content_type: str
    parts: tuple[str | DemoItem, ...]

    @property
    def items(self) -> tuple[DemoItem, ...]:
        return tuple(p for p in self.parts if isinstance(p, DemoItem))


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""


def default_demo_dir() -> Path:
    """`config/demo` of the source checkout this package runs from."""
    return Path(__file__).resolve().parent.parent / "config" / "demo"


def load_feed(path: Path) -> DemoFeed:
    """Read a sample feed; every item must carry a release offset (ValueError otherwise)."""
    text = _NS_DECL.sub("", path.read_text(encoding="utf-8"))
    root = _ROOT.search(text)
    content_type = _CONTENT_TYPES[root.group(1)] if root else "application/xml; charset=utf-8"
    parts: list[str | DemoItem] = []
    pos = 0
    for m in _ITEM.finditer(text):
        parts.append(text[pos : m.start()])
        parts.append(_split_item(m.group(0), path.name))
        pos = m.end()
    parts.append(text[pos:])
    return DemoFeed(path.name, content_type, tuple(parts))


def _split_item(block: str, name: str) -> DemoItem:
    release = _RELEASE.search(block)
    if release is None:
        raise ValueError(f"{name}: an item has no demo:release offset: {block.strip()[:80]!r}")
    about = m.group(1) if (m := _ABOUT.search(block)) else None
    return DemoItem(_RELEASE.sub("", block), float(release.group("s")), about)


def load_feeds(feeds_dir: Path) -> dict[str, DemoFeed]:
    """Every `*.xml` sample feed in `feeds_dir`, by file name."""
    feeds = {p.name: load_feed(p) for p in sorted(feeds_dir.glob("*.xml"))}
    if not feeds:
        raise ValueError(f"no *.xml feeds in {feeds_dir}")
    return feeds


def demo_date_map(wall0: float, speed: float = 1.0) -> DateMap:
    """Map a sample date to real time: `DEMO_EPOCH` → `wall0`; later dates compressed by speed."""

    def shift(original: datetime) -> datetime:
        delta = (original - DEMO_EPOCH).total_seconds()
        if delta > 0:
            delta /= speed
        return datetime.fromtimestamp(int(wall0 + delta), UTC)

    return shift


def _parse_date(tag: str, value: str) -> datetime | None:
    parse = parsedate_to_datetime if tag in _RFC822_TAGS else datetime.fromisoformat
    try:
        parsed = parse(value.strip())
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _format_date(tag: str, original: str, dt: datetime) -> str:
    if tag in _RFC822_TAGS:
        return format_datetime(dt, usegmt=original.rstrip().endswith("GMT"))
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rewrite_dates(text: str, to_date: Callable[[str, str], datetime | None]) -> str:
    def repl(m: re.Match[str]) -> str:
        tag, value = m.group("tag"), m.group("value")
        new = to_date(tag, value)
        return m.group(0) if new is None else f"<{tag}>{_format_date(tag, value, new)}</{tag}>"

    return _DATE.sub(repl, text)


def _item_dates(text: str, date_map: DateMap) -> list[datetime]:
    found = (_parse_date(m.group("tag"), m.group("value")) for m in _DATE.finditer(text))
    return [date_map(d) for d in found if d is not None]


def render_feed(feed: DemoFeed, elapsed_s: float, date_map: DateMap) -> tuple[str, datetime | None]:
    """The document as served `elapsed_s` demo-seconds after start, and its newest item date.

    Unreleased items are left out (with their RSS 1.0 `rdf:li`); item dates go through
    `date_map`; feed-level dates become the newest released item's date."""
    released = [i for i in feed.items if i.release_s <= elapsed_s]
    hidden = {i.about for i in feed.items if i.release_s > elapsed_s and i.about}
    newest = max((d for i in released for d in _item_dates(i.text, date_map)), default=None)
    out: list[str] = []
    for part in feed.parts:
        if isinstance(part, str):
            part = _SEQ_LI.sub(lambda m: "" if m.group(1) in hidden else m.group(0), part)
            out.append(_rewrite_dates(part, lambda t, v: newest or _mapped(t, v, date_map)))
        elif part.release_s <= elapsed_s:
            out.append(_rewrite_dates(part.text, lambda t, v: _mapped(t, v, date_map)))
    return "".join(out), newest


def _mapped(tag: str, value: str, date_map: DateMap) -> datetime | None:
    parsed = _parse_date(tag, value)
    return None if parsed is None else date_map(parsed)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def conditional_response(
    body: bytes, content_type: str, last_modified: datetime, request_headers: Mapping[str, str]
) -> Response:
    """200 with validators, or 304 when the client's validators still hold (RFC 9110 §13.2.2:
    If-None-Match wins; If-Modified-Since is only looked at when it is absent)."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified, usegmt=True),
        "Cache-Control": "no-cache",
    }
    asked = {k.lower(): v for k, v in request_headers.items()}
    if "if-none-match" in asked:
        unchanged = _etag_matches(asked["if-none-match"], etag)
    else:
        since = _parse_date("pubDate", asked.get("if-modified-since", ""))
        unchanged = since is not None and last_modified <= since
    if unchanged:
        return Response(304, headers)
    headers |= {"Content-Type": content_type, "Content-Length": str(len(body))}
    return Response(200, headers, body)


def _text_response(status: int, text: str) -> Response:
    body = text.encode("utf-8")
    headers = {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))}
    return Response(status, headers, body)


class DemoServer:
    """Serves the sample feeds of `feeds_dir` on 127.0.0.1, releasing items as time passes.

    `clock` measures elapsed time (seconds, monotonic); `speed` > 1 releases items faster;
    `wall_clock` anchors the served dates (`DEMO_EPOCH` becomes the wall time at `start()`).
    """

    def __init__(
        self,
        feeds_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.feeds = load_feeds(feeds_dir)
        self._clock, self._wall_clock, self._speed = clock, wall_clock, speed
        self._lock = threading.Lock()
        self._t0: float | None = None
        self._wall_start = self._skip_s = 0.0
        self._httpd: _DemoHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def duration_s(self) -> float:
        """Demo-seconds until the last item is released."""
        return max(i.release_s for f in self.feeds.values() for i in f.items)

    def elapsed_s(self) -> float:
        """Demo-seconds since start (0 before `start()`), `release_all()` jumps included."""
        with self._lock:
            return self._elapsed_unlocked()

    def _elapsed_unlocked(self) -> float:
        running = 0.0 if self._t0 is None else (self._clock() - self._t0) * self._speed
        return running + self._skip_s

    def release_all(self) -> None:
        """Make every item visible now (dated in the past), before or after `start()`."""
        with self._lock:
            self._skip_s += max(0.0, self.duration_s - self._elapsed_unlocked())

    def next_release_in(self) -> float | None:
        """Real seconds until the next item is released, None when all are out."""
        now = self.elapsed_s()
        future = [i.release_s for f in self.feeds.values() for i in f.items if i.release_s > now]
        return (min(future) - now) / self._speed if future else None

    def _date_map(self) -> DateMap:
        with self._lock:
            wall0 = self._wall_start - self._skip_s / self._speed
        return demo_date_map(wall0, self._speed)

    def respond(self, path: str, request_headers: Mapping[str, str]) -> Response:
        """What a GET of `path` returns now."""
        name = urlsplit(path).path.lstrip("/")
        if name == "":
            return _text_response(200, "\n".join(["demo feeds:", *map(self.url_for, self.feeds)]))
        feed = self.feeds.get(name)
        if feed is None:
            return _text_response(404, "not found\n")
        date_map = self._date_map()
        text, newest = render_feed(feed, self.elapsed_s(), date_map)
        modified = newest or date_map(DEMO_EPOCH)
        return conditional_response(text.encode(), feed.content_type, modified, request_headers)

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the demo server is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def url_for(self, filename: str) -> str:
        """The served URL of one sample feed (KeyError for an unknown name)."""
        if filename not in self.feeds:
            raise KeyError(filename)
        return self.base_url + filename

    def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1 (port 0: any free port) in a background thread; return base URL."""
        if self._httpd is not None:
            raise RuntimeError("the demo server is already started")
        httpd = _DemoHTTPServer(("127.0.0.1", port), _Handler)
        httpd.demo = self
        with self._lock:
            self._t0 = self._clock()
            self._wall_start = self._wall_clock()
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="demo", daemon=True)
        self._thread.start()
        logger.info("demo_server_started url=%s duration_s=%.0f", self.base_url, self.duration_s)
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close the socket (safe to call twice)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
        self._httpd = self._thread = None
        logger.info("demo_server_stopped")


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    demo: DemoServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "monitor-demo/1.0"

    def do_GET(self) -> None:
        self._send(head=False)

    def do_HEAD(self) -> None:
        self._send(head=True)

    def _send(self, head: bool) -> None:
        demo = cast(_DemoHTTPServer, self.server).demo
        response = demo.respond(self.path, dict(self.headers.items()))
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if not head and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("demo_request %s", format % args)


def write_demo_config(src: Path, dest: Path, base_url: str, data_dir: Path | None = None) -> Path:
    """Copy the demo config `src` for a server at `base_url`; return the written file.

    `dest` is the file to write, or (without a `.toml` suffix) the directory to write
    `monitor.toml` into. Feed URLs on 127.0.0.1 (any port) are pointed at `base_url`; the
    relative SQLite path and `outbox_dir` are made absolute (against `src`'s folder, as the
    loader would, or moved into `data_dir` when given) so the copy works from its new place.
    Their folders are created.
    """
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"not a loopback demo URL: {base_url!r}")
    base = base_url.rstrip("/") + "/"
    text = src.read_text(encoding="utf-8")
    text = _LOOPBACK_FEED_URL.sub(lambda _m: base, text)
    text, folders = _absolute_paths(text, src.resolve().parent, data_dir)
    data = tomllib.loads(text)
    stray = [f["url"] for f in data.get("feeds", []) if not str(f.get("url", "")).startswith(base)]
    if stray:
        raise ValueError(f"{src}: feeds not served by the demo server: {', '.join(stray)}")
    target = dest if dest.suffix == ".toml" else dest / "monitor.toml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return target


_SQLITE_URL = re.compile(r"^(\s*url\s*=\s*)\"sqlite:///(?!/)([^\"]+)\"", re.M)
_OUTBOX_DIR = re.compile(r"^(\s*outbox_dir\s*=\s*)\"(?!/)([^\"]+)\"", re.M)


def _absolute_paths(text: str, folder: Path, data_dir: Path | None) -> tuple[str, list[Path]]:
    """Relative SQLite file and outbox_dir → absolute; also returns the folders they need."""
    folders: list[Path] = []

    def absolute(rel: str, is_file: bool) -> str:
        path = (data_dir / Path(rel).name if data_dir else folder / rel).resolve()
        folders.append(path.parent if is_file else path)
        return str(path).replace("\\", "\\\\").replace('"', '\\"')

    text = _SQLITE_URL.sub(lambda m: f'{m.group(1)}"sqlite:///{absolute(m.group(2), True)}"', text)
    text = _OUTBOX_DIR.sub(lambda m: f'{m.group(1)}"{absolute(m.group(2), False)}"', text)
    return text, folders
