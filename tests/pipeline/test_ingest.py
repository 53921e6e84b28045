"""Ingest at manifest level: every file accounted for, bad input quarantined, never raised."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from PIL import Image

from pipeline import ingest
from pipeline.errors import InputError
from pipeline.ingest import FileKind, discover, display_name, sniff
from pipeline.model import ManifestEntry
from pipeline.settings import Settings

CJK = re.compile(r"[\u4e00-\u9fff]")
# The broken TIFF makes Pillow complain before it fails; the complaint is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_bomb_header(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG that claims an enormous canvas: a few dozen bytes, 10¹⁰ pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def image_bytes(kind: str, size: tuple[int, int] = (64, 48), frames: int = 1) -> bytes:
    pictures = [Image.effect_noise(size, 60 + i).convert("RGB") for i in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format=kind, save_all=frames > 1, append_images=pictures[1:])
    return buffer.getvalue()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("贵州省制造业创新中心申报书")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_zip_bomb(path: Path, unpacked_mb: int = 20) -> None:
    """A DOCX-shaped ZIP whose document.xml is megabytes of zeros squeezed into kilobytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            zeros = b"\x00" * (1 << 20)
            for _ in range(unpacked_mb):
                member.write(zeros)


# name on disk -> (state, pages) expected; names are as discovered (sanitised)
EXPECTED: dict[str, tuple[str, int | None]] = {
    "good.pdf": ("processed", 3),
    "scan.png": ("processed", 1),
    "photo.jpg": ("processed", 1),
    "pages.tiff": ("processed", 3),
    "form.docx": ("processed", None),
    "empty.pdf": ("quarantined", None),
    "truncated.pdf": ("quarantined", None),
    "notes.pdf": ("quarantined", None),
    "locked.pdf": ("quarantined", None),
    "bomb.png": ("quarantined", None),
    "bomb.docx": ("quarantined", None),
    "truncated.jpg": ("quarantined", None),
    "truncated.png": ("quarantined", None),
    "broken.tif": ("quarantined", None),
    "archive.docx": ("quarantined", None),
    "legacy.doc": ("quarantined", None),
    "scan.xyz": ("quarantined", None),
    ".DS_Store": ("quarantined", None),
    ".hidden/inside.pdf": ("processed", 1),
    "sub/deeper/late.pdf": ("processed", 2),
    ".._evil.pdf": ("processed", 1),
    "bell_escape_.pdf": ("processed", 1),
    "new_line.pdf": ("quarantined", None),
    "_fdp.exe": ("quarantined", None),
}


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory: pytest.TempPathFactory, pdf_bytes: Callable[..., bytes]) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "batch"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    good = pdf_bytes(pages=3)
    files = {
        "good.pdf": good,
        "scan.png": image_bytes("PNG"),
        "photo.jpg": image_bytes("JPEG"),
        "pages.tiff": image_bytes("TIFF", frames=3),
        "form.docx": docx_bytes(),
        "empty.pdf": b"",
        "truncated.pdf": good[: len(good) // 2],
        "notes.pdf": "这不是 PDF，只是一段文字。\n".encode(),
        "locked.pdf": pdf_bytes(password="secret"),
        "bomb.png": png_bomb_header(),
        "truncated.jpg": image_bytes("JPEG", size=(400, 300))[:1500],
        "truncated.png": image_bytes("PNG", size=(400, 300))[:2000],
        "broken.tif": b"II*\x00" + os.urandom(200),
        "archive.docx": _plain_zip(),
        "legacy.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        "scan.xyz": os.urandom(300),
        ".DS_Store": b"\x00\x00\x00\x01Bud1" + bytes(100),
        ".hidden/inside.pdf": pdf_bytes(),
        "sub/deeper/late.pdf": pdf_bytes(pages=2),
        "..\\evil.pdf": pdf_bytes(),
        "bell\x07escape\x1b.pdf": pdf_bytes(),
        "new\nline.pdf": b"",
        "\u202efdp.exe": b"MZ" + bytes(100),
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    docx_zip_bomb(root / "bomb.docx")
    return root


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a Word document")
    return buffer.getvalue()


def _manifest(paths: list[Path], settings: Settings | None = None) -> list[ManifestEntry]:
    settings = settings or Settings()
    return [sniff(source, settings).entry for source in discover(paths)]


@pytest.fixture(scope="module")
def corpus_entries(bad_corpus: Path) -> list[ManifestEntry]:
    return _manifest([bad_corpus])


def test_every_file_appears_once_with_the_right_state(
    bad_corpus: Path, corpus_entries: list[ManifestEntry]
) -> None:
    entries = corpus_entries
    names = [e.file for e in entries]
    assert sorted(names) == sorted(EXPECTED)
    for entry in entries:
        state, pages = EXPECTED[entry.file]
        assert (entry.state, entry.pages) == (state, pages), entry
        assert entry.size == (bad_corpus / _on_disk(bad_corpus, entry.file)).stat().st_size
        if state == "quarantined":
            assert entry.reason and CJK.search(entry.reason), entry
            assert entry.reason_en and not CJK.search(entry.reason_en), entry
            assert str(bad_corpus) not in entry.reason_en, "host paths leak into the manifest"
        else:
            assert entry.reason is None and entry.reason_en is None
            assert entry.sha256 and re.fullmatch(r"[0-9a-f]{64}", entry.sha256)


def _on_disk(root: Path, name: str) -> str:
    # The fixture's hostile names, keyed by what discover makes of them.
    return {
        ".._evil.pdf": "..\\evil.pdf",
        "bell_escape_.pdf": "bell\x07escape\x1b.pdf",
        "new_line.pdf": "new\nline.pdf",
        "_fdp.exe": "\u202efdp.exe",
    }.get(name, name)


@pytest.mark.parametrize(
    ("name", "reason", "reason_en"),
    [
        ("empty.pdf", "空文件", "empty"),
        ("truncated.pdf", "损坏或不完整", "corrupt or truncated PDF"),
        ("notes.pdf", "内容不是有效的 PDF", "not a valid PDF despite the .pdf"),
        ("locked.pdf", "加密", "encrypted"),
        ("bomb.png", "解压炸弹", "decompression bomb"),
        ("bomb.docx", "压缩炸弹", "zip bomb"),
        ("truncated.jpg", "JPEG 图像已损坏", "truncated JPEG"),
        ("truncated.png", "PNG 图像已损坏", "truncated PNG"),
        ("broken.tif", "TIFF 图像已损坏", "TIFF"),
        ("archive.docx", "不是有效的 DOCX", "not a valid DOCX"),
        ("legacy.doc", "旧版 Office", "OLE2"),
        ("scan.xyz", "不支持的文件类型", "unsupported"),
    ],
)
def test_quarantine_reasons(
    corpus_entries: list[ManifestEntry], name: str, reason: str, reason_en: str
) -> None:
    (entry,) = [e for e in corpus_entries if e.file == name]
    assert entry.state == "quarantined"
    assert reason in (entry.reason or "")
    assert reason_en in (entry.reason_en or "")


def test_kind_is_by_content_not_by_name(tmp_path: Path, pdf_bytes: Callable[..., bytes]) -> None:
    (tmp_path / "really-a-pdf.png").write_bytes(pdf_bytes(pages=2))
    (tmp_path / "really-a-png.pdf").write_bytes(image_bytes("PNG"))
    sniffed = {s.source.name: s for s in map(lambda f: sniff(f, Settings()), discover([tmp_path]))}
    assert sniffed["really-a-pdf.png"].kind is FileKind.PDF
    assert sniffed["really-a-pdf.png"].entry.pages == 2
    assert sniffed["really-a-png.pdf"].kind is FileKind.PNG


def test_the_zip_bomb_is_never_unpacked(bad_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a zip bomb member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    monkeypatch.setattr(zipfile.ZipFile, "testzip", no_reading)
    (source,) = [f for f in discover([bad_corpus]) if f.name == "bomb.docx"]
    sniffed = sniff(source, Settings())
    assert sniffed.kind is FileKind.DOCX and sniffed.quarantined


def test_a_docx_over_the_size_limit_is_a_bomb(tmp_path: Path) -> None:
    docx_zip_bomb(tmp_path / "big.docx", unpacked_mb=3)
    settings = Settings(max_file_bytes=2 * 1024 * 1024)
    (entry,) = _manifest([tmp_path], settings)
    assert entry.state == "quarantined" and "zip bomb" in (entry.reason_en or "")


def test_pixel_limit_comes_from_settings(tmp_path: Path) -> None:
    (tmp_path / "small.png").write_bytes(image_bytes("PNG", size=(20, 20)))
    (entry,) = _manifest([tmp_path], Settings(max_pixels=399))
    assert entry.state == "quarantined" and "20x20" in (entry.reason_en or "")
    (entry,) = _manifest([tmp_path], Settings(max_pixels=400))
    assert entry.state == "processed"


def test_file_size_limit(tmp_path: Path, pdf_bytes: Callable[..., bytes]) -> None:
    (tmp_path / "big.pdf").write_bytes(pdf_bytes(pages=1))
    (entry,) = _manifest([tmp_path], Settings(max_file_bytes=100))
    assert entry.state == "quarantined" and "文件过大" in (entry.reason or "")
    assert entry.sha256 is not None


def test_links_are_not_followed_out_of_the_input(
    tmp_path: Path, pdf_bytes: Callable[..., bytes]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(pdf_bytes())
    root = tmp_path / "batch"
    root.mkdir()
    (root / "real.pdf").write_bytes(pdf_bytes())
    (root / "escape.pdf").symlink_to(outside / "secret.pdf")
    (root / "escape-dir").symlink_to(outside, target_is_directory=True)
    (root / "inside.pdf").symlink_to(root / "real.pdf")
    (root / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    entries = {e.file: e for e in _manifest([root])}
    assert sorted(entries) == ["dangling.pdf", "escape-dir", "escape.pdf", "inside.pdf", "real.pdf"]
    assert entries["escape.pdf"].state == "quarantined"
    assert "输入文件夹之外" in (entries["escape.pdf"].reason or "")
    assert entries["escape.pdf"].sha256 is None
    assert entries["escape-dir"].state == "quarantined"
    assert entries["dangling.pdf"].state == "quarantined"
    assert entries["inside.pdf"].state == "processed"


def test_a_named_pipe_does_not_hang_the_batch(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.pdf")
    (entry,) = _manifest([tmp_path])
    assert entry.state == "quarantined" and "regular file" in (entry.reason_en or "")


def test_a_single_file_is_named_by_its_basename(
    tmp_path: Path, pdf_bytes: Callable[..., bytes]
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "one.pdf").write_bytes(pdf_bytes())
    (source,) = discover([tmp_path / "sub" / "one.pdf"])
    assert source.name == "one.pdf"


def test_discovery_is_sorted_and_deterministic(
    tmp_path: Path, pdf_bytes: Callable[..., bytes]
) -> None:
    for name in ("b.pdf", "a/z.pdf", "a/b/c.pdf", "C.pdf", ".x"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    names = [f.name for f in discover([tmp_path])]
    assert names == [".x", "C.pdf", "a/b/c.pdf", "a/z.pdf", "b.pdf"]
    assert names == [f.name for f in discover([tmp_path])]


def test_same_file_given_twice_is_listed_once(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"x")
    assert [f.name for f in discover([tmp_path, tmp_path / "a.pdf", tmp_path])] == ["a.pdf"]


def test_names_made_equal_by_sanitising_stay_distinct(tmp_path: Path) -> None:
    (tmp_path / "a\x01.pdf").write_bytes(b"1")
    (tmp_path / "a\x02.pdf").write_bytes(b"2")
    (tmp_path / "a_.pdf").write_bytes(b"3")
    assert sorted(f.name for f in discover([tmp_path])) == ["a_.pdf", "a_~2.pdf", "a_~3.pdf"]


def test_missing_input_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        discover([tmp_path / "nothere"])
    with pytest.raises(InputError, match="no input"):
        discover([])


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("scan.pdf",), "scan.pdf"),
        (("sub", "scan.pdf"), "sub/scan.pdf"),
        (("..\\evil.pdf",), ".._evil.pdf"),
        (("..", "etc", "passwd"), "_/etc/passwd"),
        ((".", ""), "_/_"),
        (("a\x00b\x1fc\x7f.pdf",), "a_b_c_.pdf"),
        (("\u202eevil",), "_evil"),
        (("申报材料", "贵州.pdf"), "申报材料/贵州.pdf"),
        (("bad\udcffbyte.pdf",), "bad_byte.pdf"),
    ],
)
def test_display_name(parts: tuple[str, ...], expected: str) -> None:
    name = display_name(parts)
    assert name == expected
    assert not name.startswith("/") and ".." not in name.split("/")


def test_display_name_is_never_a_climb(tmp_path: Path) -> None:
    (tmp_path / "..\\..\\x.pdf").write_bytes(b"x")
    (name,) = [f.name for f in discover([tmp_path])]
    assert "\\" not in name and ".." not in name.split("/")


def test_sniff_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.png").write_bytes(image_bytes("PNG"))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the decoder fell over")

    monkeypatch.setattr(Image, "open", explode)
    (entry,) = _manifest([tmp_path])
    assert entry.state == "quarantined" and entry.reason


def test_file_digest_streams(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"a" * (ingest.CHUNK_BYTES * 2 + 5))
    sha256, size = ingest.file_digest(path)
    assert size == ingest.CHUNK_BYTES * 2 + 5
    assert sha256 == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    with pytest.raises(InputError):
        ingest.file_digest(tmp_path / "nothere")
    with pytest.raises(InputError):
        ingest.file_digest(tmp_path)


def _entry(name: str, sha: str | None) -> ManifestEntry:
    return ManifestEntry(file=name, sha256=sha, size=1, state="processed")


def test_default_batch_id_is_deterministic(tmp_path: Path) -> None:
    folder = tmp_path / "2022 pilot (八月)"
    folder.mkdir()
    entries = [_entry("a.pdf", "1" * 64), _entry("b.pdf", "2" * 64), _entry("c", None)]
    batch = ingest.default_batch_id(folder, entries)
    assert batch == ingest.default_batch_id(folder, list(reversed(entries)))
    assert re.fullmatch(r"2022-pilot-[0-9a-f]{8}", batch)
    assert ingest.BATCH_ID_PATTERN.fullmatch(batch)
    changed = [_entry("a.pdf", "3" * 64), *entries[1:]]
    assert ingest.default_batch_id(folder, changed) != batch


@pytest.mark.parametrize("name", ["申报材料", "...", "-"])
def test_default_batch_id_of_a_name_without_ascii(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    assert re.fullmatch(r"batch-[0-9a-f]{8}", ingest.default_batch_id(folder, []))


@pytest.mark.parametrize("batch", ["2022-pilot-0801", "a", "A.b_c-1"])
def test_check_batch_id_accepts(batch: str) -> None:
    assert ingest.check_batch_id(batch) == batch


@pytest.mark.parametrize(
    "batch", ["", "../x", "a/b", ".hidden", "-x", "a b", "批次", "x" * 81, "a\nb"]
)
def test_check_batch_id_refuses(batch: str) -> None:
    with pytest.raises(InputError, match="invalid batch id"):
        ingest.check_batch_id(batch)


# --- issue 14: hostile inputs set aside, never raised --------------------------------


@pytest.mark.parametrize("loop", ["self", "pair"])
def test_a_symlink_loop_is_quarantined(tmp_path: Path, loop: str) -> None:
    (tmp_path / "a.pdf").symlink_to(tmp_path / "a.pdf")
    if loop == "pair":
        (tmp_path / "a.pdf").unlink()
        (tmp_path / "a.pdf").symlink_to(tmp_path / "b.pdf")
        (tmp_path / "b.pdf").symlink_to(tmp_path / "a.pdf")
    entries = _manifest([tmp_path])
    assert entries and all(e.state == "quarantined" for e in entries)
    for entry in entries:
        assert "循环" in (entry.reason or "") and "loop" in (entry.reason_en or "")
        assert str(tmp_path) not in (entry.reason_en or "")


def test_a_symlink_loop_given_as_the_input_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").symlink_to(tmp_path / "a.pdf")
    (entry,) = _manifest([tmp_path / "a.pdf"])
    assert entry.file == "a.pdf" and entry.state == "quarantined"


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["申报编号", "统一社会信用代码"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("export.xlsx", _xlsx_bytes()),
        ("export.csv", "申报编号,统一社会信用代码\nGZ2022-0108,91520000214434146R\n".encode()),
        ("export.json", b'[{"record_id": "GZ2022-0108"}]'),
        ("renamed.bin", _xlsx_bytes()),  # an XLSX by content, whatever its name
    ],
    ids=["xlsx", "csv", "json", "xlsx-by-content"],
)
def test_a_spreadsheet_is_no_paper_submission(tmp_path: Path, name: str, content: bytes) -> None:
    """The online export dropped into the scan folder: the reason says where it belongs."""
    (tmp_path / name).write_bytes(content)
    (entry,) = _manifest([tmp_path])
    assert entry.state == "quarantined" and entry.sha256 is not None
    assert "--online" in (entry.reason or "") and CJK.search(entry.reason or "")
    assert "--online" in (entry.reason_en or "") and "spreadsheet" in (entry.reason_en or "")


def _blank_pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842).close()
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def test_a_file_over_the_page_cap_is_quarantined(tmp_path: Path) -> None:
    """2000 blank pages in 0.8 MB held a batch for minutes: refused at the door."""
    (tmp_path / "blank.pdf").write_bytes(_blank_pdf(2000))
    (entry,) = _manifest([tmp_path])
    assert entry.state == "quarantined" and entry.sha256 is not None
    assert "2000" in (entry.reason or "") and "页" in (entry.reason or "")
    assert "2000 pages" in (entry.reason_en or "")
    assert f"limit {Settings().max_pages}" in (entry.reason_en or "")


@pytest.mark.parametrize("kind", ["pdf", "tiff"])
def test_the_page_cap_comes_from_settings(
    tmp_path: Path, pdf_bytes: Callable[..., bytes], kind: str
) -> None:
    content = pdf_bytes(pages=3) if kind == "pdf" else image_bytes("TIFF", frames=3)
    (tmp_path / f"three.{kind}").write_bytes(content)
    (entry,) = _manifest([tmp_path], Settings(max_pages=2))
    assert entry.state == "quarantined" and "limit 2" in (entry.reason_en or "")
    (entry,) = _manifest([tmp_path], Settings(max_pages=3))
    assert (entry.state, entry.pages) == ("processed", 3)


def test_the_page_cap_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHENBAO_MAX_PAGES", "40")
    assert Settings().max_pages == 40


def _docx_with_declaration(path: Path, part: str) -> None:
    """A DOCX one of whose XML parts declares an external entity (an XXE attempt)."""
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as source, zipfile.ZipFile(path, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                declaration, _, rest = data.decode("utf-8").partition("?>")
                doctype = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                data = (declaration + "?>" + doctype + rest).encode("utf-8")
            out.writestr(item, data)


@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml", "[Content_Types].xml"])
def test_a_docx_declaring_entities_is_quarantined(tmp_path: Path, part: str) -> None:
    """Hostile XML is refused at the door, as zip bombs are: never read into a page."""
    _docx_with_declaration(tmp_path / "xxe.docx", part)
    (entry,) = _manifest([tmp_path])
    assert entry.state == "quarantined"
    assert "外部实体" in (entry.reason or "") and "ENTITY" in (entry.reason_en or "")


def test_a_quarantine_reason_survives_a_trip_between_processes() -> None:
    import pickle

    from pipeline.ingest import QuarantineError

    why = pickle.loads(pickle.dumps(QuarantineError("页数过多", "too many pages")))
    assert (why.reason, why.reason_en, str(why)) == ("页数过多", "too many pages", "too many pages")
