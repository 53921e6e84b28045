"""The submission page's fields beside the online filing's, from the batch's kept export
(loaded once per export), and a batch stored before the export was kept; the effective
review status as the decision objects make it, whatever the stored report's review block
says (two servers on one store, a republisher lagging). TestClient on the local store and
on SeaweedFS S3."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from pipeline.decision import Action
from pipeline.model import FindingCode, Report
from pipeline.settings import Settings
from storage.base import ObjectStore, original_key, report_key
from tests.workbench.conftest import csrf_of, log_in
from tests.workbench.review_batch import (
    EXPORT_FILE,
    REVIEW_BATCH,
    REVIEWED,
    put_review_batch,
    put_review_export,
)
from usecases.review import decide, load_decisions, load_manifest, reviewed
from workbench.pages import OnlineExports, rules_of

FIRST = f"/batches/{REVIEW_BATCH}/{REVIEWED[0]}"
SECOND = f"/batches/{REVIEW_BATCH}/{REVIEWED[1]}"


def _row(html: str, key: str) -> dict[str, str]:
    """The cells of field ``key``'s row in the fields table (class → text), and its class."""
    start = html.index(f'<tr data-field="{key}"')
    row = html[start : html.index("</tr>", start)]
    cells = dict(re.findall(r'<td class="([a-z]+)">(.*?)</td>', row, re.S))
    cells["label"] = re.findall(r"<td>(.*?)</td>", row, re.S)[0]
    cells["row"] = re.search(r'class="([^"]*)"', row[len('<tr data-field="x"') :])[1]  # type: ignore[index]
    return cells


@pytest.fixture
def review_client(any_store: ObjectStore, make_client: Callable[..., TestClient]) -> TestClient:
    client = make_client(any_store)
    put_review_batch(any_store)
    assert log_in(client, "rui") == 303
    return client


def _exports(client: TestClient) -> OnlineExports:
    exports: OnlineExports = client.app.state.online_exports  # type: ignore[attr-defined]
    return exports


def test_every_compared_field_shows_paper_beside_the_filing(
    review_client: TestClient, any_store: ObjectStore
) -> None:
    put_review_export(any_store)
    html = review_client.get(FIRST).text
    assert 'id="online-note"' not in html
    # the value the finding carries, from the export now, the difference marked
    rd = _row(html, "rd_spend")
    assert (rd["paper"], rd["online"]) == ("848.71", "848.17")
    assert "differs" in rd["row"] and "不一致" in rd["agreement"]
    # a field that agrees shows the filed value itself, not a claim
    legal = _row(html, "legal_rep")
    assert (legal["paper"], legal["online"], legal["agreement"]) == ("余晓燕", "余晓燕", "一致")
    assert "differs" not in legal["row"]
    assert _row(html, "city")["online"] == "贵阳市"
    # an unsure reading is shown beside the filing but not compared (never a guess)
    contact = _row(html, "contact")
    assert (contact["paper"], contact["online"]) == ("何永刚", "何勇刚")
    assert contact["agreement"] == "未比对（纸质识别存疑）" and "differs" not in contact["row"]
    # a field the paper has no reading of, the filing has: its row is there too
    mobile = _row(html, "mobile")
    assert mobile["paper"] == "—（未识别）" and mobile["online"] == "13985012345"
    assert mobile["agreement"] == "未比对（纸质未识别）"
    assert mobile["label"] == "手机"
    # the rows keep the form's order
    order = re.findall(r'<tr data-field="([a-z_]+)"', html)
    assert order.index("lead_org") < order.index("legal_rep") < order.index("mobile")
    # an unmatched submission: no filing to show
    second = review_client.get(SECOND).text
    assert "—（未匹配网上记录）" in _row(second, "lead_org")["online"]
    assert 'id="online-note"' not in second


def test_the_export_is_read_once_per_export(
    review_client: TestClient, any_store: ObjectStore
) -> None:
    sha256 = put_review_export(any_store)
    for _ in range(3):
        assert review_client.get(FIRST).status_code == 200
    assert review_client.get(SECOND).status_code == 200
    exports = _exports(review_client)
    assert exports.loads == 1
    # asked again for the same export: served from memory
    rules = rules_of(Settings().rules_dir)
    assert exports.of(any_store, load_manifest(any_store, REVIEW_BATCH), rules).sha256 == sha256
    assert exports.loads == 1


def test_a_batch_stored_before_the_export_was_kept_says_so(
    review_client: TestClient, any_store: ObjectStore
) -> None:
    put_review_export(any_store, kept=False)
    answer = review_client.get(FIRST)
    assert answer.status_code == 200
    html = answer.text
    note = re.search(r'<p class="note online-note" id="online-note">(.*?)</p>', html)
    assert note is not None and EXPORT_FILE in note[1] and "尚未保留网上填报导出" in note[1]
    assert f"shenbao reconcile --batch {REVIEW_BATCH} --online" in note[1]
    # the findings' online values are still shown, and an unsure reading is not "agreed"
    assert _row(html, "rd_spend")["online"] == "848.17"
    assert _row(html, "legal_rep")["online"] == "与纸质一致"
    assert _row(html, "contact")["agreement"] == "未比对（纸质识别存疑）"
    assert _exports(review_client).loads == 0
    # once a reconcile keeps it, the next page shows every field
    put_review_export(any_store, kept=True)
    html = review_client.get(FIRST).text
    assert 'id="online-note"' not in html and _row(html, "legal_rep")["online"] == "余晓燕"


def test_a_kept_export_that_is_not_the_batch_s_says_so(
    review_client: TestClient, any_store: ObjectStore
) -> None:
    sha256 = put_review_export(any_store)
    any_store.put_bytes(original_key(sha256), b"not the export")
    html = review_client.get(FIRST).text
    assert "无法读取，无法逐项对照" in html
    assert _row(html, "rd_spend")["online"] == "848.17"


# --- the effective status: from the decisions, never the stored block alone -----------


def _stored(store: ObjectStore, index: int = 0) -> Report:
    return Report.model_validate_json(store.get_bytes(report_key(REVIEW_BATCH, REVIEWED[index])))


def _decide(
    store: ObjectStore, index: int, finding: str | None, action: Action, reason: str = ""
) -> None:
    """A decision made on another server, whose republisher has not run yet."""
    rules = rules_of(Settings().rules_dir)
    decide(
        store,
        rules,
        Settings(),
        batch=REVIEW_BATCH,
        submission=REVIEWED[index],
        finding=finding or "",
        action=action,
        user="ada",
        reason=reason,
        republish=False,
    )


def _status(html: str) -> str:
    found = re.search(r'id="review-status">([^<]+)</span>', html)
    return found[1] if found else ""


def test_pages_show_the_status_the_decisions_make_not_the_stored_block(
    review_client: TestClient,
    any_store: ObjectStore,
    make_client: Callable[..., TestClient],
) -> None:
    (warning,) = _stored(any_store, 1).findings
    assert warning.code is FindingCode.SEAL_UNVERIFIABLE
    # another server records a dismissal; its pages are not republished
    _decide(any_store, 1, warning.id, Action.DISMISS, reason="印章清晰，与单位名称一致")
    assert _stored(any_store, 1).review is None
    html = review_client.get(SECOND).text
    assert _status(html) == "通过（已复核）"
    assert re.search(rf'data-finding="{warning.id}"[^>]*data-open="no"', html)
    batch = review_client.get(f"/batches/{REVIEW_BATCH}").text
    row = batch[batch.index(f'<tr data-submission="{REVIEWED[1]}"') :]
    assert "通过（已复核）" in row[: row.index("</tr>")]

    # every finding of the first decided, its stored block published saying 通过（已复核）;
    # then a reviewer elsewhere confirms the mismatch after all, and that server's
    # republisher lags: every server's pages follow the decisions, not the stored block
    first = _stored(any_store, 0)
    for finding in first.findings:
        action = Action.DISMISS if finding.severity.value == "error" else Action.CONFIRM
        _decide(any_store, 0, finding.id, action, reason="纸质与网上一致")
    published = reviewed(first, load_decisions(any_store, REVIEW_BATCH, REVIEWED[0]))
    assert published.review is not None and published.review.status == "pass_reviewed"
    any_store.put_bytes(report_key(REVIEW_BATCH, REVIEWED[0]), published.to_json().encode())
    assert _status(review_client.get(FIRST).text) == "通过（已复核）"
    mismatch = next(f for f in first.findings if f.code is FindingCode.FIELD_MISMATCH)
    _decide(any_store, 0, mismatch.id, Action.CONFIRM)
    other = make_client(any_store)  # a second server of the same store
    assert log_in(other, "vic") == 303
    for client in (review_client, other):
        html = client.get(FIRST).text
        assert _status(html) == "不通过"
        decision = html[html.index(f'id="finding-{mismatch.id}"') :]
        assert "复核：<b>确认</b>" in decision[: decision.index("</li>")]
        batch = client.get(f"/batches/{REVIEW_BATCH}").text
        row = batch[batch.index(f'<tr data-submission="{REVIEWED[0]}"') :]
        assert "通过（已复核）" not in row[: row.index("</tr>")]


def test_a_decision_through_one_server_shows_on_the_other_at_once(
    review_client: TestClient,
    any_store: ObjectStore,
    make_client: Callable[..., TestClient],
) -> None:
    other = make_client(any_store)
    assert log_in(other, "vic") == 303
    (warning,) = _stored(any_store, 1).findings
    token = csrf_of(review_client.get(SECOND).text)
    answer = review_client.post(
        f"{SECOND}/decisions",
        data={"finding": warning.id, "action": "confirm", "csrf": token},
    )
    assert answer.status_code == 303
    html = other.get(SECOND).text
    assert re.search(rf'data-finding="{warning.id}"[^>]*data-open="no"', html)
    assert "已复核 1 · 待复核 0" in html
    batches = other.get("/").text
    assert "已处理 1 · 待处理" in batches
