"""MinHash signatures by one-permutation hashing with optimal densification, and LSH band keys.

One 64-bit hash per shingle (BLAKE2b, stable across processes — Python's `hash` is salted), the
shingle falls into bin `h mod k` and each bin keeps its minimum: one pass instead of k. Empty bins
borrow the value of the first non-empty bin along a fixed pseudo-random probe order
(Shrivastava, "Optimal densification for fast and accurate minwise hashing", ICML 2017), which
keeps P[sig_a[i] == sig_b[i]] ≈ Jaccard(a, b). Bands of `rows` bins hash to short key strings.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from functools import lru_cache

_MASK = (1 << 64) - 1


def hash64(text: str) -> int:
    """A stable 64-bit hash of a string."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


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
        h = hash64(item)
        b, value = h % k, h // k
        current = bins[b]
        if current is None or value < current:
            bins[b] = value
    if all(v is None for v in bins):
        return ()
    probes = _probe_orders(k)
    out: list[int] = []
    for i, v in enumerate(bins):
        if v is None:
            donor = next(j for j in probes[i] if bins[j] is not None)
            v = ((bins[donor] or 0) * 0x9E3779B97F4A7C15 + i) & _MASK
        out.append(v)
    return tuple(out)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The Jaccard estimate: the share of equal bins (0.0 when either signature is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def band_keys(sig: Sequence[int], rows: int) -> list[str]:
    """One short key per band of `rows` bins: "m<band>:<8 hex digits>"."""
    keys = []
    for band in range(len(sig) // rows):
        chunk = sig[band * rows : (band + 1) * rows]
        digest = hash64(",".join(map(str, chunk))) & 0xFFFFFFFF
        keys.append(f"m{band:x}:{digest:08x}")
    return keys


def term_keys(terms: Sequence[str], limit: int) -> list[str]:
    """Keys for every pair among `limit` of the terms ("t:<8 hex>"), or the one term alone.

    The terms kept are those with the smallest hashes, not the first ones, so two texts that
    share most of their terms keep mostly the same ones whatever their word order.
    """
    hashed = sorted({(hash64(t), t) for t in terms})[:limit]
    head = sorted(t for _, t in hashed)
    if len(head) == 1:
        return [f"t:{hash64(head[0]) & 0xFFFFFFFF:08x}"]
    return [
        f"t:{hash64(a + '|' + b) & 0xFFFFFFFF:08x}"
        for i, a in enumerate(head)
        for b in head[i + 1 :]
    ]
