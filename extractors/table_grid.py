"""Ruled tables located on a page: the header row, the columns' spans, the rows.

A table is found on the page of its section's heading (or, when the heading was not read,
on any page) by its header row: the first band of lines in which most column labels
match (normalised, fuzzy). A header cell printed over two lines (``单位类型（企业/科研`` /
``院所/高校/其他）``) is joined while joining improves its match; a column whose header was
not read is placed by the template's column order between its neighbours (its cells then
count as less sure), so its values never run into a neighbour's. Each column owns the
x-span around its centre, half-way to its neighbours; each line below is given to the
column it overlaps most, and a cell whose pieces stand far apart is flagged. Lines are
grouped into bands (one printed line of the table); a band only in wrapping columns
(names, choices) that sits closer to the band above than a row's pitch continues that
row's cells, anything else starts a new row. A column that may hold merged cells (a run
of rows of one member type, its value written once and centred across the run) is left
out of that grouping; each of its cells then goes to the run of rows whose middle it
stands at (``_spread_merged``). The table ends at another section's heading or at an
empty gap several lines tall. What the rows say is read in ``tables``.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz

from extractors.normalize import Normalizer
from extractors.sections import find_sections, is_heading
from pipeline.codes import USCC_LENGTH
from pipeline.config import (
    ColumnSpec,
    FieldType,
    TableReading,
    TableSpec,
    TemplateSpec,
)
from pipeline.model import (
    BBox,
    Page,
    Submission,
    TextLine,
)

BAND_OVERLAP = 0.5  # share of the shorter height two lines must share to be one band

# Cells of these types may wrap onto a second line inside their cell; codes and numbers
# are short enough never to, so a band holding one of them is always a row of its own.
_WRAPPING = {
    FieldType.TEXT,
    FieldType.ORG_NAME,
    FieldType.PERSON_NAME,
    FieldType.NAME_LIST,
    FieldType.CHOICE,
}


@dataclass(frozen=True)
class Column:
    """A column as located on the page: the x-span it owns and its header's reading."""

    spec: ColumnSpec
    x0: float
    x1: float
    header: tuple[TextLine, ...]
    trust: float  # 1.0 when its header was read; less when placed by its neighbours

    @property
    def wraps(self) -> bool:
        return self.spec.type in _WRAPPING and not self.spec.numbering


@dataclass(frozen=True)
class Cell:
    """The lines of one cell, top to bottom and left to right."""

    lines: tuple[TextLine, ...] = ()
    penalty: float = 1.0  # below 1 when its pieces look like two cells run together

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines).strip()

    @property
    def confidence(self) -> float:
        return self.penalty * min((line.confidence for line in self.lines), default=1.0)

    @property
    def bbox(self) -> BBox | None:
        return _union(line.bbox for line in self.lines)


@dataclass(frozen=True)
class Row:
    """One table row: its cells by column key and its vertical extent."""

    cells: dict[str, Cell]
    top: float
    bottom: float

    def cell(self, key: str) -> Cell:
        return self.cells.get(key, Cell())


@dataclass(frozen=True)
class Grid:
    """A table as read off one page."""

    page: Page
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    bbox: BBox

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.spec.key == key), None)

    def cell_box(self, row: Row, key: str) -> BBox | None:
        """Where a cell is: its text's box, or the column's span on the row when blank."""
        found = row.cell(key).bbox
        column = self.column(key)
        if found is not None or column is None:
            return found
        return (
            max(0.0, column.x0),
            max(0.0, row.top),
            min(1.0, column.x1),
            min(1.0, max(row.top, row.bottom)),
        )


# --- geometry --------------------------------------------------------------------------


def _union(boxes: Iterable[BBox]) -> BBox | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _height(line: TextLine) -> float:
    return line.bbox[3] - line.bbox[1]


def _centre_y(lines: Sequence[TextLine]) -> float:
    return statistics.fmean((t.bbox[1] + t.bbox[3]) / 2 for t in lines)


def bands(lines: Iterable[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into printed lines of text, top to bottom, each left to right."""
    grouped: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda t: (t.bbox[1] + t.bbox[3]) / 2):
        if grouped:
            band = grouped[-1]
            top = statistics.fmean(t.bbox[1] for t in band)
            bottom = statistics.fmean(t.bbox[3] for t in band)
            shared = min(bottom, line.bbox[3]) - max(top, line.bbox[1])
            shorter = min(bottom - top, _height(line))
            if shorter > 0 and shared >= BAND_OVERLAP * shorter:
                band.append(line)
                continue
        grouped.append([line])
    return [sorted(band, key=lambda t: t.bbox[0]) for band in grouped]


def _overlap(line: TextLine, column: Column) -> float:
    return min(line.bbox[2], column.x1) - max(line.bbox[0], column.x0)


def _column_of(line: TextLine, columns: Sequence[Column]) -> Column | None:
    best = max(columns, key=lambda c: _overlap(line, c), default=None)
    return best if best is not None and _overlap(line, best) > 0 else None


# --- the header ------------------------------------------------------------------------


def _label_score(
    text: str, spec: ColumnSpec, reading: TableReading, normalize: Normalizer
) -> float:
    """How well a read text matches a column's label, 0–100.

    A text that starts with a label or alias (the first line of a wrapped header) scores
    the threshold itself: located, but joining its continuation can still improve it. A
    text that is the start of a label (单位类型（企 of 单位类型（企业/科研院所/高校/其他）,
    wrapped over three lines) scores from the threshold up by how much of the label it
    holds, so each further line of the wrapped cell improves it.
    """
    read = normalize.text(text)
    if not read:
        return 0.0
    score = 0.0
    for variant in (normalize.text(v) for v in (spec.label, *spec.aliases)):
        if not variant:
            continue
        score = max(score, fuzz.ratio(read, variant))
        if len(variant) >= 2 and read.startswith(variant):
            score = max(score, reading.header_match)
        if len(read) >= 2 and variant.startswith(read):
            held = len(read) / len(variant)
            score = max(score, reading.header_match + (100 - reading.header_match) * held)
    return score


def _match_header(
    band: Sequence[TextLine], table: TableSpec, normalize: Normalizer
) -> dict[str, tuple[list[TextLine], float]]:
    """The columns whose label is in this band: each its line and score, a line used once."""
    pairs = sorted(
        (
            (_label_score(line.text, spec, table.reading, normalize), i, spec.key)
            for i, line in enumerate(band)
            for spec in table.columns
        ),
        reverse=True,
    )
    matched: dict[str, tuple[list[TextLine], float]] = {}
    used: set[int] = set()
    for score, i, key in pairs:
        if score < table.reading.header_match or i in used or key in matched:
            continue
        matched[key] = ([band[i]], score)
        used.add(i)
    return matched


def _split_labels(
    band: Sequence[TextLine], table: TableSpec, normalize: Normalizer
) -> list[TextLine]:
    """The band's lines, a line holding two column labels run together split in two.

    With no rule between two header cells the OCR may read them as one line with a space
    (单位类型（企 统一社会信用代码): split at the space where both sides match a label of a
    different column (the best such split), each side given its share of the line's width
    by its characters. A spaced-out label (单 位 名 称) has no such split: one character
    is never a label.
    """
    out: list[TextLine] = []
    for line in band:
        best: tuple[float, int] | None = None
        for k, char in enumerate(line.text):
            if not char.isspace():
                continue
            left, right = line.text[:k], line.text[k + 1 :]
            scores = [
                max(
                    (
                        (_label_score(part, spec, table.reading, normalize), spec.key)
                        for spec in table.columns
                    ),
                )
                for part in (left, right)
            ]
            (s_left, key_left), (s_right, key_right) = scores
            if key_left == key_right or min(s_left, s_right) < table.reading.header_match:
                continue
            if best is None or min(s_left, s_right) > best[0]:
                best = (min(s_left, s_right), k)
        if best is None:
            out.append(line)
            continue
        k = best[1]
        x0, y0, x1, y1 = line.bbox
        per_char = (x1 - x0) / len(line.text)
        chars = line.char_confidences
        for start, end in ((0, k), (k + 1, len(line.text))):
            out.append(
                line.model_copy(
                    update={
                        "text": line.text[start:end],
                        "bbox": (x0 + per_char * start, y0, x0 + per_char * end, y1),
                        "char_confidences": chars[start:end] if chars is not None else None,
                        "rereadings": None,
                        "row_reading": None,
                    }
                )
            )
    return out


def _infer_centres(located: dict[str, float], table: TableSpec) -> dict[str, float]:
    """Centres of the columns whose header was not read, placed between (or beyond) the
    located ones by the template's column order; none when the located ones disagree
    with that order."""
    order = [c.key for c in table.columns]
    known = sorted((order.index(k), x) for k, x in located.items())
    xs = [x for _, x in known]
    if len(known) < 2 or xs != sorted(xs):
        return {}
    (first, x_first), (last, x_last) = known[0], known[-1]
    step = (x_last - x_first) / (last - first)
    inferred: dict[str, float] = {}
    for index, key in enumerate(order):
        if key in located:
            continue
        left = max(((i, x) for i, x in known if i < index), default=None)
        right = min(((i, x) for i, x in known if i > index), default=None)
        if left is not None and right is not None:
            x = left[1] + (right[1] - left[1]) * (index - left[0]) / (right[0] - left[0])
        elif left is not None:
            x = left[1] + step * (index - left[0])
        else:
            assert right is not None
            x = right[1] - step * (right[0] - index)
        inferred[key] = x
    return inferred


def _spans(centres: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Each column's x-span: half-way to its neighbours, mirrored at the edges."""
    keys = sorted(centres, key=centres.__getitem__)
    spans: dict[str, tuple[float, float]] = {}
    for i, key in enumerate(keys):
        x = centres[key]
        left = (centres[keys[i - 1]] + x) / 2 if i > 0 else None
        right = (x + centres[keys[i + 1]]) / 2 if i + 1 < len(keys) else None
        if left is None and right is None:
            left, right = 0.0, 1.0
        elif left is None:
            assert right is not None
            left = x - (right - x)
        elif right is None:
            right = x + (x - left)
        spans[key] = (left, right)
    return spans


@dataclass(frozen=True)
class _Header:
    columns: tuple[Column, ...]
    bands_used: int  # bands of the candidate lines the header took (its wrapped lines too)


def _find_header(
    candidate_bands: list[list[TextLine]], table: TableSpec, normalize: Normalizer
) -> _Header | None:
    needed = len(table.columns) // 2 + 1  # most of the columns
    for start, band in enumerate(candidate_bands):
        matched = _match_header(_split_labels(band, table, normalize), table, normalize)
        if len(matched) < needed:
            continue
        used = 1
        centre = {k: _centre_x(lines) for k, (lines, _) in matched.items()}
        centre |= _infer_centres(centre, table)
        spans = _spans(centre)
        # Wrapped header cells: take the next band while every line in it, joined to the
        # header cell above it, matches that column's label better than before.
        for band_below in candidate_bands[start + 1 :]:
            joined: dict[str, tuple[list[TextLine], float]] = {}
            for line in band_below:
                key = max(spans, key=lambda k: _span_overlap(line, spans[k]))
                if _span_overlap(line, spans[key]) <= 0 or key in joined or key not in matched:
                    break
                lines, score = matched[key]
                spec = next(c for c in table.columns if c.key == key)
                text = "".join(t.text for t in lines) + line.text
                better = _label_score(text, spec, table.reading, normalize)
                if better <= score:
                    break
                joined[key] = ([*lines, line], better)
            else:
                if joined:
                    matched.update(joined)
                    used += 1
                    continue
            break
        columns = tuple(
            Column(
                spec=spec,
                x0=spans[spec.key][0],
                x1=spans[spec.key][1],
                header=tuple(matched[spec.key][0]) if spec.key in matched else (),
                trust=1.0 if spec.key in matched else table.reading.inferred_column_confidence,
            )
            for spec in table.columns
            if spec.key in spans
        )
        return _Header(columns, start + used)
    return None


def _centre_x(lines: Sequence[TextLine]) -> float:
    box = _union(t.bbox for t in lines)
    assert box is not None
    return (box[0] + box[2]) / 2


def _span_overlap(line: TextLine, span: tuple[float, float]) -> float:
    return min(line.bbox[2], span[1]) - max(line.bbox[0], span[0])


# --- rows ------------------------------------------------------------------------------


def _ends_table(
    band: Sequence[TextLine], template: TemplateSpec, own_section: str, normalize: Normalizer
) -> bool:
    return any(
        is_heading(line.text, section, normalize)
        for line in band
        for section in template.sections
        if section.id != own_section
    )


def _group_rows(
    body: list[list[TextLine]], columns: tuple[Column, ...], reading: TableReading, height: float
) -> list[Row]:
    placed = [
        [(line, column) for line in band if (column := _column_of(line, columns)) is not None]
        for band in body
    ]
    placed = [band for band in placed if band]
    # A merging column's lines are not rows' lines: a merged cell is centred across the
    # run of rows it spans, so it is neither a wrapped line nor a row of its own. They are
    # given to rows once the other columns have made them (``_spread_merged``).
    merging = [(line, column) for band in placed for line, column in band if column.spec.merges]
    placed = [kept for band in placed if (kept := [p for p in band if not p[1].spec.merges])]
    anchors = [  # bands that open a row: a cell that never wraps (a code's end may: a
        # wrapped name beside a wrapped code opens nothing)
        _centre_y([line for line, _ in band])
        for band in placed
        if any(not column.wraps and column.spec.type is not FieldType.USCC for _, column in band)
    ]
    pitches = [b - a for a, b in pairwise(anchors) if b > a]
    pitch = min(pitches, default=2 * height)
    rows: list[dict[str, list[TextLine]]] = []
    held: list[tuple[TextLine, Column]] = []  # a centred cell's first line, for the next row
    previous: float | None = None
    for index, band in enumerate(placed):
        centre = _centre_y([line for line, _ in band])
        partial = all(column.wraps for _, column in band)
        if partial and _opens_next_row(band, placed[index + 1 :], centre, previous):
            held += band  # a cell centred in a taller row: its first line above the others
            continue
        continues = (
            not held
            and rows
            and previous is not None
            and (partial or _completes_code(band, rows[-1]))
            and centre - previous < reading.wrap_pitch * pitch
        )
        if not continues:
            rows.append({})
        for line, column in [*held, *band]:
            rows[-1].setdefault(column.spec.key, []).append(line)
        held = []
        previous = centre
    if merging:
        numbering = next((c.spec.key for c in columns if c.spec.numbering), None)
        rows = _spread_merged(merging, rows, reading, pitch, numbering)
    out: list[Row] = []
    for cells in rows:
        box = _union(line.bbox for lines in cells.values() for line in lines)
        assert box is not None
        out.append(
            Row(
                cells={
                    key: Cell(
                        tuple(lines),
                        reading.unreadable_confidence
                        if _scattered(lines, reading.split_gap * height)
                        else 1.0,
                    )
                    for key, lines in cells.items()
                },
                top=box[1],
                bottom=box[3],
            )
        )
    return out


def _spread_merged(
    merging: list[tuple[TextLine, Column]],
    rows: list[dict[str, list[TextLine]]],
    reading: TableReading,
    pitch: float,
    numbering: str | None = None,
) -> list[dict[str, list[TextLine]]]:
    """The rows with the cells of merging columns given to them, as a person reads them.

    A cell's lines are those closer together than a wrapped line's pitch. A cell sits in a
    row (its centre within the row's extent) or between two rows; the rows holding no cell
    of that column themselves are the ones a merged cell may span. Of the runs of such rows
    around the cell, the longest whose middle is the cell's centre (within
    ``merged_centre`` of the row pitch) takes its value: a value written once, centred
    across its rows, is each row's value. The middle is the run's text's, or (cells set at
    the top of their row, rows two lines tall) half-way between where its first and last
    rows set a line of their own (``_row_lines``): a one-line 企业 half a line above the
    middle of two such rows' text is still their cell. A cell that fits no run stays in
    its own (or nearest) row; a row two cells land in holds both (read as unreadable, so
    reviewed).
    """
    if not rows:
        return rows
    extents = []
    for row in rows:
        box = _union(line.bbox for lines in row.values() for line in lines)
        assert box is not None
        extents.append((box[1], box[3]))
    own = [_row_line(row, numbering) for row in rows]
    # the pitch of the rows as made (with no 序号 read, the anchors' pitch is a guess)
    centres = [(top + bottom) / 2 for top, bottom in extents]
    pitch = min([pitch, *(b - a for a, b in pairwise(centres) if b > a)])
    for key in dict.fromkeys(column.spec.key for _, column in merging):
        lines = sorted(
            (line for line, column in merging if column.spec.key == key),
            key=lambda t: (t.bbox[1] + t.bbox[3]) / 2,
        )
        pieces: list[list[TextLine]] = []
        for line in lines:
            centre = (line.bbox[1] + line.bbox[3]) / 2
            if pieces and centre - _centre_y(pieces[-1][-1:]) < reading.wrap_pitch * pitch:
                pieces[-1].append(line)
            else:
                pieces.append([line])
        sits: list[tuple[list[TextLine], float, list[int]]] = []
        for cell in pieces:
            box = _union(line.bbox for line in cell)
            assert box is not None
            centre = (box[1] + box[3]) / 2
            inside = [r for r, (top, bottom) in enumerate(extents) if top <= centre <= bottom]
            if not inside:
                below = [r for r, (top, _) in enumerate(extents) if top > centre]
                above = [r for r, (_, bottom) in enumerate(extents) if bottom < centre]
                inside = [*above[-1:], *below[:1]]  # the rows just above and below
            sits.append((cell, centre, inside))
        held = {r for _, _, inside in sits for r in inside}
        for cell, centre, inside in sits:
            first, last = min(inside), max(inside)
            lo, hi = first, last
            while lo > 0 and lo - 1 not in held:
                lo -= 1
            while hi + 1 < len(rows) and hi + 1 not in held:
                hi += 1
            line_centre = (cell[0].bbox[1] + cell[0].bbox[3]) / 2  # its first line's
            runs = [
                (
                    b - a,
                    -min(
                        abs((extents[a][0] + extents[b][1]) / 2 - centre),
                        abs((own[a] + own[b]) / 2 - line_centre),
                    ),
                    a,
                    b,
                )
                for a in range(lo, first + 1)
                for b in range(last, hi + 1)
            ]
            fits = [run for run in runs if -run[1] <= reading.merged_centre * pitch]
            if fits:
                _, _, a, b = max(fits)
                spanned = range(a, b + 1)
            elif len(inside) == 1:
                spanned = range(first, first + 1)
            else:  # between two rows, fitting neither: the nearer one's
                nearest = min(inside, key=lambda r: abs(sum(extents[r]) / 2 - centre))
                spanned = range(nearest, nearest + 1)
            for r in spanned:
                rows[r].setdefault(key, []).extend(cell)
    return rows


def _row_line(row: dict[str, list[TextLine]], numbering: str | None) -> float:
    """Where a row sets a line of its own: its number's centre when read (one line,
    wherever the row sets its cells), else its top line's."""
    if numbering is not None and row.get(numbering):
        return _centre_y(row[numbering])
    top = min((line for lines in row.values() for line in lines), key=lambda t: t.bbox[1])
    return (top.bbox[1] + top.bbox[3]) / 2


def _completes_code(band: list[tuple[TextLine, Column]], row: dict[str, list[TextLine]]) -> bool:
    """Whether a band with a credit code's line is the end of the row's code, wrapped in a
    narrow cell (large type): with it the code has exactly its 18 characters. Its other
    lines may only be wrapped ends of the row's other cells (贵州云岭汽车科技股份有限公 | 司
    beside 91522600108589 | 590K). Only letters and digits count: a speck read after the
    end (417. on a photocopy) is no part of the code."""
    codes = [(line, column) for line, column in band if not column.wraps]
    if not codes:
        return False
    for line, column in codes:
        if column.spec.type is not FieldType.USCC:
            return False
        before = _code_chars("".join(t.text for t in row.get(column.spec.key, [])))
        if not before or before + _code_chars(line.text) != USCC_LENGTH:
            return False
    return True


def _code_chars(text: str) -> int:
    """How many of a text's characters a credit code may hold: ASCII letters and digits
    (full width folded)."""
    return sum(ch.isascii() and ch.isalnum() for ch in unicodedata.normalize("NFKC", text))


def _opens_next_row(
    band: list[tuple[TextLine, Column]],
    after: list[list[tuple[TextLine, Column]]],
    centre: float,
    previous: float | None,
) -> bool:
    """Whether a band only in wrapping columns is the first line of a cell of the next row:
    the cell is centred in a row made taller by its wrapping, so its first line sits
    above the row's other cells. So when the next band has cells in other columns but
    none in this band's, and stands nearer to it than the band above does."""
    if not after:
        return False
    following = after[0]
    columns = {column.spec.key for _, column in band}
    if any(column.spec.key in columns for _, column in following):
        return False
    if all(column.wraps for _, column in following):
        return False
    gap_below = _centre_y([line for line, _ in following]) - centre
    return previous is None or gap_below < centre - previous


def _scattered(lines: Sequence[TextLine], gap: float) -> bool:
    """Whether pieces of one printed line of a cell stand further apart than ``gap``."""
    for band in bands(lines):
        for left, right in pairwise(band):
            if right.bbox[0] - left.bbox[2] > gap:
                return True
    return False


def read_grid(
    page: Page,
    table: TableSpec,
    template: TemplateSpec,
    normalize: Normalizer,
    *,
    below: float = 0.0,
) -> Grid | None:
    """The table on one page, its header searched below ``below``; None when not there."""
    candidates = [line for line in page.lines if line.bbox[1] >= below and line.text.strip()]
    candidate_bands = bands(candidates)
    header = _find_header(candidate_bands, table, normalize)
    if header is None:
        return None
    header_lines = [line for column in header.columns for line in column.header]
    height = statistics.median(_height(line) for line in header_lines)
    body: list[list[TextLine]] = []
    last_bottom = max(line.bbox[3] for line in header_lines)
    for band in candidate_bands[header.bands_used :]:
        top = min(line.bbox[1] for line in band)
        if top - last_bottom > table.reading.end_gap * height:
            break
        if _ends_table(band, template, table.section, normalize):
            break
        body.append(band)
        last_bottom = max(last_bottom, max(line.bbox[3] for line in band))
    rows = _group_rows(body, header.columns, table.reading, height)
    bbox = _union(
        [
            *(line.bbox for line in header_lines),
            *(b for row in rows for cell in row.cells.values() if (b := cell.bbox)),
        ]
    )
    assert bbox is not None
    return Grid(page=page, columns=header.columns, rows=tuple(rows), bbox=bbox)


def locate(
    submission: Submission, table: TableSpec, template: TemplateSpec, normalize: Normalizer
) -> Grid | None:
    """The table: below its section's heading, else on any page whose lines hold its header."""
    hit = find_sections(submission, template, normalize).get(table.section)
    pages = {page.number: page for page in submission.pages}
    if hit is not None and hit.page in pages:
        grid = read_grid(pages[hit.page], table, template, normalize, below=hit.bbox[3] - 0.002)
        if grid is not None:
            return grid
    for page in submission.pages:
        if hit is not None and page.number == hit.page:
            continue
        grid = read_grid(page, table, template, normalize)
        if grid is not None:
            return grid
    return None
