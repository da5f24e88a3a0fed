"""The dict memo behind parse_query and the word caches."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from monitor.rules import memo as memo_module
from monitor.rules.memo import clear_memos, memo


def counting() -> tuple[list[str], Callable[[str], str]]:
    calls: list[str] = []

    @memo
    def shout(word: str) -> str:
        calls.append(word)
        if not word:
            raise ValueError("empty")
        return word.upper()

    return calls, shout


def test_a_value_is_computed_once_and_forgotten_on_clear() -> None:
    calls, shout = counting()
    assert shout("a") == shout("a") == "A"
    assert calls == ["a"]
    clear_memos()
    assert shout("a") == "A"
    assert calls == ["a", "a"]


def test_an_error_is_raised_each_time_and_never_remembered() -> None:
    calls, shout = counting()
    for _ in range(2):
        with pytest.raises(ValueError):
            shout("")
    assert calls == ["", ""]


def test_a_full_memo_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo_module, "MAXSIZE", 2)
    calls, shout = counting()
    for word in ["a", "b", "c", "a"]:
        shout(word)
    assert calls == ["a", "b", "c", "a"]
