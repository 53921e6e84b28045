"""What reviewers see of a batch in Prefect's UI: a table of submissions and a summary.

Two pure builders (``submission_rows``, ``summary_markdown``) and one publisher
(``publish_artifacts``) that hands them to Prefect as a table artifact and a markdown
artifact, keyed by the batch (``shenbao-{batch}-submissions``, ``shenbao-{batch}-summary``),
so a re-run of a batch adds a new version of the same two artifacts. Links go where a
person can open them from the UI: a presigned URL on S3, a ``file://`` URI on a local
store (``store_links``); a relative store key would lead nowhere from there.

The batch flow calls, once its index is written::

    publish_batch_artifacts(object_store, manifest, reports)
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import cast
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname
from uuid import UUID

import httpx
from pydantic import Field

from pipeline.model import (
    Annex,
    Finding,
    FindingCode,
    Frozen,
    Manifest,
    Report,
    Severity,
    Status,
)
from reports.labels import CODE_LABELS, SEVERITY_LABELS, SEVERITY_ORDER, STATUS_LABELS
from reports.shown import visible
from storage.base import ObjectStore, index_key, report_html_key
from storage.minio_store import MinioStore

logger = logging.getLogger(__name__)

# The short names reviewers use for the two forms.
ANNEX_SHORT: dict[Annex, str] = {
    Annex.PILOT: "试点",
    Annex.CERTIFICATION: "认定",
    Annex.UNKNOWN: "未识别",
}
# The table's columns, in order.
COLUMNS: tuple[str, ...] = (
    "提交编号",
    "文件",
    "申报类型",
    "状态",
    "错误",
    "警告",
    "问题代码",
    "网上填报编号",
    "报告",
)
STATUS_ORDER: tuple[Status, ...] = (Status.FAIL, Status.NEEDS_REVIEW, Status.PASS)
MAX_LISTED = 20  # submissions named per finding code in the summary; the rest are counted
NONE = "—"

ReportLink = Callable[[Report], str]


class SubmissionRow(Frozen):
    """One submission as the table and the command line show it."""

    submission: str
    file: str
    annex: Annex
    status: Status
    errors: int = Field(ge=0)
    warnings: int = Field(ge=0)
    codes: tuple[tuple[FindingCode, int], ...] = Field(
        description="each finding code once with how often, errors first"
    )
    online: str | None = Field(description="the matched online filing's record id")
    link: str = Field("", description="where a person opens the report")


def row_of(report: Report, link: str = "") -> SubmissionRow:
    """The row of one report."""
    counts = Counter(f.code for f in report.findings)
    order = list(FindingCode)
    codes = sorted(counts.items(), key=lambda c: (SEVERITY_ORDER[c[0].severity], order.index(c[0])))
    return SubmissionRow(
        submission=report.submission_id,
        file=report.source.file,
        annex=report.annex,
        status=report.status,
        errors=sum(f.severity is Severity.ERROR for f in report.findings),
        warnings=sum(f.severity is Severity.WARNING for f in report.findings),
        codes=tuple(codes),
        online=report.online.record_id if report.online is not None else None,
        link=link,
    )


def codes_text(codes: Iterable[tuple[FindingCode, int]]) -> str:
    """``SEAL_MISSING, FIELD_MISMATCH×2``; ``—`` for none."""
    return ", ".join(f"{c.value}×{n}" if n > 1 else c.value for c, n in codes) or NONE


def submission_rows(reports: Sequence[Report], links: ReportLink) -> list[dict[str, str | int]]:
    """The table artifact's rows: one per submission, in the reports' order."""
    rows: list[dict[str, str | int]] = []
    for report in reports:
        row = row_of(report, links(report))
        cells: tuple[str | int, ...] = (
            row.submission,
            row.file,
            ANNEX_SHORT[row.annex],
            STATUS_LABELS[row.status],
            row.errors,
            row.warnings,
            codes_text(row.codes),
            row.online or NONE,
            row.link,
        )
        shown = (visible(cell) if isinstance(cell, str) else cell for cell in cells)
        rows.append(dict(zip(COLUMNS, shown, strict=True)))
    return rows


# Every ASCII punctuation mark may be backslash-escaped in CommonMark; these are the ones
# that can start emphasis, code, links, HTML, entities, headings or table cells.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#&!{}$])")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def escape_markdown(text: str) -> str:
    """``text`` as literal markdown, on one line (safe in a table cell), its hidden
    characters shown (``shown.visible``): every text the summary takes from input passes
    here."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", visible(text)))


def markdown_link(text: str, target: str) -> str:
    """A link when ``target`` is a URL; otherwise the text and the target as plain text."""
    shown = escape_markdown(text)
    if not target:
        return shown
    if "://" not in target:  # a path: not clickable, but copyable
        return f"{shown}（{escape_markdown(target)}）"
    safe = quote(target, safe=":/?#[]@!$&'()*+,;=%~-._")  # spaces, <, > and the like
    return f"[{shown}](<{safe}>)"


def summary_markdown(
    manifest: Manifest,
    reports: Sequence[Report],
    batch_findings: Sequence[Finding],
    index_location: str,
    links: ReportLink,
) -> str:
    """The batch summary for reviewers, in Chinese markdown.

    Args:
        manifest: the batch's manifest (every input file, quarantined ones included).
        reports: the batch's reports, in the order to list them.
        batch_findings: the batch's own findings (PAPER_MISSING: a filing without paper).
        index_location: where a person opens the batch's ``index.html`` (URL or path).
        links: where a person opens a report.
    """
    rows = [row_of(r, links(r)) for r in reports]
    quarantined = [e for e in manifest.files if e.state == "quarantined"]
    counts = Counter(r.status for r in rows)
    lines = [
        f"# 批次 {escape_markdown(manifest.batch)} 审核摘要",
        "",
        f"- 文件 {len(manifest.files)} 个：已处理 {len(manifest.files) - len(quarantined)}，"
        f"隔离 {len(quarantined)}",
        f"- 申报材料 {len(rows)} 份："
        + "，".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in STATUS_ORDER),
    ]
    if manifest.online is not None:
        lines.append(
            f"- 网上填报数据：{escape_markdown(manifest.online.file)}"
            f"（SHA-256 {manifest.online.sha256[:12]}…）"
        )
    received = manifest.received.isoformat() if manifest.received else None
    lines.append(f"- 纸质材料收件日期：{received or '未提供（未核查纸质材料报送期限）'}")
    index = markdown_link("index.html", index_location)
    if index_location.startswith("file://"):  # should the UI not follow file links: the path
        index += f"（{escape_markdown(url2pathname(urlsplit(index_location).path))}）"
    lines.append(f"- 批次索引：{index}")

    lines += ["", "## 审核结论", "", "| 状态 | 份数 |", "| --- | ---: |"]
    lines += [f"| {STATUS_LABELS[s]} | {counts[s]} |" for s in STATUS_ORDER]

    lines += ["", f"## 隔离文件（{len(quarantined)}）", ""]
    if quarantined:
        lines += ["| 文件 | 原因 |", "| --- | --- |"]
        lines += [
            f"| {escape_markdown(e.file)} | {escape_markdown(e.reason or '（未说明原因）')} |"
            for e in quarantined
        ]
    else:
        lines.append("无。")

    paper_missing = [f for f in batch_findings if f.code is FindingCode.PAPER_MISSING]
    if paper_missing:
        lines += [
            "",
            f"## 网上已填报但本批次未见纸质材料（{len(paper_missing)}）",
            "",
            "| 网上填报编号 | 说明 |",
            "| --- | --- |",
        ]
        lines += [
            f"| {escape_markdown(f.key or NONE)} | {escape_markdown(f.message)} |"
            for f in paper_missing
        ]

    lines += ["", "## 问题（按代码）", ""]
    by_code = _by_code(reports, batch_findings)
    if by_code:
        lines += ["| 代码 | 问题 | 级别 | 次数 | 涉及 |", "| --- | --- | --- | ---: | --- |"]
        for code, (times, where) in by_code.items():
            named = ", ".join(escape_markdown(w) for w in where[:MAX_LISTED])
            if len(where) > MAX_LISTED:
                named += f" 等 {len(where)} 项"
            lines.append(
                f"| {code.value} | {CODE_LABELS[code]} | {SEVERITY_LABELS[code.severity]} "
                f"| {times} | {named} |"
            )
    else:
        lines.append("无。")

    lines += ["", "## 各份报告", ""]
    if rows:
        lines += [
            "| 提交编号 | 申报类型 | 状态 | 错误 | 警告 | 网上填报编号 | 文件 |",
            "| --- | --- | --- | ---: | ---: | --- | --- |",
        ]
        lines += [
            f"| {markdown_link(r.submission, r.link)} | {ANNEX_SHORT[r.annex]} "
            f"| {STATUS_LABELS[r.status]} | {r.errors} | {r.warnings} "
            f"| {escape_markdown(r.online or NONE)} | {escape_markdown(r.file)} |"
            for r in rows
        ]
    else:
        lines.append("本批次没有可处理的申报材料。")
    return "\n".join(lines) + "\n"


def _by_code(
    reports: Sequence[Report], batch_findings: Sequence[Finding]
) -> dict[FindingCode, tuple[int, list[str]]]:
    """Per code, errors first: how often it was found and where (submissions, filings)."""
    times: Counter[FindingCode] = Counter()
    where: dict[FindingCode, list[str]] = {}
    for report in reports:
        for finding in report.findings:
            times[finding.code] += 1
            named = where.setdefault(finding.code, [])
            if report.submission_id not in named:
                named.append(report.submission_id)
    for finding in batch_findings:
        times[finding.code] += 1
        where.setdefault(finding.code, []).append(finding.key or NONE)
    order = list(FindingCode)
    codes = sorted(times, key=lambda c: (SEVERITY_ORDER[c.severity], order.index(c)))
    return {c: (times[c], where[c]) for c in codes}


def artifact_key(batch: str, kind: str) -> str:
    """A Prefect artifact key for the batch: lowercase letters, digits and dashes only.

    A batch id that had to change to fit (capitals, ``_`` or ``.``) gets a short hash of
    itself, so two batches never share a key: ``2022-pilot-1a2b3c4d`` stays readable,
    ``Pilot_A`` becomes ``pilot-a-…``.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", batch.lower()).strip("-")
    if slug != batch:
        slug = f"{slug}-{hashlib.sha256(batch.encode()).hexdigest()[:8]}".lstrip("-")
    return f"shenbao-{slug}-{kind}"


def store_links(store: ObjectStore) -> Callable[[str], str]:
    """key → where a person opens it from Prefect's UI.

    On S3, a presigned URL (the bucket is private; it lasts the store's one link
    lifetime, ``MinioSettings.link_expiry_s``); on a local store, the file's ``file://`` URI.
    """
    if isinstance(store, MinioStore):
        return lambda key: store.presigned_url(key)
    return lambda key: Path(store.location(key)).resolve().as_uri()


def report_links(store: ObjectStore, batch: str) -> ReportLink:
    """report → where a person opens its ``report.html`` from Prefect's UI."""
    link = store_links(store)
    return lambda report: link(report_html_key(batch, report.submission_id))


def publish_artifacts(
    batch: str,
    manifest: Manifest,
    reports: Sequence[Report],
    batch_findings: Sequence[Finding],
    index_location: str,
    links: ReportLink,
) -> tuple[UUID, UUID] | None:
    """Publish the batch's submissions table and summary as Prefect artifacts.

    Inside a flow or task run they belong to it. Outside one (a pure call, a test) nothing
    is published and None is returned: Prefect would create orphan artifacts and warns
    that it will stop doing so. When the Prefect API cannot be reached or refuses them, a
    warning is logged and None returned: the batch's reports are in the store already.

    Returns:
        The table's and the summary's artifact ids.
    """
    from prefect.artifacts import create_markdown_artifact, create_table_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        logger.info("batch %s: not in a Prefect run, no artifacts published", batch)
        return None
    counts = Counter(r.status for r in reports)
    description = (
        f"批次 {escape_markdown(batch)}：申报材料 {len(reports)} 份（"
        + "，".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in STATUS_ORDER)
        + "）"
    )
    try:
        # _sync: not the coroutine, whatever loop the caller runs in (Prefect's
        # async_dispatch takes it; its signature does not say so)
        table = create_table_artifact(  # type: ignore[call-arg]
            table=submission_rows(reports, links),
            key=artifact_key(batch, "submissions"),
            description=description,
            _sync=True,
        )
        summary = create_markdown_artifact(  # type: ignore[call-arg]
            markdown=summary_markdown(manifest, reports, batch_findings, index_location, links),
            key=artifact_key(batch, "summary"),
            description=description,
            _sync=True,
        )
    except httpx.HTTPError as exc:
        logger.warning("batch %s: artifacts not published: %s", batch, exc)
        return None
    return cast(UUID, table), cast(UUID, summary)


def publish_batch_artifacts(
    store: ObjectStore,
    manifest: Manifest,
    reports: Sequence[Report],
) -> tuple[UUID, UUID] | None:
    """``publish_artifacts`` with the store's links, the batch's own findings the
    manifest's: the flows' one-line hook."""
    link = store_links(store)
    return publish_artifacts(
        manifest.batch,
        manifest,
        reports,
        manifest.findings,
        link(index_key(manifest.batch)),
        report_links(store, manifest.batch),
    )
