"""Value normalisers: format-only differences (FORMS.md §6) are folded away, meaning is kept.

Every function is pure. A text that cannot be read as its type gives ``None`` — never a
guess — so the comparer can report it as "needs review". The data the rules need (folding
tables, dashes, numerals, patterns) lives in ``rules/normalize.yaml``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.codes import uscc_is_valid as is_valid_uscc
from pipeline.config import Choice, FieldType, load_yaml
from pipeline.rulebook.normalize import (
    NormalizeRules,
)
from rules import RULES_DIR

__all__ = [
    "DEFAULT_RULES_PATH",
    "NormalizeRules",
    "Value",
    "is_valid_email",
    "is_valid_mobile",
    "is_valid_uscc",
    "load_rules",
    "normalize_doc_number",
    "normalize_email",
    "normalize_mobile",
    "normalize_org_name",
    "normalize_person_name",
    "normalize_text",
    "normalize_uscc",
    "normalize_value",
    "parse_cn_integer",
    "parse_date",
    "parse_integer",
    "parse_money_wan",
    "parse_month",
    "parse_percent",
    "parse_period",
    "rules",
    "split_name_list",
]

DEFAULT_RULES_PATH = RULES_DIR / "normalize.yaml"

Value = str | float | int | list[str]


def load_rules(path: Path = DEFAULT_RULES_PATH) -> NormalizeRules:
    """Load and check a rules file; a malformed one raises ``ConfigError`` naming the key."""
    return load_yaml(path, NormalizeRules)


@functools.cache
def rules() -> NormalizeRules:
    """The packaged rules, loaded once."""
    return load_rules()


@functools.cache
def _fold_table() -> dict[int, str]:
    return str.maketrans(rules().fold)


@functools.cache
def _dot_table() -> dict[int, str]:
    dots = rules().middle_dots
    return str.maketrans({d: dots[0] for d in dots[1:]})


# --- text and names --------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def normalize_text(s: str) -> str:
    """NFKC, full-width folded, 【】〔〕 → (), every whitespace removed."""
    for _ in range(4):  # removing a space can let NFKC compose anew (A + ´): run to a fixpoint
        out = _SPACE.sub("", unicodedata.normalize("NFKC", s).translate(_fold_table()))
        if out == s:
            break
        s = out
    return s


def normalize_org_name(s: str, equivalents: tuple[tuple[str, str], ...] = ()) -> str:
    """``normalize_text`` plus the office's suffix equivalences (the shorter suffix wins)."""
    name = normalize_text(s)
    for a, b in equivalents:
        long, short = sorted((normalize_text(a), normalize_text(b)), key=lambda x: (-len(x), x))
        if long and long != short and name.endswith(long):
            name = name[: -len(long)] + short
    return name


def normalize_person_name(s: str) -> str:
    """``normalize_text`` with middle-dot variants (・•‧) folded to ·, kept in the name."""
    return normalize_text(s).translate(_dot_table())


def normalize_doc_number(s: str) -> str:
    """A document number (黔科通〔2022〕12号): ``normalize_text`` with [] folded to () too."""
    return normalize_text(s).replace("[", "(").replace("]", ")")


def split_name_list(
    s: str,
    separators: tuple[str, ...] | None = None,
    *,
    equivalents: tuple[tuple[str, str], ...] = (),
) -> list[str]:
    """Split a list of names on any separator; items normalised, empty ones dropped."""
    seps = rules().list_separators if separators is None else separators
    if not seps:
        items = [s]
    else:
        items = re.split("|".join(re.escape(x) for x in sorted(seps, key=len, reverse=True)), s)
    out = [normalize_org_name(item, equivalents) for item in items]
    return [item for item in out if item]


# --- Chinese numerals ------------------------------------------------------------------


def parse_cn_integer(s: str) -> int | None:
    """一百二十三 → 123, 二〇二二 → 2022 (digit by digit when no unit), 壹拾万 → 100000."""
    num = rules().numerals
    known = num.digits.keys() | num.units.keys() | num.big_units.keys()
    if not s or any(c not in known for c in s):
        return None
    if not any(c in num.units or c in num.big_units for c in s):
        return int("".join(str(num.digits[c]) for c in s))
    total = section = 0
    number: int | None = None
    for c in s:
        if c in num.digits:
            if number not in (None, 0) and num.digits[c] != 0:
                return None  # two digits in a row amid units: 一二十
            number = num.digits[c]
        elif c in num.units:
            section += (number or 1) * num.units[c]
            number = None
        else:
            big = num.big_units[c]
            part = section + (number or 0)
            if big >= 10**8:
                total = (total + part) * big
            else:
                total += part * big
            section, number = 0, None
    return total + section + (number or 0)


@functools.cache
def _numeral_run() -> re.Pattern[str]:
    num = rules().numerals
    chars = "".join(num.digits) + "".join(num.units)
    return re.compile(f"[{re.escape(chars)}]+")


def _arabic(s: str) -> str | None:
    """Replace every run of Chinese numerals by its Arabic value (None if one is malformed)."""
    bad = False

    def sub(m: re.Match[str]) -> str:
        nonlocal bad
        value = parse_cn_integer(m.group())
        if value is None:
            bad = True
            return m.group()
        # 二〇二二 / 〇七 keep their digit count; 十三 is a number
        return (
            "".join(str(rules().numerals.digits[c]) for c in m.group())
            if all(c in rules().numerals.digits for c in m.group())
            else str(value)
        )

    out = _numeral_run().sub(sub, s)
    return None if bad else out


# --- dates -----------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})(?:月|[-./])(\d{1,2})[日号]?$", re.ASCII)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})月?$", re.ASCII)


def _date_text(s: str) -> str | None:
    text = normalize_text(s)
    return _arabic(text) if text else None


def parse_date(s: str) -> str | None:
    """A date in any of the forms' styles → ``YYYY-MM-DD``; an impossible date → None."""
    text = _date_text(s)
    if text is None:
        return None
    m = _DATE.match(text) or _DATE_COMPACT.match(text)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def parse_month(s: str) -> str | None:
    """2020年1月 / 2020-01 / 2020.1 → ``YYYY-MM``."""
    text = _date_text(s)
    if text is None:
        return None
    m = _MONTH.match(text)
    if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1:
        return None
    return f"{int(m[1]):04d}-{int(m[2]):02d}"


def _period_end(s: str) -> str | None:
    return parse_month(s) or parse_date(s)


def parse_period(s: str) -> str | None:
    """2020年1月—2022年6月 → ``2020-01/2022-06`` (each end a month, or a full date)."""
    text = normalize_text(s)
    dashes = sorted(set(rules().dashes) | {"/"}, key=len, reverse=True)
    for m in re.finditer("(?:" + "|".join(re.escape(d) for d in dashes) + ")+", text):
        start, end = _period_end(text[: m.start()]), _period_end(text[m.end() :])
        if start and end:
            return f"{start}/{end}"
    return None


# --- numbers ---------------------------------------------------------------------------

_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$", re.ASCII)
_SIGNED = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$", re.ASCII)


def _decimal(text: str, pattern: re.Pattern[str] = _NUMBER) -> Decimal | None:
    if not pattern.match(text):
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _strip_affixes(text: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...]) -> str:
    for p in sorted(prefixes, key=len, reverse=True):
        if text.startswith(p):
            text = text[len(p) :]
            break
    for x in sorted(suffixes, key=len, reverse=True):
        if text.endswith(x):
            return text[: -len(x)]
    return text


def _parse_daxie_yuan(text: str) -> Decimal | None:
    """壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分 → 1234567.89 (元)."""
    money = rules().money
    for w in money.whole:
        text = text.removesuffix(w)
    yuan, jiao, fen = "|".join(money.yuan), "|".join(money.jiao), "|".join(money.fen)
    m = re.fullmatch(
        rf"(?:(?P<y>.+?)(?:{yuan}))?[零〇]?(?:(?P<j>.)(?:{jiao}))?[零〇]?(?:(?P<f>.)(?:{fen}))?",
        text,
    )
    if m is None or not text:
        return None
    if not (m["y"] or m["j"] or m["f"]):
        value = parse_cn_integer(text)  # no 元 written: the whole text is the 元 amount
        return None if value is None else Decimal(value)
    digits = rules().numerals.digits
    y = parse_cn_integer(m["y"]) if m["y"] else 0
    if y is None or any(g is not None and g not in digits for g in (m["j"], m["f"])):
        return None
    j = digits[m["j"]] if m["j"] else 0
    f = digits[m["f"]] if m["f"] else 0
    return Decimal(y) + Decimal(j) / 10 + Decimal(f) / 100


def parse_money_wan(s: str, *, label_unit: str = "万元") -> float | None:
    """An amount → 万元: separators, trailing zeros, full width, 元 and 大写 all folded.

    The unit the text itself writes (万元, 元) wins over the label's; a 大写 amount is in
    元. A negative or unreadable amount gives None.
    """
    if label_unit not in ("万元", "元"):
        raise ValueError(f"label_unit must be 万元 or 元, not {label_unit!r}")
    money = rules().money
    text = normalize_text(s)
    if not text:
        return None
    unit = label_unit
    stripped = _strip_affixes(text, money.prefixes, ())
    if any(c in rules().numerals.daxie for c in stripped):
        value = _parse_daxie_yuan(stripped)
        unit = "元"
    else:
        for suffix, u in sorted(
            [(x, "万元") for x in money.wan_suffixes] + [(x, "元") for x in money.yuan_suffixes],
            key=lambda p: len(p[0]),
            reverse=True,
        ):
            if stripped.endswith(suffix):
                stripped, unit = stripped[: -len(suffix)], u
                break
        value = _decimal(stripped)
        if value is None:
            cn = parse_cn_integer(stripped)
            value = None if cn is None else Decimal(cn)
    if value is None:
        return None
    if unit == "元":
        value /= 10000
    return round(float(value), 6)


def parse_percent(s: str) -> float | None:
    """5.23 / 5.23% / ５.２３％ → 5.23; 0.0523 stays 0.0523 (no guessing of the scale)."""
    text = normalize_text(s).removesuffix("%")
    value = _decimal(text, _SIGNED)
    return None if value is None else round(float(value), 6)


def parse_integer(s: str, *, unit: str | None = None) -> int | None:
    """1,234 / １２３ / 123人 / 一百二十三 → an int; fractions and negatives give None."""
    text = normalize_text(s)
    units = rules().integer_units + ((normalize_text(unit),) if unit else ())
    text = _strip_affixes(text, (), units)
    if not text:
        return None
    value = _decimal(text)
    if value is not None:
        return int(value) if value == value.to_integral_value() else None
    return parse_cn_integer(text)


# --- contacts and codes ----------------------------------------------------------------


@functools.cache
def _mobile_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    m = rules().mobile
    return re.compile(m.prefix, re.ASCII), re.compile(m.pattern, re.ASCII)


def normalize_mobile(s: str) -> str | None:
    """A mainland mobile number as 11 digits (spaces, dashes, +86 removed); invalid → None."""
    prefix, pattern = _mobile_patterns()
    text = normalize_text(s).translate(str.maketrans("", "", rules().mobile.strip))
    text = prefix.sub("", text)
    return text if pattern.match(text) else None


def is_valid_mobile(s: str) -> bool:
    """Whether ``s`` reads as a mainland mobile number."""
    return normalize_mobile(s) is not None


def normalize_email(s: str) -> str | None:
    """NFKC (＠ → @), lower case, spaces removed; empty → None. Check with ``is_valid_email``."""
    text = normalize_text(s)
    for _ in range(4):
        out = normalize_text(text.lower())
        if out == text:
            break
        text = out
    return text or None


@functools.cache
def _email_pattern() -> re.Pattern[str]:
    return re.compile(rules().email.pattern, re.ASCII)


def is_valid_email(s: str) -> bool:
    """Whether ``s`` normalises to a plausible e-mail address."""
    text = normalize_email(s)
    return text is not None and bool(_email_pattern().match(text))


def normalize_uscc(s: str) -> str:
    """NFKC, upper case, spaces removed. No OCR-confusion guessing: check with ``is_valid_uscc``."""
    text = normalize_text(s)
    for _ in range(4):
        out = normalize_text(text.upper())
        if out == text:
            break
        text = out
    return text


# --- dispatch --------------------------------------------------------------------------


def _choice(raw: str, choices: tuple[Choice, ...]) -> str | None:
    text = normalize_text(raw)
    for choice in choices:
        if any(text == normalize_text(n) for n in (choice.name, *choice.aliases)):
            return choice.name
    return None


def normalize_value(
    field_type: FieldType,
    raw: str,
    *,
    choices: tuple[Choice, ...] = (),
    equivalents: tuple[tuple[str, str], ...] = (),
    label_unit: str = "万元",
) -> Value | None:
    """Normalise one raw reading by its field type; empty or unreadable → None."""
    if not normalize_text(raw):
        return None
    match field_type:
        case FieldType.TEXT:
            return normalize_text(raw)
        case FieldType.ORG_NAME:
            return normalize_org_name(raw, equivalents)
        case FieldType.PERSON_NAME:
            return normalize_person_name(raw)
        case FieldType.USCC:
            return normalize_uscc(raw)
        case FieldType.CHOICE:
            return _choice(raw, choices)
        case FieldType.DATE:
            return parse_date(raw)
        case FieldType.MONEY_WAN:
            return parse_money_wan(raw, label_unit=label_unit)
        case FieldType.PERCENT:
            return parse_percent(raw)
        case FieldType.INTEGER:
            return parse_integer(raw)
        case FieldType.MOBILE:
            return normalize_mobile(raw)
        case FieldType.EMAIL:
            return normalize_email(raw)
        case FieldType.NAME_LIST:
            return split_name_list(raw, equivalents=equivalents) or None
        case FieldType.DOC_NUMBER:
            return normalize_doc_number(raw)
        case FieldType.PERIOD:
            return parse_period(raw)
    raise ValueError(f"no normaliser for field type {field_type!r}")  # pragma: no cover
