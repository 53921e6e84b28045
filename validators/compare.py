"""Paper against its online filing, compared in meaning (FORMS.md §6): FIELD_MISMATCH.

Every field the export carries and the submission's template declares (a labelled field,
or the members table) is compared once the online side is normalised exactly as the paper
was (``Context.normalize_value``): thousands separators, trailing zeros, full width, spaces
inside names, e-mail case, date styles and choice or city aliases are folded away, and a
value the normaliser cannot read (a domain outside the list, a short mobile number) is
compared as plain text on both sides. Numbers are equal within the tolerances of
``rules/compare.yaml``; one side ten thousand times the other is a unit slip (元 entered
as 万元), named as such. Lists (members, platforms) are compared as sets of normalised
names. A value on one side only is a mismatch too.

A paper reading below the review threshold is never compared: it already carries
FIELD_LOW_CONFIDENCE (or FIELD_MISSING) from the extractors, and a verdict on it would be
a guess.

``difference`` is the one notion of "same meaning", shared with the comparison of two
paper copies of one applicant (COPIES_DIFFER).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pipeline.config import Choice, FieldSpec, FieldType, TemplateSpec
from pipeline.model import (
    ExtractedField,
    FieldValue,
    Finding,
    FindingCode,
    Frozen,
    Member,
    OnlineRecord,
    SourceKind,
    Submission,
)
from pipeline.rulebook.compare import CompareRules
from validators.registry import Context, validator

PAPER, ONLINE = "纸质材料", "网上填报"


# --- the one notion of "same meaning" --------------------------------------------------

DifferenceKind = Literal["value", "unit_slip", "only_one_side", "list"]


class Difference(Frozen):
    """How two normalised values of one field differ in meaning.

    ``a`` and ``b`` are the values as compared (lists as lists of normalised names; an
    empty value as None). ``value``: different values; ``unit_slip``: one number
    ``unit_slip_factor`` times the other (``larger`` says which); ``only_one_side``: one
    value empty; ``list``: lists whose names differ (``only_a`` / ``only_b``).
    """

    kind: DifferenceKind
    a: FieldValue
    b: FieldValue
    only_a: tuple[str, ...] = ()
    only_b: tuple[str, ...] = ()
    larger: Literal["a", "b"] | None = None


def _is_number(value: FieldValue) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_empty(value: FieldValue) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return not value
    return False


def _name_of(item: object) -> str:
    if isinstance(item, Member):
        return item.name
    if isinstance(item, dict):
        return str(item.get("name", ""))
    return str(item)


def _names(value: FieldValue, normalize_org: Callable[[str], str]) -> list[str]:
    """A list's items as normalised names (members by their name), blanks dropped."""
    if _is_empty(value):
        return []
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = normalize_org(_name_of(item))
        if name and name not in names:
            names.append(name)
    return names


def _same_number(x: float, y: float, tolerance: float) -> bool:
    # a hair of slack for binary fractions (17372.005 - 17372.0 is 0.00500000000102), far
    # below a cent even for the largest amounts (1e-9 let 5203766.80 equal 5203766.81)
    return abs(x - y) <= tolerance + 1e-12 * max(1.0, abs(x), abs(y))


def _unit_slip(
    x: float, y: float, field_type: FieldType, tolerance: float, rules: CompareRules
) -> Literal["a", "b"] | None:
    """Which side is ``unit_slip_factor`` times the other, if one is."""
    if field_type not in rules.unit_slip_types:
        return None
    big, small = (abs(x), abs(y)) if abs(x) >= abs(y) else (abs(y), abs(x))
    if small == 0 or (x < 0) != (y < 0):
        return None
    factor = rules.unit_slip_factor
    near = abs(big - factor * small) <= rules.unit_slip_tolerance * factor * small
    if near or _same_number(big / factor, small, tolerance):
        return "a" if abs(x) >= abs(y) else "b"
    return None


def difference(
    key: str,
    spec_type: FieldType,
    a: FieldValue,
    b: FieldValue,
    rules: CompareRules,
    normalize_org: Callable[[str], str],
) -> Difference | None:
    """How two normalised values of field ``key`` differ in meaning; None when they do not.

    Both values are normalised already (the extractors' normaliser, or the online side put
    through it: ``online_value``). Lists (``name_list`` fields, the members table) compare
    as sets of ``normalize_org``-ed names, order and repeats aside; numbers of a numeric
    type within the field's tolerance (its key's own, else its type's: ``compare.yaml``);
    organisation names after ``normalize_org``; anything
    else as equal strings. Both empty is no difference; one empty is ``only_one_side``.
    """
    if spec_type is FieldType.NAME_LIST or isinstance(a, list) or isinstance(b, list):
        names_a, names_b = _names(a, normalize_org), _names(b, normalize_org)
        if set(names_a) == set(names_b):
            return None
        shown_a, shown_b = names_a or None, names_b or None
        if not names_a or not names_b:
            return Difference(kind="only_one_side", a=shown_a, b=shown_b)
        return Difference(
            kind="list",
            a=shown_a,
            b=shown_b,
            only_a=tuple(n for n in names_a if n not in names_b),
            only_b=tuple(n for n in names_b if n not in names_a),
        )
    empty_a, empty_b = _is_empty(a), _is_empty(b)
    if empty_a and empty_b:
        return None
    if empty_a or empty_b:
        return Difference(kind="only_one_side", a=None if empty_a else a, b=None if empty_b else b)
    if _is_number(a) and _is_number(b):
        x, y = float(a), float(b)  # type: ignore[arg-type]
        tolerance = rules.tolerance(spec_type, key) or 0.0
        if _same_number(x, y, tolerance):
            return None
        larger = _unit_slip(x, y, spec_type, tolerance, rules)
        if larger is not None:
            return Difference(kind="unit_slip", a=a, b=b, larger=larger)
        return Difference(kind="value", a=a, b=b)
    if _is_number(a) or _is_number(b):
        return Difference(kind="value", a=a, b=b)  # a number against unreadable text
    text_a, text_b = str(a), str(b)
    if spec_type is FieldType.ORG_NAME:
        text_a, text_b = normalize_org(text_a), normalize_org(text_b)
    return None if text_a == text_b else Difference(kind="value", a=a, b=b)


# --- messages --------------------------------------------------------------------------


def label_and_unit(label: str, field_type: FieldType, rules: CompareRules) -> tuple[str, str]:
    """A printed label without its unit bracket (研发人员数（人） → 研发人员数, 人), and the
    unit its numbers are written in ('' for none)."""
    match = re.fullmatch(r"(.+?)\s*[（(]\s*([^（）()]+?)\s*[）)]\s*", label)
    if match and match[2] in rules.units:
        return match[1], match[2]
    return label, rules.type_units.get(field_type, "")


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def shown(value: FieldValue, unit: str) -> str:
    """A normalised value as a reviewer reads it: numbers with their unit, lists joined."""
    if _is_empty(value):
        return "空"
    if _is_number(value):
        return f"{_number_text(value)}{unit}"  # type: ignore[arg-type]
    if isinstance(value, list):
        return f"「{'、'.join(_name_of(item) for item in value)}」"
    return f"「{value}」"


def describe(
    found: Difference,
    label: str,
    unit: str,
    rules: CompareRules,
    sides: tuple[str, str] = (PAPER, ONLINE),
) -> str:
    """The reviewer's sentence for a difference, naming both sides (``sides``: a's, b's)."""
    side_a, side_b = sides
    both = f"{label}：{side_a}为{shown(found.a, unit)}，{side_b}为{shown(found.b, unit)}"
    if found.kind == "list":
        parts = [
            f"仅{side}有{'、'.join(f'「{n}」' for n in names)}"
            for side, names in ((side_a, found.only_a), (side_b, found.only_b))
            if names
        ]
        return f"{label}：{'；'.join(parts)}"
    if found.kind == "unit_slip":
        slipped, value = (side_a, found.a) if found.larger == "a" else (side_b, found.b)
        factor = rules.unit_slip_factor
        meant = shown(float(value) / factor, unit)  # type: ignore[arg-type]
        return (
            f"{both}（疑似{slipped}将“元”填作“万元”：按元计为{meant}，"
            f"两者相差{_number_text(factor)}倍）"
        )
    return both


# --- paper against online --------------------------------------------------------------


def _choices(spec: FieldSpec, context: Context) -> tuple[Choice, ...]:
    return context.campaign.choices(spec.options_from) if spec.options_from else spec.options


def _as_text(value: FieldValue) -> str:
    if isinstance(value, list):
        return "；".join(_name_of(item) for item in value)
    if _is_number(value):
        return _number_text(value)  # type: ignore[arg-type]
    return str(value)


def online_value(
    field_type: FieldType, raw: FieldValue, choices: tuple[Choice, ...], context: Context
) -> FieldValue:
    """An export cell's value normalised exactly as the paper's was (numbers the export
    gives as numbers kept); text its type cannot read (a domain outside the list, a short
    mobile number) as plain normalised text, as the extractors keep such a paper reading."""
    if _is_empty(raw):
        return [] if isinstance(raw, list) else None
    if field_type is FieldType.NAME_LIST:
        if isinstance(raw, list):
            return [name for item in raw if (name := context.normalize_org(_name_of(item)))]
        value = context.normalize_value(FieldType.NAME_LIST, _as_text(raw), ())
        return value if value is not None else []
    if _is_number(raw) and field_type in (
        FieldType.MONEY_WAN,
        FieldType.PERCENT,
        FieldType.INTEGER,
    ):
        return raw
    text = _as_text(raw)
    value = context.normalize_value(field_type, text, choices)
    if value is None:
        return context.normalize_value(FieldType.TEXT, text, ())
    return value


def paper_value(spec_type: FieldType, field: ExtractedField, context: Context) -> FieldValue:
    """The paper's normalised value; a reading its type could not parse, as plain text
    (compared as written rather than taken for a blank).

    Only text carrying a digit or a Latin letter counts as written: a blank date cell
    still printing its 年 月 日 is a blank, not a value.
    """
    if (
        _is_empty(field.value)
        and spec_type is not FieldType.NAME_LIST
        and any(ch.isdigit() or (ch.isascii() and ch.isalpha()) for ch in field.raw)
    ):
        return context.normalize_value(FieldType.TEXT, field.raw, ())
    return field.value


@dataclass(frozen=True)
class Compared:
    """A field the template declares, as compared: its key, printed label, type, choices."""

    key: str
    label: str
    type: FieldType
    choices: tuple[Choice, ...] = ()


def compared_fields(template: TemplateSpec, context: Context) -> tuple[Compared, ...]:
    """The template's labelled fields, then its free-row tables (the members table: a
    list of member units, labelled by its section's heading), in the template's order."""
    fields = tuple(
        Compared(spec.key, spec.label, spec.type, _choices(spec, context))
        for spec in template.fields
    )
    tables = tuple(
        Compared(table.key, template.section(table.section).heading, FieldType.NAME_LIST)
        for table in template.tables
        if not table.rows
    )
    return fields + tables


def _scanned(submission: Submission, reading: ExtractedField) -> bool:
    page = next((p for p in submission.pages if p.number == reading.page), None)
    return page is not None and page.kind is SourceKind.SCAN


def _one_glyph(
    found: Difference, spec_type: FieldType, rules: CompareRules
) -> tuple[str, str, str, str] | None:
    """The two names and their two characters, when a long name differs from the other
    side at one place only (``one_glyph_types``): a recogniser's slip more likely than the
    applicant's. In a list of names (the members), when the only difference is one name
    on each side, those two."""
    if spec_type not in rules.one_glyph_types:
        return None
    if found.kind == "value":
        a, b = found.a, found.b
    elif found.kind == "list" and len(found.only_a) == 1 and len(found.only_b) == 1:
        (a,), (b,) = found.only_a, found.only_b
    else:
        return None
    if not isinstance(a, str) or not isinstance(b, str) or len(a) != len(b):
        return None
    if len(a) < rules.one_glyph_min_chars:
        return None
    places = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return (a, b, *places[0]) if len(places) == 1 else None


@dataclass(frozen=True)
class Pair:
    """One field of the online comparison, paper beside online, as compared.

    ``paper`` and ``online`` are normalised as the comparison takes them (``paper_value``,
    ``online_value``); ``paper`` is None when the paper has no reading of the field.
    ``sure``: the paper's reading reaches the review threshold, so it was compared — an
    unsure or absent reading never is (FIELD_LOW_CONFIDENCE / FIELD_MISSING speak for it).
    ``found``: how the two differ (None when they agree or were not compared).
    """

    spec: Compared
    reading: ExtractedField | None
    sure: bool
    paper: FieldValue
    online: FieldValue
    found: Difference | None


def compared_pairs(
    fields: Mapping[str, ExtractedField],
    template: TemplateSpec,
    record: OnlineRecord,
    context: Context,
) -> list[Pair]:
    """Every field the online comparison covers for a form of ``template`` against its
    filing ``record`` (the template's fields and free-row tables the export has a column
    for, those ``compare.yaml`` skips aside), in the template's order, each as compared."""
    rules = context.rules.compare
    pairs = []
    for spec in compared_fields(template, context):
        if spec.key in rules.skip or spec.key not in record.fields:
            continue  # not compared, or a column the export lacks (not an empty value)
        reading = fields.get(spec.key)
        sure = reading is not None and reading.confidence >= context.review_threshold
        paper = paper_value(spec.type, reading, context) if reading is not None else None
        online = online_value(spec.type, record.fields[spec.key], spec.choices, context)
        found = (
            difference(spec.key, spec.type, paper, online, rules, context.normalize_org)
            if sure
            else None
        )
        pairs.append(Pair(spec, reading, sure, paper, online, found))
    return pairs


@validator("online_fields", stage="online")
def compare_online(submission: Submission, context: Context) -> list[Finding]:
    """FIELD_MISMATCH for each field whose paper and online values differ in meaning."""
    record, template = context.online, context.template(submission)
    if record is None or template is None:
        return []
    rules = context.rules.compare
    findings: list[Finding] = []
    for pair in compared_pairs(submission.fields, template, record, context):
        reading, found, spec = pair.reading, pair.found, pair.spec
        if reading is None or found is None:
            # agreed, or unsure or unread: FIELD_LOW_CONFIDENCE / FIELD_MISSING say so
            continue
        name, unit = label_and_unit(spec.label, spec.type, rules)
        slip = _one_glyph(found, spec.type, rules) if _scanned(submission, reading) else None
        if slip is not None:
            findings.append(
                Finding.of(
                    FindingCode.FIELD_LOW_CONFIDENCE,
                    f"{name}：纸质材料识别为「{slip[0]}」，与{ONLINE}「{slip[1]}」仅差一字"
                    f"（「{slip[2]}」/「{slip[3]}」），疑为识别误差，需人工核对",
                    field=spec.key,
                    paper=slip[0],
                    online=slip[1],
                    page=reading.page,
                    bbox=reading.bbox,
                )
            )
            continue
        message = describe(found, name, unit, rules)
        if reading.confidence < rules.show_confidence_below:
            message += f"（纸质材料识别置信度{reading.confidence:.2f}）"
        findings.append(
            Finding.of(
                FindingCode.FIELD_MISMATCH,
                message,
                field=spec.key,
                paper=found.a,
                online=found.b,
                page=reading.page,
                bbox=reading.bbox,
            )
        )
    return findings


__all__ = [
    "CompareRules",
    "Compared",
    "Difference",
    "DifferenceKind",
    "Pair",
    "compare_online",
    "compared_fields",
    "compared_pairs",
    "describe",
    "difference",
    "label_and_unit",
    "online_value",
    "paper_value",
    "shown",
]
