"""USCC check characters (GB 32100-2015) and organisation codes (GB 11714)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.codes import (
    USCC_ALPHABET,
    org_code_check_char,
    uscc_check_char,
    uscc_is_valid,
)

first17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


def test_known_codes() -> None:
    assert uscc_is_valid("91520000214434146R")  # DESIGN.md's example
    assert uscc_is_valid("91350100M000100Y43")
    assert not uscc_is_valid("91520000214434146S")
    assert not uscc_is_valid("91520000214434146")
    assert org_code_check_char("21443414") == "6"


@given(first17)
def test_the_check_character_makes_a_valid_code(head: str) -> None:
    code = head + uscc_check_char(head)
    if code[2:8].isdigit():
        assert uscc_is_valid(code)


@given(first17, st.integers(0, 16), st.integers(1, 30))
def test_any_single_changed_character_is_caught(head: str, position: int, shift: int) -> None:
    check = uscc_check_char(head)
    changed = (
        head[:position]
        + USCC_ALPHABET[(USCC_ALPHABET.index(head[position]) + shift) % 31]
        + head[position + 1 :]
    )
    assert uscc_check_char(changed) != check
