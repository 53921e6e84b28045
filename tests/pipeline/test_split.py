"""Splitting a scanner stream at each form's cover page."""

from __future__ import annotations

from pipeline.model import Annex, Page, SourceKind, TextLine
from pipeline.run import submission_id, submission_ids
from pipeline.split import cover_annex, split_stream
from tests.rulebook import RULES

TEMPLATES = RULES.templates


def _page(number: int, *texts: tuple[str, float]) -> Page:
    lines = tuple(TextLine(text=t, bbox=(0.2, y, 0.8, y + 0.03), confidence=0.95) for t, y in texts)
    return Page(
        number=number,
        source_page=number,
        kind=SourceKind.SCAN,
        width_pt=595,
        height_pt=842,
        lines=lines,
    )


def _pilot_cover(n: int) -> Page:
    return _page(
        n,
        ("附件1", 0.05),
        ("贵州省制造业创新中心建设试点", 0.2),
        ("申报书", 0.26),
        ("创新中心名称：", 0.45),
    )


def _cert_cover(n: int) -> Page:
    return _page(n, ("附件2", 0.05), ("贵州省制造业创新中心", 0.2), ("认定申请书", 0.26))


def _body(n: int) -> Page:
    return _page(n, ("一、基本情况表", 0.07), ("统一社会信用代码", 0.2))


def test_covers_are_told_apart_even_with_ocr_noise() -> None:
    assert cover_annex(_pilot_cover(1), TEMPLATES) is Annex.PILOT
    assert cover_annex(_cert_cover(1), TEMPLATES) is Annex.CERTIFICATION
    noisy = _page(1, ("贵州省制造业创新中心建设试点", 0.2), ("申报 书", 0.26))
    assert cover_annex(noisy, TEMPLATES) is Annex.PILOT
    assert cover_annex(_body(1), TEMPLATES) is None
    # the title words low on a page (a footer, a quotation) do not make a cover
    assert cover_annex(_page(1, ("贵州省制造业创新中心建设试点申报书", 0.8)), TEMPLATES) is None


def test_a_stream_splits_at_each_cover() -> None:
    pages = [_pilot_cover(1), _body(2), _body(3), _cert_cover(4), _body(5), _pilot_cover(6)]
    parts = split_stream(pages, TEMPLATES)
    assert [(p.first, p.last, p.annex) for p in parts] == [
        (1, 3, Annex.PILOT),
        (4, 5, Annex.CERTIFICATION),
        (6, 6, Annex.PILOT),
    ]
    assert all(p.starts_at_cover for p in parts)


def test_a_stream_starting_mid_form_keeps_its_leading_pages_as_a_fragment() -> None:
    parts = split_stream([_body(1), _body(2), _pilot_cover(3), _body(4)], TEMPLATES)
    assert [(p.first, p.last, p.annex, p.starts_at_cover) for p in parts] == [
        (1, 2, Annex.UNKNOWN, False),
        (3, 4, Annex.PILOT, True),
    ]


def test_no_pages_no_submissions() -> None:
    assert split_stream([], TEMPLATES) == []


def test_submission_ids_are_safe_and_stable() -> None:
    sha = "ab" * 32
    assert submission_id("scan_0007.pdf", sha, 1, 26) == "scan_0007-p001-026"
    assert submission_id("sub/扫描 件.pdf", sha, 3, 9) == "sub-abababab-p003-009"
    assert submission_id("a/scan_0007.pdf", sha, 1, 9) == "a_scan_0007-p001-009"
    assert submission_id("扫描件.pdf", sha, 1, 1) == "file-abababab-p001-001"
    hostile = submission_id("a\x00b c.pdf", sha, 1, 2)
    assert hostile == "a_b_c-abababab-p001-002"


def test_two_files_of_one_name_get_distinct_ids() -> None:
    """P001.pdf and P001.docx, the applicant's two copies, in one batch."""
    files = [("P001.pdf", "a" * 64), ("P001.docx", "b" * 64), ("P002.pdf", "c" * 64)]
    ids = submission_ids(files)
    assert [ids[name].of(1, 9) for name, _ in files] == [
        "P001-p001-009-pdf",
        "P001-p001-009-docx",
        "P002-p001-009",
    ]
    # a folder flattened into the name of a file beside it: a digest of each name tells
    # them apart, even when their content is the same
    flattened = submission_ids([("a_b.pdf", "a" * 64), ("a/b.pdf", "a" * 64)])
    assert flattened["a_b.pdf"] != flattened["a/b.pdf"]
    assert flattened["a_b.pdf"].of(1, 9).startswith("a_b-p001-009-pdf-")
