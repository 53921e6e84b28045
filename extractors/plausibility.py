"""How sure a reading off a scan is: the OCR's own scores, and whether the value is plausible.

A field's confidence must fall below the review threshold whenever its value is wrong
(wrong-and-sure is the worst error), and stay above it when the value is right. The
OCR's line score alone fails at the first: it is the mean of the line's characters, so
one misread character under a seal (遗 for 贵, scored 0.45) hides in a 0.96 line. So:

- **the weakest character** of the value caps its confidence (``reading_confidence``),
  through a curve per character class measured on the corpus: a Chinese character's
  score tells a misread, a digit's barely, punctuation's not at all; the value's own
  characters are used, not the label's that share its line;
- **plausibility** multiplies it by a factor per sign of a misread (``plausibility``):
  text that does not parse as its type, a name one character away from a known place
  or organisation suffix (遗州省 for 贵州省), a printed option one character away from
  the text read, a date or number out of range;
- **agreement**: two readings of one field (cover and table) that agree are surer than
  either; two that disagree cap the one kept (``combine_readings``).

Everything is a pure function; the numbers live in ``rules/plausibility.yaml`` and the
places and suffixes in ``rules/entities.yaml`` (with the campaign's localities).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from pydantic import Field
from rapidfuzz import fuzz
from rapidfuzz.distance import Hamming, Levenshtein

from extractors.doubts import doubted
from extractors.nlp import Gazetteer, Vocabulary
from extractors.normalize import Normalizer
from pipeline.codes import USCC_PATTERN
from pipeline.config import Choice, FieldType, Spec
from pipeline.model import Doubt, ExtractedField, FieldDoubt, FieldValue
from pipeline.rulebook.plausibility import (
    CharacterClass,
    Curve,
    PlausibilityRules,
)

Unit = float


# --- the OCR's own scores --------------------------------------------------------------


def character_class(ch: str) -> CharacterClass:
    """Which curve a character's score goes through (after NFKC: ５ is a digit)."""
    folded = unicodedata.normalize("NFKC", ch)
    if folded.isascii() and folded.isdigit():
        return "digit"
    if folded.isascii() and folded.isalpha():
        return "latin"
    if folded and unicodedata.category(folded[0]).startswith("L"):
        return "cjk"
    return "other"


def character_cap(score: float, curve: Curve) -> float:
    """The confidence a character of this score allows at most, on a curve."""
    score = min(max(score, 0.0), 1.0)
    for (x0, y0), (x1, y1) in itertools.pairwise(curve):
        if score <= x1:
            return y0 + (y1 - y0) * (score - x0) / (x1 - x0)
    return curve[-1][1]  # pragma: no cover - a curve ends at 1.0


def reading_confidence(
    line_confidence: float,
    characters: Sequence[tuple[str, float]] | None,
    rules: PlausibilityRules,
) -> float:
    """How sure the OCR is of a value: its weakest character when known, else its line.

    With character scores, each of the value's characters (not the label's that share
    its line) allows what its class's curve gives; the value has the lowest of these.
    """
    if not characters:
        return line_confidence
    curves = rules.characters
    return min(character_cap(score, curves.curve(character_class(ch))) for ch, score in characters)


def reading_doubt(
    line_confidence: float,
    characters: Sequence[tuple[str, float]] | None,
    rules: PlausibilityRules,
) -> FieldDoubt:
    """``reading_confidence`` as a cue: the weakest character (its detail), else the line."""
    if not characters:
        return FieldDoubt(cue=Doubt.LINE, effect=round(line_confidence, 4))
    curves = rules.characters
    ch, cap = min(
        ((ch, character_cap(score, curves.curve(character_class(ch)))) for ch, score in characters),
        key=lambda pair: pair[1],
    )
    return FieldDoubt(cue=Doubt.CHARACTER, detail=ch, effect=round(cap, 4))


def value_characters(
    line_text: str,
    char_scores: Sequence[float] | None,
    normalize: Normalizer,
    value: str | None = None,
) -> tuple[tuple[str, float], ...] | None:
    """The value's characters and their scores: the whole line, or where ``value`` ends it.

    Spaces are left out (the recogniser scores a gap low, 0.54 in 2022年7月 11 日, and
    the normalisers drop it). None when the line has no character scores, or when
    normalising changed its length otherwise (then the value's characters cannot be
    told from the label's).
    """
    if char_scores is None or len(char_scores) != len(line_text):
        return None
    pairs = tuple(
        (ch, score) for ch, score in zip(line_text, char_scores, strict=True) if not ch.isspace()
    )
    if value is None:
        return pairs
    text = "".join(ch for ch, _ in pairs)
    if len(normalize.text(text)) != len(text) or not value:
        return None
    n = len(normalize.text(value))
    return pairs[len(pairs) - n :] if n <= len(pairs) else None


# --- plausibility ----------------------------------------------------------------------


def _strip_places(name: str, places: Sequence[str]) -> str:
    """The name after every exact place at its start (贵州省贵阳市… → …)."""
    by_length = sorted(places, key=len, reverse=True)
    stripped = True
    while stripped and name:
        stripped = False
        for place in by_length:
            if place and name.startswith(place):
                name = name[len(place) :]
                stripped = True
                break
    return name


def place_near_miss(
    name: str, gaz: Gazetteer, normalize: Normalizer, min_length: int = 3
) -> str | None:
    """The place a name's start nearly is — one character changed (遗州省 → 贵州省), or its
    first character missing (顺市… for 安顺市…: a dark seal over the name's start hid it
    from the OCR) — or None.

    Exact places at the start are skipped first; places shorter than ``min_length`` are
    never near-matched (one character from 黔南 is 黔源, a real brand).
    """
    rest = _strip_places(normalize.text(name), gaz.places)
    for place in gaz.places:
        if len(place) < min_length:
            continue
        if len(rest) >= len(place) and Hamming.distance(rest[: len(place)], place) == 1:
            return place
        if len(rest) > len(place) - 1 and rest.startswith(place[1:]):
            return place
    return None


def suffix_near_miss(
    name: str, suffixes: Sequence[str], normalize: Normalizer, min_length: int = 3
) -> str | None:
    """The organisation suffix a name's end nearly is (有限公可 → 有限公司), or None."""
    text = normalize.text(name)
    if any(text.endswith(s) for s in suffixes):
        return None
    for suffix in suffixes:
        if (
            len(suffix) >= min_length
            and len(text) > len(suffix)
            and Hamming.distance(text[-len(suffix) :], suffix) == 1
        ):
            return suffix
    return None


def issuer_near_miss(text: str, issuers: Sequence[str], normalize: Normalizer) -> str | None:
    """The issuer a document number's start is one character from (黔王信 → 黔工信), or None
    when it begins with one of them, or with none nearly."""
    read = normalize.text(text)
    names = [normalize.text(i) for i in issuers if normalize.text(i)]
    if any(read.startswith(name) for name in names):
        return None
    for name in names:
        if len(read) >= len(name) and Hamming.distance(read[: len(name)], name) == 1:
            return name
    return None


def word_near_miss(text: str, vocabulary: Vocabulary, common: bool = False) -> str | None:
    """The common word a name's character is one look-alike from making — 白酒 for the
    自 of 贵州省自酒… — when that character makes a word with neither neighbour, or None.
    ``common``: a name of common words only (an innovation platform's), where a rare word
    (小范, for 示范) is none."""
    words, alike = vocabulary.words, vocabulary.look_alikes
    least = vocabulary.min_frequency if common else 1
    for i, ch in enumerate(text):
        starts = [j for j in (i - 1, i) if j >= 0 and j + 2 <= len(text)]
        if any(words.get(text[j : j + 2], 0) >= least for j in starts):
            continue
        for other in alike.get(ch, ()):
            misread = text[:i] + other + text[i + 1 :]
            for j in starts:
                if words.get(misread[j : j + 2], 0) >= vocabulary.min_frequency:
                    return misread[j : j + 2]
    return None


def _issued(text: str, issuers: Sequence[str], normalize: Normalizer) -> bool:
    """Whether a document number begins with one of the issuers."""
    read = normalize.text(text)
    return any(read.startswith(name) for i in issuers if (name := normalize.text(i)))


def choice_near_miss(
    text: str,
    choices: Sequence[Choice],
    normalize: Normalizer,
    kept: tuple[float, float] = (1.0, 1.0),
) -> str | None:
    """The printed option a text is one character away from — one changed (新材科 → 新材料)
    or one missing (金 → 冶金: a dark seal over the option's first character) — or the
    start or end of (生态特色 of 生态特色食品: the rest under a seal or past the cell's
    edge), or whose characters it keeps in order, ``kept`` [0] of the option's and [1] of
    its own at least (生态特食, 州工临端装备制造: the one option so), or None. An option
    outside the list written whole (金融服务) is none of these."""
    read = normalize.text(text)
    named = [
        (choice, normalize.text(n)) for choice in choices for n in (choice.name, *choice.aliases)
    ]
    if any(read == option for _, option in named):
        return None
    for choice, option in named:
        if (
            len(option) >= 2
            and len(option) - 1 <= len(read) <= len(option)
            and Levenshtein.distance(read, option) == 1
        ):
            return choice.name
    for choice, option in named:
        if 2 <= len(read) < len(option) and (option.startswith(read) or option.endswith(read)):
            return choice.name
    share_option, share_read = kept
    held = {
        choice.name
        for choice, option in named
        if len(option) >= 3
        and (common := _in_order(read, option)) >= 3
        and common >= share_option * len(option)
        and common >= share_read * len(read)
    }
    return held.pop() if len(held) == 1 else None


def _one_lost_of(
    read: str, name: str, choices: Sequence[Choice], normalize: Normalizer, rules: PlausibilityRules
) -> bool:
    """Whether ``read`` is the option ``name`` with one character lost (its others all in
    order), the option at least ``choice_one_lost`` long and no other option (or alias)
    within two characters of the reading: it is that option, read plainly but for one
    character (生态特色品 for 生态特色食品)."""
    if rules.choice_one_lost <= 0:
        return False
    text = normalize.text(read)
    option = normalize.text(name)
    if len(option) < rules.choice_one_lost or len(text) != len(option) - 1:
        return False
    if _in_order(text, option) != len(text):
        return False
    others = [
        normalize.text(n)
        for choice in choices
        if choice.name != name
        for n in (choice.name, *choice.aliases)
    ]
    return all(Levenshtein.distance(text, other) > 2 for other in others)


def in_order(a: str, b: str) -> int:
    """How many characters two texts share in the same order (their longest common
    subsequence)."""
    return _in_order(a, b)


def _in_order(a: str, b: str) -> int:
    """How many characters two texts share in the same order (their longest common
    subsequence)."""
    row = [0] * (len(b) + 1)
    for ch in a:
        diagonal = 0
        for j, other in enumerate(b, start=1):
            above = row[j]
            row[j] = diagonal + 1 if ch == other else max(row[j], row[j - 1])
            diagonal = above
    return row[-1]


def _at_misread(text: str, normalize: Normalizer) -> bool:
    """Whether an e-mail reading has no @ and becomes a valid address with one character
    taken for it."""
    return "@" not in text and any(
        normalize.is_valid_email(text[:i] + "@" + text[i + 1 :]) for i in range(1, len(text) - 1)
    )


def _digit_look_alike(text: str, letters: str) -> str:
    """The first of ``letters`` beside a digit in an e-mail's name part, or ""."""
    name = text.split("@", 1)[0]
    for i, ch in enumerate(name):
        if ch in letters and any(0 <= j < len(name) and name[j].isdigit() for j in (i - 1, i + 1)):
            return ch
    return ""


class Plausibility(Spec):
    """How plausible a value is: a factor to multiply the confidence by, and why."""

    factor: float = Field(ge=0.0, le=1.0)
    doubts: tuple[FieldDoubt, ...] = ()

    @classmethod
    def of(cls, doubts: list[FieldDoubt]) -> Plausibility:
        """The product of the doubts' factors, with them."""
        return cls(factor=math.prod(d.effect for d in doubts), doubts=tuple(doubts))


def completed_date(
    key: str, text: str, rules: PlausibilityRules, normalize: Normalizer
) -> tuple[str, str] | None:
    """A date read in part (022年7月16日, 20226月16: the year's start or its 年 under a
    seal) read by its 年月日 structure (``rules/plausibility.yaml`` ``date_completion``):
    the year completed from the field's range when that lies in one year and ends with
    the digits read, and the date inside the range. (``YYYY-MM-DD``, the date written
    out as completed), or None."""
    r = rules.date_completion
    if key not in rules.date_ranges:
        return None
    low, high = rules.date_ranges[key]
    m = re.fullmatch(r.pattern, normalize.text(text))
    if low.year != high.year or m is None:
        return None
    year, month, day = str(low.year), int(m["month"]), int(m["day"])
    if len(m["year"]) < r.min_year_digits or not year.endswith(m["year"]):
        return None
    if not m["end"] and len(m["day"]) < r.open_day_digits:
        return None
    try:
        date = dt.date(low.year, month, day)
    except ValueError:
        return None
    if not low <= date <= high:
        return None
    return date.isoformat(), f"{year}年{month}月{day}日"


def in_range(key: str, value: FieldValue, rules: PlausibilityRules) -> bool:
    """Whether a field's value lies in the range it can plausibly hold (a value of another
    kind, or a field with no range, does)."""
    return _in_range(key, value, rules)


def _in_range(key: str, value: FieldValue, rules: PlausibilityRules) -> bool:
    if key in rules.date_ranges and isinstance(value, str):
        low, high = rules.date_ranges[key]
        try:
            return low <= dt.date.fromisoformat(value) <= high
        except ValueError:
            return True  # not a date: the parse check speaks for it
    if key in rules.number_ranges and isinstance(value, int | float):
        lo, hi = rules.number_ranges[key]
        return lo <= value <= hi
    return True


def plausibility(
    key: str,
    field_type: FieldType,
    raw: str,
    value: FieldValue,
    *,
    parsed: bool,
    choices: Sequence[Choice] = (),
    gaz: Gazetteer,
    rules: PlausibilityRules,
    normalize: Normalizer,
    vocabulary: Vocabulary | None = None,
) -> Plausibility:
    """The signs that a value was misread, each multiplying the confidence by its factor.

    ``parsed`` is whether the field's normaliser read the text as its type (a value kept
    as read, or none at all, is not parsed). ``vocabulary``: the common words a name of
    ``rules.vocabulary.fields`` is checked against (none: not checked).
    """
    r, g = rules, gaz
    doubts: list[FieldDoubt] = []

    def sign(cue: Doubt, factor: float, detail: str = "") -> None:
        doubts.append(FieldDoubt(cue=cue, detail=detail, effect=factor))

    text = normalize.text(raw)
    if not text or all(ch in r.blank_marks for ch in text):
        return Plausibility(factor=1.0)
    if not parsed:
        if field_type is FieldType.CHOICE:
            # an option outside the list can be what was written (an ineligible domain);
            # one character from a printed option, it is a misread option
            near = choice_near_miss(text, choices, normalize, r.choice_kept)
            if near is not None and not _one_lost_of(text, near, choices, normalize, r):
                sign(Doubt.NEAR_CHOICE, r.factors.near_miss, near)
            elif near is None and len(text) < r.choice_min_length:
                # a lone character is no option written outside the list (an ineligible
                # domain is a word: 房地产开发), it is a fragment: 和 of a seal's 工业和信息化局
                # read over the row whose value it hid
                sign(Doubt.UNPARSED, r.factors.unparsed)
        elif field_type in (FieldType.MOBILE, FieldType.EMAIL, FieldType.USCC):
            pass  # kept as read for the validators (FIELD_INVALID), judged by the OCR scores
        else:
            sign(Doubt.UNPARSED, r.factors.unparsed)
    if field_type is FieldType.USCC and not USCC_PATTERN.match(normalize.uscc(text)):
        # a code of the wrong length or holding a mark no code has (…904] for …904J, a last
        # character lost at a 1-bit page's edge): a misread a person sees at a glance, not
        # a code printed wrong; a wrong check character alone (the code's shape kept)
        # stays the validators' FIELD_INVALID
        sign(Doubt.UNPARSED, r.factors.unparsed)
    if field_type is FieldType.EMAIL and _at_misread(text, normalize):
        # no @, and one character in its place makes an address: the @ misread
        # (zhou778a126.com on a 1-bit scan, session 14), not an invalid address written;
        # the e-mail normaliser keeps any text, so this is judged parsed or not
        sign(Doubt.UNPARSED, r.factors.unparsed, "@")
    if field_type is FieldType.EMAIL and (
        look_alike := _digit_look_alike(text, r.email_digit_look_alikes)
    ):
        sign(Doubt.CHARACTER, r.factors.near_miss, look_alike)
    is_org = field_type is FieldType.ORG_NAME
    # a part of a name, never a whole one (an organisation's or a person's); a locality's
    # authority names its place first
    is_person = field_type is FieldType.PERSON_NAME
    partial = (is_org and len(text) < r.org_name_min_length) or (
        is_person
        and (
            len(text) < r.person_name_min_length
            or re.fullmatch(r.person_name_pattern, normalize.person_name(text)) is None
            or not _has_surname(normalize.person_name(text), r)
        )
    )
    placeless = key in r.place_start_fields and not any(text.startswith(p) for p in g.places)
    if partial or placeless:
        sign(Doubt.UNPARSED, r.factors.unparsed)
    if key in r.authority_fields and (near := _authority_near_miss(text, g, r)) is not None:
        sign(Doubt.NEAR_CHOICE, r.factors.near_miss, near)
    if is_org or key in r.place_fields:
        place = place_near_miss(text, g, normalize, r.near_miss_min_length)
        if place is not None:
            sign(Doubt.NEAR_PLACE, r.factors.near_miss, place)
    if is_org or key in r.suffix_fields:
        suffix = suffix_near_miss(text, g.org_suffixes, normalize, r.near_miss_min_length)
        if suffix is not None:
            sign(Doubt.NEAR_SUFFIX, r.factors.near_miss, suffix)
    if (
        vocabulary is not None
        and key in r.vocabulary.fields
        and (word := word_near_miss(text, vocabulary, key in r.vocabulary.common_fields))
        is not None
    ):
        sign(Doubt.NEAR_WORD, r.factors.near_miss, word)
    if field_type is FieldType.DOC_NUMBER:
        issuer = issuer_near_miss(text, r.doc_issuers, normalize)
        if issuer is not None:
            sign(Doubt.NEAR_ISSUER, r.factors.near_miss, issuer)
        elif key in r.issuer_fields and not _issued(text, r.doc_issuers, normalize):
            sign(Doubt.UNPARSED, r.factors.unparsed)
    if not _in_range(key, value, r):
        sign(Doubt.OUT_OF_RANGE, r.factors.out_of_range)
    return Plausibility.of(doubts)


def _has_surname(name: str, rules: PlausibilityRules) -> bool:
    """Whether a person's name begins with a surname of the rules' lists (a name with a
    middle dot, or no list given: not judged)."""
    if not rules.surnames or "·" in name or not name:
        return True
    return name[0] in rules.surnames or any(name.startswith(c) for c in rules.compound_surnames)


def sole_authority(text: str, gaz: Gazetteer, rules: PlausibilityRules) -> bool:
    """Whether the text is exactly one of the campaign's authorities and no other authority
    is within ``authority_near`` of it (a character misread in place would leave a name off
    the list, not another authority)."""
    if text not in gaz.authorities:
        return False
    return all(a == text or fuzz.ratio(text, a) < rules.authority_near for a in gaz.authorities)


def _authority_near_miss(text: str, gaz: Gazetteer, rules: PlausibilityRules) -> str | None:
    """The campaign's authority the text is near to but not (黔南工业和信息化局: a
    character lost under the seal), or holds in part, its characters in order, however
    many it lost (贵安新区经济 of 贵安新区经济发展局: its end read as another line); None
    when it is one or is near none."""
    if not gaz.authorities or text in gaz.authorities:
        return None
    best = max(gaz.authorities, key=lambda a: fuzz.ratio(text, a))
    if fuzz.ratio(text, best) >= rules.authority_near:
        return best
    if len(text) < rules.org_name_min_length:
        return None  # too short to be a name at all (unparsed)
    held = sorted((lost, a) for a in gaz.authorities if (lost := _lost(text, a)) is not None)
    if not held or (len(held) > 1 and held[1][0] == held[0][0]):
        return None  # held by none, or by several alike (业和信息化局): no one to name
    return held[0][1]


def _lost(text: str, name: str) -> int | None:
    """How many of the name's characters a reading lost, when it holds the rest in their
    order (黔西州… of 黔西南州…: one); None when it reads a character the name has not
    there, or is no shorter."""
    if not text or len(text) >= len(name) or _in_order(text, name) < len(text):
        return None
    return len(name) - len(text)


def fitted_authority(text: str, gaz: Gazetteer, rules: PlausibilityRules) -> str | None:
    """The one authority a reading is with characters lost (at most
    ``authority_lost[0]``, the rest in order): 黔西南州工业和信息化局 for 黔西州工业和信息化局.
    None when the reading is an authority, or fits none or several so."""
    if text in gaz.authorities:
        return None
    fits = [
        name
        for name in gaz.authorities
        if (lost := _lost(text, name)) is not None and lost <= rules.authority_lost[0]
    ]
    return fits[0] if len(fits) == 1 else None


def place_read_whole(text: str, name: str, gaz: Gazetteer) -> bool:
    """Whether a reading begins with the part of the authority ``name`` before the ending
    most authorities share (工业和信息化局, half of them at least): its place (贵阳市,
    黔西南州), which tells it from the others, read whole, so the characters it lost are
    in that common ending (贵阳市业和信息化局: 工 lost)."""
    authorities = list(gaz.authorities)
    shared = max(
        (
            n
            for n in range(1, len(name))
            if 2 * sum(a.endswith(name[-n:]) for a in authorities) >= len(authorities)
        ),
        default=0,
    )
    start = name[: len(name) - shared]
    return bool(start) and text.startswith(start)


def fitting_authorities(text: str, gaz: Gazetteer, rules: PlausibilityRules) -> list[str]:
    """Every authority holding the reading's characters in order with at most
    ``authority_lost[1]`` of its own lost (市工业和信息化局: the five cities' named 某某市)."""
    return [
        name
        for name in gaz.authorities
        if (lost := _lost(text, name)) is not None and lost <= rules.authority_lost[1]
    ]


def names_an_authority(lettering: str, gaz: Gazetteer, rules: PlausibilityRules) -> str | None:
    """The authority a seal's lettering keeps at least ``authority_lettering_kept`` of the
    characters of, in order (the most of them), or None: a seal of no authority."""
    if not lettering or not gaz.authorities:
        return None
    best = max(gaz.authorities, key=lambda a: _in_order(lettering, a) / len(a))
    kept = _in_order(lettering, best)
    return best if kept >= rules.authority_lettering_kept * len(best) else None


def fitted_alone(text: str, name: str, gaz: Gazetteer, rules: PlausibilityRules) -> bool:
    """Whether no other authority holds the reading's characters in order with at most
    ``authority_lost[1]`` lost (黔南州业和信息化局 holds 黔东南州… with two lost)."""
    return all(other == name for other in fitting_authorities(text, gaz, rules))


def lettering_agrees(
    text: str, name: str, lettering: str, gaz: Gazetteer, rules: PlausibilityRules
) -> bool:
    """Whether a seal's lettering over a reading says the reading is the authority ``name``:
    it shows every character the reading lost (南 of 黔西州… in 南州工信化局), keeps at least
    ``authority_lettering_kept`` of the name's characters in order, and keeps no more of
    another authority's (a seal reading another's name, or a garble, does not agree)."""
    lost = Counter(name) - Counter(text)
    if not lettering or any(lettering.count(c) < n for c, n in lost.items()):
        return False
    kept = _in_order(lettering, name)
    if kept < rules.authority_lettering_kept * len(name):
        return False
    return all(_in_order(lettering, other) <= kept for other in gaz.authorities)


# --- two readings of one field ---------------------------------------------------------


def _same_value(a: FieldValue, b: FieldValue) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def fits_form(key: str, value: FieldValue, rules: PlausibilityRules) -> bool:
    """Whether a value has the shape its field always has on the campaign's forms
    (``form_patterns``); a field with no pattern fits any value."""
    pattern = rules.form_patterns.patterns.get(key)
    if pattern is None:
        return True
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def _start_misread(kept: FieldValue, other: FieldValue, key: str, rules: PlausibilityRules) -> bool:
    """Whether ``other`` is ``kept`` with only its first few characters lost, changed or
    preceded by others (有精细… for 贵州省精细…, 贵州贵州省… for 贵州省…), ``kept`` having
    its field's form (贵州省…制造业创新中心) and ``other`` not: the form's fixed start
    misread, under a seal stamped over it."""
    if key not in rules.form_patterns.patterns or not isinstance(kept, str):
        return False
    if (
        not isinstance(other, str)
        or not fits_form(key, kept, rules)
        or fits_form(key, other, rules)
    ):
        return False
    pairs = zip(reversed(kept), reversed(other), strict=False)
    common = sum(1 for _ in itertools.takewhile(lambda p: p[0] == p[1], pairs))
    slack = rules.form_patterns.start_slack
    return common > 0 and len(kept) - common <= slack and len(other) - common <= slack


def combine_readings(
    kept: ExtractedField,
    other: ExtractedField,
    rules: PlausibilityRules,
    threshold: float,
    key: str = "",
) -> ExtractedField:
    """``kept`` with its confidence revised by a second reading of the same field.

    Agreeing readings are wrong together only if both misread alike: the confidence is
    ``1 - (1-a)(1-b)``. Disagreeing ones mean one is wrong: ``kept`` is capped at the
    disagreement cap (below the review threshold) — unless the other is blank, or is
    itself unsure (below the threshold) while ``kept`` is sure: then the other's misread
    explains the difference (黔西南乌注… on the cover, its 注 scored 0.44) — or differs
    from ``kept`` only in the start of the form's fixed shape ``kept`` has (field ``key``,
    ``form_patterns``: 有精细磷化工制造业创新中心 for 贵州省精细磷化工制造业创新中心).
    """
    r, limit = rules, threshold
    if other.value in (None, []) or kept.value in (None, []):
        return kept
    if _same_value(kept.value, other.value):
        confidence = 1.0 - (1.0 - kept.confidence) * (1.0 - other.confidence)
    elif other.confidence < limit <= kept.confidence or _start_misread(
        kept.value, other.value, key, rules
    ):
        return kept
    else:
        cap = r.agreement.disagreement_cap
        shown = other.raw or str(other.value)
        return doubted(kept, min(kept.confidence, cap), Doubt.DISAGREE, shown, effect=cap)
    return kept.model_copy(update={"confidence": round(confidence, 4)})


# --- ink on the scan that nobody read --------------------------------------------------


def unread_ink(
    *,
    blank_with_ink: bool,
    ink_continues: bool,
    rules: PlausibilityRules,
    ink_precedes: bool = False,
) -> Plausibility:
    """The signs that unread ink (``Page.unread``) leaves on a reading off a scan.

    ``blank_with_ink``: nothing was read, yet ink lies where the value would be (the
    value's print under a seal the OCR never proposed a box for). ``ink_continues``: a
    value was read, but unread ink starts right where it ends on its row (the reading
    stopped short). ``ink_precedes``: a seal's unread ink covers the row up to where the
    value starts (its first characters under the seal). Each multiplies the confidence by
    ``unread_ink.factor``.
    """
    factor = rules.unread_ink.factor
    seen = {
        Doubt.BLANK_WITH_INK: blank_with_ink,
        Doubt.INK_CONTINUES: ink_continues,
        Doubt.INK_PRECEDES: ink_precedes,
    }
    doubts = [FieldDoubt(cue=cue, effect=factor) for cue, there in seen.items() if there]
    return Plausibility.of(doubts)
