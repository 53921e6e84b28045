"""report.html and index.html as a browser renders them: headless Chromium (Debian ``chromium``).

Skipped, with the reason, only when no ``chromium`` binary is on the PATH (``make test``
installs it). ``python -m tests.reports.test_rendered`` refreshes ``docs/report.png``, the
screenshot the README shows.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.model import Manifest, ManifestEntry
from reports import relative_link, render_index_html, render_report_html
from tests.readers import TEMPLATES
from tests.reports.conftest import electronic_report, scan_evidence, scan_reports

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "report.png"
CHROMIUM = shutil.which("chromium")
TIMEOUT_S = 90

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no `chromium` on PATH: `apt-get install chromium` (make test does)"
)


def write_batch(root: Path) -> tuple[Path, Path]:
    """The scan's report (with evidence) and an electronic one, and their index, as stored."""
    (scan,) = scan_reports()
    crops, thumbnails = scan_evidence()
    reports = [scan, electronic_report("C003.docx")]
    for report in reports:
        html = render_report_html(
            report,
            TEMPLATES,
            evidence=crops if report is scan else {},
            thumbnails=thumbnails if report is scan else {},
            review_threshold=0.9,
        )
        path = root / "reports" / report.batch / report.submission_id / "report.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(html)
    manifest = Manifest(
        batch="b1",
        files=tuple(
            ManifestEntry(
                file=r.source.file,
                sha256=r.source.sha256,
                size=1,
                state="processed",
                submissions=(r.submission_id,),
            )
            for r in reports
        ),
    )
    index = root / "batches" / "b1" / "index.html"
    index.parent.mkdir(parents=True)
    index.write_bytes(
        render_index_html(
            manifest,
            reports,
            relative_link("batches/b1/index.html"),
            lambda r: f"reports/b1/{r.submission_id}/report.html",
            review_threshold=0.9,
        )
    )
    return root / "reports" / "b1" / scan.submission_id / "report.html", index


def chromium(*arguments: str, profile: Path) -> str:
    assert CHROMIUM is not None
    finished = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def dom_of(path: Path, profile: Path) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Dom()
    parser.feed(chromium("--dump-dom", path.as_uri(), profile=profile))
    return parser.tags


def screenshot(report_html: Path, out: Path, profile: Path) -> None:
    chromium(
        "--window-size=1280,1800", f"--screenshot={out}", report_html.as_uri(), profile=profile
    )


@needs_chromium
@pytest.mark.slow
def test_the_browser_shows_the_findings_table_and_the_index(tmp_path: Path) -> None:
    report_html, index_html = write_batch(tmp_path / "store")
    (scan,) = scan_reports()

    dom = dom_of(report_html, tmp_path / "profile")
    assert ("table", {"class": "findings"}) in dom
    codes = [a["data-code"] for tag, a in dom if tag == "tr" and "data-code" in a]
    assert sorted(codes) == sorted(f.code.value for f in scan.findings)
    assert any(tag == "img" and (a.get("src") or "").startswith("data:image/png") for tag, a in dom)

    index = dom_of(index_html, tmp_path / "profile")
    assert ("table", {"class": "submissions"}) in index
    links = [a["href"] for tag, a in index if tag == "a"]
    assert f"../../reports/b1/{scan.submission_id}/report.html" in links
    # the relative link leads to the report the browser just rendered
    assert (index_html.parent / str(links[0])).resolve() == report_html.resolve()

    shot = tmp_path / "report.png"
    screenshot(report_html, shot, tmp_path / "profile")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


def _refresh_screenshot() -> int:
    if CHROMIUM is None:
        print("no chromium on PATH", file=sys.stderr)
        return 1
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        report_html, _ = write_batch(Path(folder) / "store")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        screenshot(report_html, SCREENSHOT, Path(folder) / "profile")
    print(f"wrote {SCREENSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(_refresh_screenshot())
