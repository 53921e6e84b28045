"""The generator against its own drawing: determinism, and truth that matches the files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pdfplumber
import pypdfium2 as pdfium
import pytest
from docx import Document
from shenbao_lab.generator.applicant import make_applicant
from shenbao_lab.generator.corpus import SCENARIOS
from shenbao_lab.generator.faults import FAULTS, PAPER_FAULTS, plant
from shenbao_lab.generator.fonts import CHARSET
from shenbao_lab.generator.truth import BatchTruth, Truth

from pipeline.codes import uscc_is_valid
from pipeline.model import Annex, FindingCode, Member
from tests.rulebook import RULES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _generate(out: Path, count: int, seed: int) -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from shenbao_lab.generator import generate_corpus; "
        "generate_corpus(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))"
    )
    subprocess.run([sys.executable, "-c", code, str(out), str(count), str(seed)], check=True)


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files_in_separate_processes(tmp_path: Path) -> None:
    _generate(tmp_path / "a", 4, 7)
    _generate(tmp_path / "b", 4, 7)
    first, second = _tree_digest(tmp_path / "a"), _tree_digest(tmp_path / "b")
    assert first == second
    assert "batch/scan_0002.pdf" in first  # the stream of three after one single submission
    batch = BatchTruth.model_validate_json((tmp_path / "a/truth/batch.json").read_text())
    assert [len(ids) for ids in batch.files.values()] == [1, 3]


def test_a_different_seed_gives_different_applicants() -> None:
    templates, campaign = RULES.templates, RULES.campaign
    a = make_applicant(
        1, Annex.PILOT, templates[Annex.PILOT], campaign, frozenset(), np.random.default_rng([1, 0])
    )
    b = make_applicant(
        1, Annex.PILOT, templates[Annex.PILOT], campaign, frozenset(), np.random.default_rng([2, 0])
    )
    assert a.values["uscc"] != b.values["uscc"]


def test_every_fault_has_a_scenario_in_a_corpus_of_twelve() -> None:
    planted = {f for s in SCENARIOS for f in s.faults}
    assert planted == set(FAULTS) - {"no_paper"}
    assert {s.annex for s in SCENARIOS} == {Annex.PILOT, Annex.CERTIFICATION}


def test_greyscale_scenarios_plant_no_seal_faults() -> None:
    # On greyscale a checker may only say SEAL_UNVERIFIABLE; a planted missing seal there
    # would make the truth ambiguous.
    for s in SCENARIOS:
        if s.greyscale:
            assert not set(s.faults) & PAPER_FAULTS - {"recommendation_unfavourable"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_changes_the_applicant_and_names_findings(fault: str) -> None:
    templates, campaign = RULES.templates, RULES.campaign
    mapping = RULES.export_columns
    keys = frozenset(
        c.key for c in mapping.columns if c.type not in ("record_id", "annex", "datetime")
    )
    annex = Annex.CERTIFICATION if fault.startswith("kpi_") else Annex.PILOT
    rng = np.random.default_rng(3)
    clean = make_applicant(1, annex, templates[annex], campaign, keys, rng)
    changed, findings = plant(clean, (fault,), templates[annex], campaign, rng)
    assert changed != clean
    assert fault in changed.faults
    assert findings, f"{fault} plants no expected finding"


# --- the committed corpus ---------------------------------------------------------------


def _truths() -> list[Truth]:
    return [
        Truth.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted((SAMPLES / "truth").glob("[PC]*.json"))
    ]


def test_committed_corpus_is_small_and_complete() -> None:
    size = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert size <= 20 * 1024 * 1024
    truths = _truths()
    assert len(truths) >= 12
    assert {t.annex for t in truths} == {Annex.PILOT, Annex.CERTIFICATION}
    planted = {f for t in truths for f in t.faults}
    assert planted == set(FAULTS) - {"no_paper"}
    batch = BatchTruth.model_validate_json((SAMPLES / "truth/batch.json").read_text())
    assert any(len(ids) > 1 for ids in batch.files.values()), "no scanner stream"
    assert [f.code for f in batch.expected_batch_findings] == [FindingCode.PAPER_MISSING]


def test_uscc_check_digits_are_valid_unless_planted_invalid() -> None:
    for truth in _truths():
        for source in truth.sources:
            uscc = source.fields["uscc"].value
            planted = "uscc_bad_check_digit" in truth.faults
            assert uscc_is_valid(str(uscc)) is not planted, (truth.applicant, uscc)
            members = source.fields["members"].value if "members" in source.fields else []
            for member in members or []:
                assert isinstance(member, Member)
                assert uscc_is_valid(member.uscc), member
        online_uscc = truth.online.values.get("uscc")
        if online_uscc is not None:
            assert uscc_is_valid(str(online_uscc))


def _red_fraction(image: np.ndarray, box: tuple[float, float, float, float]) -> float:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    crop = image[y0:y1, x0:x1].astype(int)
    red = (
        (crop[..., 0] > 150)
        & (crop[..., 0] - crop[..., 1] > 60)
        & (crop[..., 0] - crop[..., 2] > 50)
    )
    return float(red.mean()) if red.size else 0.0


def test_seals_are_drawn_where_the_truth_puts_them_and_nowhere_else() -> None:
    checked = 0
    for truth in _truths():
        scan = next(s for s in truth.sources if s.kind == "scan")
        if scan.page_truth[0].greyscale:
            continue
        document = pdfium.PdfDocument(SAMPLES / scan.file)
        try:
            for page in scan.page_truth:
                image = np.asarray(
                    document[page.file_page - 1].render(scale=50 / 72).to_pil().convert("RGB")
                )
                seals = [s for s in scan.seals if s.page == page.number]
                for seal in seals:
                    assert _red_fraction(image, seal.bbox) > 0.05, (truth.applicant, seal.slot)
                    checked += 1
                if not seals:
                    assert _red_fraction(image, (0, 0, 1, 1)) < 0.0005, (
                        truth.applicant,
                        page.number,
                    )
        finally:
            document.close()
        missing = {f.slot for f in scan.expected_findings if f.code == FindingCode.SEAL_MISSING}
        assert not missing & {s.slot for s in scan.seals}
    assert checked > 20


def test_planted_seal_owners_are_what_the_truth_says() -> None:
    for truth in _truths():
        scan = next(s for s in truth.sources if s.kind == "scan")
        owners = {s.slot: s.owner for s in scan.seals}
        lead_org = scan.fields["lead_org"].value
        for slot, owner in owners.items():
            if slot.startswith("lead_org"):
                mismatch = any(
                    f.code == FindingCode.SEAL_OWNER_MISMATCH and f.slot == slot
                    for f in scan.expected_findings
                )
                assert (owner != lead_org) is mismatch, (truth.applicant, slot)


def test_born_digital_pdf_text_layer_is_the_truth_text() -> None:
    for truth in _truths()[:4]:
        source = next(s for s in truth.sources if s.kind == "text_layer")
        with pdfplumber.open(SAMPLES / source.file) as pdf:
            assert len(pdf.pages) == source.pages[1]
            for page in source.page_truth:
                text = "".join(pdf.pages[page.file_page - 1].extract_text().split())
                for line in page.lines:
                    assert "".join(line.text.split()) in text, line.text


def test_docx_carries_the_field_values() -> None:
    for truth in _truths()[:4]:
        source = next(s for s in truth.sources if s.kind == "docx")
        document = Document(str(SAMPLES / source.file))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        text = "\n".join([p.text for p in document.paragraphs] + cells)
        for key in ("uscc", "lead_org", "legal_rep", "address"):
            assert source.fields[key].raw in text, key


def test_export_has_a_row_per_online_filing_and_the_csv_is_gb18030() -> None:
    truths = _truths()
    book = openpyxl.load_workbook(SAMPLES / "online/export.xlsx", read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert list(header) == [c.header for c in RULES.export_columns.columns]
    ids = {row[0] for row in body}
    online = {t.online.record_id for t in truths if t.online.present}
    batch = json.loads((SAMPLES / "truth/batch.json").read_text())
    paper_missing = {f["key"] for f in batch["expected_batch_findings"]}
    assert ids == online | paper_missing
    offline = {t.online.record_id for t in truths if not t.online.present}
    assert not offline & ids
    csv_text = (SAMPLES / "online/export.csv").read_bytes().decode("gb18030")
    assert len(csv_text.strip().splitlines()) == len(rows)


def test_truth_text_uses_only_characters_the_fonts_carry() -> None:
    for truth in _truths():
        for source in truth.sources:
            for page in source.page_truth:
                for line in page.lines:
                    assert set(line.text) <= CHARSET | {" "}, line.text


def test_scans_are_image_only_at_scanner_resolutions() -> None:
    for path in sorted((SAMPLES / "batch").glob("*.pdf")):
        with pdfplumber.open(path) as pdf:
            assert not any(page.chars for page in pdf.pages), path.name
            for page in pdf.pages:
                (image,) = page.images
                dpi = image["srcsize"][0] / (float(page.width) / 72)
                assert 195 <= dpi <= 305, (path.name, dpi)


def test_page_truth_boxes_fall_on_the_text() -> None:
    """A clean (non-degraded) colour page: dark ink inside most printed-line boxes."""
    truth = _truths()[0]
    scan = next(s for s in truth.sources if s.kind == "scan")
    page = scan.page_truth[2]
    document = pdfium.PdfDocument(SAMPLES / scan.file)
    image = np.asarray(document[page.file_page - 1].render(scale=100 / 72).to_pil().convert("L"))
    document.close()
    h, w = image.shape
    inked = 0
    printed = [line for line in page.lines if not line.handwritten]
    for line in printed:
        x0, y0, x1, y1 = line.bbox
        crop = image[int(y0 * h) : int(y1 * h) + 1, int(x0 * w) : int(x1 * w) + 1]
        inked += int((crop < 110).mean() > 0.03)
    assert inked / len(printed) > 0.95
