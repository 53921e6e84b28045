"""Matching the paper submissions of a batch to the online filings (FORMS.md §5).

A one-to-one assignment across the batch, within the same annex (a filing is never matched
twice), in three stages, each taking only what the previous left:

1. the exact 统一社会信用代码 (upper-cased, whitespace removed), only when the paper reading
   is sure (not below the review threshold);
2. the organisation name (牵头单位名称), rapidfuzz ratio of the names normalised by
   ``Context.normalize_org``;
3. the centre name (创新中心名称), the same way with its own threshold.

Ties and near-ties are never guessed: a USCC shared by two papers or two filings, or a
fuzzy pair that does not beat every rival (the paper's next filing, the filing's next
paper) by the margin of ``rules/matching.yaml``, stays undecided and the reason is kept.

The fuzzy stages are greedy best-first with that margin rule (scipy, for an optimal
assignment, is not a dependency): the best remaining pair is taken first, so a filing
clearly claimed by one paper is out of reach of the others before their turn.

A paper left without a filing gets ONLINE_RECORD_MISSING naming what was tried; a filing
left without a paper gets PAPER_MISSING at batch level (``key`` = its 申报编号). A
submission of unknown annex, or the FILE_UNREADABLE placeholder of a quarantined file, is
not matched and gets no ONLINE_RECORD_MISSING: nothing about it can be compared.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field
from rapidfuzz import fuzz

from pipeline.model import (
    Annex,
    FieldValue,
    Finding,
    FindingCode,
    Frozen,
    OnlineMatch,
    OnlineRecord,
    Submission,
)
from pipeline.rulebook.thresholds import FuzzyStage, MatchingRules
from validators.registry import Context

_SPACE = re.compile(r"\s+")
_ANNEX_LABEL = {Annex.PILOT: "试点", Annex.CERTIFICATION: "认定", Annex.UNKNOWN: "未知"}
NameStage = Literal["org_name", "center_name"]
_STAGES: tuple[NameStage, ...] = ("org_name", "center_name")
_STAGE_FIELD: dict[NameStage, str] = {"org_name": "lead_org", "center_name": "center_name"}
_STAGE_LABEL: dict[NameStage, str] = {"org_name": "牵头单位名称", "center_name": "创新中心名称"}


class MatchResult(Frozen):
    """What matching a batch gave: each paper's filing (or none), and the filings left."""

    matches: dict[str, OnlineMatch | None] = Field(
        description="per submission id: its filing with the basis and score, or None"
    )
    unmatched_records: tuple[OnlineRecord, ...] = Field(
        description="filings no paper was matched to, in the export's order"
    )
    reasons: dict[str, str] = Field(
        default_factory=dict,
        description="per unmatched submission id: why (中文), including the excluded ones",
    )
    findings: dict[str, tuple[Finding, ...]] = Field(
        default_factory=dict,
        description="per submission id: ONLINE_RECORD_MISSING for a paper with no filing",
    )
    batch_findings: tuple[Finding, ...] = Field(
        (), description="PAPER_MISSING per filing with no paper (key = record id)"
    )
    copies: tuple[tuple[str, ...], ...] = Field(
        (),
        description="submission ids of the papers that are copies of one applicant's form "
        "(two or more each, in batch order); each group was matched as one paper",
    )

    def match(self, submission_id: str) -> OnlineMatch | None:
        return self.matches.get(submission_id)


def normalize_uscc(value: FieldValue) -> str | None:
    """A USCC as compared: NFKC, upper case, no whitespace; None when empty or not text."""
    if value is None or isinstance(value, list):
        return None
    text = _SPACE.sub("", unicodedata.normalize("NFKC", str(value))).upper()
    return text or None


@dataclass
class _Paper:
    submission: Submission
    tried: list[str] = field(default_factory=list)
    """What was tried and why it did not decide, in Chinese, in stage order."""


def match_batch(
    submissions: Sequence[Submission],
    records: Iterable[OnlineRecord],
    context: Context,
    rules: MatchingRules | None = None,
) -> MatchResult:
    """Assign each paper submission of a batch at most one online filing, one-to-one.

    Raises:
        ValueError: two submissions share an id, or two filings a 申报编号.
    """
    rules = rules if rules is not None else context.rules.matching
    records = tuple(records)
    _refuse_repeats([s.id for s in submissions], "submission id")
    _refuse_repeats([r.record_id for r in records], "record id")

    matches: dict[str, OnlineMatch | None] = {s.id: None for s in submissions}
    reasons: dict[str, str] = {}
    candidates: list[Submission] = []
    for submission in submissions:
        excluded = _excluded(submission)
        if excluded is None:
            candidates.append(submission)
        else:
            reasons[submission.id] = excluded
    groups = copy_groups(candidates, context, rules)
    # Copies are one applicant: the first copy takes part in matching for all of them.
    papers = [_Paper(group[0]) for group in groups]
    open_records = {r.record_id: r for r in records}

    for paper, record in _by_uscc(papers, open_records, context):
        matches[paper.submission.id] = OnlineMatch(
            matched_by="uscc", record_id=record.record_id, score=1.0
        )
        del open_records[record.record_id]

    for stage in _STAGES:
        rule = rules.org_name if stage == "org_name" else rules.center_name
        waiting = [p for p in papers if matches[p.submission.id] is None]
        for paper, record, score in _fuzzy(stage, rule, waiting, open_records, context, rules):
            matches[paper.submission.id] = OnlineMatch(
                matched_by=stage,
                record_id=record.record_id,
                score=round(score / 100.0, 4),
            )
            del open_records[record.record_id]

    findings: dict[str, tuple[Finding, ...]] = {}
    for paper, group in zip(papers, groups, strict=True):
        match = matches[paper.submission.id]
        if match is not None:
            for copy in group[1:]:
                matches[copy.id] = match
            continue
        reason = (
            "；".join(paper.tried)
            or "纸质材料中没有可用于匹配的统一社会信用代码、单位名称或中心名称"
        )
        for copy in group:
            reasons[copy.id] = reason
            findings[copy.id] = (
                Finding.of(
                    FindingCode.ONLINE_RECORD_MISSING,
                    f"未找到对应的网上填报记录（已尝试：{reason}）",
                ),
            )
    unmatched = tuple(r for r in records if r.record_id in open_records)
    return MatchResult(
        matches=matches,
        unmatched_records=unmatched,
        reasons=reasons,
        findings=findings,
        batch_findings=tuple(_paper_missing(r) for r in unmatched),
        copies=tuple(tuple(s.id for s in group) for group in groups if len(group) > 1),
    )


def copy_groups(
    submissions: Sequence[Submission], context: Context, rules: MatchingRules | None = None
) -> list[list[Submission]]:
    """The submissions grouped into applicants: copies of one form together, batch order.

    Two submissions are copies when they are of the same annex, both their organisation
    and centre names score at least ``copies.name_threshold`` (names normalised by
    ``Context.normalize_org``), and their USCCs do not contradict each other where both are
    read sure. A submission joins the first group holding a copy of it (three copies form
    one group).
    """
    rules = rules if rules is not None else context.rules.matching
    groups: list[list[Submission]] = []
    for submission in submissions:
        home = next(
            (g for g in groups if any(_copies(submission, other, context, rules) for other in g)),
            None,
        )
        if home is None:
            groups.append([submission])
        else:
            home.append(submission)
    return groups


def _copies(a: Submission, b: Submission, context: Context, rules: MatchingRules) -> bool:
    if a.annex is not b.annex:
        return False
    sure = [context.sure(s, "uscc") for s in (a, b)]
    codes = [normalize_uscc(f.value) if f is not None else None for f in sure]
    if codes[0] is not None and codes[1] is not None and codes[0] != codes[1]:
        return False
    for key in _STAGE_FIELD.values():
        names = [
            _name(s.fields[key].value, context.normalize_org) if key in s.fields else None
            for s in (a, b)
        ]
        if names[0] is None or names[1] is None:
            return False
        if fuzz.ratio(names[0], names[1]) < rules.copies.name_threshold:
            return False
    return True


def _refuse_repeats(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for one in ids:
        if one in seen:
            raise ValueError(f"{what} {one!r} appears twice in the batch")
        seen.add(one)


def _excluded(submission: Submission) -> str | None:
    """Why a submission takes no part in matching, or None when it does."""
    if any(f.code is FindingCode.FILE_UNREADABLE for f in submission.findings):
        return "文件无法读取，未参与与网上填报记录的匹配"
    if submission.annex is Annex.UNKNOWN:
        return "无法判定申报类型（附件），未参与与网上填报记录的匹配"
    return None


# --- stage 1: the exact USCC --------------------------------------------------------------


def _by_uscc(
    papers: list[_Paper], open_records: dict[str, OnlineRecord], context: Context
) -> list[tuple[_Paper, OnlineRecord]]:
    """Pairs with the same USCC and annex where neither side has a rival."""
    by_code: dict[tuple[Annex, str], list[OnlineRecord]] = {}
    for record in open_records.values():
        code = normalize_uscc(record.fields.get("uscc"))
        if code is not None:
            by_code.setdefault((record.annex, code), []).append(record)

    claims: dict[tuple[Annex, str], list[_Paper]] = {}
    for paper in papers:
        submission = paper.submission
        read = submission.fields.get("uscc")
        code = normalize_uscc(read.value) if read is not None else None
        if code is None:
            paper.tried.append("纸质材料未读出统一社会信用代码")
        elif context.sure(submission, "uscc") is None:
            paper.tried.append(
                f"统一社会信用代码「{code}」识别置信度 {read.confidence:.2f}"  # type: ignore[union-attr]
                f" 低于复核阈值 {context.review_threshold:.2f}，未用于匹配"
            )
        else:
            claims.setdefault((submission.annex, code), []).append(paper)

    taken: list[tuple[_Paper, OnlineRecord]] = []
    for key, claimants in claims.items():
        code = key[1]
        found = by_code.get(key, [])
        if not found:
            for paper in claimants:
                paper.tried.append(f"统一社会信用代码「{code}」在同类网上填报记录中无一致者")
        elif len(found) > 1:
            ids = "、".join(r.record_id for r in found)
            for paper in claimants:
                paper.tried.append(
                    f"统一社会信用代码「{code}」对应多条网上填报记录（{ids}），未按代码判定"
                )
        elif len(claimants) > 1:
            ids = "、".join(p.submission.id for p in claimants)
            for paper in claimants:
                paper.tried.append(
                    f"统一社会信用代码「{code}」与网上记录 {found[0].record_id} 一致，"
                    f"但多份纸质材料（{ids}）代码相同，未按代码判定"
                )
        else:
            taken.append((claimants[0], found[0]))
    return taken


# --- stages 2 and 3: fuzzy names ----------------------------------------------------------


def _name(value: FieldValue, normalize: Callable[[str], str]) -> str | None:
    if value is None or isinstance(value, list):
        return None
    text = normalize(str(value))
    return text or None


def _another_applicant(
    stage: NameStage, paper: _Paper, record: OnlineRecord, context: Context, rules: MatchingRules
) -> bool:
    """Whether the filing is clearly another applicant's, whatever the name of this stage
    says: its 统一社会信用代码 and the other name both differ from the paper's sure
    readings (two applicants may propose centres of one name; a typo online changes one
    field, never both). A paper tried against it would get every field as a mismatch."""
    submission = paper.submission
    read = context.sure(submission, "uscc")
    code, filed = (
        (normalize_uscc(read.value) if read else None),
        normalize_uscc(record.fields.get("uscc")),
    )
    if code is None or filed is None or code == filed:
        return False
    other: NameStage = "center_name" if stage == "org_name" else "org_name"
    key = _STAGE_FIELD[other]
    name = context.sure(submission, key)
    mine = _name(name.value, context.normalize_org) if name is not None else None
    theirs = _name(record.fields.get(key), context.normalize_org)
    if mine is None or theirs is None:
        return False
    threshold = (rules.org_name if other == "org_name" else rules.center_name).threshold
    if fuzz.ratio(mine, theirs) >= threshold:
        return False
    paper.tried.append(
        f"网上记录 {record.record_id} 的统一社会信用代码与{_STAGE_LABEL[other]}均与纸质材料不同，"
        "应为其他申报单位的记录，未按名称匹配"
    )
    return True


def _fuzzy(
    stage: NameStage,
    rule: FuzzyStage,
    papers: list[_Paper],
    open_records: dict[str, OnlineRecord],
    context: Context,
    rules: MatchingRules,
) -> list[tuple[_Paper, OnlineRecord, float]]:
    """Greedy best-first one-to-one pairs by name, each beating its rivals by the margin."""
    label = _STAGE_LABEL[stage]
    key = _STAGE_FIELD[stage]
    names: dict[int, str] = {}
    for index, paper in enumerate(papers):
        read = paper.submission.fields.get(key)
        name = _name(read.value, context.normalize_org) if read is not None else None
        if name is None:
            paper.tried.append(f"纸质材料未读出{label}")
        elif not rules.unsure_names and context.sure(paper.submission, key) is None:
            paper.tried.append(f"{label}识别置信度低于复核阈值，未用于匹配")
        else:
            names[index] = name
    record_names = {
        rid: name
        for rid, record in open_records.items()
        if (name := _name(record.fields.get(key), context.normalize_org)) is not None
    }
    scores: dict[tuple[int, str], float] = {
        (i, rid): fuzz.ratio(name, record_names[rid])
        for i, name in names.items()
        for rid in record_names
        if open_records[rid].annex is papers[i].submission.annex
    }
    for i, rid in [pair for pair, score in scores.items() if score >= rule.threshold]:
        if _another_applicant(stage, papers[i], open_records[rid], context, rules):
            del scores[i, rid]

    taken: list[tuple[_Paper, OnlineRecord, float]] = []
    live_papers = set(names)
    live_records = set(record_names)
    noted: set[int] = set()
    while True:
        pairs = [
            (score, i, rid)
            for (i, rid), score in scores.items()
            if i in live_papers and rid in live_records and score >= rule.threshold
        ]
        if not pairs:
            break
        score, i, rid = max(pairs, key=lambda p: (p[0], -p[1], p[2]))
        rival_records = [
            (s, r)
            for (j, r), s in scores.items()
            if j == i and r != rid and r in live_records and score - s < rule.margin
        ]
        rival_papers = [
            (s, j)
            for (j, r), s in scores.items()
            if r == rid and j != i and j in live_papers and score - s < rule.margin
        ]
        if not rival_records and not rival_papers:
            taken.append((papers[i], open_records[rid], score))
            live_papers.discard(i)
            live_records.discard(rid)
            continue
        # a near-tie: the paper stays undecided at this stage; a contested filing is taken
        # away from this stage, and every paper as close to it stays undecided with it
        live_papers.discard(i)
        noted.add(i)
        if rival_records:
            others = "、".join(f"{r}（{s:.0f}）" for s, r in sorted(rival_records, reverse=True))
            papers[i].tried.append(
                f"{label}与网上记录 {rid}（相似度 {score:.0f}）及 {others} 同样接近，"
                f"差距不足 {rule.margin:.0f}，未判定"
            )
        if rival_papers:
            live_records.discard(rid)
            contenders = [i, *(j for _, j in rival_papers)]
            ids = "、".join(papers[j].submission.id for j in contenders)
            for j in contenders:
                if j != i:
                    live_papers.discard(j)
                    noted.add(j)
                papers[j].tried.append(
                    f"{label}与网上记录 {rid} 的相似度，多份纸质材料（{ids}）"
                    f"差距不足 {rule.margin:.0f}，未判定"
                )

    for i in names:
        if i in noted or any(p is papers[i] for p, _, _ in taken):
            continue
        candidates = [(s, rid) for (j, rid), s in scores.items() if j == i]
        if not candidates:
            papers[i].tried.append(f"{label}「{names[i]}」：没有待匹配的同类网上填报记录")
            continue
        best, rid = max(candidates)
        gone = "，该记录已归属其他纸质材料" if rid not in live_records else ""
        papers[i].tried.append(
            f"{label}「{names[i]}」最接近网上记录 {rid}（相似度 {best:.0f}，"
            f"阈值 {rule.threshold:.0f}{gone}）"
        )
    return taken


# --- findings -----------------------------------------------------------------------------


def _paper_missing(record: OnlineRecord) -> Finding:
    org = record.fields.get("lead_org")
    center = record.fields.get("center_name")
    named = "，".join(
        part
        for part in (
            f"牵头单位「{org}」" if org else "",
            f"创新中心「{center}」" if center else "",
        )
        if part
    )
    detail = f"（{_ANNEX_LABEL[record.annex]}，{named}）" if named else ""
    return Finding.of(
        FindingCode.PAPER_MISSING,
        f"网上填报记录 {record.record_id}{detail}没有对应的纸质材料",
        key=record.record_id,
    )


__all__ = ["MatchResult", "match_batch", "normalize_uscc"]
