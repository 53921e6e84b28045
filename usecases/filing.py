"""A submission's paper values beside its online filing's, field by field.

The report keeps only which filing it was matched to (``report.online``: record id, how
matched); the filing's values are in the batch's export, which ``shenbao run`` and
``shenbao reconcile`` keep under ``originals/{sha256}`` (the manifest's ``online``). This
loads that export (``batch_export``) and puts each field the online comparison covers
beside the paper's reading, compared exactly as the checks compare them
(``validators.compare.compared_pairs``), so what a reviewer sees side by side is what the
FIELD_MISMATCH findings were drawn from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pipeline.errors import InputError
from pipeline.model import FieldValue, Manifest, OnlineRecord, Report
from pipeline.rulebook import Rules
from storage.base import ObjectStore, original_key
from usecases.check import validation_context
from usecases.review import stored_online
from validators.compare import compared_pairs


class ExportState(StrEnum):
    """Whether a batch's online export can be read from the store."""

    LOADED = "loaded"
    NONE = "none"  # the batch ran without an export
    NOT_KEPT = "not_kept"  # stored before run and reconcile kept the export
    UNREADABLE = "unreadable"  # kept, but not the batch's export or not an export


@dataclass(frozen=True)
class BatchExport:
    """A batch's online export as the store holds it: its records by 申报编号 when loaded."""

    state: ExportState
    file: str | None = None
    sha256: str | None = None
    records: Mapping[str, OnlineRecord] | None = None


def batch_export(store: ObjectStore, manifest: Manifest, rules: Rules) -> BatchExport:
    """The export the batch was last checked against, from ``originals/{sha256}``."""
    ref = manifest.online
    if ref is None:
        return BatchExport(ExportState.NONE)
    if not store.exists(original_key(ref.sha256)):
        return BatchExport(ExportState.NOT_KEPT, ref.file, ref.sha256)
    try:
        records = stored_online(store, manifest, rules)
    except InputError:
        return BatchExport(ExportState.UNREADABLE, ref.file, ref.sha256)
    by_id = {r.record_id: r for r in records or ()}
    return BatchExport(ExportState.LOADED, ref.file, ref.sha256, by_id)


class Agreement(StrEnum):
    """How one field's paper value stands to the filing's."""

    SAME = "same"
    DIFFERS = "differs"
    UNSURE = "unsure"  # the paper's reading is below the review threshold: not compared
    UNREAD = "unread"  # the paper has no reading of the field: not compared


@dataclass(frozen=True)
class BesideFiling:
    """One field the online comparison covers: the paper's value and the filing's (both
    normalised as compared), and how they stand."""

    key: str
    paper: FieldValue
    online: FieldValue
    agreement: Agreement


def beside_filing(report: Report, record: OnlineRecord, rules: Rules) -> dict[str, BesideFiling]:
    """Every field the online comparison covers for ``report`` against ``record`` (the
    filing it was matched to), by key, in the form's order; empty when the report's annex
    has no template."""
    template = rules.templates.get(report.annex)
    if template is None:
        return {}
    context = validation_context(rules, report.received)
    out = {}
    for pair in compared_pairs(report.fields, template, record, context):
        if pair.reading is None:
            agreement = Agreement.UNREAD
        elif not pair.sure:
            agreement = Agreement.UNSURE
        else:
            agreement = Agreement.SAME if pair.found is None else Agreement.DIFFERS
        out[pair.spec.key] = BesideFiling(pair.spec.key, pair.paper, pair.online, agreement)
    return out
