"""MinHash signatures by one-permutation hashing with optimal densification, and LSH band keys.

One 32-bit hash per shingle (CRC-32, multiply-mixed; stable across processes, unlike `hash()`), the
shingle falls into bin `h mod k` and each bin keeps its minimum: one pass instead of k. Empty bins
borrow the value of the first non-empty bin along a fixed pseudo-random probe order
(Shrivastava, "Optimal densification for fast and accurate minwise hashing", ICML 2017), which
keeps P[sig_a[i] == sig_b[i]] ≈ Jaccard(a, b). Bands of `rows` bins hash to short key strings.
"""

from __future__ import annotations

import operator
import random
import zlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

_MASK32 = 0xFFFFFFFF
_GOLDEN32 = 0x9E3779B1


def hash32(text: str) -> int:
    """A stable, well-mixed 32-bit hash of a string: CRC-32 then a Fibonacci multiply.
    (Python's `hash()` of a string is salted per process, so it cannot be stored.)"""
    return (zlib.crc32(text.encode()) * _GOLDEN32) & _MASK32


def shingles(toks: Sequence[str], size: int) -> set[str]:
    """Word n-grams of `size` (all tokens when the text is shorter than one shingle)."""
    if len(toks) < size:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + size]) for i in range(len(toks) - size + 1)}


@lru_cache(maxsize=8)
def _probe_orders(k: int) -> tuple[tuple[int, ...], ...]:
    rng = random.Random(0x5709)
    orders = []
    for i in range(k):
        others = [j for j in range(k) if j != i]
        rng.shuffle(others)
        orders.append(tuple(others))
    return tuple(orders)


def signature(items: Iterable[str], k: int) -> tuple[int, ...]:
    """The densified one-permutation MinHash of a set of strings (k bins; () for an empty set)."""
    bins: list[int | None] = [None] * k
    for item in items:
        h = (zlib.crc32(item.encode()) * _GOLDEN32) & _MASK32
        b = (h * k) >> 32
        current = bins[b]
        if current is None or h < current:
            bins[b] = h
    if all(v is None for v in bins):
        return ()
    probes = _probe_orders(k)
    out: list[int] = []
    for i, v in enumerate(bins):
        if v is None:
            donor = next(bins[j] for j in probes[i] if bins[j] is not None)
            v = ((donor or 0) ^ (i * _GOLDEN32)) & _MASK32
        out.append(v)
    return tuple(out)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The Jaccard estimate: the share of equal bins (0.0 when either signature is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    equal: int = sum(map(operator.eq, a, b))
    return equal / len(a)


def band_keys(sig: Sequence[int], rows: int, bands: int) -> list[str]:
    """One short key per band of `rows` bins, for the first `bands` bands: "m<band>:<8 hex>"."""
    keys = []
    for band in range(min(bands, len(sig) // rows)):
        mixed = band
        for value in sig[band * rows : (band + 1) * rows]:
            mixed = ((mixed ^ value) * _GOLDEN32) & _MASK32
        keys.append(f"m{band:x}:{mixed:08x}")
    return keys


def term_keys(terms: Sequence[str], limit: int) -> list[str]:
    """Keys for every pair among `limit` of the terms ("t:<8 hex>"), or the one term alone.

    The terms kept are those with the smallest hashes, not the first ones, so two texts that
    share most of their terms keep mostly the same ones whatever their word order.
    """
    head = sorted({hash32(t) for t in terms})[:limit]
    if len(head) == 1:
        return [f"t:{head[0]:08x}"]
    pairs = ((a, b) for i, a in enumerate(head) for b in head[i + 1 :])
    return [f"t:{((a * _GOLDEN32) ^ b) & _MASK32:08x}" for a, b in pairs]


def name_keys(names: Sequence[str]) -> list[str]:
    """One key per specific name ("n:<8 hex>"): a place or actor alone is enough to look."""
    return [f"n:{hash32(name):08x}" for name in names]


def country_keys(countries: Sequence[str], terms: Sequence[str]) -> list[str]:
    """One key per (country, headline term) ("c:<8 hex>"): reports of one event in one country
    that share a single word of substance find each other ("India's central bank holds rates"
    / "RBI keeps repo rate unchanged" through IN × rate)."""
    return [f"c:{hash32(c + ':' + t):08x}" for c in countries for t in terms]
