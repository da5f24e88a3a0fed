"""A bounded memo for pure functions, kept in a plain dict.

`functools.lru_cache` keeps a linked-list node (a list) per entry, and a list key per call with
several arguments. A rule book caches tens of thousands of queries, words and phrases, and the
cyclic GC re-traverses every such node on each full collection for the life of the process. A
dict holds its entries without extra objects; when it is full it is emptied (every value is
cheap to recompute). Safe between threads: at worst two threads compute the same value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])
MAXSIZE = 65536
_MEMOS: list[dict[Any, Any]] = []


def memo(function: F) -> F:
    values: dict[Any, Any] = {}
    _MEMOS.append(values)

    @functools.wraps(function)
    def remembered(*args: Any) -> Any:
        try:
            return values[args]
        except KeyError:
            pass
        value = function(*args)
        if len(values) >= MAXSIZE:
            values.clear()
        values[args] = value
        return value

    return cast(F, remembered)


def clear_memos() -> None:
    """Forget every remembered value (to measure cold work, or free a replaced rule set)."""
    for values in _MEMOS:
        values.clear()
