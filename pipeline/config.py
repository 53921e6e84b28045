"""The forms, the campaign and the online export as data: schemas and checked loading.

Office staff edit the YAML files; everything here validates them at load, so a
malformed file fails at once with a message naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from pipeline.errors import ConfigError, TemplateError
from pipeline.model import Annex


def compiles(value: str) -> str:
    """A regular expression from a rules file, checked at load."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return value


Regex = Annotated[str, AfterValidator(compiles)]
"""A rules file's regular expression: one that does not compile is refused at load."""


class Spec(BaseModel):
    """Base of the data schemas: immutable, and unknown keys are typos, not extensions."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the forms -------------------------------------------------------------------------


class FieldType(StrEnum):
    """How a value is normalised and checked."""

    TEXT = "text"
    ORG_NAME = "org_name"
    PERSON_NAME = "person_name"
    USCC = "uscc"
    CHOICE = "choice"
    DATE = "date"
    MONEY_WAN = "money_wan"
    PERCENT = "percent"
    INTEGER = "integer"
    MOBILE = "mobile"
    EMAIL = "email"
    NAME_LIST = "name_list"
    DOC_NUMBER = "doc_number"
    PERIOD = "period"


class ReadMethod(StrEnum):
    """Where a field's value sits relative to its printed label."""

    ANCHOR_RIGHT = "anchor_right"
    TABLE_CELL = "table_cell"
    CHECKBOX = "checkbox"
    BELOW = "below"


class Choice(Spec):
    """One printed option of a tick-box group or a closed list."""

    name: str = Field(description="the option's printed text, its normalised value")
    aliases: tuple[str, ...] = ()


class FieldSpec(Spec):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(description="the printed label")
    aliases: tuple[str, ...] = Field((), description="other printings of the label")
    name: str | None = Field(
        None,
        description="what reviewers call the field where the printed label it is read by "
        "names something else: a date written under a seal line (承诺日期, read under "
        "牵头单位（盖章）); the label when None",
    )
    type: FieldType
    method: ReadMethod
    required: bool = True
    options: tuple[Choice, ...] = Field((), description="closed choices, printed as tick boxes")
    options_from: (
        Literal[
            "domains", "localities", "center_types", "setup_modes", "org_natures", "affiliations"
        ]
        | None
    ) = Field(None, description="take the choices from the campaign config")


class ColumnSpec(Spec):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    aliases: tuple[str, ...] = ()
    type: FieldType
    options: tuple[Choice, ...] = Field(
        (), description="closed choices of a choice column (those its header prints)"
    )
    numbering: bool = Field(
        False, description="the rows' ordinal (序号): checks no row was lost, not a value"
    )
    merges: bool = Field(
        False,
        description="a run of rows with one value may share one merged cell, written once "
        "and centred across the run: its value is each of those rows' value",
    )


class TableReading(Spec):
    """How sure the geometry must be before a table's header, rows and cells are trusted."""

    header_match: float = Field(
        85.0, ge=0, le=100, description="rapidfuzz ratio a header cell must reach"
    )
    row_label_match: float = Field(
        85.0, ge=0, le=100, description="ratio a fixed row's label (first column) must reach"
    )
    choice_match: float = Field(
        80.0, ge=0, le=100, description="ratio a misread choice must reach to count as it"
    )
    wrap_pitch: float = Field(
        0.85,
        gt=0,
        le=1,
        description="a band closer to the one above than this share of the row pitch, and "
        "only in wrapping columns, continues the row above (a cell wrapped onto two lines)",
    )
    end_gap: float = Field(
        3.0, gt=0, description="an empty gap this many line heights tall ends the table"
    )
    merged_centre: float = Field(
        0.25,
        ge=0,
        le=0.5,
        description="a cell of a merging column whose centre lies within this share of the "
        "row pitch of the middle of a run of rows (the others without a cell of their own "
        "in that column) is one merged cell giving its value to every row of the run",
    )
    split_gap: float = Field(
        1.5,
        gt=0,
        description="pieces of one cell further apart than this many line heights are two "
        "cells run together (a neighbour column's header was not read)",
    )
    inferred_column_confidence: float = Field(
        0.6,
        ge=0,
        le=1,
        description="factor for the cells of a column whose header was not read and whose "
        "place was inferred from its neighbours",
    )
    blank_scan_confidence: float = Field(
        0.5, ge=0, le=1, description="confidence of a cell left blank on a scan (OCR may miss)"
    )
    unreadable_confidence: float = Field(
        0.3,
        ge=0,
        le=1,
        description="factor for a cell read but not readable as its type, or a bad check digit",
    )
    checked_code_confidence: float = Field(
        0.0,
        ge=0,
        le=1,
        description="a USCC cell whose code passes its check character is at least this sure, "
        "whatever the OCR scored its pieces (a single misread always fails the check)",
    )
    near_place_score: float = Field(
        0.0,
        ge=0,
        le=1,
        description="a name's character the OCR scored below this, which changed gives a known "
        "place where the name holds none (漏潭 → 湄潭), makes the cell unsure; 0: never",
    )
    near_place_confidence: float = Field(
        0.5, ge=0, le=1, description="confidence of a name with such a character"
    )
    stray_marks: str = Field(
        "",
        description="characters at the ends of a count's cell taken for specks: the count "
        "is read without them and proposed for review (unreadable_confidence)",
    )


class TableSpec(Spec):
    """A ruled table read as rows: free rows under a header, or fixed labelled rows."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    section: str
    columns: tuple[ColumnSpec, ...]
    rows: tuple[ColumnSpec, ...] = Field(
        (), description="fixed rows (e.g. KPIs): each row's label in the first column"
    )
    min_rows: int = 0
    reading: TableReading = TableReading()

    @model_validator(mode="after")
    def _columns_make_sense(self) -> TableSpec:
        _unique(f"tables.{self.key}.columns", (c.key for c in self.columns))
        _unique(f"tables.{self.key}.rows", (r.key for r in self.rows))
        for column in self.columns:
            if column.type is FieldType.CHOICE and not column.options:
                raise ValueError(f"tables.{self.key}.{column.key}: a choice column needs options")
        if not self.rows:
            missing = {"name", "type", "uscc"} - {c.key for c in self.columns}
            if missing:
                raise ValueError(
                    f"tables.{self.key}: free rows become members; no column {sorted(missing)}"
                )
        return self


class SectionKind(StrEnum):
    COVER = "cover"
    INSTRUCTIONS = "instructions"
    TABLE = "table"
    NARRATIVE = "narrative"
    COMMITMENT = "commitment"
    OPINION = "opinion"
    LIST = "list"


class SectionSpec(Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    heading: str = Field(description="the printed heading")
    aliases: tuple[str, ...] = ()
    kind: SectionKind
    page: str
    required: bool = True
    parent: str | None = Field(None, description="the section this one is a part of")
    fixed_text: tuple[str, ...] = Field(
        (), description="printed boilerplate the section carries, one item per paragraph"
    )


class SealSlotSpec(Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    page: str
    anchor: str = Field(description="the printed （盖章） text the seal goes over")
    anchor_aliases: tuple[str, ...] = ()
    owner: Literal["lead_org", "recommender"]
    required: Literal["always", "unless_exempt"] = "always"


class PageSpec(Spec):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    sections: tuple[str, ...] = ()
    fields: tuple[str, ...] = Field((), description="keys of the fields printed on this page")


class OpinionSpec(Spec):
    """The recommendation-opinion box."""

    section: str
    heading: str
    aliases: tuple[str, ...] = ()
    note: str = Field(description="the printed note under the box")
    signature: str = Field(description="the printed 推荐单位（盖章） line")
    date_field: str


class TemplateSpec(Spec):
    """One annex form: pages in bound order, sections, fields, tables and seal slots."""

    annex: Literal[Annex.PILOT, Annex.CERTIFICATION]
    version: str
    title: str
    cover_lines: tuple[str, ...] = Field(description="the title lines of the cover page")
    classify_keywords: tuple[str, ...] = Field(
        description="texts that tell this annex from the other, found on its pages"
    )
    footer: tuple[str, ...] = ()
    pages: tuple[PageSpec, ...]
    sections: tuple[SectionSpec, ...]
    fields: tuple[FieldSpec, ...]
    tables: tuple[TableSpec, ...] = ()
    seal_slots: tuple[SealSlotSpec, ...]
    opinion: OpinionSpec

    @model_validator(mode="after")
    def _references_resolve(self) -> TemplateSpec:
        pages = {p.id for p in self.pages}
        sections = {s.id for s in self.sections}
        fields = {f.key for f in self.fields}
        _unique("pages", (p.id for p in self.pages))
        _unique("sections", (s.id for s in self.sections))
        _unique("fields", (f.key for f in self.fields))
        _unique("seal_slots", (s.id for s in self.seal_slots))
        for page in self.pages:
            _known(f"pages.{page.id}.sections", page.sections, sections)
            _known(f"pages.{page.id}.fields", page.fields, fields)
        for section in self.sections:
            _known(f"sections.{section.id}.page", [section.page], pages)
            if section.parent is not None:
                _known(f"sections.{section.id}.parent", [section.parent], sections)
        for table in self.tables:
            _known(f"tables.{table.key}.section", [table.section], sections)
        for slot in self.seal_slots:
            _known(f"seal_slots.{slot.id}.page", [slot.page], pages)
        _known("opinion.section", [self.opinion.section], sections)
        _known("opinion.date_field", [self.opinion.date_field], fields)
        for f in self.fields:
            if f.method is ReadMethod.CHECKBOX and not (f.options or f.options_from):
                raise ValueError(f"fields.{f.key}: a checkbox field needs options")
        return self

    def page(self, page_id: str) -> PageSpec:
        return next(p for p in self.pages if p.id == page_id)

    def field(self, key: str) -> FieldSpec:
        return next(f for f in self.fields if f.key == key)

    def section(self, section_id: str) -> SectionSpec:
        return next(s for s in self.sections if s.id == section_id)

    def table(self, key: str) -> TableSpec:
        return next(t for t in self.tables if t.key == key)


def _unique(what: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: {i!r} appears twice")
        seen.add(i)


def _known(where: str, names: Iterable[str], known: set[str]) -> None:
    for name in names:
        if name not in known:
            raise ValueError(f"{where}: {name!r} is not defined")


# --- the campaign ----------------------------------------------------------------------


class Locality(Spec):
    """A 市（州） and the authority that recommends its applicants (属地推荐单位)."""

    city: str
    aliases: tuple[str, ...] = ()
    authority: str
    authority_aliases: tuple[str, ...] = ()


class DomainGroup(Spec):
    name: str
    domains: tuple[str, ...]


class Campaign(Spec):
    """The campaign's facts (FORMS.md §1–§2): deadlines, lists and the authorities."""

    name: str
    issuer: str
    online_deadline: dt.datetime = Field(description="online filing closes (Asia/Shanghai)")
    training_date: dt.date | None = Field(
        None, description="the online-filing training; paper is due within N working days"
    )
    paper_working_days: int = Field(ge=1)
    certification_paper_deadline: dt.date
    timezone: str = "Asia/Shanghai"
    domain_groups: tuple[DomainGroup, ...]
    center_types: tuple[Choice, ...]
    setup_modes: tuple[Choice, ...]
    org_natures: tuple[Choice, ...]
    affiliations: tuple[Choice, ...]
    exempt_affiliations: tuple[str, ...] = Field(
        description="affiliations that need no local recommendation (省属, 中央在黔)"
    )
    localities: tuple[Locality, ...]
    org_suffix_equivalents: tuple[tuple[str, str], ...] = Field(
        (),
        description="organisation suffixes the office treats as the same (有限公司/有限责任公司)",
    )

    @model_validator(mode="after")
    def _exemptions_are_affiliations(self) -> Campaign:
        _known("exempt_affiliations", self.exempt_affiliations, {a.name for a in self.affiliations})
        _unique("localities", (loc.city for loc in self.localities))
        return self

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(d for group in self.domain_groups for d in group.domains)

    def choices(self, name: str) -> tuple[Choice, ...]:
        """The closed list a template field takes its options from."""
        if name == "domains":
            return tuple(Choice(name=d) for d in self.domains)
        if name == "localities":
            return tuple(Choice(name=loc.city, aliases=loc.aliases) for loc in self.localities)
        return tuple(getattr(self, name))

    def locality(self, city: str) -> Locality | None:
        return next(
            (loc for loc in self.localities if city == loc.city or city in loc.aliases), None
        )


# --- the online export -----------------------------------------------------------------


class ExportColumn(Spec):
    header: str
    aliases: tuple[str, ...] = ()
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FieldType | Literal["record_id", "annex", "datetime", "member_list"]


class ExportLimits(Spec):
    """How much of an export file is read at all: beyond these it is refused, not truncated."""

    max_file_bytes: int = Field(50 * 1024 * 1024, gt=0, description="largest export file")
    max_unpacked_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="largest an XLSX may unpack to (zip-bomb guard)"
    )
    max_rows: int = Field(20_000, gt=0, description="most data rows (filings) in one export")
    max_columns: int = Field(200, gt=0, description="most columns in one export")


class ExportMapping(Spec):
    """How the platform's export headers map to field keys (platforms add and reorder columns)."""

    columns: tuple[ExportColumn, ...]
    limits: ExportLimits = ExportLimits()
    annex_values: dict[str, Annex] = Field(description="申报类型 cell text → annex")
    list_separator: str = "；"
    list_separator_aliases: tuple[str, ...] = (";", "、")
    csv_encodings: tuple[str, ...] = ("utf-8-sig", "gb18030")

    @model_validator(mode="after")
    def _keys_unique(self) -> ExportMapping:
        _unique("columns", (c.key for c in self.columns))
        for needed in ("record_id", "annex"):
            if not any(c.type == needed for c in self.columns):
                raise ValueError(f"columns: no column of type {needed!r}")
        return self

    def column(self, key: str) -> ExportColumn:
        return next(c for c in self.columns if c.key == key)


# --- loading ---------------------------------------------------------------------------

SpecT = TypeVar("SpecT", bound=BaseModel)


def load_yaml(path: Path, schema: type[SpecT], *, error: type[ConfigError] = ConfigError) -> SpecT:
    """Load one YAML data file and validate it, naming the file and key on any fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}", file=str(path)) from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}", file=str(path)) from exc
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise error(f"{path}: {problems}", file=str(path)) from exc


def load_template(path: Path) -> TemplateSpec:
    return load_yaml(path, TemplateSpec, error=TemplateError)


def load_templates(directory: Path) -> dict[Annex, TemplateSpec]:
    """Every ``*.yaml`` template in a directory, by annex."""
    templates: dict[Annex, TemplateSpec] = {}
    for path in sorted(directory.glob("*.yaml")):
        template = load_template(path)
        if template.annex in templates:
            raise TemplateError(
                f"{path}: annex: a second template for {template.annex}", file=str(path)
            )
        templates[template.annex] = template
    if not templates:
        raise TemplateError(f"{directory}: no templates", file=str(directory))
    return templates


def template_fingerprint(template: TemplateSpec) -> str:
    """``annex@version+hash``: names the exact template a report was read with."""
    digest = hashlib.sha256(template.model_dump_json().encode()).hexdigest()[:12]
    return f"{template.annex.value}@{template.version}+{digest}"
