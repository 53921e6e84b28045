"""Pages out of files: text layers, rasters, DOCX lines; bad pages as data, memory bounded."""

from __future__ import annotations

import io
import json
import resource
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from pipeline.errors import InputError
from pipeline.ingest import FileKind
from pipeline.model import SourceKind, TextLine
from pipeline.pages import TARGET_DPI, SourcePage, iter_pages, render_page_image
from pipeline.readers import docx_pages, pdf_pages, pdf_text
from pipeline.settings import Settings
from tests.rulebook import RULES

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SETTINGS = Settings()


def _pages(path: Path, kind: FileKind, settings: Settings = SETTINGS) -> list[SourcePage]:
    return list(iter_pages(path, kind, settings, RULES))


def _same_row(left: TextLine, right: TextLine) -> bool:
    return min(left.bbox[3], right.bbox[3]) > max(left.bbox[1], right.bbox[1])


def _label_and_value(page: SourcePage, label: str, value: str) -> tuple[TextLine, TextLine]:
    label_line = next(line for line in page.lines if line.text == label)
    value_line = next(line for line in page.lines if value in line.text)
    return label_line, value_line


def _truth_fields(source_file: str) -> dict[str, dict[str, object]]:
    truth = json.loads((SAMPLES / "truth" / "P001.json").read_text(encoding="utf-8"))
    source = next(s for s in truth["sources"] if s["file"] == source_file)
    return source["fields"]


def _pdf(draw: Callable[[canvas.Canvas], None], pagesize: tuple[float, float] = A4) -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=pagesize, invariant=True)
    draw(document)
    document.save()
    return buffer.getvalue()


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _image_only_page(document: canvas.Canvas, colour: tuple[int, int, int]) -> None:
    width, height = document._pagesize
    picture = ImageReader(io.BytesIO(_jpeg((16, 16), colour)))
    document.drawImage(picture, 0, 0, width=width, height=height)
    document.showPage()


# --- the committed corpus --------------------------------------------------------------


def test_electronic_pdf_is_text_layer_with_the_truth_values() -> None:
    found = _pages(SAMPLES / "electronic" / "P001.pdf", FileKind.PDF)

    assert [p.file_page for p in found] == list(range(1, 10))
    assert {p.kind for p in found} == {SourceKind.TEXT_LAYER}
    assert all(p.image is None and p.error is None for p in found)
    assert all(p.width_pt == pytest.approx(595.28, abs=0.5) for p in found)
    texts = [line.text for p in found for line in p.lines]
    fields = _truth_fields("electronic/P001.pdf")
    for key, spec in fields.items():
        raw = spec["raw"]
        if isinstance(raw, str) and raw:
            assert any(raw in text for text in texts), key
    for member in fields["members"]["value"]:  # type: ignore[union-attr]
        assert member["uscc"] in texts  # one table cell, one line
    for line in (line for p in found for line in p.lines):
        assert line.confidence == 1.0
        assert 0 <= line.bbox[0] <= line.bbox[2] <= 1 and 0 <= line.bbox[1] <= line.bbox[3] <= 1


def test_electronic_pdf_label_and_value_are_separate_lines_on_one_row() -> None:
    uscc = str(_truth_fields("electronic/P001.pdf")["uscc"]["raw"])
    found = _pages(SAMPLES / "electronic" / "P001.pdf", FileKind.PDF)
    page = next(p for p in found if any(line.text == uscc for line in p.lines))

    label, value = _label_and_value(page, "统一社会信用代码", uscc)

    assert value.text == uscc
    assert _same_row(label, value)
    assert value.bbox[0] > label.bbox[2]
    # Top-left origin: the table's heading sits above its first row.
    heading = next(line for line in page.lines if line.text == "一、基本情况表")
    assert heading.bbox[3] <= label.bbox[1]


def test_scanned_pdf_pages_are_a4_images_at_the_target_dpi() -> None:
    found = _pages(SAMPLES / "batch" / "scan_0001.pdf", FileKind.PDF)

    assert len(found) == 9
    for page in found:
        assert page.kind is SourceKind.SCAN and page.error is None and not page.lines
        assert page.dpi == TARGET_DPI == 200
        assert page.image is not None and page.image.dtype == np.uint8
        height, width, channels = page.image.shape
        assert channels == 3
        assert height / width == pytest.approx(297 / 210, rel=0.01)
        assert width == pytest.approx(page.width_pt * 200 / 72, abs=1.5)


def test_docx_pages_split_at_breaks_and_keep_label_left_of_value() -> None:
    uscc = str(_truth_fields("electronic/P001.docx")["uscc"]["raw"])
    found = _pages(SAMPLES / "electronic" / "P001.docx", FileKind.DOCX)

    assert len(found) == 9
    assert {p.kind for p in found} == {SourceKind.DOCX}
    assert all(p.lines for p in found) and all(p.error is None for p in found)
    assert (found[0].width_pt, found[0].height_pt) == (595.3, 841.9)
    page = next(p for p in found if any(line.text == uscc for line in p.lines))
    label, value = _label_and_value(page, "统一社会信用代码", uscc)
    assert _same_row(label, value)
    assert value.bbox[0] >= label.bbox[2]
    # Reading order is kept: rows go down the page, never overlapping their neighbours.
    tops = [line.bbox[1] for line in page.lines]
    assert tops == sorted(tops)
    assert all(line.bbox[1] >= 0.05 and line.bbox[3] <= 0.95 for p in found for line in p.lines)


# --- PDFs made here --------------------------------------------------------------------


def test_mixed_pdf_reads_text_and_scans_per_page(tmp_path: Path) -> None:
    def draw(document: canvas.Canvas) -> None:
        document.setFont("Helvetica", 12)
        document.drawString(72, 760, "Name of the centre")
        document.drawString(300, 760, "Guizhou Food Innovation")
        document.showPage()
        _image_only_page(document, (200, 180, 160))

    path = tmp_path / "mixed.pdf"
    path.write_bytes(_pdf(draw))

    text_page, scan_page = _pages(path, FileKind.PDF)

    assert (text_page.kind, scan_page.kind) == (SourceKind.TEXT_LAYER, SourceKind.SCAN)
    assert [line.text for line in text_page.lines] == [
        "Name of the centre",
        "Guizhou Food Innovation",
    ]
    assert text_page.image is None
    assert scan_page.image is not None and scan_page.image.shape[2] == 3
    assert scan_page.image[1000, 800].tolist() == pytest.approx([200, 180, 160], abs=8)


def test_full_page_image_with_a_caption_is_a_scan(tmp_path: Path) -> None:
    def draw(document: canvas.Canvas) -> None:
        width, height = A4
        picture = ImageReader(io.BytesIO(_jpeg((16, 16), (240, 240, 240))))
        document.drawImage(picture, 0, 0, width=width, height=height)
        document.drawString(72, 40, "Copy of business licence, sealed")
        document.showPage()

    path = tmp_path / "licence.pdf"
    path.write_bytes(_pdf(draw))

    (page,) = _pages(path, FileKind.PDF)

    assert page.kind is SourceKind.SCAN and page.image is not None


def test_broken_to_unicode_map_is_read_as_a_scan() -> None:
    chars = [{"text": "(cid:12)", "x0": 0, "x1": 5, "top": 10}] * 40
    chars += [{"text": "\ue000", "x0": 0, "x1": 5, "top": 10}] * 40
    chars += [{"text": "申", "x0": 0, "x1": 5, "top": 10}] * 12

    class FakePage:
        page_number = 1
        cropbox = mediabox = (0, 0, 100, 100)

        def __init__(self) -> None:
            self.chars = chars
            self.images: list[dict[str, float]] = []

    assert pdf_text._real_text_lines(FakePage()) is None


def test_radicals_in_a_text_layer_read_as_ideographs() -> None:
    assert pdf_text._fix_radicals("\u2f00\u2f08\u5de5") == "一人工"


def test_absurd_page_size_is_an_error_page_and_the_next_page_comes(tmp_path: Path) -> None:
    def draw(document: canvas.Canvas) -> None:
        document.setPageSize((20000, 20000))
        document.showPage()
        document.setPageSize(A4)
        _image_only_page(document, (255, 255, 255))

    path = tmp_path / "absurd.pdf"
    path.write_bytes(_pdf(draw))

    absurd, normal = _pages(path, FileKind.PDF)

    assert absurd.error is not None and "尺寸异常" in absurd.error
    assert absurd.error_en is not None and "absurd" in absurd.error_en
    assert absurd.image is None and absurd.file_page == 1
    assert normal.error is None and normal.image is not None


def test_page_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(_pdf(lambda d: _image_only_page(d, (255, 255, 255))))

    (page,) = _pages(path, FileKind.PDF, Settings(max_pixels=1_000_000))

    assert page.image is None
    assert page.error is not None and "超过上限" in page.error


def test_page_that_fails_to_render_is_an_error_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pdf_bytes: Callable[..., bytes]
) -> None:
    path = tmp_path / "two.pdf"
    path.write_bytes(pdf_bytes(pages=2))
    real_render = pdf_pages._render
    calls = {"n": 0}

    def failing_once(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise pdfium.PdfiumError("injected render failure")
        return real_render(page, dpi)

    monkeypatch.setattr(pdf_pages, "_render", failing_once)

    broken, fine = _pages(path, FileKind.PDF)

    assert broken.error == "该页无法渲染（页面内容已损坏）"
    assert broken.error_en is not None and "injected" in broken.error_en
    assert broken.image is None
    assert fine.error is None and fine.image is not None and fine.file_page == 2


def test_unopenable_pdf_yields_one_error_page(tmp_path: Path) -> None:
    path = tmp_path / "half.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")

    (page,) = _pages(path, FileKind.PDF)

    assert page.error is not None and page.image is None


def test_render_page_image_rerenders_one_page(tmp_path: Path) -> None:
    path = tmp_path / "two.pdf"
    path.write_bytes(_pdf(lambda d: [_image_only_page(d, c) for c in ((0, 0, 255), (255, 0, 0))]))

    image = render_page_image(path, 2, 72)

    assert image.shape == (842, 596, 3) and image.dtype == np.uint8
    assert image[400, 300].tolist() == pytest.approx([255, 0, 0], abs=8)
    with pytest.raises(InputError):
        render_page_image(path, 3, 72)
    with pytest.raises(InputError):
        render_page_image(path, 1, 200, max_pixels=1000)


def test_unknown_kind_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        _pages(tmp_path / "x.bin", FileKind.UNKNOWN)


# --- images ----------------------------------------------------------------------------


def test_multipage_tiff_gives_rgb_pages_from_any_mode(tmp_path: Path) -> None:
    colour = Image.new("RGB", (30, 40), (255, 0, 0))
    grey = Image.new("L", (30, 40), 100)
    deep = Image.fromarray(np.full((40, 30), 32896, dtype=np.uint16))  # 16-bit: 128 in 8
    path = tmp_path / "scan.tif"
    colour.save(path, format="TIFF", save_all=True, append_images=[grey, deep], dpi=(300, 300))

    found = _pages(path, FileKind.TIFF)

    assert [p.file_page for p in found] == [1, 2, 3]
    for page in found:
        assert page.kind is SourceKind.SCAN and page.error is None
        assert page.image is not None and page.image.shape == (40, 30, 3)
        assert page.image.dtype == np.uint8
        assert page.dpi == 300
        assert page.width_pt == pytest.approx(30 * 72 / 300)
    assert [p.image[0, 0].tolist() for p in found if p.image is not None] == [
        [255, 0, 0],
        [100, 100, 100],
        [128, 128, 128],
    ]


def test_palette_and_cmyk_frames_become_rgb(tmp_path: Path) -> None:
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([255, 255, 255, 0, 128, 0])
    cmyk = Image.new("CMYK", (20, 20), (0, 0, 0, 255))
    path = tmp_path / "mixed.tif"
    palette.save(path, format="TIFF", save_all=True, append_images=[cmyk])

    found = _pages(path, FileKind.TIFF)

    assert [p.image.shape for p in found if p.image is not None] == [(20, 20, 3)] * 2
    assert found[0].image is not None and found[0].image[0, 0].tolist() == [0, 128, 0]
    assert found[1].image is not None and found[1].image[0, 0].tolist() == [0, 0, 0]


def test_tiff_frame_over_the_pixel_limit_is_refused_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    big, small = Image.new("L", (200, 200), 255), Image.new("L", (50, 50), 255)
    big.save(path, format="TIFF", save_all=True, append_images=[small])

    found = _pages(path, FileKind.TIFF, Settings(max_pixels=10_000))

    assert found[0].error is not None and found[0].image is None
    assert found[1].error is None and found[1].image is not None


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    picture = Image.new("RGB", (40, 20), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: show it rotated 90° clockwise
    path = tmp_path / "photo.jpg"
    picture.save(path, format="JPEG", quality=95, exif=exif, dpi=(72, 72))

    (page,) = _pages(path, FileKind.JPEG)

    assert page.image is not None and page.image.shape == (40, 20, 3)
    top, bottom = page.image[5, 10].tolist(), page.image[35, 10].tolist()
    assert top == pytest.approx([255, 0, 0], abs=20)  # the red left half is now on top
    assert bottom == pytest.approx([0, 0, 255], abs=20)
    # 72 dpi means "unknown": the page is taken to be A4.
    assert page.dpi == pytest.approx(40 / 11.69)
    assert page.height_pt == pytest.approx(841.7, abs=0.5)


def test_png_with_alpha_is_composited_on_white(tmp_path: Path) -> None:
    picture = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    picture.paste((0, 0, 0, 255), (0, 0, 10, 10))
    path = tmp_path / "form.png"
    picture.save(path, format="PNG", dpi=(150, 150))

    (page,) = _pages(path, FileKind.PNG)

    assert page.image is not None and page.image.shape == (10, 20, 3)
    assert page.image[5, 2].tolist() == [0, 0, 0]
    assert page.image[5, 15].tolist() == [255, 255, 255]
    assert page.dpi == pytest.approx(150, abs=0.1)


def test_truncated_png_is_an_error_page(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 60).save(buffer, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    (page,) = _pages(path, FileKind.PNG)

    assert page.error is not None and page.image is None and page.width_pt > 0


# --- DOCX made here --------------------------------------------------------------------


def _docx(path: Path, build: Callable[[docx.document.Document], None]) -> Path:
    document = docx.Document()
    build(document)
    document.save(str(path))
    return path


def test_docx_keeps_reading_order_of_paragraphs_and_tables(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        document.add_paragraph("一、基本情况")
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).text = "单位名称"
        table.cell(0, 1).merge(table.cell(0, 2)).text = "贵州某某有限公司"
        table.cell(1, 0).text = "联系人"
        table.cell(1, 2).text = "张三"
        document.add_paragraph("")  # empty: skipped
        document.add_paragraph("二、成员单位")

    path = _docx(tmp_path / "order.docx", build)

    (page,) = _pages(path, FileKind.DOCX)

    assert [line.text for line in page.lines] == [
        "一、基本情况",
        "单位名称",
        "贵州某某有限公司",  # the merged cell appears once
        "联系人",
        "张三",
        "二、成员单位",
    ]
    heading, label, merged, contact, name, _ = page.lines
    assert (heading.bbox[0], heading.bbox[2]) == (0.1, 0.9)
    assert label.bbox[0] == pytest.approx(0.1) and label.bbox[2] == pytest.approx(0.1 + 0.8 / 3)
    assert merged.bbox[0] == pytest.approx(0.1 + 0.8 / 3) and merged.bbox[2] == pytest.approx(0.9)
    assert name.bbox[0] == pytest.approx(0.1 + 0.8 * 2 / 3)
    assert _same_row(label, merged) and _same_row(contact, name)
    assert not _same_row(label, contact)


def test_docx_vertically_merged_cell_spans_its_rows(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).merge(table.cell(1, 0)).text = "成员单位"
        table.cell(0, 1).text = "甲公司"
        table.cell(1, 1).text = "乙公司"

    (page,) = _pages(_docx(tmp_path / "merge.docx", build), FileKind.DOCX)

    assert [line.text for line in page.lines] == ["成员单位", "甲公司", "乙公司"]
    merged, first, second = page.lines
    assert _same_row(merged, first) and _same_row(merged, second)


def test_docx_splits_pages_at_each_kind_of_break(tmp_path: Path) -> None:
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_BREAK

    def build(document: docx.document.Document) -> None:
        run = document.add_paragraph("第一页").add_run()
        run.add_break(WD_BREAK.PAGE)
        run.add_text("第二页")
        document.add_paragraph("第三页").paragraph_format.page_break_before = True
        document.add_section(WD_SECTION.NEW_PAGE)
        document.add_paragraph("第四页")
        document.add_section(WD_SECTION.CONTINUOUS)
        document.add_paragraph("仍是第四页")
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)  # trailing: no page

    found = _pages(_docx(tmp_path / "breaks.docx", build), FileKind.DOCX)

    assert [[line.text for line in p.lines] for p in found] == [
        ["第一页"],
        ["第二页"],
        ["第三页"],
        ["第四页", "仍是第四页"],
    ]
    assert [p.file_page for p in found] == [1, 2, 3, 4]


def test_docx_many_lines_are_compressed_onto_the_page(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        for number in range(120):
            document.add_paragraph(f"第{number}行")

    (page,) = _pages(_docx(tmp_path / "long.docx", build), FileKind.DOCX)

    assert len(page.lines) == 120
    assert page.lines[0].bbox[1] == pytest.approx(0.05)
    assert page.lines[-1].bbox[3] <= 0.95
    assert all(not _same_row(a, b) for a, b in zip(page.lines, page.lines[1:], strict=False))


def _with_entity(path: Path, secret: Path, *, utf16: bool = False) -> None:
    original = path.read_bytes()
    rewritten = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(rewritten, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                declaration, _, rest = xml.partition("?>")
                doctype = f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
                xml = declaration + "?>" + doctype + rest.replace("PLACEHOLDER", "&xxe;")
                if utf16:
                    xml = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"')
                data = xml.encode("utf-16") if utf16 else xml.encode("utf-8")
            out.writestr(item, data)
    path.write_bytes(rewritten.getvalue())


@pytest.mark.parametrize("utf16", [False, True], ids=["utf8", "utf16"])
def test_docx_with_entity_declarations_is_refused(tmp_path: Path, utf16: bool) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-4f1c", encoding="utf-8")
    path = _docx(tmp_path / "xxe.docx", lambda d: d.add_paragraph("PLACEHOLDER"))
    _with_entity(path, secret, utf16=utf16)

    found = _pages(path, FileKind.DOCX)

    assert len(found) == 1
    assert found[0].error is not None and "外部实体" in found[0].error
    assert not any("MARKER" in line.text for p in found for line in p.lines)


def test_docx_parser_never_resolves_entities_even_unscreened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-4f1c", encoding="utf-8")
    path = _docx(tmp_path / "xxe.docx", lambda d: d.add_paragraph("PLACEHOLDER"))
    _with_entity(path, secret)
    monkeypatch.setattr(docx_pages, "check_docx", lambda path, settings: None)

    found = _pages(path, FileKind.DOCX)

    assert not any("MARKER" in line.text for p in found for line in p.lines)


def test_corrupt_docx_is_an_error_page(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document")

    (page,) = _pages(path, FileKind.DOCX)

    assert page.error is not None and page.kind is SourceKind.DOCX


# --- memory ----------------------------------------------------------------------------


def _rss_bytes() -> int:
    """Resident memory now (Linux), else the peak so far (ru_maxrss: KiB, macOS bytes)."""
    try:
        statm = Path("/proc/self/statm").read_text(encoding="ascii")
        return int(statm.split()[1]) * resource.getpagesize()
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


@pytest.mark.slow
def test_long_pdf_streams_with_flat_memory(tmp_path: Path) -> None:
    """300 A4 pages at 200 dpi would be 3.5 GB held at once; streamed it is one page."""

    def draw(document: canvas.Canvas) -> None:
        for number in range(300):
            if number % 10 == 0:  # a text page now and then: pdfplumber's caches too
                document.setFont("Helvetica", 11)
                for row in range(40):
                    document.drawString(72, 780 - row * 18, f"page {number} row {row} value")
                document.showPage()
            else:
                _image_only_page(document, (number % 256, 200, 255 - number % 256))

    path = tmp_path / "long.pdf"
    path.write_bytes(_pdf(draw))
    baseline = _rss_bytes()
    peak = baseline
    kinds: list[SourceKind] = []

    for page in iter_pages(path, FileKind.PDF, SETTINGS, RULES):
        kinds.append(page.kind)
        peak = max(peak, _rss_bytes())
        del page

    assert len(kinds) == 300
    assert kinds.count(SourceKind.TEXT_LAYER) == 30
    assert peak - baseline < 300 * 1024 * 1024
