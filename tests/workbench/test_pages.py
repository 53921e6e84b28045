"""The batch page, the submission page and the page images, with TestClient on the local
store and on SeaweedFS S3, over a small real batch (``review_batch``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from pipeline.decision import Action, Decision, Seen, new_decision_id, utc_now
from pipeline.model import Finding, FindingCode, Report
from storage.base import ObjectStore, report_key
from tests.workbench.conftest import log_in
from tests.workbench.review_batch import (
    BLUE_BOX,
    PNG,
    RED_BOX,
    REVIEW_BATCH,
    REVIEWED,
    put_review_batch,
)
from usecases.review import record_decision
from workbench.pages import (
    PageImages,
    city_of,
    keep,
    last_reviewer,
    open_finding_ids,
    submission_row,
    with_decisions,
)
from workbench.security import load_settings

BATCH_URL = f"/batches/{REVIEW_BATCH}"
FIRST = f"{BATCH_URL}/{REVIEWED[0]}"
SECOND = f"{BATCH_URL}/{REVIEWED[1]}"


@pytest.fixture
def client(any_store: ObjectStore, make_client: Callable[..., TestClient]) -> TestClient:
    client = make_client(any_store)
    put_review_batch(any_store)
    assert log_in(client, "vic") == 303  # a viewer reads every page
    return client


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-submission="([^"]+)"', html)


def _report(store: ObjectStore, index: int) -> Report:
    return Report.model_validate_json(store.get_bytes(report_key(REVIEW_BATCH, REVIEWED[index])))


def _colour_at(jpeg: bytes, box: tuple[float, float, float, float]) -> tuple[int, int, int]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    height, width = image.shape[:2]
    x = int((box[0] + box[2]) / 2 * width)
    y = int((box[1] + box[3]) / 2 * height)
    blue, green, red = (int(v) for v in image[y, x])
    return red, green, blue


# --- the batch page ---------------------------------------------------------------------


def test_the_batch_page_lists_its_submissions(client: TestClient) -> None:
    answer = client.get(BATCH_URL)
    assert answer.status_code == 200
    html = answer.text
    assert _rows(html) == list(REVIEWED)
    first = html[html.index(f'data-submission="{REVIEWED[0]}"') :]
    first = first[: first.index("</tr>")]
    assert "不通过" in first and "贵阳市" in first and "GZ2022-0108" in first
    assert '<td class="errors">3</td>' in first and '<td class="warnings">1</td>' in first
    assert '<td class="open">4</td>' in first  # no decisions yet: every finding open
    second = html[html.index(f'data-submission="{REVIEWED[1]}"') :]
    second = second[: second.index("</tr>")]
    assert "需复核" in second or "待复核" in second
    assert "遵义市" in second  # from the address: the form had no city field
    assert "遵义&lt;b&gt;装备&lt;/b&gt;有限公司" in second  # escaped
    assert "未匹配" in second
    assert "报告无法读取" in html
    assert f'href="{BATCH_URL}/{REVIEWED[2]}"' not in html  # its page would be a 404
    assert f'href="{BATCH_URL}/{REVIEWED[0]}"' in html
    # the batch's own findings and the quarantined file with its reason
    assert 'data-code="PAPER_MISSING"' in html and "GZ2022-0192" in html
    assert "broken.pdf" in html and "文件已损坏，无法打开" in html


def test_the_batches_page_links_to_the_batch(client: TestClient) -> None:
    assert f'href="/batches/{REVIEW_BATCH}"' in client.get("/").text


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=fail", [REVIEWED[0]]),
        ("status=needs_review", [REVIEWED[1]]),
        ("status=unreadable", [REVIEWED[2]]),
        ("code=SEAL_UNVERIFIABLE", [REVIEWED[1]]),
        ("code=FIELD_MISSING", [REVIEWED[0]]),
        ("city=%E9%81%B5%E4%B9%89%E5%B8%82", [REVIEWED[1]]),  # 遵义市
        ("open=1", [REVIEWED[0], REVIEWED[1]]),
        ("status=fail&city=%E9%81%B5%E4%B9%89%E5%B8%82", []),
        ("code=NOT_A_CODE", []),
    ],
)
def test_the_batch_page_filters(client: TestClient, query: str, shown: list[str]) -> None:
    html = client.get(f"{BATCH_URL}?{query}").text
    assert _rows(html) == shown
    assert f'<span id="shown-count">{len(shown)}</span> / 3' in html


def test_the_filters_offer_what_the_batch_holds(client: TestClient) -> None:
    html = client.get(BATCH_URL).text
    assert '<option value="SEAL_UNVERIFIABLE"' in html
    assert '<option value="贵阳市"' in html and '<option value="遵义市"' in html
    assert '<option value="KPI_BELOW_TARGET"' not in html


# --- the submission page ----------------------------------------------------------------


def test_the_submission_page_shows_findings_fields_and_boxes(
    client: TestClient, any_store: ObjectStore
) -> None:
    report = _report(any_store, 0)
    mismatch, low, seal, missing = report.findings
    html = client.get(FIRST).text
    # findings: errors first, each with its id, page, message and crop
    ids = re.findall(r'<li class="finding [^"]*" id="finding-([0-9a-f]{12})"', html)
    assert ids == [mismatch.id, seal.id, missing.id, low.id]
    assert "研发投入：纸质 848.71 与网上填报 848.17 不一致" in html
    assert '纸质：<b class="paper">848.71</b> · 网上：<b class="online">848.17</b>' in html
    assert "None" not in html
    crop = f"/files/reports/{REVIEW_BATCH}/{REVIEWED[0]}/evidence/finding-01.png"
    assert f'src="{crop}"' in html
    assert client.get(crop).content == PNG
    # a finding without a page has no data-page: the page shown stays
    assert re.search(rf'data-finding="{missing.id}"\s*data-open="yes"', html)
    # one box per finding with a page, where the report puts it
    assert re.search(
        rf'<rect class="box sev-error" data-finding="{mismatch.id}"\s+'
        r'x="0.10000" y="0.10000"\s+width="0.10000" height="0.05000"',
        html,
    )
    assert f'<rect class="box sev-warning" data-finding="{low.id}"' in html
    assert f'<rect class="box sev-error" data-finding="{seal.id}"' in html
    assert html.count("<rect ") == 3
    assert f'src="{FIRST}/pages/1.jpg"' in html and f'src="{FIRST}/pages/2.jpg"' in html
    # fields: paper beside online, low confidence marked
    rd = html[html.index('<tr data-field="rd_spend"') :]
    rd = rd[: rd.index("</tr>")]
    assert "differs" in rd and "848.71" in rd and '<td class="online">848.17</td>' in rd
    legal = html[html.index('<tr data-field="legal_rep"') :]
    assert '<td class="online">与纸质一致</td>' in legal[: legal.index("</tr>")]
    contact = html[html.index('<tr data-field="contact"') :]
    contact = contact[: contact.index("</tr>")]
    assert 'class="low' in contact and "需核对" in contact and "0.41" in contact
    # fields in the order the pilot form prints them
    order = re.findall(r'<tr data-field="([a-z_]+)"', html)
    assert sorted(order) == sorted(report.fields)
    assert order.index("lead_org") < order.index("legal_rep") < order.index("contact")
    # the keys; a viewer gets no decision form
    assert "<kbd>j</kbd>" in html and "只能查看" in html
    assert 'method="post"' not in html.replace('action="/logout"', "").split("<main>")[1]


def test_an_unmatched_submission_says_so(client: TestClient) -> None:
    html = client.get(SECOND).text
    assert "遵义&lt;b&gt;装备&lt;/b&gt;有限公司" in html
    assert "—（未匹配网上记录）" in html and "<b>装备" not in html


# --- the page images --------------------------------------------------------------------


def test_the_page_images_put_the_marks_under_their_boxes(client: TestClient) -> None:
    page_1 = client.get(f"{FIRST}/pages/1.jpg")
    assert page_1.status_code == 200 and page_1.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(page_1.content, np.uint8), cv2.IMREAD_COLOR)
    height, width = image.shape[:2]  # A4 at workbench.yaml's 100 dpi: 827 × 1169
    assert abs(width - 827) <= 1 and abs(height - 1169) <= 1
    red, green, blue = _colour_at(page_1.content, RED_BOX)
    assert red > 200 and green < 60 and blue < 60
    red, green, blue = _colour_at(client.get(f"{FIRST}/pages/2.jpg").content, BLUE_BOX)
    assert blue > 200 and red < 60 and green < 60
    # an upside-down scan is shown upright: its red square where the finding's box is
    turned = client.get(f"{SECOND}/pages/2.jpg").content
    red, green, blue = _colour_at(turned, RED_BOX)
    assert red > 200 and green < 60 and blue < 60
    x0, y0, x1, y1 = RED_BOX
    assert _colour_at(turned, (1 - x1, 1 - y1, 1 - x0, 1 - y0)) > (200, 200, 200)


def test_page_images_are_kept_and_bounded(any_store: ObjectStore) -> None:
    put_review_batch(any_store)
    report = _report(any_store, 0)
    settings = load_settings().page_images
    images = PageImages(settings.model_copy(update={"cache_pages": 1}))
    first = images.image(any_store, report, report.pages[0])
    assert first is not None
    assert images.image(any_store, report, report.pages[0]) is first  # from memory
    images.image(any_store, report, report.pages[1])
    assert len(images._cache) == 1  # the least recently used went
    small = PageImages(settings.model_copy(update={"max_pixels": 1000}))
    assert small.image(any_store, report, report.pages[0]) is None  # too large: refused


def test_a_page_whose_original_is_gone_is_not_found(
    client: TestClient, any_store: ObjectStore
) -> None:
    report = _report(any_store, 0)
    gone = report.model_copy(
        update={"source": report.source.model_copy(update={"sha256": "ef" * 32})}
    )
    any_store.put_bytes(report_key(REVIEW_BATCH, REVIEWED[0]), gone.to_json().encode())
    assert client.get(f"{FIRST}/pages/1.jpg").status_code == 404


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/batches/nope",
        f"{BATCH_URL}/nope",
        f"{BATCH_URL}/{REVIEWED[2]}",  # its report is unreadable
        f"{BATCH_URL}/..%2f..%2fauth",
        "/batches/..%2fauth/users.json",
        f"{FIRST}/pages/3.jpg",
        f"{FIRST}/pages/0.jpg",
        f"{FIRST}/pages/01.jpg",
        f"{FIRST}/pages/-1.jpg",
        f"{FIRST}/pages/x.jpg",
        f"{FIRST}/pages/1.png",
        f"/batches/nope/{REVIEWED[0]}/pages/1.jpg",
    ],
)
def test_unknown_ids_are_not_found(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_anonymous_visitors_are_refused(
    any_store: ObjectStore, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(any_store)
    put_review_batch(any_store)
    for page in (BATCH_URL, FIRST):
        answer = client.get(page)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=/batches/")
    assert client.get(f"{FIRST}/pages/1.jpg").status_code == 401


# --- the pieces -------------------------------------------------------------------------


def _decision(report: Report, finding: Finding, action: Action, **extra: object) -> Decision:
    return Decision.model_validate(
        {
            "id": new_decision_id(),
            "batch": report.batch,
            "submission": report.submission_id,
            "finding": finding.id,
            "action": action,
            "user": "rui",
            "time": utc_now(),
            "report_sha256": "0" * 64,
            "seen": Seen.of(finding),
        }
        | extra
    )


def test_open_findings_follow_the_store_decisions(any_store: ObjectStore) -> None:
    put_review_batch(any_store)
    report = _report(any_store, 0)
    assert open_finding_ids(with_decisions(any_store, report)) == {f.id for f in report.findings}
    by_code = {f.code: f for f in report.findings}
    mismatch = by_code[FindingCode.FIELD_MISMATCH]
    low = by_code[FindingCode.FIELD_LOW_CONFIDENCE]
    seal = by_code[FindingCode.SEAL_MISSING]
    record_decision(any_store, _decision(report, mismatch, Action.DISMISS, reason="网上填错"))
    record_decision(any_store, _decision(report, seal, Action.CONFIRM))
    # a decision on the warning as it was before: its evidence differs now (stale)
    old = low.model_copy(update={"paper": "何勇刚"})
    record_decision(any_store, _decision(report, old, Action.CONFIRM))
    current = with_decisions(any_store, report)
    assert open_finding_ids(current) == {
        f.id for f in report.findings if f.id not in {mismatch.id, seal.id}
    }
    assert last_reviewer(current) == "rui"
    assert current.review is not None and current.review.stale == 1
    row = submission_row(current, "forms.pdf")
    assert row.open == 2 and row.reviewer == "rui" and row.review == "不通过"
    # info findings call for no decision
    info = Finding.of(FindingCode.RECOMMENDATION_EXEMPT, "免于推荐")
    assert info.id not in open_finding_ids(
        report.model_copy(update={"findings": (*report.findings, info)})
    )


def test_the_city_comes_from_the_field_then_the_address(any_store: ObjectStore) -> None:
    put_review_batch(any_store)
    assert city_of(_report(any_store, 0)) == "贵阳市"
    second = _report(any_store, 1)
    assert city_of(second) == "遵义市"
    fields = {k: v for k, v in second.fields.items() if k != "address"}
    assert city_of(second.model_copy(update={"fields": fields})) == "未识别"
    row = submission_row(second, "forms.pdf")
    assert keep(row, "", "", "遵义市", True) and not keep(row, "fail", "", "", False)
