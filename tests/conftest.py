"""Test-wide setup: Prefect runs against a throw-away home and database.

Prefect reads its settings once, when first imported, so the environment is set here, at
collection time, before any test module imports it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator

import psutil
import pytest

from pipeline.rulebook import Rules

_PREFECT_HOME = tempfile.mkdtemp(prefix="shenbao-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # as `shenbao` has it (prefect_env)
# OCR and page caches of the tests' own: a test never reads what a run left in var/cache.
_CACHE_DIR = tempfile.mkdtemp(prefix="shenbao-test-cache-")
os.environ["SHENBAO_CACHE_DIR"] = _CACHE_DIR

# The real S3 server's fixtures (seaweed, bucket_name, s3_store), for every test.
from tests.seaweed import bucket_name, s3_store, seaweed  # noqa: E402, F401


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the fields goldens (tests/extractors/golden/fields) from the current "
        "extraction instead of comparing with them",
    )


def _stop_leftover_workers() -> None:
    """Kill worker processes (multiprocessing's spawned children) a test left running, and
    say which: at exit the interpreter joins the threads that wait on them, so one left
    blocked would hang the run after every test passed, where no test timeout reaches."""
    left = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                left.append(child)
        except psutil.Error:
            pass  # ended meanwhile
    for child in left:
        sys.stderr.write(f"\nwarning: worker process {child.pid} left running by a test: killed\n")
        with contextlib.suppress(psutil.Error):
            child.kill()


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_leftover_workers()
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server and database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=None):
        yield


def _pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4, encrypt=password, invariant=True)
    for number in range(1, pages + 1):
        document.drawString(72, 720, f"page {number}")
        document.showPage()
    document.save()
    return buffer.getvalue()


@pytest.fixture(scope="session")
def pdf_bytes() -> Callable[..., bytes]:
    """Makes a small valid PDF: ``pdf_bytes(pages=1, password=None)``."""
    return _pdf_bytes


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The shipped rules folder, loaded and validated once for the session."""
    from tests.rulebook import RULES

    return RULES
