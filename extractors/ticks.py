"""Tick-box fields (□企业型 □院所型 …): which option is ticked, decided by the ink in each box.

The page carries its boxes (``Page.boxes``: found in a scan's pixels, a PDF's drawing or
as ☑/□ characters) and its text lines. For one field:

1. the label line is found (normalised, fuzzy, as for the other fields);
2. the group is the boxes right of the label, on its row and on rows wrapped under it,
   down to the next line that starts in the label column (the next label);
3. boxes are matched to the options: in the printed order when there are as many boxes
   as options, checked against the text right of each box; by that text when the count
   differs (a character taken for a box, a box not found);
4. the ink decides: one box ticked and every other empty is a reading; none ticked is a
   blank (value None, raw ""); two ticked, or ink that is neither, goes to review with a
   confidence below the review threshold, never as a confident guess.

The value is the option's printed name (DESIGN.md). Thresholds and confidences are data
(``rules/ticks.yaml``), checked when loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from unicodedata import east_asian_width

from rapidfuzz import fuzz

from extractors.doubts import ranked
from extractors.normalize import Normalizer
from extractors.sealed_labels import sealed_remnant
from extractors.tick_words import WordsReading, coloured_after_glyphs, words_marked
from pipeline.config import Campaign, Choice, FieldSpec, ReadMethod, TemplateSpec
from pipeline.marks.tick_boxes import char_extents
from pipeline.model import (
    BBox,
    Doubt,
    ExtractedField,
    FieldDoubt,
    LineInk,
    Page,
    Span,
    TextLine,
    TickBox,
    TickRow,
)
from pipeline.rulebook.plausibility import LabelRemnantRules
from pipeline.rulebook.ticks import GlyphBefore, OutsideMarks, TickRules

# What OCR makes of a printed box in front of its option's text.
_BOX_READINGS = "□☐☑☒▣■▢口√✓✔◎●◉"
_TICKED_READINGS = "☑☒▣■√✓✔◎●◉"


# --- the label and the group -----------------------------------------------------------


@dataclass(frozen=True)
class _Label:
    line: TextLine
    quality: float
    end_x: float  # where the label's text ends (a DOCX line holds label and boxes)


def _label_variants(spec: FieldSpec, normalize: Normalizer) -> list[str]:
    return sorted({normalize.text(v) for v in (spec.label, *spec.aliases) if v}, key=len)[::-1]


def _find_labels(
    spec: FieldSpec, page: Page, rules: TickRules, normalize: Normalizer
) -> list[_Label]:
    found: list[_Label] = []
    for line in page.lines:
        text = normalize.text(line.text)
        for label in _label_variants(spec, normalize):
            if text.startswith(label):
                quality = 1.0
            elif len(label) >= 4 and fuzz.ratio(text[: len(label)], label) >= rules.label_match:
                quality = fuzz.ratio(text[: len(label)], label) / 100
            else:
                continue
            after = text[len(label) : len(label) + 1]
            used = len(label) + (1 if after and after in normalize.rules.label_separators else 0)
            found.append(_Label(line, quality, _label_end(line, used, len(text))))
            break
    return found


def _aspect(page: Page) -> float:
    """The page's height over its width as read: a length in fractions of the height
    times this is the same length in fractions of the width."""
    width, height = page.width_pt, page.height_pt
    if page.rotation in (90, 270):  # the sizes are the source's, before the turn
        width, height = height, width
    return height / width if width > 0 else 1.0


def _spaced_pieces_joined(
    spec: FieldSpec, page: Page, rules: TickRules, normalize: Normalizer
) -> Page:
    """The page with a label printed spaced out (组 建 模 式) and read as pieces on its
    row, each a line, read as one line: pieces left to right, each starting within
    ``spaced_gap`` of its height after the one before, whose text together begins one of
    the field's labels (a value's words never do). The page itself when none are."""
    variants = _label_variants(spec, normalize)
    aspect = _aspect(page)
    lines = sorted(page.lines, key=lambda t: t.bbox[0])
    joined: dict[int, TextLine] = {}  # first piece's index in page.lines -> the whole
    used: set[int] = set()
    for first in lines:
        start = normalize.text(first.text)
        if (
            not start
            or id(first) in used
            or not any(v.startswith(start) and len(v) > len(start) for v in variants)
        ):
            continue
        pieces, read = [first], start
        while not any(read.startswith(v) for v in variants):
            last = pieces[-1]
            gap = rules.spaced_gap * (last.bbox[3] - last.bbox[1]) * aspect
            after = [
                t
                for t in lines
                if t is not last
                and t.shares_row(last, 0.5)
                and last.bbox[0] < t.bbox[0]
                and t.bbox[0] - last.bbox[2] <= gap
            ]
            following = next(iter(after), None)
            if following is None:
                break
            longer = read + normalize.text(following.text)
            if not any(v.startswith(longer) or longer.startswith(v) for v in variants):
                break
            pieces.append(following)
            read = longer
        if len(pieces) < 2:
            continue
        used |= {id(t) for t in pieces}
        scores = [t.char_confidences for t in pieces]
        joined[id(first)] = TextLine(
            text="".join(t.text for t in pieces),
            bbox=(
                min(t.bbox[0] for t in pieces),
                min(t.bbox[1] for t in pieces),
                max(t.bbox[2] for t in pieces),
                max(t.bbox[3] for t in pieces),
            ),
            confidence=min(t.confidence for t in pieces),
            char_confidences=(
                tuple(c for s in scores if s is not None for c in s)
                if all(s is not None for s in scores)
                else None
            ),
        )
    if not joined:
        return page
    kept = tuple(joined.get(id(t), t) for t in page.lines if id(t) not in used or id(t) in joined)
    return page.model_copy(update={"lines": kept})


def _remnant_labels(
    spec: FieldSpec,
    page: Page,
    template: TemplateSpec,
    rules: LabelRemnantRules | None,
    normalize: Normalizer,
) -> list[_Label]:
    """The label's start read alone, a found seal over the rest (组建 for 组建模式 on a grey
    cover: ``extractors.sealed_labels``), at the remnant's label quality."""
    if rules is None or not page.seals:
        return []
    variants = _label_variants(spec, normalize)
    others = [
        v
        for other in template.fields
        if other.key != spec.key
        for v in _label_variants(other, normalize)
    ]
    return [
        _Label(line, rules.quality, line.bbox[2])
        for line in page.lines
        if sealed_remnant(line, variants, others, page, normalize, rules)
    ]


def _label_by_options(
    spec: FieldSpec,
    options: tuple[Choice, ...],
    page: Page,
    template: TemplateSpec,
    campaign: Campaign,
    rules: TickRules,
    normalize: Normalizer,
) -> tuple[_Label, Page] | None:
    """A label the OCR misread or did not read, found by its group's own options: the one
    line holding two or more options of three characters or more that no other tick field
    of the template prints. The label is the line left of it on its row (misread), else a
    stand-in put in the label column there (not read). Returns the label, at
    ``unread_label`` quality, and the page with the label among its lines."""
    others: set[str] = set()
    for field in template.fields:
        if field.key != spec.key and field.method is ReadMethod.CHECKBOX:
            choices = campaign.choices(field.options_from) if field.options_from else field.options
            others |= {normalize.text(o.name) for o in choices}
    own = {normalize.text(o.name) for o in options} - others
    own = {name for name in own if len(name) >= 3}
    holding = [
        line for line in page.lines if sum(name in normalize.text(line.text) for name in own) >= 2
    ]
    # Options wrapped onto a second row (□科研院所 □高等院校 under □国有企业 …): the group
    # starts on the first row.
    holding = [t for t in holding if not any(_wrapped_under(t, above) for above in holding)]
    if not holding:
        lone = _lone_option(spec, own, page, rules, normalize)
        if lone is None:
            return None
        return _Label(lone, rules.unread_label, lone.bbox[2]), page
    if len(holding) != 1:
        return None
    (first,) = holding
    x0, y0, _, y1 = first.bbox
    # The label misread (求属关系 for 隶属关系): the line left of the options on their row.
    beside = [t for t in page.lines if t.bbox[2] <= x0 and t.shares_row(first, 0.5)]
    if beside:
        misread = max(beside, key=lambda t: t.bbox[2])
        return _Label(misread, rules.unread_label, misread.bbox[2]), page
    column = [t.bbox[0] for t in page.lines if t.bbox[2] < x0]
    start = min(column, default=max(0.0, x0 - 0.2))
    end = max(start, x0 - 0.5 * (y1 - y0))
    stand_in = TextLine(text=spec.label, bbox=(start, y0, end, y1), confidence=rules.unread_label)
    page = page.model_copy(update={"lines": (*page.lines, stand_in)})
    return _Label(stand_in, rules.unread_label, end), page


def _wrapped_under(line: TextLine, above: TextLine) -> bool:
    """Whether ``line`` is a group's row wrapped under ``above``: starting about where it
    starts (within a line's height), at most two line heights below it."""
    height = above.bbox[3] - above.bbox[1]
    return (
        line is not above
        and 0 < line.bbox[1] - above.bbox[1] <= 2 * height
        and abs(line.bbox[0] - above.bbox[0]) <= height
    )


def _lone_option(
    spec: FieldSpec, own: set[str], page: Page, rules: TickRules, normalize: Normalizer
) -> TextLine | None:
    """The label's start beside the one line holding a single option of the field (its
    others, and most of the label, under a seal: 组 before ☑公司+联盟): the option of
    ``alone_option`` characters or more, no other tick field's, and the first line on
    its row left of it the start of the field's label. None unless exactly one line is
    such."""
    long = {name for name in own if len(name) >= rules.alone_option}
    variants = _label_variants(spec, normalize)
    found: list[TextLine] = []
    for line in page.lines:
        if not any(name in normalize.text(line.text) for name in long):
            continue
        beside = [t for t in page.lines if t.bbox[2] <= line.bbox[0] and t.shares_row(line, 0.5)]
        if not beside:
            continue
        # the row's first line (a seal's lettering may be read between label and option)
        first = min(beside, key=lambda t: t.bbox[0])
        start = normalize.text(first.text)
        if start and any(v.startswith(start) for v in variants):
            found.append(first)
    return found[0] if len(found) == 1 else None


def _label_end(line: TextLine, used: int, normalised_length: int) -> float:
    """Where the first ``used`` normalised characters of a line end, across the page."""
    x0, _, x1, _ = line.bbox
    kept = [i for i, c in enumerate(line.text) if not c.isspace()]
    if not kept or normalised_length == 0 or used >= normalised_length:
        return x1
    # Normalising keeps characters one for one but for spaces, dropped on both sides.
    last = kept[min(len(kept), round(used * len(kept) / normalised_length)) - 1]
    return char_extents(line.text, x0, x1)[last][1]


def _centre_y(bbox: BBox) -> float:
    return (bbox[1] + bbox[3]) / 2


@dataclass(frozen=True)
class _Region:
    """Where a label's group lies: right of ``left``, from ``top`` down to ``stop``, on
    rows whose nearest label-column line at or above them is the label's own."""

    label: _Label
    left: float
    top: float
    stop: float
    column: tuple[TextLine, ...]

    def holds(self, bbox: BBox) -> bool:
        centre = _centre_y(bbox)
        if bbox[0] < self.left or not self.top <= centre < self.stop:
            return False
        above = [t for t in self.column if t.bbox[1] - 0.25 * (t.bbox[3] - t.bbox[1]) <= centre]
        return max(above, key=lambda t: t.bbox[1], default=None) is self.label.line


def _region(label: _Label, page: Page, rules: TickRules) -> _Region:
    _, ly0, _, ly1 = label.line.bbox
    height = max(ly1 - ly0, 1e-4)
    left = label.end_x - 0.25 * height
    lines = [t for t in page.lines if not _seal_lettering(t, label, page, rules.seal_lettering)]
    # The next label: a line further down that starts in the label column.
    below = [
        t.bbox[1]
        for t in lines
        if t is not label.line and t.bbox[1] >= ly1 - 0.25 * height and t.bbox[0] < left
    ]
    stop = min([*below, ly1 + rules.wrap_depth * height])
    # Each box belongs to the nearest label-column line at or above its row: a wrapped
    # row of the group above (□高等院校 □其他 under 单位性质) is not this label's, however
    # tall the OCR made this label's box.
    column = tuple(t for t in lines if t.bbox[0] < left)
    return _Region(label, left, ly0 - 0.5 * height, stop, column)


def _seal_lettering(line: TextLine, label: _Label, page: Page, share: float) -> bool:
    """Whether a line is a seal's lettering, not a label: it lies inside a seal found on
    the page (``seal_lettering`` of its box) and starts well right of the label's start
    (two of the label's heights): labels are set flush in their column, under a seal too,
    a ring's words run round wherever the seal was put (a copy's grey seal over the label
    column read 区经洗 just below 创新中心类型, taking the boxes of the row from it)."""
    x0, y0, x1, y1 = line.bbox
    lx0, ly0, _, ly1 = label.line.bbox
    if line is label.line or x0 - lx0 <= 2 * (ly1 - ly0):
        return False
    area = max(x1 - x0, 1e-6) * max(y1 - y0, 1e-6)
    for seal in page.seals:
        sx0, sy0, sx1, sy1 = seal.bbox
        w, h = min(x1, sx1) - max(x0, sx0), min(y1, sy1) - max(y0, sy0)
        if w > 0 and h > 0 and w * h >= share * area:
            return True
    return False


def _seal_radii(x: float, y: float, page: Page) -> Iterator[float]:
    """How far a point lies from the middle of each seal found on the page (not red: red
    ink is off the image the rows are measured on), in shares of the seal's box's half
    sides: 1 on its ring, which runs round the box's edge."""
    for seal in page.seals:
        if seal.colour == "red":
            continue
        x0, y0, x1, y1 = seal.bbox
        a, b = (x1 - x0) / 2, (y1 - y0) / 2
        if a <= 0 or b <= 0:
            continue
        yield (((x - x0 - a) / a) ** 2 + ((y - y0 - b) / b) ** 2) ** 0.5


def _off_seal_rings(row: TickRow, page: Page, band: float) -> TickRow:
    """The row without the ink along it that lies on a seal's ring: a copy's grey seal
    stays on the OCR image, and its ring running level through an option's words is no
    strike, nor its arc over or under them a pen's ring round them (tuned copier-grey: a
    seal's top ran through 企业型, read as struck out, 院所型 left standing, sure).

    A seal found on the page (not red: red ink is off the image the rows are measured
    on) has its ring round its box's edge; ink whose middle lies within ``band`` of it
    (shares of the box's half sides) is the ring's. Ink above or below the row whose
    middle lies inside the ring is the seal's lettering or star, no pen's ring or
    underline either, though the words it runs under stand half outside the seal (tuned
    grey-highlighter-holes: a grey seal's top on the 组建模式 row, its lettering under
    独立法人 read as a mark round them against the highlighted 公司+联盟, a flagged blank).
    A strike runs through the words' middle, where only the ring is taken off."""
    if not any(s.colour != "red" for s in page.seals):
        return row

    def on_ring(span: Span, y: float) -> bool:
        x = (span[0] + span[1]) / 2
        return any(abs(r - 1.0) <= band for r in _seal_radii(x, y, page))

    def in_seal(span: Span, y: float) -> bool:
        x = (span[0] + span[1]) / 2
        return any(r <= 1.0 + band for r in _seal_radii(x, y, page))

    top, bottom = row.bbox[1], row.bbox[3]
    middle = (top + bottom) / 2
    return row.model_copy(
        update={
            "struck": tuple(s for s in row.struck if not on_ring(s, middle)),
            "above": tuple(s for s in row.above if not in_seal(s, top)),
            "below": tuple(s for s in row.below if not in_seal(s, bottom)),
        }
    )


def _under_seal(span: Span, row: TickRow, page: Page, band: float) -> bool:
    """Whether an option's words lie under a seal found on the page (not red: red ink is
    off the image rows are measured on): their middle within its ring (``band`` past it,
    shares of the box's half sides). Inside a grey or black seal, its lettering and star
    run over the words: ink above or below them there is no pen's stroke one can be sure
    of (a grey seal's lettering over 独立法人 read as the odd one out, sure, while the
    faint ✓ sat in 公司+联盟's box the seal's ring broke)."""
    x = (span[0] + span[1]) / 2
    y = (row.bbox[1] + row.bbox[3]) / 2
    return any(r <= 1.0 + band for r in _seal_radii(x, y, page))


def _group(label: _Label, page: Page, rules: TickRules) -> list[TickBox]:
    """The boxes of a label's group, row by row, left to right."""
    region = _region(label, page, rules)
    return _glyphs_left_out(_in_rows([b for b in page.boxes if region.holds(b.bbox)]), rules)


def _glyphs_left_out(boxes: list[TickBox], rules: TickRules) -> list[TickBox]:
    """The boxes less those that start right after another box on its row (nearer than
    ``box_gap`` sides): a form sets words between two boxes, so such a square is one of
    the first characters of the words (国 of □国有企业, 属 of □省属企业: square
    ideographs the finder took for a marked box), never an option's box."""
    kept: list[TickBox] = []
    for box in boxes:
        side = box.bbox[3] - box.bbox[1]
        before = kept[-1] if kept else None
        if before is None or abs(_centre_y(before.bbox) - _centre_y(box.bbox)) > 0.5 * side:
            kept.append(box)
            continue
        # across the page in the box before's own width (a page's x and y fractions
        # differ by its aspect)
        wide = before.bbox[2] - before.bbox[0]
        if not -0.2 * wide <= box.bbox[0] - before.bbox[2] < rules.box_gap * wide:
            kept.append(box)
    return kept


def _inside_words_left_out(
    group: list[TickBox], options: tuple[Choice, ...], page: Page, normalize: Normalizer
) -> list[TickBox]:
    """The boxes less those lying inside an option's words as the OCR read them on the
    box's row (past their first two characters, short of their last): a character of
    the words taken for a box (属 of 市（州）属企业, solid in bold 1-bit type, taken for a
    filled box), never an option's box, which stands before its words."""
    names = [normalize.text(n) for o in options for n in (o.name, *o.aliases)]
    inside: list[tuple[float, float, float, float]] = []  # x0, x1, y0, y1
    for line in page.lines:
        read, where = "", []
        for index, char in enumerate(line.text):
            folded = normalize.text(char)
            read += folded
            where += [index] * len(folded)
        extents = char_extents(line.text, line.bbox[0], line.bbox[2])
        for name in names:
            if len(name) < 3:
                continue
            at = read.find(name)
            while at >= 0:
                second, last = where[at + 1], where[at + len(name) - 1]
                inside.append((extents[second][1], extents[last][0], line.bbox[1], line.bbox[3]))
                at = read.find(name, at + 1)
    return [
        b
        for b in group
        if not any(
            x0 < (b.bbox[0] + b.bbox[2]) / 2 < x1 and y0 <= _centre_y(b.bbox) <= y1
            for x0, x1, y0, y1 in inside
        )
    ]


def _in_rows(boxes: list[TickBox]) -> list[TickBox]:
    rows: list[list[TickBox]] = []
    for box in sorted(boxes, key=lambda b: _centre_y(b.bbox)):
        height = box.bbox[3] - box.bbox[1]
        if rows and abs(_centre_y(box.bbox) - _centre_y(rows[-1][0].bbox)) <= 0.5 * height:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [b for row in rows for b in sorted(row, key=lambda b: b.bbox[0])]


# --- boxes to options ------------------------------------------------------------------


def _text_after(box: TickBox, group: list[TickBox], page: Page) -> str:
    """The text printed right of a box, up to the next box on its row."""
    x0, y0, x1, y1 = box.bbox
    side = x1 - x0
    centre = _centre_y(box.bbox)
    following = [
        b.bbox[0]
        for b in group
        if b is not box and b.bbox[0] > x1 and abs(_centre_y(b.bbox) - centre) <= (y1 - y0)
    ]
    end = min(following, default=1.0) - 0.1 * side
    start = x1 - 0.3 * side
    # A line the OCR began over the box without reading it as a character (a typed ■ on
    # a 1-bit scan: ■其他 read 其他) spreads its words over the box too: they follow it.
    for line in page.lines:
        lx0, ly0, _, ly1 = line.bbox
        if ly0 <= centre <= ly1 and x0 - side <= lx0 < start and line.text[:1] not in _BOX_READINGS:
            start = min(start, lx0)
    return _text_between(page, centre, start, end)


def _text_between(page: Page, y: float, start: float, end: float) -> str:
    """The characters of the lines at height ``y`` whose middles lie between two x's.

    A line's characters are spread over its box by width (``char_extents``): OCR and
    DOCX lines give no finer geometry.
    """
    text = ""
    for line in sorted(page.lines, key=lambda t: t.bbox[0]):
        lx0, ly0, lx1, ly1 = line.bbox
        if not (ly0 <= y <= ly1) or lx1 <= start or lx0 >= end:
            continue
        extents = char_extents(line.text, lx0, lx1)
        text += "".join(
            c for c, (a, b) in zip(line.text, extents, strict=True) if start <= (a + b) / 2 < end
        )
    return text


def _option_score(text: str, option: Choice, normalize: Normalizer) -> float:
    """How well the text beside a box names an option (0–100)."""
    read = normalize.text(text)
    candidates = [read]
    if read[:1] in _BOX_READINGS:  # OCR read the box itself as a character
        candidates.append(read.lstrip(_BOX_READINGS))
    best = 0.0
    for name in (option.name, *option.aliases):
        wanted = normalize.text(name)
        for candidate in candidates:
            if not candidate or not wanted:
                continue
            if candidate.startswith(wanted):
                return 100.0
            best = max(best, fuzz.ratio(candidate[: len(wanted)], wanted))
    return best


@dataclass(frozen=True)
class _Mapping:
    pairs: list[tuple[TickBox, Choice]]
    factor: float  # the confidence the mapping allows (1.0: no doubt)
    contradicted: bool = False  # the text beside the boxes contradicts the printed order
    cue: Doubt | None = None  # why the factor is below 1

    @property
    def doubt(self) -> tuple[Doubt, float] | None:
        return None if self.cue is None else (self.cue, self.factor)


def _map_options(
    group: list[TickBox],
    options: tuple[Choice, ...],
    page: Page,
    rules: TickRules,
    normalize: Normalizer,
) -> _Mapping:
    texts = [_text_after(b, group, page) for b in group]
    scores = [[_option_score(t, o, normalize) for o in options] for t in texts]
    by_text: dict[int, tuple[int, float]] = {}  # option -> (box, score)
    for box_index, row in enumerate(scores):
        option_index = max(range(len(options)), key=lambda i: row[i])
        score = row[option_index]
        if score >= rules.option_match and (
            option_index not in by_text or score > by_text[option_index][1]
        ):
            by_text[option_index] = (box_index, score)
    if len(group) == len(options):
        in_order = list(zip(group, options, strict=True))
        contradicted = any(box_index != i for i, (box_index, _) in by_text.items())
        if not contradicted:
            return _Mapping(in_order, 1.0)
        if len(by_text) == len(options):
            pairs = [(group[by_text[i][0]], options[i]) for i in range(len(options))]
            return _Mapping(pairs, rules.confidence.disagreement, True, Doubt.TICK_ORDER)
        return _Mapping(in_order, rules.confidence.disagreement, True, Doubt.TICK_ORDER)
    pairs = [(group[b], options[i]) for i, (b, _) in sorted(by_text.items())]
    if len(by_text) == len(options):
        return _Mapping(pairs, rules.confidence.mapped_by_text, cue=Doubt.TICK_MAPPED_BY_TEXT)
    missing = rules.confidence.missing_boxes
    if not pairs and len(group) > len(options):
        in_order = list(zip(group, options, strict=False))
        return _Mapping(in_order, missing, cue=Doubt.TICK_MISSING_BOXES)
    return _Mapping(pairs, missing, cue=Doubt.TICK_MISSING_BOXES)


# --- deciding --------------------------------------------------------------------------


def _union(boxes: Sequence[TickBox | _Typed]) -> BBox:
    return (
        min(b.bbox[0] for b in boxes),
        min(b.bbox[1] for b in boxes),
        max(b.bbox[2] for b in boxes),
        max(b.bbox[3] for b in boxes),
    )


def _in_seal_face(box: TickBox, page: Page, band: float, *, dark_only: bool = False) -> bool:
    """Whether a box's middle lies inside a seal found on the page, up to ``band`` past
    its ring (shares of the seal box's half sides), whatever the seal's colour: a red
    ring taken off the image leaves a trace in the boxes it crossed, as a grey one is
    ink in them. ``dark_only``: only a seal left on the image (grey, black or blue, not
    a red one taken off it), whose lettering is dark ink in the boxes it covers."""
    x, y = (box.bbox[0] + box.bbox[2]) / 2, _centre_y(box.bbox)
    for seal in page.seals:
        if dark_only and seal.colour == "red":
            continue
        x0, y0, x1, y1 = seal.bbox
        a, b = (x1 - x0) / 2, (y1 - y0) / 2
        if a > 0 and b > 0 and ((x - x0 - a) / a) ** 2 + ((y - y0 - b) / b) ** 2 <= (1 + band) ** 2:
            return True
    return False


def _decide(
    mapping: _Mapping,
    group: list[TickBox],
    options: tuple[Choice, ...],
    page: Page,
    label: _Label,
    rules: TickRules,
    normalize: Normalizer,
) -> ExtractedField:
    """The group's reading from its boxes (``_read_boxes``). A box with only pale ink in
    it, under a found seal (its ring or lettering crossing the box), does not stand
    against another option read from its own marks (a faint ✓ in its box, a ring or an
    underline round its words): the group is read as if that box were clean. When that
    reads no option, the pale ink still keeps the group from a sure blank."""
    reading = _read_boxes(mapping, group, options, page, label, rules, normalize)
    sealed = {
        id(b)
        for b, _ in mapping.pairs
        if b.ink <= rules.empty_ink
        and b.pale > rules.pale.clear
        and _in_seal_face(b, page, rules.seal_ring)
    }
    if not sealed:
        return reading
    cleared = {id(b): b.model_copy(update={"pale": 0.0}) for b in group if id(b) in sealed}
    pairs = [(cleared.get(id(b), b), o) for b, o in mapping.pairs]
    alone = _read_boxes(
        _Mapping(pairs, mapping.factor, mapping.contradicted, mapping.cue),
        [cleared.get(id(b), b) for b in group],
        options,
        page,
        label,
        rules,
        normalize,
    )
    return alone if alone.value is not None else reading


def _read_boxes(
    mapping: _Mapping,
    group: list[TickBox],
    options: tuple[Choice, ...],
    page: Page,
    label: _Label,
    rules: TickRules,
    normalize: Normalizer,
) -> ExtractedField:
    ranked = sorted(mapping.pairs, key=lambda p: p[0].ink, reverse=True)
    ticked = [p for p in ranked if p[0].ink >= rules.ticked_ink]
    inked = [p for p in ranked if p[0].ink > rules.empty_ink]
    faint: tuple[TickBox, Choice] | None = None
    if not ticked:
        # No box darkly ticked: a pale mark counts against the group's other boxes (their
        # empty state). Any box pale-marked past ``clear`` is not clearly empty.
        # Read only where no box holds dark ink at all: dark ink short of a tick (a
        # smudge, a stroke grazing the box) stays unclear, as before.
        pale = sorted(mapping.pairs, key=lambda p: p[0].pale, reverse=True)
        marked = [p for p in pale if p[0].pale > rules.pale.clear]
        if not inked and len(marked) == 1 and marked[0][0].pale >= rules.pale.marked:
            faint = marked[0]
        # A pencil's ✓: a few pixels dark, the rest pale, in one box; the others empty.
        if (
            len(inked) == 1
            and marked == inked
            and inked[0][0].pale >= rules.pale.short_of_tick
            and len(mapping.pairs) > 1
        ):
            faint = inked[0]
        inked += [p for p in marked if p not in inked]
    outside = (
        None
        if ticked
        else _marked_outside(mapping, group, options, label.end_x, page, rules, normalize)
    )
    if (
        faint is not None
        and outside is not None
        and outside.chosen is not None
        and outside.chosen[0] is not faint[1]
    ):
        faint = None  # a faint mark in one box, a ring round another option: review

    def options_words() -> WordsReading | None:
        """The options' words' own ink (``extractors/tick_words.py``)."""
        return words_marked(
            group,
            mapping.pairs,
            options,
            label.end_x,
            page,
            rules.words_ink,
            normalize,
            rules.seal_ring,
        )

    words = None if ticked else options_words()
    # Ink round one option's words and another option's words clearly marked (a pen ✓
    # over 其他 whose strokes run up under 市（州）属企业 on the row above), or standing out
    # unclearly (其他 typed bold and underlined, ink 1.5 prints, while a rule beside
    # 市（州）属企业 on a phone photo reads as a mark): two marks a person would weigh, never
    # one read sure. Options struck out carry the strikes' ink on their words: no cue.
    standing = (
        None
        if words is None
        else words.chosen[0]
        if words.chosen is not None
        else options[max(range(len(words.inks)), key=lambda i: words.inks[i])]
        if words.unsure and len(words.inks) == len(options)
        else None
    )
    conflict = (
        outside is not None
        and outside.chosen is not None
        and not outside.struck
        and standing is not None
        and standing is not outside.chosen[0]
    )
    ringed = [p for p in mapping.pairs if p[0].ringed]
    if (
        not ticked
        and len(ringed) == 1
        and all(o is ringed[0][1] for _, o in inked)
        and not _ring_contradicted(ringed[0][0], ringed[0][1], outside)
        # (another option's words clearly marked besides: two marks, for review below)
        and not (
            words is not None and words.chosen is not None and words.chosen[0] is not ringed[0][1]
        )
        # (the option's words ringed with its box: read below as a circled option)
        and not (
            outside is not None and outside.chosen is not None and outside.chosen[0] is ringed[0][1]
        )
    ):
        box, option = ringed[0]
        return ExtractedField(
            value=option.name,
            raw=option.name,
            page=page.number,
            bbox=box.bbox,
            confidence=round(min(rules.confidence.ringed, mapping.factor) * label.quality, 4),
            doubts=_doubts(label, mapping.doubt),
        )
    if outside is not None and outside.chosen is not None and not conflict:
        chosen, span = outside.chosen
        # A box a ring crossed may hold a little of the ring: no other option's. A box
        # not found is no doubt here (a ring across a box breaks its square; every option
        # was placed by its words), the printed order contradicted is.
        if all(o is chosen for _, o in inked):
            factor = mapping.factor if mapping.contradicted else 1.0
            level = rules.confidence.struck_others if outside.struck else rules.confidence.outside
            return ExtractedField(
                value=chosen.name,
                raw=chosen.name,
                page=page.number,
                bbox=span,
                confidence=round(min(level, factor) * label.quality, 4),
                doubts=_doubts(label, mapping.doubt if mapping.contradicted else None),
            )
    exact = all(b.source != "image" for b, _ in mapping.pairs)
    clear = rules.confidence.exact if exact else rules.confidence.scan
    if faint is not None:
        ticked, clear = [faint], rules.confidence.pale
    cues: list[tuple[Doubt, float] | None] = [mapping.doubt]
    if len(ticked) > 1:
        confidence = rules.confidence.several
        cues.append((Doubt.TICK_SEVERAL, confidence))
    elif len(inked) > len(ticked):
        confidence = rules.confidence.ambiguous
        cues.append((Doubt.TICK_AMBIGUOUS, confidence))
    else:
        confidence = clear
    confidence = min(confidence, mapping.factor) * label.quality
    if not inked:
        unread = _unread_ink_round(group, page, rules) or _written_among(
            mapping, group, page, normalize
        )
        # (a ring round a box not read as the choice: two rings, or other marks beside it)
        elsewhere = unread or conflict or (outside is not None and outside.unsure) or bool(ringed)
        # A band a seal's ring took is unsure of itself, no mark: the words' own ink,
        # measured where no seal lies, still reads (grey-shaded-words-holes: a grey seal
        # under shaded 企业型 left the bands below the words unknown).
        ring_only = (
            outside is not None
            and outside.ring_hidden
            and not _unread_ink_round(group, page, rules, off_seals=True)
            and not _written_among(mapping, group, page, normalize)
        )
        # The only ink nobody read round the group lies in a grey or black seal found
        # on the page (a copy's seal on the cover beside 创新中心类型), and the rows round
        # the options show nothing: the seal's own ink, no mark; the words still read.
        seal_only = (
            unread
            and not (outside is not None and outside.unsure)
            and not _unread_ink_round(group, page, rules, off_seals=True)
            and not _written_among(mapping, group, page, normalize)
        )
        if (
            words is not None
            and words.chosen is not None
            and not conflict
            and (
                not elsewhere
                or ring_only
                or seal_only
                or _only_on(outside, words.chosen[0], unread)
            )
        ):
            return _words_reading(words.chosen, mapping, page, label, rules)
        if elsewhere:
            confidence = min(confidence, rules.confidence.marked_elsewhere)
            cues.append((Doubt.TICK_MARKED_ELSEWHERE, rules.confidence.marked_elsewhere))
        if words is not None and (words.chosen is not None or words.unsure or words.lighter):
            # one option's words darker than print, not clearly or beside other marks, or
            # lighter than every other's on a greyscale scan (printed red, greyed)
            confidence = min(confidence, rules.confidence.marked_elsewhere)
            cues.append((Doubt.TICK_WORDS_INK, rules.confidence.marked_elsewhere))
        return ExtractedField(
            value=None,
            raw="",
            page=page.number,
            bbox=_union(group),
            confidence=round(confidence, 4),
            doubts=_doubts(label, *cues),
        )
    box, option = inked[0]
    if (
        len(inked) == 1
        and not cues[1:]
        and words is None
        and _in_seal_face(box, page, rules.seal_face, dark_only=True)
    ):
        # The only dark box lies in the face of a seal left on the image (a grey copy's
        # 推荐单位 seal over 组建模式): its ink may be the seal's lettering. Unless the
        # options' words confirm it (none marked, or this one), a reviewer looks: another
        # option's words marked, or words the seal keeps the cue from judging (a
        # highlighter over 公司+联盟 under the seal, s18-all P075, read 独立法人 at 0.98, a
        # false FIELD_MISMATCH). Measured on session 18's corpus: that one to review, three
        # right readings with it (false warnings 0.64 -> 0.68 a submission).
        other = options_words()
        if (
            other is None
            or other.placed
            or (other.chosen is not None and other.chosen[0] is not option)
        ):
            confidence = min(confidence, rules.confidence.ambiguous)
            cues.append((Doubt.TICK_WORDS_INK, rules.confidence.ambiguous))
    return ExtractedField(
        value=option.name,
        raw="、".join(o.name for _, o in inked),
        page=page.number,
        bbox=box.bbox if len(inked) == 1 else _union([b for b, _ in inked]),
        confidence=round(confidence, 4),
        doubts=_doubts(label, *cues),
    )


def _ring_contradicted(box: TickBox, option: Choice, outside: _Outside | None) -> bool:
    """Whether the marks round the options' words name another option than the ringed
    box's: a stroke or strike elsewhere than the ring's own arcs. The ring's left arc lies
    in the gap before its box, where a ✓ after the option before it would be: an option
    whose words end within two box sides left of the ringed box is that arc."""
    if outside is None or outside.chosen is None:
        return False
    chosen, (_, y0, x1, y1) = outside.chosen
    if chosen is option:
        return False
    side = box.bbox[2] - box.bbox[0]
    level = y0 <= (box.bbox[1] + box.bbox[3]) / 2 <= y1
    return outside.struck or not (level and box.bbox[0] - 2 * side <= x1 <= box.bbox[0] + side)


def _only_on(outside: _Outside | None, option: Choice, unread: bool) -> bool:
    """Whether the only ink seen round a group's words, besides their print, lies on one
    option's words (an underline under the words typed bold, a highlighter's edge): then
    it marks that option, as its words' ink does, and doubts nothing."""
    return (
        not unread
        and outside is not None
        and outside.chosen is None
        and not outside.struck
        and outside.strikes == 0
        and len(outside.seen) == 1
        and outside.seen[0] is option
    )


def _words_reading(
    chosen: tuple[Choice, BBox], mapping: _Mapping, page: Page, label: _Label, rules: TickRules
) -> ExtractedField:
    """Every box empty, no mark round the options, and one option's words clearly darker
    than print (``extractors/tick_words.py``): that option, as a person reads it."""
    option, bbox = chosen
    confidence = min(rules.confidence.words_ink, mapping.factor) * label.quality
    return ExtractedField(
        value=option.name,
        raw=option.name,
        page=page.number,
        bbox=bbox,
        confidence=round(confidence, 4),
        doubts=_doubts(label, mapping.doubt),
    )


def _doubts(label: _Label, *cues: tuple[Doubt, float] | None) -> tuple[FieldDoubt, ...]:
    """The cues that lowered a tick reading (``pipeline.model.Doubt``), the label's too."""
    found = [(Doubt.LABEL, label.quality), *(c for c in cues if c is not None)]
    return ranked(
        FieldDoubt(cue=cue, effect=round(effect, 4)) for cue, effect in found if effect < 1.0
    )


def _unread_ink_round(
    group: list[TickBox], page: Page, rules: TickRules, *, off_seals: bool = False
) -> bool:
    """Whether ink nobody read (``Page.unread``: no text line, tick box or rule explains
    it) lies round a group's boxes and words: a mark made outside the boxes. With
    ``off_seals``, ink lying within a grey or black seal found on the page (its box grown
    by ``seal_ring`` of its half sides) is the seal's own, no mark; so is ink joined to
    such a seal (its blob reaches into the seal's box) that stays above or below the
    group's own rows: a seal's ring touching a rule or a highlight beside it is one blob
    wider than the seal, while a mark round an option's words crosses their row; and so
    is a blob within the seal's height that runs past its box only away from the group
    (the print the seal covers joined to it: a label under it, left of the options)."""
    if not group or not page.unread:
        return False
    x0, y0, x1, y1 = _union(group)
    side = max(b.bbox[3] - b.bbox[1] for b in group)
    width = max(b.bbox[2] - b.bbox[0] for b in group)
    top, bottom = y0 - rules.near_sides * side, y1 + rules.near_sides * side
    left, right = x0 - rules.near_sides * width, x1 + rules.near_words * width

    def sealed(bbox: BBox) -> bool:
        off_rows = bbox[3] <= y0 or bbox[1] >= y1
        for seal in page.seals:
            if seal.colour == "red":
                continue
            sx0, sy0, sx1, sy1 = seal.bbox
            gx, gy = rules.seal_ring * (sx1 - sx0) / 2, rules.seal_ring * (sy1 - sy0) / 2
            if (
                bbox[0] >= sx0 - gx
                and bbox[1] >= sy0 - gy
                and bbox[2] <= sx1 + gx
                and bbox[3] <= sy1 + gy
            ):
                return True
            if (
                off_rows
                and bbox[0] < sx1 + gx
                and bbox[2] > sx0 - gx
                and bbox[1] < sy1 + gy
                and bbox[3] > sy0 - gy
            ):
                return True
            # The seal joined to print it covers on the side away from the group (a
            # label under the seal, 组建模式 left of 推荐单位's seal, its characters one
            # blob with the ring): as tall as the seal, and wider only where no option
            # of the group lies. A pen's ring round an option joined to a seal runs out
            # over the options themselves.
            if (
                bbox[1] >= sy0 - gy
                and bbox[3] <= sy1 + gy
                and bbox[0] < sx1 + gx
                and bbox[2] > sx0 - gx
                and (bbox[0] >= sx0 - gx or sx0 - gx <= x0)
                and (bbox[2] <= sx1 + gx or sx1 + gx >= x1)
            ):
                return True
        return False

    return any(
        b.bbox[0] < right
        and b.bbox[2] > left
        and b.bbox[1] < bottom
        and b.bbox[3] > top
        and not (off_seals and sealed(b.bbox))
        for b in page.unread
    )


def _written_among(
    mapping: _Mapping, group: list[TickBox], page: Page, normalize: Normalizer
) -> bool:
    """Whether the OCR read more than an option's printed words right of its box: a
    letter or mark written beside them (a ✓ after the words, read as √, V or 丿) belongs
    to no option. Punctuation and what OCR makes of a box are left out; an option read
    otherwise than printed says nothing."""
    for box, option in mapping.pairs:
        read = normalize.text(_text_after(box, group, page)).lstrip(_BOX_READINGS)
        name = normalize.text(option.name)
        if not name or not read.startswith(name):
            continue
        if any(ch.isalnum() or ch in _TICKED_READINGS for ch in read[len(name) :]):
            return True
    return False


# --- typed marks ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Typed:
    """What the OCR read in front of one option's words: ``ticked``, ``empty`` (a typed
    □), ``bare`` (nothing: the line starts with the words) or ``other`` text; ``joined``
    when a mark sits straight after another option's words (whose mark it may be)."""

    state: str
    bbox: BBox
    joined: bool = False
    line: TextLine | None = None  # the OCR line the words were read on
    words: BBox | None = None  # where the OCR's characters put the words on it
    mark: str = ""  # the character read in front of the words


def _typed_before(
    name: str,
    lines: list[TextLine],
    rules: TickRules,
    normalize: Normalizer,
    others: tuple[str, ...] = (),
) -> _Typed | None:
    """The mark typed in front of an option's printed words, from the OCR lines of its
    group (the words found exactly, else at ``option_match``), or None: words not read.
    Words straight after another option's (``others``: the OCR dropped the space between
    them) have nothing typed before them."""
    wanted = normalize.text(name)
    best: tuple[float, TextLine, int] | None = None
    for line in lines:
        text = line.text
        for start in range(len(text)):
            if text[start].isspace():
                continue
            piece = normalize.text(text[start : start + len(name) + 2])[: len(wanted)]
            score = 100.0 if piece == wanted else fuzz.ratio(piece, wanted)
            if score >= rules.option_match and (best is None or score > best[0]):
                best = (score, line, start)
    if best is None:
        return None
    _, line, start = best
    extents = char_extents(line.text, line.bbox[0], line.bbox[2])
    before = start - 1
    while before >= 0 and line.text[before].isspace():
        before -= 1
    y0, y1 = line.bbox[1], line.bbox[3]
    preceding = normalize.text(line.text[: before + 1])
    last = min(len(line.text), start + len(name)) - 1
    words = (extents[start][0], y0, extents[last][1], y1)
    if before < 0 or any(o and preceding.endswith(normalize.text(o)) for o in others):
        return _Typed("bare", words, line=line, words=words)
    mark = line.text[before]
    bbox = (extents[before][0], y0, extents[before][1], y1)
    marks = rules.typed_marks
    if mark not in marks.ticked + marks.empty:
        return _Typed("other", bbox, line=line, words=words)
    # A mark straight after other words (no space between): it may be theirs (a ✓
    # written after the option before), not this option's.
    joined = (
        before > 0
        and not line.text[before - 1].isspace()
        and line.text[before - 1] not in (marks.ticked + marks.empty)
    )
    state = "ticked" if mark in marks.ticked else "empty"
    return _Typed(state, bbox, joined, line=line, words=words, mark=mark)


def _typed_reading(
    label: _Label,
    options: tuple[Choice, ...],
    boxed: dict[str, TickBox],
    page: Page,
    rules: TickRules,
    normalize: Normalizer,
) -> ExtractedField | None:
    """A group whose options without a box found carry a typed mark in front of their
    words (□ glyphs with one ☑ / ■ / √ / × in its place, or a ✔ before the chosen words
    and no boxes at all): read from the OCR's characters, consistently with the boxes
    found. None when some option is accounted for neither way (the caller then reads the
    group as before)."""
    region = _region(label, page, rules)
    lines = [t for t in page.lines if t is not label.line and region.holds(t.bbox)]
    lines += [label.line]  # a line may hold the label and its options (标签：□A □B)
    typed: dict[str, _Typed] = {}
    for option in options:
        if option.name in boxed:
            continue
        others = tuple(o.name for o in options if o is not option)
        found = _typed_before(option.name, lines, rules, normalize, others)
        if found is None or found.state == "other":
            return None
        typed[option.name] = found
    if not typed:
        return None
    states = {name: t.state for name, t in typed.items()}
    # Words alone count as unticked only when no option of the group has a box at all
    # (✔ typed before the chosen words); beside typed □s a bare option's mark went unread.
    if "bare" in states.values() and (boxed or "empty" in states.values()):
        return None
    ticked_box = [n for n, b in boxed.items() if b.ink >= rules.ticked_ink]
    unclear_box = [n for n, b in boxed.items() if rules.empty_ink < b.ink < rules.ticked_ink]
    ticked = ticked_box + [n for n, st in states.items() if st == "ticked"]
    if not ticked and not boxed and set(states.values()) == {"bare"}:
        # No box at all and every option's words read with nothing before them: options
        # marked by a glyph typed before the chosen words (✔ 公司+联盟), the glyph lost
        # by the OCR, or a form sent back unticked. The ink along the lines says which:
        # one option with a glyph's ink before its words, every other clear, is read.
        chosen_name = _glyph_before(options, typed, page, rules.glyph_before)
        if chosen_name is not None:
            return ExtractedField(
                value=chosen_name,
                raw=chosen_name,
                page=page.number,
                bbox=typed[chosen_name].bbox,
                confidence=round(rules.confidence.glyph_before * label.quality, 4),
                doubts=_doubts(label),
            )
        # Otherwise a blank, never a sure one.
        return ExtractedField(
            value=None,
            raw="",
            page=page.number,
            bbox=_union(list(typed.values())),
            confidence=round(rules.confidence.text_only * label.quality, 4),
            doubts=_doubts(label, (Doubt.TICK_TEXT_ONLY, rules.confidence.text_only)),
        )
    if not ticked:
        return None  # no typed mark read: the boxes found say what they say
    confidence = rules.confidence.typed_glyph
    cue: tuple[Doubt, float] | None = None
    if len(ticked) > 1:
        confidence = min(confidence, rules.confidence.several)
        cue = (Doubt.TICK_SEVERAL, rules.confidence.several)
    elif unclear_box:
        confidence = min(confidence, rules.confidence.ambiguous)
        cue = (Doubt.TICK_AMBIGUOUS, rules.confidence.ambiguous)
    elif (
        any(typed[n].joined for n in ticked if n in typed)
        and not _in_box_place(ticked[0], typed, boxed, rules)
        and (boxed or _glyph_before(options, typed, page, rules.glyph_before) != ticked[0])
    ):
        # A mark straight after other words may be theirs (a ✓ typed after them); with
        # no box at all, the ink along the row tells (the paper is on the mark's other
        # side): only a glyph before this option's words, every other option clear, reads.
        confidence = min(confidence, rules.confidence.text_only)
        cue = (Doubt.TICK_TEXT_ONLY, rules.confidence.text_only)
    chosen = [o for o in options if o.name in ticked]
    first = chosen[0].name
    bbox = boxed[first].bbox if first in boxed else typed[first].bbox
    return ExtractedField(
        value=first,
        raw="、".join(o.name for o in chosen),
        page=page.number,
        bbox=bbox,
        confidence=round(confidence * label.quality, 4),
        doubts=_doubts(label, cue),
    )


def _in_box_place(
    name: str, typed: dict[str, _Typed], boxed: dict[str, TickBox], rules: TickRules
) -> bool:
    """Whether a ticked mark read joined to the words before it (省属企业×市（州）属企业) stands
    in this option's box's place: a mark only ever typed in a box (× ■ ☑ ●, never after
    words as a √ may be), the form's other boxes there (found, or read as a typed □ before
    their words), this option's not found."""
    mark = typed[name].mark if name in typed else ""
    others = bool(boxed) or any(t.state == "empty" for n, t in typed.items() if n != name)
    return others and name not in boxed and mark != "" and mark in rules.typed_marks.in_box


def _ems(text: str) -> float:
    """A text's printed width in ems: an ideograph (and, in Chinese type, the
    ambiguous-width signs) a full em, Latin letters, digits and signs half of one."""
    return max(sum(1.0 if east_asian_width(c) in "WFA" else 0.5 for c in text), 1.0)


def _clusters(spans: Sequence[Span], split: float) -> list[list[Span]]:
    """A row's inked x-ranges grouped where the paper between them is narrower than
    ``split``: an option's words (set solid) are one group, options stand apart."""
    groups: list[list[Span]] = []
    for span in sorted(spans):
        if groups and span[0] - groups[-1][-1][1] < split:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def _width(spans: Sequence[Span]) -> float:
    return spans[-1][1] - spans[0][0] if spans else 0.0


@dataclass(frozen=True)
class _InkRow:
    """The ink across one row of options: the ``Page.line_ink`` of its lines together."""

    start: float
    end: float
    height: float
    spans: tuple[Span, ...]
    names: list[str]


def _ink_rows(
    options: tuple[Choice, ...], typed: dict[str, _Typed], page: Page
) -> list[_InkRow] | None:
    """The options' words grouped by row (the OCR may cut a row into several lines), each
    row with the ink measured along its lines; None when a line was not measured."""
    inks = {li.line: li for li in page.line_ink}
    rows: list[tuple[float, list[LineInk], list[str]]] = []
    for option in options:
        found = typed.get(option.name)
        if found is None or found.line is None:
            return None
        index = next((i for i, t in enumerate(page.lines) if t is found.line), -1)
        li = inks.get(index)
        if li is None:
            return None
        centre = (li.bbox[1] + li.bbox[3]) / 2
        tall = li.bbox[3] - li.bbox[1]
        row = next((r for r in rows if abs(r[0] - centre) < tall), None)
        if row is None:
            rows.append((centre, [li], [option.name]))
        else:
            if all(other is not li for other in row[1]):
                row[1].append(li)
            row[2].append(option.name)
    found_rows: list[_InkRow] = []
    for _, lis, names in rows:
        merged: list[Span] = []
        for lo, hi in sorted(span for li in lis for span in li.spans):
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        found_rows.append(
            _InkRow(
                start=min(li.bbox[0] for li in lis),
                end=max(li.bbox[2] for li in lis),
                height=sorted(li.height for li in lis)[len(lis) // 2],
                spans=tuple(merged),
                names=names,
            )
        )
    return found_rows


def _glyph_first(group: list[Span], ems: float, em: float, rules: GlyphBefore) -> bool | None:
    """Whether an option's ink is a glyph then its words (True), its words then a glyph
    (False: a ✓ typed after them), or neither (None): the glyph's part ``glyph`` ems
    wide, the rest as wide as the printed words take (within ``clear`` ems). When both
    fit (a glyph as wide as a character), the side with the wider paper between glyph and
    words is the glyph's: a glyph is typed a space apart, characters are set solid."""
    words = ems * em

    def fits(glyph: list[Span], rest: list[Span]) -> bool:
        return (
            rules.glyph[0] * em <= _width(glyph) <= rules.glyph[1] * em
            and abs(_width(rest) - words) <= rules.clear * em
        )

    cuts = range(1, len(group))
    first = [group[k][0] - group[k - 1][1] for k in cuts if fits(group[:k], group[k:])]
    last = [group[k][0] - group[k - 1][1] for k in cuts if fits(group[k:], group[:k])]
    if not first and not last:
        return None
    if first and last and max(first) == max(last):
        return None
    return max(first, default=-1.0) > max(last, default=-1.0)


def _glyph_before(
    options: tuple[Choice, ...],
    typed: dict[str, _Typed],
    page: Page,
    rules: GlyphBefore,
) -> str | None:
    """The one option of a box-less group with a glyph's ink just before its words while
    every other option has paper there (``Page.line_ink``), or None: no such reading.

    Each option's words are the group of ink (``_clusters``) its OCR'd characters overlap
    most. A glyph before them is either its own group of ink just before (nearer these
    words than the ink before it: after the previous option's words, or at the row's
    start) or joined to the words, which then run wider than the words alone by about a
    character, a glyph-wide part at their start (``_glyph_first``). The width the words
    alone take is measured on the group's other options (ink per printed character), so
    type and scan do not matter. A glyph after an option's words (a ✓ typed after them),
    two marked options, an option neither clearly marked nor clearly clear, ink before
    words that is no glyph, or words not found as their own ink: None.
    """
    rows = _ink_rows(options, typed, page)
    if rows is None:
        return None
    words: dict[str, list[Span]] = {}
    before: dict[str, list[Span]] = {}  # a glyph's own ink just before the words
    for row in rows:
        edge = rules.split * row.height
        groups = [
            g
            for g in _clusters(row.spans, edge)
            if g[0][0] > row.start + edge / 2 and g[-1][1] < row.end - edge / 2
        ]  # ink cut at the band's ends is a label's, a cell's, another row's: not judged
        owners: list[str | None] = []
        for group in groups:
            best, overlap = None, 0.0
            for name in row.names:
                x0, _, x1, _ = typed[name].words or typed[name].bbox
                shared = min(group[-1][1], x1) - max(group[0][0], x0)
                if shared > overlap:
                    best, overlap = name, shared
            owners.append(best)
        for name in row.names:
            mine = [i for i, o in enumerate(owners) if o == name]
            if not mine:
                return None  # the words are not ink of their own
            # The OCR's characters are spread over its line's box, which a lost glyph
            # widens: the widest group is the words, the others nobody's.
            widest = max(mine, key=lambda i: _width(groups[i]))
            for i in mine:
                if i != widest:
                    owners[i] = None
            words[name] = groups[widest]
        for at, owner in enumerate(owners):
            if owner is not None:
                continue
            nxt = owners[at + 1] if at + 1 < len(owners) else None
            prev = owners[at - 1] if at > 0 else None
            if nxt is None:
                if prev is not None:
                    return None  # ink right after an option's words: a mark after them?
                continue
            after_prev = groups[at][0][0] - (groups[at - 1][-1][1] if at > 0 else row.start)
            to_next = groups[at + 1][0][0] - groups[at][-1][1]
            if to_next >= after_prev:
                return None  # nearer the words before it: theirs, if anyone's
            before[nxt] = groups[at]
    # ink per printed character, measured on each option's words
    widths = {o.name: _width(words[o.name]) / _ems(o.name) for o in options}
    marked: list[str] = []
    for option in options:
        group = words[option.name]
        units = _ems(option.name)
        others = sorted(w for n, w in widths.items() if n != option.name)
        if not others:
            return None
        em = others[len(others) // 2]
        loose = before.get(option.name)
        if loose is not None:
            if not rules.glyph[0] * em <= _width(loose) <= rules.glyph[1] * em:
                return None  # ink before the words that is no glyph: for a person
            if abs(_width(group) - units * em) > rules.clear * em:
                return None
            marked.append(option.name)
            continue
        excess = _width(group) - units * em
        if excess <= rules.clear * em:
            continue
        if excess < rules.marked * em or not _glyph_first(group, units, em, rules):
            return None  # neither clearly marked nor clearly clear, or a mark after
        marked.append(option.name)
    return marked[0] if len(marked) == 1 else None


# --- marks made outside the boxes --------------------------------------------------------


@dataclass(frozen=True)
class _Outside:
    chosen: tuple[Choice, BBox] | None  # the one option marked, and where its words are
    unsure: bool  # ink round the options that marks none clearly, or marks several
    struck: bool = False  # chosen as the one option of its group not struck out
    # unsure only because a seal's ring took a band from the group (``hidden``): what the
    # band shows cannot be told, nothing else round the options was seen
    ring_hidden: bool = False
    seen: tuple[Choice, ...] = ()  # the options whose words carry such ink (marked, unclear)
    strikes: int = 0  # options read struck through


@dataclass(frozen=True)
class _Placed:
    option: Choice
    row: TickRow
    words: Span  # x-range of the option's printed words
    checked: float | None  # where the OCR read a ✓ right after them (its middle's x)
    box: TickBox | None
    # where the words lie for a strike through them: the row's words, or — an option
    # wrapped at the cell's edge (□市 / （州）属企业) — its two parts on their two rows
    parts: tuple[tuple[TickRow, Span], ...] = ()


def _units(text: str) -> float:
    """A text's width in ems, as ``char_extents`` counts it."""
    return sum(e - s for s, e in char_extents(text, 0.0, float(len(text)))) if text else 0.0


def _words_read(
    option: Choice, row: TickRow, start: float, page: Page, normalize: Normalizer
) -> tuple[Span, float | None] | None:
    """Where the OCR's characters put an option's printed words on a row, right of
    ``start``, and where a ✓ was read right after them (the OCR takes a ✓ written after
    the words into their line: 科研院所√), or None."""
    centre = (row.bbox[1] + row.bbox[3]) / 2
    names = [normalize.text(n) for n in (option.name, *option.aliases)]
    for line in sorted(page.lines, key=lambda t: t.bbox[0]):
        x0, y0, x1, y1 = line.bbox
        if not (y0 <= centre <= y1) or x1 <= start:
            continue
        extents = char_extents(line.text, x0, x1)
        read, where = "", []  # normalised characters, and the line character each comes from
        for index, char in enumerate(line.text):
            folded = normalize.text(char)
            read += folded
            where += [index] * len(folded)
        for name in names:
            at = _find(read, name, [extents[i][0] >= start for i in where])
            if at < 0:
                continue
            first, last = where[at], where[at + len(name) - 1]
            # A ✓ after the words, then the next box or the line's end: written beside
            # them. One followed straight by words is the next option's box typed as √.
            # Spaces typed between the ✓ and the next box do not matter (科研院所√ □高等院校).
            tail = read[at + len(name) :]
            after = tail.lstrip(" ")
            rest = after[1:].lstrip(" ")
            checked = (
                after[:1] != ""
                and after[0] in _CHECK_READINGS
                and (rest == "" or rest[0] in _BOX_READINGS)
            )
            check_at = None
            if checked:
                a, b = extents[where[at + len(name) + len(tail) - len(after)]]
                check_at = (a + b) / 2
            return (extents[first][0], extents[last][1]), check_at
    return None


_CHECK_READINGS = "√✓✔"


def _find(read: str, name: str, allowed: list[bool]) -> int:
    """Where ``name`` starts in ``read`` at an allowed position: exactly, else (names of
    three characters or more) with one character misread — a ring drawn through a word
    costs the OCR a character (独立法□ for 独立法人). -1 when nowhere."""
    if not name:
        return -1
    starts = [i for i in range(len(read) - len(name) + 1) if allowed[i]]
    for i in starts:
        if read.startswith(name, i):
            return i
    if len(name) >= 3:
        for i in starts:
            if sum(a != b for a, b in zip(read[i : i + len(name)], name, strict=True)) <= 1:
                return i
    return -1


def _covered(spans: tuple[Span, ...], within: Span, longest: float) -> float:
    """The share of ``within`` that the x-ranges cover (ranges longer than ``longest``
    left out: a rule, a seal's edge)."""
    a, b = within
    if b <= a:
        return 0.0
    inked = sum(max(0.0, min(e, b) - max(s, a)) for s, e in spans if e - s <= longest)
    return min(1.0, inked / (b - a))


def _minus(spans: tuple[Span, ...], taken: tuple[Span, ...]) -> tuple[Span, ...]:
    """The x-ranges less the parts ``taken`` covers."""
    left = list(spans)
    for t0, t1 in taken:
        left = [
            part
            for s0, s1 in left
            for part in ((s0, min(s1, t0)), (max(s0, t1), s1))
            if part[1] > part[0]
        ]
    return tuple(left)


def _bands(p: _Placed, page: Page, longest_sides: float) -> tuple[tuple[float, float], ...]:
    """Per band (above, below): the share of an option's words under a stroke there, and
    the share under a stroke two neighbouring rows both see between them (an underline
    run deep, a ring's arc reaching the other row): that one is neither row's for sure,
    but makes a blank unsure (a ring still has its other arc)."""
    row = p.row
    height = row.bbox[3] - row.bbox[1]
    over = [r for r in page.tick_rows if 0 <= row.bbox[1] - r.bbox[3] < 1.5 * height]
    under = [r for r in page.tick_rows if 0 <= r.bbox[1] - row.bbox[3] < 1.5 * height]
    above = _minus(row.above, over[-1].below) if over else row.above
    below = _minus(row.below, under[0].above) if under else row.below
    longest = longest_sides * row.side
    return (
        (_covered(above, p.words, longest), _covered(row.above, p.words, longest)),
        (_covered(below, p.words, longest), _covered(row.below, p.words, longest)),
    )


def _printed_bands(bands: list[tuple[tuple[float, float], ...]], clear: float) -> tuple[bool, ...]:
    """Which bands every option of the group shows alike (all of them, or all but one
    in a group of four or more): the options are printed alike, so ink there is their
    print — type whose feet reach below typed □ glyphs — never a mark on one of them."""
    count = len(bands)
    if count < 2:
        return tuple(False for _ in bands[0]) if bands else ()
    need = count if count <= 3 else count - 1
    return tuple(sum(b[index][0] > clear for b in bands) >= need for index in range(len(bands[0])))


def _stroke(
    bands: tuple[tuple[float, float], ...],
    printed: tuple[bool, ...],
    hidden: tuple[bool, ...] | None = None,
) -> tuple[float, float]:
    """The share of an option's words under a stroke above or below them (own, seen),
    bands the whole group shows alike left out. A band ``hidden`` (a seal's ring took
    another option's ink there: whether the group shows it alike cannot be told) is only
    seen, never the option's own mark."""
    hidden = hidden or tuple(False for _ in bands)
    kept = [(b, h) for b, alike, h in zip(bands, printed, hidden, strict=True) if not alike]
    own = max((b[0] for b, h in kept if not h), default=0.0)
    seen = max((max(b) if h else b[1] for b, h in kept), default=0.0)
    return own, seen


def _seen_off(
    bands: tuple[tuple[float, float], ...], printed: tuple[bool, ...], hidden: tuple[bool, ...]
) -> float:
    """What an option's words show round them in the bands no seal's ring took from the
    group (``_stroke``'s seen, the hidden bands left out)."""
    kept = [b for b, alike, h in zip(bands, printed, hidden, strict=True) if not alike and not h]
    return max((b[1] for b in kept), default=0.0)


def _ring_taken(p: _Placed, raw: TickRow, longest_sides: float) -> tuple[float, float]:
    """Per band (above, below): the share of an option's words whose ink there was taken
    as a seal's ring (``_off_seal_rings``): the words' own feet or shading went with it."""
    longest = longest_sides * p.row.side
    above = _covered(raw.above, p.words, longest) - _covered(p.row.above, p.words, longest)
    below = _covered(raw.below, p.words, longest) - _covered(p.row.below, p.words, longest)
    return max(0.0, above), max(0.0, below)


def _by_order(
    boxes: dict[int, TickBox], group: list[TickBox], options: tuple[Choice, ...]
) -> dict[int, TickBox]:
    """The boxes paired with options (by ``id`` of the option), completed by the printed
    order: a run of options without a box whose neighbours' boxes are paired, with as
    many boxes not paired between those neighbours' boxes (in reading order), takes them
    one to one (□其他 struck through and read 共审 by the OCR, its box found). A run
    with more or fewer boxes between is left as it is."""
    order = {id(b): i for i, b in enumerate(group)}
    taken = {id(b) for b in boxes.values()}
    paired = dict(boxes)
    index = 0
    while index < len(options):
        if id(options[index]) in boxes:
            index += 1
            continue
        end = index
        while end < len(options) and id(options[end]) not in boxes:
            end += 1
        low = order[id(boxes[id(options[index - 1])])] if index > 0 else -1
        high = order[id(boxes[id(options[end])])] if end < len(options) else len(group)
        between = [b for b in group[low + 1 : high] if id(b) not in taken]
        if low < high and len(between) == end - index:
            paired.update((id(o), b) for o, b in zip(options[index:end], between, strict=True))
        index = end
    return paired


def _wrapped(
    option: Choice,
    box: TickBox,
    row: TickRow,
    words: Span,
    group: list[TickBox],
    page: Page,
    normalize: Normalizer,
) -> tuple[tuple[TickRow, Span], ...] | None:
    """An option broken at its cell's edge (□市 at a row's end, （州）属企业 at the next
    row's start): its words' two parts, each on its row, or None when its words do not
    run on. The words run on when the OCR line after the box ends well short of them and
    nothing follows it on the row; the rest starts the next row of boxes below, at the
    group's left, and is as wide as the characters not yet printed."""
    side = row.side
    centre = (row.bbox[1] + row.bbox[3]) / 2
    begin = words[0]
    holding = [
        t
        for t in page.lines
        if t.bbox[1] <= centre <= t.bbox[3] and t.bbox[0] <= begin + side and t.bbox[2] > begin
    ]
    if not holding:
        return None
    line = max(holding, key=lambda t: t.bbox[2])
    end = line.bbox[2]
    units = _units(normalize.text(option.name))
    rest = units - (end - begin) / side
    if rest < 0.5 or any(
        t.bbox[1] <= centre <= t.bbox[3] and end <= t.bbox[0] < end + 2 * side for t in page.lines
    ):
        return None
    height = row.bbox[3] - row.bbox[1]
    below = [r for r in page.tick_rows if 0 <= r.bbox[1] - row.bbox[3] < 1.5 * height]
    if not below:
        return None
    under = below[0]
    under_centre = (under.bbox[1] + under.bbox[3]) / 2
    start = min(b.bbox[0] for b in group)
    opening = [
        t.bbox[0]
        for t in page.lines
        if t.bbox[1] <= under_centre <= t.bbox[3] and abs(t.bbox[0] - start) <= side
    ]
    start = min(opening, default=start)
    next_box = [
        b.bbox[0] - 0.2 * side
        for b in group
        if b.bbox[0] > start and under.bbox[1] <= _centre_y(b.bbox) <= under.bbox[3]
    ]
    return ((row, (begin, end)), (under, (start, min([start + rest * side, *next_box]))))


def _struck_share(p: _Placed, outside: OutsideMarks) -> tuple[float, float]:
    """How far a strike (``TickRow.struck``) runs through an option's words: the least
    and the most share over its parts long enough to judge on their own (``struck_part``;
    a wrapped option is struck on each), or over all its words when none is."""
    shares: list[tuple[float, float]] = []  # (share, width in sides)
    for row, span in p.parts:
        width = span[1] - span[0]
        if width > 0:
            covered = _covered(row.struck, span, outside.longest_stroke * row.side)
            shares.append((covered, width / row.side))
    if not shares:
        return 0.0, 0.0
    judged = [share for share, sides in shares if sides >= outside.struck_part]
    if not judged:
        total = sum(sides for _, sides in shares)
        whole = sum(share * sides for share, sides in shares) / total
        return whole, whole
    return min(judged), max(judged)


def _strikes_fooled(page: Page, rules: TickRules) -> bool:
    """Whether the words straight after a ticked box on the page (a choice, which nobody
    strikes out) read as struck: then a level line fits through the page's type itself
    and its strikes are no evidence."""
    out = rules.outside
    for box in page.boxes:
        if box.source != "image" or box.ink < rules.ticked_ink:
            continue
        centre = _centre_y(box.bbox)
        for row in page.tick_rows:
            if row.bbox[1] <= centre <= row.bbox[3]:
                begin = box.bbox[2] + 0.2 * row.side
                words = (begin, begin + out.struck_part * row.side)
                longest = out.longest_stroke * row.side
                if _covered(row.struck, words, longest) > out.struck_clear:
                    return True
    return False


def _above_box_place(p: _Placed, out: OutsideMarks) -> float:
    """The share of the band above an option's box's place (half a side either side of
    its box; where its box was not found, the 1.5 sides before its words) that is inked,
    the band as its row sees it (a wrapped row's band above is shared with the row over
    it: a mark there is this row's when the row over it shows none over its own words)."""
    side = p.row.side
    if p.box is not None:
        place = (p.box.bbox[0] - 0.5 * side, p.box.bbox[2] + 0.5 * side)
    else:
        place = (p.words[0] - 1.6 * side, p.words[0] - 0.1 * side)
    return _covered(p.row.above, place, out.longest_stroke * side)


def _words_ink(p: _Placed, group: list[TickBox]) -> float | None:
    """How wide the ink of an option's words runs from its box (x-range of the row's
    ``across`` band, pieces closer than half a side joined), up to the next box on the
    row; None when the option has no box found or no ink starts where its words do."""
    if p.box is None:
        return None
    side = p.row.side
    begin = p.box.bbox[2] + 0.1 * side
    stop = min(
        (
            b.bbox[0] - 0.1 * side
            for b in group
            if b.bbox[0] > begin and p.row.bbox[1] <= _centre_y(b.bbox) <= p.row.bbox[3]
        ),
        default=p.row.bbox[2],
    )
    spans = sorted(s for s in p.row.across if s[1] > begin and s[0] < stop)
    if not spans or spans[0][0] > begin + 0.6 * side:
        return None
    end = spans[0][1]
    for s0, s1 in spans[1:]:
        if s0 - end >= 0.5 * side:
            break
        end = max(end, s1)
    return min(end, stop) - begin


def _ink_past_words(
    p: _Placed,
    placed: list[_Placed],
    group: list[TickBox],
    normalize: Normalizer,
    out: OutsideMarks,
) -> bool:
    """Whether an option's words' ink runs past what its characters take by at least
    ``after_em`` ems, an em measured on the group's other options (printed alike): a
    glyph typed or written straight after them."""
    own = _words_ink(p, group)
    ems = []
    for q in placed:
        width = _words_ink(q, group) if q is not p and q.checked is None else None
        if width is not None and q.parts == ((q.row, q.words),):
            ems.append(width / _ems(normalize.text(q.option.name)))
    if own is None or not ems:
        return False
    em = sorted(ems)[len(ems) // 2]
    return em > 0 and (own - _ems(normalize.text(p.option.name)) * em) / em >= out.after_em


def _marked_outside(
    mapping: _Mapping,
    group: list[TickBox],
    options: tuple[Choice, ...],
    label_end: float,
    page: Page,
    rules: TickRules,
    normalize: Normalizer,
) -> _Outside | None:
    """The option marked outside its box — its words circled or underlined, a ✓ written
    after them — decided relative to the group's other options (``Page.tick_rows``; the
    thresholds are ``rules/ticks.yaml`` ``outside``). None when the page has no rows."""
    if not page.tick_rows or not group:
        return None
    centres = [_centre_y(b.bbox) for b in group]
    # Each row off the seals' rings, and as read (what a ring took from an option's words).
    pairs = [
        (_off_seal_rings(r, page, rules.seal_ring), r)
        for r in page.tick_rows
        if any(r.bbox[1] <= c <= r.bbox[3] for c in centres)
    ]
    rows = [off for off, _ in pairs]
    as_read = {id(off): r for off, r in pairs}
    if not rows:
        return None
    boxes = _by_order({id(o): b for b, o in mapping.pairs}, group, options)
    placed: list[_Placed] = []
    for option in options:
        box = boxes.get(id(option))
        candidates = (
            [r for r in rows if r.bbox[1] <= _centre_y(box.bbox) <= r.bbox[3]] if box else rows
        )
        for row in candidates:
            side = row.side
            # The words follow their box; OCR geometry is approximate (characters spread
            # evenly over a line), so a side of slack.
            start = box.bbox[0] - side if box else label_end
            read = _words_read(option, row, start, page, normalize)
            if read is None and box is None:
                continue
            if box is not None:
                # From the box; to where the OCR ends them, within the option's own room:
                # its printed words and a mark after them, short of the next box.
                begin = box.bbox[2] + 0.2 * side
                units = _units(normalize.text(option.name))
                end = read[0][1] if read and read[0][1] > begin + side else begin + units * side
                room = [
                    b.bbox[0] - 0.2 * side
                    for b in group
                    if b.bbox[0] > begin and row.bbox[1] <= _centre_y(b.bbox) <= row.bbox[3]
                ]
                words = (begin, min([end, begin + (units + 1) * side, *room]))
            else:
                assert read is not None
                words = read[0]
            parts: tuple[tuple[TickRow, Span], ...] = ((row, words),)
            if box is not None and read is None:
                parts = _wrapped(option, box, row, words, group, page, normalize) or parts
            placed.append(_Placed(option, row, words, read[1] if read else None, box, parts))
            break
    out = rules.outside
    bands = {id(p): _bands(p, page, out.longest_stroke) for p in placed}
    printed = _printed_bands(list(bands.values()), out.stroke_clear)
    # A band where a seal's ring took another option's words' ink (their feet, shading
    # behind them) cannot show the group printed alike: a stroke there on one option is
    # no sure mark (grey-shaded-words-holes: a grey seal's top under shaded 企业型 took its
    # band below, and 院所型's own feet there read as its underline, sure).
    taken = {id(p): _ring_taken(p, as_read[id(p.row)], out.longest_stroke) for p in placed}
    hidden = {
        id(p): tuple(
            any(taken[id(q)][k] > out.stroke_clear for q in placed if q is not p) for k in range(2)
        )
        for p in placed
    }
    strokes = {id(p): _stroke(bands[id(p)], printed, hidden[id(p)]) for p in placed}
    ringed = [p for p in placed if strokes[id(p)][0] >= out.stroke_marked]
    # A ring's left end lies in the gap after the option before the ringed one.
    before_ring = (
        max(
            (q for q in placed if q.row is ringed[0].row and sum(q.words) < sum(ringed[0].words)),
            key=lambda q: q.words[1],
            default=None,
        )
        if len(ringed) == 1
        else None
    )
    shares = {id(p): _struck_share(p, out) for p in placed}
    # On a page where a ticked box's own words read struck, strikes are no evidence: only
    # doubt (type so dense that a level line fits through its words: a bold 1-bit copy).
    trusted = not _strikes_fooled(page, rules)
    struck = [p for p in placed if trusted and shares[id(p)][0] >= out.struck_marked]
    standing = [p for p in placed if shares[id(p)][1] <= out.struck_clear]
    marked: list[_Placed] = []
    unclear: list[_Placed] = [p for p in placed if p not in struck and p not in standing]
    hidden_only: set[int] = set()  # unclear only by what a band a ring took shows
    gaps: dict[int, float] = {}
    for p in placed:
        side = p.row.side
        longest = out.longest_stroke * side
        stroke, seen = strokes[id(p)]
        gap, window_seen = 0.0, False
        # What follows on the row: the next box found, when no other option's words lie
        # before it (a box not found, typed over or broken, leaves no sure gap).
        following = [
            b.bbox[0]
            for b in group
            if b.bbox[0] > p.words[1] and p.row.bbox[1] <= _centre_y(b.bbox) <= p.row.bbox[3]
        ]
        if following and any(
            q.row is p.row and p.words[1] < sum(q.words) / 2 < min(following) for q in placed
        ):
            following = []
        if following and p is not before_ring:
            nearest = min(following)
            window = (max(nearest - out.gap[1] * side, p.words[1]), nearest - out.gap[0] * side)
            if window[1] - window[0] >= 0.3 * side:
                gap, window_seen = _covered(p.row.across, window, longest), True
        # A ✓ the OCR read after the words is ink in the gap after them, where the gap
        # can be seen (a √ typed in place of the next option's box is not). A ✓ read
        # before that gap (typed straight after the words, the next box further on) is
        # ink between the words' end and the gap.
        checked = p.checked is not None and (
            not window_seen
            or gap > out.gap_clear
            or (p.checked < window[0] and _ink_past_words(p, placed, group, normalize, out))
        )
        gaps[id(p)] = gap
        if stroke >= out.stroke_marked or gap >= out.gap_marked or checked:
            marked.append(p)
            continue
        if p in struck:
            continue  # the strike runs on past the words into the gap: not a mark there
        # A stroke both rows see, over the words of the one option ringed: its arc.
        ring_arc = (
            len(ringed) == 1
            and ringed[0].row is not p.row
            and min(p.words[1], ringed[0].words[1]) > max(p.words[0], ringed[0].words[0])
        )
        if (
            stroke > out.stroke_clear
            or gap > out.gap_clear
            or (seen > out.stroke_clear and not ring_arc)
        ):
            unclear.append(p)
            if (
                stroke <= out.stroke_clear
                and gap <= out.gap_clear
                and _seen_off(bands[id(p)], printed, hidden[id(p)]) <= out.stroke_clear
            ):
                hidden_only.add(id(p))
    complete = len(placed) == len(options)
    lone = list({id(q): q for q in unclear}.values())
    if not marked and not struck and complete and len(lone) == 1:
        # The odd one out: one option alone carries a stroke above its words (a big ×
        # run out of its box over them, a ✓ drawn on them reaching above), short of a
        # ring's share, while every other option of the group, printed alike, shows none
        # above or below and no ink in its gap. Only the band above counts for the one:
        # the type's tops are level, its feet are not (院所型's reach the band below).
        (p,) = lone
        quiet = all(
            max(strokes[id(q)]) <= out.stroke_quiet and gaps[id(q)] <= out.gap_clear
            for q in placed
            if q is not p
        )
        above = 0.0 if printed[0] or hidden[id(p)][0] else bands[id(p)][0][0]
        # ...or above its box's place: a big × breaks the box it crosses (not found) and
        # its arms run out above it, where no other option's box has ink.
        places = {id(q): _above_box_place(q, out) for q in placed}
        place = places[id(p)] >= out.place_alone and all(
            places[id(q)] <= out.place_quiet for q in placed if q is not p
        )
        # ...and not under a seal, whose lettering over the words no pen drew.
        sealed = _under_seal(p.words, p.row, page, rules.seal_ring)
        if (
            quiet
            and (above >= out.stroke_alone or place)
            and gaps[id(p)] <= out.gap_clear
            and not sealed
        ):
            marked, unclear = [p], []
    # Words under a grey or black seal: its lettering and star run round and over them, so
    # a stroke or strike there is no pen's one can be sure of (a copy's grey seal's
    # lettering under 独立法人 read as its underline, sure, once the box beside it that
    # the seal's face hid was found: grey-faint-tick-skewed). Seen, never a sure mark.
    under_seals = {id(q) for q in placed if _under_seal(q.words, q.row, page, rules.seal_ring)}
    if len(marked) == 1 and not unclear and complete and marked[0] not in struck:
        (p,) = marked
        row = p.row
        if id(p) in under_seals:
            return _Outside(None, True)
        return _Outside((p.option, (p.words[0], row.bbox[1], p.words[1], row.bbox[3])), False)
    # The others struck out, the chosen one left standing (and nothing else marked).
    if (
        not marked
        and not unclear
        and complete
        and len(struck) == len(options) - 1
        and len(standing) == 1
    ):
        if any(id(q) in under_seals for q in placed):
            return _Outside(None, True)
        # A strike runs through the words; a ✓ drawn over them crosses them, its strokes
        # reaching above and below them too (a pen ✓ over 企业型 on a phone photo read as
        # its strike, 院所型 left standing read sure): no sure strike, review.
        if any(min(bands[id(q)][0][0], bands[id(q)][1][0]) > out.struck_crossed for q in struck):
            return _Outside(None, True)
        (p,) = standing
        row = p.row
        return _Outside(
            (p.option, (p.words[0], row.bbox[1], p.words[1], row.bbox[3])), False, struck=True
        )
    ring_hidden = (
        not marked and not struck and bool(unclear) and all(id(q) in hidden_only for q in unclear)
    )
    inked = {id(p.option): p.option for p in (*marked, *unclear)}
    return _Outside(
        None,
        bool(marked or unclear or struck),
        ring_hidden=ring_hidden,
        seen=tuple(inked.values()),
        strikes=len(struck),
    )


def _from_text(
    label: _Label,
    options: tuple[Choice, ...],
    page: Page,
    rules: TickRules,
    normalize: Normalizer,
) -> ExtractedField | None:
    """No box found: the ☑/□ characters OCR read right of the label, a weak reading."""
    text = _text_between(page, _centre_y(label.line.bbox), label.end_x, 1.0)
    ticked = [
        o
        for o in options
        if any(
            text[i] in _TICKED_READINGS and _option_score(text[i + 1 :], o, normalize) >= 100
            for i in range(len(text))
        )
    ]
    if not any(c in _BOX_READINGS for c in text):
        return None
    confidence = rules.confidence.text_only * label.quality
    cues: list[tuple[Doubt, float] | None] = [(Doubt.TICK_TEXT_ONLY, rules.confidence.text_only)]
    if not ticked:
        # every □ read empty: the chosen option's words may be printed in colour
        region = _region(label, page, rules)
        held = [
            i
            for i, t in enumerate(page.lines)
            if t is label.line or (t is not label.line and region.holds(t.bbox))
        ]
        words = coloured_after_glyphs(
            options, held, page, rules.words_ink, normalize, _BOX_READINGS, rules.seal_ring
        )
        if words is not None and words.chosen is not None:
            option, bbox = words.chosen
            return ExtractedField(
                value=option.name,
                raw=option.name,
                page=page.number,
                bbox=bbox,
                confidence=round(rules.confidence.words_ink * label.quality, 4),
                doubts=_doubts(label),
            )
        if words is not None and words.unsure:
            cues.append((Doubt.TICK_WORDS_INK, rules.confidence.text_only))
    if len(ticked) > 1:
        confidence = min(confidence, rules.confidence.several)
        cues.append((Doubt.TICK_SEVERAL, rules.confidence.several))
    words = None if ticked else _text_rows_words(label, options, page, rules, normalize)
    if words is not None and words.chosen is not None:
        # Every box read as a character and none ticked, one option's words clearly
        # marked (typed bold and underlined, shaded): that option, as a person reads it —
        # but the boxes themselves were not seen, so always for review.
        option, bbox = words.chosen
        return ExtractedField(
            value=option.name,
            raw=option.name,
            page=page.number,
            bbox=bbox,
            confidence=round(confidence, 4),
            doubts=_doubts(label, *cues),
        )
    return ExtractedField(
        value=ticked[0].name if ticked else None,
        raw="、".join(o.name for o in ticked),
        page=page.number,
        bbox=label.line.bbox,
        confidence=round(confidence, 4),
        doubts=_doubts(label, *cues),
    )


def _text_rows_words(
    label: _Label,
    options: tuple[Choice, ...],
    page: Page,
    rules: TickRules,
    normalize: Normalizer,
) -> WordsReading | None:
    """The options' words' own ink (``extractors/tick_words.py``) on the rows of a group
    whose boxes were read only as characters (□): each line of the label's region that
    holds a box character is a row of options."""
    region = _region(label, page, rules)
    rows = [
        TickBox(bbox=line.bbox, ink=0.0, source="glyph")
        for line in page.lines
        if region.holds(line.bbox) and any(c in _BOX_READINGS for c in line.text)
    ]
    if not rows:
        return None
    return words_marked(
        rows, [], options, label.end_x, page, rules.words_ink, normalize, rules.seal_ring
    )


def _nothing_seen(label: _Label, page: Page, rules: TickRules) -> ExtractedField:
    """The label found and nothing of its group read: no box, no typed mark, no option's
    words standing alone (a seal over the boxes, a scan that broke them). No option was
    seen ticked, nor every box seen empty: a blank to review, never a sure one."""
    confidence = rules.confidence.missing_boxes
    return ExtractedField(
        value=None,
        raw="",
        page=page.number,
        bbox=label.line.bbox,
        confidence=round(confidence * label.quality, 4),
        doubts=_doubts(label, (Doubt.TICK_MISSING_BOXES, confidence)),
    )


def _ink_beside(lines: Sequence[TextLine], page: Page, slack: float) -> bool:
    """Whether, on a colour scan, any of the lines carries ink (``Page.line_ink``) further
    than ``slack`` of its height before its start or past its end, outside every seal
    found: words printed red, off the image the OCR reads. (On a greyscale or 1-bit scan
    red print is grey and read; a seal's ring crossing the line is the seal's.)"""
    if page.greyscale is not False:
        return False
    index = {id(line): i for i, line in enumerate(page.lines)}
    inks = {ink.line: ink for ink in page.line_ink}
    seals = [seal.bbox for seal in page.seals]
    for line in lines:
        ink = inks.get(index.get(id(line), -1))
        if ink is None:
            continue
        reach = slack * ink.height
        middle = (line.bbox[1] + line.bbox[3]) / 2
        for s, e in ink.spans:
            if line.bbox[0] - reach <= s and e <= line.bbox[2] + reach:
                continue
            x = (s + e) / 2
            if not any(b[0] <= x <= b[2] and b[1] <= middle <= b[3] for b in seals):
                return True
    return False


def _only_printed(
    label: _Label,
    options: tuple[Choice, ...],
    page: Page,
    rules: TickRules,
    normalize: Normalizer,
) -> ExtractedField | None:
    """A group with one option left printed and nothing else: the other options deleted
    in Word, boxes and words, so the chosen one's words stand alone in the cell.

    Read only when clear: the group's rows (``_region``) hold words that are exactly one
    option's printed name (or alias) once spaces and punctuation are left out; no box was
    found there and no ink lies there that the OCR did not read (``Page.unread``: another
    option's words lost, a mark beside). Anything else is left to the caller (None).
    """
    region = _region(label, page, rules)
    if any(region.holds(b.bbox) for b in page.boxes):
        return None
    if any(region.holds(u.bbox) for u in page.unread):
        return None
    held = [t for t in page.lines if t is not label.line and region.holds(t.bbox)]
    if _ink_beside(held, page, rules.alone_words_slack):
        return None
    x0, _, x1, _ = label.line.bbox
    after_label = "".join(
        c
        for c, (a, b) in zip(label.line.text, char_extents(label.line.text, x0, x1), strict=True)
        if (a + b) / 2 > label.end_x
    )
    pieces = [t.text for t in sorted(held, key=lambda t: (t.bbox[1], t.bbox[0]))]
    words = "".join(
        c for c in normalize.text(after_label + "".join(pieces)) if c.isalnum() or c in "+（）()"
    )
    if not words or any(c in words for c in _BOX_READINGS):
        return None
    named = [
        o
        for o in options
        if any(
            words == "".join(c for c in normalize.text(n) if c.isalnum() or c in "+（）()")
            for n in (o.name, *o.aliases)
        )
    ]
    if len(named) != 1:
        return None
    (chosen,) = named
    spots = [t.bbox for t in held] or [label.line.bbox]
    bbox = (
        min(b[0] for b in spots),
        min(b[1] for b in spots),
        max(b[2] for b in spots),
        max(b[3] for b in spots),
    )
    return ExtractedField(
        value=chosen.name,
        raw=chosen.name,
        page=page.number,
        bbox=bbox,
        confidence=round(rules.confidence.only_printed * label.quality, 4),
        doubts=_doubts(label),
    )


def read_checkbox(
    spec: FieldSpec,
    page: Page,
    template: TemplateSpec,
    campaign: Campaign,
    rules: TickRules,
    normalize: Normalizer,
    remnant: LabelRemnantRules | None = None,
) -> ExtractedField | None:
    """One tick-box field from one page, or None when its label is not on it.

    Args:
        spec: the field (``method: checkbox``), its options inline or from the campaign.
        page: the page as read: text lines and tick boxes in one frame.
        template: the annex template (its other tick fields, when the label was not read).
        campaign: where ``options_from`` lists live.
        rules: thresholds and confidences (``Rules.ticks``).
        normalize: the normaliser labels and options are matched with (``normalizer``).
        remnant: with it, a label whose end a found seal hid is found by its start
            (``extractors.sealed_labels``) when no line reads it whole.

    Returns:
        The ticked option's printed name as value; None with raw "" when no box is
        ticked (a blank); a confidence below the review threshold when two are ticked,
        the ink is unclear, or boxes and options do not match up.
    """
    options = campaign.choices(spec.options_from) if spec.options_from else spec.options
    if not options:
        return None
    labels = _find_labels(spec, page, rules, normalize) or _remnant_labels(
        spec, page, template, remnant, normalize
    )
    if not labels:
        spaced = _spaced_pieces_joined(spec, page, rules, normalize)
        if spaced is not page:
            labels = _find_labels(spec, spaced, rules, normalize) or _remnant_labels(
                spec, spaced, template, remnant, normalize
            )
            page = spaced if labels else page
    if not labels:
        found = _label_by_options(spec, options, page, template, campaign, rules, normalize)
        if found is None:
            return None
        labels, page = [found[0]], found[1]
    grouped = [(label, _group(label, page, rules)) for label in labels]
    label, group = max(grouped, key=lambda lg: (len(lg[1]) > 0, lg[0].quality, len(lg[1])))
    group = _inside_words_left_out(group, options, page, normalize)
    if not group:
        typed = _typed_reading(label, options, {}, page, rules, normalize)
        return (
            typed
            or _from_text(label, options, page, rules, normalize)
            or _only_printed(label, options, page, rules, normalize)
            or _nothing_seen(label, page, rules)
        )
    mapping = _map_options(group, options, page, rules, normalize)
    if len(mapping.pairs) < len(options):
        boxed = {o.name: b for b, o in mapping.pairs}
        typed = _typed_reading(label, options, boxed, page, rules, normalize)
        if typed is not None:
            return typed
    if not mapping.pairs:
        return ExtractedField(
            value=None,
            raw="",
            page=page.number,
            bbox=_union(group),
            confidence=round(rules.confidence.missing_boxes * label.quality, 4),
            doubts=_doubts(label, (Doubt.TICK_MISSING_BOXES, rules.confidence.missing_boxes)),
        )
    return _decide(mapping, group, options, page, label, rules, normalize)
