"""``shenbao bench owners``: the seal-owner thresholds, calibrated on real misreadings.

A seal's ring is read by OCR, and OCR misreads rings: a character swapped, one dropped, the
reading started at the wrong place, print under the seal read into it. The owner check
(``validators.seal_slots.judge_owner``) must never turn such a misreading into
SEAL_OWNER_MISMATCH — an error that fails an honest applicant — while still catching a
seal that is someone else's.

The set is of readings, each of a ring whose printed name is known (``SealReading``):
harvested from the OCR of generated scans (``--harvest``: every truth seal of a corpus
matched to the mark read in its place), plus the misreadings reported from an
independently rendered corpus (issue 16). Each reading is judged twice:

- **as its owner's own seal** (the slot expects the printed name): False would be a false
  SEAL_OWNER_MISMATCH — the target is none; True is the owner confirmed; None is
  SEAL_UNVERIFIABLE (a person looks).
- **as another's seal** (the slot expects another name of the same kind: the next
  authority of the campaign, or another lead organisation of the set): False is the wrong
  seal caught; None is unverifiable; True would be a wrong seal accepted.

Then the thresholds that decide an unknown name (``owner.not_owner``,
``owner.sure_confidence``) are swept, so that the values in ``rules/seals.yaml`` can be
read off the table: no false mismatch, as many wrong seals caught as that allows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, computed_field
from rich.table import Table

from pipeline.config import Locality
from pipeline.model import Frozen, SealMark, SourceKind
from pipeline.rulebook import Rules
from pipeline.rulebook.thresholds import OwnerRules
from pipeline.settings import Settings
from shenbao_lab.bench.corpus import load_truths, read_submissions
from shenbao_lab.bench.seals import in_place, upright
from usecases.check import validation_context
from validators.applicant import authority_names
from validators.registry import Context
from validators.seal_slots import judge_owner

READINGS = Path(__file__).with_name("seal_readings.jsonl")
"""The committed set: readings harvested from generated scans and those of issue 16."""

HELD_OUT = Path(__file__).with_name("seal_readings_gen11.jsonl")
"""A held-out set, never used for calibration: the 40 readings harvested from
``shenbao samples generate --count 12 --seed 11`` (``shenbao bench owners --readings
lab/shenbao_lab/bench/seal_readings_gen11.jsonl``)."""

NOT_OWNER_SWEEP = (50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0)
SURE_SWEEP = (0.6, 0.7, 0.8, 0.9, 0.95)


class SealReading(Frozen):
    """What the OCR read round one seal whose printed name is known."""

    printed: str = Field(description="the name on the seal")
    read: str = Field(description="the ring as read")
    confidence: float = Field(ge=0.0, le=1.0, description="the reading's confidence")
    colour: Literal["red", "grey"]
    source: str = Field(description="where it was read: corpus, submission, slot")


class Tally(BaseModel):
    """Verdicts on one side of the set."""

    n: int = 0
    true: int = 0
    none: int = 0
    false: int = 0

    def add(self, verdict: bool | None) -> None:
        self.n += 1
        if verdict is True:
            self.true += 1
        elif verdict is False:
            self.false += 1
        else:
            self.none += 1


class OwnerFigures(BaseModel):
    """One set judged under one choice of thresholds."""

    not_owner: float
    sure_confidence: float
    own: Tally = Field(default_factory=Tally, description="readings as their owner's seal")
    other: Tally = Field(default_factory=Tally, description="readings as another's seal")
    false_mismatches: tuple[str, ...] = Field(
        (), description="the readings of an owner's own seal judged someone else's"
    )
    wrong_accepts: tuple[str, ...] = Field(
        (), description="the readings of another's seal judged the owner's"
    )


class OwnerBench(BaseModel):
    readings: int
    distinct_pairs: int = Field(0, description="ordered pairs of distinct known names")
    distinct_same: tuple[str, ...] = Field(
        (), description="a known name read exactly, judged the seal of another known name"
    )
    legible: int = Field(description="readings the owner check judges at all")
    chosen: OwnerFigures = Field(description="under the thresholds of the rules folder")
    sweep: tuple[OwnerFigures, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def corpus(self) -> str:
        return f"{self.readings} seal readings"


# --- the set ----------------------------------------------------------------------------


def load_readings(path: Path = READINGS) -> list[SealReading]:
    return [
        SealReading.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def write_readings(readings: Iterable[SealReading], path: Path) -> None:
    lines = (json.dumps(r.model_dump(), ensure_ascii=False) for r in readings)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def harvest(corpus: Path, settings: Settings, rules: Rules, workers: int = 2) -> list[SealReading]:
    """Every truth seal of the corpus's scans with the mark read in its place, if any."""
    truths = load_truths(corpus)
    wanted = [(t, s) for t in truths for s in t.sources if s.kind is SourceKind.SCAN]
    files = sorted({corpus / s.file for _, s in wanted})
    submissions = read_submissions(files, settings, rules, scanned=set(files), workers=workers)
    readings: list[SealReading] = []
    for _, source in wanted:
        submission = submissions.get((Path(source.file).name, source.submission_id))
        if submission is None:
            continue
        pages = {p.number: p for p in submission.pages}
        truth_pages = {p.number: p for p in source.page_truth}
        for seal in source.seals:
            page = pages.get(seal.page)
            if page is None:
                continue
            where = upright(seal.bbox, truth_pages.get(seal.page))
            marks = [m for m in page.seals if in_place(m.bbox, where)]
            if not marks or not marks[0].text:
                continue
            mark = marks[0]
            readings.append(
                SealReading(
                    printed=seal.owner,
                    read=mark.text,
                    confidence=round(mark.text_confidence, 3),
                    colour=mark.colour,
                    source=f"{corpus.name}/{source.submission_id}/{seal.slot}",
                )
            )
    return readings


# --- judging ------------------------------------------------------------------------------


def _locality(name: str, localities: Sequence[Locality]) -> Locality | None:
    return next(
        (loc for loc in localities if name in (loc.authority, *loc.authority_aliases)), None
    )


def _mark(reading: SealReading) -> SealMark:
    return SealMark(
        bbox=(0.0, 0.0, 1.0, 1.0),
        shape="round",
        colour=reading.colour,
        confidence=0.95,
        text=reading.read,
        text_confidence=reading.confidence,
    )


def _cases(
    reading: SealReading, lead_orgs: Sequence[str], localities: Sequence[Locality], context: Context
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], tuple[tuple[str, ...], tuple[str, ...]] | None]:
    """(owner, others) as the owner's own seal, and as the next name's of the same kind.

    As ``validators.seal_slots.owners_of`` sets them: an authority's slot knows every other
    authority; a lead organisation's slot knows the authorities (members are not in the
    set).
    """
    campaign = context.campaign
    loc = _locality(reading.printed, localities)
    if loc is not None:
        own = ((loc.authority, *loc.authority_aliases), authority_names(campaign, but=loc))
        nxt = localities[(localities.index(loc) + 1) % len(localities)]
        if nxt is loc:
            return own, None
        return own, ((nxt.authority, *nxt.authority_aliases), authority_names(campaign, but=nxt))
    others = authority_names(campaign)
    own = ((reading.printed,), others)
    if len(lead_orgs) < 2:
        return own, None
    at = lead_orgs.index(reading.printed) if reading.printed in lead_orgs else -1
    return own, ((lead_orgs[(at + 1) % len(lead_orgs)],), others)


def judge_set(
    readings: Sequence[SealReading], context: Context, owner_rules: OwnerRules
) -> OwnerFigures:
    """Each reading as its owner's seal and as another's, under ``owner_rules``."""
    localities = context.campaign.localities
    lead_orgs = sorted({r.printed for r in readings if _locality(r.printed, localities) is None})
    figures = OwnerFigures(
        not_owner=owner_rules.not_owner, sure_confidence=owner_rules.sure_confidence
    )
    false_mismatches: list[str] = []
    wrong_accepts: list[str] = []
    for reading in readings:
        mark = _mark(reading)
        own, other = _cases(reading, lead_orgs, localities, context)
        verdict = judge_owner(mark, *own, owner_rules, context).match
        figures.own.add(verdict)
        if verdict is False:
            false_mismatches.append(f"{reading.read} ← {reading.printed} ({reading.source})")
        if other is not None:
            verdict = judge_owner(mark, *other, owner_rules, context).match
            figures.other.add(verdict)
            if verdict is True:
                wrong_accepts.append(f"{reading.read} as {other[0][0]} ({reading.source})")
    figures.false_mismatches = tuple(false_mismatches)
    figures.wrong_accepts = tuple(wrong_accepts)
    return figures


def distinct_names(
    readings: Sequence[SealReading], context: Context, owner_rules: OwnerRules
) -> tuple[int, list[str]]:
    """Each known name (the campaign's authorities, the set's lead organisations) read
    exactly and judged as the seal of each other: never the owner's."""
    localities = context.campaign.localities
    names = sorted(
        {loc.authority for loc in localities}
        | {r.printed for r in readings if _locality(r.printed, localities) is None}
    )
    pairs, same = 0, []
    for read, owner in itertools.permutations(names, 2):
        reading = SealReading(printed=owner, read=read, confidence=1.0, colour="red", source="")
        own, _ = _cases(reading, [], localities, context)
        pairs += 1
        if judge_owner(_mark(reading), *own, owner_rules, context).match is True:
            same.append(f"{read} as {owner}")
    return pairs, same


def bench_owners(readings: Sequence[SealReading], rules: Rules) -> OwnerBench:
    """The set judged under the rules' thresholds, and under each of the sweep's."""
    context = validation_context(rules)
    owner = rules.seals.owner
    legible = sum(
        len(context.normalize_org(r.read)) >= owner.min_text_chars
        and r.confidence >= owner.min_text_confidence
        for r in readings
    )
    sweep = tuple(
        judge_set(
            readings,
            context,
            owner.model_copy(update={"not_owner": not_owner, "sure_confidence": sure}),
        )
        for not_owner, sure in itertools.product(NOT_OWNER_SWEEP, SURE_SWEEP)
        if not_owner < owner.match and sure >= owner.min_text_confidence
    )
    pairs, same = distinct_names(readings, context, owner)
    return OwnerBench(
        readings=len(readings),
        distinct_pairs=pairs,
        distinct_same=tuple(same),
        legible=legible,
        chosen=judge_set(readings, context, owner),
        sweep=sweep,
    )


# --- tables -----------------------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} {100 * part / whole:.1f}%" if whole else "—"


def owner_tables(bench: OwnerBench) -> list[Table]:
    chosen = bench.chosen
    head = Table(
        title=f"bench owners: {bench.readings} seal readings ({bench.legible} legible); "
        f"rules: not_owner {chosen.not_owner:g}, sure_confidence {chosen.sure_confidence:g}",
        title_justify="left",
    )
    for column in ("judged as", "owner's (True)", "unverifiable (None)", "another's (False)"):
        head.add_column(column, justify="left" if column == "judged as" else "right")
    head.add_row(
        "own seal",
        _share(chosen.own.true, chosen.own.n),
        _share(chosen.own.none, chosen.own.n),
        _share(chosen.own.false, chosen.own.n) + (" ✗" if chosen.own.false else " (target 0)"),
    )
    head.add_row(
        "another's seal",
        _share(chosen.other.true, chosen.other.n) + (" ✗" if chosen.other.true else ""),
        _share(chosen.other.none, chosen.other.n),
        _share(chosen.other.false, chosen.other.n),
    )
    head.add_row(
        "distinct names",
        f"{len(bench.distinct_same)}/{bench.distinct_pairs} judged the same"
        + (" ✗" if bench.distinct_same else " (target 0)"),
        "",
        "",
    )
    tables = [head]
    if chosen.false_mismatches or chosen.wrong_accepts or bench.distinct_same:
        wrong = Table(title="wrong verdicts under the rules", title_justify="left")
        wrong.add_column("kind")
        wrong.add_column("reading ← printed (source)")
        for item in chosen.false_mismatches:
            wrong.add_row("false SEAL_OWNER_MISMATCH", item)
        for item in chosen.wrong_accepts:
            wrong.add_row("wrong seal accepted", item)
        for item in bench.distinct_same:
            wrong.add_row("distinct names the same", item)
        tables.append(wrong)
    sweep = Table(
        title="sweep: false mismatches (own seals judged another's) | wrong seals caught",
        title_justify="left",
    )
    sweep.add_column("not_owner \\ sure_confidence")
    sures = sorted({f.sure_confidence for f in bench.sweep})
    for sure in sures:
        sweep.add_column(f"{sure:g}", justify="right")
    for not_owner in sorted({f.not_owner for f in bench.sweep}):
        row = [f"{not_owner:g}"]
        for sure in sures:
            cell = next(
                (f for f in bench.sweep if f.not_owner == not_owner and f.sure_confidence == sure),
                None,
            )
            row.append("—" if cell is None else f"{cell.own.false} | {cell.other.false}")
        sweep.add_row(*row)
    tables.append(sweep)
    return tables
