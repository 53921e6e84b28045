"""``bench findings``' mutations: the raw variants each plants, what each skips, and that
what they draw repeats from the seed."""

from __future__ import annotations

import pytest
from shenbao_lab.bench.mutations import (
    MUTATIONS,
    SKIP,
    MutableField,
    mutable_fields,
    mutation_rng,
    online_form,
)

from pipeline.config import Choice, FieldType
from pipeline.model import Annex, FieldValue, Member
from tests.readers import TEMPLATES
from tests.rulebook import RULES

CAMPAIGN = RULES.campaign
MAPPING = RULES.export_columns
BY_NAME = {m.name: m for m in MUTATIONS}

MONEY = MutableField(key="revenue", type="money_wan")
PERCENT = MutableField(key="rd_ratio", type="percent")
INTEGER = MutableField(key="rd_staff", type="integer")
MOBILE = MutableField(key="mobile", type="mobile")
PERSON = MutableField(key="legal_rep", type="person_name")
EMAIL = MutableField(key="email", type="email")
DATE = MutableField(key="founded", type="date")
MEMBERS = MutableField(key="members", type="member_list")
TEXT = MutableField(key="address", type="text")
CENTER_TYPE = MutableField(
    key="center_type", type="choice", choices=CAMPAIGN.choices("center_types")
)
CITY = MutableField(key="city", type="choice", choices=CAMPAIGN.choices("localities"), city=True)
NAMES = ["贵州大学", "贵州财经大学", "贵州省化工研究院"]


def _made(name: str, value: FieldValue, field: MutableField, seed: int = 7) -> object:
    return BY_NAME[name].make(value, field, mutation_rng(seed, "P001", field.key, name))


def _one_digit_apart(before: str, after: str) -> bool:
    return (
        len(before) == len(after) and sum(a != b for a, b in zip(before, after, strict=True)) == 1
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [(7492.54, MONEY), (800, MONEY), (11.33, PERCENT), (148, INTEGER), (7, INTEGER)],
)
def test_a_changed_digit_is_one_digit_of_the_same_type(value: float, field: MutableField) -> None:
    for seed in range(20):
        changed = _made("digit", value, field, seed)
        assert type(changed) is type(value) and changed != value
        assert _one_digit_apart(str(value), str(changed)) or (
            # a float's last decimal changed to 0 is printed shorter: 848.71 → 848.7
            isinstance(value, float) and str(value).startswith(str(changed))
        )
        assert not str(changed).startswith("0") or len(str(value).split(".")[0]) == 1


def test_a_mobile_keeps_its_prefix_when_a_digit_changes() -> None:
    for seed in range(20):
        changed = _made("digit", "19852432091", MOBILE, seed)
        assert isinstance(changed, str) and changed[:3] == "198"
        assert _one_digit_apart("19852432091", changed)


def test_planted_discrepancies_differ_in_meaning() -> None:
    assert _made("unit_slip", 7492.54, MONEY) == pytest.approx(74925400.0)
    assert _made("unit_slip", 800, MONEY) == 8_000_000
    assert _made("unit_slip", 148, INTEGER) is SKIP  # counts have no 元 and 万元
    other = _made("person", "余晓燕", PERSON)
    assert isinstance(other, str) and other != "余晓燕" and len(other) >= 2
    assert _made("choice", "院所型", CENTER_TYPE) == "企业型"
    assert _made("choice", "贵阳市", CITY) is SKIP  # a city is the city mutation's
    city = _made("city", "黔南州", CITY)
    assert city in {c.name for c in CITY.choices} and city != "黔南州"
    added = _made("member_added", NAMES, MEMBERS)
    assert isinstance(added, list) and added[:3] == NAMES and len(added) == 4
    assert added[3] not in NAMES
    dropped = _made("member_dropped", NAMES, MEMBERS)
    assert isinstance(dropped, list) and len(dropped) == 2 and set(dropped) < set(NAMES)
    assert _made("member_dropped", [], MEMBERS) is SKIP
    assert _made("emptied", NAMES, MEMBERS) == []
    assert _made("emptied", "贵州省贵阳市白云区林城西路201号", TEXT) is None
    assert _made("emptied", None, TEXT) is SKIP


def test_format_only_variants_are_the_raw_forms_of_the_same_value() -> None:
    assert _made("thousands", 17372, MONEY) == "17,372"
    assert _made("thousands", 7492.54, MONEY) == "7,492.54"
    assert _made("thousands", 800, MONEY) is SKIP  # nothing to separate
    assert _made("trailing_zeros", 123.5, MONEY) == "123.50"
    assert _made("trailing_zeros", 800, MONEY) == "800.00"
    assert _made("trailing_zeros", 11.33, PERCENT) == "11.330"
    assert _made("trailing_zeros", 148, INTEGER) is SKIP
    assert _made("full_width", 7492.54, MONEY) == "７４９２．５４"
    assert _made("full_width", 148, INTEGER) == "１４８"
    assert _made("full_width", "19852432091", MOBILE) == "１９８５２４３２０９１"
    spaced = _made("name_spaces", "余晓燕", PERSON)
    assert spaced in ("余 晓燕", "余晓 燕")
    assert _made("name_spaces", "韩涛", PERSON) == "韩 涛"
    assert _made("email_upper", "liu662@126.com", EMAIL) == "LIU662@126.COM"
    assert _made("date_chinese", "2022-07-05", DATE) == "2022年7月5日"
    assert _made("date_dots", "2022-07-05", DATE) == "2022.7.5"
    assert _made("date_slashes", "2022-07-05", DATE) == "2022/07/05"
    assert _made("date_dots", "不详", DATE) is SKIP
    shuffled = _made("members_shuffled", NAMES, MEMBERS)
    assert isinstance(shuffled, list) and shuffled != NAMES and sorted(shuffled) == sorted(NAMES)
    assert _made("members_shuffled", NAMES[:1], MEMBERS) is SKIP
    assert _made("choice_alias", "院所型", CENTER_TYPE) == "院所型创新中心"
    assert _made("choice_alias", "未知型", CENTER_TYPE) is SKIP
    assert _made("city_alias", "黔南州", CITY) == "黔南布依族苗族自治州"
    assert _made("city_alias", "贵阳市", CITY) == "贵阳"


def test_every_mutation_skips_what_it_does_not_apply_to() -> None:
    for mutation in MUTATIONS:
        if mutation.name != "emptied":
            assert mutation.make("贵州省贵阳市", TEXT, mutation_rng(7, "P001", "x", "y")) is SKIP


def test_mutations_are_drawn_from_the_seed_applicant_field_and_mutation() -> None:
    def draws(seed: int, applicant: str = "P001") -> list[object]:
        return [
            BY_NAME[name].make(value, field, mutation_rng(seed, applicant, field.key, name))
            for name, value, field in (
                ("digit", 7492.54, MONEY),
                ("person", "余晓燕", PERSON),
                ("city", "贵阳市", CITY),
                ("member_added", NAMES, MEMBERS),
                ("members_shuffled", NAMES * 2, MEMBERS),
            )
        ]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8) or draws(7) != draws(9)
    assert draws(7, "P001") != draws(7, "P002") or draws(7, "P001") != draws(7, "C003")


def test_the_mutable_fields_are_the_exports_values_but_the_match_keys() -> None:
    fields = mutable_fields(MAPPING, TEMPLATES[Annex.PILOT], CAMPAIGN)
    assert not {"uscc", "lead_org", "center_name", "record_id", "annex", "submitted_at"} & set(
        fields
    )
    assert fields["members"].type == "member_list"
    assert fields["revenue"].type == FieldType.MONEY_WAN
    assert fields["city"].city and not fields["center_type"].city
    assert Choice(name="院所型", aliases=("院所型创新中心",)) in fields["center_type"].choices
    assert online_form([Member(name="贵州大学", type="高校", uscc="1" * 18)]) == ["贵州大学"]
