"""The config loader's section builders: one function per TOML section, each returning its
frozen dataclass and recording problems on the shared list (see `monitor.config`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from monitor.config import (
    DatabaseSettings,
    DigestSettings,
    EmailSettings,
    FeedAuth,
    FeedConfig,
    FetchSettings,
    PlaceConfig,
    RegionConfig,
    RuleConfig,
    Settings,
    WebSettings,
    WorkerSettings,
    format_duration,
    parse_duration,
    parse_size,
)
from monitor.config_validate import (
    TableReader,
    canonical_url,
    email_problem,
    env_name_problem,
    has_control_chars,
    header_name_problem,
    http_url_problem,
    is_loopback_host,
    read_secret,
    timezone_problem,
)
from monitor.schedule import parse_hhmm
from monitor.types import Severity, Where

TIERS = ("wire", "broadcaster", "outlet", "other")
SEVERITIES = ("urgent", "normal")
WHERES = ("happened", "mentioned")
SMTP_SECURITY_PORTS = {"none": 25, "starttls": 587, "tls": 465}
WEB_AUTH = ("password", "none")
# Headers the fetcher owns: overriding them would break conditional GET or the gzip-only rule.
_MANAGED_HEADERS = frozenset(
    {"host", "accept-encoding", "content-length", "transfer-encoding", "connection",
     "if-none-match", "if-modified-since", "te", "upgrade"}
)


def build_settings(top: TableReader, path: Path, environ: Mapping[str, str]) -> Settings:
    """Every section of the document at `path`; problems land on `top.problems`."""
    database = _database(top.section("database"), environ)
    fetch = _fetch(top.section("fetch"))
    settings = Settings(
        path=path,
        database=database,
        fetch=fetch,
        worker=_worker(top.section("worker")),
        feeds=_feeds(top.tables("feeds"), fetch, environ),
        places=tuple(_place(r) for r in top.tables("places")),
        regions=_regions(top.tables("regions")),
        rules=_rules(top.tables("rules")),
        email=_email(top.section("email"), path.parent, environ),
        digest=_digest(top.section("digest")),
        web=_web(top.section("web"), environ),
    )
    top.report_unknown()
    if settings.worker.lease_s <= settings.fetch.timeout_s:
        limit = format_duration(settings.fetch.timeout_s)
        top.problem("worker.lease", f"must be longer than fetch.timeout ({limit})")
    return settings


def _duration(r: TableReader, key: str, default: float, *, allow_zero: bool = False) -> float:
    value = r.convert(key, default, parse_duration, 'a duration string like "15m"')
    if value <= 0 and not allow_zero:
        r.problem(key, "must be longer than 0s")
        return default
    return value


def _seconds(r: TableReader, key: str, default: int, *, allow_zero: bool = False) -> int:
    # Whole seconds, rounded up so a positive duration never becomes 0.
    return math.ceil(_duration(r, key, default, allow_zero=allow_zero))


def _size(r: TableReader, key: str, default: int) -> int:
    raw = r.raw(key)
    is_int = isinstance(raw, int) and not isinstance(raw, bool)
    size = raw if is_int else r.convert(key, default, parse_size, 'a size like "10MiB"')
    if not isinstance(size, int) or size <= 0:
        r.problem(key, "must be larger than 0 bytes")
        return default
    return size


def _database(r: TableReader, environ: Mapping[str, str]) -> DatabaseSettings:
    url = r.string("url", DatabaseSettings.url).strip()
    r.report_unknown()
    override = environ.get("MONITOR_DATABASE_URL", "").strip()
    where = "MONITOR_DATABASE_URL" if override else r.loc("url")
    url = override or url
    if not _is_database_url(url):
        # Never echo the URL: it may carry a database password.
        r.problems.append(
            f"{where}: not a database URL (use sqlite:///path/to/file.db or postgresql://…)"
        )
    return DatabaseSettings(url=url)


def _is_database_url(url: str) -> bool:
    if url.startswith("sqlite:///"):
        return len(url) > len("sqlite:///")
    return url.startswith(("postgresql://", "postgres://"))


def _fetch(r: TableReader) -> FetchSettings:
    d = FetchSettings()
    fetch = FetchSettings(
        interval_s=_seconds(r, "interval", d.interval_s),
        min_interval_s=_seconds(r, "min_interval", d.min_interval_s),
        max_interval_s=_seconds(r, "max_interval", d.max_interval_s),
        timeout_s=_duration(r, "timeout", d.timeout_s),
        max_body_size=_size(r, "max_body_size", d.max_body_size),
        per_host_concurrency=r.integer("per_host_concurrency", d.per_host_concurrency, 1),
        concurrency=r.integer("concurrency", d.concurrency, 1),
        allow_private_networks=r.boolean("allow_private_networks", d.allow_private_networks),
        user_agent=r.string("user_agent", d.user_agent).strip(),
    )
    r.report_unknown()
    if not fetch.user_agent:
        r.problem("user_agent", "must not be empty: publishers need to know who polls them")
    if fetch.min_interval_s > fetch.max_interval_s:
        r.problem("min_interval", "must not be longer than fetch.max_interval")
    _check_interval(r, "interval", fetch.interval_s, fetch)
    return fetch


def _check_interval(r: TableReader, key: str, interval_s: int, fetch: FetchSettings) -> None:
    low, high = fetch.min_interval_s, fetch.max_interval_s
    # An inverted range is reported once, on fetch.min_interval.
    if low <= high and not low <= interval_s <= high:
        bounds = f"{format_duration(low)}..{format_duration(high)}"
        r.problem(key, f"must lie within fetch.min_interval..fetch.max_interval ({bounds})")


def _worker(r: TableReader) -> WorkerSettings:
    d = WorkerSettings()
    worker = WorkerSettings(
        name=r.string("name", d.name).strip(),
        tick_s=_duration(r, "tick", d.tick_s),
        lease_s=_seconds(r, "lease", d.lease_s),
    )
    r.report_unknown()
    return worker


def _feeds(
    readers: list[TableReader], fetch: FetchSettings, environ: Mapping[str, str]
) -> tuple[FeedConfig, ...]:
    feeds: list[FeedConfig] = []
    first_at: dict[str, str] = {}
    for r in readers:
        feed = _feed(r, fetch, environ)
        key = canonical_url(feed.url)
        if feed.url and key in first_at:
            r.problem("url", f"duplicate of {first_at[key]}.url")
        first_at.setdefault(key, r.where)
        feeds.append(feed)
    return tuple(feeds)


def _feed(r: TableReader, fetch: FetchSettings, environ: Mapping[str, str]) -> FeedConfig:
    url = r.required_string("url")
    reason = http_url_problem(url) if url else None
    if reason:
        r.problem("url", reason)
    host = "" if reason else (urlsplit(url).hostname or "")
    interval = _seconds(r, "interval", fetch.interval_s) if r.has("interval") else None
    if interval is not None:
        _check_interval(r, "interval", interval, fetch)
    feed = FeedConfig(
        url=url,
        name=r.string("name").strip() or host or url,
        tier=r.choice("tier", "other", TIERS),
        interval_s=interval,
        headers=_headers(r),
        auth=_auth(r, environ),
    )
    r.report_unknown()
    if feed.auth and any(name.lower() == "authorization" for name, _ in feed.headers):
        r.problem("headers", "an Authorization header conflicts with auth: keep one")
    return feed


def _headers(r: TableReader) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, value in (r.subtable("headers") or {}).items():
        # Values are never echoed: they are often API keys.
        if not isinstance(value, str):
            reason: str | None = "expected a string"
        elif has_control_chars(value):
            reason = "must not contain line breaks or control characters"
        elif name.lower() in _MANAGED_HEADERS:
            reason = "set by monitor itself; remove it"
        else:
            reason = header_name_problem(name)
        if reason:
            r.problem(f"headers.{name}", reason)
        else:
            pairs.append((name, cast(str, value)))
    return tuple(pairs)


def _auth(r: TableReader, environ: Mapping[str, str]) -> FeedAuth | None:
    table = r.subtable("auth")
    if table is None:
        return None
    a = TableReader(table, r.loc("auth"), r.problems)
    if not a.has("type"):
        a.problem("type", 'missing (use "basic" or "bearer")')
    kind = a.choice("type", "bearer", ("basic", "bearer"))
    username = a.required_string("username") if kind == "basic" else ""
    env_key = "password_env" if kind == "basic" else "token_env"
    env_name = a.required_string(env_key)
    secret = _named_secret(a, env_key, env_name, environ) if env_name else ""
    a.report_unknown()
    return FeedAuth(kind=kind, username=username, secret_env=env_name, secret=secret)


def _named_secret(a: TableReader, key: str, env_name: str, environ: Mapping[str, str]) -> str:
    """The secret in the variable the config names (or its `_FILE` twin)."""
    bad_name = env_name_problem(env_name)
    if bad_name:
        a.problem(key, bad_name)
        return ""
    found: list[str] = []
    secret = read_secret(environ, env_name, found)
    for problem in found:
        a.problem(key, problem)
    if not secret and not found:
        a.problem(key, f"environment variable {env_name} (or {env_name}_FILE) is not set")
    return secret


def _place(r: TableReader) -> PlaceConfig:
    place = PlaceConfig(
        name=r.required_string("name"),
        aliases=r.strings("aliases"),
        within=r.string("within").strip(),
        country=r.string("country").strip(),
    )
    r.report_unknown()
    return place


def _regions(readers: list[TableReader]) -> tuple[RegionConfig, ...]:
    regions: list[RegionConfig] = []
    first_at: dict[str, str] = {}
    for r in readers:
        region = RegionConfig(name=r.required_string("name"), countries=r.strings("countries"))
        if not r.has("countries"):
            r.problem("countries", "missing")
        elif r.table["countries"] == []:
            r.problem("countries", "must list at least one country")
        _note_duplicate(r, region.name.casefold(), first_at)
        r.report_unknown()
        regions.append(region)
    return tuple(regions)


def _note_duplicate(r: TableReader, name: str, first_at: dict[str, str]) -> None:
    if name and name in first_at:
        r.problem("name", f"duplicate of {first_at[name]}.name")
    first_at.setdefault(name, r.where)


def _rules(readers: list[TableReader]) -> tuple[RuleConfig, ...]:
    rules: list[RuleConfig] = []
    first_at: dict[str, str] = {}
    for r in readers:
        rule = _rule(r)
        _note_duplicate(r, rule.name, first_at)
        rules.append(rule)
    return tuple(rules)


def _rule(r: TableReader) -> RuleConfig:
    # The query's syntax is checked by monitor.match.validate_rules, not here.
    rule = RuleConfig(
        name=r.required_string("name"),
        query=r.required_string("query"),
        regions=r.strings("regions"),
        where=cast(Where, r.choice("where", "happened", WHERES)),
        severity=cast(Severity, r.choice("severity", "normal", SEVERITIES)),
        recipients=_addresses(r, "recipients"),
        cooldown_s=_seconds(r, "cooldown", 0, allow_zero=True),
    )
    r.report_unknown()
    if rule.severity == "urgent" and not rule.recipients:
        r.problem("recipients", "an urgent rule needs at least one recipient")
    return rule


def _addresses(r: TableReader, key: str) -> tuple[str, ...]:
    addresses = r.strings(key)
    for i, address in enumerate(addresses):
        reason = email_problem(address)
        if reason:
            r.problem(f"{key}[{i}]", reason)
    return addresses


def _address(r: TableReader, key: str, default: str, *, named: bool = False) -> str:
    address = r.string(key, default).strip()
    reason = email_problem(address, allow_display_name=named) if address else None
    if reason:
        r.problem(key, reason)
    return address


def _email(r: TableReader, base: Path, environ: Mapping[str, str]) -> EmailSettings:
    d = EmailSettings()
    security = r.choice("smtp_security", d.smtp_security, tuple(SMTP_SECURITY_PORTS))
    email = EmailSettings(
        sender=_address(r, "from", d.sender, named=True) or d.sender,
        smtp_host=r.string("smtp_host").strip(),
        smtp_port=r.integer("smtp_port", SMTP_SECURITY_PORTS[security], 1, 65535),
        smtp_security=security,
        smtp_user=r.string("smtp_user").strip(),
        smtp_password=read_secret(environ, "MONITOR_SMTP_PASSWORD", r.problems),
        outbox_dir=base / r.string("outbox_dir", str(d.outbox_dir)).strip(),
        admin=_address(r, "admin", d.admin),
        alert_max_age_s=_seconds(r, "alert_max_age", d.alert_max_age_s),
        max_per_hour=r.integer("max_per_hour", d.max_per_hour, 1),
    )
    r.report_unknown()
    if email.smtp_host and email.smtp_user and not email.smtp_password:
        r.problem("smtp_user", "set, but MONITOR_SMTP_PASSWORD(_FILE) is not")
    return email


def _digest(r: TableReader) -> DigestSettings:
    d = DigestSettings()
    timezone = r.string("timezone", d.timezone).strip()
    reason = timezone_problem(timezone)
    if reason:
        r.problem("timezone", reason)
    digest = DigestSettings(
        time=r.convert("time", d.time, _hhmm),
        timezone=d.timezone if reason else timezone,
        recipients=_addresses(r, "recipients"),
        max_stories=r.integer("max_stories", d.max_stories, 1),
    )
    r.report_unknown()
    return digest


def _hhmm(text: str) -> str:
    return parse_hhmm(text).strftime("%H:%M")


def _web(r: TableReader, environ: Mapping[str, str]) -> WebSettings:
    d = WebSettings()
    web = WebSettings(
        host=r.string("host", d.host).strip() or d.host,
        port=r.integer("port", d.port, 1, 65535),
        base_url=_base_url(r),
        auth=r.choice("auth", d.auth, WEB_AUTH),
        password=read_secret(environ, "MONITOR_WEB_PASSWORD", r.problems),
        api_token=read_secret(environ, "MONITOR_API_TOKEN", r.problems),
    )
    r.report_unknown()
    if web.auth == "none" and not is_loopback_host(web.host):
        r.problem("auth", '"none" is only allowed when web.host is a loopback address')
    return web


def _base_url(r: TableReader) -> str:
    url = r.string("base_url").strip()
    reason = http_url_problem(url) if url else None
    if reason:
        r.problem("base_url", reason)
        return ""
    # Stored without a trailing slash so templates can append "/matches/1".
    return url.rstrip("/")
