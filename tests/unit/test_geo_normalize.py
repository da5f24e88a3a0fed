from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.geo.normalize import fold, padded, pattern_key


@given(st.text())
def test_folding_never_changes_the_length_so_offsets_stay_valid(text: str) -> None:
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Baghdad's", "baghdad s"),
        ("Zürich, Łódź", "zurich  lodz"),
        ("U.S.-led", "u s  led"),
        ("Khān Yūnis", "khan yunis"),
        ("KYIV — Ukraine’s", "kyiv   ukraine s"),
    ],
)
def test_folding_lowercases_strips_accents_and_blanks_punctuation(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_padding_puts_one_space_on_each_side() -> None:
    assert padded("Gaza") == " gaza "


def test_pattern_keys_match_the_folded_text_at_a_word_start() -> None:
    key = pattern_key("St. Petersburg")
    assert key in padded("Flights to St. Petersburg resumed")


@given(st.text())
def test_the_fast_non_ascii_path_folds_exactly_like_the_full_table(text: str) -> None:
    from monitor.geo.normalize import _UNICODE

    assert fold(text) == text.translate(_UNICODE)
