"""Re-record the frozen OCR that the golden tests replay (``golden/ocr/<scan>.json``).

Run from the project root when the goldens say a page image has no frozen OCR (page
rendering or normalisation changed, so the images the OCR sees changed)::

    .venv/bin/python -m tests.extractors.golden.record            # every golden scan
    .venv/bin/python -m tests.extractors.golden.record scan_0008  # one
    .venv/bin/python -m tests.extractors.golden.record --no-cache # OCR afresh

It runs the configured OCR engine (PP-OCRv6 by default) behind the OCR cache under
``SHENBAO_CACHE_DIR`` (``var/cache``), so pages already read are not read again; then
rewrite the fields goldens with ``pytest tests/extractors/test_golden.py --update-golden``
and review their diff. Extraction changes never need a re-recording: the frozen OCR
depends only on the page images.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shenbao.pipeline.ingest import SniffedFile, discover, sniff
from shenbao.pipeline.ocr.cache import CachedEngine
from shenbao.pipeline.ocr.engine import OcrEngine, create_engine
from shenbao.pipeline.ocr.replay import RecordingEngine
from shenbao.pipeline.run import read_pages
from shenbao.pipeline.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"
FROZEN_DIR = Path(__file__).resolve().parent / "ocr"
# A degraded certification form (an unfavourable opinion), a pilot form with a page fed
# upside down, a missing section and a bad check digit, and a scanner stream of three
# submissions whose last one is greyscale.
SCANS = ("scan_0007.pdf", "scan_0008.pdf", "scan_0010.pdf")
COMMAND = "python -m tests.extractors.golden.record"


def frozen_ocr_path(scan: str) -> Path:
    """Where the frozen OCR of a scan in ``samples/batch`` lives."""
    return FROZEN_DIR / f"{Path(scan).stem}.json"


def sniffed_scan(scan: str, settings: Settings) -> SniffedFile:
    (found,) = discover([SAMPLES / "batch" / scan])
    return sniff(found, settings)


def record(scan: str, settings: Settings, *, use_cache: bool = True) -> Path:
    """Read every page of one scan with the real OCR and save what it read."""
    inner: OcrEngine = create_engine(settings.ocr)
    if use_cache:
        inner = CachedEngine(inner, settings.cache_dir / "ocr")
    engine = RecordingEngine(inner)
    failed = [
        f"page {r.page.source_page}: {r.error_en}"
        for r in read_pages(sniffed_scan(scan, settings), settings, engine)
        if r.error
    ]
    if failed:
        raise SystemExit(f"{scan}: not recorded, pages failed: {'; '.join(failed)}")
    path = frozen_ocr_path(scan)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine.save(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("scans", nargs="*", help=f"scans to record (default: {' '.join(SCANS)})")
    parser.add_argument("--no-cache", action="store_true", help="OCR afresh, ignoring the cache")
    arguments = parser.parse_args(argv)
    settings = Settings()
    for scan in arguments.scans or SCANS:
        name = scan if scan.endswith(".pdf") else f"{scan}.pdf"
        path = record(name, settings, use_cache=not arguments.no_cache)
        print(f"{name}: {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1:])
