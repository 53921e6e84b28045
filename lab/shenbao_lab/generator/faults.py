"""Planted faults: each derives a changed applicant and says which findings it must raise.

A fault is the only place an expected finding comes from, besides the base rules in
``base_findings`` (an exempt applicant is told it is exempt; an honest certification
with a KPI below target gets the warning). So the truth can never drift from what was
actually drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

from pipeline.codes import USCC_ALPHABET
from pipeline.config import Campaign, TemplateSpec
from pipeline.model import Annex, FieldValue, FindingCode, Member
from shenbao_lab.generator.applicant import Applicant, Opinion, banks, person_name, pick


class ExpectedFinding(BaseModel):
    """A finding a correct checker must raise: its code and what it is keyed by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: FindingCode
    field: str | None = None
    slot: str | None = None
    section: str | None = None
    key: str | None = None


Planted = tuple[Applicant, list[ExpectedFinding]]
Fault = Callable[[Applicant, TemplateSpec, Campaign, np.random.Generator], Planted]
F = ExpectedFinding

SEAL_AND_RECOMMENDATION = frozenset(
    {
        FindingCode.SEAL_MISSING,
        FindingCode.SEAL_OWNER_MISMATCH,
        FindingCode.SEAL_UNVERIFIABLE,
        FindingCode.RECOMMENDATION_MISSING,
        FindingCode.RECOMMENDATION_UNFAVOURABLE,
        FindingCode.RECOMMENDATION_UNDATED,
        FindingCode.RECOMMENDATION_WRONG_AUTHORITY,
        FindingCode.RECOMMENDATION_EXEMPT,
    }
)


def _with(applicant: Applicant, fault: str, **changes: object) -> Applicant:
    return applicant.model_copy(update={"faults": (*applicant.faults, fault), **changes})


def _values(applicant: Applicant, **changes: FieldValue) -> dict[str, FieldValue]:
    return {**applicant.values, **changes}


def _online(applicant: Applicant, **changes: FieldValue) -> dict[str, FieldValue]:
    return {**applicant.online_values, **changes}


def _printed(applicant: Applicant, **changes: str) -> dict[str, str]:
    return {**applicant.printed, **changes}


def _recommender_slots(template: TemplateSpec) -> list[str]:
    return [s.id for s in template.seal_slots if s.owner == "recommender"]


def seal_missing_lead_cover(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    owners = {**a.seal_owners, "lead_org_cover": None}
    return (
        _with(a, "seal_missing_lead_cover", seal_owners=owners),
        [F(code=FindingCode.SEAL_MISSING, slot="lead_org_cover")],
    )


def seal_missing_commitment(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    owners = {**a.seal_owners, "lead_org_commitment": None}
    return (
        _with(a, "seal_missing_commitment", seal_owners=owners),
        [F(code=FindingCode.SEAL_MISSING, slot="lead_org_commitment")],
    )


def seal_wrong_owner_cover(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """The cover is stamped with a member unit's seal instead of the lead organisation's."""
    members = a.values.get("members") or []
    other = (
        members[0].name
        if members and isinstance(members[0], Member)
        else f"贵州{pick(rng, banks().brands)}科技有限公司"
    )
    owners = {**a.seal_owners, "lead_org_cover": other}
    return (
        _with(a, "seal_wrong_owner_cover", seal_owners=owners),
        [F(code=FindingCode.SEAL_OWNER_MISMATCH, slot="lead_org_cover")],
    )


def recommendation_missing(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """The authority never saw it: an empty box, no seals, no date."""
    owners = {**a.seal_owners, **dict.fromkeys(_recommender_slots(t))}
    changed = _with(
        a,
        "recommendation_missing",
        seal_owners=owners,
        opinion=Opinion(text=None, favourable=None, date=None, authority=None),
        values=_values(a, recommend_date=None),
        printed=_printed(a, recommend_date=""),
    )
    return changed, [
        F(code=FindingCode.RECOMMENDATION_MISSING),
        *(F(code=FindingCode.SEAL_MISSING, slot=s) for s in _recommender_slots(t)),
    ]


def recommendation_unfavourable(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    opinion = a.opinion.model_copy(
        update={"text": pick(rng, banks().opinions_unfavourable), "favourable": False}
    )
    return (
        _with(a, "recommendation_unfavourable", opinion=opinion),
        [F(code=FindingCode.RECOMMENDATION_UNFAVOURABLE)],
    )


def recommendation_undated(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    opinion = a.opinion.model_copy(update={"date": None})
    return (
        _with(
            a,
            "recommendation_undated",
            opinion=opinion,
            values=_values(a, recommend_date=None),
            printed=_printed(a, recommend_date=""),
        ),
        [F(code=FindingCode.RECOMMENDATION_UNDATED)],
    )


def recommendation_wrong_authority(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """Recommended and sealed by another locality's authority."""
    others = [loc.authority for loc in c.localities if loc.city != a.values["city"]]
    authority = pick(rng, others)
    owners = {**a.seal_owners, **dict.fromkeys(_recommender_slots(t), authority)}
    opinion = a.opinion.model_copy(update={"authority": authority})
    return (
        _with(a, "recommendation_wrong_authority", seal_owners=owners, opinion=opinion),
        [
            F(code=FindingCode.RECOMMENDATION_WRONG_AUTHORITY),
            *(F(code=FindingCode.SEAL_OWNER_MISMATCH, slot=s) for s in _recommender_slots(t)),
        ],
    )


def section_missing(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    section = "plan_budget" if a.annex is Annex.PILOT else "self_eval"
    narratives = {k: v for k, v in a.narratives.items() if k != section}
    changes: dict[str, object] = {"narratives": narratives}
    if section == "self_eval":
        changes["self_eval_claims_met"] = None
    return (
        _with(a, "section_missing", **changes),
        [F(code=FindingCode.SECTION_MISSING, section=section)],
    )


def uscc_bad_check_digit(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """A typo in the check character on paper; the platform kept the right code."""
    good = str(a.values["uscc"])
    wrong = pick(rng, [ch for ch in USCC_ALPHABET if ch != good[-1]])
    bad = good[:-1] + wrong
    return (
        _with(
            a, "uscc_bad_check_digit", values=_values(a, uscc=bad), printed=_printed(a, uscc=bad)
        ),
        [
            F(code=FindingCode.FIELD_INVALID, field="uscc"),
            F(code=FindingCode.FIELD_MISMATCH, field="uscc"),
        ],
    )


def rd_ratio_inconsistent(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """The applicant computed the R&D ratio wrongly, on paper and online alike."""
    ratio = round(float(a.values["rd_ratio"]) + float(pick(rng, [-2.5, 1.8, 3.2])), 2)  # type: ignore[arg-type]
    return (
        _with(
            a,
            "rd_ratio_inconsistent",
            values=_values(a, rd_ratio=ratio),
            printed=_printed(a, rd_ratio=f"{ratio:.2f}"),
            online_values=_online(a, rd_ratio=ratio),
        ),
        [F(code=FindingCode.FIELD_INVALID, field="rd_ratio")],
    )


def mobile_invalid(a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator) -> Planted:
    """A digit dropped from the mobile number, on paper and online alike."""
    short = str(a.values["mobile"])[:-1]
    return (
        _with(
            a,
            "mobile_invalid",
            values=_values(a, mobile=short),
            printed=_printed(a, mobile=short),
            online_values=_online(a, mobile=short),
        ),
        [F(code=FindingCode.FIELD_INVALID, field="mobile")],
    )


def field_missing_email(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    return (
        _with(
            a, "field_missing_email", values=_values(a, email=None), printed=_printed(a, email="")
        ),
        [
            F(code=FindingCode.FIELD_MISSING, field="email"),
            F(code=FindingCode.FIELD_MISMATCH, field="email"),
        ],
    )


def domain_ineligible(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    domain = pick(rng, banks().ineligible_domains)
    return (
        _with(
            a,
            "domain_ineligible",
            values=_values(a, domain=domain),
            printed=_printed(a, domain=domain),
            online_values=_online(a, domain=domain),
        ),
        [F(code=FindingCode.DOMAIN_INELIGIBLE, field="domain")],
    )


def online_late(a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator) -> Planted:
    late = c.online_deadline + dt.timedelta(hours=float(rng.uniform(10, 80)))
    return (
        _with(a, "online_late", submitted_at=late.replace(microsecond=0)),
        [F(code=FindingCode.DEADLINE_MISSED, key="online")],
    )


def no_online_row(a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator) -> Planted:
    return (
        _with(a, "no_online_row", online=False, online_values={}),
        [F(code=FindingCode.ONLINE_RECORD_MISSING)],
    )


def kpi_below_target_claims_met(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    changed, findings = _kpi_below(a, rng, "kpi_below_target_claims_met")
    return changed, [*findings, F(code=FindingCode.SELF_EVAL_INCONSISTENT)]


def kpi_below_target_honest(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """A KPI below target, and the self-evaluation says so: a warning, not an error."""
    changed, findings = _kpi_below(a, rng, "kpi_below_target_honest")
    narratives = {
        **changed.narratives,
        "self_eval": "".join(banks().narratives["self_eval_not_met"]),
    }
    return changed.model_copy(
        update={"narratives": narratives, "self_eval_claims_met": False}
    ), findings


def _kpi_below(a: Applicant, rng: np.random.Generator, fault: str) -> Planted:
    index = int(rng.integers(1, len(a.kpis)))  # not the money row: an integer count
    kpi = a.kpis[index]
    actual = max(0, int(kpi.target) - int(rng.integers(1, max(2, int(kpi.target) // 3 + 1))))
    kpis = tuple(
        k.model_copy(update={"actual": actual}) if i == index else k for i, k in enumerate(a.kpis)
    )
    key = f"{kpi.key}_actual"
    return (
        _with(
            a,
            fault,
            kpis=kpis,
            values=_values(a, **{key: actual}),
            printed=_printed(a, **{key: str(actual)}),
        ),
        [F(code=FindingCode.KPI_BELOW_TARGET, field=kpi.key)],
    )


# --- differences between paper and online -------------------------------------------


def mismatch_revenue_digit(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    revenue = float(a.values["revenue"])  # type: ignore[arg-type]
    text = f"{revenue:.2f}"
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = pick(rng, digits[1:])
    changed = text[:i] + str((int(text[i]) + int(rng.integers(1, 9))) % 10) + text[i + 1 :]
    return (
        _with(a, "mismatch_revenue_digit", online_values=_online(a, revenue=float(changed))),
        [F(code=FindingCode.FIELD_MISMATCH, field="revenue")],
    )


def mismatch_unit_slip(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """The online R&D spend typed in 元 where 万元 is meant: 10,000 times larger."""
    rd_spend = round(float(a.values["rd_spend"]) * 10000, 2)  # type: ignore[arg-type]
    return (
        _with(a, "mismatch_unit_slip", online_values=_online(a, rd_spend=rd_spend)),
        [F(code=FindingCode.FIELD_MISMATCH, field="rd_spend")],
    )


def mismatch_legal_rep(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    other = person_name(rng)
    while other == a.values["legal_rep"]:
        other = person_name(rng)
    return (
        _with(a, "mismatch_legal_rep", online_values=_online(a, legal_rep=other)),
        [F(code=FindingCode.FIELD_MISMATCH, field="legal_rep")],
    )


def mismatch_checkbox(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """A different box ticked online than on paper."""
    key, options = (
        ("center_type", c.center_types) if a.annex is Annex.PILOT else ("org_nature", c.org_natures)
    )
    other = pick(rng, [o.name for o in options if o.name != a.values[key]])
    return (
        _with(a, "mismatch_checkbox", online_values=_online(a, **{key: other})),
        [F(code=FindingCode.FIELD_MISMATCH, field=key)],
    )


def mismatch_member(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """A member unit listed on paper but not online."""
    names = list(a.online_values.get("members") or [])  # type: ignore[arg-type]
    dropped = names[int(rng.integers(len(names)))]
    return (
        _with(
            a,
            "mismatch_member",
            online_values=_online(a, members=[n for n in names if n != dropped]),
        ),
        [F(code=FindingCode.FIELD_MISMATCH, field="members")],
    )


def mismatch_city(a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator) -> Planted:
    other = pick(rng, [loc.city for loc in c.localities if loc.city != a.values["city"]])
    return (
        _with(a, "mismatch_city", online_values=_online(a, city=other)),
        [F(code=FindingCode.FIELD_MISMATCH, field="city")],
    )


def mismatch_online_empty(
    a: Applicant, t: TemplateSpec, c: Campaign, rng: np.random.Generator
) -> Planted:
    """A value on paper left empty online."""
    return (
        _with(a, "mismatch_online_empty", online_values=_online(a, mobile=None)),
        [F(code=FindingCode.FIELD_MISMATCH, field="mobile")],
    )


FAULTS: dict[str, Fault] = {
    f.__name__: f
    for f in (
        seal_missing_lead_cover,
        seal_missing_commitment,
        seal_wrong_owner_cover,
        recommendation_missing,
        recommendation_unfavourable,
        recommendation_undated,
        recommendation_wrong_authority,
        section_missing,
        uscc_bad_check_digit,
        rd_ratio_inconsistent,
        mobile_invalid,
        field_missing_email,
        domain_ineligible,
        online_late,
        no_online_row,
        kpi_below_target_claims_met,
        kpi_below_target_honest,
        mismatch_revenue_digit,
        mismatch_unit_slip,
        mismatch_legal_rep,
        mismatch_checkbox,
        mismatch_member,
        mismatch_city,
        mismatch_online_empty,
    )
}

PAPER_FAULTS = frozenset(
    {
        "seal_missing_lead_cover",
        "seal_missing_commitment",
        "seal_wrong_owner_cover",
        "recommendation_missing",
        "recommendation_unfavourable",
        "recommendation_undated",
        "recommendation_wrong_authority",
    }
)
"""Faults only a scanned paper copy shows (the electronic copies carry no seals or opinion)."""


def base_findings(a: Applicant, campaign: Campaign) -> list[ExpectedFinding]:
    """Findings that follow from a clean applicant's own facts, not from a planted fault."""
    if a.values.get("affiliation") in campaign.exempt_affiliations:
        return [F(code=FindingCode.RECOMMENDATION_EXEMPT)]
    return []


def plant(
    applicant: Applicant,
    names: tuple[str, ...],
    template: TemplateSpec,
    campaign: Campaign,
    rng: np.random.Generator,
) -> Planted:
    """Apply the named faults in order; return the applicant and every expected finding."""
    expected = base_findings(applicant, campaign)
    for name in names:
        applicant, findings = FAULTS[name](applicant, template, campaign, rng)
        expected.extend(findings)
    return applicant, expected
