"""Score a tagger against labelled items: country precision/recall/F1 and primary accuracy.

Used by `bench/geo_bench.py` and the quality-floor test; items are dicts with "text",
optional "title", "countries" (expected ISO2 list) and "primary" (ISO2 or None).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from monitor.types import GeoTags


class Tags(Protocol):
    def tag(self, text: str, title: str = "") -> GeoTags: ...


@dataclass(frozen=True)
class Miss:
    id: str
    expected: tuple[str, ...]
    got: tuple[str, ...]
    expected_primary: str | None
    got_primary: str | None


@dataclass(frozen=True)
class Scores:
    items: int
    precision: float
    recall: float
    f1: float
    primary_accuracy: float
    misses: tuple[Miss, ...] = field(default=())


def read_labelled(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(tagger: Tags, items: Iterable[Mapping[str, Any]]) -> Scores:
    tp = fp = fn = right = total = 0
    misses = []
    for item in items:
        tags = tagger.tag(item["text"], item.get("title", ""))
        expected, got = set(item["countries"]), set(tags.countries)
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
        total += 1
        primary_ok = tags.primary == item["primary"]
        right += primary_ok
        if expected != got or not primary_ok:
            misses.append(Miss(str(item.get("id", total)), tuple(sorted(expected)),
                               tuple(sorted(got)), item["primary"], tags.primary))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = right / total if total else 0.0
    return Scores(total, precision, recall, f1, accuracy, tuple(misses))
