"""/metrics (Prometheus text, computed from the store's tables at scrape time, so every worker
sharing the database is counted) and /healthz (the web process and its database answer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.store.base import Store
from monitor.web.deps import now, store_of
from monitor.web.security import api_actor

router = APIRouter(include_in_schema=False)

COUNTERS = (
    ("monitor_poll_cycles", "Poll cycles completed", "cycles"),
    ("monitor_feed_polls", "Feed polls over all cycles", "feeds_polled"),
    ("monitor_poll_errors", "Feed polls that failed", "poll_errors"),
    ("monitor_items", "Items stored", "items"),
    ("monitor_matches", "Matches stored", "matches"),
    ("monitor_alerts_sent", "Alert e-mails sent", "alerts_sent"),
    ("monitor_alerts_failed", "Alert e-mails given up on", "alerts_failed"),
)
GAUGES = (
    ("monitor_outbox_backlog", "Outbox messages waiting to be sent", "outbox_pending"),
    ("monitor_feeds_failing", "Enabled feeds whose last poll failed", "feeds_failing"),
)


class StoreCollector(Collector):
    """Reads `store.stats()` on every scrape."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        stats = self.store.stats()
        for name, doc, field in COUNTERS:
            yield CounterMetricFamily(name, doc, value=getattr(stats, field))
        for name, doc, field in GAUGES:
            yield GaugeMetricFamily(name, doc, value=getattr(stats, field))
        if stats.last_cycle_s is not None:
            yield GaugeMetricFamily("monitor_cycle_duration_seconds",
                                    "Duration of the last poll cycle", value=stats.last_cycle_s)


def registry_for(store: Store) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    return registry


@router.get("/metrics")
def metrics(request: Request, actor: Annotated[str, Depends(api_actor)]) -> Response:
    body = generate_latest(registry_for(store_of(request)))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
def healthz(request: Request) -> Response:
    """200 while the database answers; the last poll cycle's end for context (the worker's own
    health check is `monitor health`)."""
    moment = now(request)
    try:
        last = store_of(request).last_cycle()
    except Exception as e:  # noqa: BLE001 - any database failure means unhealthy
        return JSONResponse({"status": "error", "error": type(e).__name__}, status_code=503)
    age = None if last is None else round((moment - last.finished_at).total_seconds(), 1)
    return JSONResponse({"status": "ok", "last_cycle_age_s": age})
