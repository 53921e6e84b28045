"""Reading label → value pairs by geometry (first cut: text lines, no tick boxes yet).

For each field a page of the template prints, the label is found among the page's lines
(normalised, fuzzy); the value is the rest of the label's own line (``标签：值``), else the
nearest line to its right on the same row (a table's next cell, a cover's underlined
blank), else — for ``below`` fields — the line under it. The reading is normalised by the
field's type. A ``below`` date whose label its own seal left in part (牵头单(盖章) is
anchored at the partial label, or — no line reading it at all — at the seal stamped over
it, at a lower label quality; a date the OCR read in pieces along its row is joined, and
one a seal cuts is proposed from its row read again whole (``TextLine.row_reading``), for
review. Its confidence is how well the label matched, times how sure the OCR is of
the value (its own characters' scores where the engine gives them, its line's otherwise),
times — on scans — how plausible the value is (``plausibility.py``: text that does not
parse, a name one character from a known place or suffix, a date out of range). A wrong
value must land below the review threshold, a right one above it.
Tick-box groups are decided by the ink inside each box (``ticks.py``), the members and
KPI tables read as rows (``tables.py``), and the readings checked (``checks.py``).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from itertools import pairwise

from rapidfuzz import fuzz
from rapidfuzz.distance import Prefix

from extractors import plausibility
from extractors.checks import check_fields
from extractors.doubts import Ledger, doubted, pruned
from extractors.nlp import gazetteer, vocabulary
from extractors.normalize import Normalizer, normalizer
from extractors.sealed_labels import seal_over_end, sealed_remnant
from extractors.sections import check_sections, find_sections, page_order
from extractors.tables import read_tables
from extractors.ticks import read_checkbox
from pipeline.config import FieldSpec, FieldType, ReadMethod, TemplateSpec
from pipeline.model import (
    Annex,
    Doubt,
    ExtractedField,
    FieldDoubt,
    FieldValue,
    Page,
    SourceKind,
    Submission,
    TextLine,
    UnreadInk,
)
from pipeline.rulebook import Rules
from pipeline.rulebook.plausibility import (
    PlausibilityRules,
    RowRhythmRules,
    SealedLabelRules,
    UnreadInkRules,
)
from pipeline.second_reading import row_pieces

LABEL_MATCH = 90.0  # rapidfuzz ratio a line's start must reach against a label
ROW_OVERLAP = 0.5  # share of the shorter line's height two lines must share to be one row


def _label_variants(spec: FieldSpec, template: TemplateSpec, normalize: Normalizer) -> list[str]:
    anchors = [s.anchor for s in template.seal_slots if s.owner == spec.key]
    return [normalize.text(v) for v in (spec.label, *spec.aliases, *anchors) if v]


def _label_match(
    line: TextLine, variants: list[str], normalize: Normalizer
) -> tuple[float, str] | None:
    """(match quality 0–1, the text after the label) when the line starts with a label."""
    text = normalize.text(line.text)
    separators = "".join(normalize.rules.label_separators)
    best: tuple[float, str] | None = None
    for label in sorted(variants, key=len, reverse=True):
        if text.startswith(label):
            residue = _label_residue(text[len(label) :], label, variants, separators)
            return 1.0, residue.lstrip(separators)
        score = fuzz.ratio(text[: len(label)], label) if len(label) >= 4 else 0.0
        if score >= LABEL_MATCH and (best is None or score / 100 > best[0]):
            best = (score / 100, text[len(label) :].lstrip(separators))
    return best


def _label_residue(rest: str, label: str, variants: list[str], separators: str = "") -> str:
    """``rest`` without what a longer variant of the label prints after ``label``: a unit
    the line ends in the middle of (研发投入占营业收入比重（% — its ）wrapped onto the next
    line: the value is then the next cell's), prints whole before a value, or begins
    before a value read on the same line."""
    for longer in variants:
        if len(longer) <= len(label) or not longer.startswith(label):
            continue
        tail = longer[len(label) :]
        if tail.startswith(rest):
            return ""
        if rest.startswith(tail):
            return rest[len(tail) :]
        # the unit's opening bracket lost (牵头单位盖章), a seal's ring over it: the
        # bracketed words after the label, whole or begun, are still the label's
        words = tail.removeprefix("(")
        if words != tail and len(words) > 2 and rest.startswith(words[:2]):
            if words.startswith(rest):
                return ""
            if rest.startswith(words):
                return rest[len(words) :]
        # ... or read as another character (推荐单位从盖章）：, 从 for （ under the ring): the
        # bracketed words whole after it are still the label's
        if words != tail and len(words) > 2 and rest[1:].startswith(words):
            return rest[1 + len(words) :]
        # the unit's bracket opened on the line, the unit wrapped below, and the value read
        # on to it (研发投入占营业收入比重（4.89% over %）: no rule between label and value);
        # a unit read further than its bracket ends the label's part of the line there
        # (研发投入占营业收入比重(%0: its ）read as 0): the value is the next cell's
        if begun := _begun(rest, tail):
            # ... unless the unit's closing bracket was read as the separator after it
            # (推荐单位（盖章：铜仁市工业和信息化局 on one line): the value follows it
            after = rest[begun:]
            if begun > 1 and after[:1] in tuple(separators) and any(c.isalnum() for c in after):
                return after
            # ... or read on far past it: more characters than the unit's rest could be
            # misread as (推荐单位（盖重区今南州业和信息化局: 章 and the value's start under
            # the seal's ring, a grey cover): the value is read on the line, not left blank
            if begun > 1 and sum(c.isalnum() for c in after) > len(tail) - begun:
                return after
            return after if begun == 1 else ""
    return rest


def _begun(rest: str, tail: str) -> int:
    """How many characters of a label's unit (``tail``, （%）) ``rest`` starts with, short
    of the whole unit; 0 when none."""
    return next((n for n in range(len(tail) - 1, 0, -1) if rest.startswith(tail[:n])), 0)


def _unit_begun(line: TextLine, variants: list[str], normalize: Normalizer) -> bool:
    """Whether the line is a label whose unit it begins but does not finish (研发投入占
    营业收入比重（00: its ％ misread, its ）wrapped below)."""
    text = normalize.text(line.text)
    return any(
        text.startswith(label) and _begun(text[len(label) :], longer[len(label) :]) > 0
        for label in variants
        for longer in variants
        if len(longer) > len(label) and longer.startswith(label)
    )


def _label_tail(
    label: TextLine, value: TextLine, variants: list[str], normalize: Normalizer
) -> str | None:
    """The value line's text after the end of the label, when the OCR split the label
    across the two lines (推荐单位 | （盖章）：黔东南州…): the part of a longer label variant
    the label line lacks, and the separators after it, are not the value. None when the
    value line does not start so; "" when it holds that part of the label alone."""
    separators = "".join(normalize.rules.label_separators)
    head = normalize.text(label.text).rstrip(separators)
    text = normalize.text(value.text)
    for variant in sorted(variants, key=len, reverse=True):
        if len(variant) <= len(head) or not variant.startswith(head):
            continue
        tail = variant[len(head) :]
        # the tail whole, without its brackets, or its end only (章）：安顺市…: the seal's
        # ring took the start of （盖章）)
        ends = [tail[i:] for i in range(1, len(tail) - 1) if any(c.isalnum() for c in tail[i:])]
        for start in (tail, tail.strip("()"), *ends):
            if start and text.startswith(start):
                return text[len(start) :].lstrip(separators + ")")
        # the tail begun and cut (推荐单位 | (盖 | 业和信息化局: the seal over 章）and the
        # value's start): a piece of the label alone, never a value
        piece = text.rstrip(separators)
        if any(c.isalnum() for c in piece) and tail.startswith(piece):
            return ""
    return None


def _label_rest_line(
    label: TextLine, lines: tuple[TextLine, ...], variants: list[str], normalize: Normalizer
) -> TextLine | None:
    """A line on the label's row beginning with the rest of the label whose box reaches
    back over the label's end further than ``_right_of`` allows (推荐单位 | (盖章)遵…, the
    second box 0.015 of the page over the first on a grey cover: session-18 tuned corpus)."""
    x0, _, x1, _ = label.bbox
    return min(
        (
            t
            for t in lines
            if t is not label
            and _same_row(label, t)
            and (x0 + x1) / 2 < t.bbox[0] < x1
            and t.bbox[2] > x1
            and _label_tail(label, t, variants, normalize) is not None
        ),
        key=lambda t: t.bbox[0],
        default=None,
    )


def _reread_raw(
    again: str,
    label: TextLine,
    source: TextLine,
    cut: str,
    variants: list[str],
    normalize: Normalizer,
) -> str | None:
    """The value's text in a re-reading of its line (``TextLine.rereadings``), taken as the
    first reading was: after the label when the label shares the line, after the label's
    end when it ran onto the line; None when the re-reading has no label where it should."""
    line = source.model_copy(update={"text": again, "char_confidences": None})
    if source is label:
        match = _label_match(line, variants, normalize)
        return None if match is None else match[1]
    if cut:
        return _label_tail(label, line, variants, normalize) or None
    return again


def _same_row(a: TextLine, b: TextLine) -> bool:
    return a.shares_row(b, ROW_OVERLAP)


def _right_of(label: TextLine, lines: tuple[TextLine, ...]) -> TextLine | None:
    """The nearest line right of the label on its row. The OCR's boxes of two pieces of
    one printed line may overlap (推荐单位 | 【盖章）：黔西南州…, 0.007 of the page): up to
    half the label's character width of overlap is slack."""
    x0, _, x1, _ = label.bbox
    slack = max(0.005, 0.5 * label.char_width)
    candidates = [
        t
        for t in lines
        if t is not label and _same_row(label, t) and t.bbox[0] >= x1 - slack and t.bbox[0] > x0
    ]
    return min(candidates, key=lambda t: t.bbox[0], default=None)


def _below(label: TextLine, lines: tuple[TextLine, ...]) -> TextLine | None:
    """The nearest line under the label, overlapping it across. With none, a tall line (a
    date read with a seal's ink round it) that rises into the label's row: under the
    label when its middle is and it does not share the label's row."""
    across = [
        t
        for t in lines
        if t is not label and t.bbox[0] < label.bbox[2] and t.bbox[2] > label.bbox[0]
    ]
    under = [t for t in across if t.bbox[1] >= label.bbox[3] - 0.002]
    if not under:
        under = [
            t
            for t in across
            if (t.bbox[1] + t.bbox[3]) / 2 > label.bbox[3] and not _same_row(label, t)
        ]
    return min(under, key=lambda t: t.bbox[1], default=None)


def _continuation(
    value: TextLine,
    lines: tuple[TextLine, ...],
    label: tuple[TextLine, ...] = (),
    next_row: float | None = None,
) -> list[TextLine]:
    """Lines a value wraps onto inside its cell: straight below, starting where it starts,
    with nothing to their left on their row (a new row would have its label there) but
    the field's own label where it wrapped too (``label``: its lines). On a form of spaced
    rows, a line whose top lies ``next_row`` (a page fraction, ``_next_row``) or more
    below the top of the line before it is the next row's value whose label went unread,
    not a wrap."""
    following: list[TextLine] = []
    last = value
    for line in sorted(lines, key=lambda t: t.bbox[1]):
        if line.bbox[1] <= last.bbox[1] or abs(line.bbox[0] - value.bbox[0]) > 0.01:
            continue
        height = last.bbox[3] - last.bbox[1]
        if line.bbox[1] - last.bbox[3] > height:
            break
        if next_row is not None and line.bbox[1] - last.bbox[1] >= next_row:
            break
        if any(
            _same_row(line, other) and other.bbox[2] <= line.bbox[0] and other not in label
            for other in lines
        ):
            break
        following.append(line)
        last = line
    return following


def _next_row(
    page: Page, template: TemplateSpec, normalize: Normalizer, rules: RowRhythmRules
) -> float | None:
    """How far below a line's top the next row of the page begins, when its rows are
    spaced apart (a cover's label and underlined value every two line heights): ``rules.
    next_row`` of the median distance between the tops of two lines that begin with a
    field's label, when that distance is at least ``rules.spaced`` label heights; None on a
    page of close rows (a table, where a wrapped line follows at a row's pitch)."""
    variants = {
        normalize.text(v) for spec in template.fields for v in (spec.label, *spec.aliases) if v
    }
    variants = {v for v in variants if len(v) >= 2}
    labels = [t for t in page.lines if any(normalize.text(t.text).startswith(v) for v in variants)]
    if len(labels) < 3:
        return None
    height = statistics.median(t.bbox[3] - t.bbox[1] for t in labels)
    tops = sorted(t.bbox[1] for t in labels)
    pitches = [b - a for a, b in pairwise(tops) if b - a > 0.5 * height]
    if not pitches:
        return None
    pitch = statistics.median(pitches)
    return rules.next_row * pitch if pitch >= rules.spaced * height else None


def _joined(lines: list[TextLine], page: Page, field_type: FieldType, short: float) -> str:
    """The text of a value's lines after its first, as they continue it. A list's line
    that ends well short (``short`` character widths) of the furthest right a value of its
    column reaches on the page was ended by the writer, one item a line: the break is
    kept as a line break (a list separator). Any other line ran to the cell's edge and
    wrapped: it is joined as one text."""
    if field_type is not FieldType.NAME_LIST or len(lines) < 2:
        return "".join(t.text for t in lines[1:])
    left = lines[0].bbox[0]
    edge = max(t.bbox[2] for t in page.lines if abs(t.bbox[0] - left) <= 0.01)
    out = ""
    for before, line in pairwise(lines):
        width = (before.bbox[3] - before.bbox[1]) * _aspect(page)  # a character, as x
        out += ("\n" if edge - before.bbox[2] > short * width else "") + line.text
    return out


def _wrapped_label(
    line: TextLine, lines: tuple[TextLine, ...], variants: list[str], normalize: Normalizer
) -> TextLine | None:
    """The line right under ``line`` that completes it into a label, when the label wrapped
    in its cell (省级及以上 / 创新平台): straight below, starting where it starts, and the
    two lines' text together a whole label."""
    start = normalize.text(line.text)
    if len(start) < 2 or not any(v.startswith(start) and len(v) > len(start) for v in variants):
        return None
    height = line.bbox[3] - line.bbox[1]
    below = [
        t
        for t in lines
        if t is not line
        and abs(t.bbox[0] - line.bbox[0]) <= 0.01
        and 0 <= t.bbox[1] - line.bbox[3] <= height
    ]
    for t in sorted(below, key=lambda t: t.bbox[1])[:1]:
        joined = start + normalize.text(t.text)
        separators = "".join(normalize.rules.label_separators)
        if joined.rstrip(separators) in variants:
            return t
    return None


def _aspect(page: Page) -> float:
    """The page's height over its width as read: a length in fractions of the height
    times this is the same length in fractions of the width."""
    width, height = page.width_pt, page.height_pt
    if page.rotation in (90, 270):  # the sizes are the source's, before the turn
        width, height = height, width
    return height / width


def _on_row(blob: UnreadInk, top: float, bottom: float, share: float) -> bool:
    """Whether a blob covers ``share`` of a row's height (or of its own, if smaller)."""
    overlap = min(blob.bbox[3], bottom) - max(blob.bbox[1], top)
    return overlap > 0 and overlap >= share * min(bottom - top, blob.bbox[3] - blob.bbox[1])


def _ink_where_value_is(
    spec: FieldSpec, label: TextLine, page: Page, r: PlausibilityRules, normalize: Normalizer
) -> bool:
    """Whether unread ink lies where the label's value would be: right of it up to the
    next line on its row (or the text's right edge), or — ``below`` — in the band under it.

    Under a blank date the form prints its marks (年 月 日); the OCR may read one and miss
    the others. On the row of a line made only of such marks, character-sized ink is
    taken for the marks it missed; a date written there would be wider (2022).
    """
    rules = r.unread_ink
    lx0, ly0, lx1, ly1 = label.bbox
    marks: list[TextLine] = []
    if spec.method is ReadMethod.BELOW:
        left, right, top, bottom = lx0, lx1, ly1, ly1 + rules.below_depth * (ly1 - ly0)
        marks = [
            t
            for t in page.lines
            if t.bbox[1] < bottom
            and t.bbox[3] > top
            and (text := normalize.text(t.text))
            and all(ch in r.blank_marks for ch in text)
        ]
    else:
        after = [
            t.bbox[0]
            for t in page.lines
            if t is not label and _same_row(label, t) and t.bbox[0] >= lx1 - 0.005
        ]
        edge = max((t.bbox[2] for t in page.lines), default=1.0)
        left, right, top, bottom = lx1, min(after, default=max(edge, lx1)), ly0, ly1
    aspect = _aspect(page)

    def printed_mark(blob: UnreadInk) -> bool:
        for mark in marks:
            height = mark.bbox[3] - mark.bbox[1]
            size = rules.mark_size * height
            if (
                _on_row(blob, mark.bbox[1], mark.bbox[3], rules.row_overlap)
                and blob.bbox[3] - blob.bbox[1] <= size
                and blob.bbox[2] - blob.bbox[0] <= size * aspect
            ):
                return True
        return False

    # the rows a blob may cover: the value's band, and for a ``below`` value also its
    # first row, the label's height under it (a seal's ring stamped over the date under
    # 牵头单位（盖章） covers that row, not the band's depth); a value right of its label
    # has one row, its label's
    rows = [(top, bottom)]
    if spec.method is ReadMethod.BELOW:
        rows.append((top, top + (ly1 - ly0)))
    return any(
        min(b.bbox[2], right) > max(b.bbox[0], left)
        and any(_on_row(b, t, u, rules.row_overlap) for t, u in rows)
        and not printed_mark(b)
        for b in page.unread
    )


def _ink_continues(lines: list[TextLine], page: Page, rules: UnreadInkRules) -> bool:
    """Whether unread ink starts right where one of the value's lines ends (the reading
    stopped short: the rest of the value went unseen).

    The ink must begin within ``continuation_lead`` row heights before the line's end and
    ``continuation_gap`` after it, and either sit on the line's row as writing does (inside
    its band, ``continuation_margin`` of a row above and below), or cover the whole row
    from under the line's last character (a seal over the value's end). A seal ring that
    merely passes near the row — its bottom arc beside a date, a fragment above the end
    of a value — does neither.
    """
    aspect = _aspect(page)
    for line in lines:
        _, y0, x1, y1 = line.bbox
        height = y1 - y0
        row = height * aspect  # the row's height, in fractions of the page's width
        margin = rules.continuation_margin * height
        for blob in page.unread:
            bx0, by0, bx1, by1 = blob.bbox
            if not x1 - rules.continuation_lead * row <= bx0 <= x1 + rules.continuation_gap * row:
                continue
            if bx1 <= x1:
                continue
            on_row = by0 >= y0 - margin and by1 <= y1 + margin
            over_end = by0 <= y0 and by1 >= y1 and bx0 <= x1
            if on_row or over_end:
                return True
    return False


def _ink_precedes(line: TextLine, label: TextLine, page: Page, rules: UnreadInkRules) -> bool:
    """Whether the value's line starts late with a seal's unread ink, or a seal found,
    over the row up to its start (its first characters under the seal, unseen by the OCR).

    Late: the lines within ``precede_rows`` row heights above and below that start right
    of the label's end (none inside a found seal: its lettering) start, in the median, at
    least ``precede_late`` row heights left of this one — a form's values start where its
    underlines do. The ink must cover the whole row, begin left of the line and end
    within ``precede_gap`` row heights before its start or ``precede_lead`` after it. A
    value read in full under a seal starts where its neighbours do.
    """
    aspect = _aspect(page)
    x0, y0, _, y1 = line.bbox
    height = y1 - y0
    row = height * aspect  # the row's height, in fractions of the page's width

    def in_seal(t: TextLine) -> bool:
        cx, cy = (t.bbox[0] + t.bbox[2]) / 2, (t.bbox[1] + t.bbox[3]) / 2
        return any(
            s.bbox[0] <= cx <= s.bbox[2] and s.bbox[1] <= cy <= s.bbox[3] for s in page.seals
        )

    centre = (y0 + y1) / 2
    starts = [
        t.bbox[0]
        for t in page.lines
        if t is not line
        and t is not label
        and abs((t.bbox[1] + t.bbox[3]) / 2 - centre) <= rules.precede_rows * height
        and t.bbox[0] > label.bbox[2]
        and not in_seal(t)
    ]
    if not starts or x0 - statistics.median(starts) < rules.precede_late * row:
        return False
    # a seal found over the row counts as its ink (a 1-bit copy's seal, as dark as the
    # type, over the value's start: 毕节 of 毕节黔通… unread, the value read from right of
    # the ring); unread ink left of the value may run on past it, a seal's box does not
    inks = [blob.bbox for blob in page.unread]
    inks += [seal.bbox for seal in page.seals if seal.edge is None]
    for bx0, by0, bx1, by1 in inks:
        if bx0 >= x0 or not x0 - rules.precede_gap * row <= bx1 <= x0 + rules.precede_lead * row:
            continue
        if by0 <= y0 and by1 >= y1:
            return True
    return False


# Kinds whose text is kept when it does not normalise: a domain outside the list or a
# mobile number that is too short must reach the validators as read, not as a blank.
_KEEP_AS_READ = {FieldType.CHOICE, FieldType.MOBILE, FieldType.EMAIL, FieldType.USCC}


def _anchors(
    spec: FieldSpec, page: Page, variants: list[str], template: TemplateSpec, rules: Rules
) -> Iterator[tuple[TextLine, tuple[float, str], TextLine | None]]:
    """The field's label lines on the page, in reading order, each with its match (quality,
    the text after the label) and the line it wrapped onto; after them, for a ``below``
    date, the lines its own seal may have left a label in part (``_sealed_labels``), and
    for an ``anchor_right`` seal-slot label, the place its seal hid it whole
    (``_sealed_row``)."""
    normalize = normalizer(rules)
    found = False
    for line in page.lines:
        match = _label_match(line, variants, normalize)
        wrapped = None
        if match is None and (wrapped := _wrapped_label(line, page.lines, variants, normalize)):
            match = 1.0, ""  # the label's two lines make it whole; its value is right of it
        if match is not None:
            found = True
            yield line, match, wrapped
    if not found:
        gap = rules.plausibility.label_remnant.pieces_gap
        for joined in _split_labels(page, variants, normalize, gap):
            if (match := _label_match(joined, variants, normalize)) is not None:
                found = True
                yield joined, match, None
    if not found and spec.method is ReadMethod.ANCHOR_RIGHT and page.seals:
        others = _other_labels(spec, template, normalize)
        remnant = rules.plausibility.label_remnant
        for line in page.lines:
            if sealed_remnant(line, variants, others, page, normalize, remnant):
                found = True
                yield line, (remnant.quality, ""), None
    if not found and spec.method is ReadMethod.BELOW and spec.type is FieldType.DATE:
        for line, quality in _sealed_labels(page, variants, rules):
            found = True
            yield line, (quality, ""), None
        if not found:
            r = rules.plausibility.sealed_label
            places = list(_seal_places(page, rules))
            for place, date in places:
                # the page's one seal over a whole date (to its 日): the date its hidden
                # label signs; a date in part, or one of several, a reviewer places
                whole = len(places) == 1 and _read_to_its_end(date.text, rules)
                quality = r.seal_only_date_quality if whole else r.seal_only_quality
                yield place, (quality, ""), None
    sealed = (
        _sealed_row(spec, page, template, rules)
        if not found and spec.method is ReadMethod.ANCHOR_RIGHT
        else None
    )
    if sealed is None and not found and spec.method is ReadMethod.ANCHOR_RIGHT:
        sealed = _sealed_last_date(spec, page, template, rules)
    if sealed is not None:
        yield sealed[0], (sealed[1], ""), None


def _sealed_last_date(
    spec: FieldSpec, page: Page, template: TemplateSpec, rules: Rules
) -> tuple[TextLine, float] | None:
    """Where a date printed last of its page's fields sits when a seal hid its label whole
    (申报日期 on a grey or 1-bit cover, the recommender's seal over it): the first line on
    the row right under the label of the field before it (its middle within
    ``sealed_label.last_date_reach`` of that label's heights below it), beginning right of
    that label, reading as a date or beginning one, with a found seal over its row
    beginning left of it and nothing with a digit left of it on its row. Given as a line
    of no text just left of the date, at ``sealed_label.seal_only_quality``: a reviewer
    confirms it."""
    if spec.type is not FieldType.DATE or not page.seals:
        return None
    order = next((p.fields for p in template.pages if spec.key in p.fields), ())
    if not order or order[-1] != spec.key:
        return None
    normalize = normalizer(rules)
    above: TextLine | None = None
    for key in reversed(order[:-1]):
        variants = _label_variants(template.field(key), template, normalize)
        above = next((t for t in page.lines if _label_match(t, variants, normalize)), None)
        if above is not None:
            break
    if above is None:
        return None
    height = above.bbox[3] - above.bbox[1]
    candidates = []
    for line in page.lines:
        middle = (line.bbox[1] + line.bbox[3]) / 2
        reach = above.bbox[3] + rules.plausibility.sealed_label.last_date_reach * height
        if not above.bbox[3] < middle < reach or not _dated(line, rules):
            continue
        if line.bbox[0] <= above.bbox[2] or any(
            t is not line
            and _same_row(t, line)
            and t.bbox[0] < line.bbox[0]
            and any(c.isdigit() for c in t.text)
            for t in page.lines
        ):
            continue
        if any(s.bbox[1] < middle < s.bbox[3] and s.bbox[0] < line.bbox[0] for s in page.seals):
            candidates.append(line)
    if not candidates:
        return None
    line = min(candidates, key=lambda t: t.bbox[1])
    x0 = line.bbox[0]
    place = TextLine(text="", bbox=(x0 - line.char_width, line.bbox[1], x0, line.bbox[3]))
    return place, rules.plausibility.sealed_label.seal_only_quality


def _split_labels(
    page: Page, variants: list[str], normalize: Normalizer, gap: float
) -> Iterator[TextLine]:
    """A label the OCR's detector cut into pieces along its row (申请 | 日期: a spaced label
    on a grey copy), as one line: pieces each beginning no more than ``gap`` character
    widths past the one before (``rules/plausibility.yaml`` ``label_remnant.pieces_gap``),
    whose texts together begin with a whole label variant, every piece but the last a part
    of it. The line spans the pieces' boxes."""
    separators = "".join(normalize.rules.label_separators)
    for first in page.lines:
        text = normalize.text(first.text)
        if not text or not any(v.startswith(text) and len(v) > len(text) for v in variants):
            continue
        pieces, joined = [first], text
        rest = sorted(
            (t for t in page.lines if t.bbox[0] > first.bbox[0] and _same_row(first, t)),
            key=lambda t: t.bbox[0],
        )
        for t in rest:
            last = pieces[-1]
            if t.bbox[0] - last.bbox[2] > gap * last.char_width:
                break
            pieces.append(t)
            joined += normalize.text(t.text)
            if any(joined.startswith(v) for v in variants):
                yield TextLine(
                    text=joined,
                    bbox=(
                        first.bbox[0],
                        min(p.bbox[1] for p in pieces),
                        pieces[-1].bbox[2],
                        max(p.bbox[3] for p in pieces),
                    ),
                    confidence=min(p.confidence for p in pieces),
                )
                break
            if not any(v.startswith(joined.rstrip(separators)) for v in variants):
                break


def _label_end(line: TextLine, variants: list[str], normalize: Normalizer) -> bool:
    """Whether a line holds only a label's end, the rest of it hidden (期 of 申报日期, its
    申报 read as the label's remnant and 日 under the seal): a date never begins so."""
    separators = "".join(normalize.rules.label_separators)
    text = normalize.text(line.text).rstrip(separators)
    return (
        bool(text)
        and not any(c.isdigit() for c in text)
        and any(v.endswith(text) and len(v) > len(text) for v in variants)
    )


def _lettering(line: TextLine, page: Page, rules: Rules) -> bool:
    """Whether a line is a piece of a found seal's lettering over a date's place: inside the
    seal's box (``sealed_label.lettering_inside`` of it), holding no digit and no 年月日."""
    inside = rules.plausibility.sealed_label.lettering_inside
    return not any(c.isdigit() or c in "年月日" for c in line.text) and any(
        _covered(line.bbox, seal.bbox) >= inside for seal in page.seals
    )


def _lettering_before_option(
    raw: str, value: FieldValue, source: TextLine, page: Page, rules: Rules, normalize: Normalizer
) -> bool:
    """Whether a choice's reading is the option ``value`` whole at its end, after
    characters that a seal found over the reading's row holds in order in its lettering,
    at least ``lettering_before_option`` of them (业和信高端装备制造: 业和信 of the
    authority's seal, 黔西南州工业和信息保局, stamped over the row's start)."""
    least = rules.plausibility.lettering_before_option
    if least <= 0 or not isinstance(value, str):
        return False
    text, option = normalize.text(raw), normalize.text(value)
    before = text[: len(text) - len(option)]
    if not option or not text.endswith(option) or len(before) < least:
        return False
    middle = (source.bbox[1] + source.bbox[3]) / 2
    return any(
        seal.bbox[1] < middle < seal.bbox[3]
        and seal.bbox[0] < source.bbox[2]
        and seal.bbox[2] > source.bbox[0]
        and plausibility.in_order(before, normalize.text(seal.text)) == len(before)
        for seal in page.seals
    )


def _other_labels(spec: FieldSpec, template: TemplateSpec, normalize: Normalizer) -> list[str]:
    """Every other field's label variants (normalised) printed on a page with this one: a
    label's start read alone is no one's when another label of its page begins as far
    alike. A field of another page may print the same label (推荐单位（盖章） signs the
    opinion page's date too): it is not on this page to be mistaken for."""
    beside = {k for p in template.pages if spec.key in p.fields for k in p.fields}
    return [
        v
        for other in template.fields
        if other.key != spec.key and other.key in beside
        for v in _label_variants(other, template, normalize)
    ]


def _sealed_labels(
    page: Page, variants: list[str], rules: Rules
) -> Iterator[tuple[TextLine, float]]:
    """Short lines read like a label in part (牵头单(盖章, 买单位（盖章）: its seal stamped
    over it) with a date straight below, and the label quality each anchors at: higher
    when a seal found on the page covers the line, or begins where the label's rest would
    be (``sealed_labels.seal_over_end``; ``rules/plausibility.yaml`` ``sealed_label``)."""
    r, remnant = rules.plausibility.sealed_label, rules.plausibility.label_remnant
    normalize = normalizer(rules)
    labels = [v for v in variants if len(v) >= r.min_length]
    for line in page.lines:
        text = normalize.text(line.text)
        if not any(
            len(text) <= len(v) + r.max_extra and fuzz.ratio(text, v) >= r.min_ratio for v in labels
        ):
            continue
        below = _below(line, page.lines)
        if below is not None and not _dated(below, rules):
            # the date's end read as a piece of its own nearer the label (2022年7月 | 8日
            # under 单位（盖章）): the row's first piece begins the date
            below = _row_start(below, page, rules)
        if below is None or not _dated(below, rules):
            continue
        sealed = any(_covered(line.bbox, seal.bbox) >= r.seal_overlap for seal in page.seals)
        # or a seal begins where the label's rest would be (牵头单 | the seal over 位（盖章）),
        # over a date read whole on one line (pieces the seal cuts may hide a digit)
        start = max(Prefix.similarity(text, v) for v in labels)
        missing = min(len(v) - start for v in labels if Prefix.similarity(text, v) == start)
        whole = _read_to_its_end(below.text, rules)
        if not sealed and whole and start >= remnant.min_chars and missing > 0:
            sealed = seal_over_end(line, missing, page, normalize, remnant)
        yield line, r.sealed_quality if sealed else r.quality


def _seal_places(page: Page, rules: Rules) -> Iterator[tuple[TextLine, TextLine]]:
    """Where a label no line reads at all would be: a seal found on the page, stamped over
    its label, with a date read under its middle and inside it (the date the seal's
    lower half covers). The place is given as a line of no text over the date's first
    piece (the leftmost on the first row under the seal's middle), ending at the middle,
    with that piece."""
    for seal in page.seals:
        x0, y0, x1, y1 = seal.bbox
        middle = (y0 + y1) / 2
        below = _below(TextLine(text="", bbox=(x0, y0, x1, middle)), page.lines)
        if below is None or below.bbox[1] >= y1:
            continue
        first = min(
            (t for t in page.lines if _same_row(t, below) and t.bbox[2] > x0 and t.bbox[0] < x1),
            key=lambda t: t.bbox[0],
        )
        first = _row_start(first, page, rules)  # the date may begin left of the seal
        if _dated(first, rules):
            yield TextLine(text="", bbox=(first.bbox[0], y0, first.bbox[2], middle)), first


def _sealed_row(
    spec: FieldSpec, page: Page, template: TemplateSpec, rules: Rules
) -> tuple[TextLine, float] | None:
    """Where a label its own seal (or, for a choice, any seal) hid whole would be (推荐单位
    （盖章）：, 所属产业领域 on a greyscale or copied cover, the seal as dark as the type: no
    line reads any of it, or its first character only), and the label
    quality its value is read at. The labels of the fields printed before and after it on
    the page (the form's order) bound its row; the value is the first line between them
    with nothing read left of it on its row, beginning right of a seal found over that row
    and reading as the field's type. It is given as a line of no text just left of the
    value. The value agreeing with the seal's lettering (the seal names the field's owner)
    is read as under a whole label (``sealed_quality``); otherwise a reviewer looks
    (``seal_only_quality``). Only a field that owns a seal slot on the page
    (``rules/plausibility.yaml`` ``sealed_label``), or a choice written on its row: its
    value read as one of its options is read as under a whole label, one a character from
    one (``plausibility.choice_near_miss``) is for review."""
    slot = any(slot.owner == spec.key for slot in template.seal_slots)
    choices = rules.campaign.choices(spec.options_from) if spec.options_from else spec.options
    if not (slot or (spec.type is FieldType.CHOICE and choices)) or not page.seals:
        return None
    order = next((p.fields for p in template.pages if spec.key in p.fields), ())
    if spec.key not in order:
        return None
    normalize = normalizer(rules)
    labels: dict[str, TextLine] = {}
    for key in order:
        if key == spec.key:
            continue
        variants = _label_variants(template.field(key), template, normalize)
        line = next((t for t in page.lines if _label_match(t, variants, normalize)), None)
        if line is not None:
            labels[key] = line
    at = order.index(spec.key)
    above = next((labels[k] for k in reversed(order[:at]) if k in labels), None)
    below = next((labels[k] for k in order[at + 1 :] if k in labels), None)
    if above is None or below is None or above.bbox[3] >= below.bbox[1]:
        return None
    r = rules.plausibility.sealed_label
    own = _label_variants(spec, template, normalize)
    column = max(above.bbox[2], below.bbox[2])  # the value column begins right of the labels
    others = set(map(id, labels.values()))
    found: list[tuple[TextLine, bool]] = []
    for line in page.lines:
        middle = (line.bbox[1] + line.bbox[3]) / 2
        if id(line) in others or not above.bbox[3] < middle < below.bbox[1]:
            continue
        if line.bbox[0] <= column or any(
            t is not line
            and _same_row(t, line)
            and t.bbox[0] < line.bbox[0]
            and not _label_remnant(t, own, r, normalize)
            and (slot or not _label_start(t, own, normalize))
            for t in page.lines
        ):
            continue
        seals = [
            s for s in page.seals if s.bbox[1] < middle < s.bbox[3] and s.bbox[0] < line.bbox[0]
        ]
        text = normalize.text(line.text)
        if not seals:
            continue
        if not slot:
            # a choice (所属产业领域): the row's line reads as one of its printed options
            # (read as under a whole label), or one character from one (a reviewer looks)
            if normalize.value(spec.type, line.text, choices=choices) is not None:
                found.append((line, True))
            elif plausibility.choice_near_miss(line.text, choices, normalize) is not None:
                found.append((line, False))
            continue
        if not re.fullmatch(r.name_pattern, text):
            continue
        agrees = any(
            fuzz.ratio(normalize.text(s.text), text) >= r.lettering_ratio for s in seals if s.text
        )
        found.append((line, agrees))
    if not found:
        return None
    # a line the seal's lettering names first (an option row of a tick field may stand
    # alone on a row too)
    line, agrees = max(found, key=lambda f: f[1])
    x0 = line.bbox[0]
    place = TextLine(text="", bbox=(x0 - line.char_width, line.bbox[1], x0, line.bbox[3]))
    return place, r.sealed_quality if agrees else r.seal_only_quality


def _label_start(line: TextLine, variants: list[str], normalize: Normalizer) -> bool:
    """Whether the line reads only the start of the label (所 of 所属产业领域, the rest under
    a seal)."""
    text = normalize.text(line.text)
    return bool(text) and any(v.startswith(text) and len(v) > len(text) for v in variants)


def _label_remnant(
    line: TextLine, variants: list[str], r: SealedLabelRules, normalize: Normalizer
) -> bool:
    """Whether the line is what a seal left of the label (推荐单盖章): a short line like a
    variant of it (``_sealed_labels``' measure)."""
    text = normalize.text(line.text)
    return any(
        len(v) >= r.min_length
        and len(text) <= len(v) + r.max_extra
        and fuzz.ratio(text, v) >= r.min_ratio
        for v in variants
    )


def _authority_rest(
    spec: FieldSpec, source: TextLine, raw: str, page: Page, rules: Rules
) -> TextLine | None:
    """The rest of an authority's name the OCR read as a line of its own right where the
    value's line ends (贵安新区经济 | 发展局, the two boxes overlapping, on a black copy:
    session-18 tuned corpus), when the two together are an authority of the list."""
    if spec.key not in rules.plausibility.authority_fields:
        return None
    normalize = normalizer(rules)
    authorities = gazetteer(rules).authorities
    if normalize.text(raw) in authorities:
        return None
    x0, _, x1, _ = source.bbox
    pieces = [
        t
        for t in page.lines
        if t is not source
        and _same_row(source, t)
        and (x0 + x1) / 2 < t.bbox[0] <= x1 + source.char_width
        and t.bbox[2] > x1
    ]
    piece = min(pieces, key=lambda t: t.bbox[0], default=None)
    return piece if piece and normalize.text(raw + piece.text) in authorities else None


def _authority_read(
    spec: FieldSpec, label: TextLine, source: TextLine, read: str, page: Page, rules: Rules
) -> tuple[str, bool] | None:
    """The authority an authority field's reading is with characters lost under its seal
    (黔西南州工业和信息化局 for 黔西州工业和信息化局), and whether that is sure: no other
    authority holds the reading nearly (``plausibility.fitted_alone``) and the lettering of
    a seal found over the row agrees (``plausibility.lettering_agrees``); else the
    authority is proposed, for review. None when the reading is no such authority."""
    judge = rules.plausibility
    if spec.key not in judge.authority_fields:
        return None
    normalize = normalizer(rules)
    gaz = gazetteer(rules)
    text = normalize.text(read)
    middle = (source.bbox[1] + source.bbox[3]) / 2
    letterings = [
        normalize.text(s.text)
        for s in page.seals
        if s.bbox[1] < middle < s.bbox[3]
        and s.bbox[0] < source.bbox[2]
        and s.bbox[2] > label.bbox[0]
    ]
    shown = {
        n
        for n in plausibility.fitting_authorities(text, gaz, judge)
        for lettering in letterings
        if plausibility.lettering_agrees(text, n, lettering, gaz, judge)
    }
    name = plausibility.fitted_authority(text, gaz, judge)
    if name is not None and plausibility.fitted_alone(text, name, gaz, judge):
        # sure when the seal's lettering shows the lost characters, or when they were lost
        # from the ending every authority shares, the place that names it read whole
        place_whole = judge.authority_place_whole and plausibility.place_read_whole(text, name, gaz)
        return name, name in shown or place_whole
    # several fit (市工业和信息化局: five cities' with two lost; 南州工业和信息化局: 黔南州…
    # with one, 黔东南州… with two): the one the seal's lettering shows is proposed, for
    # review; with none shown, the reading is kept as read
    return (shown.pop(), False) if len(shown) == 1 else None


def _lettering_start(
    spec: FieldSpec,
    source: TextLine,
    raw: str,
    page: Page,
    template: TemplateSpec,
    normalize: Normalizer,
) -> str | None:
    """The seal's lettering, when the value a seal-slot owner's seal is stamped over is read
    without its start (义市工业和信息化局: 遵 under the ring) and the lettering
    (遵义市工业和信息化局) ends with it: the start the seal hid."""
    if spec.method is not ReadMethod.ANCHOR_RIGHT or not any(
        slot.owner == spec.key for slot in template.seal_slots
    ):
        return None
    text = normalize.text(raw)
    if not text:
        return None
    middle = (source.bbox[1] + source.bbox[3]) / 2
    for seal in page.seals:
        x0, y0, x1, y1 = seal.bbox
        if not (y0 < middle < y1 and x0 < source.bbox[0] < x1):
            continue
        lettering = normalize.text(seal.text)
        if len(lettering) > len(text) and lettering.endswith(text):
            return lettering
    return None


def _past_lettering(label: TextLine, source: TextLine, page: Page, rules: Rules) -> TextLine:
    """The line right of the label past a piece of a seal's lettering the OCR read as a
    line between them (有限 of 贵州清镇冶金科技有限公司, the lead's seal over the row
    of 创新中心名称: the centre's name right of it was never taken). A piece of lettering
    lies inside a found seal and stands taller than the label's row (the ring's curve);
    it is passed only when a line right of it on the row lies outside every seal."""
    r = rules.plausibility.sealed_label
    normalize = normalizer(rules)
    height = label.bbox[3] - label.bbox[1]
    tall = (source.bbox[3] - source.bbox[1]) >= r.lettering_height * height
    # ... or a character or two of the lettering, no name, as much smaller than the row's
    # print (可 of the ring's 局, 0.54 of the label's height, read between 推荐单位（盖章） and
    # 黔东南州工业和信息化局 on a grey cover, session-17 tuned corpus), when what lies right
    # of it reads as a name
    small = (source.bbox[3] - source.bbox[1]) * r.lettering_height <= height
    piece = small and not re.fullmatch(r.name_pattern, normalize.text(source.text))
    if not (tall or piece) or not any(
        _covered(source.bbox, seal.bbox) >= r.lettering_inside for seal in page.seals
    ):
        return source
    rest = tuple(t for t in page.lines if t is not source and t.bbox[0] >= source.bbox[0])
    further = _right_of(label, rest)
    if further is None or any(
        _covered(further.bbox, seal.bbox) >= r.lettering_inside for seal in page.seals
    ):
        return source
    if not tall and not re.fullmatch(r.name_pattern, normalize.text(further.text)):
        return source
    return further


def _past_lettering_in_label(
    label: TextLine, rest: str, page: Page, rules: Rules, normalize: Normalizer
) -> TextLine:
    """The line right of the label when what the label's line reads after the label is a
    piece of a seal's lettering the OCR ran into it (创新中心名称匀冶炼: 匀冶炼 of the lead's
    seal 贵州都匀冶炼有限责任公司 over the label's end, the centre's name right of it):
    that part of the line lies inside a found seal, the line stands taller than the line
    right of it (the ring's curve), and that line lies outside every seal. Else the
    label's own line."""
    r = rules.plausibility.sealed_label
    text = normalize.text(label.text)
    right = _right_of(label, page.lines)
    if right is None or not text or not page.seals:
        return label
    x0, y0, x1, y1 = label.bbox
    part = (x1 - (x1 - x0) * len(rest) / len(text), y0, x1, y1)
    tall = (y1 - y0) >= r.lettering_height * (right.bbox[3] - right.bbox[1])
    if not tall or not any(_covered(part, seal.bbox) >= r.lettering_inside for seal in page.seals):
        return label
    if any(_covered(right.bbox, seal.bbox) >= r.lettering_inside for seal in page.seals):
        return label
    return right


def _date_pieces(
    source: TextLine, page: Page, rules: Rules, normalize: Normalizer
) -> list[TextLine]:
    """The rest of a date the OCR read in pieces along its row (2022年 | 7月16日: a seal's
    ring between them): the lines right of ``source`` on its row, each close to the one
    before (``rules/second_reading.yaml`` ``row``), when the line alone is no date and the
    pieces together are."""
    row = rules.second_reading.row
    if _reads_as_date(source.text, normalize) or re.search(row.whole, source.text):
        return []
    pieces = row_pieces(source, page.lines, row)[1:]
    joined = source.text + "".join(t.text for t in pieces)
    return pieces if pieces and _reads_as_date(joined, normalize) else []


def _row_read_again(
    source: TextLine | None, page: Page, rules: Rules, normalize: Normalizer
) -> tuple[str, str] | None:
    """The date a seal-cut row of the value reads as in one crop (``TextLine.row_reading``,
    ``pipeline.second_reading.row_readings``) and its text, when it is another date than
    the pieces read alone make and keeps every character of those pieces in order (what
    it adds was under the seal; one that reads a piece otherwise is not taken)."""
    if source is None:
        return None
    row = rules.second_reading.row
    for carrier in page.lines:
        if not carrier.row_reading:
            continue
        pieces = row_pieces(carrier, page.lines, row)
        if not any(t is source for t in pieces):
            continue
        again = normalize.text(carrier.row_reading)
        read = normalize.text("".join(t.text for t in pieces))
        if not _in_order(_date_marks(read), _date_marks(again)):
            return None
        value = normalize.value(FieldType.DATE, again)
        if value is None:
            value = (normalize.written_date(again) or (None, ""))[0]
        first = normalize.value(FieldType.DATE, read)
        return (again, value) if isinstance(value, str) and value != first else None
    return None


def _row_start(source: TextLine, page: Page, rules: Rules) -> TextLine:
    """The first piece of the date row ``source`` is on: the leftmost line beginning a date
    (``row.start``, 2022 / 2022年) among the lines left of it on its row, each no more than
    ``row.gap`` character widths before the next, or with a found seal over the gap
    between them (the ring stamped over the date's middle); ``source`` when none."""
    row = rules.second_reading.row
    start, chain = source, source
    left = sorted(
        (t for t in page.lines if t.bbox[2] <= chain.bbox[0] + chain.char_width),
        key=lambda t: -t.bbox[2],
    )
    for t in left:
        if t is chain or t.bbox[0] >= chain.bbox[0] or not t.shares_row(source, row.row_overlap):
            continue
        gap = chain.bbox[0] - t.bbox[2]
        bridged = any(
            seal.bbox[0] <= t.bbox[2] + row.reach * t.char_width
            and seal.bbox[2] >= chain.bbox[0]
            and seal.bbox[1] < source.bbox[3]
            and seal.bbox[3] > source.bbox[1]
            for seal in page.seals
        )
        if gap > row.gap * t.char_width and not bridged:
            break
        chain = t
        if re.search(row.start, t.text):
            start = t
    return start


def _date_proposal(
    key: str, raw: str, source: TextLine | None, page: Page, rules: Rules, normalize: Normalizer
) -> tuple[str, str] | None:
    """A date no reading of its row makes whole, proposed from its parts: the reading, its
    row's pieces from the row's first (``_row_start``) read together, each piece as a
    re-reading of it reads it when that keeps every digit and 年月日 of the piece in order
    (2022年 | 月18日, the piece re-read 6月18日), and the row read as one crop through the
    seal (``TextLine.row_reading``) when it keeps the pieces' in order; each parsed, or
    completed by its structure (``plausibility.completed_date``: 022年7月16日, 20226月16).
    (the text as read or completed, the date) when they make exactly one date, else None."""
    texts = [raw]
    if source is not None:
        pieces = row_pieces(_row_start(source, page, rules), page.lines, rules.second_reading.row)
        read = "".join(t.text for t in pieces)
        texts.append(read)
        for i, piece in enumerate(pieces):
            for again in piece.rereadings or ():
                if again != piece.text and _in_order(_date_marks(piece.text), _date_marks(again)):
                    texts.append("".join(again if j == i else t.text for j, t in enumerate(pieces)))
        texts += [
            t.row_reading
            for t in pieces
            if t.row_reading and _in_order(_date_marks(read), _date_marks(t.row_reading))
        ]
    found: dict[str, str] = {}
    for text in texts:
        value = normalize.value(FieldType.DATE, text)
        shown = text
        if not isinstance(value, str):
            completed = plausibility.completed_date(key, text, rules.plausibility, normalize)
            if completed is None:
                continue
            value, shown = completed
        if plausibility.in_range(key, value, rules.plausibility):
            found.setdefault(value, shown)
    if len(found) != 1:
        return None
    value, shown = next(iter(found.items()))
    return shown, value


def _repeat_collapsed(first: str, again: str) -> bool:
    """Whether a re-reading is the first reading with one of a doubled character lost
    (2004年1月26日 re-read for 2004年11月26日: the recogniser's decoding merges two like
    characters with no gap scored between them, so the shorter reading lost one; it does
    not invent one). Such a re-reading is no sign against the first."""
    return len(again) == len(first) - 1 and any(
        first[i] == first[i + 1] and first[:i] + first[i + 1 :] == again
        for i in range(len(first) - 1)
    )


def _year_only_misread(key: str, value: FieldValue, other: FieldValue, rules: Rules) -> bool:
    """Whether a re-reading of a date differs from the value only in a year outside the
    field's range while the value's lies inside it (2012年7月13日 re-read for 2022年7月13日,
    the form signed for the 2022 call: rules/plausibility.yaml ``date_ranges``): the
    re-reading misread a digit of the year, and agrees on the month and day; it is no sign
    against the value."""
    if not isinstance(value, str) or not isinstance(other, str) or value[4:] != other[4:]:
        return False
    judge = rules.plausibility
    return key in judge.date_ranges and (
        plausibility.in_range(key, value, judge) and not plausibility.in_range(key, other, judge)
    )


def _read_to_its_end(raw: str, rules: Rules) -> bool:
    """Whether a date's text is read whole, from its year to the 日 that ends it
    (``rules/second_reading.yaml`` ``row``: ``start``, ``whole``, ``end``): nothing written
    after 日 belongs to the date, so ink beside it (a seal's ring stamped just past the
    day, unread on a greyscale scan) does not mean the reading stopped short."""
    row = rules.second_reading.row
    text = normalizer(rules).text(raw).strip()
    return all(re.search(p, text) for p in (row.start, row.whole, row.end))


def _date_marks(text: str) -> str:
    """A date's digits and 年月日, the rest left out."""
    return "".join(c for c in text if c.isdigit() or c in "年月日")


def _in_order(part: str, whole: str) -> bool:
    """Whether every character of ``part`` comes in ``whole``, in order."""
    rest = iter(whole)
    return all(c in rest for c in part)


def _dated(line: TextLine, rules: Rules) -> bool:
    """Whether the line reads as a date, or begins one (2022年, the rest under a seal)."""
    start = rules.second_reading.row.start
    return _reads_as_date(line.text, normalizer(rules)) or re.search(start, line.text) is not None


def _reads_as_date(text: str, normalize: Normalizer) -> bool:
    return (
        normalize.value(FieldType.DATE, text) is not None
        or normalize.written_date(text) is not None
    )


def _covered(box: tuple[float, float, float, float], cover: tuple[float, ...]) -> float:
    """The share of ``box``'s area inside ``cover``."""
    width = min(box[2], cover[2]) - max(box[0], cover[0])
    height = min(box[3], cover[3]) - max(box[1], cover[1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return max(0.0, width) * max(0.0, height) / area if area > 0 else 0.0


def read_field(
    spec: FieldSpec, page: Page, template: TemplateSpec, rules: Rules
) -> ExtractedField | None:
    """One field from one page, or None when its label is not on it."""
    campaign = rules.campaign
    normalize = normalizer(rules)
    variants = _label_variants(spec, template, normalize)
    opinion = template.opinion
    printed = [
        normalize.text(t)
        for t in (opinion.note, opinion.signature, opinion.heading, *opinion.aliases)
    ]
    for line, match, wrapped in _anchors(spec, page, variants, template, rules):
        quality, rest = match
        cut = ""  # the value's line after the label's end, when the label ran onto it
        source: TextLine | None = line if rest else None
        if (
            source is line
            and spec.method is not ReadMethod.BELOW
            and (_unit_begun(line, variants, normalize) or not any(c.isalnum() for c in rest))
        ):
            # what follows the unit's start is the unit misread (（00 for （%）), or only a
            # mark (a colon read as _): the value is the next cell's; with no cell right of
            # it, it is the value
            right = _right_of(line, page.lines)
            source = line if right is None else right
        if source is line and spec.method is not ReadMethod.BELOW:
            source = _past_lettering_in_label(line, rest, page, rules, normalize)
        if source is None and spec.method is ReadMethod.BELOW and spec.type is FieldType.DATE:
            # a piece of the seal's lettering read between the label and the date (金)
            source = _below(line, tuple(t for t in page.lines if not _lettering(t, page, rules)))
            if source is not None and not _dated(source, rules):
                # the date's end read as a piece of its own nearer the label (2022年7月 |
                # 8日): the date is read from the row's first piece
                source = _row_start(source, page, rules)
        elif source is None:
            source = (
                _below(line, page.lines)
                if spec.method is ReadMethod.BELOW
                else _right_of(line, page.lines)
                or _label_rest_line(line, page.lines, variants, normalize)
            )
        if source is not None and source is not line and spec.method is not ReadMethod.BELOW:
            source = _past_lettering(line, source, page, rules)
        if source is not None and source is not line:
            # the box's printed note under a blank date is the form's text, not a value
            text = normalize.text(source.text)
            if any(fuzz.ratio(text, p) >= LABEL_MATCH for p in printed):
                source = None
            else:
                tail = _label_tail(line, source, variants, normalize)
                if tail is None and spec.type is FieldType.DATE:
                    tail = "" if _label_end(source, variants, normalize) else None
                if tail == "":
                    # the OCR cut the label in three (推荐单位 | 盖章) | 黔西南州…): the line
                    # is the rest of the label, the value is the next one on
                    source = (
                        _below(source, page.lines)
                        if spec.method is ReadMethod.BELOW
                        else _right_of(source, page.lines)
                    )
                cut = tail or ""
        raw = rest if source is line else (cut or source.text if source else "")
        read_from = [] if source is None else [source]
        if source is not None and source is not line:
            label_lines = (line,) if wrapped is None else (line, wrapped)
            if spec.type is FieldType.DATE and spec.method is ReadMethod.BELOW:
                read_from += _date_pieces(source, page, rules, normalize)
            next_row = _next_row(page, template, normalize, rules.plausibility.row_rhythm)
            read_from += _continuation(source, page.lines, label_lines, next_row)
            raw += _joined(read_from, page, spec.type, rules.normalize.list_line_short)
            if (piece := _authority_rest(spec, source, raw, page, rules)) is not None:
                read_from.append(piece)
                raw += piece.text
        lettering = (
            _lettering_start(spec, source, raw, page, template, normalize)
            if source is not None and page.kind is SourceKind.SCAN
            else None
        )
        if lettering is not None:
            lettering, raw = raw, lettering
        fitted = (
            _authority_read(
                spec, line, source, raw if lettering is None else lettering, page, rules
            )
            if source is not None and page.kind is SourceKind.SCAN
            else None
        )
        if fitted is not None and fitted[1] and lettering is not None:
            # the reading is the authority, its lost start the seal's: no start to confirm
            raw, lettering = lettering, None
        choices = campaign.choices(spec.options_from) if spec.options_from else spec.options
        value = normalize.value(
            spec.type, raw, choices=choices, equivalents=campaign.org_suffix_equivalents
        )
        written = ""  # a date read only by taking a character for a written digit
        digit_read = False  # a re-reading read that digit as the digit proposed
        if spec.type is FieldType.DATE and value is None and (found := normalize.written_date(raw)):
            value, written = found
        row = (
            _row_read_again(source, page, rules, normalize) if spec.type is FieldType.DATE else None
        )
        if row is not None and value is None:
            # the date's pieces read together through the seal cutting them: a proposal
            raw, value = row
        elif row is not None and row[1] == value:
            # the value's own line reads the date the row read through the seal makes (the
            # pieces differ only by a fragment beside it): the two readings agree, nothing
            # under the seal is added, no proposal to confirm
            row = None
        proposal = None  # a date read in part, proposed from its parts for review
        if spec.type is FieldType.DATE and value is None and page.kind is SourceKind.SCAN:
            proposal = _date_proposal(spec.key, raw, source, page, rules, normalize)
            if proposal is not None:
                raw, value = proposal
        parsed = value is not None
        if value is None and spec.type in _KEEP_AS_READ and normalize.text(raw):
            value = normalize.text(raw)
            if spec.type is FieldType.CHOICE and page.kind is SourceKind.SCAN:
                # a printed option cut or one character off on a scan (端装备制造, 生态特色:
                # the rest under a seal or past the cell): the option is proposed, and the
                # plausibility check sends it to review (near_choice, detail the option)
                value = (
                    plausibility.choice_near_miss(
                        raw, choices, normalize, rules.plausibility.choice_kept
                    )
                    or value
                )
        if fitted is not None:
            value = fitted[0]  # sure, or proposed for review (below)
        characters: tuple[tuple[str, float], ...] | None = None
        if source is line:
            characters = plausibility.value_characters(
                line.text, line.char_confidences, normalize, rest
            )
        else:
            per_line = [
                plausibility.value_characters(
                    t.text, t.char_confidences, normalize, cut if i == 0 and cut else None
                )
                for i, t in enumerate(read_from)
            ]
            if per_line and all(c is not None for c in per_line):
                characters = tuple(pair for c in per_line for pair in c or ())
        marks = rules.plausibility.structure_marks.get(spec.type.value, "")
        if parsed and characters and marks:
            # a parsed date's 年月日 (a period's dash) are placed by the parse: the digits
            # carry the value, the marks cap nothing
            characters = tuple(p for p in characters if p[0] not in marks) or characters
        line_confidence = min((t.confidence for t in read_from), default=1.0)
        ledger = Ledger()
        ledger.times(quality, Doubt.LABEL)
        own = plausibility.reading_doubt(line_confidence, characters, rules.plausibility)
        read_as = plausibility.reading_confidence(line_confidence, characters, rules.plausibility)
        judge = rules.plausibility
        sure_fit = fitted is not None and fitted[1]
        if (
            page.kind is SourceKind.SCAN
            and characters
            and spec.key in judge.authority_fields
            and read_as >= judge.authority_sure_from
            and (
                sure_fit
                or plausibility.sole_authority(normalize.text(raw), gazetteer(rules), judge)
            )
        ):
            # one authority of the list read whole, none other near it: a character read
            # a little weakly in place is where the list has it
            read_as = 1.0
        ledger.times(read_as, own.cue, own.detail)
        if page.kind is SourceKind.SCAN:  # text layers and DOCX are read exactly
            signs = plausibility.plausibility(
                spec.key,
                spec.type,
                str(value) if sure_fit else raw,
                value,
                parsed=parsed or sure_fit,
                choices=choices,
                gaz=gazetteer(rules),
                rules=rules.plausibility,
                normalize=normalize,
                vocabulary=vocabulary(rules)
                if spec.key in rules.plausibility.vocabulary.fields
                else None,
            ).doubts
            if fitted is not None and not sure_fit:
                # an authority proposed for a reading that lost characters: a reviewer
                # confirms it (the near miss named is the one proposed)
                near = FieldDoubt(
                    cue=Doubt.NEAR_CHOICE, detail=fitted[0], effect=judge.factors.near_miss
                )
                signs = (*(d for d in signs if d.cue is not Doubt.NEAR_CHOICE), near)
            # ink the OCR did not read, where the value is or goes on (the characters an
            # authority read surely lost are the seal's: explained)
            if (page.unread or page.seals) and not sure_fit:
                blank = source is None and not raw.strip()
                # a date read to its 日 did not stop short, whatever ink lies past it
                ended = spec.type is FieldType.DATE and parsed and _read_to_its_end(raw, rules)
                unread = rules.plausibility.unread_ink
                signs += plausibility.unread_ink(
                    blank_with_ink=blank
                    and _ink_where_value_is(spec, line, page, rules.plausibility, normalize),
                    ink_continues=bool(read_from)
                    and not ended
                    and _ink_continues(read_from, page, unread),
                    # the value's own line (no label read in it): where it starts is its start
                    ink_precedes=source is not None
                    and source is not line
                    and not cut
                    and _ink_precedes(source, line, page, unread),
                    rules=rules.plausibility,
                ).doubts
            if (
                spec.type is FieldType.CHOICE
                and source is not None
                and _lettering_before_option(raw, value, source, page, rules, normalize)
            ):
                # the option read whole after a found seal's lettering stamped over its
                # row: a person reads the option beside the seal at a glance
                signs = tuple(d for d in signs if d.cue is not Doubt.NEAR_CHOICE)
            for sign in signs:
                ledger.times(sign.effect, sign.cue, sign.detail)
            agreed: list[tuple[str, str]] = []  # the re-readings' dates, when they parse
            if source is not None and source.rereadings and value is not None:
                for again in source.rereadings:
                    if (
                        raw_again := _reread_raw(again, line, source, cut, variants, normalize)
                    ) is None:
                        continue
                    if read_from[1:]:
                        raw_again += "".join(t.text for t in read_from[1:])
                    other = normalize.value(
                        spec.type,
                        raw_again,
                        choices=choices,
                        equivalents=campaign.org_suffix_equivalents,
                    )
                    digit_read = digit_read or bool(written and other == value)
                    if other is None and spec.type is FieldType.DATE:
                        other = (normalize.written_date(raw_again) or (None, ""))[0]
                    if fitted is not None and isinstance(other, str):
                        # read again with as many lost, the same authority
                        again_fit = plausibility.fitted_authority(
                            normalize.text(other), gazetteer(rules), judge
                        )
                        other = again_fit or other
                    if isinstance(other, str):
                        agreed.append((raw_again, other))
                    if (
                        other is not None
                        and other != value
                        and not _year_only_misread(spec.key, value, other, rules)
                        and not _repeat_collapsed(normalize.text(raw), normalize.text(raw_again))
                    ):
                        cap = rules.plausibility.agreement.disagreement_cap
                        ledger.cap(cap, Doubt.REREAD, normalize.text(raw_again))
                if (
                    spec.type is FieldType.DATE
                    and len(agreed) == len(source.rereadings)
                    and len({str(o) for _, o in agreed}) == 1
                    and not plausibility.in_range(spec.key, value, rules.plausibility)
                    and plausibility.in_range(spec.key, agreed[0][1], rules.plausibility)
                ):
                    # a date outside the campaign's (2021 for 2022: its 2 read 1) that every
                    # re-reading reads alike inside it: theirs is proposed, for review (the
                    # re-readings disagree with the first reading, capped above)
                    raw, value = agreed[0][0], agreed[0][1]
        if lettering is not None:
            # the value's start taken from the seal's lettering: a reviewer confirms it
            ledger.cap(rules.plausibility.agreement.disagreement_cap, Doubt.DISAGREE, lettering)
        if row is not None:
            # the row read through the seal makes another date than its pieces: what it
            # adds lay under the seal, a reviewer confirms it
            ledger.cap(rules.plausibility.agreement.disagreement_cap, Doubt.REREAD, row[0])
        if proposal is not None:
            cap = rules.plausibility.date_completion.cap
            ledger.cap(cap, Doubt.DATE_COMPLETED, proposal[0])
        if written and not digit_read:  # a proposal: a reviewer confirms the digit
            ledger.cap(rules.normalize.written_digit_cap, Doubt.WRITTEN_DIGIT, written)
        return ExtractedField(
            value=value,
            raw=raw.strip(),
            page=page.number,
            bbox=source.bbox if source else line.bbox,
            confidence=round(ledger.confidence, 4),
            doubts=ledger.doubts,
        )
    return None


def extract_fields(
    submission: Submission, template: TemplateSpec, rules: Rules
) -> dict[str, ExtractedField]:
    """Every labelled and tick-box field of the template, read on the page it was found on.

    A field printed on several pages (the centre's name on the cover and in the table)
    keeps a reading with a value over a blank one, and the table's over the cover's; the
    other reading then revises its confidence (``plausibility.combine_readings``): two
    readings that agree are surer, two that disagree go to a reviewer.
    """
    normalize = normalizer(rules)
    hits = find_sections(submission, template, normalize)
    pages = {p.number: p for p in submission.pages}
    readings: dict[str, list[tuple[bool, ExtractedField]]] = {}
    judge = rules.plausibility
    for page_spec in template.pages:
        found = [hits[s] for s in page_spec.sections if s in hits]
        if not found or found[0].page not in pages:
            continue
        page = pages[found[0].page]
        for key in page_spec.fields:
            spec = template.field(key)
            reading = (
                read_checkbox(
                    spec,
                    page,
                    template,
                    rules.campaign,
                    rules.ticks,
                    normalize,
                    rules.plausibility.label_remnant,
                )
                if spec.method is ReadMethod.CHECKBOX
                else read_field(spec, page, template, rules)
            )
            if reading is None and spec.method is not ReadMethod.CHECKBOX:
                reading = _authority_unplaced(spec, page, rules)
            if reading is not None:
                preferred = spec.method is ReadMethod.TABLE_CELL and page_spec.id != "cover"
                readings.setdefault(key, []).append((preferred, reading))
    fields: dict[str, ExtractedField] = {}
    for key, candidates in readings.items():
        # A reading with a value beats a blank one (the cover's name under a seal), and
        # among those the table's beats the cover's.
        filled = [(p, r) for p, r in candidates if r.value not in (None, [])] or candidates
        # a reading of the form's shape (贵州省…制造业创新中心) before one without it
        filled = [c for c in filled if plausibility.fits_form(key, c[1].value, judge)] or filled
        kept = next((r for preferred, r in reversed(filled) if preferred), filled[0][1])
        for _, other in candidates:
            if other is not kept:
                kept = plausibility.combine_readings(
                    kept, other, judge, rules.review.review_threshold, key
                )
        fields[key] = kept
    fields, confirmed = _same_day_dates(fields, pages, rules)
    fields = _doubt_date_order(fields, template, pages, rules, confirmed)
    return _doubt_blank_ticks(fields, template, pages, rules)


def _authority_unplaced(spec: FieldSpec, page: Page, rules: Rules) -> ExtractedField | None:
    """An authority field whose label was found nowhere on a scanned page that shows an
    authority's seal (its lettering keeps at least ``authority_lettering_kept`` of one
    authority's characters in order): the authority's name is printed under it, unread,
    so no reading is not a blank: a reviewer looks (session-17 tuned corpus: three covers
    read so gave no field at all, never flagged). A page with no authority's seal (an
    exempt applicant's cover) gives nothing, as before."""
    judge = rules.plausibility
    if spec.key not in judge.authority_fields or page.kind is not SourceKind.SCAN:
        return None
    normalize = normalizer(rules)
    gaz = gazetteer(rules)
    seal = next(
        (
            s
            for s in page.seals
            if plausibility.names_an_authority(normalize.text(s.text), gaz, judge) is not None
        ),
        None,
    )
    if seal is None:
        return None
    quality = judge.sealed_label.seal_only_quality
    return ExtractedField(
        value=None,
        raw="",
        page=page.number,
        bbox=seal.bbox,
        confidence=quality,
        doubts=(FieldDoubt(cue=Doubt.LABEL, effect=quality),),
    )


def _same_day_dates(
    fields: dict[str, ExtractedField], pages: dict[int, Page], rules: Rules
) -> tuple[dict[str, ExtractedField], frozenset[str]]:
    """Dates signed together on two pages (``rules/plausibility.yaml`` ``same_day``) read
    alike off a scan, each on its own page: two readings of one date, each revised by the
    other (``plausibility.combine_readings``). Also the keys so confirmed.

    Read differently, they may be signed on different days — but not when one reads as the
    other with one character lost (2022年7月1日 and 2022年7月16日: the 6 lost under a seal's
    ring on a 1-bit page, read at 1.0): one of the two is misread, both go to review — or
    the shorter alone, when a found seal lies over it and none over the other."""
    judge = rules.plausibility
    scanned = {n for n, page in pages.items() if page.kind is SourceKind.SCAN}
    out = dict(fields)
    confirmed: set[str] = set()
    for first, second in judge.same_day:
        a, b = fields.get(first), fields.get(second)
        if (
            a is None
            or b is None
            or a.page not in scanned
            or b.page not in scanned
            or a.page == b.page  # one page's two dates are not read apart
            or not isinstance(a.value, str)
        ):
            continue
        if a.value != b.value:
            if isinstance(b.value, str) and _one_lost(a.raw, b.raw, rules):
                cap = judge.agreement.disagreement_cap
                pair = [(first, a, b), (second, b, a)]
                sealed = [p for p in pair if _under_seal(p[1], pages)]
                shorter = min(pair, key=lambda p: len(normalizer(rules).text(p[1].raw)))
                if sealed == [shorter]:
                    pair = sealed  # the one under a seal lost it, the other is read clear
                for key, field, other in pair:
                    shown = other.raw or str(other.value)
                    out[key] = doubted(
                        field, min(field.confidence, cap), Doubt.DISAGREE, shown, effect=cap
                    )
            continue
        threshold = rules.review.review_threshold
        out[first] = plausibility.combine_readings(a, b, judge, threshold, first)
        out[second] = plausibility.combine_readings(b, a, judge, threshold, second)
        confirmed |= {first, second}
    return out, frozenset(confirmed)


def _under_seal(field: ExtractedField, pages: dict[int, Page]) -> bool:
    """Whether a found seal (not a half one at the page's edge) overlaps the field's box."""
    page = pages.get(field.page) if field.page is not None else None
    if page is None or field.bbox is None:
        return False
    x0, y0, x1, y1 = field.bbox
    return any(
        s.edge is None and s.bbox[0] < x1 and x0 < s.bbox[2] and s.bbox[1] < y1 and y0 < s.bbox[3]
        for s in page.seals
    )


def _one_lost(one: str, other: str, rules: Rules) -> bool:
    """Whether one text is the other with one character lost (spaces aside)."""
    normalize = normalizer(rules)
    a, b = sorted((normalize.text(one), normalize.text(other)), key=len)
    return bool(a) and len(b) == len(a) + 1 and plausibility.in_order(a, b) == len(a)


def _doubt_date_order(
    fields: dict[str, ExtractedField],
    template: TemplateSpec,
    pages: dict[int, Page],
    rules: Rules,
    confirmed: frozenset[str] = frozenset(),
) -> dict[str, ExtractedField]:
    """Two dates read off a scan in an order the forms cannot have (a recommendation
    before the application): one of them is misread, so both go to review
    (``rules/plausibility.yaml`` ``date_order``) — unless one was read alike on another
    page (``confirmed``, ``same_day``) and the other not: the other is the one misread."""
    r = rules.plausibility
    scanned = {n for n, page in pages.items() if page.kind is SourceKind.SCAN}
    out = dict(fields)
    for first, second in r.date_order:
        a, b = fields.get(first), fields.get(second)
        if a is None or b is None or a.page not in scanned or b.page not in scanned:
            continue
        if not (isinstance(a.value, str) and isinstance(b.value, str) and a.value > b.value):
            continue  # ISO dates compare as text; a blank or unparsed one decides nothing
        factor = r.factors.out_of_range
        doubted_pair = [(first, a, second), (second, b, first)]
        if (first in confirmed) != (second in confirmed):
            doubted_pair = [p for p in doubted_pair if p[0] not in confirmed]
        for key, field, other in doubted_pair:
            label = template.field(other).label
            out[key] = doubted(
                out[key], field.confidence * factor, Doubt.OUT_OF_ORDER, label, effect=factor
            )
    return out


def _doubt_blank_ticks(
    fields: dict[str, ExtractedField],
    template: TemplateSpec,
    pages: dict[int, Page],
    rules: Rules,
) -> dict[str, ExtractedField]:
    """On a scan where no tick group was read ticked in its box, no blank is sure: the
    applicant's marks were made some way not seen, or made outside the boxes (a ring, an
    underline, a ✓ after the words: read, but a blank beside them may be such a mark
    missed), or the form went back unticked, which a person confirms rather than the tool
    assumes. Each blank goes to review (``rules/ticks.yaml`` ``none_ticked``)."""
    ticks = [k for k in fields if template.field(k).method is ReadMethod.CHECKBOX]
    if not ticks or any(_ticked_in_a_box(fields[k], pages, rules) for k in ticks):
        return fields
    doubt = rules.ticks.confidence.none_ticked
    scanned = {n for n, page in pages.items() if page.kind is SourceKind.SCAN}
    return fields | {
        k: doubted(
            fields[k], min(fields[k].confidence, doubt), Doubt.TICK_NONE_TICKED, effect=doubt
        )
        for k in ticks
        if fields[k].page in scanned and fields[k].value in (None, [])
    }


def _ticked_in_a_box(field: ExtractedField, pages: dict[int, Page], rules: Rules) -> bool:
    """Whether a tick-box reading rests on ink inside a box (its evidence is the box)."""
    page = pages.get(field.page) if field.page is not None else None
    return (
        field.value not in (None, [])
        and page is not None
        and any(b.bbox == field.bbox and b.ink >= rules.ticks.ticked_ink for b in page.boxes)
    )


def extract(submission: Submission, rules: Rules) -> Submission:
    """Annex, sections, page order, fields and tables of one read submission, and the
    findings on what was read (FIELD_MISSING, FIELD_INVALID, FIELD_LOW_CONFIDENCE)."""
    normalize = normalizer(rules)
    checked = check_sections(submission, rules.templates, normalize)
    if checked.annex is Annex.UNKNOWN:
        return checked
    template = rules.templates[checked.annex]
    ordered, _ = page_order(checked, template, normalize)
    read_off = extract_fields(ordered, template, rules) | read_tables(
        ordered,
        template,
        rules.campaign,
        normalize,
        gazetteer(rules).places,
        rules.plausibility,
        gazetteer(rules).org_suffixes,
    )
    fields = {key: pruned(field, rules.review) for key, field in read_off.items()}
    read = ordered.model_copy(update={"fields": fields})
    findings = read.findings + check_fields(
        read,
        template,
        rules.campaign,
        rules=rules.checks,
        review=rules.review,
        normalize=normalize,
    )
    return read.model_copy(update={"findings": findings})
