"""Fields goldens: frozen OCR in, the extracted fields, findings and page order out.

Stage one of the goldens is the frozen OCR of three scans (``golden/ocr/<scan>.json``,
made by ``python -m tests.extractors.golden.record``); it depends only on the page
images. Here those scans are rendered and normalised as a batch does, their OCR is
replayed by image digest (the OCR models never run), and ``extract`` runs on each
submission; the result is compared with ``golden/fields/<submission_id>.json``. Four
electronic copies (text-layer PDF and DOCX of both annexes) need no OCR at all.

When extraction changes on purpose, rewrite the goldens and review their diff::

    .venv/bin/pytest tests/extractors/test_golden.py --update-golden
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shenbao.extractors.fields import extract
from shenbao.pipeline.config import load_campaign
from shenbao.pipeline.errors import OcrError
from shenbao.pipeline.model import Submission
from shenbao.pipeline.ocr import rapid
from shenbao.pipeline.ocr.replay import FrozenOcr, ReplayEngine
from shenbao.pipeline.run import assemble, read_pages
from shenbao.samples.generator.truth import BatchTruth, Truth
from tests.extractors.golden.record import COMMAND, SCANS, frozen_ocr_path, sniffed_scan
from tests.readers import SAMPLES, SETTINGS, TEMPLATES, read_electronic

FIELDS_DIR = Path(__file__).resolve().parent / "golden" / "fields"
UPDATE = "pytest tests/extractors/test_golden.py --update-golden"
CAMPAIGN = load_campaign()
ELECTRONIC = ("P006.pdf", "C009.pdf", "P010.docx", "C012.docx")

_BATCH = BatchTruth.model_validate_json(
    (SAMPLES / "truth" / "batch.json").read_text(encoding="utf-8")
)
SCANNED = [(scan, sid) for scan in SCANS for sid in _BATCH.files[scan]]
ELECTRONIC_IDS = [
    (name, source.submission_id)
    for name in ELECTRONIC
    for source in Truth.model_validate_json(
        (SAMPLES / "truth" / f"{Path(name).stem}.json").read_text(encoding="utf-8")
    ).sources
    if source.file == f"electronic/{name}"
]
# One golden per submission id: the cases must not share one.
assert len({sid for _, sid in SCANNED + ELECTRONIC_IDS}) == len(SCANNED + ELECTRONIC_IDS)


@pytest.fixture(autouse=True)
def _no_ocr_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The goldens replay OCR: loading the real recogniser is a failure."""

    def refuse(self: object) -> None:
        raise AssertionError("a golden test started the real OCR engine")

    monkeypatch.setattr(rapid.RapidEngine, "_load", refuse)
    yield


@cache
def _replayed(scan: str) -> tuple[Submission, ...]:
    """The submissions of one scan, read with its frozen OCR (once per session)."""
    path = frozen_ocr_path(scan)
    if not path.is_file():
        pytest.fail(f"no frozen OCR {path}: record it with `{COMMAND} {scan}`")
    engine = ReplayEngine(FrozenOcr.model_validate_json(path.read_text(encoding="utf-8")))
    sniffed = sniffed_scan(scan, SETTINGS)
    read = list(read_pages(sniffed, SETTINGS, engine))
    misses = [r.page.source_page for r in read if r.error_en and "no frozen OCR" in r.error_en]
    if misses:
        pytest.fail(
            f"{scan}: the frozen OCR has no reading of the image of file page(s) {misses}: "
            "page rendering or normalisation changed, so the images the OCR sees did. "
            f"Re-record with `{COMMAND} {scan}`, then `{UPDATE}`."
        )
    assert not [r for r in read if r.error], [r.error_en for r in read if r.error]
    assert sniffed.entry.sha256 is not None
    document = assemble(sniffed.source.name, sniffed.entry.sha256, read, TEMPLATES)
    return tuple(document.submissions)


def _golden_view(submission: Submission) -> dict[str, Any]:
    """What a golden holds: the extraction's output, as the report writes it."""
    data = submission.model_dump(
        mode="json", by_alias=True, include={"id", "annex", "fields", "findings", "page_order"}
    )
    return json.loads(json.dumps(data))  # tuples as lists, as read back from a file


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _check_golden(submission: Submission, update: bool) -> None:
    path = FIELDS_DIR / f"{submission.id}.json"
    actual = _golden_view(submission)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dumps(actual), encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no golden {path.name}: create it with `{UPDATE}` and review it")
    expected = json.loads(path.read_text(encoding="utf-8"))
    if actual != expected:
        diff = difflib.unified_diff(
            _dumps(expected).splitlines(),
            _dumps(actual).splitlines(),
            f"golden/{path.name}",
            "extracted now",
            lineterm="",
        )
        shown = list(diff)
        more = f"\n… {len(shown) - 80} more diff lines" if len(shown) > 80 else ""
        pytest.fail(
            f"{submission.id} differs from its golden (if the change is meant, `{UPDATE}` "
            f"and review the diff):\n" + "\n".join(shown[:80]) + more
        )


@pytest.mark.parametrize(("scan", "submission_id"), SCANNED, ids=[sid for _, sid in SCANNED])
def test_fields_of_a_scan_from_frozen_ocr_match_the_golden(
    scan: str, submission_id: str, request: pytest.FixtureRequest
) -> None:
    submissions = {s.id: s for s in _replayed(scan)}
    assert submission_id in submissions, f"{scan} split into {sorted(submissions)}"
    extracted = extract(submissions[submission_id], TEMPLATES, CAMPAIGN)
    _check_golden(extracted, request.config.getoption("--update-golden"))


@pytest.mark.parametrize(
    ("name", "submission_id"), ELECTRONIC_IDS, ids=[name for name, _ in ELECTRONIC_IDS]
)
def test_fields_of_an_electronic_copy_match_the_golden(
    name: str, submission_id: str, request: pytest.FixtureRequest
) -> None:
    submission = read_electronic(SAMPLES / "electronic" / name)
    assert submission.id == submission_id
    extracted = extract(submission, TEMPLATES, CAMPAIGN)
    _check_golden(extracted, request.config.getoption("--update-golden"))


def test_the_replay_engine_fails_on_a_page_it_has_no_reading_of() -> None:
    """Replay never falls back to reading: an unknown image is an error, not an OCR run."""
    engine = ReplayEngine(
        FrozenOcr.model_validate_json(frozen_ocr_path(SCANS[0]).read_text(encoding="utf-8"))
    )
    assert engine.fingerprint.startswith("replay-")
    with pytest.raises(OcrError, match="no frozen OCR"):
        engine.recognize(np.full((40, 30, 3), 255, np.uint8))


def test_every_golden_file_has_its_case() -> None:
    """A golden left behind by a removed case would never be checked again."""
    cases = {f"{sid}.json" for _, sid in SCANNED + ELECTRONIC_IDS}
    assert {p.name for p in FIELDS_DIR.glob("*.json")} <= cases
    assert {p.name for p in frozen_ocr_path(SCANS[0]).parent.glob("*.json")} == {
        frozen_ocr_path(scan).name for scan in SCANS
    }


def test_a_page_image_the_frozen_ocr_lacks_asks_for_a_re_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As after a change to page normalisation: the images no longer match the recording."""
    scan = SCANS[0]
    frozen = FrozenOcr.model_validate_json(frozen_ocr_path(scan).read_text(encoding="utf-8"))
    (lost, *_) = frozen.pages
    partial = tmp_path / "ocr.json"
    partial.write_text(
        frozen.model_copy(
            update={"pages": {k: v for k, v in frozen.pages.items() if k != lost}}
        ).to_json(),
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "frozen_ocr_path", lambda _: partial)
    asked = re.escape(f"Re-record with `{COMMAND} {scan}`")
    with pytest.raises(pytest.fail.Exception, match=asked):
        _replayed.__wrapped__(scan)
