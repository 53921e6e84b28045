"""Hidden characters shown as markers: what every human-facing output relies on."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from reports.shown import cell_text, marker, visible

# Bidi controls: each can make a record id display as another record's.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


@pytest.mark.parametrize("character", [*BIDI, *ZERO_WIDTH, "\x00", "\x07", "\x1b", "\x85", "\r"])
def test_every_hidden_character_becomes_its_marker(character: str) -> None:
    shown = visible(f"GZ2022-01{character}53")
    assert character not in shown
    assert shown == f"GZ2022-01⟨U+{ord(character):04X}⟩53"


def test_a_spoofed_record_id_shows_what_was_there() -> None:
    # "GZ2022-0153" written as "GZ2022-0" RLO "351" PDF: displays as GZ2022-0153
    assert visible("GZ2022-0\u202e351\u202c") == "GZ2022-0⟨U+202E⟩351⟨U+202C⟩"


def test_text_layout_and_chinese_are_left_alone() -> None:
    text = "贵州省\t创新中心\n第二行　全角空格 ＡＢＣ 123.45 é"
    assert visible(text) == text
    assert visible("一\r\n二") == "一\n二"  # a Windows line break is a line break


def test_markers_name_characters_beyond_the_basic_plane() -> None:
    assert visible("a\U000e0041b") == "a⟨U+E0041⟩b"
    assert marker("\ud800") == "⟨U+D800⟩"
    assert visible("\ud800").encode("utf-8") == "⟨U+D800⟩".encode()  # encodable now


def test_the_list_covers_every_control_and_format_character_unicode_knows() -> None:
    """The character class is written out (no start-up scan of the database): checked here
    against the running Python's Unicode, so an upgrade that adds one is noticed."""
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        and chr(code) not in "\t\n"
        and visible(chr(code)) == chr(code)
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "⟨U+000D⟩=1"),  # a lone CR is shown, so nothing leads with it
        ("\u202e=1", "⟨U+202E⟩=1"),
        ("GZ2022-0153", "GZ2022-0153"),
        ("1+1", "1+1"),
        ("", ""),
    ],
)
def test_spreadsheet_text_never_starts_like_a_formula(text: str, cell: str) -> None:
    assert cell_text(text) == cell
