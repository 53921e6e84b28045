"""Byte-identical output for a seed: office formats embed times that must be pinned."""

from __future__ import annotations

import io
import re
import zipfile

FIXED_TIME = (2022, 8, 1, 9, 0, 0)
_CORE_TIMES = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def normalise_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip (DOCX, XLSX) with fixed entry times and core-property dates."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>2022-08-01T09:00:00Z\g<3>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()
