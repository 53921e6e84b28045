"""A report's paper values beside its filing's (``usecases.filing``): compared as the
checks compare them, the unsure and the unread not compared; the batch's export read from
the store, or why it cannot be."""

from __future__ import annotations

import hashlib
from pathlib import Path

from extractors.fields import extract
from pipeline.model import (
    ExtractedField,
    Manifest,
    OnlineExportRef,
    OnlineMatch,
    OnlineRecord,
    Report,
)
from storage.base import original_key
from storage.local_store import LocalStore
from tests.readers import SAMPLES, read_electronic
from tests.reports.conftest import electronic_report
from tests.rulebook import RULES
from usecases.check import validation_context
from usecases.filing import Agreement, ExportState, batch_export, beside_filing
from validators.compare import compare_online, compared_pairs


def _filing(report: Report, **changed: object) -> OnlineRecord:
    """The filing as the paper reads, but for ``changed`` (an export column's raw cell)."""
    columns = {c.key for c in RULES.export_columns.columns}
    fields = {k: v.value for k, v in report.fields.items() if k in columns}
    return OnlineRecord(record_id="GZ2022-0001", annex=report.annex, row=2, fields=fields | changed)


def test_every_compared_field_stands_beside_the_paper() -> None:
    report = electronic_report("P001.pdf")
    revenue = report.fields["revenue"].value
    assert isinstance(revenue, float)
    # the export's text with thousands separators: the same number
    record = _filing(report, revenue=f"{revenue:,.2f}", legal_rep="王大明", mobile="13900000000")
    fields = dict(report.fields)
    unsure = fields["contact"].model_copy(update={"confidence": 0.3})
    fields["contact"] = unsure
    del fields["mobile"]
    report = report.model_copy(update={"fields": fields})
    beside = beside_filing(report, record, RULES)
    # the compared fields are the template's the export has a column for, in form order
    template = RULES.templates[report.annex]
    keys = [s.key for s in template.fields] + [t.key for t in template.tables]
    covered = [k for k in keys if k in record.fields]
    assert list(beside) == covered
    assert beside["legal_rep"].agreement is Agreement.DIFFERS
    assert beside["legal_rep"].online == "王大明"
    assert beside["contact"].agreement is Agreement.UNSURE
    assert beside["mobile"].agreement is Agreement.UNREAD and beside["mobile"].paper is None
    assert beside["mobile"].online == "13900000000"
    # the online side normalised as compared: the separators folded away
    assert beside["revenue"].online == revenue
    assert beside["revenue"].agreement is Agreement.SAME
    differs = {k for k, b in beside.items() if b.agreement is Agreement.DIFFERS}
    assert differs == {"legal_rep"}
    context = validation_context(RULES).model_copy(update={"online": record})
    pairs = compared_pairs(report.fields, template, record, context)
    assert [p.spec.key for p in pairs] == covered
    assert [p.sure for p in pairs if p.spec.key in ("contact", "mobile")] == [False, False]


def test_the_checks_find_what_the_pairs_say() -> None:
    submission = extract(read_electronic(SAMPLES / "electronic" / "P001.pdf"), RULES)
    report = electronic_report("P001.pdf")
    record = _filing(report, legal_rep="王大明", email="someone@example.com")
    context = validation_context(RULES).model_copy(update={"online": record})
    found = {f.field for f in compare_online(submission, context)}
    beside = beside_filing(report, record, RULES)
    assert found == {k for k, b in beside.items() if b.agreement is Agreement.DIFFERS}
    assert found >= {"legal_rep"}


def test_the_batch_export_from_the_store_or_why_not(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    export = "申报编号,申报类型(试点/认定),法定代表人\nGZ2022-0001,试点,余晓燕\n".encode()
    sha256 = hashlib.sha256(export).hexdigest()
    ref = OnlineExportRef(file="export.csv", sha256=sha256, size=len(export))
    assert batch_export(store, Manifest(batch="b1", files=()), RULES).state is ExportState.NONE
    manifest = Manifest(batch="b1", files=(), online=ref)
    missing = batch_export(store, manifest, RULES)
    assert missing.state is ExportState.NOT_KEPT and missing.file == "export.csv"
    store.put_bytes(original_key(sha256), b"something else")
    assert batch_export(store, manifest, RULES).state is ExportState.UNREADABLE
    store.put_bytes(original_key(sha256), export)
    loaded = batch_export(store, manifest, RULES)
    assert loaded.state is ExportState.LOADED and loaded.records is not None
    assert loaded.records["GZ2022-0001"].fields == {"legal_rep": "余晓燕"}
    # a report matched to it: its one compared field beside the paper's
    report = Report.model_validate(
        {
            "batch": "b1",
            "submission_id": "s1",
            "annex": "pilot",
            "source": {"file": "s1.pdf", "sha256": "ab" * 32, "pages": [1, 1]},
            "status": "pass",
            "fields": {
                "legal_rep": ExtractedField(value="余晓燕", raw="余晓燕", confidence=0.99),
            },
            "online": OnlineMatch(matched_by="uscc", record_id="GZ2022-0001"),
        }
    )
    beside = beside_filing(report, loaded.records["GZ2022-0001"], RULES)
    assert list(beside) == ["legal_rep"] and beside["legal_rep"].agreement is Agreement.SAME
