"""The synthetic corpus: paper scans, electronic copies, the online export and the truth.

Layout of the output directory::

    batch/scan_NNNN.pdf        the paper as the office scanner produced it (one file per
                               submission, the last file a stream of several)
    electronic/<id>.pdf|.docx  the applicant's born-digital PDF and DOCX of the same form
    online/export.xlsx|.csv    the online platform's export (CSV in GB18030)
    truth/<id>.json            per applicant: values, seals, page text, expected findings
    truth/batch.json           which submissions each batch file holds; batch findings
    README.md                  what is here and the command that made it

Every applicant draws from its own random stream (seed, index), so the corpus is
byte-identical for a seed and one applicant's content does not depend on another's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import (
    Campaign,
    ExportMapping,
    TemplateSpec,
)
from pipeline.model import Annex, FindingCode, Member, SourceKind
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from shenbao_lab.generator.applicant import Applicant, make_applicant
from shenbao_lab.generator.docx_writer import render_docx
from shenbao_lab.generator.export import export_rows, write_csv, write_xlsx
from shenbao_lab.generator.faults import (
    SEAL_AND_RECOMMENDATION,
    ExpectedFinding,
    plant,
)
from shenbao_lab.generator.layout import FormLayout
from shenbao_lab.generator.paper import ScannedPage, ScanPlan, page_fractions, scan_submission
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.scanner import write_image_pdf
from shenbao_lab.generator.styles import Style, draw_style, with_turned_page
from shenbao_lab.generator.truth import (
    STYLES_TRUTH,
    BatchTruth,
    OnlineTruth,
    OpinionTruth,
    SourceTruth,
    StylesTruth,
    Truth,
    TruthField,
    TruthPage,
    dump,
)

log = logging.getLogger(__name__)
STREAM_SIZE = 3


@dataclass(frozen=True)
class Scenario:
    """What one synthetic submission is meant to exercise."""

    annex: Annex
    faults: tuple[str, ...] = ()
    affiliation: str | None = None
    greyscale: bool = False
    degraded: bool = False
    upside_down: bool = False


P, C = Annex.PILOT, Annex.CERTIFICATION
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(P),
    Scenario(P, ("seal_missing_lead_cover", "mismatch_revenue_digit")),
    Scenario(C, ("kpi_below_target_claims_met",), upside_down=True),
    Scenario(P, ("recommendation_missing", "mismatch_unit_slip"), degraded=True),
    Scenario(P, (), affiliation="省属企业", greyscale=True),
    Scenario(P, ("recommendation_wrong_authority", "mismatch_member", "mobile_invalid")),
    Scenario(C, ("recommendation_unfavourable", "mismatch_legal_rep"), degraded=True),
    Scenario(P, ("section_missing", "uscc_bad_check_digit"), upside_down=True),
    Scenario(C, ("kpi_below_target_honest", "seal_missing_commitment", "mismatch_checkbox")),
    Scenario(P, ("no_online_row", "seal_wrong_owner_cover")),
    Scenario(P, ("recommendation_undated", "field_missing_email", "mismatch_city")),
    Scenario(
        C,
        ("domain_ineligible", "online_late", "rd_ratio_inconsistent", "mismatch_online_empty"),
        affiliation="中央在黔企业",
        greyscale=True,
    ),
)
"""Together these plant every fault the generator knows; a corpus of 12 holds them all."""


def scenario(index: int, rng: np.random.Generator) -> Scenario:
    """The index-th scenario; past the list, a random one of it (degraded or not)."""
    if index < len(SCENARIOS):
        return SCENARIOS[index]
    base = SCENARIOS[int(rng.integers(len(SCENARIOS)))]
    return Scenario(
        base.annex,
        base.faults,
        base.affiliation,
        base.greyscale,
        degraded=bool(rng.random() < 0.4),
        upside_down=bool(rng.random() < 0.3),
    )


@dataclass(frozen=True)
class Context:
    templates: dict[Annex, TemplateSpec]
    campaign: Campaign
    mapping: ExportMapping

    @property
    def online_keys(self) -> frozenset[str]:
        return frozenset(
            c.key for c in self.mapping.columns if c.type not in ("record_id", "annex", "datetime")
        )


@dataclass(frozen=True)
class Made:
    """One applicant, its scanned pages and its expected findings."""

    applicant: Applicant
    expected: tuple[ExpectedFinding, ...]
    scenario: Scenario
    pages: tuple[ScannedPage, ...]
    style: Style


def _make(index: int, seed: int, ctx: Context, styles: str = "house") -> Made:
    rng = np.random.default_rng([seed, index])
    plan = scenario(index, rng)
    template = ctx.templates[plan.annex]
    applicant = make_applicant(
        index + 1,
        plan.annex,
        template,
        ctx.campaign,
        ctx.online_keys,
        rng,
        affiliation=plan.affiliation,
    )
    applicant, expected = plant(applicant, plan.faults, template, ctx.campaign, rng)
    style = draw_style(styles, seed, index)
    layouts = FormLayout(applicant, template, ctx.campaign, paper=True, style=style).pages()
    style = with_turned_page(style, len(layouts), seed, index)
    dpi = int(rng.choice([200, 200, 200, 240]))
    scan_plan = ScanPlan(
        dpi=style.scan.dpi or dpi,
        greyscale=plan.greyscale,
        degraded=plan.degraded,
        upside_down_page=int(rng.integers(2, len(layouts) + 1)) if plan.upside_down else None,
        style=style.scan,
        hand=style.hand,
        ink=style.ink,
    )
    pages = scan_submission(applicant, layouts, scan_plan, rng, title=template.title)
    return Made(applicant, tuple(expected), plan, tuple(pages), style)


def _fields(applicant: Applicant, *, paper: bool) -> dict[str, TruthField]:
    fields: dict[str, TruthField] = {}
    for key, value in applicant.values.items():
        if key == "recommend_date" and not paper:
            value = None  # the authority writes it on paper only
        raw = applicant.printed.get(key, "")
        if key == "members" and isinstance(value, list):
            value = [m.model_dump() if isinstance(m, Member) else m for m in value]
        fields[key] = TruthField(value=value, raw=raw if value is not None else "")
    return fields


def _submission_id(stem: str, first: int, last: int) -> str:
    return f"{stem}-p{first:03d}-{last:03d}"


def _colourless(made: Made) -> bool:
    """No red to see a seal by: a greyscale or black-and-white scan, or a photocopy."""
    scan = made.style.scan
    return made.scenario.greyscale or scan.mode != "house" or scan.photocopy


def _tolerated(made: Made) -> tuple[ExpectedFinding, ...]:
    if not _colourless(made):
        return ()
    slots = {seal.slot for page in made.pages for seal in page.seals}
    return tuple(ExpectedFinding(code=FindingCode.SEAL_UNVERIFIABLE, slot=s) for s in sorted(slots))


def generate(out: Path, count: int, seed: int, styles: str = "house") -> BatchTruth:
    """Write the corpus into ``out`` (created); return the batch truth.

    ``styles`` (``styles.yaml``): ``house``, the generator's own habits (the committed
    corpus), or the style families a submission's paper is drawn from: ``tuned``,
    ``withheld`` or ``all``; then ``truth/styles.json`` says each submission's style.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    rules = load_rules(RULES_DIR)  # the corpus is made for the shipped forms
    ctx = Context(rules.templates, rules.campaign, rules.export_columns)
    for sub in ("batch", "electronic", "online", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)

    made = [_make(i, seed, ctx, styles) for i in range(count)]
    stream_start = count - STREAM_SIZE if count > STREAM_SIZE else count
    groups = [[m] for m in made[:stream_start]]
    if stream_start < count:
        groups.append(made[stream_start:])

    files: dict[str, tuple[str, ...]] = {}
    scan_sources: dict[str, SourceTruth] = {}
    for number, group in enumerate(groups, start=1):
        name = f"batch/scan_{number:04d}.pdf"
        stem = Path(name).stem
        first = 1
        ids = []
        images, qualities, dpis = [], [], []
        for m in group:
            last = first + len(m.pages) - 1
            sid = _submission_id(stem, first, last)
            ids.append(sid)
            pages = tuple(
                p.truth.model_copy(update={"file_page": first + p.truth.number - 1})
                for p in m.pages
            )
            scan_sources[m.applicant.id] = SourceTruth(
                kind=SourceKind.SCAN,
                file=name,
                pages=(first, last),
                submission_id=sid,
                fields=_fields(m.applicant, paper=True),
                seals=tuple(s for p in m.pages for s in p.seals),
                page_truth=pages,
                expected_findings=m.expected,
                tolerated_findings=_tolerated(m),
            )
            images.extend(p.image for p in m.pages)
            qualities.extend(p.profile.jpeg_quality for p in m.pages)
            # a stream's pages all carry its first scan's resolution, as they always have;
            # a style's own resolution is written as it is
            dpis.extend(
                p.profile.dpi if m.style.scan.dpi else group[0].pages[0].profile.dpi
                for p in m.pages
            )
            first = last + 1
        write_image_pdf(images, out / name, dpi=dpis, jpeg_quality=qualities)
        files[Path(name).name] = tuple(ids)
        log.info("wrote %s (%d submissions)", name, len(group))

    online_only = _online_only(count, seed, ctx)
    applicants = [m.applicant for m in made] + [online_only]
    header, rows, variants = export_rows(
        applicants, ctx.mapping, ctx.campaign, np.random.default_rng([seed, 1_000_000])
    )
    (out / "online" / "export.xlsx").write_bytes(write_xlsx(header, rows))
    (out / "online" / "export.csv").write_bytes(write_csv(header, rows))

    for m in made:
        _write_applicant(out, m, scan_sources[m.applicant.id], variants, ctx)

    batch = BatchTruth(
        seed=seed,
        count=count,
        batch_dir="batch",
        export_files=("online/export.xlsx", "online/export.csv"),
        files=files,
        expected_batch_findings=(
            ExpectedFinding(code=FindingCode.PAPER_MISSING, key=online_only.record_id),
        ),
    )
    (out / "truth" / "batch.json").write_text(dump(batch), encoding="utf-8")
    if styles != "house":
        styled = StylesTruth(styles=styles, applicants={m.applicant.id: m.style for m in made})
        (out / "truth" / STYLES_TRUTH).write_text(dump(styled), encoding="utf-8")
    (out / "README.md").write_text(
        _readme(count, seed, made, scan_sources, styles), encoding="utf-8"
    )
    return batch


def _online_only(count: int, seed: int, ctx: Context) -> Applicant:
    """A filing that is online only: its paper never arrived (PAPER_MISSING)."""
    rng = np.random.default_rng([seed, count + 10_000])
    applicant = make_applicant(
        count + 1, Annex.PILOT, ctx.templates[Annex.PILOT], ctx.campaign, ctx.online_keys, rng
    )
    return applicant.model_copy(update={"paper": False, "faults": ("no_paper",)})


def _write_applicant(
    out: Path, m: Made, scan_source: SourceTruth, variants: dict[str, list[str]], ctx: Context
) -> None:
    a = m.applicant
    template = ctx.templates[a.annex]
    layouts = FormLayout(a, template, ctx.campaign, paper=False).pages()
    pdf_name, docx_name = f"electronic/{a.id}.pdf", f"electronic/{a.id}.docx"
    (out / pdf_name).write_bytes(
        render_pdf(layouts, title=template.title, author=str(a.values.get("lead_org") or ""))
    )
    (out / docx_name).write_bytes(render_docx(a, template, ctx.campaign))

    electronic_expected = tuple(f for f in m.expected if f.code not in SEAL_AND_RECOMMENDATION)
    n = len(layouts)
    digital_pages = tuple(
        TruthPage(
            number=i, file_page=i, template_page=layout.id, lines=tuple(page_fractions(layout))
        )
        for i, layout in enumerate(layouts, start=1)
    )
    electronic = [
        SourceTruth(
            kind=kind,
            file=name,
            pages=(1, n),
            submission_id=_submission_id(Path(name).stem, 1, n),
            fields=_fields(a, paper=False),
            page_truth=digital_pages if kind is SourceKind.TEXT_LAYER else (),
            expected_findings=electronic_expected,
        )
        for kind, name in ((SourceKind.TEXT_LAYER, pdf_name), (SourceKind.DOCX, docx_name))
    ]
    truth = Truth(
        applicant=a.id,
        annex=a.annex,
        faults=a.faults,
        opinion=OpinionTruth(**a.opinion.model_dump()),
        self_eval_claims_met=a.self_eval_claims_met,
        online=OnlineTruth(
            record_id=a.record_id,
            present=a.online,
            values=a.online_values,
            format_variants=tuple(variants.get(a.record_id, ())),
            submitted_at=a.submitted_at,
        ),
        sources=(scan_source, *electronic),
    )
    (out / "truth" / f"{a.id}.json").write_text(dump(truth), encoding="utf-8")


def _turned(made: Made) -> bool:
    return made.style.scan.turned_page is not None and made.style.scan.turn != 0


def _readme(
    count: int, seed: int, made: list[Made], sources: dict[str, SourceTruth], styles: str
) -> str:
    option = "" if styles == "house" else f" --styles {styles}"
    lines = [
        "# 样例材料 — the synthetic corpus",
        "",
        f"Made by `shenbao samples generate --out samples --count {count} --seed {seed}{option}`;",
        "running it again gives byte-identical files. Every value, seal and fault here is",
        "synthetic: no real applicant is described.",
        "",
        "| folder | what |",
        "| --- | --- |",
        "| `batch/` | the paper, scanned: what `make run` processes |",
        "| `electronic/` | each applicant's born-digital PDF and DOCX of the same form |",
        "| `online/` | the online platform's export, XLSX and CSV (GB18030) |",
        "| `truth/` | ground truth per applicant, and `batch.json` for the batch |",
        "",
        "| applicant | annex | paper scan | pages | scan | planted faults |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in made:
        source = sources[m.applicant.id]
        look = [
            name
            for name, on in (
                ("greyscale", m.scenario.greyscale or m.style.scan.mode == "greyscale"),
                ("black and white", m.style.scan.mode == "bilevel"),
                ("degraded", m.scenario.degraded),
                ("a page upside down", m.scenario.upside_down),
                (f"page {m.style.scan.turned_page} turned {m.style.scan.turn}°", _turned(m)),
                ("photocopied", m.style.scan.photocopy),
                ("binding shadow", m.style.scan.binding_shadow),
                ("punched holes", m.style.scan.punched_holes),
                ("phone photo", m.style.scan.phone_photo),
                (f"style {m.style.family} ({m.style.split})", m.style.split != "house"),
            )
            if on
        ]
        lines.append(
            f"| {m.applicant.id} | {m.applicant.annex.value} | `{source.file}` | "
            f"{source.pages[0]}–{source.pages[1]} | {', '.join(look) or 'colour'} | "
            f"{', '.join(m.applicant.faults) or 'none'} |"
        )
    lines.append("")
    return "\n".join(lines)
