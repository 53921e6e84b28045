"""The OCR layer: the real PP-OCRv6 engine, the cache, replay, reading order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pylopdf_fonts_zh_cn
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import OcrError
from pipeline.model import TextLine
from pipeline.ocr.cache import CachedEngine
from pipeline.ocr.engine import (
    OcrEngine,
    OcrSettings,
    TightReader,
    image_digest,
    reading_order,
    recognize_tight,
)
from pipeline.ocr.registry import create_engine
from pipeline.ocr.replay import RecordingEngine, ReplayEngine

FONT = Path(pylopdf_fonts_zh_cn.__file__).parent / "NotoSerifSC-Regular.otf"
LINES = ["统一社会信用代码", "91520000214434146R", "贵州省制造业创新中心建设试点"]


def _page() -> np.ndarray:
    image = Image.new("RGB", (1200, 500), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 44)
    draw.text((80, 60), LINES[0], font=font, fill="black")
    draw.text((620, 60), LINES[1], font=font, fill="black")
    draw.text((80, 300), LINES[2], font=font, fill="black")
    return np.asarray(image)


@pytest.fixture(scope="module")
def rapid() -> OcrEngine:
    return create_engine(OcrSettings())


def test_rapidocr_reads_chinese_lines_with_boxes_in_reading_order(rapid: OcrEngine) -> None:
    lines = rapid.recognize(_page())
    assert [line.text for line in lines] == LINES
    label, value, title = lines
    assert label.bbox[2] < value.bbox[0]  # the value is right of its label
    assert abs(label.bbox[1] - value.bbox[1]) < 0.05  # on the same row
    assert title.bbox[1] > label.bbox[3]
    assert all(line.confidence > 0.9 for line in lines)
    assert rapid.name.startswith("rapidocr ") and "PP-OCRv6" in rapid.name


def test_a_line_with_spaces_keeps_a_score_for_each_of_its_characters(rapid: OcrEngine) -> None:
    """rapidocr pairs its scores with the characters of its word boxes, which leave the
    spaces out: a spaced line's scores came out shifted (a handwritten 2022年7月 11 日:
    its gap's 0.54 paired with the 1), so such a line had none. Now each character,
    spaces included, has the score it was decoded with, and their mean is the line's."""
    image = Image.new("RGB", (900, 160), "white")
    font = ImageFont.truetype(str(FONT), 44)
    ImageDraw.Draw(image).text((60, 50), "Li Ming 2022", font=font, fill="black")
    (line,) = rapid.recognize(np.asarray(image))
    assert line.text == "Li Ming 2022" and line.char_confidences is not None
    assert len(line.char_confidences) == len(line.text)
    assert abs(sum(line.char_confidences) / len(line.text) - line.confidence) < 0.002
    scored = dict(enumerate(line.char_confidences))
    assert min(s for i, s in scored.items() if not line.text[i].isspace()) > 0.9


def test_rapidocr_reads_greyscale_and_blank_pages(rapid: OcrEngine) -> None:
    grey = np.asarray(Image.fromarray(_page()).convert("L"))
    assert [line.text for line in rapid.recognize(grey)] == LINES
    assert rapid.recognize(np.full((400, 300, 3), 255, np.uint8)) == ()


def test_a_tight_reading_reads_the_same_lines_and_leaves_the_page_reading_as_it_was(
    rapid: OcrEngine,
) -> None:
    assert isinstance(rapid, TightReader)
    before = rapid.recognize(_page())
    tight = rapid.recognize_tight(_page())
    assert [line.text for line in tight] == LINES
    assert all(line.confidence > 0.9 for line in tight)
    assert rapid.recognize(_page()) == before  # the recogniser's padding is restored


def test_a_tight_reading_finds_lines_on_a_scaled_copy_on_a_fresh_engine() -> None:
    """``det_scale``: the lines found on a smaller copy, read from the image itself; on
    an engine that has read nothing yet (its detector not loaded: a page served from the
    cache), and the page reading's detector settings left as they were."""
    fresh = create_engine(OcrSettings())
    assert isinstance(fresh, TightReader)
    tight = fresh.recognize_tight(_page(), 0.67)
    assert [line.text for line in tight] == LINES
    assert all(line.confidence > 0.9 for line in tight)
    assert [line.text for line in fresh.recognize(_page())] == LINES
    det = fresh._ocr.text_det  # type: ignore[attr-defined]
    assert (det.limit_side_len, det.limit_type) == (OcrSettings().det_limit_side, "max")


@dataclass
class TightCountingEngine:
    """A fake engine with a tight reading that says which reading it was asked for."""

    calls: list[str] = field(default_factory=list)
    name: str = "tight-counting"
    fingerprint: str = "tight-counting-1"

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        self.calls.append("page")
        return (TextLine(text="页", bbox=(0.1, 0.1, 0.2, 0.2), confidence=0.9),)

    def recognize_tight(self, image: np.ndarray, det_scale: float = 1.0) -> tuple[TextLine, ...]:
        self.calls.append("tight" if det_scale == 1.0 else f"tight {det_scale:g}")
        return (TextLine(text="章", bbox=(0.1, 0.1, 0.2, 0.2), confidence=0.9),)


def test_a_tight_reading_is_cached_apart_and_falls_back_to_the_page_reading(
    tmp_path: Path,
) -> None:
    inner = TightCountingEngine()
    engine = CachedEngine(inner, tmp_path)
    assert [t.text for t in recognize_tight(engine, _page())] == ["章"]
    assert [t.text for t in engine.recognize(_page())] == ["页"]  # not the tight entry
    assert [t.text for t in recognize_tight(CachedEngine(inner, tmp_path), _page())] == ["章"]
    assert inner.calls == ["tight", "page"]
    # each scale of the copy the lines are found on has its own entry
    assert [t.text for t in recognize_tight(engine, _page(), 0.67)] == ["章"]
    assert [t.text for t in recognize_tight(CachedEngine(inner, tmp_path), _page(), 0.67)] == ["章"]
    assert inner.calls == ["tight", "page", "tight 0.67"]
    # An engine without one (a replay, a recorder) reads as it reads a page.
    plain = CountingEngine()
    assert recognize_tight(RecordingEngine(plain), _page()) == plain.lines
    assert plain.calls == 1


@dataclass
class CountingEngine:
    """A fake engine that says what it was asked, and can be told to fail."""

    calls: int = 0
    fail: bool = False
    lines: tuple[TextLine, ...] = field(
        default_factory=lambda: (
            TextLine(text="申报书", bbox=(0.1, 0.1, 0.3, 0.15), confidence=0.99),
        )
    )

    name: str = "counting"
    fingerprint: str = "counting-1"

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        self.calls += 1
        if self.fail:
            raise OcrError("the engine crashed")
        return self.lines


def test_a_page_is_read_once_then_served_from_the_cache(tmp_path: Path) -> None:
    inner = CountingEngine()
    engine = CachedEngine(inner, tmp_path)
    page = _page()
    assert engine.recognize(page) == inner.lines
    assert CachedEngine(inner, tmp_path).recognize(page.copy()) == inner.lines
    assert inner.calls == 1
    changed = page.copy()
    changed[0, 0] = 0
    engine.recognize(changed)
    assert inner.calls == 2


def test_the_cache_key_includes_the_engine_fingerprint(tmp_path: Path) -> None:
    first, second = CountingEngine(), CountingEngine(fingerprint="counting-2")
    CachedEngine(first, tmp_path).recognize(_page())
    CachedEngine(second, tmp_path).recognize(_page())
    assert (first.calls, second.calls) == (1, 1)


def test_a_corrupt_cache_entry_is_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    inner = CountingEngine()
    engine = CachedEngine(inner, tmp_path)
    engine.recognize(_page())
    (entry,) = [p for p in tmp_path.rglob("*.json")]
    entry.write_text("{not json", encoding="utf-8")
    assert engine.recognize(_page()) == inner.lines
    assert inner.calls == 2
    assert CachedEngine(inner, tmp_path).recognize(_page()) == inner.lines
    assert inner.calls == 2


def test_an_engine_failure_is_not_cached(tmp_path: Path) -> None:
    inner = CountingEngine(fail=True)
    with pytest.raises(OcrError):
        CachedEngine(inner, tmp_path).recognize(_page())
    assert not list(tmp_path.rglob("*.json"))


def test_recorded_ocr_replays_for_the_same_pixels_only(tmp_path: Path) -> None:
    recorder = RecordingEngine(CountingEngine())
    recorder.recognize(_page())
    frozen = tmp_path / "ocr.json"
    recorder.save(frozen)
    replay = create_engine(OcrSettings(kind="replay", replay_file=frozen))
    assert isinstance(replay, ReplayEngine)
    assert replay.recognize(_page()) == CountingEngine().lines
    with pytest.raises(OcrError, match="no frozen OCR"):
        replay.recognize(np.zeros((10, 10, 3), np.uint8))
    assert "申报书" in frozen.read_text(encoding="utf-8")  # readable Chinese


def test_image_digest_sees_shape_and_pixels() -> None:
    page = _page()
    assert image_digest(page) == image_digest(page.copy())
    assert image_digest(page) != image_digest(page[:, :, 0])
    assert image_digest(page) != image_digest(page.reshape(500, 3600, 1))


def test_reading_order_rows_then_left_to_right() -> None:
    def line(text: str, x: float, y: float) -> TextLine:
        return TextLine(text=text, bbox=(x, y, x + 0.1, y + 0.02))

    shuffled = [line("c", 0.1, 0.5), line("b", 0.6, 0.101), line("a", 0.1, 0.1)]
    assert [t.text for t in reading_order(shuffled)] == ["a", "b", "c"]


def test_ocr_settings_fingerprint_ignores_threads_only() -> None:
    assert OcrSettings(threads=1).fingerprint() == OcrSettings(threads=2).fingerprint()
    assert OcrSettings().fingerprint() != OcrSettings(det_limit_side=1280).fingerprint()


def test_the_paddle_engine_says_how_to_get_it_when_absent() -> None:
    pytest.importorskip("pipeline.ocr.paddle")
    try:
        import paddleocr  # noqa: F401
    except ImportError:
        with pytest.raises(OcrError, match="paddle"):
            create_engine(OcrSettings(kind="paddleocr"))
    else:
        pytest.skip("paddleocr is installed here")
