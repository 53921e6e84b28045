"""Ground truth: what a perfect reader of each generated file would report.

One ``Truth`` per applicant (``truth/<id>.json``) and one ``BatchTruth`` for the batch
(``truth/batch.json``). Boxes are page fractions of the file as written (after the
scanner's skew and turn), like the report's. Written with sorted keys and readable Chinese.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.model import Annex, BBox, FieldValue, SourceKind
from shenbao_lab.generator.faults import ExpectedFinding
from shenbao_lab.generator.styles import Style


class TruthModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TruthLine(TruthModel):
    text: str
    bbox: BBox
    handwritten: bool = False


class TruthPage(TruthModel):
    number: int = Field(ge=1, description="1-based within the submission")
    file_page: int = Field(ge=1, description="1-based within the file")
    template_page: str
    upside_down: bool = False
    skew_deg: float = 0.0
    greyscale: bool = False
    degraded: bool = False
    dpi: int | None = None
    lines: tuple[TruthLine, ...] = ()


class TruthSeal(TruthModel):
    slot: str
    page: int = Field(ge=1, description="1-based within the submission")
    owner: str
    bbox: BBox
    angle_deg: float


class TruthField(TruthModel):
    value: FieldValue
    raw: str


class SourceTruth(TruthModel):
    """One file (or page range of a file) that holds this applicant's submission."""

    kind: SourceKind
    file: str = Field(description="path relative to the corpus root")
    pages: tuple[int, int] = Field(description="first and last page within the file, 1-based")
    submission_id: str = Field(description="the id the pipeline gives it: stem-pFFF-LLL")
    fields: dict[str, TruthField]
    seals: tuple[TruthSeal, ...] = ()
    page_truth: tuple[TruthPage, ...] = ()
    expected_findings: tuple[ExpectedFinding, ...]
    tolerated_findings: tuple[ExpectedFinding, ...] = Field(
        (),
        description="findings a correct checker may raise or not (e.g. SEAL_UNVERIFIABLE "
        "on a greyscale scan)",
    )


class OnlineTruth(TruthModel):
    record_id: str
    present: bool
    values: dict[str, FieldValue]
    format_variants: tuple[str, ...] = Field(
        (), description="fields written differently online but meaning the same"
    )
    submitted_at: dt.datetime | None


class OpinionTruth(TruthModel):
    text: str | None
    favourable: bool | None
    date: dt.date | None
    authority: str | None


class Truth(TruthModel):
    schema_: Literal["shenbao.truth/1"] = Field("shenbao.truth/1", alias="schema")
    applicant: str
    annex: Annex
    faults: tuple[str, ...]
    opinion: OpinionTruth
    self_eval_claims_met: bool | None
    online: OnlineTruth
    sources: tuple[SourceTruth, ...]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class BatchTruth(TruthModel):
    schema_: Literal["shenbao.truth.batch/1"] = Field("shenbao.truth.batch/1", alias="schema")
    seed: int
    count: int
    batch_dir: str
    export_files: tuple[str, ...]
    files: dict[str, tuple[str, ...]] = Field(description="batch file → submission ids in it")
    expected_batch_findings: tuple[ExpectedFinding, ...] = Field(
        description="PAPER_MISSING for each online filing with no paper (key: record id)"
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


STYLES_TRUTH = "styles.json"
"""``truth/styles.json``: each submission's style, in a corpus made with ``--styles``."""


class StylesTruth(TruthModel):
    schema_: Literal["shenbao.truth.styles/1"] = Field("shenbao.truth.styles/1", alias="schema")
    styles: str = Field(description="what --styles the corpus was made with")
    applicants: dict[str, Style] = Field(description="applicant id → its style")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def dump(model: BaseModel) -> str:
    """Stable, readable JSON: sorted keys, Chinese as is, two-space indent."""
    import json

    return (
        json.dumps(
            model.model_dump(mode="json", by_alias=True),
            ensure_ascii=False,
            sort_keys=True,
            indent=2,
        )
        + "\n"
    )
