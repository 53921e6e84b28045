"""Decisions on a batch's own findings (the manifest's PAPER_MISSING) on the batch page, as
``shenbao review decide`` without ``--submission`` makes them, on the local store and
SeaweedFS S3.

The batch is the sample P001 run against the sample export with P001's 法定代表人 changed:
P001 carries a FIELD_MISMATCH, and the export's eleven other filings have no paper in the
batch (eleven PAPER_MISSING in the manifest).
"""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pipeline.decision import BATCH_LEVEL, Action, Decision, Seen, new_decision_id, utc_now
from pipeline.model import FindingCode, Manifest
from storage.base import ObjectStore, decisions_prefix, manifest_key, summary_key
from tests.usecases.test_review import BATCH
from tests.workbench.conftest import Clock, csrf_of
from tests.workbench.test_decisions import client_of, settle
from usecases.review import record_decision
from workbench.security import WorkbenchSettings

PAGE = f"/batches/{BATCH}"
POST = f"{PAGE}/decisions"


def own_findings(store: ObjectStore) -> list[str]:
    """The ids of the batch's own findings, in the manifest's order."""
    manifest = Manifest.model_validate_json(store.get_bytes(manifest_key(BATCH)))
    ids = [f.id for f in manifest.findings if f.code is FindingCode.PAPER_MISSING]
    assert len(ids) == len(manifest.findings) == 11
    return [i for i in ids if i is not None]


def batch_decisions(store: ObjectStore) -> list[Decision]:
    return [
        Decision.model_validate_json(store.get_bytes(key))
        for key in store.list(decisions_prefix(BATCH, BATCH_LEVEL))
    ]


def item_of(html: str, finding: str) -> str:
    """The batch page's list item of one of the batch's own findings."""
    item = html[html.rindex("<li", 0, html.index(f'id="finding-{finding}"')) :]
    return item[: item.index("</li>")]


def post(client: TestClient, data: dict[str, str], token: str | None = None) -> object:
    token = token if token is not None else csrf_of(client.get(PAGE).text)
    return client.post(POST, data={"csrf": token} | data)


def progress_on_batches_page(client: TestClient) -> str:
    page = client.get("/").text
    row = page[page.index(f'data-batch="{BATCH}"') :]
    found = re.search(r'<td class="progress">([^<]*)</td>', row[: row.index("</tr>")])
    assert found is not None
    return found.group(1)


def test_batch_findings_are_confirmed_and_dismissed_on_the_batch_page(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    client = client_of(decided_store, settings, clock, "rui")
    first, second, third, *_ = own_findings(decided_store)
    page = client.get(PAGE).text
    assert page.count('data-code="PAPER_MISSING"') == 11
    assert f'action="{POST}"' in page and 'data-open="no"' not in page
    assert "已复核 0 · 待复核 11" in page
    assert progress_on_batches_page(client) == "已处理 0 · 待处理 12"  # and P001's mismatch

    answer = post(client, {"finding": first, "action": "confirm"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == f"{PAGE}#finding-{second}"  # type: ignore[attr-defined]

    refused = post(client, {"finding": second, "action": "dismiss", "reason": " "})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "驳回需要填写理由" in refused.text  # type: ignore[attr-defined]
    assert "chosen" in item_of(refused.text, second)  # type: ignore[attr-defined]
    corrected = post(client, {"finding": second, "action": "correct", "value": "x"})
    assert corrected.status_code == 400  # type: ignore[attr-defined]
    assert "不能更正" in corrected.text  # type: ignore[attr-defined]
    unknown = post(client, {"finding": "0" * 12, "action": "confirm"})
    assert unknown.status_code == 400 and "没有批次问题" in unknown.text  # type: ignore[attr-defined]

    answer = post(client, {"finding": second, "action": "dismiss", "reason": "纸质材料已另寄"})
    assert answer.headers["location"] == f"{PAGE}#finding-{third}"  # type: ignore[attr-defined]

    made = batch_decisions(decided_store)
    assert [(d.finding, d.action, d.user) for d in made] == [
        (first, Action.CONFIRM, "rui"),
        (second, Action.DISMISS, "rui"),
    ]
    assert all(d.submission == "_batch" for d in made)
    shown = client.get(PAGE).text
    assert "已复核 2 · 待复核 9" in shown
    assert 'data-open="no"' in item_of(shown, first) and "确认" in item_of(shown, first)
    assert "纸质材料已另寄" in item_of(shown, second) and "rui" in item_of(shown, second)
    assert 'data-open="yes"' in item_of(shown, third) and "待处理" in item_of(shown, third)
    assert progress_on_batches_page(client) == "已处理 2 · 待处理 10"
    # the stored index and summary follow after the answer
    settle(client)
    index = decided_store.get_bytes(f"batches/{BATCH}/index.html").decode()
    assert "确认 · rui" in index and "驳回 · rui" in index and "纸质材料已另寄" in index
    assert "已复核 2 项，待复核 10 项" in index
    book = load_workbook(io.BytesIO(decided_store.get_bytes(summary_key(BATCH))))
    rows = list(book["复核记录"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[4], r[7]) for r in rows] == [
        ("（批次）", first, "确认", "rui"),
        ("（批次）", second, "驳回", "rui"),
    ]


def test_a_viewer_a_forged_token_and_an_unknown_batch_are_refused(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    first = own_findings(decided_store)[0]
    viewer = client_of(decided_store, settings, clock, "vic")
    page = viewer.get(PAGE).text
    assert 'class="dismiss"' not in page and "只能查看" in page
    token = csrf_of(page)  # the logout form's: a genuine token of the viewer's session
    assert post(viewer, {"finding": first, "action": "confirm"}, token).status_code == 403  # type: ignore[attr-defined]
    reviewer = client_of(decided_store, settings, clock, "rui")
    forged = post(reviewer, {"finding": first, "action": "confirm"}, token="x" * 40)
    assert forged.status_code == 403  # type: ignore[attr-defined]
    token = csrf_of(reviewer.get(PAGE).text)
    elsewhere = reviewer.post(
        "/batches/no-such-batch/decisions",
        data={"csrf": token, "finding": first, "action": "confirm"},
    )
    assert elsewhere.status_code == 404
    assert batch_decisions(decided_store) == []


def test_a_decision_whose_batch_finding_changed_is_shown_for_re_review(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    manifest = Manifest.model_validate_json(decided_store.get_bytes(manifest_key(BATCH)))
    finding = manifest.findings[0]
    assert finding.id is not None
    seen = Seen.of(finding, batch_level=True).model_copy(
        update={"message": "网上填报记录 GZ2022-0115（试点，牵头单位「旧名称」）没有对应的纸质材料"}
    )
    record_decision(
        decided_store,
        Decision.model_validate(
            {
                "id": new_decision_id(),
                "batch": BATCH,
                "submission": BATCH_LEVEL,
                "finding": finding.id,
                "action": Action.CONFIRM,
                "user": "ada",
                "time": utc_now(),
                "report_sha256": "0" * 64,
                "seen": seen,
            }
        ),
    )
    client = client_of(decided_store, settings, clock, "vic")
    page = client.get(PAGE).text
    item = item_of(page, finding.id)
    assert "需重新复核" in item and 'data-open="yes"' in item and "ada" in item
    assert "已复核 0 · 待复核 11 · 需重新复核 1" in page
    assert progress_on_batches_page(client) == "已处理 0 · 待处理 12（需重新复核 1）"
