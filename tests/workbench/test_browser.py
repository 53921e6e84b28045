"""The workbench in a real browser: Debian's Chromium driven by Playwright (no browser
download), against uvicorn serving the app in a thread on a free port."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from pipeline.decision import BATCH_LEVEL, Action, Decision
from pipeline.model import FindingCode, Manifest, Report
from storage.base import decisions_prefix, manifest_key, report_key
from storage.local_store import LocalStore
from tests.usecases.test_review import BATCH as DECIDED_BATCH
from tests.usecases.test_review import P001, export_with, publish, unsure_legal_rep
from tests.workbench.conftest import BATCH, KEY, PASSWORD, PNG, SUBMISSIONS, put_batch, put_users
from tests.workbench.review_batch import REVIEW_BATCH, REVIEWED, put_review_batch
from workbench.app import create_app

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file() and shutil.which("chromium") is None,
    reason="chromium is not installed (apt-get install chromium)",
)

STORES: dict[str, LocalStore] = {}
CROP = f"/files/reports/{BATCH}/{SUBMISSIONS[0]}/evidence/finding-01.png"
SUMMARY = f"/files/batches/{BATCH}/summary.xlsx"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = LocalStore(tmp_path_factory.mktemp("browser") / "store")
    put_batch(store)
    put_review_batch(store)
    # the sample P001 as run (its pages as read, so a correction re-runs its checks): the
    # contact differs online (an error) and the legal representative read unsure (a warning)
    work = tmp_path_factory.mktemp("p001")
    publish(store, work, export_with(work, "联系人", "王小二"), edit=unsure_legal_rep)
    put_users(store)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(store, key=KEY), host="127.0.0.1", port=port, log_level="warning"
    )
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not served.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    STORES[f"http://127.0.0.1:{port}"] = store
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, locale="zh-CN")
    yield context.new_page()
    context.close()


def _wait_until_loaded(image: Locator, seconds: float = 30) -> None:
    """Until the image is drawn (polled from here: the page's policy forbids the eval
    ``wait_for_function`` would use)."""
    deadline = time.monotonic() + seconds
    while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the page image did not load"
        time.sleep(0.1)


def _log_in(page: Page, name: str, password: str) -> None:
    page.goto("/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_log_in_see_the_batches_log_out(page: Page, server: str) -> None:
    _log_in(page, "rui", PASSWORD)
    page.wait_for_url(f"{server}/")
    assert page.locator("h1").inner_text() == "批次"
    row = page.locator(f"tr[data-batch='{BATCH}']")
    assert row.locator("td.submissions").inner_text() == "2"
    assert page.locator(".user-name").inner_text() == "rui"
    crop = page.request.get(CROP)
    assert crop.status == 200 and crop.body() == PNG
    page.click("#logout")
    page.wait_for_url(f"{server}/login")
    page.goto("/")
    assert page.url.startswith(f"{server}/login")


def test_a_wrong_password_is_refused(page: Page, server: str) -> None:
    _log_in(page, "rui", "not the password")
    assert page.locator(".error").inner_text() == "用户名或密码错误。"
    assert page.url.startswith(f"{server}/login")
    assert not [c for c in page.context.cookies() if c["name"] == "shenbao_session"]


def test_anonymous_requests_are_refused(page: Page, server: str) -> None:

    page.goto(f"/files/reports/{BATCH}/{SUBMISSIONS[0]}/report.html")
    assert "scan_0001" not in page.content()
    page.goto("/admin/users")
    assert page.url == f"{server}/login?next=/admin/users"
    assert page.request.get(CROP).status == 401
    assert page.request.get(SUMMARY).status == 401


def test_a_wrong_csrf_token_is_refused(page: Page, server: str) -> None:
    _log_in(page, "vic", PASSWORD)
    page.wait_for_url(f"{server}/")
    page.evaluate(
        "document.querySelector('form[action=\"/logout\"] input[name=csrf]').value = 'forged'"
    )
    with page.expect_response(f"{server}/logout") as answer:
        page.click("#logout")
    assert answer.value.status == 403
    page.goto("/")
    assert page.url == f"{server}/"  # still logged in


def test_a_batch_filtered_and_a_submission_stepped_through_by_keyboard(
    page: Page, server: str
) -> None:
    _log_in(page, "rui", PASSWORD)
    page.wait_for_url(f"{server}/")
    page.click(f"a[href='/batches/{REVIEW_BATCH}']")
    page.wait_for_url(f"{server}/batches/{REVIEW_BATCH}")
    assert page.locator("table.submissions tbody tr").count() == 3
    # a changed filter applies at once (no button pressed)
    page.select_option("select[name=status]", "fail")
    page.wait_for_url(f"{server}/batches/{REVIEW_BATCH}?status=fail*")
    rows = page.locator("table.submissions tbody tr")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-submission") == REVIEWED[0]
    rows.first.locator("a").click()
    page.wait_for_url(f"{server}/batches/{REVIEW_BATCH}/{REVIEWED[0]}")
    findings = page.locator("li.finding")
    assert findings.count() == 4
    assert page.locator("figure.page#page-1").is_visible()  # the first page at first
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = findings.nth(1)
    assert "current" in (second.get_attribute("class") or "")
    assert "current" not in (findings.nth(0).get_attribute("class") or "")
    chosen = second.get_attribute("data-finding")
    # its page is shown, the other hidden, and its box highlighted on the page image
    assert page.locator("figure.page#page-2").is_visible()
    assert not page.locator("figure.page#page-1").is_visible()
    box = page.locator(f"figure.page#page-2 rect.box[data-finding='{chosen}']")
    assert "current" in (box.get_attribute("class") or "")
    assert page.locator("rect.box.current").count() == 1
    image = page.locator("figure.page#page-2 img")
    image.scroll_into_view_if_needed()
    _wait_until_loaded(image)
    # the box sits over the image where the report puts it (x 0.6–0.8, y 0.5–0.6)
    sheet = image.bounding_box()
    drawn = box.bounding_box()
    assert sheet is not None and drawn is not None
    assert abs((drawn["x"] - sheet["x"]) / sheet["width"] - 0.6) < 0.02
    assert abs((drawn["y"] - sheet["y"]) / sheet["height"] - 0.5) < 0.02
    # k goes back; d opens the reason box of the chosen finding, Esc leaves it
    page.keyboard.press("k")
    assert "current" in (findings.nth(0).get_attribute("class") or "")
    assert page.locator("figure.page#page-1").is_visible()
    page.keyboard.press("d")
    reason = findings.nth(0).locator("form.dismiss input[name=reason]")
    assert reason.evaluate("box => box === document.activeElement")
    page.keyboard.press("Escape")
    assert not reason.evaluate("box => box === document.activeElement")


def test_a_submission_cleared_by_keyboard(page: Page, server: str) -> None:
    """Dismiss the error with a reason, correct the unsure field, without the mouse; the
    status changes, the decisions are in the store."""
    store = STORES[server]
    report = Report.model_validate_json(store.get_bytes(report_key(DECIDED_BATCH, P001)))
    by_code = {f.code: f.id for f in report.findings}
    mismatch = by_code[FindingCode.FIELD_MISMATCH]
    unsure = by_code[FindingCode.FIELD_LOW_CONFIDENCE]
    _log_in(page, "rui", PASSWORD)
    page.wait_for_url(f"{server}/")
    url = f"{server}/batches/{DECIDED_BATCH}/{P001}"
    page.goto(url)
    page.keyboard.press("j")
    assert page.locator("li.finding.current").get_attribute("data-finding") == mismatch
    page.keyboard.press("d")
    page.keyboard.type("网上填报的联系人有误")
    started = time.monotonic()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#finding-{mismatch} p.decision", timeout=60_000)
    dismissed = time.monotonic() - started
    # the next open finding is chosen (the one after the dismissed, still open)
    order = [item.get_attribute("data-finding") for item in page.locator("li.finding").all()]
    following = order[order.index(mismatch) + 1]
    assert page.url == f"{url}#finding-{following}"
    current = page.locator("li.finding.current")
    assert current.get_attribute("data-finding") == following
    assert current.get_attribute("data-open") == "yes"
    for _ in range(order.index(unsure) - order.index(following)):
        page.keyboard.press("j")
    assert page.locator("li.finding.current").get_attribute("data-finding") == unsure
    done = page.locator(f"#finding-{mismatch} p.decision")
    assert "驳回" in done.inner_text() and "网上填报的联系人有误" in done.inner_text()
    assert "rui" in done.inner_text()
    page.keyboard.press("e")
    page.keyboard.type("余晓燕")
    started = time.monotonic()
    page.keyboard.press("Enter")
    # the unsure reading's warning is gone with the reading; the correction listed apart
    page.wait_for_selector("ul.decisions-gone", timeout=60_000)
    corrected = time.monotonic() - started
    assert page.locator("#review-status").inner_text() == "通过（已复核）"
    assert not page.locator("#decision-error").count()
    decisions = [
        Decision.model_validate_json(store.get_bytes(key))
        for key in store.list(decisions_prefix(DECIDED_BATCH, P001))
    ]
    assert [(d.finding, d.action, d.user) for d in decisions] == [
        (mismatch, Action.DISMISS, "rui"),
        (unsure, Action.CORRECT, "rui"),
    ]
    assert decisions[1].value == "余晓燕"
    print(f"keyboard, browser: dismiss {dismissed:.1f} s, correct {corrected:.1f} s")
    page.click("#logout")
    page.wait_for_url(f"{server}/login")


def test_a_batchs_own_findings_decided_by_keyboard(page: Page, server: str) -> None:
    """On the batch page, without the mouse: j to the first PAPER_MISSING, c confirms it,
    the next one is chosen, d + reason + Enter dismisses it; both decisions in the store
    under the batch's reserved place."""
    store = STORES[server]
    manifest = Manifest.model_validate_json(store.get_bytes(manifest_key(DECIDED_BATCH)))
    first, second, third = (f.id for f in manifest.findings[:3])
    _log_in(page, "rui", PASSWORD)
    page.wait_for_url(f"{server}/")
    url = f"{server}/batches/{DECIDED_BATCH}"
    page.goto(url)
    page.keyboard.press("j")
    assert page.locator("li.finding.current").get_attribute("data-finding") == first
    page.keyboard.press("c")
    page.wait_for_selector(f"#finding-{first} p.decision", timeout=60_000)
    assert page.url == f"{url}#finding-{second}"
    assert page.locator("li.finding.current").get_attribute("data-finding") == second
    page.keyboard.press("d")
    page.keyboard.type("纸质材料已另行寄到")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#finding-{second} p.decision", timeout=60_000)
    assert page.locator("li.finding.current").get_attribute("data-finding") == third
    assert "确认" in page.locator(f"#finding-{first} p.decision").inner_text()
    assert "纸质材料已另行寄到" in page.locator(f"#finding-{second} p.decision").inner_text()
    assert "已复核 2 · 待复核" in page.locator("#batch-progress").inner_text()
    decisions = [
        Decision.model_validate_json(store.get_bytes(key))
        for key in store.list(decisions_prefix(DECIDED_BATCH, BATCH_LEVEL))
    ]
    assert [(d.finding, d.action, d.user) for d in decisions] == [
        (first, Action.CONFIRM, "rui"),
        (second, Action.DISMISS, "rui"),
    ]
