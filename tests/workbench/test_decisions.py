"""Decisions in the workbench: the submission page's forms call ``usecases.review.decide``
(as ``shenbao review decide`` does), on the local store and SeaweedFS S3.

The batch is the sample P001 run against an export whose 法定代表人 differs (王大明 online,
余晓燕 on paper): a FIELD_MISMATCH error, status fail.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from pipeline.decision import Action, Decision
from pipeline.model import FindingCode, Report
from storage.base import ObjectStore, decisions_prefix, report_key
from tests.usecases.test_review import BATCH, P001
from tests.workbench.conftest import KEY, Clock, csrf_of, log_in
from workbench.app import create_app
from workbench.security import WorkbenchSettings

PAGE = f"/batches/{BATCH}/{P001}"
POST = f"{PAGE}/decisions"


def client_of(
    store: ObjectStore, settings: WorkbenchSettings, clock: Clock, name: str
) -> TestClient:
    app = create_app(store, key=KEY, settings=settings, clock=clock)
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    assert log_in(client, name) == 303
    return client


def report_of(store: ObjectStore) -> Report:
    return Report.model_validate_json(store.get_bytes(report_key(BATCH, P001)))


def mismatch_of(store: ObjectStore) -> str:
    (finding,) = [f for f in report_of(store).findings if f.code is FindingCode.FIELD_MISMATCH]
    assert finding.id is not None
    return finding.id


def decisions_in(store: ObjectStore) -> list[Decision]:
    return [
        Decision.model_validate_json(store.get_bytes(key))
        for key in store.list(decisions_prefix(BATCH, P001))
    ]


def settle(client: TestClient) -> None:
    """Until the pages a decision changes are published again (after the answer)."""
    republisher = getattr(client.app.state, "republisher", None)  # type: ignore[attr-defined]
    if republisher is not None:
        republisher.wait()


def post(client: TestClient, data: dict[str, str], token: str | None = None) -> object:
    token = token if token is not None else csrf_of(client.get(PAGE).text)
    return client.post(POST, data={"csrf": token} | data)


def test_a_dismissal_with_a_reason_is_stored_and_shown_and_one_without_refused(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    client = client_of(decided_store, settings, clock, "rui")
    finding = mismatch_of(decided_store)
    page = client.get(PAGE).text
    assert f'action="{POST}"' in page and page.count('class="dismiss"') >= 1

    refused = post(client, {"finding": finding, "action": "dismiss", "reason": "  "})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "驳回需要填写理由" in refused.text  # type: ignore[attr-defined]
    assert decisions_in(decided_store) == []

    answer = post(client, {"finding": finding, "action": "dismiss", "reason": "网上填报有误"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"].startswith(PAGE + "#")  # type: ignore[attr-defined]
    (decision,) = decisions_in(decided_store)
    assert (decision.finding, decision.action, decision.user, decision.reason) == (
        finding,
        Action.DISMISS,
        "rui",
        "网上填报有误",
    )
    shown = client.get(PAGE).text
    item = shown[shown.index(f'id="finding-{finding}"') :]
    item = item[: item.index("</li>")]
    assert "驳回" in item and "网上填报有误" in item and "rui" in item and "已处理" in item
    # the batch page: nothing open on it, rui decided last
    batch = client.get(f"/batches/{BATCH}").text
    row = batch[batch.index(f'data-submission="{P001}"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r'class="open">0<', row) and 'class="reviewer">rui<' in row
    batches = client.get("/").text
    progress = batches[batches.index(f'data-batch="{BATCH}"') :]
    assert "已处理 1 · 待处理 " in progress[: progress.index("</tr>")]
    # the stored pages follow after the answer: report.json's review, report.html
    settle(client)
    stored = report_of(decided_store)
    assert stored.review is not None and stored.review.decisions[0].user == "rui"
    html = decided_store.get_bytes(f"reports/{BATCH}/{P001}/report.html").decode()
    assert "网上填报有误" in html


def test_a_correction_reruns_the_checks_and_the_status_changes(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    client = client_of(decided_store, settings, clock, "rui")
    finding = mismatch_of(decided_store)
    assert report_of(decided_store).status == "fail"
    wrong = post(client, {"finding": finding, "action": "correct", "value": ""})
    assert wrong.status_code == 400 and "更正需要填写正确的值" in wrong.text  # type: ignore[attr-defined]

    answer = post(client, {"finding": finding, "action": "correct", "value": "王大明"})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    after = report_of(decided_store)  # the re-checked report is published at once
    assert after.fields["legal_rep"].value == "王大明" and after.status == "pass"
    settle(client)
    after = report_of(decided_store)
    assert after.review is not None
    assert after.review.status == "pass_reviewed"
    page = client.get(PAGE).text
    assert "通过（已复核）" in page and "王大明" in page
    (decision,) = decisions_in(decided_store)
    assert decision.action is Action.CORRECT and decision.value == "王大明"


def test_a_viewer_and_a_wrong_csrf_token_are_refused(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    finding = mismatch_of(decided_store)
    viewer = client_of(decided_store, settings, clock, "vic")
    page = viewer.get(PAGE).text
    assert 'class="dismiss"' not in page and "只能查看" in page
    token = csrf_of(page)  # the logout form's: a genuine token of the viewer's session
    refused = post(viewer, {"finding": finding, "action": "confirm"}, token)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    reviewer = client_of(decided_store, settings, clock, "rui")
    forged = post(reviewer, {"finding": finding, "action": "confirm"}, token="x" * 40)
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert decisions_in(decided_store) == []


def test_two_reviewers_deciding_at_once_both_keep_their_decisions(
    decided_store: ObjectStore, settings: WorkbenchSettings, clock: Clock
) -> None:
    finding = mismatch_of(decided_store)
    rui = client_of(decided_store, settings, clock, "rui")
    ada = client_of(decided_store, settings, clock, "ada")
    tokens = {c: csrf_of(c.get(PAGE).text) for c in (rui, ada)}
    forms = {
        rui: {"finding": finding, "action": "confirm"},
        ada: {"finding": finding, "action": "dismiss", "reason": "网上填报有误"},
    }
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda c: post(c, forms[c], tokens[c]), (rui, ada)))
    assert [a.status_code for a in answers] == [303, 303]  # type: ignore[attr-defined]
    assert {(d.user, d.action) for d in decisions_in(decided_store)} == {
        ("rui", Action.CONFIRM),
        ("ada", Action.DISMISS),
    }
