"""Fields goldens: frozen OCR in, the extracted fields, findings and page order out.

Stage one of the goldens is the frozen OCR of three scans (``golden/ocr/<scan>.json``,
made by ``python -m tests.extractors.golden.record``): each page as reading left it —
turned, deskewed, OCR'd, its tick boxes measured. Here those pages are split into
submissions as a batch splits them and ``extract`` runs on each; no page image is
rendered and ONNX Runtime is never asked for a session. The result is compared with
``golden/fields/<submission_id>.json``. Four electronic copies (text-layer PDF and DOCX
of both annexes) need no OCR at all.

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

import onnxruntime
import pytest
from shenbao_lab.generator.truth import BatchTruth, Truth

from extractors.fields import extract
from pipeline.model import Submission
from pipeline.run import assemble
from tests.extractors.golden.record import (
    COMMAND,
    SCANS,
    FrozenScan,
    frozen_ocr_path,
    load_frozen,
    sniffed_scan,
)
from tests.readers import SAMPLES, SETTINGS, TEMPLATES, read_electronic
from tests.rulebook import RULES

FIELDS_DIR = Path(__file__).resolve().parent / "golden" / "fields"
UPDATE = "pytest tests/extractors/test_golden.py --update-golden"
CAMPAIGN = RULES.campaign
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
def _no_onnx_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Stage two runs without ONNX Runtime: asking it for a session is a failure."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a golden test asked ONNX Runtime for a session")

    monkeypatch.setattr(onnxruntime, "InferenceSession", refuse)
    yield


@cache
def _replayed(scan: str) -> tuple[Submission, ...]:
    """The submissions of one scan, split from its frozen pages (once per session)."""
    if not frozen_ocr_path(scan).is_file():
        pytest.fail(f"no frozen OCR {frozen_ocr_path(scan)}: record it with `{COMMAND} {scan}`")
    frozen = load_frozen(scan)
    sniffed = sniffed_scan(scan, SETTINGS)
    if frozen.sha256 != sniffed.entry.sha256:
        pytest.fail(
            f"{scan} is not the scan its frozen OCR was recorded from (the sample changed). "
            f"Re-record with `{COMMAND} {scan}`, then `{UPDATE}`."
        )
    read = list(frozen.pages)
    assert not [r for r in read if r.error], [r.error_en for r in read if r.error]
    document = assemble(sniffed.source.name, frozen.sha256, read, TEMPLATES)
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
    extracted = extract(submissions[submission_id], RULES)
    _check_golden(extracted, request.config.getoption("--update-golden"))


@pytest.mark.parametrize(
    ("name", "submission_id"), ELECTRONIC_IDS, ids=[name for name, _ in ELECTRONIC_IDS]
)
def test_fields_of_an_electronic_copy_match_the_golden(
    name: str, submission_id: str, request: pytest.FixtureRequest
) -> None:
    submission = read_electronic(SAMPLES / "electronic" / name)
    assert submission.id == submission_id
    extracted = extract(submission, RULES)
    _check_golden(extracted, request.config.getoption("--update-golden"))


def test_stage_two_really_has_no_onnx_runtime() -> None:
    """The guard the goldens run under: any model session is refused."""
    with pytest.raises(AssertionError, match="ONNX Runtime"):
        onnxruntime.InferenceSession("model.onnx")


def test_frozen_pages_carry_what_reading_found() -> None:
    """Stage one kept each page's OCR lines (with character scores where the engine gave
    them) and the tick boxes with their ink."""
    frozen = load_frozen(SCANS[0])
    assert frozen.engine and len(frozen.sha256) == 64
    lines = [line for r in frozen.pages for line in r.page.lines]
    assert lines and any(line.char_confidences is not None for line in lines)
    assert any(r.page.boxes for r in frozen.pages)


def test_every_golden_file_has_its_case() -> None:
    """A golden left behind by a removed case would never be checked again."""
    cases = {f"{sid}.json" for _, sid in SCANNED + ELECTRONIC_IDS}
    assert {p.name for p in FIELDS_DIR.glob("*.json")} <= cases
    assert {p.name for p in frozen_ocr_path(SCANS[0]).parent.glob("*.json")} == {
        frozen_ocr_path(scan).name for scan in SCANS
    }


def test_a_changed_scan_asks_for_a_re_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frozen pages of another file than the sample's are never used silently."""
    scan = SCANS[0]
    stale = tmp_path / "ocr.json"
    frozen = load_frozen(scan)
    stale.write_text(
        FrozenScan.model_validate(frozen.model_copy(update={"sha256": "0" * 64})).model_dump_json(),
        encoding="utf-8",
    )
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "frozen_ocr_path", lambda _: stale)
    monkeypatch.setattr(
        module, "load_frozen", lambda _: FrozenScan.model_validate_json(stale.read_text())
    )
    asked = re.escape(f"Re-record with `{COMMAND} {scan}`")
    with pytest.raises(pytest.fail.Exception, match=asked):
        _replayed.__wrapped__(scan)
