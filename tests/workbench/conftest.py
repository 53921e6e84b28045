"""A store with one batch and its files, users in it, and the app over it.

``any_store`` is the local store and SeaweedFS S3 (``tests/seaweed.py``) in turn.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.model import (
    Annex,
    Finding,
    FindingCode,
    Manifest,
    ManifestEntry,
    Report,
    SubmissionSource,
    status_of,
)
from storage.base import (
    ObjectStore,
    evidence_key,
    json_bytes,
    manifest_key,
    report_html_key,
    report_key,
    summary_key,
)
from storage.local_store import LocalStore
from storage.minio_store import MinioStore
from tests.seaweed import SeaweedServer
from tests.usecases.test_review import export_with, publish
from workbench.app import create_app
from workbench.security import WorkbenchSettings, load_settings
from workbench.users import Role, add_user, hash_password, load_users

BATCH = "b-2026"
SUBMISSIONS = ("scan_0001-p001-009", "scan_0002-p001-006")
PASSWORD = "correct horse battery"
KEY = b"k" * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
XLSX_BYTES = b"PK\x03\x04 summary"
REPORT_HTML = "<!doctype html><title>报告</title><p>scan_0001 的报告</p>"


def _report(submission: str, findings: tuple[Finding, ...]) -> Report:
    return Report(
        batch=BATCH,
        submission_id=submission,
        annex=Annex.PILOT,
        source=SubmissionSource(file=f"{submission}.pdf", sha256="ab" * 32, pages=(1, 9)),
        status=status_of(findings),
        findings=findings,
    )


def put_batch(store: ObjectStore) -> None:
    """A batch of two submissions (one failing, one passing), its report pages, one
    evidence crop and the summary workbook."""
    missing = Finding.of(FindingCode.FIELD_MISSING, "缺少 组建模式", field="setup_mode")
    reports = [_report(SUBMISSIONS[0], (missing,)), _report(SUBMISSIONS[1], ())]
    manifest = Manifest(
        batch=BATCH,
        files=(
            ManifestEntry(
                file="scans.pdf",
                sha256="cd" * 32,
                size=10,
                pages=15,
                state="processed",
                submissions=SUBMISSIONS,
            ),
            ManifestEntry(file="empty.pdf", size=0, state="quarantined", reason="空文件"),
        ),
    )
    store.put_bytes(manifest_key(BATCH), json_bytes(manifest))
    for report in reports:
        store.put_bytes(report_key(BATCH, report.submission_id), report.to_json().encode())
    store.put_bytes(report_html_key(BATCH, SUBMISSIONS[0]), REPORT_HTML.encode())
    store.put_bytes(evidence_key(BATCH, SUBMISSIONS[0], "finding-01.png"), PNG)
    store.put_bytes(summary_key(BATCH), XLSX_BYTES)
    store.put_bytes(f"batches/{BATCH}/index.html", b"<!doctype html><p>index</p>")


@pytest.fixture
def settings() -> WorkbenchSettings:
    return load_settings()


@pytest.fixture(scope="session")
def workbench_bucket() -> str:
    """One bucket for every workbench test on S3, each test under its own prefix:
    SeaweedFS gives each bucket volumes of its own, and a test session's server runs out
    of them after about fifty buckets."""
    return f"shenbao-wb-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def any_store_s3(seaweed: SeaweedServer, workbench_bucket: str) -> ObjectStore:
    """A store of its own in the workbench tests' one bucket (its own prefix)."""
    return MinioStore(workbench_bucket, seaweed.settings(), prefix=f"t-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    store: ObjectStore = request.getfixturevalue("any_store_s3")
    return store


@pytest.fixture
def local_store(tmp_path: Path) -> ObjectStore:
    return LocalStore(tmp_path / "store")


_HASH = hash_password(PASSWORD)  # one slow hash for every test user


def put_users(store: ObjectStore) -> None:
    """An admin, a reviewer and a viewer, all with ``PASSWORD``."""
    for name, role in (("ada", Role.ADMIN), ("rui", Role.REVIEWER), ("vic", Role.VIEWER)):
        add_user(store, name, role, _HASH)


class Clock:
    """Unix time the tests move."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_client(clock: Clock, settings: WorkbenchSettings) -> Callable[..., TestClient]:
    """A client of the app over a store holding the batch and the users."""

    def make(store: ObjectStore, **options: object) -> TestClient:
        put_batch(store)
        if not load_users(store).users:
            put_users(store)
        options = {"settings": settings, "clock": clock} | options
        app = create_app(store, key=KEY, **options)  # type: ignore[arg-type]
        return TestClient(app, base_url="http://testserver", follow_redirects=False)

    return make


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    """Log in through the form (as a browser does); the answer's status."""
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"name": name, "password": password, "csrf": token, "next": "/"}
    )
    return answer.status_code


@pytest.fixture(params=["local", "s3"])
def decided_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """The review use cases' published batch (a FIELD_MISMATCH on 法定代表人 among its
    findings) with the users, on the local store and on S3 in turn."""
    store: ObjectStore = (
        LocalStore(tmp_path / "store")
        if request.param == "local"
        else request.getfixturevalue("any_store_s3")
    )
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    put_users(store)
    return store
