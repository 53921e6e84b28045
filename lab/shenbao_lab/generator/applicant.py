"""Synthetic applicants: every value a form carries, consistent with itself and the campaign.

An ``Applicant`` is the ground truth of one submission: normalised values (what a perfect
reader would extract), how each value is printed on paper, the prose of each section,
the recommendation opinion and the seals to be stamped. Faults are planted afterwards
(``faults.py``) by deriving a changed applicant, so a clean one is always consistent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.codes import USCC_ALPHABET, org_code_check_char, uscc_check_char
from pipeline.config import Campaign, TemplateSpec
from pipeline.model import Annex, FieldValue, Member

T = TypeVar("T")
CN_DIGITS = "〇一二三四五六七八九"


class Banks(BaseModel):
    """Word banks the synthetic values are drawn from (``banks.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    surnames: tuple[str, ...]
    given_names: tuple[str, ...]
    pinyin: tuple[str, ...]
    brands: tuple[str, ...]
    org_suffixes: tuple[str, ...]
    institute_suffixes: tuple[str, ...]
    districts: dict[str, tuple[str, ...]]
    roads: tuple[str, ...]
    division_codes: dict[str, str]
    domain_words: dict[str, dict[str, tuple[str, ...]]]
    ineligible_domains: tuple[str, ...]
    universities: tuple[str, ...]
    institutes: tuple[str, ...]
    platforms: tuple[str, ...]
    email_domains: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]
    technologies: tuple[str, ...]
    opinions_favourable: tuple[str, ...]
    opinions_unfavourable: tuple[str, ...]
    narratives: dict[str, tuple[str, ...]]


@cache
def banks() -> Banks:
    path = Path(__file__).with_name("banks.yaml")
    return Banks.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class Kpi(BaseModel):
    """One row of the certification KPI table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    target: float | int
    actual: float | int


class Opinion(BaseModel):
    """What the local authority wrote in the recommendation box (nothing when ``text`` is None)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str | None
    favourable: bool | None
    date: dt.date | None
    authority: str | None = Field(description="whose seal is stamped on the opinion")


class Applicant(BaseModel):
    """The truth of one synthetic submission."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    record_id: str
    annex: Annex
    values: dict[str, FieldValue] = Field(description="normalised values, as a reader should give")
    printed: dict[str, str] = Field(description="each value as printed on the paper")
    kpis: tuple[Kpi, ...] = ()
    narratives: dict[str, str] = Field(description="section id → prose; absent when missing")
    self_eval_claims_met: bool | None = None
    opinion: Opinion
    seal_owners: dict[str, str | None] = Field(
        description="seal slot → the text of the seal stamped there (None: no seal)"
    )
    signature: str = Field(description="the legal representative's handwritten signature")
    hand_ticked: bool = Field(description="ticks drawn by pen on paper instead of printed")
    online_values: dict[str, FieldValue] = Field(
        default_factory=dict, description="what the online filing says, normalised"
    )
    faults: tuple[str, ...] = ()
    submitted_at: dt.datetime | None = Field(None, description="online filing time")
    online: bool = Field(True, description="whether the online export has a row for it")
    paper: bool = Field(True, description="whether the paper reached the office")


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def person_name(rng: np.random.Generator) -> str:
    b = banks()
    return pick(rng, b.surnames) + pick(rng, b.given_names)


def make_uscc(rng: np.random.Generator, division: str, *, kind: str = "91") -> str:
    """A USCC with valid organisation-code and GB 32100 check characters."""
    body = "".join(str(int(d)) for d in rng.integers(0, 10, size=8))
    org = body + org_code_check_char(body)
    if org[-1] not in USCC_ALPHABET:  # the organisation check may be X, outside the USCC set
        return make_uscc(rng, division, kind=kind)
    first17 = kind + division + org
    return first17 + uscc_check_char(first17)


def money(rng: np.random.Generator, low: float, high: float, *, round_to: float = 0.01) -> float:
    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return round(round(value / round_to) * round_to, 2)


def date_between(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def print_date(date: dt.date, style: str) -> str:
    """A date as applicants write it: 2022年7月5日, 2022-07-05, 2022.7.5 or 二〇二二年七月五日."""
    if style == "iso":
        return date.isoformat()
    if style == "dots":
        return f"{date.year}.{date.month}.{date.day}"
    if style == "cn_numerals":
        year = "".join(CN_DIGITS[int(d)] for d in str(date.year))
        return f"{year}年{cn_number(date.month)}月{cn_number(date.day)}日"
    return f"{date.year}年{date.month}月{date.day}日"


def cn_number(n: int) -> str:
    """1–31 in Chinese numerals as dates write them (十一, 二十, 三十一)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "") or CN_DIGITS[0]


def print_money(value: float, rng: np.random.Generator) -> str:
    """万元 amounts: two decimals as the form asks, sometimes with thousands separators."""
    return f"{value:,.2f}" if rng.random() < 0.35 else f"{value:.2f}"


def _org_name(rng: np.random.Generator, city: str, domain: str, *, institute: bool) -> str:
    b = banks()
    place = "贵州" if rng.random() < 0.5 else city.removesuffix("市").removesuffix("州")
    industry = pick(rng, b.domain_words[domain]["industry"])
    suffix = pick(rng, b.institute_suffixes if institute else b.org_suffixes)
    return f"{place}{pick(rng, b.brands)}{industry}{suffix}"


def _members(rng: np.random.Generator, lead_org: str, city: str, domain: str) -> list[Member]:
    b = banks()
    members: list[Member] = []
    names = {lead_org}
    divisions = list(b.division_codes.items())
    wanted = int(rng.integers(3, 7))
    while len(members) < wanted:
        roll = rng.random()
        member_city, division = pick(rng, divisions)
        if roll < 0.5:
            name, kind, code = _org_name(rng, member_city, domain, institute=False), "企业", "91"
        elif roll < 0.75:
            name, kind, code = pick(rng, b.universities), "高校", "12"
        else:
            name, kind, code = pick(rng, b.institutes), "科研院所", "12"
        if name in names:
            continue
        names.add(name)
        members.append(Member(name=name, type=kind, uscc=make_uscc(rng, division, kind=code)))
    return members


def _email(rng: np.random.Generator, contact_pinyin: str) -> str:
    b = banks()
    number = int(rng.integers(1, 999))
    return f"{contact_pinyin}{number}@{pick(rng, b.email_domains)}"


def _mobile(rng: np.random.Generator) -> str:
    return pick(rng, banks().mobile_prefixes) + "".join(
        str(int(d)) for d in rng.integers(0, 10, size=8)
    )


def _narratives(
    rng: np.random.Generator, template: TemplateSpec, context: dict[str, str]
) -> dict[str, str]:
    b = banks()
    texts: dict[str, str] = {}
    for section in template.sections:
        bank = b.narratives.get(section.id)
        if section.kind.value != "narrative" or bank is None:
            continue
        count = min(len(bank), int(rng.integers(2, len(bank) + 1)))
        order = rng.permutation(len(bank))[:count]
        texts[section.id] = "".join(bank[int(i)].format(**context) for i in sorted(order))
    return texts


def make_applicant(
    index: int,
    annex: Annex,
    template: TemplateSpec,
    campaign: Campaign,
    online_keys: frozenset[str],
    rng: np.random.Generator,
    *,
    affiliation: str | None = None,
) -> Applicant:
    """A clean, self-consistent applicant: every check it meets passes.

    ``online_keys`` are the field keys the online export carries (from its column mapping).
    """
    b = banks()
    locality = pick(rng, campaign.localities)
    city = locality.city
    domain = pick(rng, campaign.domains)
    words = b.domain_words[domain]
    topic = pick(rng, words["topic"])
    center_type = pick(rng, campaign.center_types).name
    institute = center_type == "院所型"
    lead_org = _org_name(rng, city, domain, institute=institute)
    affiliation = affiliation or ("其他" if rng.random() < 0.6 else "市（州）属企业")
    org_nature = (
        "科研院所" if institute else pick(rng, ["国有企业", "民营企业", "民营企业", "外资企业"])
    )
    if affiliation in campaign.exempt_affiliations:
        org_nature = "国有企业"
    division = b.division_codes[city]
    uscc = make_uscc(rng, division)
    address = (
        f"贵州省{locality.aliases[0] if locality.aliases and city.endswith('州') else city}"
        f"{pick(rng, b.districts[city])}{pick(rng, b.roads)}{int(rng.integers(1, 300))}号"
    )
    revenue = money(rng, 3000, 250000)
    rd_spend = round(revenue * float(rng.uniform(0.03, 0.12)), 2)
    rd_ratio = round(rd_spend / revenue * 100, 2)
    rd_staff = int(rng.integers(30, 800))
    senior_staff = int(rd_staff * float(rng.uniform(0.05, 0.4)))
    total_invest = money(rng, 3000, 60000, round_to=1)
    self_funds = round(total_invest * float(rng.uniform(0.4, 0.85)), 2)
    platform_count = int(rng.integers(0, 4))
    platforms = [b.platforms[int(i)] for i in rng.permutation(len(b.platforms))[:platform_count]]
    contact = person_name(rng)
    legal_rep = person_name(rng)
    exempt = affiliation in campaign.exempt_affiliations

    if annex is Annex.PILOT:
        apply_date = date_between(rng, dt.date(2022, 7, 4), dt.date(2022, 7, 22))
    else:
        apply_date = date_between(rng, dt.date(2022, 6, 6), dt.date(2022, 6, 20))
    recommend_date = apply_date + dt.timedelta(days=int(rng.integers(2, 8)))
    founded = date_between(rng, dt.date(1992, 1, 1), dt.date(2018, 12, 31))

    values: dict[str, FieldValue] = {
        "center_name": f"贵州省{topic}制造业创新中心",
        "lead_org": lead_org,
        "domain": domain,
        "recommender": None if exempt else locality.authority,
        "apply_date": apply_date.isoformat(),
        "uscc": uscc,
        "org_nature": org_nature,
        "affiliation": affiliation,
        "address": address,
        "city": city,
        "legal_rep": legal_rep,
        "founded": founded.isoformat(),
        "reg_capital": money(rng, 500, 50000, round_to=100),
        "revenue": revenue,
        "rd_spend": rd_spend,
        "rd_ratio": rd_ratio,
        "rd_staff": rd_staff,
        "senior_staff": senior_staff,
        "platforms": platforms,
        "total_invest": total_invest,
        "self_funds": self_funds,
        "contact": contact,
        "mobile": _mobile(rng),
        "email": _email(rng, pick(rng, b.pinyin)),
        "commit_date": apply_date.isoformat(),
        "recommend_date": None if exempt else recommend_date.isoformat(),
    }
    kpis: tuple[Kpi, ...] = ()
    if annex is Annex.PILOT:
        values["center_type"] = center_type
        values["setup_mode"] = pick(rng, campaign.setup_modes).name
        values["members"] = list(_members(rng, lead_org, city, domain))
    else:
        approval = date_between(rng, dt.date(2019, 12, 1), dt.date(2020, 6, 30))
        values["pilot_approval_date"] = approval.isoformat()
        values["pilot_approval_no"] = f"黔工信科技〔{approval.year}〕{int(rng.integers(3, 60))}号"
        end = dt.date(approval.year + 2, 6, 1)
        values["pilot_period"] = f"{approval.year}-{approval.month:02d}/{end.year}-{end.month:02d}"
        kpis = _kpis(rng, template)
        for kpi in kpis:
            values[f"{kpi.key}_target"] = kpi.target
            values[f"{kpi.key}_actual"] = kpi.actual

    printed = _printed(values, rng)
    context = {
        "domain": domain,
        "org": lead_org,
        "topic": topic,
        "tech": pick(rng, b.technologies),
        "total_invest": printed["total_invest"],
        "self_funds": printed["self_funds"],
    }
    narratives = _narratives(rng, template, context)
    if annex is Annex.CERTIFICATION:
        narratives["self_eval"] = "".join(b.narratives["self_eval_met"])

    opinion = (
        Opinion(text=None, favourable=None, date=None, authority=None)
        if exempt
        else Opinion(
            text=pick(rng, b.opinions_favourable),
            favourable=True,
            date=recommend_date,
            authority=locality.authority,
        )
    )
    seal_owners: dict[str, str | None] = {}
    for slot in template.seal_slots:
        if slot.owner == "lead_org":
            seal_owners[slot.id] = lead_org
        else:
            seal_owners[slot.id] = None if exempt else locality.authority
    online_time = dt.datetime.combine(
        date_between(rng, apply_date - dt.timedelta(days=3), dt.date(2022, 7, 28)),
        dt.time(int(rng.integers(8, 22)), int(rng.integers(0, 60)), int(rng.integers(0, 60))),
        tzinfo=dt.timezone(dt.timedelta(hours=8)),
    )
    prefix = "P" if annex is Annex.PILOT else "C"
    online_values = {key: value for key, value in values.items() if key in online_keys}
    if "members" in online_keys:
        online_values["members"] = [m.name for m in values.get("members") or []]  # type: ignore[union-attr]
    return Applicant(
        id=f"{prefix}{index:03d}",
        record_id=f"GZ2022-{index * 7 + 101:04d}",
        annex=annex,
        values=values,
        printed=printed,
        kpis=kpis,
        narratives=narratives,
        self_eval_claims_met=True if annex is Annex.CERTIFICATION else None,
        opinion=opinion,
        seal_owners=seal_owners,
        signature=legal_rep,
        hand_ticked=bool(rng.random() < 0.5),
        submitted_at=online_time,
        online_values=online_values,
    )


def _kpis(rng: np.random.Generator, template: TemplateSpec) -> tuple[Kpi, ...]:
    ranges = {
        "kpi_rd_spend": (2000, 20000),
        "kpi_key_tech": (3, 12),
        "kpi_patents": (10, 60),
        "kpi_standards": (1, 8),
        "kpi_incubated": (1, 10),
        "kpi_talent": (10, 120),
        "kpi_served": (30, 400),
    }
    kpis = []
    for row in template.table("kpis").rows:
        low, high = ranges[row.key]
        if row.type.value == "money_wan":
            target: float | int = money(rng, low, high, round_to=10)
            actual: float | int = round(float(target) * float(rng.uniform(1.0, 1.4)), 2)
        else:
            target = int(rng.integers(low, high + 1))
            actual = target + int(rng.integers(0, max(2, target // 2)))
        kpis.append(Kpi(key=row.key, target=target, actual=actual))
    return tuple(kpis)


def _printed(values: dict[str, FieldValue], rng: np.random.Generator) -> dict[str, str]:
    """How an applicant prints each value on the form."""
    date_style = pick(rng, ["cn", "cn", "cn", "iso", "dots"])
    printed: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            printed[key] = ""
        elif key in {"apply_date", "commit_date", "recommend_date"}:
            printed[key] = print_date(dt.date.fromisoformat(str(value)), "cn")
        elif key in {"founded", "pilot_approval_date"}:
            printed[key] = print_date(dt.date.fromisoformat(str(value)), date_style)
        elif key == "pilot_period":
            start, end = str(value).split("/")
            printed[key] = f"{int(start[:4])}年{int(start[5:])}月—{int(end[:4])}年{int(end[5:])}月"
        elif key in {
            "reg_capital",
            "revenue",
            "rd_spend",
            "total_invest",
            "self_funds",
            "kpi_rd_spend_target",
            "kpi_rd_spend_actual",
        }:
            printed[key] = print_money(float(value), rng)  # type: ignore[arg-type]
        elif key == "rd_ratio":
            printed[key] = f"{value:.2f}" if rng.random() < 0.6 else f"{value:.2f}%"
        elif key == "platforms":
            printed[key] = pick(rng, ["；", "、"]).join(value)  # type: ignore[arg-type]
        elif key == "members":
            printed[key] = ""  # a table of its own
        else:
            printed[key] = str(value)
    return printed
