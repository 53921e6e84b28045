"""Two paper copies of one form compared (COPIES_DIFFER)."""

from __future__ import annotations

import functools

import pytest

from extractors.fields import extract
from pipeline.model import Finding, Submission
from tests.readers import SAMPLES, read_electronic
from tests.rulebook import RULES
from tests.validators.corpus import CONTEXT, with_field
from validators.copies import copies_differ
from validators.matching import copy_groups


@functools.cache
def _copies(stem: str) -> tuple[Submission, Submission]:
    """An applicant's text-layer PDF and DOCX: the same form, read two ways (their ids made
    distinct as a batch makes them)."""
    pdf, docx = (
        extract(read_electronic(SAMPLES / "electronic" / f"{stem}.{kind}"), RULES)
        for kind in ("pdf", "docx")
    )
    return pdf, docx.model_copy(update={"id": f"{docx.id}-docx"})


def _found(findings: dict[str, list[Finding]]) -> dict[str, list[tuple[str, str | None]]]:
    return {sid: [(f.code.value, f.field) for f in fs] for sid, fs in findings.items()}


@pytest.mark.parametrize("stem", ["P001", "P006", "C003", "C012"])
def test_two_faithful_copies_do_not_differ(stem: str) -> None:
    pdf, docx = _copies(stem)
    assert [[s.id for s in g] for g in copy_groups([pdf, docx], CONTEXT)] == [[pdf.id, docx.id]]
    assert _found(copies_differ([pdf, docx], CONTEXT)) == {pdf.id: [], docx.id: []}


def test_a_changed_number_is_named_on_both_copies() -> None:
    pdf, docx = _copies("P001")
    changed = with_field(docx, "revenue", round(float(pdf.fields["revenue"].value) + 9, 2))  # type: ignore[arg-type]
    findings = copies_differ([pdf, changed], CONTEXT)
    assert _found(findings) == {
        pdf.id: [("COPIES_DIFFER", "revenue")],
        docx.id: [("COPIES_DIFFER", "revenue")],
    }
    (mine,) = findings[pdf.id]
    assert mine.key == docx.id and mine.paper == pdf.fields["revenue"].value
    assert (mine.page, mine.bbox) == (pdf.fields["revenue"].page, pdf.fields["revenue"].bbox)
    assert "本份纸质材料" in mine.message and "另一份纸质材料" in mine.message
    assert docx.source.file in mine.message


def test_a_unit_slip_between_copies_is_named() -> None:
    pdf, docx = _copies("P001")
    value = float(pdf.fields["rd_spend"].value)  # type: ignore[arg-type]
    (found,) = copies_differ([pdf, with_field(docx, "rd_spend", value * 10000)], CONTEXT)[pdf.id]
    assert "元" in found.message and "10000倍" in found.message


def test_an_unsure_reading_decides_nothing() -> None:
    pdf, docx = _copies("P001")
    changed = with_field(docx, "legal_rep", "王小明", confidence=0.5)
    assert _found(copies_differ([pdf, changed], CONTEXT)) == {pdf.id: [], docx.id: []}


def test_a_member_on_one_copy_only() -> None:
    pdf, docx = _copies("P001")
    members = list(docx.fields["members"].value)  # type: ignore[arg-type]
    fields = dict(docx.fields)
    fields["members"] = docx.fields["members"].model_copy(update={"value": members[1:]})
    (found,) = copies_differ([pdf, docx.model_copy(update={"fields": fields})], CONTEXT)[pdf.id]
    assert found.field == "members" and members[0].name in found.message
