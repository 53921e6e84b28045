"""Evidence crops: the box a report gives is the region cropped, on the normalised page."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from rapidfuzz import fuzz

from pipeline.model import Report, SourceKind
from pipeline.ocr.registry import create_engine
from pipeline.pages import render_page_image
from pipeline.settings import Settings
from reports.evidence import (
    MAX_CROP_WIDTH_PX,
    attach_evidence,
    crop_png,
    page_evidence,
    pages_with_crops,
    plan_evidence,
    source_page,
    text_under,
    thumbnail_png,
)
from tests.reports.conftest import SAMPLES, normalised_image, page_image, scan_reports

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _decode(png: bytes) -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    return cv2.cvtColor(
        cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )


def _best_match(lines: tuple[object, ...], text: str) -> float:
    return max((fuzz.ratio(line.text, text) for line in lines), default=0.0)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_an_ocr_line_box_crops_its_text_on_an_upside_down_scan_page() -> None:
    """scan_0008 has a page fed upside down and skewed: its OCR boxes are on the turned page."""
    (report,) = scan_reports()
    page = next(p for p in report.pages if p.rotation == 180)
    assert page.skew_deg != 0.0
    line = max(page.lines, key=lambda candidate: len(candidate.text))
    engine = create_engine(Settings().ocr)

    crop = _decode(crop_png(normalised_image(report, page), line.bbox, highlight=False))
    assert _best_match(engine.recognize(crop), line.text) >= 90

    # The same box on the page as scanned (not turned back) holds other ink: the recorded
    # turn is what makes the box fit.
    as_scanned = render_page_image(SAMPLES / "batch" / report.source.file, page.source_page, 200)
    wrong = _decode(crop_png(as_scanned, line.bbox, highlight=False))
    assert _best_match(engine.recognize(wrong), line.text) < 50


def test_the_scan_reports_evidence_lands_on_ink() -> None:
    (report,) = scan_reports()
    crops = plan_evidence(report)
    assert {c.subject for c in crops} >= {"finding", "field"}
    uscc = next(c for c in crops if c.name == "field-uscc.png")
    page = next(p for p in report.pages if p.number == uscc.page)
    image = normalised_image(report, page)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = uscc.bbox
    inside = image[int(y0 * h) : int(y1 * h), int(x0 * w) : int(x1 * w)]
    assert (inside.min(axis=2) < 100).mean() > 0.03  # print, not blank paper


def test_plan_names_are_stable_and_docx_pages_get_none(hand_built: Report) -> None:
    crops = plan_evidence(hand_built)
    assert crops == plan_evidence(hand_built)
    names = [c.name for c in crops]
    assert len(names) == len(set(names))
    mismatch = next(
        i for i, f in enumerate(hand_built.findings, start=1) if f.code == "FIELD_MISMATCH"
    )
    assert f"finding-{mismatch:02d}.png" not in names  # on the DOCX page
    assert "finding-01.png" in names
    assert "field-uscc.png" in names and "field-center_name.png" not in names  # no bbox
    assert {"seal-01.png", "seal-02.png"} <= set(names)
    assert all(hand_built.pages[c.page - 1].kind is not SourceKind.DOCX for c in crops)
    assert pages_with_crops(hand_built) == {1}


def test_a_report_without_pages_has_no_evidence(hand_built: Report) -> None:
    bare = hand_built.model_copy(update={"pages": ()})
    assert plan_evidence(bare) == ()


def test_crops_are_png_bounded_and_deterministic(hand_built: Report) -> None:
    image = page_image(3000, 4240)
    crops = page_evidence(hand_built, 1, image)
    assert crops == page_evidence(hand_built, 1, image)
    for png in crops.values():
        decoded = _decode(png)
        assert decoded.shape[1] <= MAX_CROP_WIDTH_PX
    # the highlight is red, around the black bar the box covers
    decoded = _decode(crops["field-uscc.png"])
    red = (decoded[..., 0] > 180) & (decoded[..., 1] < 80)
    assert red.any()
    assert (decoded.max(axis=2) < 30).mean() > 0.1


def test_a_degenerate_box_still_crops() -> None:
    png = crop_png(page_image(), (0.5, 0.5, 0.5, 0.5))
    assert _decode(png).size > 0


def test_thumbnails_have_the_asked_width_and_mark_findings(hand_built: Report) -> None:
    image = page_image()
    plain = _decode(thumbnail_png(image, width=120))
    marked = _decode(
        thumbnail_png(image, [((0.1, 0.1, 0.5, 0.2), hand_built.findings[0].severity)], width=120)
    )
    assert plain.shape[1] == marked.shape[1] == 120
    assert not np.array_equal(plain, marked)


def test_bad_images_are_refused() -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        crop_png(np.zeros((10, 10), np.uint8), (0, 0, 1, 1))


def test_docx_evidence_is_the_text_under_the_box(hand_built: Report) -> None:
    docx = hand_built.pages[1]
    assert text_under(docx, (0.1, 0.19, 0.9, 0.23)).startswith("上年度营业收入")
    assert text_under(docx, (0.0, 0.8, 1.0, 0.9)) == ""


def test_evidence_keys_are_attached_to_findings(hand_built: Report) -> None:
    attached = attach_evidence(
        hand_built, {"finding-01.png": "reports/b1/x/evidence/finding-01.png"}
    )
    assert attached.findings[0].evidence == "reports/b1/x/evidence/finding-01.png"
    assert all(f.evidence is None for f in attached.findings[1:])


def test_source_pages_follow_the_submission(hand_built: Report) -> None:
    assert source_page(hand_built, 2) == 2
    shifted = hand_built.model_copy(
        update={"pages": (), "source": hand_built.source.model_copy(update={"pages": (10, 11)})}
    )
    assert source_page(shifted, 2) == 11
