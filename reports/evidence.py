"""Evidence crops: the region of a page each finding, field and seal points at, as PNG.

A report's boxes are fractions of the *normalised* page (turned upright and deskewed), so
the caller hands in that page's image at any resolution — rebuilt from the original file
with ``pipeline.preprocess.upright_page`` for a scan, rendered as is for a text-layer PDF
page. DOCX pages have no image: their evidence is the text under the box
(``text_under``). Everything here is pure: arrays in, PNG bytes out, the same bytes for
the same input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from pipeline.model import Page, Report, Severity, SourceKind

BoxFraction = tuple[float, float, float, float]

# Context around a box, as a share of the page (and at least the box's own height), so a
# reviewer sees the label beside a value and the lines around it.
CONTEXT_X = 0.04
CONTEXT_Y = 0.012
# Crops wider than this are scaled down: a line across the page stays legible at 1100 px.
MAX_CROP_WIDTH_PX = 1100
THUMBNAIL_WIDTH_PX = 220
# The highlight around the box itself: red, as a reviewer's pen would mark it.
HIGHLIGHT_RGB = (220, 38, 38)
SEVERITY_RGB: dict[Severity, tuple[int, int, int]] = {
    Severity.ERROR: (220, 38, 38),
    Severity.WARNING: (217, 119, 6),
    Severity.INFO: (37, 99, 235),
}
_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 9]


@dataclass(frozen=True)
class EvidenceCrop:
    """One crop a report needs.

    Attributes:
        name: the file name under the report's ``evidence/`` folder.
        page: the page, 1-based within the submission.
        bbox: the box, as fractions of the normalised page.
        subject: what the crop shows evidence of.
    """

    name: str
    page: int
    bbox: BoxFraction
    subject: Literal["finding", "field", "seal"]


def plan_evidence(report: Report) -> tuple[EvidenceCrop, ...]:
    """Every crop the report calls for: findings, fields and seals with a page and a box.

    Names are stable for the same report: ``finding-NN.png`` (NN: the finding's 1-based
    place in ``report.findings``), ``field-<key>.png``, ``seal-NN.png``. Pages without
    an image (DOCX) get no crop.
    """
    with_image = {p.number for p in report.pages if p.kind is not SourceKind.DOCX}
    if not report.pages:  # a report without pages (an unreadable file) has no images
        return ()
    crops: list[EvidenceCrop] = []
    for i, finding in enumerate(report.findings, start=1):
        if finding.page in with_image and finding.bbox is not None:
            crops.append(
                EvidenceCrop(f"finding-{i:02d}.png", finding.page, finding.bbox, "finding")
            )
    for key, field in sorted(report.fields.items()):
        if field.page in with_image and field.bbox is not None:
            crops.append(EvidenceCrop(f"field-{key}.png", field.page, field.bbox, "field"))
    for i, seal in enumerate(report.seals, start=1):
        if seal.page in with_image:
            crops.append(EvidenceCrop(f"seal-{i:02d}.png", seal.page, seal.bbox, "seal"))
    return tuple(crops)


def attach_evidence(report: Report, keys: Mapping[str, str]) -> Report:
    """The report with each finding's ``evidence`` set to the key of its crop, if made.

    Args:
        report: the report.
        keys: object key of each crop written, by crop name (``plan_evidence``).
    """
    findings = tuple(
        finding.model_copy(update={"evidence": keys[f"finding-{i:02d}.png"]})
        if f"finding-{i:02d}.png" in keys
        else finding
        for i, finding in enumerate(report.findings, start=1)
    )
    return report.model_copy(update={"findings": findings})


def source_page(report: Report, page: int) -> int:
    """The file page (1-based) of the submission's page ``page``."""
    for candidate in report.pages:
        if candidate.number == page:
            return candidate.source_page
    return report.source.pages[0] + page - 1


def crop_png(image: np.ndarray, bbox: BoxFraction, *, highlight: bool = True) -> bytes:
    """The region of ``image`` around ``bbox`` with some context, the box outlined, as PNG.

    Args:
        image: RGB uint8 normalised page, any resolution.
        bbox: ``[x0, y0, x1, y1]`` as fractions of that page.
        highlight: outline the box itself in red.
    """
    _check_rgb(image)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = _pixels(bbox, w, h)
    box_h = y1 - y0
    mx = max(CONTEXT_X * w, box_h)
    my = max(CONTEXT_Y * h, 0.6 * box_h)
    left, top = max(0, int(x0 - mx)), max(0, int(y0 - my))
    right, bottom = min(w, int(np.ceil(x1 + mx))), min(h, int(np.ceil(y1 + my)))
    crop = np.array(image[top:bottom, left:right], order="C")
    if highlight:
        pad = max(2, round(0.002 * w))
        thickness = max(2, round(0.0015 * w))
        cv2.rectangle(
            crop,
            (int(x0 - left - pad), int(y0 - top - pad)),
            (int(x1 - left + pad), int(y1 - top + pad)),
            HIGHLIGHT_RGB,
            thickness,
        )
    if crop.shape[1] > MAX_CROP_WIDTH_PX:
        scale = MAX_CROP_WIDTH_PX / crop.shape[1]
        size = (MAX_CROP_WIDTH_PX, max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return _png(crop)


def thumbnail_png(
    image: np.ndarray,
    marks: Iterable[tuple[BoxFraction, Severity]] = (),
    *,
    width: int = THUMBNAIL_WIDTH_PX,
) -> bytes:
    """The whole page scaled to ``width`` pixels, the findings' boxes marked by severity."""
    _check_rgb(image)
    h, w = image.shape[:2]
    size = (width, max(1, round(h * width / w)))
    interpolation = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
    small = cv2.resize(image, size, interpolation=interpolation)
    for bbox, severity in marks:
        x0, y0, x1, y1 = _pixels(bbox, size[0], size[1])
        cv2.rectangle(
            small, (int(x0) - 1, int(y0) - 1), (int(x1) + 1, int(y1) + 1), SEVERITY_RGB[severity], 2
        )
    return _png(small)


def page_evidence(report: Report, page: int, image: np.ndarray) -> dict[str, bytes]:
    """The crops ``plan_evidence`` asks for on one page, by name."""
    return {
        crop.name: crop_png(image, crop.bbox) for crop in plan_evidence(report) if crop.page == page
    }


def page_marks(report: Report, page: int) -> list[tuple[BoxFraction, Severity]]:
    """The boxes of the findings on ``page``, for the thumbnail."""
    return [(f.bbox, f.severity) for f in report.findings if f.page == page and f.bbox is not None]


def pages_with_crops(report: Report) -> set[int]:
    """The pages (1-based within the submission) that need a detailed image."""
    return {crop.page for crop in plan_evidence(report)}


def text_under(page: Page, bbox: BoxFraction) -> str:
    """The page's text lines that overlap ``bbox``, in reading order: DOCX evidence."""
    x0, y0, x1, y1 = bbox
    hits = [
        line
        for line in page.lines
        if line.bbox[0] <= x1 and line.bbox[2] >= x0 and line.bbox[1] <= y1 and line.bbox[3] >= y0
    ]
    hits.sort(key=lambda line: (line.bbox[1], line.bbox[0]))
    return "\n".join(line.text for line in hits)


def _pixels(bbox: BoxFraction, w: int, h: int) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = bbox
    # A degenerate box (a point, a line) still gets a visible pixel.
    return x0 * w, y0 * h, max(x1 * w, x0 * w + 1), max(y1 * h, y0 * h + 1)


def _check_rgb(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 array (H, W, 3), got {image.dtype} {image.shape}")


def _png(rgb: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), _PNG)
    if not ok:  # pragma: no cover - OpenCV fails only on absurd arrays
        raise ValueError(f"cannot encode a {rgb.shape} image as PNG")
    return encoded.tobytes()
