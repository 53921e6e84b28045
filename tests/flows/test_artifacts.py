"""Reviewers' artifacts in Prefect's UI: the submissions table and the batch summary."""

from __future__ import annotations

import io
import json
import re
import shutil
import warnings
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from rich.console import Console

from flows import artifacts
from flows.artifacts import (
    artifact_key,
    escape_markdown,
    publish_artifacts,
    publish_batch_artifacts,
    report_links,
    store_links,
    submission_rows,
    summary_markdown,
)
from pipeline.model import (
    Annex,
    Finding,
    FindingCode,
    Manifest,
    ManifestEntry,
    OnlineExportRef,
    OnlineMatch,
    Report,
    SubmissionSource,
    status_of,
)
from storage.local_store import LocalStore
from storage.minio_store import MinioStore
from tests.readers import SAMPLES

SHA = "ab" * 32
BATCH = "2022-pilot-1a2b3c4d"


def _report(
    sid: str,
    file: str,
    annex: Annex,
    codes: tuple[FindingCode, ...] = (),
    record: str | None = None,
) -> Report:
    findings = tuple(Finding.of(c, f"{c.value} 的说明") for c in codes)
    return Report(
        batch=BATCH,
        submission_id=sid,
        annex=annex,
        source=SubmissionSource(file=file, sha256=SHA, pages=(1, 3)),
        status=status_of(findings),
        findings=findings,
        online=OnlineMatch(matched_by="uscc", record_id=record) if record else None,
    )


@pytest.fixture
def reports() -> list[Report]:
    return [
        _report("P001-p001-009", "P001.pdf", Annex.PILOT, record="GZ2022-0101"),
        _report(
            "C003-p001-012",
            "a|b*c_[x].pdf",
            Annex.CERTIFICATION,
            (
                FindingCode.FIELD_LOW_CONFIDENCE,
                FindingCode.FIELD_LOW_CONFIDENCE,
                FindingCode.RECOMMENDATION_EXEMPT,
            ),
            record="GZ2022-0203",
        ),
        _report(
            "P004-p001-009",
            "P004.pdf",
            Annex.PILOT,
            (FindingCode.FIELD_LOW_CONFIDENCE, FindingCode.SEAL_MISSING),
        ),
        _report("bad-p000-000", "notes|.pdf", Annex.UNKNOWN, (FindingCode.FILE_UNREADABLE,)),
    ]


@pytest.fixture
def manifest() -> Manifest:
    return Manifest(
        batch=BATCH,
        online=OnlineExportRef(file="export.xlsx", sha256=SHA, size=10),
        files=(
            ManifestEntry(
                file="P001.pdf",
                sha256=SHA,
                size=1,
                pages=9,
                state="processed",
                submissions=("P001-p001-009",),
            ),
            ManifestEntry(
                file="notes|.pdf",
                size=9,
                state="quarantined",
                submissions=("bad-p000-000",),
                reason="不是 PDF 文件 *请* 重新提交",
            ),
        ),
    )


PAPER_MISSING = (
    Finding.of(
        FindingCode.PAPER_MISSING,
        "网上填报记录 GZ2022-0999 没有对应的纸质材料",
        key="GZ2022-0999",
    ),
)


def _link(report: Report) -> str:
    return f"https://store.example/reports/{report.submission_id}/report.html?sig=a b"


def test_one_row_per_submission_with_status_counts_codes_and_link(
    reports: list[Report],
) -> None:
    rows = submission_rows(reports, _link)
    assert [r["提交编号"] for r in rows] == [r.submission_id for r in reports]
    assert list(rows[0]) == list(artifacts.COLUMNS)
    first, second, third, fourth = rows
    assert (first["申报类型"], first["状态"], first["错误"], first["警告"]) == (
        "试点",
        "通过",
        0,
        0,
    )
    assert first["问题代码"] == "—" and first["网上填报编号"] == "GZ2022-0101"
    assert first["报告"] == _link(reports[0])
    # warnings only: 需复核; an info finding is counted in neither
    assert (second["申报类型"], second["状态"], second["错误"], second["警告"]) == (
        "认定",
        "需复核",
        0,
        2,
    )
    assert second["问题代码"] == "FIELD_LOW_CONFIDENCE×2, RECOMMENDATION_EXEMPT"
    assert second["文件"] == "a|b*c_[x].pdf"  # a table cell is plain text
    # errors first
    assert third["状态"] == "不通过" and (third["错误"], third["警告"]) == (1, 1)
    assert third["问题代码"] == "SEAL_MISSING, FIELD_LOW_CONFIDENCE"
    assert third["网上填报编号"] == "—"
    assert (fourth["申报类型"], fourth["状态"]) == ("未识别", "不通过")


def test_the_summary_counts_lists_and_links(reports: list[Report], manifest: Manifest) -> None:
    text = summary_markdown(
        manifest, reports, PAPER_MISSING, "https://store.example/batches/b/index.html", _link
    )
    assert text.startswith("# 批次 2022-pilot-1a2b3c4d 审核摘要\n")
    assert "- 文件 2 个：已处理 1，隔离 1" in text
    assert "- 申报材料 4 份：不通过 2，需复核 1，通过 1" in text
    assert "export.xlsx（SHA-256 abababababab…）" in text
    assert "未提供（未核查纸质材料报送期限）" in text
    assert "[index.html](<https://store.example/batches/b/index.html>)" in text
    for row in ("| 不通过 | 2 |", "| 需复核 | 1 |", "| 通过 | 1 |"):
        assert row in text
    # quarantined, with its reason; PAPER_MISSING with its filing
    assert "## 隔离文件（1）" in text
    assert r"| notes\|.pdf | 不是 PDF 文件 \*请\* 重新提交 |" in text
    assert "## 网上已填报但本批次未见纸质材料（1）" in text
    assert "| GZ2022-0999 | 网上填报记录 GZ2022-0999 没有对应的纸质材料 |" in text
    # findings by code: errors, then warnings, then info; counted, where
    codes = re.findall(r"^\| ([A-Z_]+) \| .+ \| .+ \| (\d+) \| (.+) \|$", text, re.M)
    assert codes == [
        ("FILE_UNREADABLE", "1", "bad-p000-000"),
        ("SEAL_MISSING", "1", "P004-p001-009"),
        ("PAPER_MISSING", "1", "GZ2022-0999"),
        ("FIELD_LOW_CONFIDENCE", "3", "C003-p001-012, P004-p001-009"),
        ("RECOMMENDATION_EXEMPT", "1", "C003-p001-012"),
    ]
    assert "| SEAL_MISSING | 缺少印章 | 错误 | 1 |" in text
    # each report linked (the space of the URL encoded), its file name escaped
    link = "https://store.example/reports/C003-p001-012/report.html?sig=a%20b"
    assert f"| [C003-p001-012](<{link}>) | 认定 | 需复核 | 0 | 2 | GZ2022-0203 " in text
    assert r"| a\|b\*c\_\[x\].pdf |" in text


def test_markdown_significant_characters_are_escaped() -> None:
    assert escape_markdown("a|b*c_d`e[f](g)<h>#i~j&k\\l") == (
        r"a\|b\*c\_d\`e\[f\](g)\<h\>\#i\~j\&k\\l"
    )
    assert escape_markdown("two\r\n lines\n") == "two lines "


def test_a_batch_without_reports_or_quarantine(manifest: Manifest) -> None:
    empty = manifest.model_copy(update={"files": (), "online": None})
    text = summary_markdown(empty, [], (), "/var/store/batches/b/index.html", _link)
    assert "- 申报材料 0 份：不通过 0，需复核 0，通过 0" in text
    assert "## 隔离文件（0）\n\n无。" in text
    assert "## 问题（按代码）\n\n无。" in text
    assert "本批次没有可处理的申报材料。" in text
    assert "网上填报数据" not in text and "未见纸质材料" not in text
    # a path is not a link, but is there to copy
    assert r"- 批次索引：index.html（/var/store/batches/b/index.html）" in text


def test_artifact_keys_are_valid_and_distinct() -> None:
    assert artifact_key(BATCH, "summary") == f"shenbao-{BATCH}-summary"
    changed = artifact_key("Pilot_A.2", "summary")
    assert re.fullmatch(r"shenbao-pilot-a-2-[0-9a-f]{8}-summary", changed)
    assert changed != artifact_key("pilot-a-2", "summary") == "shenbao-pilot-a-2-summary"
    assert changed != artifact_key("pilot_a_2", "summary")


def test_local_store_links_are_file_uris(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store folder")
    report = _report("P001-p001-009", "P001.pdf", Annex.PILOT)
    link = report_links(store, BATCH)(report)
    assert link.startswith("file:///") and "store%20folder" in link
    index = store_links(store)("batches/b/index.html")
    text = summary_markdown(Manifest(batch="b", files=()), [], (), index, lambda r: "")
    path = escape_markdown(f"{tmp_path}/store folder/batches/b/index.html")
    assert f"[index.html](<{index}>)（{path}）" in text
    assert link.endswith(f"/reports/{BATCH}/P001-p001-009/report.html")
    assert store_links(store)("batches/b/index.html").endswith("/batches/b/index.html")


def test_outside_a_run_nothing_is_published(reports: list[Report], manifest: Manifest) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even Prefect's deprecation warning
        assert publish_artifacts(BATCH, manifest, reports, (), "x", _link) is None


@pytest.mark.usefixtures("prefect_harness")
def test_published_inside_a_flow_run(
    reports: list[Report], manifest: Manifest, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "store")
    # the batch's own findings are the manifest's: the summary shows them from there
    manifest = Manifest.model_validate(manifest.model_dump() | {"findings": PAPER_MISSING})

    @flow(name="publish-artifacts-test")
    def publishing() -> object:
        return publish_batch_artifacts(store, manifest, reports)

    state = publishing(return_state=True)
    ids = state.result()
    assert ids is not None
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(
                    any_=[artifact_key(BATCH, "submissions"), artifact_key(BATCH, "summary")]
                )
            )
        )
    by_type = {a.type: a for a in found if a.id in ids}
    table, summary = by_type["table"], by_type["markdown"]
    assert table.flow_run_id == summary.flow_run_id == state.state_details.flow_run_id
    assert table.key == f"shenbao-{BATCH}-submissions"
    assert "申报材料 4 份" in (table.description or "")
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert [r["提交编号"] for r in rows] == [r.submission_id for r in reports]
    assert rows[0]["报告"] == store_links(store)(f"reports/{BATCH}/P001-p001-009/report.html")
    assert isinstance(summary.data, str)
    assert "# 批次 2022-pilot-1a2b3c4d 审核摘要" in summary.data
    assert "GZ2022-0999" in summary.data
    assert store_links(store)(f"batches/{BATCH}/index.html") in summary.data


def test_the_command_lines_summary_table(reports: list[Report]) -> None:
    from flows.cli import _submissions_table

    screen = io.StringIO()
    rows = [artifacts.row_of(r) for r in reports]
    Console(file=screen, width=120).print(_submissions_table(BATCH, rows))
    lines = screen.getvalue().splitlines()
    assert BATCH in lines[0]
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if "-p0" in line]
    assert cells == [
        ["P001-p001-009", "pilot", "pass", "0", "0", "GZ2022-0101"],
        ["C003-p001-012", "certification", "needs_review", "0", "2", "GZ2022-0203"],
        ["P004-p001-009", "pilot", "fail", "1", "1", "—"],
        ["bad-p000-000", "unknown", "fail", "1", "0", "—"],
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_run_ends_with_the_summary_table_then_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows import cli
    from flows import console as cli_console
    from storage.base import index_key, manifest_key

    # Wider than the tables, narrower than the paths: a location printed in a terminal
    # of any width, from a folder of any length, stays on one line (one can copy it).
    wide = Console(width=100)
    monkeypatch.setattr(cli, "console", wide)
    monkeypatch.setattr(cli_console, "console", wide)
    base = tmp_path / ("a-folder-with-a-long-name-" * 5)
    folder = base / "in"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLES / "electronic" / "P001.pdf", folder / "P001.pdf")
    (folder / "empty.pdf").write_bytes(b"")
    store = base / "store"
    result = CliRunner().invoke(
        cli.app,
        [
            "run",
            str(folder),
            "--online",
            str(SAMPLES / "online" / "export.csv"),
            "--store",
            str(store),
            "--batch",
            "b1",
        ],
    )
    assert result.exit_code == 0, result.output
    output = result.output
    assert "submissions of batch b1" in output
    table = output[output.index("submissions of batch b1") :]
    (p001,) = [line for line in table.splitlines() if "P001-p001-009" in line]
    report = json.loads((store / "reports/b1/P001-p001-009/report.json").read_text())
    assert report["status"] in p001 and report["online"]["record_id"] in p001
    (empty,) = [line for line in table.splitlines() if "empty" in line or "fail" in line]
    assert "fail" in empty
    # the locations, each whole on its line, the index last
    lines = output.rstrip().splitlines()
    local = LocalStore(store)
    assert len(local.location(index_key("b1"))) > 100
    assert lines[-1] == f"index: {local.location(index_key('b1'))}"
    assert lines[-2] == f"manifest: {local.location(manifest_key('b1'))}"
    assert lines[-3].startswith("online export: export.csv (sha256 ")
    assert output.index("submissions of batch") < output.index("manifest: ")


def test_s3_store_links_are_presigned(s3_store: MinioStore) -> None:
    report = _report("P001-p001-009", "P001.pdf", Annex.PILOT)
    link = report_links(s3_store, BATCH)(report)
    assert link.startswith("http") and "X-Amz-Signature=" in link
    assert f"/reports/{BATCH}/P001-p001-009/report.html?" in link


def test_the_command_line_reads_each_stored_report_to_its_row(
    reports: list[Report], manifest: Manifest, tmp_path: Path
) -> None:
    from flows.cli import _stored_rows
    from pipeline.errors import InputError
    from storage.base import json_bytes, report_key

    store = LocalStore(tmp_path / "store")
    for report in (reports[0], reports[3]):
        store.put_bytes(report_key(BATCH, report.submission_id), json_bytes(report))
    rows = _stored_rows(store, manifest)
    assert rows == [artifacts.row_of(reports[0]), artifacts.row_of(reports[3])]
    listed = manifest.files[0].model_copy(update={"submissions": ("P001-p001-009", "gone")})
    with pytest.raises(InputError, match="gone"):
        _stored_rows(store, manifest.model_copy(update={"files": (listed,)}))
