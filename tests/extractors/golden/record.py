"""Re-record the frozen OCR the golden tests start from (``golden/ocr/<scan>.json``).

A frozen file holds one scan's pages as reading left them: rendered, normalised (turn,
deskew), OCR'd and their tick boxes measured — each page's text lines with boxes and
character scores, its boxes with their ink, and the scan's sha256. Stage two (the fields
goldens) starts from there, so it needs neither the page images nor ONNX Runtime.

Run from the project root when the sample scans, page reading or the OCR engine changed
(the golden test says so when the scan's sha256 no longer matches)::

    .venv/bin/python -m tests.extractors.golden.record            # every golden scan
    .venv/bin/python -m tests.extractors.golden.record scan_0008  # one
    .venv/bin/python -m tests.extractors.golden.record --no-cache # OCR afresh

It runs the configured OCR engine (PP-OCRv6 by default) behind the OCR cache under
``SHENBAO_CACHE_DIR`` (``var/cache``), so pages already read are not read again; then
rewrite the fields goldens with ``pytest tests/extractors/test_golden.py --update-golden``
and review their diff. Extraction changes never need a re-recording.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.ingest import SniffedFile, discover, sniff
from pipeline.model import Frozen
from pipeline.ocr.cache import CachedEngine
from pipeline.ocr.engine import OcrEngine
from pipeline.ocr.registry import create_engine
from pipeline.read import ReadPage
from pipeline.rulebook import Rules, load_rules
from pipeline.run import read_pages
from pipeline.settings import Settings

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


class FrozenScan(Frozen):
    """One scan's pages as read, with what identifies the scan and the reader."""

    file: str
    sha256: str
    engine: str
    pages: tuple[ReadPage, ...]


def load_frozen(scan: str) -> FrozenScan:
    return FrozenScan.model_validate_json(frozen_ocr_path(scan).read_text(encoding="utf-8"))


def sniffed_scan(scan: str, settings: Settings) -> SniffedFile:
    (found,) = discover([SAMPLES / "batch" / scan])
    return sniff(found, settings)


def record(scan: str, settings: Settings, rules: Rules, *, use_cache: bool = True) -> Path:
    """Read every page of one scan with the real OCR and save the pages as read."""
    engine: OcrEngine = create_engine(settings.ocr)
    if use_cache:
        engine = CachedEngine(engine, settings.cache_dir / "ocr")
    sniffed = sniffed_scan(scan, settings)
    read = tuple(read_pages(sniffed, settings, rules, engine))
    failed = [f"page {r.page.source_page}: {r.error_en}" for r in read if r.error]
    if failed:
        raise SystemExit(f"{scan}: not recorded, pages failed: {'; '.join(failed)}")
    assert sniffed.entry.sha256 is not None
    frozen = FrozenScan(file=scan, sha256=sniffed.entry.sha256, engine=engine.name, pages=read)
    path = frozen_ocr_path(scan)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(frozen.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("scans", nargs="*", help=f"scans to record (default: {' '.join(SCANS)})")
    parser.add_argument("--no-cache", action="store_true", help="OCR afresh, ignoring the cache")
    arguments = parser.parse_args(argv)
    settings = Settings()
    rules = load_rules(settings.rules_dir)
    for scan in arguments.scans or SCANS:
        name = scan if scan.endswith(".pdf") else f"{scan}.pdf"
        path = record(name, settings, rules, use_cache=not arguments.no_cache)
        print(f"{name}: {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1:])
