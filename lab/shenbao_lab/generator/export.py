"""The online platform's export (XLSX and a GB18030 CSV), with format-only variety.

Each row says what the filing means (``online_values``) but is written the way a real
export writes it: different brackets, spaces in names, separators, date styles, case and
list order. Those differences are recorded so a checker can be held to raising nothing
for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.config import Campaign, ExportMapping, FieldType
from pipeline.model import Annex, FieldValue
from shenbao_lab.generator.applicant import Applicant, pick
from shenbao_lab.generator.determinism import normalise_zip

Cell = str | int | float | None


def _alias(value: str, campaign: Campaign, kind: str) -> str:
    choices = campaign.choices(kind)
    choice = next((c for c in choices if c.name == value), None)
    return choice.aliases[0] if choice and choice.aliases else value


def _cell(
    key: str, kind: FieldType | str, value: FieldValue, campaign: Campaign, rng: np.random.Generator
) -> tuple[Cell, bool]:
    """One export cell for ``value``; True when it is written differently from the paper."""
    if value is None:
        return None, False
    roll = rng.random()
    if kind == FieldType.MONEY_WAN or kind == FieldType.PERCENT:
        number = float(value)  # type: ignore[arg-type]
        if roll < 0.3:
            return f"{number:,.2f}", True
        if roll < 0.55 and kind == FieldType.PERCENT:
            return f"{number:g}%", True
        return number, roll < 0.55  # a number cell: trailing zeros dropped
    if kind == FieldType.DATE:
        date = dt.date.fromisoformat(str(value))
        if roll < 0.4:
            return f"{date.year}/{date.month}/{date.day}", True
        return date.isoformat(), False
    if kind == FieldType.PERSON_NAME and roll < 0.3 and len(str(value)) == 2:
        return f"{str(value)[0]} {str(value)[1]}", True
    if kind == FieldType.EMAIL and roll < 0.3:
        return str(value).upper(), True
    if kind == FieldType.MOBILE and roll < 0.25:
        text = str(value)
        return f"{text[:3]} {text[3:7]} {text[7:]}", True
    if kind == FieldType.CHOICE and roll < 0.5:
        for source in ("center_types", "setup_modes", "affiliations", "localities"):
            if any(c.name == value for c in campaign.choices(source)):
                alias = _alias(str(value), campaign, source)
                return alias, alias != value
    if kind == FieldType.INTEGER:
        return int(value), False  # type: ignore[arg-type]
    return str(value), False


def export_rows(
    applicants: list[Applicant],
    mapping: ExportMapping,
    campaign: Campaign,
    rng: np.random.Generator,
) -> tuple[list[str], list[list[Cell]], dict[str, list[str]]]:
    """Header, rows and, per record, the fields written with format-only differences."""
    header = [c.header for c in mapping.columns]
    rows: list[list[Cell]] = []
    variants: dict[str, list[str]] = {}
    for a in applicants:
        if not a.online:
            continue
        row: list[Cell] = []
        varied: list[str] = []
        for column in mapping.columns:
            if column.type == "record_id":
                row.append(a.record_id)
            elif column.type == "annex":
                row.append(annex_label(a.annex, mapping))
            elif column.type == "datetime":
                row.append(a.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if a.submitted_at else None)
            elif column.type == "member_list":
                names = list(a.online_values.get(column.key) or [])  # type: ignore[arg-type]
                order = [names[int(i)] for i in rng.permutation(len(names))]
                separator = (
                    mapping.list_separator
                    if rng.random() < 0.7
                    else pick(rng, mapping.list_separator_aliases)
                )
                row.append(separator.join(order))
                if order != names or separator != mapping.list_separator:
                    varied.append(column.key)
            else:
                cell, differs = _cell(
                    column.key, column.type, a.online_values.get(column.key), campaign, rng
                )
                row.append(cell)
                if differs:
                    varied.append(column.key)
        rows.append(row)
        variants[a.record_id] = varied
    return header, rows, variants


def write_xlsx(header: list[str], rows: list[list[Cell]]) -> bytes:
    """The export as the platform's XLSX: a header row, filters, sensible widths."""
    book = Workbook()
    sheet = book.active
    sheet.title = "申报信息"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.auto_filter.ref = sheet.dimensions
    for i, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(title) * 2 + 4))
    fixed = dt.datetime(2022, 8, 1, 9, 0)
    book.properties.created = book.properties.modified = fixed
    book.properties.creator = "省工业云平台"
    out = io.BytesIO()
    book.save(out)
    return normalise_zip(out.getvalue())


def write_csv(header: list[str], rows: list[list[Cell]], *, encoding: str = "gb18030") -> bytes:
    """The export as CSV, in GB18030 as Excel on a Chinese desktop saves it."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return text.getvalue().encode(encoding)


def annex_label(annex: Annex, mapping: ExportMapping) -> str:
    return next(k for k, v in mapping.annex_values.items() if v is annex)
