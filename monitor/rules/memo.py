"""A bounded memo for pure one-argument functions, kept in a plain dict.

`functools.lru_cache` keeps a linked-list node (a list) per entry. A rule book caches tens of
thousands of queries, words and phrases, and the cyclic GC re-traverses every such node on
each full collection for the life of the process. A dict holds its entries without extra
objects; when it is full it is emptied (every value is cheap to recompute). Safe between
threads: at worst two threads compute the same value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])
MAXSIZE = 65536
_MEMOS: list[dict[Any, Any]] = []


def memo(function: F) -> F:
    """Remember `function(argument)` by its one (hashable) argument."""
    values: dict[Any, Any] = {}
    _MEMOS.append(values)
    missing = object()

    @functools.wraps(function)
    def remembered(argument: Any) -> Any:
        value = values.get(argument, missing)
        if value is missing:
            value = function(argument)
            if len(values) >= MAXSIZE:
                values.clear()
            values[argument] = value
        return value

    return cast(F, remembered)


def clear_memos() -> None:
    """Forget every remembered value (to measure cold work, or free a replaced rule set)."""
    for values in _MEMOS:
        values.clear()
