"""The typed chain: Submission → Page → TextLine → Field / Seal → Finding → Report.

Every model is frozen: stages return new objects instead of mutating these. Page images
travel by key or path, never as pixels inside a model, so task results stay small.
The report's JSON schema (``shenbao.report/1``, DESIGN.md) is generated from ``Report``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

REPORT_SCHEMA_ID: Final = "shenbao.report/1"
MANIFEST_SCHEMA_ID: Final = "shenbao.manifest/1"


class Frozen(BaseModel):
    """Base for every model of the chain: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_bbox(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    if not (0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0):
        raise ValueError(f"bbox must be page fractions with x0<=x1, y0<=y1, got {box}")
    return box


BBox = Annotated[
    tuple[float, float, float, float],
    AfterValidator(_check_bbox),
    Field(description="[x0, y0, x1, y1] as fractions of the page's width and height"),
]
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
PageNumber = Annotated[int, Field(ge=1, description="1-based within the submission")]


class Annex(StrEnum):
    """Which form a submission is."""

    PILOT = "pilot"
    CERTIFICATION = "certification"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Status(StrEnum):
    PASS = "pass"
    NEEDS_REVIEW = "needs_review"
    FAIL = "fail"


class FindingCode(StrEnum):
    """The finding codes of DESIGN.md; each has one fixed severity (``severity_of``)."""

    FILE_UNREADABLE = "FILE_UNREADABLE"
    PAGE_UNREADABLE = "PAGE_UNREADABLE"
    ANNEX_UNKNOWN = "ANNEX_UNKNOWN"
    SECTION_MISSING = "SECTION_MISSING"
    FIELD_MISSING = "FIELD_MISSING"
    FIELD_INVALID = "FIELD_INVALID"
    FIELD_LOW_CONFIDENCE = "FIELD_LOW_CONFIDENCE"
    SEAL_MISSING = "SEAL_MISSING"
    SEAL_OWNER_MISMATCH = "SEAL_OWNER_MISMATCH"
    SEAL_UNVERIFIABLE = "SEAL_UNVERIFIABLE"
    RECOMMENDATION_MISSING = "RECOMMENDATION_MISSING"
    RECOMMENDATION_UNFAVOURABLE = "RECOMMENDATION_UNFAVOURABLE"
    RECOMMENDATION_UNDATED = "RECOMMENDATION_UNDATED"
    RECOMMENDATION_WRONG_AUTHORITY = "RECOMMENDATION_WRONG_AUTHORITY"
    RECOMMENDATION_EXEMPT = "RECOMMENDATION_EXEMPT"
    ONLINE_RECORD_MISSING = "ONLINE_RECORD_MISSING"
    PAPER_MISSING = "PAPER_MISSING"
    FIELD_MISMATCH = "FIELD_MISMATCH"
    DEADLINE_MISSED = "DEADLINE_MISSED"
    DOMAIN_INELIGIBLE = "DOMAIN_INELIGIBLE"
    KPI_BELOW_TARGET = "KPI_BELOW_TARGET"
    SELF_EVAL_INCONSISTENT = "SELF_EVAL_INCONSISTENT"
    COPIES_DIFFER = "COPIES_DIFFER"

    @property
    def severity(self) -> Severity:
        return _SEVERITY.get(self, Severity.ERROR)


_SEVERITY: dict[FindingCode, Severity] = {
    FindingCode.FIELD_LOW_CONFIDENCE: Severity.WARNING,
    FindingCode.SEAL_UNVERIFIABLE: Severity.WARNING,
    FindingCode.RECOMMENDATION_UNDATED: Severity.WARNING,
    FindingCode.KPI_BELOW_TARGET: Severity.WARNING,
    FindingCode.RECOMMENDATION_EXEMPT: Severity.INFO,
}


class SourceKind(StrEnum):
    """How a page reached us: decides whether it needs OCR."""

    SCAN = "scan"
    TEXT_LAYER = "text_layer"
    DOCX = "docx"


class TextLine(Frozen):
    """One line of positioned text, from OCR, a PDF text layer or a DOCX paragraph."""

    text: str
    bbox: BBox
    confidence: Confidence = 1.0
    char_confidences: tuple[Confidence, ...] | None = Field(
        None,
        description="the recogniser's score of each character of text, when the engine "
        "gives them; absent for text layers, DOCX and OCR cached before they were kept",
    )
    rereadings: tuple[str, ...] | None = Field(
        None,
        description="the line read again from other crops of the page (a written date: "
        "rules/second_reading.yaml); absent when it was not read again",
    )
    row_reading: str | None = Field(
        None,
        description="a date line a seal cuts, its row read again as one crop spanning its "
        "pieces and the seal (rules/second_reading.yaml `row`); absent when not read so",
    )

    @model_validator(mode="after")
    def _one_score_per_character(self) -> TextLine:
        if self.char_confidences is not None and len(self.char_confidences) != len(self.text):
            raise ValueError(
                f"{len(self.char_confidences)} character scores for {len(self.text)} characters"
            )
        return self

    @model_serializer(mode="wrap")
    def _omit_absent_char_confidences(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Lines without character scores serialise exactly as before they existed, so
        # cached OCR, frozen ocr.json files and report goldens keep their bytes.
        data = handler(self)
        if isinstance(data, dict):
            if self.char_confidences is None:
                data.pop("char_confidences", None)
            if self.rereadings is None:
                data.pop("rereadings", None)
            if self.row_reading is None:
                data.pop("row_reading", None)
        return data

    @property
    def char_width(self) -> float:
        """The line's width over its characters: about one character's width (the OCR's
        boxes of two pieces of one printed line may overlap by a part of it)."""
        return (self.bbox[2] - self.bbox[0]) / max(1, len(self.text.strip()))

    def shares_row(self, other: TextLine, share: float) -> bool:
        """Whether the two lines overlap vertically by ``share`` of the shorter's height."""
        top, bottom = max(self.bbox[1], other.bbox[1]), min(self.bbox[3], other.bbox[3])
        shorter = min(self.bbox[3] - self.bbox[1], other.bbox[3] - other.bbox[1])
        return shorter > 0 and (bottom - top) >= share * shorter


class TickBox(Frozen):
    """A printed tick box (□) found on a page, and how much ink sits inside it.

    On a scan ``ink`` is the share of the box's inside that is dark, and ``pale`` the share
    marked at least faintly (a pale pen's strokes, judged against the box's own printed
    border: ``pale`` is at least ``ink`` up to rounding); a born-digital page
    gives 1.0 for a drawn tick or a ☑ glyph and 0.0 for an empty box. Deciding which option
    is ticked is the extractor's job: the page only says what is there.
    """

    bbox: BBox
    ink: float = Field(ge=0.0, le=1.0, description="share of the box's inside that is inked")
    pale: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description=(
            "scans: share of the box's inside marked at least faintly (darker than the paper "
            "by a share of the box border's own contrast); 0 elsewhere"
        ),
    )
    ringed: bool = Field(
        False, description="scans: a pen's ring runs round the box alone (its words outside)"
    )
    source: Literal["image", "vector", "glyph"] = Field(
        description="found in the scan's pixels, in a PDF's drawing, or as a ☑/□ character"
    )


class UnreadInk(Frozen):
    """A region of a scanned page carrying ink that no text line or tick box explains.

    Found after OCR (``pipeline/unread.py``): the page's ink without the form's rules,
    the OCR lines' boxes and the tick boxes, merged into blobs about a character's size.
    A seal over an empty cell, or a value the OCR did not see (print under a seal that
    scans as dark as the print): a blank read where it lies is not sure.
    """

    bbox: BBox
    ink: float = Field(ge=0.0, le=1.0, description="share of the region's box that is inked")


Span = tuple[float, float]


class TickRow(Frozen):
    """A row of printed tick boxes on a scan, and where ink lies along it outside them.

    A mark made outside the boxes (the option's words circled or underlined, a ✓ after
    them) is ink in thin bands along the row: above the boxes' tops, below their bottoms,
    and across the row itself. Each band is given as the x-ranges (page fractions) where
    it is inked, merged over small gaps. Which option the ink belongs to, and whether it
    is a mark at all, is the extractors' decision (``extractors/ticks.py``).
    """

    bbox: BBox = Field(description="the row's boxes, from the first box's left to the searched end")
    side: float = Field(
        gt=0.0, description="the boxes' side, as a fraction of the page's width (as the x-ranges)"
    )
    above: tuple[Span, ...] = Field((), description="x-ranges inked just above the boxes' tops")
    across: tuple[Span, ...] = Field((), description="x-ranges inked across the row itself")
    below: tuple[Span, ...] = Field((), description="x-ranges inked just below the boxes' bottoms")
    struck: tuple[Span, ...] = Field(
        (), description="x-ranges a long, nearly level line runs through the row (words struck out)"
    )


class LineInk(Frozen):
    """Where ink lies across one text line of a scan, a little beyond its ends.

    The OCR may lose a glyph typed before an option's words (✔ before the chosen one, no
    boxes); the ink shows it. The x-ranges (page fractions) are the inked columns of the
    line's middle band, merged over small gaps: the words' characters, and anything the OCR
    did not read. What the ink means is the extractors' decision (``extractors/ticks.py``).
    """

    line: int = Field(ge=0, description="index of the text line in ``Page.lines``")
    bbox: BBox = Field(description="the band measured: the line's middle, reaching past its ends")
    height: float = Field(
        gt=0.0, description="the line's height, as a fraction of the page's width (as the x-ranges)"
    )
    spans: tuple[Span, ...] = Field((), description="x-ranges inked across the band")
    step: float = Field(
        0.0,
        ge=0.0,
        description="the width each value of ``shade`` covers (page-width share), from the "
        "band's left; 0 when the line's darkness was not measured",
    )
    shade: tuple[float, ...] = Field(
        (),
        description="darkness across the line's full height, per step: the mean share by which "
        "the pixels are darker than the paper there (print, a pen stroke over the words, a "
        "grey shading behind them)",
    )
    tint: tuple[float, ...] = Field(
        (),
        description="per step as ``shade``: how much darker than the paper the ground between "
        "the strokes of the line's middle is (a highlighter or a shading behind the words; "
        "print leaves paper there); -1 where too little ground lies off the ink to tell",
    )
    stroke: tuple[float, ...] = Field(
        (),
        description="per step as ``shade``: the mean width of the strokes across the line's "
        "middle (the shorter of the horizontal and vertical run of ink through each pixel), in "
        "line heights (bold type's are thicker); 0 where the step holds little ink",
    )
    colour: tuple[float, ...] = Field(
        (),
        description="per step as ``shade``: the share of the ink across the line's middle that "
        "is coloured (a pen's ✓ over printed words); empty on a greyscale or 1-bit scan",
    )
    chroma: tuple[float, ...] = Field(
        (),
        description="per step as ``shade``: the share of the ink across the line's middle whose "
        "colour stands clear of grey in absolute levels (words printed in red or blue; dark "
        "print under a colour cast does not); empty on a greyscale or 1-bit scan",
    )
    pen: tuple[float, ...] = Field(
        (),
        description="per step as ``shade``: the share of the ink across the line's middle whose "
        "channels lie apart once the page's paper is taken for white (a pen's blue or red over "
        "black print under a phone photo's cast); empty on a greyscale or 1-bit scan",
    )


class SealMark(Frozen):
    """A seal-like mark found on a page as read: where, what it looks like, what its ring says.

    The page only says what is there; which seal slot it satisfies and whether its owner
    is the right one is the validators' job (``Seal`` in the report).
    """

    bbox: BBox
    shape: Literal["round", "oval", "square", "unknown"]
    colour: Literal["red", "blue", "black", "grey"] = Field(
        description=(
            "the ink on a colour scan (red; blue or black: not an official seal's colour, a"
            " copy or a stamp of another kind); grey when the scan is greyscale (shape only)"
        )
    )
    edge: Literal["left", "right", "top", "bottom"] | None = Field(
        None,
        description="the page edge a half seal runs off (骑缝章 across the binding); None: whole",
    )
    confidence: Confidence = Field(description="that this is an official seal")
    text: str = Field("", description="the lettering round its ring as read; '' if unreadable")
    text_confidence: Confidence = 0.0
    inner: str = Field(
        "", description="the horizontal lines inside the ring as read (发票专用章); '' if none"
    )
    inner_confidence: Confidence = 0.0
    code: str = Field("", description="the serial number along its bottom, [0-9A-Z]; '' if none")
    code_confidence: Confidence = 0.0


class Page(Frozen):
    """One page of a submission. Pixels live in the store or on disk, under ``image``."""

    number: PageNumber
    source_page: int = Field(ge=1, description="1-based page number within the input file")
    kind: SourceKind
    width_pt: float = Field(gt=0, description="page width in PDF points (1/72 inch)")
    height_pt: float = Field(gt=0, description="page height in PDF points")
    image: str | None = Field(None, description="key or path of the normalised page image")
    rotation: Literal[0, 90, 180, 270] = Field(
        0, description="clockwise turn applied to upright it"
    )
    skew_deg: float = 0.0
    lines: tuple[TextLine, ...] = ()
    boxes: tuple[TickBox, ...] = Field((), description="printed tick boxes and their ink")
    greyscale: bool | None = Field(
        None, description="a scan without colour (seals by shape only); None for text pages"
    )
    seals: tuple[SealMark, ...] = Field((), description="seal-like marks found on a scan")
    unread: tuple[UnreadInk, ...] = Field(
        (),
        description="regions of a scan with ink no text line or tick box explains "
        "(empty for text layers and DOCX)",
    )
    tick_rows: tuple[TickRow, ...] = Field(
        (),
        description="rows of tick boxes on a scan with the ink along them outside the boxes "
        "(empty for text layers and DOCX)",
    )
    line_ink: tuple[LineInk, ...] = Field(
        (),
        description="the ink across each text line of a scan, a little beyond its ends "
        "(empty for text layers and DOCX)",
    )
    template_page: str | None = Field(
        None, description="the template page it was recognised as (e.g. basic_info)"
    )


class Member(Frozen):
    """One row of the members table (成员单位表)."""

    name: str
    type: str
    uscc: str


FieldValue = str | int | float | list[str] | list[Member] | None

MemberColumn = Literal["name", "type", "uscc"]
"""A column of the members table as a ``Member`` keeps it (序号 is not kept)."""


def without_cell(cell: object, data: Any) -> Any:
    """A serialised decision without ``cell`` when it names none: a decision on anything
    but a member's cell serialises as before cells were kept."""
    if cell is None and isinstance(data, dict):
        data.pop("cell", None)
    return data


class MemberCell(Frozen):
    """One cell of the members table (成员单位表): where a finding about a member lies
    (its ``key``, ``MemberCell.key_of``) and what a reviewer's correction of a member
    changes."""

    row: int = Field(
        ge=1,
        le=500,
        description="the row, 1-based, as the table was read (the 序号 printed); one past "
        "the last row read adds a member the reading lost",
    )
    column: MemberColumn

    @property
    def key(self) -> str:
        """As a finding's ``key``: ``2.uscc``."""
        return self.key_of(self.row, self.column)

    @staticmethod
    def key_of(row: int, column: str) -> str:
        """The ``key`` of a finding about the cell at ``row`` (1-based) and ``column``."""
        return f"{row}.{column}"

    @classmethod
    def from_key(cls, key: str | None) -> MemberCell | None:
        """The cell a finding's ``key`` names (``2.uscc``); None when it names none."""
        row, _, column = (key or "").partition(".")
        if not row.isdigit() or column not in Member.model_fields:
            return None
        try:
            return cls.model_validate({"row": int(row), "column": column})
        except ValidationError:
            return None


class Doubt(StrEnum):
    """A cue that lowered a reading's confidence: what a reviewer is asked to look at.

    ``rules/review.yaml`` words each for reviewers (``doubts``)."""

    LABEL = "label"  # the field's label read only approximately
    CHARACTER = "character"  # a character of the value scored low (detail: the character)
    LINE = "line"  # the value's line scored low (no scores per character)
    UNPARSED = "unparsed"  # the text does not read as the field's type
    NEAR_CHOICE = "near_choice"  # one character from a printed option (detail: it)
    NEAR_PLACE = "near_place"  # one character from a known place (detail: it)
    NEAR_SUFFIX = "near_suffix"  # one character from an organisation suffix (detail: it)
    NEAR_ISSUER = "near_issuer"  # a document number one character from an issuer (detail: it)
    NEAR_WORD = "near_word"  # a character one look-alike from making a common word (detail: it)
    OUT_OF_RANGE = "out_of_range"  # a date or figure outside what is possible
    OUT_OF_ORDER = "out_of_order"  # a date before one it must follow (detail: that field)
    BLANK_WITH_INK = "blank_with_ink"  # nothing read where ink lies
    INK_CONTINUES = "ink_continues"  # unread ink right where the reading stops
    INK_PRECEDES = "ink_precedes"  # a seal's unread ink over the row up to where the reading starts
    DISAGREE = "disagree"  # another reading of the field differs (detail: it)
    REREAD = "reread"  # the value's line read again from another crop differs (detail: it)
    WRITTEN_DIGIT = "written_digit"  # a date read by taking a character for a written
    # digit (detail: the date as then read)
    DATE_COMPLETED = "date_completed"  # a date read in part, completed by its 年月日
    # structure and the call's year (detail: the date as completed)
    TICK_SEVERAL = "tick_several"  # more than one box of the group marked
    TICK_AMBIGUOUS = "tick_ambiguous"  # a box with some ink, neither empty nor ticked
    TICK_ORDER = "tick_order"  # the boxes' words do not follow the printed options' order
    TICK_MAPPED_BY_TEXT = "tick_mapped_by_text"  # boxes paired to options by words only
    TICK_MISSING_BOXES = "tick_missing_boxes"  # fewer boxes found than options
    TICK_TEXT_ONLY = "tick_text_only"  # no box found: read from ☑/□ characters
    TICK_MARKED_ELSEWHERE = "tick_marked_elsewhere"  # boxes empty, a mark round the words
    TICK_NONE_TICKED = "tick_none_ticked"  # no group of the scan read ticked
    TICK_WORDS_INK = "tick_words_ink"  # boxes empty, one option's words darker, not clearly
    CELL = "cell"  # a table cell scored low (detail: its text)
    CELL_BLANK = "cell_blank"  # a table cell left blank on a scan
    CELL_UNREADABLE = "cell_unreadable"  # a cell's text does not read as its type
    COLUMN = "column"  # a table column placed by position, its header not read
    COLUMN_MISSING = "column_missing"  # a table column not found
    ROW_LABEL = "row_label"  # a table row's label not read
    ROW_SKIPPED = "row_skipped"  # the 序号 skips a number: a row lost or split
    ROWS_FEW = "rows_few"  # fewer rows than the table asks for
    MEMBER_TYPE = "member_type"  # a member's type read only approximately (detail: it)
    USCC_CHECK = "uscc_check"  # a USCC whose check character fails (detail: it)


class FieldDoubt(Frozen):
    """One cue that lowered a reading's confidence, and by how much."""

    cue: Doubt
    detail: str = Field("", description="what the cue is about: a character, an option, a value")
    effect: Confidence = Field(
        description="the confidence this cue alone allows (a factor or a cap; 1.0: none)"
    )


class ExtractedField(Frozen):
    """A value read off the paper, with its evidence. Serialised as a report's ``fields`` entry."""

    value: FieldValue
    raw: str
    page: PageNumber | None = None
    bbox: BBox | None = None
    confidence: Confidence
    doubts: tuple[FieldDoubt, ...] = Field(
        (), description="the cues that lowered the confidence, strongest first (scans)"
    )

    @model_serializer(mode="wrap")
    def _omit_no_doubts(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A reading nothing cast doubt on serialises as before doubts were recorded.
        data = handler(self)
        if not self.doubts and isinstance(data, dict):
            data.pop("doubts", None)
        return data


class Seal(Frozen):
    """A seal found on a page, matched (or not) to a seal slot of the template."""

    slot: str | None = Field(description="the template's seal slot it satisfies, if any")
    page: PageNumber
    bbox: BBox
    text: str = Field("", description="the seal's text as read")
    owner_match: bool | None = Field(None, description="None when the text could not be read")
    confidence: Confidence
    colour: Literal["red", "blue", "black", "grey"] | None = Field(
        None, description="the seal's ink as found (grey: a greyscale scan); None: not recorded"
    )
    edge: Literal["left", "right", "top", "bottom"] | None = Field(
        None, description="the page edge a half seal (骑缝章) runs off; None: a whole seal"
    )


class OnlineRecord(Frozen):
    """One filing of the online platform's export, mapped to field keys."""

    record_id: str
    annex: Annex
    row: int = Field(ge=1, description="row number in the export file (header = 1)")
    fields: dict[str, FieldValue]
    submitted_at: str | None = Field(None, description="ISO 8601 filing time, Asia/Shanghai")


class OnlineMatch(Frozen):
    """How a submission was matched to its online filing."""

    matched_by: Literal["uscc", "org_name", "center_name"]
    record_id: str
    score: Confidence = 1.0


class Finding(Frozen):
    """A discrepancy or check result. Findings are data; exceptions are for broken runs."""

    id: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{12}$",
        description="stable across re-runs, so a reviewer's decision finds its finding "
        "again: a hash of the submission (or the batch), the code and the subject (field, "
        "slot, section, key), never of the message, values or position. Set by the report "
        "or manifest holding the finding (``identified``); None only before it is in one "
        "(an addition)",
    )
    code: FindingCode
    severity: Severity
    field: str | None = None
    slot: str | None = None
    section: str | None = None
    key: str | None = Field(None, description="what else the finding is keyed by (online/paper)")
    paper: FieldValue = None
    online: FieldValue = None
    page: PageNumber | None = None
    bbox: BBox | None = None
    evidence: str | None = Field(None, description="object key of the evidence crop")
    message: str = Field(description="for reviewers, in Chinese")

    @model_validator(mode="after")
    def _severity_is_the_codes(self) -> Finding:
        if self.severity is not self.code.severity:
            raise ValueError(f"{self.code} has severity {self.code.severity}, not {self.severity}")
        return self

    @classmethod
    def of(cls, code: FindingCode, message: str, **evidence: object) -> Finding:
        """A finding with the code's own severity."""
        return cls.model_validate(
            {"code": code, "severity": code.severity, "message": message} | evidence
        )

    @property
    def subject(self) -> tuple[str | None, str | None, str | None, str | None]:
        """What the finding is about beside its code: DESIGN.md's "keyed by"."""
        return (self.field, self.slot, self.section, self.key)

    @model_serializer(mode="wrap")
    def _omit_absent_id(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A finding not yet in a report (a submission's, the fields goldens') has no id
        # to show; in a report or a manifest it always has one.
        data = handler(self)
        if self.id is None and isinstance(data, dict):
            data.pop("id", None)
        return data


def identified(findings: Iterable[Finding], submission: str | None) -> tuple[Finding, ...]:
    """``findings`` each with its stable ``id``, in the scope of ``submission`` (None: the
    batch's own findings, in its manifest).

    The id hashes the scope, the code and the subject, and how many findings alike (same
    code and subject) come before it: two alike stay apart, and a finding keeps its id
    when other findings come and go beside it. Message, values, page, box and evidence
    are left out: they may change between runs without the finding changing.
    """
    seen: Counter[tuple[str, tuple[str | None, ...]]] = Counter()
    out = []
    for finding in findings:
        alike = (finding.code.value, finding.subject)
        ordinal = seen[alike]
        seen[alike] += 1
        # JSON tells None from "" and keeps the parts apart, whatever they contain
        keyed = json.dumps([submission, finding.code.value, *finding.subject, ordinal])
        digest = hashlib.sha256(keyed.encode("utf-8")).hexdigest()[:12]
        out.append(finding if finding.id == digest else finding.model_copy(update={"id": digest}))
    return tuple(out)


def status_of(findings: tuple[Finding, ...] | list[Finding]) -> Status:
    """``fail`` on any error, else ``needs_review`` on any warning, else ``pass``."""
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Status.FAIL
    if Severity.WARNING in severities:
        return Status.NEEDS_REVIEW
    return Status.PASS


# --- a report's review: what reviewers' decisions make of it (pipeline/decision.py) --


class Action(StrEnum):
    CONFIRM = "confirm"  # the finding stands
    DISMISS = "dismiss"  # a false alarm (a reason is required)
    CORRECT = "correct"  # the field's right value; its checks re-run


class ReviewStatus(StrEnum):
    """The effective status of a report once reviewed (``Review.status``)."""

    PASS = "pass"
    NEEDS_REVIEW = "needs_review"
    FAIL = "fail"
    PASS_REVIEWED = "pass_reviewed"  # every error dismissed or corrected: 通过（已复核）


class FindingReview(Frozen):
    """One finding's effective decision, as a report shows it."""

    finding: str = Field(pattern=r"^[0-9a-f]{12}$")
    decision: str = Field(pattern=r"^[0-9a-f]{12}$")
    code: FindingCode = Field(description="the finding's code, as the decision saw it")
    field: str | None = Field(None, description="the finding's field, as the decision saw it")
    action: Action
    user: str
    time: dt.datetime
    reason: str = ""
    value: FieldValue = None
    cell: MemberCell | None = Field(
        None, description="a correction of the members table: the cell ``value`` is for"
    )
    stale: bool = Field(
        False, description="the finding changed since (its evidence differs): to re-review"
    )

    @model_serializer(mode="wrap")
    def _omit_no_cell(self, handler: SerializerFunctionWrapHandler) -> Any:
        return without_cell(self.cell, handler(self))


class Review(Frozen):
    """A report's review: what the decisions make of it (an addition to
    ``shenbao.report/1``; the report's ``status`` stays the checks' own verdict)."""

    status: ReviewStatus = Field(
        description="effective status: pass_reviewed when every error is dismissed or "
        "corrected and no finding is left open"
    )
    decided: int = Field(
        ge=0,
        description="findings (errors, warnings) with a decision in force, and corrections "
        "in force whose finding the corrected value cleared",
    )
    open: int = Field(ge=0, description="findings (errors, warnings) without one, stale included")
    stale: int = Field(ge=0, description="findings whose decision no longer applies: re-review")
    decisions: tuple[FindingReview, ...] = ()

    def of(self, finding_id: str | None) -> FindingReview | None:
        return next((d for d in self.decisions if d.finding == finding_id), None)


class SubmissionSource(Frozen):
    """Where a submission came from: the file and its page range (1-based, inclusive)."""

    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pages: tuple[int, int]


class PageOrder(Frozen):
    """The order pages were bound in, against the template's order."""

    in_order: bool
    found: tuple[str | None, ...] = Field(
        description="the template page of each page as bound; None where unrecognised"
    )
    expected: tuple[str, ...] = Field(description="the template's page order")


class Submission(Frozen):
    """One applicant's form as it moves through the pipeline."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,120}$")
    annex: Annex = Annex.UNKNOWN
    source: SubmissionSource
    pages: tuple[Page, ...] = ()
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    seals: tuple[Seal, ...] = ()
    findings: tuple[Finding, ...] = ()
    page_order: PageOrder | None = None


class EngineInfo(Frozen):
    ocr: str | None = None
    templates: str | None = None


class Report(Frozen):
    """The per-submission report: the contract of DESIGN.md (``shenbao.report/1``)."""

    schema_: Literal["shenbao.report/1"] = Field(REPORT_SCHEMA_ID, alias="schema")
    batch: str
    submission_id: str
    annex: Annex
    source: SubmissionSource
    status: Status
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    seals: tuple[Seal, ...] = ()
    online: OnlineMatch | None = None
    findings: tuple[Finding, ...] = ()
    engine: EngineInfo = EngineInfo()
    timings: dict[str, float] = Field(default_factory=dict)
    pages: tuple[Page, ...] = Field(
        (),
        description="each page as read: its text lines with boxes and confidences "
        "(an addition to DESIGN.md's report, see the README)",
    )
    page_order: PageOrder | None = Field(
        None, description="pages as bound against the template's order (an addition)"
    )
    received: dt.date | None = Field(
        None,
        description="the day the paper was received, as staff gave it for the batch; None: "
        "not given, so the paper deadline was not checked (an addition)",
    )
    review: Review | None = Field(
        None,
        description="what reviewers' decisions make of the findings: the effective status "
        "(pass_reviewed: 通过（已复核）) and counts; absent when nothing is decided. "
        "``status`` stays the checks' own verdict (an addition, shenbao.decision/1)",
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_serializer(mode="wrap")
    def _omit_absent_review(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A report nobody decided on serialises as before decisions existed.
        data = handler(self)
        if self.review is None and isinstance(data, dict):
            data.pop("review", None)
        return data

    @field_validator("findings")
    @classmethod
    def _findings_have_ids(
        cls, findings: tuple[Finding, ...], info: ValidationInfo
    ) -> tuple[Finding, ...]:
        submission = info.data.get("submission_id")
        if submission is None:  # invalid itself: that error is reported
            return findings
        return identified(findings, submission)

    @model_validator(mode="after")
    def _status_follows_findings(self) -> Report:
        if self.status is not status_of(self.findings):
            raise ValueError(f"status {self.status} contradicts the findings")
        return self

    def to_json(self) -> str:
        """The report as stored: Chinese kept readable, keys in a stable order."""
        return self.model_dump_json(by_alias=True, indent=2)


class ManifestEntry(Frozen):
    """One input file of a batch and what became of it."""

    file: str = Field(description="path relative to the batch input, sanitised")
    sha256: str | None = Field(None, description="None only when the file could not be read")
    size: int = Field(ge=0)
    pages: int | None = None
    state: Literal["processed", "quarantined"]
    submissions: tuple[str, ...] = ()
    reason: str | None = Field(None, description="for reviewers, in Chinese, when quarantined")
    reason_en: str | None = Field(None, description="the same in English, for logs")


class OnlineExportRef(Frozen):
    """The online export a batch was checked against."""

    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class Manifest(Frozen):
    """Every input file of a batch: processed into submissions, or quarantined with a reason."""

    schema_: Literal["shenbao.manifest/1"] = Field(MANIFEST_SCHEMA_ID, alias="schema")
    batch: str
    online: OnlineExportRef | None = None
    received: dt.date | None = Field(
        None,
        description="the day the batch's paper was received (``--received``); None: not "
        "given, the paper deadline unchecked (an addition)",
    )
    files: tuple[ManifestEntry, ...]
    findings: tuple[Finding, ...] = Field(
        (),
        description="the batch's own findings, which belong to no one submission: "
        "PAPER_MISSING (a filing without paper), FILE_UNREADABLE (a stored report "
        "reconcile could not read); each with its id (an addition)",
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("findings")
    @classmethod
    def _findings_have_ids(cls, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
        return identified(findings, None)
