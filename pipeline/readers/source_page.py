"""What one page of an input file holds as read, before normalisation and OCR.

Positioned text when the file carries it (a PDF text layer, a DOCX), pixels when it is a
scan. Pixels exist only inside the reading stage and the next; models downstream carry
keys. A page that cannot be read is a ``SourcePage`` too, with its reason and no content.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.model import SourceKind, TextLine, TickBox

A4_PT = (595.3, 841.9)
"""The forms' only paper size, in PDF points: an error page's size and a DOCX's layout."""


@dataclass(frozen=True)
class SourcePage:
    """One page of an input file, as read.

    Attributes:
        file_page: 1-based page number within the file.
        kind: text layer (no OCR needed), scan (pixels to OCR) or DOCX.
        width_pt: page width in PDF points (images: pixels × 72 / dpi).
        height_pt: page height in PDF points.
        lines: positioned text for text-layer and DOCX pages; empty for scans.
        boxes: tick boxes a text-layer page draws or prints as ☑/□, and a DOCX page's
            ☑/□ characters; empty for scans (found after normalisation, ``read.py``).
        image: RGB uint8 pixels (H, W, 3) for scans; None otherwise.
        dpi: the resolution of ``image``.
        error: why the page could not be read, in Chinese for reviewers (None when fine).
        error_en: the same in English, for logs.
    """

    file_page: int
    kind: SourceKind
    width_pt: float
    height_pt: float
    lines: tuple[TextLine, ...] = ()
    boxes: tuple[TickBox, ...] = ()
    image: np.ndarray | None = None
    dpi: float | None = None
    error: str | None = None
    error_en: str | None = None


def without_path(exc: BaseException, path: Path) -> str:
    """An exception's repr with the host's folders cut out: logs and reports show the name."""
    text = repr(exc)
    for local in sorted({str(path.resolve()), str(path)}, key=len, reverse=True):
        text = text.replace(local, path.name)
    return text


def error_page(
    number: int,
    reason: str,
    reason_en: str,
    width_pt: float = A4_PT[0],
    height_pt: float = A4_PT[1],
    kind: SourceKind = SourceKind.SCAN,
) -> SourcePage:
    """A page that could not be read: no content, the reason in both languages."""
    if not (math.isfinite(width_pt) and width_pt > 0):
        width_pt = A4_PT[0]
    if not (math.isfinite(height_pt) and height_pt > 0):
        height_pt = A4_PT[1]
    return SourcePage(
        file_page=number,
        kind=kind,
        width_pt=width_pt,
        height_pt=height_pt,
        error=reason,
        error_en=reason_en,
    )
