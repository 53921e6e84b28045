"""Value normalisers: format-only differences (FORMS.md §6) are folded away, meaning is kept.

A ``Normalizer`` is built from the rules it folds by (``Rules.normalize``, the schema of
``rules/normalize.yaml``: folding tables, dashes, numerals, patterns) and gets them from
nobody else: ``normalizer(rules)`` gives the one of a ``Rules`` object. Every method is
pure. A text that cannot be read as its type gives ``None`` — never a guess — so the
comparer can report it as "needs review".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from pipeline.codes import uscc_is_valid as is_valid_uscc
from pipeline.config import Choice, FieldType
from pipeline.rulebook import Rules, derived
from pipeline.rulebook.normalize import NormalizeRules

__all__ = [
    "NormalizeRules",
    "Normalizer",
    "Value",
    "is_valid_uscc",
    "normalizer",
]

Value = str | float | int | list[str]

# --- patterns that need no rules -------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})(?:月|[-./])(\d{1,2})[日号]?$", re.ASCII)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})月?$", re.ASCII)

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


class Normalizer:
    """The value normalisers over one set of rules, their tables derived once."""

    def __init__(self, rules: NormalizeRules) -> None:
        self.rules = rules
        dots = rules.middle_dots
        self._dot_table = str.maketrans({d: dots[0] for d in dots[1:]})
        num = rules.numerals
        self._numeral_run = re.compile(f"[{re.escape(''.join(num.digits) + ''.join(num.units))}]+")
        self._mobile_prefix = re.compile(rules.mobile.prefix, re.ASCII)
        self._mobile_pattern = re.compile(rules.mobile.pattern, re.ASCII)
        self._mobile_strip = str.maketrans("", "", rules.mobile.strip)
        self._email_pattern = re.compile(rules.email.pattern, re.ASCII)
        self._uscc_strip = str.maketrans("", "", rules.uscc.strip)
        self._uscc_outside = str.maketrans(rules.uscc.outside_alphabet)
        self._uscc_proposed = str.maketrans(rules.uscc.proposed_on_scans)
        self._doc_number = re.compile(rules.doc_number.pattern)

    # --- text and names ----------------------------------------------------------------

    def text(self, s: str) -> str:
        """NFKC, full-width folded, 【】〔〕 → (), every whitespace removed.

        The rules' own ``text``: the rules folder's words are checked with it at load.
        """
        return self.rules.text(s)

    def org_name(self, s: str, equivalents: tuple[tuple[str, str], ...] = ()) -> str:
        """``text`` plus the office's suffix equivalences (the shorter suffix wins)."""
        name = self.text(s)
        for a, b in equivalents:
            long, short = sorted((self.text(a), self.text(b)), key=lambda x: (-len(x), x))
            if long and long != short and name.endswith(long):
                name = name[: -len(long)] + short
        return name

    def person_name(self, s: str) -> str:
        """``text`` with middle-dot variants (・•‧) folded to ·, kept in the name."""
        return self.text(s).translate(self._dot_table)

    def doc_number(self, s: str) -> str:
        """A document number (黔科通〔2022〕12号): ``text`` with [] folded to () too, and
        the year's brackets put back where they were lost (黔科通 2022 12号)."""
        text = self.text(s).replace("[", "(").replace("]", ")")
        found = self._doc_number.match(text)
        if found is None:
            return text
        return f"{found['issuer']}({found['year']}){found['serial']}号"

    def name_list(
        self,
        s: str,
        separators: tuple[str, ...] | None = None,
        *,
        equivalents: tuple[tuple[str, str], ...] = (),
    ) -> list[str]:
        """Split a list of names on any separator; items normalised, empty ones dropped."""
        seps = self.rules.list_separators if separators is None else separators
        if not seps:
            items = [s]
        else:
            pattern = "|".join(re.escape(x) for x in sorted(seps, key=len, reverse=True))
            items = re.split(pattern, s)
        out = [self.org_name(item, equivalents) for item in items]
        return [item for item in out if item]

    # --- Chinese numerals --------------------------------------------------------------

    def cn_integer(self, s: str) -> int | None:
        """一百二十三 → 123, 二〇二二 → 2022 (digit by digit when no unit), 壹拾万 → 100000."""
        num = self.rules.numerals
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

    def _arabic(self, s: str) -> str | None:
        """Replace every run of Chinese numerals by its Arabic value (None if one is malformed)."""
        digits = self.rules.numerals.digits
        bad = False

        def sub(m: re.Match[str]) -> str:
            nonlocal bad
            value = self.cn_integer(m.group())
            if value is None:
                bad = True
                return m.group()
            # 二〇二二 / 〇七 keep their digit count; 十三 is a number
            return (
                "".join(str(digits[c]) for c in m.group())
                if all(c in digits for c in m.group())
                else str(value)
            )

        out = self._numeral_run.sub(sub, s)
        return None if bad else out

    # --- dates -------------------------------------------------------------------------

    def _date_text(self, s: str) -> str | None:
        text = self.text(s)
        return self._arabic(text) if text else None

    def date(self, s: str) -> str | None:
        """A date in any of the forms' styles → ``YYYY-MM-DD``; an impossible date → None."""
        text = self._date_text(s)
        if text is None:
            return None
        m = _DATE.match(text) or _DATE_COMPACT.match(text)
        if m is None:
            return None
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None

    def written_date(self, s: str) -> tuple[str, str] | None:
        """A date that parses only with the characters a hand's digits are misread as
        taken as those digits (``written_digits``): the date and the text it was read
        from; None when that does not make a date either."""
        digits = self.rules.written_digits
        text = self.text(s)
        if not digits or not any(c in digits for c in text):
            return None
        fixed = "".join(digits.get(c, c) for c in text)
        value = self.date(fixed)
        return None if value is None else (value, fixed)

    def month(self, s: str) -> str | None:
        """2020年1月 / 2020-01 / 2020.1 → ``YYYY-MM``."""
        text = self._date_text(s)
        if text is None:
            return None
        m = _MONTH.match(text)
        if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1:
            return None
        return f"{int(m[1]):04d}-{int(m[2]):02d}"

    def _period_end(self, s: str) -> str | None:
        return self.month(s) or self.date(s)

    def period(self, s: str) -> str | None:
        """2020年1月—2022年6月 → ``2020-01/2022-06`` (each end a month, or a full date)."""
        text = self.text(s)
        dashes = sorted(set(self.rules.dashes) | {"/"}, key=len, reverse=True)
        for m in re.finditer("(?:" + "|".join(re.escape(d) for d in dashes) + ")+", text):
            start, end = self._period_end(text[: m.start()]), self._period_end(text[m.end() :])
            if start and end:
                return f"{start}/{end}"
        return None

    # --- numbers -----------------------------------------------------------------------

    def _daxie_yuan(self, text: str) -> Decimal | None:
        """壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分 → 1234567.89 (元)."""
        money = self.rules.money
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
            value = self.cn_integer(text)  # no 元 written: the whole text is the 元 amount
            return None if value is None else Decimal(value)
        digits = self.rules.numerals.digits
        y = self.cn_integer(m["y"]) if m["y"] else 0
        if y is None or any(g is not None and g not in digits for g in (m["j"], m["f"])):
            return None
        j = digits[m["j"]] if m["j"] else 0
        f = digits[m["f"]] if m["f"] else 0
        return Decimal(y) + Decimal(j) / 10 + Decimal(f) / 100

    def money_wan(self, s: str, *, label_unit: str = "万元") -> float | None:
        """An amount → 万元: separators, trailing zeros, full width, 元 and 大写 all folded.

        The unit the text itself writes (万元, 元) wins over the label's; a 大写 amount is
        in 元. A negative or unreadable amount gives None.
        """
        if label_unit not in ("万元", "元"):
            raise ValueError(f"label_unit must be 万元 or 元, not {label_unit!r}")
        money = self.rules.money
        text = self.text(s)
        if not text:
            return None
        unit = label_unit
        stripped = _strip_affixes(text, money.prefixes, ())
        if any(c in self.rules.numerals.daxie for c in stripped):
            value = self._daxie_yuan(stripped)
            unit = "元"
        else:
            for suffix, u in sorted(
                [(x, "万元") for x in money.wan_suffixes]
                + [(x, "元") for x in money.yuan_suffixes],
                key=lambda p: len(p[0]),
                reverse=True,
            ):
                if stripped.endswith(suffix):
                    stripped, unit = stripped[: -len(suffix)], u
                    break
            value = _decimal(stripped)
            if value is None:
                cn = self.cn_integer(stripped)
                value = None if cn is None else Decimal(cn)
        if value is None:
            return None
        if unit == "元":
            value /= 10000
        return round(float(value), 6)

    def percent(self, s: str) -> float | None:
        """5.23 / 5.23% / ５.２３％ → 5.23; 0.0523 stays 0.0523 (no guessing of the scale)."""
        text = self.text(s).removesuffix("%")
        value = _decimal(text, _SIGNED)
        return None if value is None else round(float(value), 6)

    def integer(self, s: str, *, unit: str | None = None) -> int | None:
        """1,234 / １２３ / 123人 / 一百二十三 → an int; fractions and negatives give None."""
        text = self.text(s)
        units = self.rules.integer_units + ((self.text(unit),) if unit else ())
        text = _strip_affixes(text, (), units)
        if not text:
            return None
        value = _decimal(text)
        if value is not None:
            return int(value) if value == value.to_integral_value() else None
        return self.cn_integer(text)

    # --- contacts and codes ------------------------------------------------------------

    def mobile(self, s: str) -> str | None:
        """A mainland mobile number as 11 digits (spaces, dashes, +86 removed); invalid → None."""
        text = self.text(s).translate(self._mobile_strip)
        text = self._mobile_prefix.sub("", text)
        return text if self._mobile_pattern.match(text) else None

    def is_valid_mobile(self, s: str) -> bool:
        """Whether ``s`` reads as a mainland mobile number."""
        return self.mobile(s) is not None

    def _text_in_case(self, s: str, case: Callable[[str], str]) -> str:
        """``text`` in one case, to a fixpoint: a case change can let NFKC compose anew."""
        text = self.text(s)
        for _ in range(4):
            out = self.text(case(text))
            if out == text:
                break
            text = out
        return text

    def email(self, s: str) -> str | None:
        """NFKC (＠ → @), lower case, spaces removed, a dot or comma at the end dropped
        (``email.trailing``), an @ read as (a put back; empty → None. Check with
        ``is_valid_email``."""
        text = self._text_in_case(s, str.lower).rstrip(self.rules.email.trailing)
        if "@" not in text:
            found = [r for r in self.rules.email.at_readings if r in text]
            if len(found) == 1 and text.count(found[0]) == 1:
                text = text.replace(found[0], "@")
        return text or None

    def is_valid_email(self, s: str) -> bool:
        """Whether ``s`` normalises to a plausible e-mail address."""
        text = self.email(s)
        return text is not None and bool(self._email_pattern.match(text))

    def uscc(self, s: str) -> str:
        """NFKC, upper case, spaces and stray marks (``uscc.strip``) removed. No
        OCR-confusion guessing of letters and digits (check with ``is_valid_uscc``), except
        a letter no code holds (O for 0, ``uscc.outside_alphabet``), put back only when the
        whole code then passes its check character."""
        text = self._text_in_case(s, str.upper).translate(self._uscc_strip)
        if is_valid_uscc(text) or not any(c in self.rules.uscc.outside_alphabet for c in text):
            return text
        digits = text.translate(self._uscc_outside)
        return digits if is_valid_uscc(digits) else text

    def uscc_proposal(self, code: str) -> str | None:
        """A normalised code failing its check character with a letter a scan may show
        for a digit (``uscc.proposed_on_scans``, I for 1): the code with the digit when it
        then passes, else None. A proposal, for review: a typist may have typed the letter."""
        swaps = self.rules.uscc.proposed_on_scans
        if is_valid_uscc(code) or not any(c in swaps for c in code):
            return None
        digits = code.translate(self._uscc_proposed)
        return digits if is_valid_uscc(digits) else None

    # --- dispatch ----------------------------------------------------------------------

    def _choice(self, raw: str, choices: tuple[Choice, ...]) -> str | None:
        text = self.text(raw)
        for choice in choices:
            if any(text == self.text(n) for n in (choice.name, *choice.aliases)):
                return choice.name
        return None

    def value(
        self,
        field_type: FieldType,
        raw: str,
        *,
        choices: tuple[Choice, ...] = (),
        equivalents: tuple[tuple[str, str], ...] = (),
        label_unit: str = "万元",
    ) -> Value | None:
        """Normalise one raw reading by its field type; empty or unreadable → None."""
        if not self.text(raw):
            return None
        match field_type:
            case FieldType.TEXT:
                return self.text(raw)
            case FieldType.ORG_NAME:
                return self.org_name(raw, equivalents)
            case FieldType.PERSON_NAME:
                return self.person_name(raw)
            case FieldType.USCC:
                return self.uscc(raw)
            case FieldType.CHOICE:
                return self._choice(raw, choices)
            case FieldType.DATE:
                return self.date(raw)
            case FieldType.MONEY_WAN:
                return self.money_wan(raw, label_unit=label_unit)
            case FieldType.PERCENT:
                return self.percent(raw)
            case FieldType.INTEGER:
                return self.integer(raw)
            case FieldType.MOBILE:
                return self.mobile(raw)
            case FieldType.EMAIL:
                return self.email(raw)
            case FieldType.NAME_LIST:
                return self.name_list(raw, equivalents=equivalents) or None
            case FieldType.DOC_NUMBER:
                return self.doc_number(raw)
            case FieldType.PERIOD:
                return self.period(raw)
        raise ValueError(f"no normaliser for field type {field_type!r}")  # pragma: no cover


def _normalizer(rules: Rules) -> Normalizer:
    return Normalizer(rules.normalize)


def normalizer(rules: Rules) -> Normalizer:
    """The rules' normaliser (``Rules.normalize``), built once per ``Rules``."""
    return derived(rules, _normalizer)
