"""A written date read again from other crops: which lines, how, and with which engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pylopdf_fonts_zh_cn
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import ConfigError
from pipeline.model import SealMark, TextLine
from pipeline.ocr.cache import CachedEngine
from pipeline.ocr.engine import OcrSettings, reads_lines
from pipeline.ocr.rapid import RapidEngine
from pipeline.ocr.replay import RecordingEngine
from pipeline.rulebook import load_rules
from pipeline.rulebook.second_reading import SecondReading
from pipeline.second_reading import crop_line, row_readings, second_readings
from tests.rulebook import RULES, rules_folder

FONT = Path(pylopdf_fonts_zh_cn.__file__).parent / "NotoSerifSC-Regular.otf"
RULES_2 = SecondReading(
    pattern=RULES.second_reading.pattern,
    pads=(0.3, 0.6),
    max_lines=2,
    row=RULES.second_reading.row,
)


@dataclass
class LineEngine:
    """A fake engine that reads a crop by its height: the wider the margin, the other text."""

    name: str = "lines"
    fingerprint: str = "lines-1"
    crops: list[tuple[int, int]] = field(default_factory=list)

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        raise AssertionError("a line is read without detection")

    def read_line(self, image: np.ndarray) -> TextLine | None:
        self.crops.append(image.shape[:2])
        text = "2022年7月1日" if image.shape[0] < 40 else "2022年7月11日"
        return TextLine(text=text, bbox=(0.0, 0.0, 1.0, 1.0), confidence=0.9)


@dataclass
class PageOnly:
    """An engine that reads pages only (a replay of frozen OCR)."""

    name: str = "pages"
    fingerprint: str = "pages-1"

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        return ()


DATE = TextLine(text="2022年7月1日", bbox=(0.5, 0.50, 0.75, 0.52), confidence=0.99)
LABEL = TextLine(text="推荐单位（盖章）", bbox=(0.5, 0.45, 0.7, 0.47), confidence=0.99)
PAGE = np.full((1000, 800), 255, np.uint8)


def test_the_crop_grows_by_line_heights_and_stays_on_the_page() -> None:
    assert crop_line(PAGE, DATE.bbox, 0.0).shape == (21, 201)
    assert crop_line(PAGE, DATE.bbox, 0.5).shape == (41, 221)
    assert crop_line(PAGE, (0.0, 0.0, 0.1, 0.02), 1.0).shape == (41, 101)  # clipped at 0


def test_a_date_line_is_read_once_per_margin_and_other_lines_not_at_all() -> None:
    engine = LineEngine()
    label, date = second_readings(PAGE, (LABEL, DATE), engine, RULES_2)
    assert label.rereadings is None  # no date: not read again
    assert date.rereadings == ("2022年7月1日", "2022年7月11日")
    assert len(engine.crops) == 2 and engine.crops[0][0] < engine.crops[1][0]
    assert date.text == DATE.text and date.confidence == DATE.confidence  # the reading stays


def test_at_most_max_lines_of_a_page_are_read_again() -> None:
    engine = LineEngine()
    lines = second_readings(PAGE, (DATE,) * 5, engine, RULES_2)
    assert [line.rereadings is not None for line in lines] == [True, True, False, False, False]


def test_engines_that_read_pages_only_leave_the_lines_as_they_are(tmp_path: Path) -> None:
    for engine in (PageOnly(), CachedEngine(PageOnly(), tmp_path), RecordingEngine(PageOnly())):
        assert not reads_lines(engine)
        assert second_readings(PAGE, (DATE,), engine, RULES_2) == (DATE,)
    assert reads_lines(CachedEngine(LineEngine(), tmp_path))


def test_a_line_read_again_is_cached(tmp_path: Path) -> None:
    inner = LineEngine()
    crop = crop_line(PAGE, DATE.bbox, 0.3)
    first = CachedEngine(inner, tmp_path).read_line(crop)
    again = CachedEngine(inner, tmp_path).read_line(crop.copy())
    assert first == again and len(inner.crops) == 1


def test_the_real_recogniser_reads_a_cut_out_date_and_then_pages_as_before() -> None:
    engine = RapidEngine(OcrSettings())
    page = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(page).text(
        (40, 40), "申报日期", font=ImageFont.truetype(str(FONT), 44), fill="black"
    )
    before = engine.recognize(np.asarray(page))
    image = Image.new("RGB", (520, 70), "white")
    ImageDraw.Draw(image).text(
        (10, 8), "2022年6月16日", font=ImageFont.truetype(str(FONT), 44), fill="black"
    )
    line = engine.read_line(np.asarray(image))
    assert line is not None and line.text == "2022年6月16日" and line.confidence > 0.9
    # rapidocr keeps a call's steps: the next page is still detected, not taken as a line
    assert engine.recognize(np.asarray(page)) == before
    assert [t.text for t in before] == ["申报日期"] and before[0].char_confidences is not None


def test_a_pattern_that_does_not_compile_fails_at_load(tmp_path: Path) -> None:
    row = RULES.second_reading.row.model_dump()
    changed = {"pattern": "[0-9", "pads": [0.3], "max_lines": 8, "row": row}
    with pytest.raises(ConfigError, match="regular expression"):
        load_rules(rules_folder(tmp_path, {"second_reading.yaml": changed}))


# --- a date line a seal cuts: its row read again as one crop -----------------------------

YEAR = TextLine(text="2022年", bbox=(0.49, 0.56, 0.59, 0.588), confidence=0.99)
MONTH = TextLine(text="6月", bbox=(0.61, 0.56, 0.66, 0.588), confidence=0.81)
SEAL = SealMark(bbox=(0.64, 0.46, 0.84, 0.60), shape="round", colour="grey", confidence=0.9)


@dataclass
class RowEngine:
    """A fake engine that reads any crop as one date, keeping each crop's size."""

    name: str = "rows"
    fingerprint: str = "rows-1"
    crops: list[tuple[int, int]] = field(default_factory=list)

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        raise AssertionError("a row is read without detection")

    def read_line(self, image: np.ndarray) -> TextLine | None:
        self.crops.append(image.shape[:2])
        return TextLine(text="2022年6月18日", bbox=(0.0, 0.0, 1.0, 1.0), confidence=0.9)


def test_a_date_row_a_seal_cuts_is_read_once_from_its_start_to_the_seals_edge() -> None:
    engine = RowEngine()
    year, month = row_readings(PAGE, (YEAR, MONTH), (SEAL,), engine, RULES_2)
    assert year.row_reading == "2022年6月18日" and month.row_reading is None
    assert year.text == YEAR.text  # the first reading stays
    ((height, width),) = engine.crops
    # from the year's left edge to the seal's right edge, with a margin on each side
    assert 0.84 - 0.49 < width / PAGE.shape[1] < 0.84 - 0.49 + 0.03
    assert height > (0.588 - 0.56) * PAGE.shape[0]


def test_a_whole_date_or_a_row_no_seal_cuts_is_not_read_again() -> None:
    engine = RowEngine()
    whole = YEAR.model_copy(update={"text": "2022年6月18日"})
    assert row_readings(PAGE, (whole,), (SEAL,), engine, RULES_2) == (whole,)
    assert row_readings(PAGE, (YEAR, MONTH), (), engine, RULES_2) == (YEAR, MONTH)
    far = SEAL.model_copy(update={"bbox": (0.2, 0.1, 0.4, 0.3)})  # elsewhere on the page
    assert row_readings(PAGE, (YEAR, MONTH), (far,), engine, RULES_2) == (YEAR, MONTH)
    name = YEAR.model_copy(update={"text": "贵州省2022年"})  # no date's start
    assert row_readings(PAGE, (name,), (SEAL,), engine, RULES_2) == (name,)
    assert engine.crops == []
    assert row_readings(PAGE, (YEAR,), (SEAL,), PageOnly(), RULES_2) == (YEAR,)


@dataclass
class ScriptedRows(RowEngine):
    """Reads the crops in turn as ``texts`` says."""

    texts: list[str] = field(default_factory=list)

    def read_line(self, image: np.ndarray) -> TextLine | None:
        self.crops.append(image.shape[:2])
        return TextLine(text=self.texts[len(self.crops) - 1], bbox=(0, 0, 1, 1), confidence=0.9)


DAY = TextLine(text="21日", bbox=(0.654, 0.557, 0.746, 0.587), confidence=0.99)


@pytest.mark.parametrize(
    ("texts", "reading", "crops"),
    [
        # the row to the date's end holds the date: the seal beyond is left out
        (["2022年7月21日"], "2022年7月21日", 1),
        # it does not: the row is read to the seal's edge as before
        (["2022年1721日", "2022年7月21日"], "2022年7月21日", 2),
        (["2022年月21日", "2022年月21日"], "2022年月21日", 2),
    ],
)
def test_a_row_whose_end_is_read_is_read_first_to_that_end(
    texts: list[str], reading: str, crops: int
) -> None:
    engine = ScriptedRows(texts=texts)
    year, _ = row_readings(PAGE, (YEAR, DAY), (SEAL,), engine, RULES_2)
    assert year.row_reading == reading
    assert len(engine.crops) == crops
    # the first crop ends at the day (with its margin), short of the seal's edge at 0.84
    assert engine.crops[0][1] / PAGE.shape[1] < 0.746 - 0.49 + 0.03
