"""Annex classification and section detection against the corpus truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from shenbao.extractors.sections import check_sections, classify, find_sections, is_heading
from shenbao.pipeline.model import Annex, FindingCode, Page, SourceKind, Submission, TextLine
from shenbao.samples.generator.truth import Truth
from tests.readers import SAMPLES, TEMPLATES, read_electronic

TRUTHS = sorted((SAMPLES / "truth").glob("[PC]*.json"))


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_sections_found_are_the_truths_on_electronic_copies(
    truth_file: Path, kind: SourceKind
) -> None:
    truth = Truth.model_validate_json(truth_file.read_text(encoding="utf-8"))
    source = next(s for s in truth.sources if s.kind is kind)
    checked = check_sections(read_electronic(SAMPLES / source.file), TEMPLATES)
    assert checked.annex is truth.annex
    missing = {f.section for f in checked.findings if f.code is FindingCode.SECTION_MISSING}
    expected = {
        f.section for f in source.expected_findings if f.code is FindingCode.SECTION_MISSING
    }
    assert missing == expected


def _page(*texts: str) -> Page:
    lines = tuple(
        TextLine(text=t, bbox=(0.1, 0.05 + i * 0.04, 0.9, 0.08 + i * 0.04))
        for i, t in enumerate(texts)
    )
    return Page(
        number=1, source_page=1, kind=SourceKind.SCAN, width_pt=595, height_pt=842, lines=lines
    )


def _unknown(*pages: Page) -> Submission:
    return Submission(
        id="x-p001-001",
        source={"file": "x.pdf", "sha256": "0" * 64, "pages": (1, len(pages))},
        pages=pages,
    )


def test_headings_survive_ocr_noise() -> None:
    pilot = TEMPLATES[Annex.PILOT]
    budget = pilot.section("plan_budget")
    assert is_heading("(六）投资预算与资金来源", budget)
    assert is_heading("（六） 投资预算与资金来", budget)  # a character lost at the end
    assert is_heading("（六）投资顶算与资金来源", budget)  # one misread character
    assert not is_heading("建设期总投资11672万元，其中自筹资金", budget)
    assert is_heading("四、推荐意见", pilot.section("opinion"))


def test_an_empty_narrative_section_is_missing_too() -> None:
    pilot = TEMPLATES[Annex.PILOT]
    headings = [s.heading for s in pilot.sections]
    page = _page(*headings[:9], "正文" * 20, *headings[9:])
    submission = _unknown(page).model_copy(update={"annex": Annex.PILOT})
    hits = find_sections(submission, pilot)
    assert set(hits) == {s.id for s in pilot.sections}
    checked = check_sections(submission, TEMPLATES)
    empty = [f for f in checked.findings if f.code is FindingCode.SECTION_MISSING]
    narrative = {s.id for s in pilot.sections if s.kind == "narrative" and s.parent}
    assert {f.section for f in empty} == narrative - {pilot.sections[8].id}
    assert all(f.page == 1 and f.bbox for f in empty)


def test_classification_by_keywords_when_there_is_no_cover() -> None:
    body = _page("二、试点建设目标完成情况", "三、自评结论", "经自评，本创新中心已达到认定条件。")
    assert classify(_unknown(body), TEMPLATES) is Annex.CERTIFICATION
    blank = check_sections(_unknown(_page("一页无关的文字")), TEMPLATES)
    assert blank.annex is Annex.UNKNOWN
    assert [f.code for f in blank.findings] == [FindingCode.ANNEX_UNKNOWN]
