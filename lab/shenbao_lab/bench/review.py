"""Clearing a batch's findings by keyboard in the workbench, timed (issue 18's Done-when).

The sample batch (``samples/batch`` with ``samples/online/export.xlsx``, as ``make run``)
is run into a store; a reviewer is added; the app is served (uvicorn in a thread on a free
port); Chromium, through Playwright, logs in and then opens every submission of the batch
in turn and clears each open finding with the keyboard only: j/k to the finding, then
Enter-less ``c`` to confirm, ``d`` + a reason + Enter to dismiss, ``e`` + the right value +
Enter to correct. Which of the three is chosen per finding from the samples' truth
(``choose``): a planted fault is confirmed; an unsure reading (FIELD_LOW_CONFIDENCE), or a
finding about a field whose reading differs from the truth, is corrected to the truth's
value (what the reviewer reads off the paper); any other finding on a submission with a
truth is dismissed with a reason (the reading or the seal is right); without a truth,
confirmed. Then the batch page's own findings (PAPER_MISSING) the same way: one the
batch's truth expects (``expected_batch_findings``) confirmed, another dismissed.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from rich.table import Table

from pipeline.decision import CORRECTABLE, Action, Decision
from pipeline.model import Finding, FindingCode, Manifest, Report
from storage.base import ObjectStore, decisions_prefix, manifest_key, report_key
from storage.local_store import open_store

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
REVIEWER = "bench-reviewer"
SCREENSHOT_BUDGET = 300_000
"""Bytes a committed screenshot may take (docs/img) before it is palette-reduced."""
DISMISS_REASON = "核对原件：与原件相符，问题不成立"
"""The reason typed for a finding the truth says does not stand."""


@dataclass(frozen=True)
class Choice:
    """What the reviewer does with one finding."""

    action: Action
    value: str | None = None
    reason: str | None = None


class ReviewFigures(BaseModel):
    """The clearing, timed."""

    batch: str
    submissions: int
    findings_open_at_start: int
    decisions: int
    by_action: dict[str, int]
    decision_objects: int
    open_at_end: int
    refused: int
    clearing_seconds: float
    republished_after_seconds: float
    seconds_per_decision: float
    run_seconds: float | None
    screenshot: str | None


# ---- the decision per finding, from the truth ---------------------------------------


def _same(read: object, truth: object) -> bool:
    if isinstance(read, int | float) and isinstance(truth, int | float):
        return abs(float(read) - float(truth)) < 1e-9
    return str(read).strip() == str(truth).strip()


def _planted(finding: Finding, expected: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the finding is one of the faults the truth planted (the same code and
    subject; the truth's ``key`` only where it names one)."""
    for fault in expected:
        if fault.get("code") != finding.code.value:
            continue
        if all(
            fault.get(part) == getattr(finding, part) for part in ("field", "slot", "section")
        ) and (fault.get("key") is None or fault.get("key") == finding.key):
            return True
    return False


def choose(finding: Finding, truth: Mapping[str, Any] | None) -> Choice:
    """The decision on ``finding`` given its submission's truth source (a
    ``shenbao.truth/1`` source: ``expected_findings`` and ``fields``), or None."""
    if truth is None:
        return Choice(Action.CONFIRM)
    if _planted(finding, truth.get("expected_findings", ())):
        return Choice(Action.CONFIRM)
    field = finding.field
    fields = truth.get("fields", {})
    if finding.code in CORRECTABLE and field is not None and field in fields:
        right = fields[field].get("value")
        scalar = isinstance(right, str | int | float) and not isinstance(right, bool)
        unsure = finding.code is FindingCode.FIELD_LOW_CONFIDENCE
        if scalar and (unsure or finding.paper is None or not _same(finding.paper, right)):
            # a reading the machine doubts, or a wrong one: the value off the paper typed
            return Choice(Action.CORRECT, value=str(right))
    return Choice(Action.DISMISS, reason=DISMISS_REASON)


def load_batch_truth(samples: Path) -> dict[str, Any] | None:
    """The batch's own expected findings (``truth/batch.json``'s
    ``expected_batch_findings``) as a truth ``choose`` reads; None without that file."""
    path = samples / "truth" / "batch.json"
    if not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    return {"expected_findings": document.get("expected_batch_findings", [])}


def load_truths(samples: Path) -> dict[str, dict[str, Any]]:
    """The scanned sources' truth (``shenbao.truth/1`` sources of kind scan) by their
    submission id."""
    truths: dict[str, dict[str, Any]] = {}
    for path in sorted((samples / "truth").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("schema") != "shenbao.truth/1":
            continue
        for source in document.get("sources", ()):
            if source.get("kind") == "scan" and source.get("submission_id"):
                truths[source["submission_id"]] = source
    return truths


# ---- the run, the reviewer, the app -------------------------------------------------


def run_sample_batch(samples: Path, store: str) -> tuple[str, float]:
    """``shenbao run samples/batch --online samples/online/export.xlsx`` into ``store``
    (a child process, the cache in SHENBAO_CACHE_DIR); the batch id and the wall time."""
    started = time.monotonic()
    command = [sys.executable, "-m", "flows.cli", "run", str(samples / "batch")]
    command += ["--online", str(samples / "online" / "export.xlsx"), "--store", store]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return only_batch(open_store(store)), time.monotonic() - started


def only_batch(store: ObjectStore) -> str:
    batches = sorted({key.split("/")[1] for key in store.list("batches/")})
    if len(batches) != 1:
        raise RuntimeError(f"expected one batch in the store, found {batches}")
    return batches[0]


@contextmanager
def served(store: ObjectStore) -> Iterator[tuple[str, FastAPI]]:
    """The workbench over ``store`` on a free local port (a fresh signing key): its URL and
    the app."""
    import uvicorn

    from workbench.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(store, key=secrets.token_bytes(40))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def add_reviewer(store: ObjectStore) -> str:
    """A reviewer with a random password (returned, never printed)."""
    from workbench.users import Role, add_user, hash_password, load_users

    password = secrets.token_urlsafe(18)
    if load_users(store).find(REVIEWER) is None:
        add_user(store, REVIEWER, Role.REVIEWER, hash_password(password))
    else:
        from workbench.users import set_password

        set_password(store, REVIEWER, hash_password(password))
    return password


# ---- the clearing, in the browser ---------------------------------------------------


def _current(page: Page) -> str | None:
    chosen = page.locator("li.finding.current")
    return chosen.get_attribute("data-finding") if chosen.count() else None


def _go_to(page: Page, target: str) -> None:
    """j/k until ``target`` is the chosen finding."""
    order: list[str] = page.locator("li.finding").evaluate_all(
        "items => items.map(item => item.dataset.finding)"
    )
    for _ in range(2 * len(order) + 2):
        now = _current(page)
        if now == target:
            return
        if now is None or order.index(now) < order.index(target):
            page.keyboard.press("j")
        else:
            page.keyboard.press("k")
    raise RuntimeError(f"could not reach finding {target} by j/k")


def _answer(page: Page, keys: Callable[[], None]) -> None:
    """Press the keys that submit a decision; wait for the page it leads to."""
    with page.expect_navigation(timeout=120_000, wait_until="domcontentloaded"):
        keys()


def _wait_decided(page: Page, finding: str, seconds: float = 120) -> None:
    """Until the page shows the answer: the finding decided (or gone, a correction having
    cleared it) or the decision refused."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + seconds
    item = page.locator(f"#finding-{finding}")
    while time.monotonic() < deadline:
        if page.locator("#decision-error").count():
            return
        try:
            if not item.count() or item.get_attribute("data-open", timeout=1000) == "no":
                return
        except PlaywrightError:
            pass  # the page was being replaced
        time.sleep(0.02)
    raise RuntimeError(f"finding {finding}: no answer within {seconds:.0f} s")


def _decide(page: Page, choice: Choice) -> None:
    if choice.action is Action.CONFIRM:
        _answer(page, lambda: page.keyboard.press("c"))
        return
    key, text = ("d", choice.reason) if choice.action is Action.DISMISS else ("e", choice.value)

    def typed() -> None:
        page.keyboard.press(key)
        page.keyboard.type(text or "")
        page.keyboard.press("Enter")

    _answer(page, typed)


def clear_submission(
    page: Page,
    url: str,
    report_of: Callable[[], Report],
    truth: Mapping[str, Any] | None,
    counts: Counter[str],
) -> None:
    """Every open finding of one submission decided by keyboard (a refused decision is
    counted and the finding confirmed instead)."""
    clear_page(page, url, lambda: report_of().findings, truth, counts)


def clear_page(
    page: Page,
    url: str,
    findings_of: Callable[[], Sequence[Finding]],
    truth: Mapping[str, Any] | None,
    counts: Counter[str],
) -> None:
    """Every open finding of the page at ``url`` (a submission's, or the batch page's own
    findings) decided by keyboard; ``findings_of`` gives the findings as stored now (a
    refused decision is counted and the finding confirmed instead)."""
    page.goto(url)
    tried: set[tuple[str, Action]] = set()
    findings = {f.id: f for f in findings_of()}
    for _ in range(200):
        open_ids: list[str] = page.locator("li.finding[data-open='yes']").evaluate_all(
            "items => items.map(item => item.dataset.finding)"
        )
        if not open_ids:
            return
        now = _current(page)
        target = now if now in open_ids else open_ids[0]
        if target not in findings:
            findings = {f.id: f for f in findings_of()}  # a correction re-checked the report
        choice = choose(findings[target], truth) if target in findings else Choice(Action.CONFIRM)
        if (target, choice.action) in tried:
            counts["refused"] += 1
            choice = Choice(Action.CONFIRM)
        tried.add((target, choice.action))
        _go_to(page, target)
        _decide(page, choice)
        _wait_decided(page, target)
        if page.locator("#decision-error").count():
            page.goto(url)  # the refused page is the POST's: back to the submission
            continue
        counts[choice.action.value] += 1
        if choice.action is Action.CORRECT:
            findings = {f.id: f for f in findings_of()}
    raise RuntimeError(f"{url}: findings still open after 200 decisions")


def bench_review(
    samples: Path,
    store_uri: str | None = None,
    screenshot: Path | None = None,
    progress: Callable[[str], None] = print,
) -> ReviewFigures:
    """Run the sample batch (unless ``store_uri`` holds one already run), clear it by
    keyboard in Chromium and time the clearing."""
    from playwright.sync_api import sync_playwright

    scratch = tempfile.mkdtemp(prefix="shenbao-review-") if store_uri is None else None
    try:
        uri = store_uri or str(Path(scratch or ".") / "store")
        store = open_store(uri)
        run_seconds: float | None = None
        if not list(store.list("batches/")):
            progress(f"running the sample batch into {uri} …")
            batch, run_seconds = run_sample_batch(samples, uri)
        else:
            batch = only_batch(store)
        password = add_reviewer(store)
        truths = load_truths(samples)
        from usecases.reconcile import load_reports
        from workbench.pages import open_finding_ids, own_findings, with_decisions

        manifest = Manifest.model_validate_json(store.get_bytes(manifest_key(batch)))
        reports = [r for r in load_reports(store, manifest) if isinstance(r, Report)]
        start_open = sum(len(open_finding_ids(with_decisions(store, r))) for r in reports)
        start_open += sum(item.open for item in own_findings(store, batch))
        counts: Counter[str] = Counter()
        browser_path = shutil.which("chromium") or CHROMIUM
        with served(store) as (base, app), sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=browser_path)
            context = browser.new_context(
                base_url=base, locale="zh-CN", viewport={"width": 1600, "height": 1000}
            )
            page = context.new_page()
            page.goto("/login")
            page.fill("input[name=name]", REVIEWER)
            page.fill("input[name=password]", password)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/")
            started = time.monotonic()
            for report in reports:
                sid = report.submission_id

                def current(sid: str = sid) -> Report:
                    return Report.model_validate_json(store.get_bytes(report_key(batch, sid)))

                clear_submission(
                    page, f"{base}/batches/{batch}/{sid}", current, truths.get(sid), counts
                )
                progress(f"{sid}: cleared")

            def own() -> tuple[Finding, ...]:
                stored = store.get_bytes(manifest_key(batch))
                return Manifest.model_validate_json(stored).findings

            clear_page(page, f"{base}/batches/{batch}", own, load_batch_truth(samples), counts)
            progress("the batch's own findings: cleared")
            clearing = time.monotonic() - started
            page.goto(f"/batches/{batch}")
            open_at_end = _batch_open(page)
            shot = None
            if screenshot is not None:
                busiest = max(reports, key=lambda r: len(r.findings))
                page.goto(f"/batches/{batch}/{busiest.submission_id}")
                page.keyboard.press("j")
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
                shrink_png(screenshot)
                shot = str(screenshot)
            context.close()
            browser.close()
            republisher = getattr(app.state, "republisher", None)
            if republisher is not None:
                republisher.wait()  # the stored pages, re-published after the answers
            republished = time.monotonic() - started - clearing
        objects = [
            Decision.model_validate_json(store.get_bytes(key))
            for key in store.list(decisions_prefix(batch))
        ]
        decided = sum(counts[a.value] for a in Action)
        return ReviewFigures(
            batch=batch,
            submissions=len(reports),
            findings_open_at_start=start_open,
            decisions=decided,
            by_action={a.value: counts[a.value] for a in Action},
            decision_objects=len(objects),
            open_at_end=open_at_end,
            refused=counts["refused"],
            clearing_seconds=round(clearing, 2),
            republished_after_seconds=round(republished, 1),
            seconds_per_decision=round(clearing / decided, 3) if decided else 0.0,
            run_seconds=round(run_seconds, 1) if run_seconds is not None else None,
            screenshot=shot,
        )
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def shrink_png(path: Path, budget: int = SCREENSHOT_BUDGET) -> None:
    """A PNG larger than ``budget`` bytes rewritten with a 256-colour palette (a page of
    text and crops keeps readable; ~1 MB -> ~0.3 MB at 1600 px wide)."""
    if path.suffix.lower() != ".png" or path.stat().st_size <= budget:
        return
    from PIL import Image

    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    palette.save(path, optimize=True)


def _batch_open(page: Page) -> int:
    """The batch page's open findings (待处理): summed over its rows, and its own."""
    total = 0
    for cell in page.locator("td.open").all():
        text = cell.inner_text().strip()
        total += int(text) if text.isdigit() else 0
    return total + page.locator("li.finding[data-open='yes']").count()


def review_tables(figures: ReviewFigures) -> list[Table]:
    """The figures as one table."""
    table = Table(title=f"clearing batch {figures.batch} by keyboard (Chromium)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    actions = ", ".join(f"{action} {n}" for action, n in figures.by_action.items())
    rows = [
        ("submissions", str(figures.submissions)),
        ("open findings at the start", str(figures.findings_open_at_start)),
        ("decisions", f"{figures.decisions} ({actions})"),
        ("decision objects in the store", str(figures.decision_objects)),
        ("refused, confirmed instead", str(figures.refused)),
        ("open on the batch page at the end", str(figures.open_at_end)),
        ("clearing wall time", f"{figures.clearing_seconds:.1f} s"),
        ("per decision", f"{figures.seconds_per_decision:.2f} s"),
        (
            "stored pages all republished, after the last answer",
            f"{figures.republished_after_seconds:.0f} s",
        ),
        (
            "the run (not in the clearing)",
            "—" if figures.run_seconds is None else f"{figures.run_seconds:.0f} s",
        ),
        ("screenshot", figures.screenshot or "—"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return [table]
