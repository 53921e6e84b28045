"""Ruled tables read as rows: the members table (free rows) and the KPI table (fixed rows).

A table is located on its page (``table_grid``: its header, its columns, its rows); here
its rows become fields. Free rows become ``members``: one field whose value is the list of
``Member`` and whose confidence is the least sure cell's; a cell left blank on a scan, a
type outside the header's choices, a USCC whose check digit fails on a scan, or a ``序号``
that skips a number lowers it instead of dropping the row. Fixed rows are found by their
label in the first column; every other column gives a field ``<row>_<column>`` typed by
the row. The thresholds are data: each table's ``reading`` in the template.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from extractors import plausibility
from extractors.doubts import Ledger
from extractors.normalize import Normalizer, is_valid_uscc
from extractors.table_grid import Cell, Grid, Row, locate
from pipeline.config import Campaign, ColumnSpec, FieldType, TableReading, TableSpec, TemplateSpec
from pipeline.model import Doubt, ExtractedField, FieldDoubt, Member, Page, SourceKind, Submission
from pipeline.rulebook.plausibility import PlausibilityRules

CELL_SEPARATOR = " | "  # between the cells of a row in a table's raw text


def _blank_confidence(page: Page, reading: TableReading) -> float:
    """A blank on a scan may be ink the OCR missed; a born-digital blank is certain."""
    return reading.blank_scan_confidence if page.kind is SourceKind.SCAN else 1.0


def _member_type(
    raw: str, spec: ColumnSpec, reading: TableReading, normalize: Normalizer
) -> tuple[str, float]:
    """The choice a type cell reads as, and how sure that is (1.0 when printed exactly)."""
    exact = normalize.value(FieldType.CHOICE, raw, choices=spec.options)
    if isinstance(exact, str):
        return exact, 1.0
    read = normalize.text(raw)
    best, score = read, 0.0
    for choice in spec.options:
        for variant in (choice.name, *choice.aliases):
            ratio = fuzz.ratio(read, normalize.text(variant))
            if ratio > score:
                best, score = choice.name, ratio
    if score >= reading.choice_match:
        return best, score / 100
    return read, reading.unreadable_confidence


def _near_place(cell: Cell, places: Sequence[str], reading: TableReading) -> str | None:
    """The known place a name cell's text is one doubted character from, or None.

    The character must differ from the place's at one position of a window of the
    place's length, have scored below ``near_place_score``, and the window must neither be
    a known place itself nor start with a shorter place the longer one starts with (贵州
    of 贵州省). Lines without character scores are not judged.
    """
    if reading.near_place_score <= 0 or not cell.lines:
        return None
    chars: list[tuple[str, float]] = []
    for line in cell.lines:
        if line.char_confidences is None:
            return None
        chars += [(c, s) for c, s in zip(line.text, line.char_confidences, strict=True)]
    chars = [(c, s) for c, s in chars if not c.isspace()]
    text = "".join(c for c, _ in chars)
    known = set(places)
    for place in places:
        if len(place) < 2 or place in text:
            continue
        for i in range(len(text) - len(place) + 1):
            window = text[i : i + len(place)]
            if window in known or any(
                len(q) < len(place) and place.startswith(q) and window.startswith(q) for q in known
            ):
                continue  # a place, or a shorter one read whole (贵州湄… is not 贵州省)
            differ = [j for j in range(len(place)) if window[j] != place[j]]
            if len(differ) == 1 and chars[i + differ[0]][1] < reading.near_place_score:
                return place
    return None


def _row_raw(grid: Grid, row: Row) -> str:
    return CELL_SEPARATOR.join(row.cell(c.spec.key).text for c in grid.columns)


def read_members(
    grid: Grid,
    table: TableSpec,
    campaign: Campaign,
    normalize: Normalizer,
    places: Sequence[str] = (),
    judge: PlausibilityRules | None = None,
    suffixes: Sequence[str] = (),
) -> ExtractedField:
    """The free rows of a members table as one field: a list of ``Member``. On a scan, a
    name ending one character from an organisation suffix (有限贵任公司) ends with that
    suffix, proposed for review (``judge``'s near_miss factor, cue ``near_suffix``)."""
    reading = table.reading
    blank = _blank_confidence(grid.page, reading)
    scan = grid.page.kind is SourceKind.SCAN
    type_spec = next(c for c in table.columns if c.key == "type")
    numbering = next((c for c in grid.columns if c.spec.numbering), None)
    members: list[Member] = []
    ledger = Ledger()  # the least sure cell's confidence, and why
    ledger.cap(min(c.trust for c in grid.columns if not c.spec.numbering), Doubt.COLUMN)
    if len(grid.columns) < len(table.columns):
        ledger.cap(blank, Doubt.COLUMN_MISSING)  # a column not placed: its cells are lost
    raws: list[str] = []
    for position, row in enumerate(grid.rows, start=1):
        if numbering is not None:
            index = normalize.integer(row.cell(numbering.spec.key).text)
            if index is not None and index != position:
                ledger.cap(reading.unreadable_confidence, Doubt.ROW_SKIPPED)  # lost or split
        cells = {key: row.cell(key) for key in ("name", "type", "uscc")}
        if not any(cell.text for cell in cells.values()):
            continue  # an empty printed row
        raws.append(_row_raw(grid, row))
        uscc = normalize.uscc(cells["uscc"].text)
        checked = reading.checked_code_confidence if is_valid_uscc(uscc) else 0.0
        for key, cell in cells.items():
            if cell.text:
                floor = checked if key == "uscc" else 0.0  # the check character vouches
                ledger.cap(max(cell.confidence, floor), Doubt.CELL, cell.text)
            else:
                ledger.cap(blank, Doubt.CELL_BLANK)
        name = normalize.org_name(cells["name"].text, campaign.org_suffix_equivalents)
        if scan and (place := _near_place(cells["name"], places, reading)) is not None:
            ledger.cap(reading.near_place_confidence, Doubt.NEAR_PLACE, place)
        if scan and judge is not None and suffixes:
            suffix = plausibility.suffix_near_miss(
                name, suffixes, normalize, judge.near_miss_min_length
            )
            if suffix is not None and 0 < judge.member_suffix_fixed_from <= len(suffix):
                name = name[: len(name) - len(suffix)] + suffix
                ledger.cap(judge.factors.near_miss, Doubt.NEAR_SUFFIX, suffix)
        kind = ""
        if cells["type"].text:
            kind, kind_confidence = _member_type(cells["type"].text, type_spec, reading, normalize)
            ledger.cap(kind_confidence, Doubt.MEMBER_TYPE, cells["type"].text)
        if uscc and scan and not is_valid_uscc(uscc):
            ledger.cap(reading.unreadable_confidence, Doubt.USCC_CHECK, uscc)  # a misread
            # a letter the scan showed for a digit (I for 1): the code it then is, proposed
            uscc = normalize.uscc_proposal(uscc) or uscc
        members.append(Member(name=name, type=kind, uscc=uscc))
    if len(members) < table.min_rows:
        ledger.cap(blank, Doubt.ROWS_FEW)
    return ExtractedField(
        value=members or None,
        raw="\n".join(raws),
        page=grid.page.number,
        bbox=grid.bbox,
        confidence=round(max(0.0, ledger.confidence), 4),
        doubts=ledger.doubts,
    )


def _row_label_score(text: str, spec: ColumnSpec, normalize: Normalizer) -> float:
    read = normalize.text(text)
    if not read:
        return 0.0
    return max(fuzz.ratio(read, normalize.text(v)) for v in (spec.label, *spec.aliases))


def _cell_confidence(cell: Cell, normalize: Normalizer, judge: PlausibilityRules | None) -> float:
    """How sure the OCR is of a cell: its weakest character on its class's curve
    (rules/plausibility.yaml ``characters``, as a field's value is judged) when every line
    has character scores, else its weakest line's score; either times the cell's penalty.
    A line's score is its characters' mean, dragged down by a wide gap or a ruling in the
    crop: the KPI cell 11 read at 0.67, its digits sure (tuned pen-circle, session 16)."""
    if judge is not None and cell.lines:
        per_line = [
            plausibility.value_characters(t.text, t.char_confidences, normalize) for t in cell.lines
        ]
        pairs = tuple(p for c in per_line for p in c or ())
        if pairs and all(c is not None for c in per_line):
            return cell.penalty * plausibility.reading_confidence(0.0, pairs, judge)
    return cell.confidence


def read_fixed_rows(
    grid: Grid,
    table: TableSpec,
    normalize: Normalizer,
    judge: PlausibilityRules | None = None,
) -> dict[str, ExtractedField]:
    """Each fixed row found by its label in the first column: a field per value column.
    With ``judge`` (scans), a cell's characters are judged on their classes' curves."""
    reading = table.reading
    label_key = table.columns[0].key
    value_columns = table.columns[1:]
    pairs = sorted(
        (
            (_row_label_score(row.cell(label_key).text, spec, normalize), r, spec.key)
            for r, row in enumerate(grid.rows)
            for spec in table.rows
        ),
        reverse=True,
    )
    found: dict[str, tuple[Row, float]] = {}
    used: set[int] = set()
    for score, r, key in pairs:
        if score < reading.row_label_match or r in used or key in found:
            continue
        found[key] = (grid.rows[r], score / 100)
        used.add(r)
    fields: dict[str, ExtractedField] = {}
    for spec in table.rows:
        for column in value_columns:
            key = f"{spec.key}_{column.key}"
            placed = grid.column(column.key)
            if spec.key not in found or placed is None:
                # The table is there but this row's label (or the column) was not read:
                # nothing to decide on, so a reviewer must look.
                lost = Doubt.ROW_LABEL if spec.key not in found else Doubt.COLUMN_MISSING
                fields[key] = ExtractedField(
                    value=None,
                    raw="",
                    page=grid.page.number,
                    bbox=None,
                    confidence=0.0,
                    doubts=(FieldDoubt(cue=lost, effect=0.0),),
                )
                continue
            row, label_quality = found[spec.key]
            ledger = Ledger()
            ledger.times(label_quality, Doubt.ROW_LABEL)
            ledger.times(placed.trust, Doubt.COLUMN)
            cell = row.cell(column.key)
            raw = cell.text
            value = normalize.value(spec.type, raw)
            trimmed = raw.strip(reading.stray_marks) if reading.stray_marks else raw
            proposed = value is None and spec.type is FieldType.INTEGER
            proposed = proposed and bool(trimmed) and trimmed != raw
            if proposed:  # a speck read as a dot at the count's end: the count, for review
                value = normalize.value(spec.type, trimmed)
            if not raw:
                ledger.times(_blank_confidence(grid.page, reading), Doubt.CELL_BLANK)
            else:
                ledger.times(_cell_confidence(cell, normalize, judge), Doubt.CELL, raw)
                if value is None or proposed:
                    ledger.times(reading.unreadable_confidence, Doubt.CELL_UNREADABLE, raw)
            fields[key] = ExtractedField(
                value=value,
                raw=raw,
                page=grid.page.number,
                bbox=grid.cell_box(row, column.key),
                confidence=round(ledger.confidence, 4),
                doubts=ledger.doubts,
            )
    return fields


def read_tables(
    submission: Submission,
    template: TemplateSpec,
    campaign: Campaign,
    normalize: Normalizer,
    places: Sequence[str] = (),
    judge: PlausibilityRules | None = None,
    suffixes: Sequence[str] = (),
) -> dict[str, ExtractedField]:
    """Every table of the template read as rows: ``members``, ``kpi_<row>_<column>``.

    A table that is not found gives no field (its section is reported missing); a found
    KPI table whose row label was not read gives that row's fields blank at confidence 0.
    """
    fields: dict[str, ExtractedField] = {}
    for table in template.tables:
        grid = locate(submission, table, template, normalize)
        if grid is None:
            continue
        if table.rows:
            scan = grid.page.kind is SourceKind.SCAN
            fields.update(read_fixed_rows(grid, table, normalize, judge if scan else None))
        else:
            fields[table.key] = read_members(
                grid, table, campaign, normalize, places, judge, suffixes
            )
    return fields
