"""Annex classification and section detection against the corpus truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from shenbao_lab.generator.truth import Truth

from extractors.normalize import normalizer
from extractors.sections import (
    check_sections,
    classify,
    find_sections,
    is_heading,
    page_order,
    recognise_page,
)
from pipeline.model import (
    Annex,
    FindingCode,
    Page,
    PageOrder,
    SourceKind,
    Submission,
    SubmissionSource,
    TextLine,
)
from tests.readers import SAMPLES, TEMPLATES, read_electronic, truth_of
from tests.rulebook import RULES

TRUTHS = sorted((SAMPLES / "truth").glob("[PC]*.json"))
NORMALIZE = normalizer(RULES)


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_sections_found_are_the_truths_on_electronic_copies(
    truth_file: Path, kind: SourceKind
) -> None:
    truth, source = truth_of(truth_file, kind)
    checked = check_sections(read_electronic(SAMPLES / source.file), TEMPLATES, NORMALIZE)
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
    assert is_heading("(六）投资预算与资金来源", budget, NORMALIZE)
    assert is_heading("（六） 投资预算与资金来", budget, NORMALIZE)  # a character lost at the end
    assert is_heading("（六）投资顶算与资金来源", budget, NORMALIZE)  # one misread character
    assert not is_heading("建设期总投资11672万元，其中自筹资金", budget, NORMALIZE)
    assert is_heading("四、推荐意见", pilot.section("opinion"), NORMALIZE)


def test_an_empty_narrative_section_is_missing_too() -> None:
    pilot = TEMPLATES[Annex.PILOT]
    headings = [s.heading for s in pilot.sections]
    page = _page(*headings[:9], "正文" * 20, *headings[9:])
    submission = _unknown(page).model_copy(update={"annex": Annex.PILOT})
    hits = find_sections(submission, pilot, NORMALIZE)
    assert set(hits) == {s.id for s in pilot.sections}
    checked = check_sections(submission, TEMPLATES, NORMALIZE)
    empty = [f for f in checked.findings if f.code is FindingCode.SECTION_MISSING]
    narrative = {s.id for s in pilot.sections if s.kind == "narrative" and s.parent}
    assert {f.section for f in empty} == narrative - {pilot.sections[8].id}
    assert all(f.page == 1 and f.bbox for f in empty)


def test_classification_by_keywords_when_there_is_no_cover() -> None:
    body = _page("二、试点建设目标完成情况", "三、自评结论", "经自评，本创新中心已达到认定条件。")
    assert classify(_unknown(body), TEMPLATES, NORMALIZE) is Annex.CERTIFICATION
    blank = check_sections(_unknown(_page("一页无关的文字")), TEMPLATES, NORMALIZE)
    assert blank.annex is Annex.UNKNOWN
    assert [f.code for f in blank.findings] == [FindingCode.ANNEX_UNKNOWN]


# --- page order ------------------------------------------------------------------------


def _electronic(applicant: str, kind: SourceKind = SourceKind.TEXT_LAYER) -> Submission:
    truth = Truth.model_validate_json((SAMPLES / "truth" / f"{applicant}.json").read_text("utf-8"))
    source = next(s for s in truth.sources if s.kind is kind)
    return read_electronic(SAMPLES / source.file)


def _rebound(submission: Submission, order: list[int]) -> Submission:
    """The submission's pages bound in another order (1-based page numbers), renumbered."""
    pages = tuple(
        submission.pages[old - 1].model_copy(update={"number": new})
        for new, old in enumerate(order, start=1)
    )
    return submission.model_copy(update={"pages": pages})


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_every_page_of_an_electronic_copy_is_recognised_in_order(
    truth_file: Path, kind: SourceKind
) -> None:
    truth, source = truth_of(truth_file, kind)
    template = TEMPLATES[truth.annex]
    recognised, order = page_order(read_electronic(SAMPLES / source.file), template, NORMALIZE)
    expected = tuple(p.id for p in template.pages)
    assert order == PageOrder(in_order=True, found=expected, expected=expected)
    assert tuple(p.template_page for p in recognised.pages) == expected
    assert recognised.page_order == order
    if source.page_truth:
        assert order.found == tuple(p.template_page for p in source.page_truth)


@pytest.mark.parametrize(
    ("applicant", "bound"),
    [
        ("P001", [1, 2, 5, 4, 3, 6, 7, 8, 9]),  # basic_info and plan_1 swapped
        ("P001", [1, 2, 3, 4, 5, 6, 8, 7, 9]),  # opinion before commitment
        ("C003", [1, 2, 4, 3, 5, 6]),  # the KPIs before the basic information
        ("C003", [6, 1, 2, 3, 4, 5]),  # the opinion bound on top
    ],
)
def test_permuted_pages_are_out_of_order(applicant: str, bound: list[int]) -> None:
    submission = _electronic(applicant)
    template = TEMPLATES[submission.annex]
    recognised, order = page_order(_rebound(submission, bound), template, NORMALIZE)
    assert not order.in_order
    assert order.found == tuple(template.pages[i - 1].id for i in bound)
    assert [p.number for p in recognised.pages] == list(range(1, len(bound) + 1))


def test_missing_and_unrecognised_pages_are_not_out_of_order() -> None:
    submission = _electronic("P001")
    template = TEMPLATES[Annex.PILOT]
    # The members page and the second plan page are missing: a gap, not an inversion.
    gapped = _rebound(submission, [1, 2, 3, 5, 7, 8, 9])
    _, order = page_order(gapped, template, NORMALIZE)
    assert order.in_order
    assert "members" not in order.found and "plan_2" not in order.found
    # A page with no heading (a licence copy, a blank page) is None, wherever it is.
    licence = _page("营业执照", "统一社会信用代码 91520000214434146R").model_copy(
        update={"kind": SourceKind.TEXT_LAYER}
    )
    pages = [*gapped.pages[:3], licence, *gapped.pages[3:]]
    inserted = gapped.model_copy(
        update={"pages": tuple(p.model_copy(update={"number": i}) for i, p in enumerate(pages, 1))}
    )
    _, order = page_order(inserted, template, NORMALIZE)
    assert order.in_order
    assert order.found[3] is None


def test_a_page_is_its_first_headings_page_when_two_headings_tie() -> None:
    cert = TEMPLATES[Annex.CERTIFICATION]
    both = _page("四、申请单位承诺", "本单位承诺……", "五、推荐意见")
    assert recognise_page(both, cert, NORMALIZE) == "commitment"
    assert (
        recognise_page(_page("二、试点建设目标完成情况", "三、自评结论"), cert, NORMALIZE) == "kpis"
    )
    assert recognise_page(_page("一页无关的文字"), cert, NORMALIZE) is None


def test_no_heading_at_all_finds_nothing_instead_of_failing() -> None:
    page = Page(
        number=1,
        source_page=1,
        kind=SourceKind.SCAN,
        width_pt=595,
        height_pt=842,
        lines=(TextLine(text="一张与表格无关的纸", bbox=(0.1, 0.1, 0.5, 0.12)),),
    )
    submission = Submission(
        id="x",
        source=SubmissionSource(file="x.pdf", sha256="0" * 64, pages=(1, 1)),
        pages=(page,),
    )
    assert find_sections(submission, TEMPLATES[Annex.PILOT], NORMALIZE) == {}


def test_prose_opening_like_a_heading_is_not_the_heading() -> None:
    kpis = TEMPLATES[Annex.CERTIFICATION].section("kpis")
    assert is_heading("二、试点建设目标完成情况", kpis, NORMALIZE)
    assert is_heading("二、试点建设目标完成惰况", kpis, NORMALIZE)  # misread, still the heading
    assert not is_heading(
        "四、试点建设目标完成情况应逐项填写试点方案目标值和实际完成值。", kpis, NORMALIZE
    )
