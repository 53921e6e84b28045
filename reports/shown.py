"""Text from documents and exports, made safe to show people: one rule for every output.

A bidi control (U+202E) can make one record id display as another's, a zero-width space
can make two different ids look equal, and a NUL or other control character can cut or
corrupt what a page, a terminal or a spreadsheet shows. ``visible`` replaces each such
character with a visible marker naming it (``⟨U+202E⟩``): the trick is disarmed and a
reviewer still sees that something was there. Every human-facing rendering passes its
text through it (report.html and index.html through the Jinja2 environment's
``finalize``, summary.xlsx through ``cell_text``, Prefect's artifacts, the command line's
tables); stored JSON keeps the raw values, which are data.

Layer: ``reports``, so ``flows`` (artifacts, command line) can use it too.
"""

from __future__ import annotations

import re

# What never shows as itself, from the running Unicode database's Cc, Cf, Zl and Zp
# (tests/reports/test_shown.py checks the list against it) plus a few letters and marks
# that draw nothing (Hangul fillers, the combining grapheme joiner). Tab and line feed are
# layout, kept. Lone surrogates (from a JSON ``\ud800``) are here as well: they cannot even
# be encoded as UTF-8.
_HIDDEN = re.compile(
    "["
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab, line feed), DEL, C1
    "\u00ad\u034f\u061c\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u180e\u200b-\u200f"  # zero-width space/joiners, LRM/RLM
    "\u2028-\u202e"  # line/paragraph separators, LRE RLE PDF LRO RLO
    "\u2060-\u2064\u2066-\u206f"  # word joiner, invisible operators, LRI RLI FSI PDI
    "\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\ud800-\udfff"  # lone surrogates
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"  # ... tag characters
    "]"
)
# Cells a spreadsheet would take for a formula (OWASP, "CSV Injection"): also after the
# workbook is re-saved as CSV, where a cell's text type is lost.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def marker(character: str) -> str:
    """How a hidden character is shown: ``⟨U+202E⟩``."""
    return f"⟨U+{ord(character):04X}⟩"


def visible(text: str) -> str:
    """``text`` with every invisible or control character shown as its marker.

    A Windows line break (CR LF) is a line break, not a hidden character.
    """
    return _HIDDEN.sub(lambda match: marker(match.group()), text.replace("\r\n", "\n"))


def cell_text(text: str) -> str:
    """``visible(text)`` for a spreadsheet cell: a leading ``'`` keeps formula-like text
    (``=HYPERLINK(…)``, ``+1``, ``-2+3``, ``@SUM``) text in any spreadsheet, as OWASP
    advises. Only for text: numbers are written as numbers and need nothing."""
    shown = visible(text)
    return "'" + shown if shown.startswith(_FORMULA_STARTS) else shown
