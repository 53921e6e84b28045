"""Reading label → value pairs by geometry (first cut: text lines, no tick boxes yet).

For each field a page of the template prints, the label is found among the page's lines
(normalised, fuzzy); the value is the rest of the label's own line (``标签：值``), else the
nearest line to its right on the same row (a table's next cell, a cover's underlined
blank), else — for ``below`` fields — the line under it. The reading is normalised by the
field's type; its confidence is the OCR confidence times how well the label matched.
Tick-box fields are not read here yet: they need ink inside each box.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from shenbao.extractors.normalize import normalize_text, normalize_value
from shenbao.extractors.sections import check_sections, find_sections
from shenbao.pipeline.config import Campaign, FieldSpec, FieldType, ReadMethod, TemplateSpec
from shenbao.pipeline.model import Annex, ExtractedField, Page, Submission, TextLine

LABEL_MATCH = 90.0  # rapidfuzz ratio a line's start must reach against a label
ROW_OVERLAP = 0.5  # share of the shorter line's height two lines must share to be one row
SEPARATORS = ":："


def _label_variants(spec: FieldSpec, template: TemplateSpec) -> list[str]:
    anchors = [s.anchor for s in template.seal_slots if s.owner == spec.key]
    return [normalize_text(v) for v in (spec.label, *spec.aliases, *anchors) if v]


def _label_match(line: TextLine, variants: list[str]) -> tuple[float, str] | None:
    """(match quality 0–1, the text after the label) when the line starts with a label."""
    text = normalize_text(line.text)
    best: tuple[float, str] | None = None
    for label in sorted(variants, key=len, reverse=True):
        if text.startswith(label):
            return 1.0, text[len(label) :].lstrip(SEPARATORS)
        score = fuzz.ratio(text[: len(label)], label) if len(label) >= 4 else 0.0
        if score >= LABEL_MATCH and (best is None or score / 100 > best[0]):
            best = (score / 100, text[len(label) :].lstrip(SEPARATORS))
    return best


def _same_row(a: TextLine, b: TextLine) -> bool:
    top, bottom = max(a.bbox[1], b.bbox[1]), min(a.bbox[3], b.bbox[3])
    shorter = min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])
    return shorter > 0 and (bottom - top) >= ROW_OVERLAP * shorter


def _right_of(label: TextLine, lines: tuple[TextLine, ...]) -> TextLine | None:
    candidates = [
        t
        for t in lines
        if t is not label and _same_row(label, t) and t.bbox[0] >= label.bbox[2] - 0.005
    ]
    return min(candidates, key=lambda t: t.bbox[0], default=None)


def _below(label: TextLine, lines: tuple[TextLine, ...]) -> TextLine | None:
    candidates = [
        t
        for t in lines
        if t.bbox[1] >= label.bbox[3] - 0.002
        and t.bbox[0] < label.bbox[2]
        and t.bbox[2] > label.bbox[0]
    ]
    return min(candidates, key=lambda t: t.bbox[1], default=None)


def _continuation(value: TextLine, lines: tuple[TextLine, ...]) -> list[TextLine]:
    """Lines a value wraps onto inside its cell: straight below, starting where it starts,
    with nothing to their left on their row (a new row would have its label there)."""
    following: list[TextLine] = []
    last = value
    for line in sorted(lines, key=lambda t: t.bbox[1]):
        if line.bbox[1] <= last.bbox[1] or abs(line.bbox[0] - value.bbox[0]) > 0.01:
            continue
        height = last.bbox[3] - last.bbox[1]
        if line.bbox[1] - last.bbox[3] > height:
            break
        if any(_same_row(line, other) and other.bbox[2] <= line.bbox[0] for other in lines):
            break
        following.append(line)
        last = line
    return following


# Kinds whose text is kept when it does not normalise: a domain outside the list or a
# mobile number that is too short must reach the validators as read, not as a blank.
_KEEP_AS_READ = {FieldType.CHOICE, FieldType.MOBILE, FieldType.EMAIL, FieldType.USCC}


def read_field(
    spec: FieldSpec, page: Page, template: TemplateSpec, campaign: Campaign
) -> ExtractedField | None:
    """One field from one page, or None when its label is not on it."""
    variants = _label_variants(spec, template)
    for line in page.lines:
        match = _label_match(line, variants)
        if match is None:
            continue
        quality, rest = match
        source: TextLine | None = line if rest else None
        if source is None:
            source = (
                _below(line, page.lines)
                if spec.method is ReadMethod.BELOW
                else _right_of(line, page.lines)
            )
        raw = rest if source is line else (source.text if source else "")
        if source is not None and source is not line:
            raw += "".join(t.text for t in _continuation(source, page.lines))
        choices = campaign.choices(spec.options_from) if spec.options_from else spec.options
        value = normalize_value(
            spec.type, raw, choices=choices, equivalents=campaign.org_suffix_equivalents
        )
        if value is None and spec.type in _KEEP_AS_READ and normalize_text(raw):
            value = normalize_text(raw)
        confidence = quality * (source.confidence if source else 1.0)
        return ExtractedField(
            value=value,
            raw=raw.strip(),
            page=page.number,
            bbox=source.bbox if source else line.bbox,
            confidence=round(confidence, 4),
        )
    return None


def extract_fields(
    submission: Submission, template: TemplateSpec, campaign: Campaign
) -> dict[str, ExtractedField]:
    """Every non-tick-box field the template's pages print, read where its page was found.

    A field printed on several pages (the centre's name on the cover and in the table)
    keeps the reading from the page where it sits in a table when there is one.
    """
    hits = find_sections(submission, template)
    pages = {p.number: p for p in submission.pages}
    fields: dict[str, ExtractedField] = {}
    for page_spec in template.pages:
        found = [hits[s] for s in page_spec.sections if s in hits]
        if not found or found[0].page not in pages:
            continue
        page = pages[found[0].page]
        for key in page_spec.fields:
            spec = template.field(key)
            if spec.method is ReadMethod.CHECKBOX:
                continue
            reading = read_field(spec, page, template, campaign)
            if reading is not None and (
                key not in fields
                or (spec.method is ReadMethod.TABLE_CELL and page_spec.id != "cover")
            ):
                fields[key] = reading
    return fields


def extract(
    submission: Submission, templates: dict[Annex, TemplateSpec], campaign: Campaign
) -> Submission:
    """Annex, sections and fields of one read submission."""
    checked = check_sections(submission, templates)
    if checked.annex is Annex.UNKNOWN:
        return checked
    fields = extract_fields(checked, templates[checked.annex], campaign)
    return checked.model_copy(update={"fields": fields})
