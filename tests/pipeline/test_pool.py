"""Page readers on worker processes: order kept, and a reader that dies does not end a batch."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from shenbao.pipeline.model import Page, SourceKind
from shenbao.pipeline.ocr.engine import OcrSettings
from shenbao.pipeline.pages import SourcePage
from shenbao.pipeline.pool import PagePool
from shenbao.pipeline.read import ReadPage


def _source(number: int) -> SourcePage:
    return SourcePage(
        file_page=number,
        kind=SourceKind.SCAN,
        width_pt=100,
        height_pt=100,
        image=np.full((20, 20, 3), number, np.uint8),
        dpi=200,
    )


def crash_on_page_two(source: SourcePage) -> ReadPage:
    """A reader that dies in native code on one page, as a hostile image could make it."""
    if source.file_page == 2:
        os._exit(70)
    return ReadPage(
        page=Page(
            number=source.file_page,
            source_page=source.file_page,
            kind=source.kind,
            width_pt=100,
            height_pt=100,
        )
    )


class CrashingPool(PagePool):
    reader = staticmethod(crash_on_page_two)


def test_a_dying_reader_costs_one_page_not_the_batch(tmp_path: Path) -> None:
    with CrashingPool(OcrSettings(), tmp_path, workers=2) as pool:
        read = list(pool.read(_source(n) for n in range(1, 6)))
        again = list(pool.read(_source(n) for n in (1, 3)))  # the pool still works
    assert [r.page.source_page for r in read] == [1, 2, 3, 4, 5]
    assert [r.error is not None for r in read] == [False, True, False, False, False]
    assert "崩溃" in (read[1].error or "")
    assert [r.error for r in again] == [None, None]


def test_pages_without_pixels_are_read_in_this_process(tmp_path: Path) -> None:
    text_page = SourcePage(file_page=1, kind=SourceKind.TEXT_LAYER, width_pt=100, height_pt=100)
    with CrashingPool(OcrSettings(), tmp_path, workers=1) as pool:
        (read,) = pool.read([text_page])
    assert read.page.kind is SourceKind.TEXT_LAYER and read.error is None
