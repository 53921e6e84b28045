"""Who the applicant is, as far as the seals and the recommendation care (FORMS.md §1–§2).

Its lead organisation, its locality (所在市（州）, else the 市（州） of its registered address)
and so its recommending authority, and whether it is exempt from the local
recommendation (省属企业 / 中央在黔企业). Each is None when the reading it rests on is
missing or unsure: a validator must not decide on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Campaign, Locality
from pipeline.model import Member, Submission
from validators.registry import Context


@dataclass(frozen=True)
class Applicant:
    lead_org: str | None
    locality: Locality | None
    exempt: bool | None
    members: tuple[str, ...]

    @property
    def authority_names(self) -> tuple[str, ...]:
        """Every printing of the expected authority's name; () when the locality is unknown."""
        if self.locality is None:
            return ()
        return (self.locality.authority, *self.locality.authority_aliases)


def authority_names(campaign: Campaign, but: Locality | None = None) -> tuple[str, ...]:
    """Every authority name of the campaign (aliases too), except ``but``'s."""
    return tuple(
        name
        for loc in campaign.localities
        if but is None or loc.city != but.city
        for name in (loc.authority, *loc.authority_aliases)
    )


def locality_in(text: str, campaign: Campaign, context: Context) -> Locality | None:
    """The locality a text (a city cell or an address) names: the longest name found, the
    earliest on a tie, so 黔西南布依族苗族自治州 is not read as something shorter."""
    normalised = context.normalize_org(text)
    best: tuple[int, int, Locality] | None = None
    for loc in campaign.localities:
        for name in (loc.city, *loc.aliases):
            at = normalised.find(context.normalize_org(name))
            if at >= 0:
                key = (-len(name), at)
                if best is None or key < best[:2]:
                    best = (*key, loc)
    return best[2] if best else None


def applicant_of(submission: Submission, context: Context) -> Applicant:
    """The applicant as read off its submission, unsure readings left out."""
    campaign = context.campaign
    lead = context.sure(submission, "lead_org")
    lead_org = lead.value if lead is not None and isinstance(lead.value, str) else None

    locality: Locality | None = None
    city = context.sure(submission, "city")
    if city is not None and isinstance(city.value, str) and city.value:
        locality = campaign.locality(city.value) or locality_in(city.value, campaign, context)
    if locality is None:
        address = context.sure(submission, "address")
        if address is not None and isinstance(address.value, str):
            locality = locality_in(address.value, campaign, context)

    exempt: bool | None = None
    affiliation = context.sure(submission, "affiliation")
    if affiliation is not None and isinstance(affiliation.value, str) and affiliation.value:
        read = context.normalize_org(affiliation.value)
        exempt = any(read == context.normalize_org(a) for a in campaign.exempt_affiliations)

    members: tuple[str, ...] = ()
    found = submission.fields.get("members")
    if found is not None and isinstance(found.value, list):
        members = tuple(m.name for m in found.value if isinstance(m, Member) and m.name)
    return Applicant(lead_org=lead_org, locality=locality, exempt=exempt, members=members)
