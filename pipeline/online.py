"""Loading the online platform's export (FORMS.md §5): XLSX, CSV or JSON → OnlineRecords.

Columns are found by header text through the export mapping (labels and aliases, compared
after NFKC and with all whitespace removed), so a platform that adds, drops or reorders
columns still loads: added columns are listed as unknown, dropped ones as missing, and only
a dropped required column (申报编号, 申报类型) refuses the file.

Values come back as typed by their column, not normalised (``online_values``): text stays
text (trimmed at the ends only), a numeric column gives a number when the cell holds a
plain number and the cell's text otherwise (``17,372.00`` is left to the validators), dates
become ISO strings when they read as a date, and the member column becomes a list of names.
A field whose column the export lacks is absent from ``fields`` (not None), so "column
dropped" is never mistaken for "value empty"; an empty member cell is an empty list.

A row that cannot become a record (empty 申报编号, unknown 申报类型, a repeated 申报编号) is
reported in ``problems`` with its row number; a row with a bad value that is kept (an
unreadable filing time or date) is reported too, marked ``record_kept``. Nothing is
dropped silently. A file that cannot be read at all raises ``InputError`` with one line.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from pydantic import Field

from pipeline.archives import OfficeFormat, UnsafePackageError, check_office_package
from pipeline.config import ExportColumn, ExportLimits, ExportMapping, FieldType
from pipeline.errors import InputError
from pipeline.model import Annex, FieldValue, Frozen, OnlineRecord
from pipeline.online_values import Cell, cell_text, column_value, filing_time, is_blank, parse_date

ExportFormat = Literal["xlsx", "csv", "json"]

HEADER_SCAN_ROWS = 10
"""The header is looked for in this many first non-empty rows (a title row may sit above)."""

REQUIRED_TYPES = ("record_id", "annex")
_NOT_AN_OBJECT = object()
"""Stands for a JSON record that is not an object (a bare string, number or list)."""


class RowProblem(Frozen):
    """A row of the export that did not load cleanly, for the reviewer."""

    row: int = Field(
        ge=1, description="row in the file (header row counted); for JSON the record's position"
    )
    column: str | None = Field(None, description="the header of the offending column")
    reason: str = Field(description="为何（中文）")
    reason_en: str
    record_kept: bool = Field(description="the row still became a record (a value was bad)")


class OnlineExport(Frozen):
    """The export as loaded: its records, its problem rows and how its columns mapped."""

    file: str
    format: ExportFormat
    encoding: str | None = Field(None, description="the text encoding of a CSV or JSON export")
    header_row: int = Field(ge=1, description="the header's row (1 for JSON)")
    records: tuple[OnlineRecord, ...]
    problems: tuple[RowProblem, ...] = ()
    unknown_columns: tuple[str, ...] = Field(
        (), description="headers the mapping does not know (platform additions), ignored"
    )
    missing_columns: tuple[str, ...] = Field(
        (), description="field keys of mapped columns the export lacks"
    )

    def record(self, record_id: str) -> OnlineRecord | None:
        return next((r for r in self.records if r.record_id == record_id), None)


@dataclass
class _Table:
    """A file's cells before mapping: the header and each data row with its row number."""

    header_row: int
    header: list[Cell]
    rows: list[tuple[int, list[Cell]]]
    encoding: str | None = None


def load_online_export(
    path: Path | str, mapping: ExportMapping, *, timezone: str = "Asia/Shanghai"
) -> OnlineExport:
    """Load an online export (``.xlsx``, ``.csv`` or ``.json``) through the column mapping.

    Raises:
        InputError: the file cannot be read at all, is too large, is not an export, or lacks
            a required column; the message is one line, in Chinese and English.
    """
    path = Path(path)
    limits = mapping.limits
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refuse(path, "无法读取文件", f"cannot read: {exc.strerror}") from exc
    if size == 0:
        raise _refuse(path, "文件为空", "empty file")
    if size > limits.max_file_bytes:
        raise _refuse(
            path,
            f"文件大小 {size} 字节超过上限 {limits.max_file_bytes}",
            f"file of {size} bytes exceeds max_file_bytes {limits.max_file_bytes}",
        )
    data = path.read_bytes()
    kind = _format_of(path, data)
    if kind == "xlsx":
        table = _read_xlsx(path, mapping)
    elif kind == "json":
        table = _read_json(path, data, mapping)
    else:
        table = _read_csv(path, data, mapping)
    return _map(path, kind, table, mapping, ZoneInfo(timezone))


# --- reading the three formats ---------------------------------------------------------


def _format_of(path: Path, data: bytes) -> ExportFormat:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".txt"):
        return "csv"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def _read_xlsx(path: Path, mapping: ExportMapping) -> _Table:
    limits = mapping.limits
    try:
        check_office_package(path, OfficeFormat.XLSX, max_unpacked_bytes=limits.max_unpacked_bytes)
    except UnsafePackageError as why:
        raise _refuse(path, why.reason, why.reason_en) from why
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl signals a damaged package with many exception types
        raise _refuse(path, "XLSX 文件已损坏，无法打开", f"cannot open XLSX: {exc}") from exc
    try:
        empty = True
        for sheet in book.worksheets:
            rows = _bounded_rows(
                path,
                enumerate(
                    sheet.iter_rows(
                        max_col=limits.max_columns + 1,
                        values_only=True,
                    ),
                    start=1,
                ),
                limits,
            )
            if not rows:
                continue
            empty = False
            found = _find_header(rows, mapping)
            if found is not None:
                return _Table(found, rows[_index_of(rows, found)][1], _after(rows, found))
        if empty:
            raise _refuse(path, "文件为空（没有任何数据行）", "empty: no rows in any sheet")
        raise _not_an_export(path, mapping)
    except InputError:
        raise
    except Exception as exc:  # damage found while streaming the sheet XML
        raise _refuse(path, "XLSX 文件已损坏，无法读取", f"cannot read XLSX: {exc}") from exc
    finally:
        book.close()


def _read_csv(path: Path, data: bytes, mapping: ExportMapping) -> _Table:
    text, encoding = _decode(path, data, mapping)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        parsed = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
        rows = _bounded_rows(path, parsed, mapping.limits)
    except csv.Error as exc:
        raise _refuse(path, "CSV 格式错误，无法解析", f"malformed CSV: {exc}") from exc
    if not rows:
        raise _refuse(path, "文件为空（没有任何数据行）", "empty: no rows")
    found = _find_header(rows, mapping)
    if found is None:
        raise _not_an_export(path, mapping)
    return _Table(found, rows[_index_of(rows, found)][1], _after(rows, found), encoding)


def _read_json(path: Path, data: bytes, mapping: ExportMapping) -> _Table:
    text, encoding = _decode(path, data, mapping)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(path, "不是有效的 JSON", f"not valid JSON: {exc}") from exc
    items = loaded.get("records") if isinstance(loaded, dict) else loaded
    if not isinstance(items, list):
        raise _refuse(
            path,
            'JSON 须为记录列表或 {"records": [...]}',
            'JSON is neither a list of records nor {"records": [...]}',
        )
    if not items:
        raise _refuse(path, "文件为空（没有任何记录）", "empty: no records")
    if len(items) > mapping.limits.max_rows:
        raise _too_many_rows(path, mapping.limits)
    header: list[Cell] = []
    seen: set[str] = set()
    for item in items:
        for key in item if isinstance(item, dict) else ():
            if key not in seen:
                seen.add(key)
                header.append(key)
    if len(header) > mapping.limits.max_columns:
        raise _too_many_columns(path, mapping.limits)
    rows: list[tuple[int, list[Cell]]] = []
    for number, item in enumerate(items, start=1):
        # a record that is no object keeps its place, to be reported with its number
        rows.append(
            (number, [item.get(k) for k in header] if isinstance(item, dict) else [_NOT_AN_OBJECT])
        )
    if _find_header([(1, header)], mapping) is None:
        raise _not_an_export(path, mapping)
    return _Table(1, header, rows, encoding)


def _decode(path: Path, data: bytes, mapping: ExportMapping) -> tuple[str, str]:
    """Text of a CSV/JSON export: the mapping's encodings tried strictly, in order."""
    if b"\x00" in data:
        raise _refuse(path, "不是文本文件（含 NUL 字节）", "not a text file (NUL bytes)")
    for encoding in mapping.csv_encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _refuse(
        path,
        f"无法按 {'/'.join(mapping.csv_encodings)} 解码",
        f"not decodable as any of {', '.join(mapping.csv_encodings)}",
    )


def _bounded_rows(
    path: Path, rows: Iterable[tuple[int, Iterable[Cell]]], limits: ExportLimits
) -> list[tuple[int, list[Cell]]]:
    """Non-empty rows with their numbers; beyond the row or column cap the file is refused."""
    kept: list[tuple[int, list[Cell]]] = []
    for number, row in rows:
        cells = list(row)
        if not any(not is_blank(c) for c in cells):
            continue
        if len(cells) > limits.max_columns and any(
            not is_blank(c) for c in cells[limits.max_columns :]
        ):
            raise _too_many_columns(path, limits)
        kept.append((number, cells[: limits.max_columns]))
        if len(kept) > limits.max_rows + HEADER_SCAN_ROWS:
            raise _too_many_rows(path, limits)
    return kept


# --- mapping the header and the rows ---------------------------------------------------


def fold_header(text: object) -> str:
    """A header as compared: NFKC, no whitespace at all, case folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def _lookup(mapping: ExportMapping) -> dict[str, ExportColumn]:
    table: dict[str, ExportColumn] = {}
    for column in mapping.columns:
        for label in (column.header, *column.aliases):
            table.setdefault(fold_header(label), column)
    return table


def _find_header(rows: list[tuple[int, list[Cell]]], mapping: ExportMapping) -> int | None:
    """The row number of the header: the first rows' best match, if it names 申报编号."""
    lookup = _lookup(mapping)
    best: tuple[int, int] | None = None
    for number, cells in rows[:HEADER_SCAN_ROWS]:
        matched = {
            lookup[f].key for c in cells if not is_blank(c) and (f := fold_header(c)) in lookup
        }
        record_id = next(c.key for c in mapping.columns if c.type == "record_id")
        if record_id in matched and (best is None or len(matched) > best[1]):
            best = (number, len(matched))
    return best[0] if best else None


def _index_of(rows: list[tuple[int, list[Cell]]], number: int) -> int:
    return next(i for i, (n, _) in enumerate(rows) if n == number)


def _after(rows: list[tuple[int, list[Cell]]], number: int) -> list[tuple[int, list[Cell]]]:
    return [(n, cells) for n, cells in rows if n > number]


def _map(
    path: Path, kind: ExportFormat, table: _Table, mapping: ExportMapping, zone: ZoneInfo
) -> OnlineExport:
    lookup = _lookup(mapping)
    where: dict[str, tuple[int, ExportColumn]] = {}
    unknown: list[str] = []
    for index, cell in enumerate(table.header):
        if is_blank(cell):
            continue
        column = lookup.get(fold_header(cell))
        if column is None:
            unknown.append(str(cell).strip())
        elif column.key in where:
            raise _refuse(
                path,
                f"列「{column.header}」出现两次，无法确定取哪一列",
                f"column {column.header!r} appears twice",
            )
        else:
            where[column.key] = (index, column)
    for needed in REQUIRED_TYPES:
        column = next(c for c in mapping.columns if c.type == needed)
        if column.key not in where:
            raise _refuse(
                path, f"缺少必需列「{column.header}」", f"required column {column.key!r} missing"
            )
    missing = tuple(c.key for c in mapping.columns if c.key not in where)
    if len(table.rows) > mapping.limits.max_rows:
        raise _too_many_rows(path, mapping.limits)

    records: list[OnlineRecord] = []
    problems: list[RowProblem] = []
    first_row: dict[str, int] = {}
    for number, cells in table.rows:
        record, row_problems = _row(number, cells, where, mapping, zone)
        problems.extend(row_problems)
        if record is None:
            continue
        if record.record_id in first_row:
            header = mapping.column(_key_of(mapping, "record_id")).header
            earlier = first_row[record.record_id]
            problems.append(
                RowProblem(
                    row=number,
                    column=header,
                    reason=f"申报编号 {record.record_id} 重复（同第 {earlier} 行），本行未载入",
                    reason_en=f"record id {record.record_id} repeats row {earlier}; "
                    "this row not loaded",
                    record_kept=False,
                )
            )
            continue
        first_row[record.record_id] = number
        records.append(record)
    return OnlineExport(
        file=path.name,
        format=kind,
        encoding=table.encoding,
        header_row=table.header_row,
        records=tuple(records),
        problems=tuple(problems),
        unknown_columns=tuple(unknown),
        missing_columns=missing,
    )


def _key_of(mapping: ExportMapping, kind: str) -> str:
    return next(c.key for c in mapping.columns if c.type == kind)


def _row(
    number: int,
    cells: list[Cell],
    where: dict[str, tuple[int, ExportColumn]],
    mapping: ExportMapping,
    zone: ZoneInfo,
) -> tuple[OnlineRecord | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def problem(column: ExportColumn | None, reason: str, reason_en: str, kept: bool) -> None:
        problems.append(
            RowProblem(
                row=number,
                column=column.header if column else None,
                reason=reason,
                reason_en=reason_en,
                record_kept=kept,
            )
        )

    if cells and cells[0] is _NOT_AN_OBJECT:
        problem(
            None, "该记录不是对象（键值对），未载入", "record is not an object; not loaded", False
        )
        return None, problems

    def cell(column: ExportColumn) -> Cell:
        index = where[column.key][0]
        return cells[index] if index < len(cells) else None

    id_column = mapping.column(_key_of(mapping, "record_id"))
    record_id = cell_text(cell(id_column))
    if record_id is None:
        problem(id_column, "申报编号为空，本行未载入", "empty record id; row not loaded", False)
        return None, problems

    annex_column = mapping.column(_key_of(mapping, "annex"))
    annex_text = cell_text(cell(annex_column))
    annex = _annex(annex_text, mapping)
    if annex is None:
        shown = annex_text or "（空）"
        allowed = "/".join(mapping.annex_values)
        problem(
            annex_column,
            f"申报类型「{shown}」不是 {allowed}，本行未载入",
            f"filing type {annex_text!r} is none of {allowed}; row not loaded",
            False,
        )
        return None, problems

    submitted_at: str | None = None
    fields: dict[str, FieldValue] = {}
    for key, (_, column) in where.items():
        if column.type in REQUIRED_TYPES:
            continue
        raw = cell(column)
        if column.type == "datetime":
            if is_blank(raw):
                continue
            submitted_at = filing_time(raw, zone)
            if submitted_at is None:
                problem(
                    column,
                    f"提交时间「{raw}」无法识别为日期时间",
                    f"filing time {str(raw)!r} is not a date and time",
                    True,
                )
            continue
        value = column_value(column, raw, mapping)
        if column.type == FieldType.DATE and isinstance(value, str) and parse_date(value) is None:
            problem(
                column,
                f"{column.header}「{value}」无法识别为日期，按原文保留",
                f"{column.key} {value!r} is not a date; kept as written",
                True,
            )
        fields[key] = value
    record = OnlineRecord(
        record_id=record_id, annex=annex, row=number, fields=fields, submitted_at=submitted_at
    )
    return record, problems


def _annex(text: str | None, mapping: ExportMapping) -> Annex | None:
    if text is None:
        return None
    folded = fold_header(text)
    for label, annex in mapping.annex_values.items():
        if fold_header(label) == folded or folded == annex.value:
            return annex
    return None


# --- refusals --------------------------------------------------------------------------


def _refuse(path: Path, reason: str, reason_en: str) -> InputError:
    return InputError(f"{path.name}: {reason}（{reason_en}）", file=path.name)


def _not_an_export(path: Path, mapping: ExportMapping) -> InputError:
    header = mapping.column(_key_of(mapping, "record_id")).header
    return _refuse(
        path,
        f"不是网上申报导出文件：前 {HEADER_SCAN_ROWS} 行中没有「{header}」表头",
        f"not an online export: no {header!r} header in the first {HEADER_SCAN_ROWS} rows",
    )


def _too_many_rows(path: Path, limits: ExportLimits) -> InputError:
    return _refuse(
        path,
        f"数据行数超过上限 {limits.max_rows}，未载入",
        f"more than max_rows={limits.max_rows} rows; refused",
    )


def _too_many_columns(path: Path, limits: ExportLimits) -> InputError:
    return _refuse(
        path,
        f"列数超过上限 {limits.max_columns}，未载入",
        f"more than max_columns={limits.max_columns} columns; refused",
    )


__all__ = ["OnlineExport", "RowProblem", "fold_header", "load_online_export"]
