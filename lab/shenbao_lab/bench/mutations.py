"""The mutations ``bench findings`` plants in a filing: each changes one field's value, in
meaning (*planted*: checking must raise FIELD_MISMATCH on it) or in form only (the export
writing the same value otherwise: checking must raise nothing).

What a mutation draws (which digit, which person) comes from the bench's seed with the
applicant, field and mutation (``mutation_rng``), so a run repeats exactly and every kind
of source gets the same plantings.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from pipeline.config import Campaign, Choice, ExportMapping, FieldType, TemplateSpec
from pipeline.model import FieldValue, Frozen, Member
from shenbao_lab.generator.applicant import banks, person_name, pick

MATCH_KEYS = frozenset({"uscc", "lead_org", "center_name"})
"""What a paper is matched to its filing by: never mutated (the copy might not match)."""
_NOT_VALUES = frozenset({"record_id", "annex", "datetime"})


class MutableField(Frozen):
    """A field of the export a mutation may change, with what the mutations need of it."""

    key: str
    type: str = Field(description="the export column's type: a FieldType or member_list")
    choices: tuple[Choice, ...] = Field((), description="the template's options, if a choice")
    city: bool = Field(False, description="a choice of localities (所在市（州）)")


class Skip:
    """A mutation that does not apply to this field or value."""


SKIP = Skip()
Planting = FieldValue | Skip
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


_date_chinese = _date_style(lambda d: f"{d.year}年{d.month}月{d.day}日")
_date_dots = _date_style(lambda d: f"{d.year}.{d.month}.{d.day}")
_date_slashes = _date_style(lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}")


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
    """One way to change a filing's field: in meaning (``planted``) or in form only."""

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
    Mutation("date_chinese", False, "a date as 2022年7月5日", _date_chinese),
    Mutation("date_dots", False, "a date as 2022.7.5", _date_dots),
    Mutation("date_slashes", False, "a date as 2022/07/05", _date_slashes),
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
