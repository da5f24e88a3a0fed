"""Outbox rows → email messages. Templates are named by kind (`alert`, `digest`, `feed_health`:
`<kind>.txt.j2` and `<kind>.html.j2`) and rendered by one function, `render`.

HTML templates are autoescaped (feed text is hostile); plain-text ones are not. Every header
value built from feed text goes through `clean_header`: CR, LF and every other control or
line/paragraph separator become spaces, so a title holding "\\r\\nBcc: x@y" stays inside the
Subject. Every message carries `X-Monitor-Kind` and a Message-ID derived from its outbox row(s).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.config import RegionConfig, Settings
from monitor.config import format_duration as duration_text
from monitor.notify.alerts import Delivery
from monitor.records import OutboxRow

KIND_HEADER = {"alert": "alert", "digest": "digest", "feed_health": "feed-health"}
SUBJECT_LIMIT = 200
REGIONS_SHOWN = 3
# A roll-up shows this many matches in full, the rest as one line each.
FULL_MATCHES = 10
Parts = list[tuple[str, bool]]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("monitor.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def clean_header(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line of printable text: controls and separators → spaces, runs collapsed, capped."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    line = " ".join("".join(chars).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def message_id_for(rows: Sequence[OutboxRow]) -> str:
    """Stable per outbox row (or set of rows): a resend after a crash carries the same
    Message-ID, while a roll-up that has since gained rows gets a new one, so a client folding
    duplicates never hides the added matches."""
    keys = "\n".join(row.dedupe_key for row in rows)
    digest = hashlib.sha256(keys.encode("utf-8")).hexdigest()[:12]
    return f"<outbox-{rows[0].id}-{digest}@monitor>"


def render(
    kind: str,
    context: Mapping[str, Any],
    *,
    subject: str,
    sender: str,
    recipient: str,
    message_id: str,
    now: datetime,
    headers: Sequence[tuple[str, str]] = (),
) -> EmailMessage:
    """The one renderer: `<kind>.txt.j2` + `<kind>.html.j2` → a multipart/alternative message."""
    env = _environment()
    message = EmailMessage()
    message["Subject"] = clean_header(subject)
    message["From"] = clean_header(sender, 400)
    message["To"] = clean_header(recipient, 400)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["X-Monitor-Kind"] = KIND_HEADER[kind]
    message["Auto-Submitted"] = "auto-generated"
    for name, value in headers:
        message[name] = clean_header(value)
    text = env.get_template(f"{kind}.txt.j2").render(context)
    html = env.get_template(f"{kind}.html.j2").render(context)
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def compose(job: Delivery, settings: Settings, now: datetime) -> EmailMessage:
    """The message for one delivery (one or more rows of the same kind and recipient)."""
    first = job.rows[0]
    if first.kind == "alert":
        subject, context = alert_view(job, settings)
        headers = [("X-Monitor-Rule", ", ".join(dict.fromkeys(_text(r.payload, "rule")
                                                               for r in job.rows)))]
    elif first.kind == "digest":
        subject, context, headers = _text(first.payload, "subject"), dict(first.payload), []
    else:
        subject, context = feed_health_view(first, settings)
        headers = []
    return render(
        first.kind, context, subject=subject, sender=settings.email.sender,
        recipient=first.recipient, message_id=message_id_for(job.rows), now=now, headers=headers,
    )


# Values for templates --------------------------------------------------------------------


def _text(payload: Mapping[str, object], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def _strings(payload: Mapping[str, object], key: str) -> list[str]:
    value = payload.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def _int(payload: Mapping[str, object], key: str, default: int = 0) -> int:
    value = payload.get(key)
    return value if isinstance(value, int) else default


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> Parts:
    """Split `text` into (piece, highlighted) runs; overlapping spans merge."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: Parts = []
    at = 0
    for start, end in merged:
        parts += [(text[at:start], False)] if start > at else []
        parts.append((text[start:end], True))
        at = end
    return parts + ([(text[at:], False)] if at < len(text) else [])


def _spans(payload: Mapping[str, object], field: str) -> list[tuple[int, int]]:
    hits = payload.get("hits")
    found: list[tuple[int, int]] = []
    for hit in hits if isinstance(hits, list) else []:
        if isinstance(hit, list) and len(hit) == 4 and hit[1] == field:
            found.append((int(hit[2]), int(hit[3])))
    return found


def local_time(value: str | datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """An instant as the recipient reads it: in the digest time zone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(tz)).strftime(fmt)


@lru_cache(maxsize=512)
def country_label(code: str | None) -> str:
    """"IQ" → "Iraq (IQ)"; unknown codes stay as they are."""
    if not code:
        return ""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", None)
    return f"{name} ({code})" if name else code


def region_names(country: str | None, regions: Sequence[RegionConfig]) -> list[str]:
    """The regions a country belongs to, as a reader wants them: the configured ones first, then
    the most specific built-in ones; at most REGIONS_SHOWN."""
    if not country:
        return []
    from monitor.geo.regions import regions_of

    return regions_of(country, regions)[:REGIONS_SHOWN]


def ui_link(base_url: str, match_id: object, item_id: object) -> str | None:
    if not base_url:
        return None
    if isinstance(match_id, int):
        return f"{base_url}/matches/{match_id}"
    return f"{base_url}/items/{item_id}" if isinstance(item_id, int) else None


def match_view(payload: Mapping[str, object], settings: Settings) -> dict[str, Any]:
    title, summary = _text(payload, "title"), _text(payload, "summary")
    primary = _text(payload, "primary_country") or None
    link = _text(payload, "link")
    return {
        "rule": _text(payload, "rule"),
        "query": _text(payload, "query"),
        "severity": _text(payload, "severity") or "urgent",
        "follow_up": payload.get("update") is True,
        "title": clean_header(title, 500),
        "title_parts": highlight(title, _spans(payload, "title")),
        "summary_parts": highlight(summary, _spans(payload, "summary")),
        "terms": _strings(payload, "terms"),
        "source": _text(payload, "source"),
        "outlets": _int(payload, "outlets", 1),
        "published": local_time(
            _text(payload, "published_at") or _text(payload, "fetched_at") or None,
            settings.digest.timezone,
        ),
        "primary": country_label(primary),
        "countries": [country_label(c) for c in _strings(payload, "countries")],
        "regions": region_names(primary, settings.regions),
        "link": link if link.lower().startswith(("http://", "https://")) else None,
        "ui_link": ui_link(settings.web.base_url, payload.get("match_id"), payload.get("item_id")),
    }


def _alert_subject(job: Delivery, first: dict[str, Any], count: int, since: str) -> str:
    severity = str(first["severity"]).upper()
    if job.flood:
        return f"[{severity}] {count} matches rolled up (flood guard): {first['title']}"
    if job.since is not None:
        more = "1 more match" if count == 1 else f"{count} more matches"
        return f"[{severity}] {first['rule']}: {more} since {since}: {first['title']}"
    extra = f" (+{count - 1} more)" if count > 1 else ""
    update = "update: " if first["follow_up"] else ""
    return f"[{severity}] {first['rule']}: {update}{first['title']}{extra}"


def alert_view(job: Delivery, settings: Settings) -> tuple[str, dict[str, Any]]:
    matches = [match_view(row.payload, settings) for row in job.rows]
    since = local_time(job.since, settings.digest.timezone, "%H:%M") if job.since else ""
    cooldown = max((r.cooldown_s for r in settings.rules if r.name == matches[0]["rule"]),
                   default=0)
    context = {
        "matches": matches[:FULL_MATCHES],
        "others": matches[FULL_MATCHES:],
        "count": len(matches),
        "since": since,
        "flood": job.flood,
        "max_per_hour": settings.email.max_per_hour,
        "cooldown": duration_text(cooldown) if cooldown else "",
        "timezone": settings.digest.timezone,
    }
    return _alert_subject(job, matches[0], len(matches), since), context


def feed_health_view(row: OutboxRow, settings: Settings) -> tuple[str, dict[str, Any]]:
    p = row.payload
    context = {
        "feed_name": _text(p, "feed_name") or _text(p, "feed_url"),
        "feed_url": _text(p, "feed_url"),
        "event": _text(p, "event"),
        "detail": _text(p, "detail"),
        "at": local_time(_text(p, "at") or None, settings.digest.timezone),
    }
    return f"[feed {context['event']}] {context['feed_name']}: {context['detail']}", context
