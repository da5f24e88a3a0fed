"""The JSON API's shapes (pydantic, so `/api/openapi.json` documents them). Field names follow
the CLI's stable JSON (`monitor matches --json`, `feeds list --json`, `stories --json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from monitor.records import AuditEntry, MatchDetail, StoredItem, StoredMatch
from monitor.types import TermHit

Status = Literal["new", "acknowledged", "false_positive", "starred"]
NOTE_MAX = 2000


class Span(BaseModel):
    term: str
    field: str
    start: int
    end: int


class MatchOut(BaseModel):
    id: int
    item_id: int
    rule: str
    severity: str
    title: str
    link: str | None
    source: str
    published: datetime | None
    matched_at: datetime
    regions: list[str]
    primary_region: str | None
    story_id: int | None
    story_outlets: int
    terms: list[str]
    status: str
    note: str
    spans: list[Span] | None = None


class MatchList(BaseModel):
    items: list[MatchOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class MatchPatch(BaseModel):
    status: Status | None = None
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class Place(BaseModel):
    name: str
    country: str
    start: int
    end: int
    field: str


class ItemOut(BaseModel):
    id: int
    title: str
    link: str | None
    source: str
    author: str | None
    published: datetime | None
    fetched: datetime | None
    summary: str
    countries: list[str]
    primary_region: str | None
    places: list[Place]
    matches: list[MatchOut]


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, object]


class StoryOut(BaseModel):
    id: int | None
    title: str
    first_seen: datetime | None
    last_seen: datetime | None
    primary_region: str | None
    outlets: list[str]
    outlet_count: int
    items: list[ItemOut]
    audit: list[AuditOut]


class RuleTest(BaseModel):
    query: str = Field(min_length=1, max_length=2000, examples=["rocket* NEAR/5 embass*"])
    days: int = Field(default=7, ge=1, le=365)
    regions: list[str] = Field(default=[], max_length=20)
    where: Literal["happened", "mentioned"] = "happened"
    limit: int = Field(default=100, ge=1, le=500)


class RuleHit(BaseModel):
    id: str
    title: str
    source: str
    link: str | None
    published: datetime | None
    terms: list[str]
    regions: list[str]
    spans: list[Span]


class RuleTestOut(BaseModel):
    scanned: int
    truncated: bool
    hits: list[RuleHit]


class FeedOut(BaseModel):
    id: int
    url: str
    name: str
    state: str
    last_status: int | None
    last_error: str | None
    error_count: int
    last_fetched_at: datetime | None
    next_check_at: datetime | None
    items_seen: int
    disabled_reason: str | None


def spans(hits: tuple[TermHit, ...]) -> list[Span]:
    return [Span(term=h.term, field=h.field, start=h.start, end=h.end) for h in hits]


def match_out(m: StoredMatch, hits: tuple[TermHit, ...] | None = None) -> MatchOut:
    return MatchOut(
        id=m.id, item_id=m.item_id, rule=m.rule, severity=m.severity, title=m.title,
        link=m.link, source=m.source, published=m.published_at, matched_at=m.matched_at,
        regions=list(m.regions), primary_region=m.primary_region, story_id=m.story_id,
        story_outlets=m.story_outlets, terms=list(m.terms), status=m.status, note=m.note,
        spans=None if hits is None else spans(hits),
    )


def detail_out(d: MatchDetail) -> MatchOut:
    return match_out(d.match, d.hits)


def item_out(copy: StoredItem) -> ItemOut:
    item = copy.item
    return ItemOut(
        id=copy.id, title=item.title, link=item.link, source=item.source, author=item.author,
        published=item.published_at, fetched=item.fetched_at, summary=item.summary,
        countries=list(item.geo.countries), primary_region=item.geo.primary,
        places=[Place(name=p.name, country=p.country, start=p.start, end=p.end, field=p.field)
                for p in item.geo.places],
        matches=[detail_out(d) for d in copy.matches],
    )


def audit_out(a: AuditEntry) -> AuditOut:
    return AuditOut(at=a.at, actor=a.actor, action=a.action, entity=a.entity,
                    entity_id=a.entity_id, detail=dict(a.detail))
