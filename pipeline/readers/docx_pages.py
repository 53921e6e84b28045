"""DOCX pages: paragraphs and table rows as lines on synthetic A4 pages.

The package is checked first (``ingest.check_docx``: zip bombs, DTDs and entities), then
python-docx parses it; its body's XML is walked here in reading order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx

from pipeline.ingest import QuarantineError, check_docx, too_many_pages
from pipeline.marks.tick_boxes import glyph_boxes
from pipeline.model import SourceKind, TextLine
from pipeline.readers.source_page import A4_PT, SourcePage, error_page, without_path
from pipeline.rulebook import Rules
from pipeline.settings import Settings

log = logging.getLogger(__name__)

# DOCX has no geometry: lines are laid out on a synthetic A4 page (see ``docx_pages``).
DOCX_TOP, DOCX_BOTTOM = 0.05, 0.95
DOCX_LEFT, DOCX_RIGHT = 0.1, 0.9
DOCX_NOMINAL_ROWS = 40
DOCX_ROW_FILL = 0.8  # the rest of a row's slot is a gap, so rows never overlap

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def docx_pages(path: Path, settings: Settings, rules: Rules) -> Iterator[SourcePage]:
    """A DOCX's paragraphs and table rows as lines on synthetic A4 pages, its ☑/□
    characters tick boxes (``rules.tick_boxes``).

    Pages end at explicit breaks only: ``w:br w:type="page"``, ``w:pageBreakBefore`` and
    a section break in a paragraph (unless the next section is continuous). Word's own
    pagination is not known without laying the document out.

    A DOCX has no geometry, so each line gets a synthetic bbox that keeps the two
    relations extractors use: "same row" (vertical overlap) and "right of" (x order).
    Rows advance down the page in reading order within [0.05, 0.95] (spacing compressed
    when a page holds more than 40 rows; a row's bbox fills 80 % of its slot so rows
    never overlap). A paragraph spans x 0.1-0.9. A table row is one row; its cells sit
    left to right by grid column, ``x0 = 0.1 + 0.8·col/ncols``, ``x1 = 0.1 +
    0.8·(col+span)/ncols``; a vertically merged cell appears once, spanning its rows.
    """
    try:
        check_docx(path, settings)  # done at sniff time too: the file may have changed
        body = docx.Document(str(path)).element.body
    except QuarantineError as why:
        log.warning("DOCX %s refused: %s", path.name, why.reason_en)
        yield error_page(1, why.reason, why.reason_en, kind=SourceKind.DOCX)
        return
    except Exception as exc:  # python-docx fails on damaged packages in many ways
        log.warning("DOCX %s cannot be parsed: %r", path.name, exc)
        yield error_page(
            1,
            "DOCX 文件已损坏，无法解析",
            f"cannot parse DOCX: {without_path(exc, path)}",
            kind=SourceKind.DOCX,
        )
        return
    for number, rows in enumerate(_docx_page_rows(body), start=1):
        if number > settings.max_pages:  # its pages are known only now: the file is set aside
            raise too_many_pages(settings)
        yield SourcePage(
            file_page=number,
            kind=SourceKind.DOCX,
            width_pt=A4_PT[0],
            height_pt=A4_PT[1],
            lines=(lines := _lay_out(rows)),
            boxes=glyph_boxes(lines, rules.tick_boxes),
        )


@dataclass(frozen=True)
class _Cell:
    text: str
    col: int
    span: int
    rows: int  # how many table rows it covers (vertical merge)


@dataclass
class _GridCell:
    col: int
    span: int
    text: str
    rows: int = 1


@dataclass(frozen=True)
class _DocxRow:
    """One row slot of a DOCX page: a paragraph (one cell) or a table row."""

    cells: tuple[_Cell, ...]
    ncols: int = 1


def _docx_page_rows(body: Any) -> Iterator[list[_DocxRow]]:
    """The body's blocks in reading order, cut into pages at explicit breaks."""
    section_types = _section_types(body)
    section_index = 0
    rows: list[_DocxRow] = []
    produced = False
    for block in _blocks(body):
        if block.tag == f"{_W}tbl":
            rows.extend(_table_rows(block))
            continue
        properties = block.find(f"{_W}pPr")
        if properties is not None and _is_on(properties.find(f"{_W}pageBreakBefore")) and rows:
            yield rows
            produced, rows = True, []
        segments = _paragraph_segments(block)
        for position, segment in enumerate(segments):
            if position > 0:  # a page break inside the paragraph
                yield rows
                produced, rows = True, []
            text = _clean(segment)
            if text:
                rows.append(_DocxRow(cells=(_Cell(text, 0, 1, 1),)))
        if properties is not None and properties.find(f"{_W}sectPr") is not None:
            section_index += 1
            next_type = (
                section_types[section_index] if section_index < len(section_types) else "nextPage"
            )
            if next_type not in ("continuous", "nextColumn"):
                yield rows
                produced, rows = True, []
    if rows or not produced:
        yield rows  # a break at the very end leaves no page behind it


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables among a container's children, content controls opened."""
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif child.tag in (f"{_W}customXml", f"{_W}ins", f"{_W}smartTag"):
            yield from _blocks(child)


def _section_types(body: Any) -> list[str]:
    """The start type of each section, in order: paragraph sections, then the body's last."""
    sections = [
        block.find(f"{_W}pPr/{_W}sectPr") for block in _blocks(body) if block.tag == f"{_W}p"
    ]
    sections.append(body.find(f"{_W}sectPr"))
    found: list[str] = []
    for section in sections:
        if section is not None:
            kind = section.find(f"{_W}type")
            found.append(kind.get(f"{_W}val", "nextPage") if kind is not None else "nextPage")
    return found


def _is_on(element: Any) -> bool:
    if element is None:
        return False
    return element.get(f"{_W}val", "true").lower() not in ("0", "false", "off")


def _paragraph_segments(paragraph: Any) -> list[str]:
    """A paragraph's text, split where it holds a page break (one segment when none)."""
    segments = [""]
    boxes: list[Any] = []
    for element in _paragraph_text_elements(paragraph, boxes, breaks=True):
        if element is None:
            segments.append("")
        else:
            segments[-1] += element
    # Text boxes anchored here have no place in reading order: they follow the paragraph.
    for box in boxes:
        for inner in _blocks(box):
            if inner.tag == f"{_W}p":
                segments[-1] += " " + _paragraph_text(inner)
    return segments


def _paragraph_text(paragraph: Any) -> str:
    boxes: list[Any] = []
    text = "".join(t for t in _paragraph_text_elements(paragraph, boxes, breaks=False) if t)
    for box in boxes:
        text += " " + " ".join(_paragraph_text(p) for p in box.iter(f"{_W}p"))
    return text


def _paragraph_text_elements(
    paragraph: Any, boxes: list[Any], *, breaks: bool
) -> Iterator[str | None]:
    """Text pieces of a paragraph in order; None marks a page break when ``breaks``."""
    stack = list(reversed(list(paragraph)))
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str) or tag in (f"{_W}del", f"{_W}pPr", f"{_W}rPr", _MC_FALLBACK):
            continue  # comments, deleted text, properties, duplicate fallback content
        if tag == f"{_W}txbxContent":
            boxes.append(element)
            continue
        if tag == f"{_W}t":
            yield element.text or ""
        elif tag in (f"{_W}tab", f"{_W}ptab"):
            yield " "
        elif tag == f"{_W}noBreakHyphen":
            yield "-"
        elif tag == f"{_W}br" and element.get(f"{_W}type") == "page" and breaks:
            yield None
        elif tag in (f"{_W}br", f"{_W}cr"):
            yield " "
        else:
            stack.extend(reversed(list(element)))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _join_cjk_aware(parts: Iterable[str]) -> str:
    """Join a cell's paragraphs: a space only where two Latin letters or digits meet."""
    joined = ""
    for part in parts:
        if not part:
            continue
        if joined and joined[-1].isascii() and joined[-1].isalnum() and part[0].isascii():
            joined += " "
        joined += part
    return joined


def _table_rows(table: Any) -> Iterator[_DocxRow]:
    """One row slot per table row, its cells on the grid, merged cells once."""
    grid = table.find(f"{_W}tblGrid")
    grid_cols = len(grid.findall(f"{_W}gridCol")) if grid is not None else 0
    # Lay the whole table out first: a vertical merge's height is known only at its end.
    laid_out: list[list[_GridCell]] = []
    open_merges: dict[int, _GridCell] = {}
    for row in _child_elements(table, "tr"):
        cells: list[_GridCell] = []
        col = _grid_int(row.find(f"{_W}trPr"), "gridBefore")
        for cell in _child_elements(row, "tc"):
            properties = cell.find(f"{_W}tcPr")
            span = max(_grid_int(properties, "gridSpan"), 1)
            merge = properties.find(f"{_W}vMerge") if properties is not None else None
            continues = merge is not None and merge.get(f"{_W}val", "continue") == "continue"
            if continues and col in open_merges:
                open_merges[col].rows += 1  # the cell above grows by one row
            else:
                grid_cell = _GridCell(col=col, span=span, text=_cell_text(cell))
                cells.append(grid_cell)
                if merge is not None:
                    open_merges[col] = grid_cell
                else:
                    open_merges.pop(col, None)
            col += span
        laid_out.append(cells)
    ncols = max([grid_cols, 1] + [c.col + c.span for cells in laid_out for c in cells])
    for cells in laid_out:
        shown = tuple(
            _Cell(c.text, c.col, c.span, c.rows)
            for c in cells
            if c.text  # an empty cell prints nothing: no line for it
        )
        if shown:
            yield _DocxRow(cells=shown, ncols=ncols)


def _child_elements(parent: Any, tag: str) -> Iterator[Any]:
    """``parent``'s children named ``tag`` (``tr`` of a table, ``tc`` of a row), looking
    through the content controls and custom XML that Word may wrap around them."""
    for child in parent:
        if child.tag == f"{_W}{tag}":
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}customXml"):
            content = child.find(f"{_W}sdtContent") if child.tag == f"{_W}sdt" else child
            if content is not None:
                yield from _child_elements(content, tag)


def _grid_int(properties: Any, name: str) -> int:
    if properties is None:
        return 0
    element = properties.find(f"{_W}{name}")
    try:
        return int(element.get(f"{_W}val")) if element is not None else 0
    except (TypeError, ValueError):
        return 0


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs (and any nested table's) as one line of text."""
    parts: list[str] = []
    for block in _blocks(cell):
        if block.tag == f"{_W}p":
            parts.append(_clean(_paragraph_text(block)))
        else:
            parts.extend(_clean(_paragraph_text(p)) for p in block.iter(f"{_W}p"))
    return _join_cjk_aware(parts)


def _lay_out(rows: Sequence[_DocxRow]) -> tuple[TextLine, ...]:
    slot = (DOCX_BOTTOM - DOCX_TOP) / max(len(rows), DOCX_NOMINAL_ROWS)
    width = DOCX_RIGHT - DOCX_LEFT
    lines: list[TextLine] = []
    for index, row in enumerate(rows):
        top = DOCX_TOP + index * slot
        for cell in row.cells:
            bottom = top + (cell.rows - 1) * slot + DOCX_ROW_FILL * slot
            left = DOCX_LEFT + width * cell.col / row.ncols
            right = DOCX_LEFT + width * min(cell.col + cell.span, row.ncols) / row.ncols
            lines.append(
                TextLine(
                    text=cell.text,
                    bbox=(round(left, 6), round(top, 6), round(right, 6), round(bottom, 6)),
                    confidence=1.0,
                )
            )
    return tuple(lines)
