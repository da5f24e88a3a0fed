"""Query-string filters → `InboxFilter`, shared by the inbox page and `/api/matches`.

Filters come from GET forms, so an empty field means "any". `since` is a date (YYYY-MM-DD, from
the start of that UTC day) or a duration back from now ("24h", "7d"); `until` is a date
(inclusive); `region` is a country code or a region name ("Levant", "Middle East"). A value that
cannot be read is reported, not guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from monitor.config import RegionConfig, parse_duration
from monitor.records import InboxFilter
from monitor.types import MATCH_STATUSES

ALL = "all"
SEVERITIES = ("urgent", "normal")
TEXT_MAX = 200


@dataclass(frozen=True)
class FilterForm:
    """The raw fields as typed (echoed back into the form)."""

    rule: str = ""
    region: str = ""
    severity: str = ""
    status: str = "new"
    since: str = ""
    until: str = ""
    q: str = ""

    def query(self, **changes: str) -> str:
        """The query string of this filter with some fields changed (for tabs and links)."""
        from urllib.parse import urlencode

        fields = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in fields.items() if v})


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _since(text: str, now: datetime) -> datetime:
    try:
        return datetime.combine(_day(text), time(), UTC)
    except ValueError:
        return now - timedelta(seconds=parse_duration(text))


def to_filter(
    form: FilterForm, now: datetime, regions: Sequence[RegionConfig] = ()
) -> tuple[InboxFilter, list[str]]:
    """The store filter and the problems found (each field at fault is then ignored)."""
    problems: list[str] = []
    status = form.status.strip() or None
    if status == ALL:
        status = None
    if status is not None and status not in MATCH_STATUSES:
        problems.append(f"status: unknown status {status!r}")
        status = None
    severity = form.severity.strip() or None
    if severity is not None and severity not in SEVERITIES:
        problems.append(f"severity: {severity!r} is not urgent or normal")
        severity = None
    since = until = None
    if form.since.strip():
        try:
            since = _since(form.since.strip(), now)
        except (ValueError, OverflowError):
            problems.append(f"since: {form.since!r} is neither a date nor a duration like 7d")
    if form.until.strip():
        try:
            until = datetime.combine(_day(form.until.strip()), time(), UTC) + timedelta(days=1)
        except (ValueError, OverflowError):
            problems.append(f"until: {form.until!r} is not a date (YYYY-MM-DD)")
    code, countries = _region(form.region.strip(), regions, problems)
    return InboxFilter(
        rule=form.rule.strip() or None,
        region=code,
        severity=severity,
        status=status,
        since=since,
        until=until,
        text=form.q.strip()[:TEXT_MAX] or None,
        countries=countries,
    ), problems


def _region(
    text: str, regions: Sequence[RegionConfig], problems: list[str]
) -> tuple[str | None, tuple[str, ...]]:
    """A two-letter country code as is; a region name (config or built-in) → its countries."""
    if not text:
        return None, ()
    if len(text) == 2:
        return text.upper(), ()
    from monitor.geo.regions import region_countries

    found = region_countries(text, regions)
    if not found:
        problems.append(f"region: {text!r} is neither a country code nor a known region")
        return None, ()
    return None, tuple(sorted(found))
