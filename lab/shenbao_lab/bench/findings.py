"""``shenbao bench findings``: every finding code against the truth, and paper against online.

Every source the truth lists (each applicant's paper scan, born-digital PDF and DOCX) is
read as a batch reads it (scans on the page pool behind the OCR and page caches), checked
as a batch checks it (``checker``), made its report (``pipeline.run.build_report``) and,
one kind of source at a time, matched as one batch to the corpus's online export
(``check_batch``, against the first of the truth's ``export_files``). Both callables are
handed in by the command: the flows are the layer above the benches. Three measures:

1. **The truth's findings.** A finding is keyed by its code and the first of its field,
   slot, section and key that is set, as the truth's ``ExpectedFinding`` is. Per code and
   kind: *true* (expected and raised), *missed* (expected, not raised), *false* (raised,
   neither expected nor tolerated); *tolerated* ones count neither way. An expected finding
   on a field that was not raised while that field carries FIELD_LOW_CONFIDENCE is
   *deferred* to review: counted apart, in neither precision nor recall (the reading was
   too unsure to decide on, and said so). FIELD_LOW_CONFIDENCE itself is not scored (the
   truth never expects it: it is about the reading, not the form); it is counted per kind.
   PAPER_MISSING is the batch's: expected for a kind are the truth's
   ``expected_batch_findings`` (filings online only, with no paper of any kind) and every
   filing whose applicant has no source of that kind among the files read. A generated
   corpus gives every applicant a scan, a PDF and a DOCX, so for each kind the expected
   PAPER_MISSING are exactly the batch truth's.
2. **Format-only differences.** The fields the truth's ``online.format_variants`` lists (the
   export writes them otherwise, meaning the same) of each submission matched to its own
   filing, unless the truth expects a FIELD_MISMATCH there: a FIELD_MISMATCH on one is false.
3. **Planted online discrepancies (mutation).** From the reports already checked (nothing
   is read again), for each submission matched to its own filing and each field both the
   export and the paper's truth carry (not the match keys, not a blank), the filing is
   copied with that one field changed (``MUTATIONS``) and ``check_batch`` runs again for
   that one report against that one filing. The field is set to the paper's true value in
   the export's form first, so the mutation is the only difference on it. A planted
   discrepancy must give FIELD_MISMATCH on the field (*caught*) or, when the paper reading
   was unsure, FIELD_LOW_CONFIDENCE on it (*deferred* to review, counted apart); anything
   else is a silent match (*missed*). A format-only variant must give no FIELD_MISMATCH.
   What a mutation draws (which digit, which person) comes from ``seed`` with the
   applicant, field and mutation, so a run repeats exactly and every kind of source gets
   the same plantings.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field

from pipeline.config import (
    Campaign,
    Choice,
    ExportMapping,
    FieldType,
    TemplateSpec,
    load_campaign,
    load_export_mapping,
    load_templates,
)
from pipeline.errors import InputError
from pipeline.model import (
    Annex,
    FieldValue,
    Finding,
    FindingCode,
    Member,
    OnlineRecord,
    Report,
    SourceKind,
)
from pipeline.ocr.engine import OcrEngine
from pipeline.online import load_online_export
from pipeline.run import build_report
from pipeline.settings import Settings
from shenbao_lab.bench.corpus import (
    Checker,
    CodeScore,
    Score,
    Target,
    load_truths,
    read_submissions,
)
from shenbao_lab.bench.extract import SOURCE_NAMES, same_value
from shenbao_lab.generator.applicant import banks, person_name, pick
from shenbao_lab.generator.faults import ExpectedFinding
from shenbao_lab.generator.truth import BatchTruth, SourceTruth, Truth

OnlineCheck = Callable[
    [list[Report], tuple[OnlineRecord, ...], dict[Annex, TemplateSpec], Campaign],
    tuple[list[Report], tuple[Finding, ...]],
]
"""``flows.checking.check_batch``: reports matched to their filings across a batch,
with the online validators' findings; and the batch's PAPER_MISSING."""

FindingVerdict = Literal["true", "false", "missed", "deferred", "tolerated"]
MutationVerdict = Literal["caught", "deferred", "missed", "clean", "false"]
Key = tuple[FindingCode, str | None]

ALL = "all"
BATCH = "batch"
"""The submission id of a batch-level finding's outcome (PAPER_MISSING)."""
UNSCORED = frozenset({FindingCode.FIELD_LOW_CONFIDENCE})
"""Raised codes left out of precision: about the reading, never expected by the truth."""
MATCH_KEYS = frozenset({"uscc", "lead_org", "center_name"})
"""What a paper is matched to its filing by: never mutated (the copy might not match)."""
_NOT_VALUES = frozenset({"record_id", "annex", "datetime"})


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FindingOutcome(Frozen):
    """A finding raised, expected, or both, keyed by code and field|slot|section|key."""

    applicant: str = Field(description="'' for a batch-level finding")
    submission_id: str = Field(description=f"'{BATCH}' for a batch-level finding")
    kind: SourceKind
    code: FindingCode
    key: str | None
    verdict: FindingVerdict = Field(
        description="true: raised and expected; false: raised, neither expected nor "
        "tolerated; missed: expected, not raised; deferred: expected, not raised, the field "
        "flagged FIELD_LOW_CONFIDENCE; tolerated: raised and tolerated"
    )


class FormatOutcome(Frozen):
    """A field the export writes otherwise than the paper, meaning the same (the truth's)."""

    applicant: str
    submission_id: str
    kind: SourceKind
    field: str
    paper: FieldValue = Field(description="as read; None when not read")
    online: FieldValue = Field(description="as the export gives it")
    mismatch: bool = Field(description="FIELD_MISMATCH raised on it (false)")


class MutationOutcome(Frozen):
    """One field of one filing changed by one mutation, and what checking made of it."""

    applicant: str
    submission_id: str
    kind: SourceKind
    field: str
    mutation: str
    planted: bool = Field(description="a discrepancy in meaning; False: format only")
    truth: FieldValue = Field(description="the paper's true value, in the export's form")
    online: FieldValue = Field(description="the filing's value as mutated")
    paper: FieldValue = Field(description="the paper's value as read; None when not read")
    paper_misread: bool = Field(description="the paper's reading differs from the truth")
    matched: bool = Field(description="the report still matched the mutated filing")
    verdict: MutationVerdict = Field(
        description="planted: caught (FIELD_MISMATCH), deferred (FIELD_LOW_CONFIDENCE, no "
        "FIELD_MISMATCH) or missed (silent); format only: clean or false (FIELD_MISMATCH)"
    )


class WrongMatch(Frozen):
    """A submission matched to another filing than its own (or to one it has none of)."""

    submission_id: str
    kind: SourceKind
    matched: str | None
    truth: str | None


class MutationScore(Frozen):
    score: Score = Field(
        description="planted: caught of caught and missed; format only: clean of all"
    )
    deferred: int = Field(0, description="planted, deferred to review (in neither)")


class FindingFigures(BaseModel):
    """What ``bench findings`` measured; ``model_dump_json`` is the ``--json`` output."""

    corpus: str
    export: str = Field(description="the export file the batches were matched to")
    seed: int = Field(description="what the mutations are drawn from")
    kinds: tuple[SourceKind, ...]
    submissions: dict[str, int] = Field(description="sources scored, per kind")
    missing_submissions: tuple[str, ...] = Field(
        (), description="kind:id of sources whose submission was not produced (all missed)"
    )
    wrong_matches: tuple[WrongMatch, ...] = ()
    low_confidence: dict[str, int] = Field(
        description="FIELD_LOW_CONFIDENCE raised per kind (not scored)"
    )
    read_s: float = Field(description="seconds reading the files (OCR, or the caches)")
    check_s: float = Field(description="seconds in extraction and the paper validators")
    online_s: float = Field(description="seconds matching to the export, mutations included")
    findings: tuple[FindingOutcome, ...]
    format_variants: tuple[FormatOutcome, ...]
    mutations: tuple[MutationOutcome, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return (*(k.value for k in self.kinds), ALL)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_code(self) -> dict[str, dict[str, CodeScore]]:
        """Kind (and all) → code → precision and recall."""
        codes = sorted({f.code for f in self.findings}, key=list(FindingCode).index)
        return {
            column: {
                code.value: CodeScore.of(
                    f.verdict for f in self.findings if f.code is code and _in(f.kind, column)
                )
                for code in codes
            }
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overall(self) -> dict[str, CodeScore]:
        """Kind (and all) → every code together."""
        return {
            column: CodeScore.of(f.verdict for f in self.findings if _in(f.kind, column))
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def format_only(self) -> dict[str, Score]:
        """The truth's format-only fields without a FIELD_MISMATCH."""
        table: dict[str, Score] = {}
        for column in self.columns:
            rows = [o for o in self.format_variants if _in(o.kind, column)]
            table[column] = Score(right=sum(not o.mismatch for o in rows), total=len(rows))
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def planted(self) -> dict[str, MutationScore]:
        """Planted discrepancies caught (deferred ones apart)."""
        return {
            column: _mutation_score(m for m in self.mutations if m.planted and _in(m.kind, column))
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def format_planted(self) -> dict[str, MutationScore]:
        """Format-only variants planted without a FIELD_MISMATCH."""
        return {
            column: _mutation_score(
                m for m in self.mutations if not m.planted and _in(m.kind, column)
            )
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_mutation(self) -> dict[str, dict[str, MutationScore]]:
        """Mutation → kind (and all) → its score."""
        return {
            mutation.name: {
                column: _mutation_score(
                    m for m in self.mutations if m.mutation == mutation.name and _in(m.kind, column)
                )
                for column in self.columns
            }
            for mutation in MUTATIONS
        }

    @property
    def wrong_findings(self) -> list[FindingOutcome]:
        return [f for f in self.findings if f.verdict in ("false", "missed", "deferred")]

    @property
    def wrong_mutations(self) -> list[MutationOutcome]:
        return [m for m in self.mutations if m.verdict in ("missed", "false", "deferred")]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Target, ...]:
        return (
            Target(measure="precision, overall", goal=0.98, score=self.overall[ALL].precision),
            Target(
                measure="recall, the truth's findings", goal=1.0, score=self.overall[ALL].recall
            ),
            Target(
                measure="recall, planted online discrepancies",
                goal=1.0,
                score=self.planted[ALL].score,
            ),
            Target(
                measure="format-only fields of the export without FIELD_MISMATCH",
                goal=1.0,
                score=self.format_only[ALL],
            ),
            Target(
                measure="format-only variants planted without FIELD_MISMATCH",
                goal=1.0,
                score=self.format_planted[ALL].score,
            ),
        )


def _in(kind: SourceKind, column: str) -> bool:
    return column in (ALL, kind.value)


def _mutation_score(outcomes: Iterable[MutationOutcome]) -> MutationScore:
    verdicts = [m.verdict for m in outcomes]
    right = verdicts.count("caught") + verdicts.count("clean")
    return MutationScore(
        score=Score(right=right, total=right + verdicts.count("missed") + verdicts.count("false")),
        deferred=verdicts.count("deferred"),
    )


# ---------------------------------------------------------------------------------------
# Scoring the truth's findings
# ---------------------------------------------------------------------------------------


def finding_key(finding: Finding | ExpectedFinding) -> Key:
    """Code and the first of field, slot, section and key that is set (the truth's keying)."""
    for part in (finding.field, finding.slot, finding.section, finding.key):
        if part is not None:
            return finding.code, part
    return finding.code, None


def score_findings(
    raised: Iterable[Finding],
    expected: Iterable[ExpectedFinding],
    tolerated: Iterable[ExpectedFinding] = (),
) -> list[tuple[Key, FindingVerdict]]:
    """Each key raised or expected, with its verdict (see the module's docstring)."""
    raised = list(raised)
    found = {finding_key(f) for f in raised if f.code not in UNSCORED}
    unsure = {f.field for f in raised if f.code is FindingCode.FIELD_LOW_CONFIDENCE and f.field}
    wanted = {finding_key(e): e for e in expected}
    allowed = {finding_key(t) for t in tolerated} - set(wanted)
    scored: list[tuple[Key, FindingVerdict]] = []
    for key in sorted(found | set(wanted), key=lambda k: (k[0].value, k[1] or "")):
        verdict: FindingVerdict
        if key in wanted:
            field = wanted[key].field
            if key in found:
                verdict = "true"
            else:
                verdict = "deferred" if field is not None and field in unsure else "missed"
        else:
            verdict = "tolerated" if key in allowed else "false"
        scored.append((key, verdict))
    return scored


def expected_paper_missing(
    batch: BatchTruth, truths: Iterable[Truth], with_paper: Collection[str]
) -> tuple[ExpectedFinding, ...]:
    """The batch truth's PAPER_MISSING, and one for each filing of an applicant not in
    ``with_paper`` (applicant ids with a source of the kind among the files read)."""
    return batch.expected_batch_findings + tuple(
        ExpectedFinding(code=FindingCode.PAPER_MISSING, key=t.online.record_id)
        for t in truths
        if t.online.present and t.applicant not in with_paper
    )


def load_batch_truth(corpus: Path) -> BatchTruth:
    path = corpus / "truth" / "batch.json"
    if not path.is_file():
        raise InputError(f"{corpus}: no truth/batch.json: not a corpus made by `samples generate`")
    return BatchTruth.model_validate_json(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# Mutations of a filing
# ---------------------------------------------------------------------------------------


class MutableField(Frozen):
    """A field of the export a mutation may change, with what the mutations need of it."""

    key: str
    type: str = Field(description="the export column's type: a FieldType or member_list")
    choices: tuple[Choice, ...] = Field((), description="the template's options, if a choice")
    city: bool = Field(False, description="a choice of localities (所在市（州）)")


class _Skip:
    """A mutation that does not apply to this field or value."""


SKIP = _Skip()
Planting = FieldValue | _Skip
Make = Callable[[FieldValue, MutableField, np.random.Generator], Planting]

_NUMERIC = frozenset({FieldType.MONEY_WAN.value, FieldType.PERCENT.value, FieldType.INTEGER.value})
_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def _number(value: FieldValue) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _changed_digit(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    """One digit of a number (or of a mobile number after its prefix) changed."""
    number = _number(value) if field.type in _NUMERIC else None
    if number is not None:
        text, first = str(number), 0
    elif field.type == FieldType.MOBILE and isinstance(value, str):
        text, first = value, 3
    else:
        return SKIP
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    positions = [i for i in digits if i >= first]
    if not positions:
        return SKIP
    at = pick(rng, positions)
    leading = number is not None and at == digits[0] and len(digits) > 1
    others = [d for d in "0123456789" if d != text[at] and not (leading and d == "0")]
    changed = text[:at] + pick(rng, others) + text[at + 1 :]
    if number is None:
        return changed
    return int(changed) if isinstance(number, int) else float(changed)


def _unit_slip(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    """An amount in 元 entered where 万元 is meant: ten thousand times larger."""
    number = _number(value)
    if field.type != FieldType.MONEY_WAN or number is None:
        return SKIP
    return number * 10_000 if isinstance(number, int) else round(number * 10_000, 2)


def _other_person(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != FieldType.PERSON_NAME or not isinstance(value, str):
        return SKIP
    other = person_name(rng)
    while other == value.replace(" ", ""):
        other = person_name(rng)
    return other


def _other_choice(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != FieldType.CHOICE or field.city or not isinstance(value, str):
        return SKIP
    others = [c.name for c in field.choices if c.name != value]
    return pick(rng, others) if others else SKIP


def _other_city(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if not field.city or not isinstance(value, str):
        return SKIP
    others = [c.name for c in field.choices if c.name != value and value not in c.aliases]
    return pick(rng, others) if others else SKIP


def _member_added(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != "member_list" or not isinstance(value, list):
        return SKIP
    names = [str(n) for n in value]
    others = [n for n in (*banks().universities, *banks().institutes) if n not in names]
    return [*names, pick(rng, others)]


def _member_dropped(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != "member_list" or not isinstance(value, list) or not value:
        return SKIP
    names = [str(n) for n in value]
    del names[int(rng.integers(len(names)))]
    return names


def _emptied(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if value is None or value == [] or value == "":
        return SKIP
    return [] if field.type == "member_list" else None


def _thousands(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    number = _number(value)
    if field.type != FieldType.MONEY_WAN or number is None or abs(number) < 1000:
        return SKIP
    return f"{number:,}"


def _trailing_zeros(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    """``123.5`` → ``123.50``; ``800`` → ``800.00``."""
    number = _number(value)
    if field.type not in (FieldType.MONEY_WAN, FieldType.PERCENT) or number is None:
        return SKIP
    text = str(number)
    return f"{text}0" if "." in text else f"{text}.00"


def _full_width(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    number = _number(value) if field.type in _NUMERIC else None
    if number is not None:
        return str(number).translate(_FULL_WIDTH)
    if field.type == FieldType.MOBILE and isinstance(value, str):
        return value.translate(_FULL_WIDTH)
    return SKIP


def _name_spaces(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != FieldType.PERSON_NAME or not isinstance(value, str) or len(value) < 2:
        return SKIP
    at = int(rng.integers(1, len(value)))
    return f"{value[:at]} {value[at:]}"


def _email_upper(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != FieldType.EMAIL or not isinstance(value, str) or value.upper() == value:
        return SKIP
    return value.upper()


def _date_style(style: Callable[[dt.date], str]) -> Make:
    def make(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
        if field.type != FieldType.DATE or not isinstance(value, str):
            return SKIP
        try:
            return style(dt.date.fromisoformat(value))
        except ValueError:
            return SKIP

    return make


def _members_shuffled(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != "member_list" or not isinstance(value, list) or len(set(map(str, value))) < 2:
        return SKIP
    names = [str(n) for n in value]
    shuffled = names
    while shuffled == names:
        shuffled = [names[i] for i in rng.permutation(len(names))]
    return shuffled


def _choice_alias(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    if field.type != FieldType.CHOICE or field.city or not isinstance(value, str):
        return SKIP
    choice = next((c for c in field.choices if c.name == value), None)
    return pick(rng, choice.aliases) if choice is not None and choice.aliases else SKIP


def _city_alias(value: FieldValue, field: MutableField, rng: np.random.Generator) -> Planting:
    """The city's longest other name (黔南州 → 黔南布依族苗族自治州; 贵阳市 → 贵阳)."""
    if not field.city or not isinstance(value, str):
        return SKIP
    choice = next((c for c in field.choices if c.name == value), None)
    if choice is None or not choice.aliases:
        return SKIP
    return max(choice.aliases, key=len)


@dataclass(frozen=True)
class Mutation:
    name: str
    planted: bool
    description: str
    make: Make


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("digit", True, "a digit changed (amounts, counts, ratios, mobile)", _changed_digit),
    Mutation("unit_slip", True, "an amount ×10000 (元 as 万元)", _unit_slip),
    Mutation("person", True, "another person (legal_rep, contact)", _other_person),
    Mutation("choice", True, "another option ticked", _other_choice),
    Mutation("city", True, "another city", _other_city),
    Mutation("member_added", True, "a member unit online only", _member_added),
    Mutation("member_dropped", True, "a member unit on paper only", _member_dropped),
    Mutation("emptied", True, "the value left empty online", _emptied),
    Mutation("thousands", False, "thousands separators (17,372.5)", _thousands),
    Mutation("trailing_zeros", False, "trailing zeros (123.5 → 123.50)", _trailing_zeros),
    Mutation("full_width", False, "full-width digits", _full_width),
    Mutation("name_spaces", False, "a space inside a person's name", _name_spaces),
    Mutation("email_upper", False, "an e-mail in upper case", _email_upper),
    Mutation(
        "date_chinese",
        False,
        "a date as 2022年7月5日",
        _date_style(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    ),
    Mutation(
        "date_dots",
        False,
        "a date as 2022.7.5",
        _date_style(lambda d: f"{d.year}.{d.month}.{d.day}"),
    ),
    Mutation(
        "date_slashes",
        False,
        "a date as 2022/07/05",
        _date_style(lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}"),
    ),
    Mutation("members_shuffled", False, "member units in another order", _members_shuffled),
    Mutation("choice_alias", False, "an option's alias (院所型创新中心)", _choice_alias),
    Mutation("city_alias", False, "a city's other name (黔南布依族苗族自治州)", _city_alias),
)


def mutable_fields(
    mapping: ExportMapping, template: TemplateSpec, campaign: Campaign
) -> dict[str, MutableField]:
    """The export's value columns but the match keys, typed, with the template's choices."""
    fields: dict[str, MutableField] = {}
    specs = {f.key: f for f in template.fields}
    for column in mapping.columns:
        if column.type in _NOT_VALUES or column.key in MATCH_KEYS:
            continue
        spec = specs.get(column.key)
        choices: tuple[Choice, ...] = ()
        if spec is not None:
            choices = spec.options or (
                campaign.choices(spec.options_from) if spec.options_from else ()
            )
        fields[column.key] = MutableField(
            key=column.key,
            type=str(column.type),
            choices=choices,
            city=spec is not None and spec.options_from == "localities",
        )
    return fields


def online_form(value: FieldValue) -> FieldValue:
    """A paper truth value as the export gives it: member units by name."""
    if isinstance(value, list):
        return [m.name if isinstance(m, Member) else m for m in value]
    return value


def mutation_rng(seed: int, applicant: str, key: str, mutation: str) -> np.random.Generator:
    """The same draws for an applicant's field and mutation whatever else is benched."""
    return np.random.default_rng(
        [seed % 2**32, zlib.crc32(f"{applicant}/{key}/{mutation}".encode())]
    )


def mutate(
    truth: Truth,
    source: SourceTruth,
    report: Report,
    record: OnlineRecord,
    fields: dict[str, MutableField],
    online: Callable[[Report, OnlineRecord], Report],
    seed: int,
    mutations: Sequence[Mutation] = MUTATIONS,
) -> list[MutationOutcome]:
    """Every mutation of every mutable field of the filing, each checked on its own.

    ``report`` is the submission's report before matching; ``online`` matches one report
    to one filing (``check_batch`` for a batch of one).
    """
    outcomes: list[MutationOutcome] = []
    for key, field in fields.items():
        true = source.fields.get(key)
        if key not in record.fields or true is None or true.value in (None, [], ""):
            continue
        base = online_form(true.value)
        read = report.fields.get(key)
        for mutation in mutations:
            value = mutation.make(
                base, field, mutation_rng(seed, truth.applicant, key, mutation.name)
            )
            if isinstance(value, _Skip):
                continue
            checked = online(
                report, record.model_copy(update={"fields": {**record.fields, key: value}})
            )
            on_field = {f.code for f in checked.findings if f.field == key}
            mismatch = FindingCode.FIELD_MISMATCH in on_field
            verdict: MutationVerdict
            if not mutation.planted:
                verdict = "false" if mismatch else "clean"
            elif mismatch:
                verdict = "caught"
            else:
                unsure = FindingCode.FIELD_LOW_CONFIDENCE in on_field
                verdict = "deferred" if unsure else "missed"
            outcomes.append(
                MutationOutcome(
                    applicant=truth.applicant,
                    submission_id=source.submission_id,
                    kind=source.kind,
                    field=key,
                    mutation=mutation.name,
                    planted=mutation.planted,
                    truth=base,
                    online=value,
                    paper=read.value if read else None,
                    paper_misread=not same_value(read.value if read else None, true.value),
                    matched=checked.online is not None
                    and checked.online.record_id == record.record_id,
                    verdict=verdict,
                )
            )
    return outcomes


# ---------------------------------------------------------------------------------------
# Reading, checking and scoring the corpus
# ---------------------------------------------------------------------------------------


def bench_findings(
    corpus: Path,
    settings: Settings,
    checker: Checker,
    check_batch: OnlineCheck,
    *,
    seed: int = 0,
    workers: int = 2,
    engine: OcrEngine | None = None,
    only: Collection[str] | None = None,
    kinds: Collection[SourceKind] = tuple(SOURCE_NAMES),
    mutations: Sequence[Mutation] = MUTATIONS,
) -> FindingFigures:
    """Read, check and match every source of the corpus (or of the ``only`` applicants, of
    ``kinds``), and score its findings, format-only fields and planted discrepancies.

    Args:
        corpus: a folder made by ``shenbao samples generate``.
        settings: where the templates, campaign, export mapping and caches are; the OCR.
        checker: ``flows.checking.checker``.
        check_batch: ``flows.checking.check_batch``.
        seed: what the mutations draw from.
        workers: page-pool processes for scans not in the cache.
        engine: read with this engine in-process instead (tests: a replay, or no OCR).
        only: applicant ids (``P001``) to score; all by default. The others' filings are
            still in the export: without their paper, PAPER_MISSING is expected for them.
        kinds: source kinds to score, each matched to the export as a batch of its own.
        mutations: the mutations planted (all by default; none: measures 1 and 2 only).
    """
    truths = load_truths(corpus)
    chosen = [t for t in truths if only is None or t.applicant in only]
    batch = load_batch_truth(corpus)
    if not batch.export_files:
        raise InputError(f"{corpus}: truth/batch.json names no online export")
    templates = load_templates(settings.templates_dir)
    campaign = load_campaign(settings.config_dir / "campaign.yaml")
    mapping = load_export_mapping(settings.config_dir / "export_columns.yaml")
    records = load_online_export(corpus / batch.export_files[0], mapping).records
    by_record = {r.record_id: r for r in records}
    mutable = {annex: mutable_fields(mapping, t, campaign) for annex, t in templates.items()}
    check = checker(templates, campaign)

    def one(report: Report, record: OnlineRecord) -> Report:
        (checked,), _ = check_batch([report], (record,), templates, campaign)
        return checked

    findings: list[FindingOutcome] = []
    variants: list[FormatOutcome] = []
    planted: list[MutationOutcome] = []
    missing: list[str] = []
    wrong: list[WrongMatch] = []
    counts: dict[str, int] = {}
    low: dict[str, int] = {}
    read_s = check_s = online_s = 0.0
    # The kinds asked for that the truth lists sources of.
    benched = tuple(
        k
        for k in SOURCE_NAMES
        if k in kinds and any(s.kind is k for t in chosen for s in t.sources)
    )
    if not benched:
        raise InputError(f"{corpus}: the truth lists no sources of the kinds asked for")
    for kind in benched:
        wanted = [(t, s) for t in chosen for s in t.sources if s.kind is kind]
        counts[kind.value] = len(wanted)
        low[kind.value] = 0
        files = sorted({corpus / s.file for _, s in wanted})
        started = time.perf_counter()
        # One kind at a time: a PDF and a DOCX of one applicant give the same submission id.
        submissions = read_submissions(
            files,
            settings,
            scanned=set(files) if kind is SourceKind.SCAN else set(),
            workers=workers,
            engine=engine,
        )
        read_s += time.perf_counter() - started

        started = time.perf_counter()
        reports = {
            sid: build_report(check(s), f"bench-findings-{kind.value}", None, templates)
            for (_, sid), s in submissions.items()
        }
        check_s += time.perf_counter() - started

        started = time.perf_counter()
        matched, paper_missing = check_batch(list(reports.values()), records, templates, campaign)
        by_id = {r.submission_id: r for r in matched}
        with_paper = {
            t.applicant
            for t in truths
            for s in t.sources
            if s.kind is kind and corpus / s.file in files
        }
        expected = expected_paper_missing(batch, truths, with_paper)
        findings += [
            FindingOutcome(
                applicant="", submission_id=BATCH, kind=kind, code=code, key=key, verdict=verdict
            )
            for (code, key), verdict in score_findings(paper_missing, expected)
        ]
        for truth, source in wanted:
            report = by_id.get(source.submission_id)
            if report is None:
                missing.append(f"{kind.value}:{source.submission_id}")
            raised = report.findings if report else ()
            low[kind.value] += sum(f.code is FindingCode.FIELD_LOW_CONFIDENCE for f in raised)
            findings += [
                FindingOutcome(
                    applicant=truth.applicant,
                    submission_id=source.submission_id,
                    kind=kind,
                    code=code,
                    key=key,
                    verdict=verdict,
                )
                for (code, key), verdict in score_findings(
                    raised, source.expected_findings, source.tolerated_findings
                )
            ]
            if report is None:
                continue
            own = truth.online.record_id if truth.online.present else None
            got = report.online.record_id if report.online else None
            if got != own:
                wrong.append(
                    WrongMatch(
                        submission_id=report.submission_id, kind=kind, matched=got, truth=own
                    )
                )
            if own is None or got != own:
                continue
            record = by_record[own]
            variants += format_outcomes(truth, source, report, record)
            planted += mutate(
                truth,
                source,
                reports[source.submission_id],
                record,
                mutable.get(truth.annex, {}),
                one,
                seed,
                mutations,
            )
        online_s += time.perf_counter() - started

    return FindingFigures(
        corpus=str(corpus),
        export=batch.export_files[0],
        seed=seed,
        kinds=benched,
        submissions=counts,
        missing_submissions=tuple(missing),
        wrong_matches=tuple(wrong),
        low_confidence=low,
        read_s=round(read_s, 2),
        check_s=round(check_s, 2),
        online_s=round(online_s, 2),
        findings=tuple(findings),
        format_variants=tuple(variants),
        mutations=tuple(planted),
    )


def format_outcomes(
    truth: Truth, source: SourceTruth, report: Report, record: OnlineRecord
) -> list[FormatOutcome]:
    """The truth's format-only fields of a report matched to its own filing, unless the
    truth expects a FIELD_MISMATCH on one."""
    expected = {e.field for e in source.expected_findings if e.code is FindingCode.FIELD_MISMATCH}
    mismatched = {f.field for f in report.findings if f.code is FindingCode.FIELD_MISMATCH}
    return [
        FormatOutcome(
            applicant=truth.applicant,
            submission_id=source.submission_id,
            kind=source.kind,
            field=key,
            paper=read.value if (read := report.fields.get(key)) else None,
            online=record.fields.get(key),
            mismatch=key in mismatched,
        )
        for key in truth.online.format_variants
        if key not in expected
    ]
