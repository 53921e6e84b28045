"""Office packages (DOCX, XLSX) checked before any parser reads them.

A DOCX or an XLSX is a zip of XML parts, and both come from outside: the applicants'
DOCX (checked when ``ingest`` sniffs it, and again before ``readers.docx_pages`` parses
it: the file may have changed since) and the platform's XLSX export (``online``). Opened
as they come, they may unpack without bound (a zip bomb) or declare a DTD whose entities
expand a billion-fold or fetch the host's files (XXE, billion laughs).
``check_office_package`` reads the zip's directory first and refuses a compression
Office never writes or an unpacked size beyond the caller's bound; only then, every size
bounded, it reads the XML parts and refuses any DOCTYPE or ENTITY declaration. An Office
part never carries one, so none is left to a parser's settings.

The two doors keep their own limits and words: a DOCX is paper, quarantined with the
reasons reviewers know, and also refused for its compression ratio and a bad CRC; an
XLSX is an export, refused in the export's words, bounded by its unpacked size alone
(openpyxl checks each part's CRC as it reads it).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO

from defusedxml import ElementTree as SafeElementTree

RATIO_FLOOR_BYTES = 1 << 20
"""Below this a package cannot hurt, however well it compresses: no ratio is checked."""

_OFFICE_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_DECLARATIONS = (b"<!doctype", b"<!entity")
_CONTENT_TYPES = "[Content_Types].xml"
_SCAN_CHUNK = 1 << 20


class OfficeFormat(StrEnum):
    """Which door a package comes through: paper (DOCX) or the online export (XLSX)."""

    DOCX = "docx"
    XLSX = "xlsx"


class UnsafePackageError(Exception):
    """Why a package is refused: for reviewers (Chinese) and for logs (English)."""

    def __init__(self, reason: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason = reason
        self.reason_en = reason_en


Wording = tuple[str, str]
"""A refusal as ``str.format`` templates: (Chinese for reviewers, English for logs)."""


@dataclass(frozen=True)
class _Door:
    """What one format's door checks beyond the common ground, and how it words a refusal.

    Template fields: ``size`` (unpacked, in MB), ``unpacked`` (bytes), ``ratio``,
    ``member`` (a part's name), ``error`` (the exception that told of the damage).
    """

    max_ratio: float | None  # None: the unpacked size alone is bounded
    compression: Wording
    too_large: Wording
    declares: Wording
    types_declare: Wording
    bad_types: Wording | None  # None: a broken table is left to the parser, which refuses it
    damaged: Wording
    bad_crc: Wording | None  # None: CRCs left to the parser, which checks each part it reads

    def refuse(self, wording: Wording, **fields: object) -> UnsafePackageError:
        reason, reason_en = wording
        return UnsafePackageError(reason.format(**fields), reason_en.format(**fields))


_XXE = "文件包含外部实体（DOCTYPE/ENTITY 声明），出于安全未解析"
_DOORS = {
    OfficeFormat.DOCX: _Door(
        max_ratio=100,
        compression=(
            "DOCX 使用了不支持的压缩方式，未解压",
            "DOCX member with a compression Word never uses",
        ),
        too_large=(
            "DOCX 解压后体积异常（{size}，压缩比 {ratio:.0f}:1），疑似压缩炸弹，未解压",
            "zip bomb: unpacks to {unpacked} bytes, ratio {ratio:.0f}:1",
        ),
        declares=(_XXE, "DOCX part {member} declares a DOCTYPE or ENTITY; refused"),
        types_declare=(_XXE, "DOCX [Content_Types].xml declares a DOCTYPE or ENTITY; refused"),
        bad_types=(
            "DOCX 内容类型表已损坏或不安全，未解析",
            "bad [Content_Types].xml: {error!r}",
        ),
        damaged=("DOCX 文件已损坏，无法打开", "corrupt DOCX: {error}"),
        bad_crc=("DOCX 文件已损坏（内容校验失败），无法打开", "corrupt DOCX: bad CRC in {member}"),
    ),
    OfficeFormat.XLSX: _Door(
        max_ratio=None,
        compression=(
            "XLSX 使用了不支持的压缩方式，未解压",
            "XLSX member with a compression Excel never uses",
        ),
        too_large=(
            "XLSX 解压后体积超过上限，未解压",
            "XLSX unpacks to {unpacked} bytes, beyond max_unpacked_bytes",
        ),
        declares=(
            "文件包含 DOCTYPE/ENTITY 声明，出于安全未解析",
            "XLSX part {member} declares a DOCTYPE or ENTITY",
        ),
        types_declare=(
            "文件包含 DOCTYPE/ENTITY 声明，出于安全未解析",
            "XLSX part [Content_Types].xml declares a DOCTYPE or ENTITY",
        ),
        bad_types=None,
        damaged=("不是有效的 XLSX 文件（无法解压）", "not a valid XLSX package: {error}"),
        bad_crc=None,
    ),
}


def check_office_package(path: Path, kind: OfficeFormat, *, max_unpacked_bytes: int) -> None:
    """Refuse a package that is no zip, unpacks beyond the bound, or declares a DTD/entities.

    Args:
        path: the DOCX or XLSX.
        kind: its door, which sets the checks beyond the common ground and the wording.
        max_unpacked_bytes: the most its members may unpack to, all together.

    Raises:
        UnsafePackageError: why the package is refused, in the door's words.
    """
    door = _DOORS[kind]
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if any(m.compress_type not in _OFFICE_COMPRESSIONS for m in members):
                # bzip2/lzma would decompress unbounded chunks; Office never writes them.
                raise door.refuse(door.compression)
            unpacked = sum(m.file_size for m in members)
            ratio = unpacked / max(sum(m.compress_size for m in members), 1)
            if unpacked > max_unpacked_bytes or (
                door.max_ratio is not None
                and unpacked > RATIO_FLOOR_BYTES
                and ratio > door.max_ratio
            ):
                size = f"{unpacked / (1024 * 1024):.1f} MB"
                raise door.refuse(door.too_large, size=size, unpacked=unpacked, ratio=ratio)
            # Bounded now: the declared sizes passed, and reading stops at them.
            for member in _xml_members(archive, door):
                if _declares_entities(archive, member):
                    raise door.refuse(door.declares, member=member.filename)
            damaged = archive.testzip() if door.bad_crc is not None else None
    except UnsafePackageError:
        raise
    except Exception as exc:  # zipfile and zlib signal damage with many exception types
        raise door.refuse(door.damaged, error=exc) from exc
    if damaged is not None and door.bad_crc is not None:
        raise door.refuse(door.bad_crc, member=damaged)


def holds_member(path: Path, member: str) -> bool:
    """Whether a zip holds a member of that name (``word/document.xml``: a DOCX); reads the
    zip's directory only, never a member, and says no for anything that is no zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _xml_members(archive: zipfile.ZipFile, door: _Door) -> Iterator[zipfile.ZipInfo]:
    """Every part a parser could read as XML: by name, or by its declared content type."""
    defaults, overrides = _content_types(archive, door)
    for member in archive.infolist():
        name = member.filename.lower()
        suffix = PurePosixPath(name).suffix.lstrip(".")
        content_type = overrides.get(name) or defaults.get(suffix, "")
        if suffix in ("xml", "rels") or content_type.endswith("xml"):
            yield member


def _content_types(archive: zipfile.ZipFile, door: _Door) -> tuple[dict[str, str], dict[str, str]]:
    """The package's content types: by extension, and by part name (both lower case)."""
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    try:
        types = archive.read(_CONTENT_TYPES)
    except KeyError:
        return defaults, overrides
    if any(token in types.lower() for token in _DECLARATIONS):
        raise door.refuse(door.types_declare)
    try:
        root = SafeElementTree.fromstring(types) if types else None
    except Exception as exc:  # defusedxml refuses DTDs; anything else is damage
        if door.bad_types is not None:
            raise door.refuse(door.bad_types, error=exc) from exc
        return defaults, overrides  # the parts are still found by name
    for element in root if root is not None else ():
        tag = element.tag.rsplit("}", 1)[-1]
        content_type = element.get("ContentType", "")
        if tag == "Default":
            defaults[element.get("Extension", "").lower()] = content_type
        elif tag == "Override":
            overrides[element.get("PartName", "").lstrip("/").lower()] = content_type
    return defaults, overrides


def _declares_entities(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(member) as stream:
        head = stream.read(4)
        encoding = _xml_encoding(head)
        stream_bytes: Iterable[bytes] = _chunks(stream, head)
        if encoding is not None:
            # UTF-16/32 would hide the declaration from a byte search: decode first.
            text = b"".join(stream_bytes).decode(encoding, errors="replace").lower()
            return any(token.decode() in text for token in _DECLARATIONS)
        for chunk in stream_bytes:
            window = (tail + chunk).lower()
            if any(token in window for token in _DECLARATIONS):
                return True
            tail = window[-16:]
    return False


def _chunks(stream: IO[bytes], head: bytes) -> Iterator[bytes]:
    yield head
    while chunk := stream.read(_SCAN_CHUNK):
        yield chunk


def _xml_encoding(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) or head[:4] in (
        b"<\x00\x00\x00",
        b"\x00\x00\x00<",
    ):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head[:2] == b"<\x00":
        return "utf-16-le"
    if head[:2] == b"\x00<":
        return "utf-16-be"
    return None
