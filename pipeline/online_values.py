"""Cell values of the online export, typed by their column (``ExportColumn.type``).

Values are typed, not normalised: text stays text (trimmed at the ends only), a numeric
column gives a number when the cell holds a plain number and the cell's text otherwise
(``17,372.00`` is left to the validators), dates become ISO strings when they read as a
date, and the member column becomes a list of names (an empty member cell an empty list).
The cells come as openpyxl, the CSV reader or JSON hand them over: any Python value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from zoneinfo import ZoneInfo

from openpyxl.utils.datetime import from_excel

from pipeline.config import ExportColumn, ExportMapping, FieldType
from pipeline.model import FieldValue

Cell = object
"""One cell as read: None, text, a number, a date or datetime, or (JSON) a list or object."""

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_TIME = re.compile(r"(\d{1,2})\s*[:时]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2})\s*秒?)?")
_NUMERIC_TYPES = {FieldType.MONEY_WAN, FieldType.PERCENT, FieldType.INTEGER}


def is_blank(cell: Cell) -> bool:
    """None, or text of nothing but whitespace."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cell_text(cell: Cell) -> str | None:
    """A cell as text: numbers without a spurious ``.0``, dates in ISO form."""
    if is_blank(cell):
        return None
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        return cell.isoformat()
    if isinstance(cell, list | dict):
        return json.dumps(cell, ensure_ascii=False)
    return str(cell).strip()


def column_value(column: ExportColumn, raw: Cell, mapping: ExportMapping) -> FieldValue:
    """A cell's value as its column types it (member lists split at the mapping's
    separators); None for a blank cell, except that a blank member cell lists no one."""
    if column.type == "member_list" and is_blank(raw):
        return []  # an empty member column lists no members: a list, like any other
    if is_blank(raw):
        return None
    if column.type == "member_list":
        if isinstance(raw, list):
            return [t for item in raw if (t := cell_text(item))]
        separators = (mapping.list_separator, *mapping.list_separator_aliases)
        pattern = "|".join(re.escape(s) for s in separators)
        return [part.strip() for part in re.split(pattern, cell_text(raw) or "") if part.strip()]
    if column.type in _NUMERIC_TYPES:
        return _number(raw)
    if column.type == FieldType.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        text = cell_text(raw) or ""
        parsed = parse_date(text)
        return parsed.isoformat() if parsed else text
    return cell_text(raw)


def _number(raw: Cell) -> FieldValue:
    """A number for a numeric cell or a plain number's text; any other text as written."""
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, int | float):
        value: float = float(raw)
    else:
        text = cell_text(raw) or ""
        if not _PLAIN_NUMBER.fullmatch(text):
            return text
        value = float(text)
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value  # a fraction in an integer column stays a fraction: the validators decide


def parse_date(text: str) -> dt.date | None:
    """A date written ``2022-08-01``, ``2022/8/1``, ``2022年8月1日`` (NFKC); else None."""
    match = _DATE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def filing_time(raw: Cell, zone: ZoneInfo) -> str | None:
    """ISO 8601 in ``zone`` for a datetime cell or text; a naive time is taken as ``zone``."""
    moment: dt.datetime | None = None
    if isinstance(raw, dt.datetime):
        moment = raw
    elif isinstance(raw, dt.date):
        moment = dt.datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            moment = from_excel(raw)
        except (ValueError, OverflowError):
            moment = None
    else:
        moment = _parse_datetime_text(unicodedata.normalize("NFKC", str(raw)).strip())
    if moment is None:
        return None
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return moment.isoformat()


def _parse_datetime_text(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    date_match = _DATE.match(text)
    if not date_match:
        return None
    rest = text[date_match.end() :].strip().lstrip("T").strip()
    hour = minute = second = 0
    if rest:
        time_match = _TIME.fullmatch(rest)
        if not time_match:
            return None
        hour, minute = int(time_match[1]), int(time_match[2])
        second = int(time_match[3] or 0)
    try:
        return dt.datetime(
            int(date_match[1]), int(date_match[2]), int(date_match[3]), hour, minute, second
        )
    except ValueError:
        return None
