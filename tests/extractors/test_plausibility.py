"""Calibrated confidence: character scores, plausibility of values, agreement of readings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from extractors import plausibility as pl
from extractors.nlp import Vocabulary, gazetteer, vocabulary
from extractors.normalize import normalizer
from pipeline.config import Choice, FieldType, load_yaml
from pipeline.errors import ConfigError
from pipeline.model import Doubt, ExtractedField
from pipeline.rulebook.plausibility import PlausibilityRules
from rules import RULES_DIR
from tests.rulebook import RULES as ALL

RULES = ALL.plausibility
NORMALIZE = normalizer(ALL)
THRESHOLD = ALL.review.review_threshold
CJK = RULES.characters.cjk
DOMAINS = ALL.campaign.choices("domains")
MISREAD = "遗州省智能制造装备制造业创新中心"  # scan_0010 p19, a seal over 贵
CENTRE = "贵州省智能制造装备制造业创新中心"
ORG = "黔西南乌江智能装备研究院"
ORG_OFF = "贵州云岭药业有限公可"

scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
characters = st.lists(
    st.tuples(st.sampled_from("贵州省科技0123456789ABCxyz.-—；（）"), scores),
    min_size=1,
    max_size=30,
)


# --- character scores ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cjk", "digit", "latin", "other"])
@given(a=scores, b=scores)
def test_a_weaker_character_never_allows_more_confidence(kind: str, a: float, b: float) -> None:
    curve = RULES.characters.curve(kind)  # type: ignore[arg-type]
    low, high = sorted((a, b))
    assert pl.character_cap(low, curve) <= pl.character_cap(high, curve) + 1e-12


@given(scores, characters)
def test_a_value_is_as_sure_as_its_weakest_character(
    line: float, chars: list[tuple[str, float]]
) -> None:
    got = pl.reading_confidence(line, chars, RULES)
    caps = [pl.character_cap(s, RULES.characters.curve(pl.character_class(c))) for c, s in chars]
    assert got == min(caps)
    assert 0.0 <= got <= 1.0


@pytest.mark.parametrize(
    ("ch", "kind"),
    [
        ("贵", "cjk"),
        ("〇", "other"),
        ("7", "digit"),
        ("７", "digit"),
        ("X", "latin"),
        ("—", "other"),
    ],
)
def test_characters_fall_into_classes(ch: str, kind: str) -> None:
    assert pl.character_class(ch) == kind


def test_one_misread_character_in_a_sure_line_is_flagged() -> None:
    # scan_0010 p19: 遗州省智能制造装备制造业创新中心, line 0.96, 遗 scored 0.45
    text = "遗州省智能制造装备制造业创新中心"
    chars = list(zip(text, [0.45] + [0.99] * 15, strict=True))
    assert sum(s for _, s in chars) / len(chars) > THRESHOLD  # the line score alone passes
    assert pl.reading_confidence(0.96, chars, RULES) < THRESHOLD


def test_low_scored_digits_and_punctuation_that_were_right_stay_sure() -> None:
    # measured: 15 with its 5 at 0.72; 28144.40 with its point at 0.55; a dash at 0.39
    assert pl.reading_confidence(0.86, [("1", 1.0), ("5", 0.72)], RULES) >= THRESHOLD
    money = list(zip("28144.40", [1.0] * 5 + [0.55] + [1.0] * 2, strict=True))
    assert pl.reading_confidence(0.94, money, RULES) >= THRESHOLD
    assert pl.reading_confidence(0.96, [("2", 1.0), ("—", 0.39), ("年", 1.0)], RULES) >= THRESHOLD


def test_a_value_is_judged_by_its_own_characters_not_its_labels() -> None:
    # 申请日期：2022年6月16日 — the colon scored 0.57, the date itself 1.0
    line = "申请日期：2022年6月16日"
    scores_ = [0.99, 0.99, 0.99, 0.99, 0.57] + [1.0] * 10
    value = pl.value_characters(line, scores_, NORMALIZE, "2022年6月16日")
    assert value == tuple(zip("2022年6月16日", [1.0] * 10, strict=True))
    assert pl.reading_confidence(0.91, value, RULES) == 1.0
    whole = (("a", 0.5), ("b", 0.6), ("c", 0.7))
    assert pl.value_characters("abc", [0.5, 0.6, 0.7], NORMALIZE) == whole


def test_without_character_scores_the_line_score_stands() -> None:
    assert pl.value_characters("名称：abc", None, NORMALIZE, "abc") is None


def test_spaces_are_left_out_of_a_values_characters() -> None:
    """The recogniser scores the gaps of a spaced date low (2022年7月 11 日: 0.54 and 0.60,
    every digit above 0.98; session-16 tuned corpus): the gaps are no characters of the
    value, the normalisers drop them, and they do not cap it."""
    line = "2022年7月 11 日"
    scores_ = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.54, 0.98, 1.0, 0.6, 1.0]
    value = pl.value_characters(line, scores_, NORMALIZE)
    assert value is not None and "".join(ch for ch, _ in value) == "2022年7月11日"
    assert pl.reading_confidence(0.93, value, RULES) == 1.0
    scores_ = [1.0] * 3 + [0.3] + [0.5, 0.6, 0.7]
    labelled = pl.value_characters("名称： abc", scores_, NORMALIZE, "abc")
    assert labelled == (("a", 0.5), ("b", 0.6), ("c", 0.7))
    # a digit scored low still caps the value, spaces or none
    low = pl.value_characters("2022 年", [1.0, 0.3, 1.0, 1.0, 0.5, 1.0], NORMALIZE)
    assert low is not None and pl.reading_confidence(0.93, low, RULES) < THRESHOLD
    assert pl.reading_confidence(0.93, None, RULES) == 0.93
    assert pl.reading_confidence(0.93, (), RULES) == 0.93


# --- plausibility ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "near"),
    [
        ("遗州省智能制造装备制造业创新中心", "贵州省"),
        ("贵州省贵杨市乌当区林城西路84号", "贵阳市"),
        ("六盘氺市钟山区", "六盘水市"),
        # the first character hidden under a dark seal on a photocopied cover (session 13)
        ("顺市工业和信息化局", "安顺市"),
    ],
)
def test_a_name_one_character_from_a_known_place_is_a_near_miss(name: str, near: str) -> None:
    assert pl.place_near_miss(name, gazetteer(ALL), NORMALIZE) == near


@pytest.mark.parametrize(
    "name",
    [
        "贵州省智能制造装备制造业创新中心",
        "黔源建材有限责任公司",  # one character from 黔南, but 黔南 is too short to judge
        "贵定县农产品开发有限公司",  # 贵定 is a county, one character from 贵安/贵阳
        "中国振华电子集团",  # no place at the start is not a sign of anything
        "贵州省贵阳市乌当区林城西路84号",
    ],
)
def test_real_names_are_no_near_miss(name: str) -> None:
    assert pl.place_near_miss(name, gazetteer(ALL), NORMALIZE) is None


def test_a_suffix_one_character_off_is_a_near_miss() -> None:
    suffixes = gazetteer(ALL).org_suffixes
    assert pl.suffix_near_miss("贵州云岭药业有限公可", suffixes, NORMALIZE) == "有限公司"
    assert pl.suffix_near_miss("贵州云岭药业有限公司", suffixes, NORMALIZE) is None
    assert pl.suffix_near_miss("贵州云岭药业", suffixes, NORMALIZE) is None


def test_an_option_one_character_off_is_a_misread_option() -> None:
    assert pl.choice_near_miss("新材科", DOMAINS, NORMALIZE) == "新材料"
    assert pl.choice_near_miss("新材料", DOMAINS, NORMALIZE) is None
    # an ineligible domain, as written
    assert pl.choice_near_miss("房地产开发", DOMAINS, NORMALIZE) is None
    # one character missing (a dark seal over 冶 on a photocopied cover, session 13)
    assert pl.choice_near_miss("金", DOMAINS, NORMALIZE) == "冶金"
    # the start or the end of an option, the rest hidden (生态特色 of 生态特色食品 read sure
    # on a 1-bit photocopy, session 14): a person would not take it for another domain
    assert pl.choice_near_miss("生态特色", DOMAINS, NORMALIZE) == "生态特色食品"
    assert pl.choice_near_miss("化工", DOMAINS, NORMALIZE) == "现代化工"
    assert pl.choice_near_miss("金融服务", DOMAINS, NORMALIZE) is None
    assert pl.choice_near_miss("材", DOMAINS, NORMALIZE) is None  # one character: too little


@pytest.mark.parametrize(
    ("read", "option"),
    [
        ("生态特食", "生态特色食品"),  # 色 and 品 under a 1-bit copy's seal (session 17)
        ("州工临端装备制造", "高端装备制造"),  # 高 lost, the seal's lettering before it
        ("大健医药", "大健康医药"),
        ("房地产开发", None),  # outside the list, written whole: the applicant's
        ("金融服务", None),
        ("商贸物流", None),
        ("新型材料", None),  # as much 新材料's as 新型建材's: no one option
    ],
)
def test_a_reading_holding_most_of_one_options_characters_is_that_option(
    read: str, option: str | None
) -> None:
    kept = RULES.choice_kept
    assert pl.choice_near_miss(read, DOMAINS, NORMALIZE, kept) == option


def test_a_part_of_a_name_does_not_read_as_an_organisation() -> None:
    # 安 of 贵安新区经济发展局, the rest under a dark seal
    got = _plausibility("recommender", FieldType.ORG_NAME, "安", "安", True)
    assert [d.cue for d in got.doubts] == [Doubt.UNPARSED]
    assert got.factor < THRESHOLD
    assert not _plausibility("lead_org", FieldType.ORG_NAME, "贵州大学", "贵州大学", True).doubts


def test_a_recommending_authority_read_without_its_place_is_doubted() -> None:
    got = _plausibility("recommender", FieldType.ORG_NAME, "工业和信息化局", "工业和信息化局", True)
    assert [d.cue for d in got.doubts] == [Doubt.UNPARSED]
    for name in (
        "贵阳市工业和信息化局",
        "贵安新区经济发展局",
        "黔南布依族苗族自治州工业和信息化局",
    ):
        assert not _plausibility("recommender", FieldType.ORG_NAME, name, name, True).doubts


@pytest.mark.parametrize(
    ("key", "field_type", "raw"),
    [
        ("recommender", FieldType.ORG_NAME, "安順市工业和信息化局"),
        ("lead_org", FieldType.ORG_NAME, "安順黔源科技有限公司"),
        ("city", FieldType.TEXT, "安順市"),
    ],
)
def test_a_traditional_form_of_a_known_place_or_authority_is_judged_as_it(
    key: str, field_type: FieldType, raw: str
) -> None:
    """The OCR's traditional form (順 for 顺) is folded before the place and the
    authority are looked up: no near miss, no missing place, nothing to doubt."""
    assert pl.place_near_miss(raw, gazetteer(ALL), NORMALIZE) is None
    got = _plausibility(key, field_type, raw, NORMALIZE.org_name(raw), True)
    assert got.doubts == ()


def _plausibility(
    key: str, field_type: FieldType, raw: str, value: object, parsed: bool
) -> pl.Plausibility:
    """``plausibility`` with the shipped rules, the campaign's domains as the choices."""
    return pl.plausibility(
        key,
        field_type,
        raw,
        value,  # type: ignore[arg-type]
        parsed=parsed,
        choices=DOMAINS,
        gaz=gazetteer(ALL),
        rules=RULES,
        normalize=NORMALIZE,
    )


@pytest.mark.parametrize(
    ("key", "field_type", "raw", "value", "parsed", "reason"),
    [
        ("center_name", FieldType.TEXT, MISREAD, MISREAD, True, (Doubt.NEAR_PLACE, "贵州省")),
        ("lead_org", FieldType.ORG_NAME, ORG_OFF, ORG_OFF, True, (Doubt.NEAR_SUFFIX, "有限公司")),
        ("domain", FieldType.CHOICE, "新材科", "新材科", False, (Doubt.NEAR_CHOICE, "新材料")),
        # a short option with a character lost, or a long one with one changed: for review
        ("domain", FieldType.CHOICE, "新材", "新材", False, (Doubt.NEAR_CHOICE, "新材料")),
        ("domain", FieldType.CHOICE, "生态特色良品", "生态特色良品", False,
         (Doubt.NEAR_CHOICE, "生态特色食品")),
        ("domain", FieldType.CHOICE, "生态特食", "生态特食", False,
         (Doubt.NEAR_CHOICE, "生态特色食品")),
        # a lone character is a fragment (a seal's lettering), not a domain written
        ("domain", FieldType.CHOICE, "和", "和", False, (Doubt.UNPARSED, "")),
        ("founded", FieldType.DATE, "2O19年5月3日", None, False, (Doubt.UNPARSED, "")),
        ("revenue", FieldType.MONEY_WAN, "12,3a4.5", None, False, (Doubt.UNPARSED, "")),
        ("apply_date", FieldType.DATE, "2072年6月16日", "2072-06-16", True,
         (Doubt.OUT_OF_RANGE, "")),
        ("rd_ratio", FieldType.PERCENT, "523", 523.0, True, (Doubt.OUT_OF_RANGE, "")),
        ("pilot_approval_no", FieldType.DOC_NUMBER, "黔王信科技〔2020〕53号",
         "黔王信科技〔2020〕53号", True, (Doubt.NEAR_ISSUER, "黔工信")),
        # a person's name beginning with no surname: read in part or misread
        ("legal_rep", FieldType.PERSON_NAME, "之博", "之博", True, (Doubt.UNPARSED, "")),
        # a code with a mark no code holds, or a character short: misread, not misprinted
        ("uscc", FieldType.USCC, "91522300846597904]", "91522300846597904]", True,
         (Doubt.UNPARSED, "")),
        ("uscc", FieldType.USCC, "91520300510422166", "91520300510422166", True,
         (Doubt.UNPARSED, "")),
    ],
)  # fmt: skip
def test_each_sign_of_a_misread_takes_the_confidence_below_the_threshold(
    key: str,
    field_type: FieldType,
    raw: str,
    value: object,
    parsed: bool,
    reason: tuple[Doubt, str],
) -> None:
    got = _plausibility(key, field_type, raw, value, parsed)
    assert [(d.cue, d.detail) for d in got.doubts] == [reason]
    assert got.factor < THRESHOLD
    assert got.doubts[0].effect == got.factor  # one sign: its factor is the whole


@pytest.mark.parametrize(
    ("key", "field_type", "raw", "value", "parsed"),
    [
        ("center_name", FieldType.TEXT, CENTRE, CENTRE, True),
        ("lead_org", FieldType.ORG_NAME, ORG, ORG, True),
        ("domain", FieldType.CHOICE, "房地产开发", "房地产开发", False),
        # one character lost of a long option, no other near: that option, read plainly
        ("domain", FieldType.CHOICE, "生态特色品", "生态特色食品", False),
        ("domain", FieldType.CHOICE, "数据为引领的电子信息", "大数据为引领的电子信息", False),
        ("mobile", FieldType.MOBILE, "1390851234", "1390851234", False),
        ("uscc", FieldType.USCC, "91520000214434146X", "91520000214434146X", False),
        ("founded", FieldType.DATE, "1998年3月1日", "1998-03-01", True),
        ("apply_date", FieldType.DATE, "2022年6月16日", "2022-06-16", True),
        ("rd_ratio", FieldType.PERCENT, "5.23", 5.23, True),
        ("email", FieldType.EMAIL, "", None, False),
    ],
)  # fmt: skip
def test_plausible_values_keep_their_confidence(
    key: str, field_type: FieldType, raw: str, value: object, parsed: bool
) -> None:
    got = _plausibility(key, field_type, raw, value, parsed)
    assert got.factor == 1.0 and got.doubts == ()


# --- agreement -------------------------------------------------------------------------


def _reading(value: str | None, confidence: float) -> ExtractedField:
    return ExtractedField(value=value, raw=value or "", page=1, confidence=confidence)


@given(scores, scores)
def test_agreeing_readings_are_surer_than_either(a: float, b: float) -> None:
    got = pl.combine_readings(
        _reading("贵州省创新中心", a), _reading("贵州省创新中心", b), RULES, THRESHOLD
    )
    assert got.confidence >= max(a, b) - 1e-4
    assert got.value == "贵州省创新中心"


@given(scores, scores)
def test_disagreeing_readings_are_flagged_unless_the_other_is_unsure(a: float, b: float) -> None:
    got = pl.combine_readings(
        _reading("遗州省创新中心", a), _reading("贵州省创新中心", b), RULES, THRESHOLD
    )
    assert got.value == "遗州省创新中心"  # which one to keep is the caller's choice
    if b < THRESHOLD <= a:  # the other reading's own misread explains the difference
        assert got.confidence == a
    else:
        assert got.confidence < THRESHOLD


def test_a_blank_second_reading_changes_nothing() -> None:
    kept = _reading("贵州省创新中心", 0.95)
    assert pl.combine_readings(kept, _reading(None, 1.0), RULES, THRESHOLD) == kept


# --- the rules as data -----------------------------------------------------------------


def _rules_yaml() -> dict[str, object]:
    return yaml.safe_load((RULES_DIR / "plausibility.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["characters"].update({"cjk": [[0.2, 0.0], [1.0, 1.0]]}), "0.0"),
        (lambda d: d["characters"].update({"digit": [[0, 0.9], [0.5, 0.1], [1, 1]]}), "weaker"),
        (lambda d: d["characters"].update({"latin": [[0, 0], [0, 0.5], [1, 1]]}), "increase"),
        (lambda d: d["characters"].pop("other"), "other"),
        (lambda d: d["factors"].update({"near_miss": 1.5}), "near_miss"),
        (lambda d: d["date_ranges"].update({"founded": ["2022-01-01", "2000-01-01"]}), "founded"),
        (lambda d: d.update({"near_miss_min_length": 1}), "near_miss_min_length"),
        (lambda d: d.update({"unknown_key": 1}), "unknown_key"),
        (lambda d: d["vocabulary"].update({"common_fields": ["address"]}), "address"),
    ],
)  # fmt: skip
def test_a_malformed_rules_file_fails_at_load_naming_the_key(
    tmp_path: Path, change: object, complaint: str
) -> None:
    data = _rules_yaml()
    change(data)  # type: ignore[operator]
    path = tmp_path / "plausibility.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=complaint):
        load_yaml(path, PlausibilityRules)


def test_every_factor_alone_flags_a_sure_reading() -> None:
    for factor in (RULES.factors.unparsed, RULES.factors.near_miss, RULES.factors.out_of_range):
        assert factor < THRESHOLD
    assert RULES.agreement.disagreement_cap < THRESHOLD


def test_choices_of_a_template_are_checked_like_the_campaigns() -> None:
    options = (Choice(name="企业型", aliases=("企业型创新中心",)), Choice(name="院所型"))
    assert pl.choice_near_miss("企业形", options, NORMALIZE) == "企业型"


def test_a_document_number_from_a_known_issuer_or_another_is_no_near_miss() -> None:
    for number in ("黔工信科技〔2020〕53号", "工信部科〔2019〕12号"):
        got = _plausibility("doc_no", FieldType.DOC_NUMBER, number, number, True)
        assert not got.doubts


def test_a_pilot_approval_not_of_its_issuer_does_not_read_as_one() -> None:
    # 黔工 of 黔工信科技〔2020〕8号 under a grey seal on a 1-bit copy, read sure (tuned
    # bw-copy-glyph-check, s18-all C031, session 19); the pilot approval is always the
    # province's department's, so another issuer's number is for a reviewer too
    for number in ("信科技〔2020〕8号", "工信部科〔2019〕12号"):
        got = _plausibility("pilot_approval_no", FieldType.DOC_NUMBER, number, number, True)
        assert [d.cue for d in got.doubts] == [Doubt.UNPARSED], number
    number = "黔工信科技〔2020〕8号"
    assert not _plausibility("pilot_approval_no", FieldType.DOC_NUMBER, number, number, True).doubts


def test_a_single_character_does_not_read_as_a_person_s_name() -> None:
    # 明 of 冯明 on a 1-bit scan, read sure (tuned bw-sideways, session 14)
    got = _plausibility("legal_rep", FieldType.PERSON_NAME, "明", "明", True)
    assert [d.cue for d in got.doubts] == [Doubt.UNPARSED]
    assert _plausibility("legal_rep", FieldType.PERSON_NAME, "冯明", "冯明", True).doubts == ()


def test_a_centre_name_one_look_alike_from_a_common_word_goes_to_review() -> None:
    # 贵州省自酒智能酿造… read sure on the cover and in the table alike for 白酒 (tuned
    # bw-black-circle-holes, s18-all P072, session 19): 自 makes no word beside 省 or 酒
    def judged(name: str, key: str = "center_name") -> list[tuple[Doubt, str]]:
        got = pl.plausibility(
            key, FieldType.TEXT, name, name, parsed=True, gaz=gazetteer(ALL), rules=RULES,
            normalize=NORMALIZE, vocabulary=vocabulary(ALL),
        )  # fmt: skip
        return [(d.cue, d.detail) for d in got.doubts]

    assert judged("贵州省自酒智能酿造制造业创新中心") == [(Doubt.NEAR_WORD, "白酒")]
    for right in (
        "贵州省白酒智能酿造制造业创新中心",
        "贵州省工业固废综合利用制造业创新中心",  # 固废 is no word, nor is 国废 or 业国
        "贵州省精细磷化工制造业创新中心",
    ):
        assert judged(right) == [], right
    # only the fields whose names are common words: an address's places are not
    assert judged("贵州省自酒智能酿造制造业创新中心", key="lead_org") == []


def test_a_character_making_a_word_with_a_neighbour_is_not_doubted() -> None:
    words = Vocabulary(look_alikes={"自": ("白",), "白": ("自",)}, words={"白酒": 248, "自动": 900},
                       min_frequency=50)  # fmt: skip
    assert pl.word_near_miss("自酒", words) == "白酒"
    assert pl.word_near_miss("自动酒", words) is None  # 自 makes 自动
    rare = Vocabulary(look_alikes=words.look_alikes, words={"白酒": 3}, min_frequency=50)
    assert pl.word_near_miss("自酒", rare) is None  # too rare a word to stand against it


def test_a_platform_s_name_holds_common_words_only() -> None:
    """省级技术创新小范企业 read at 0.98 on a 1-bit page for 示范 (its top strokes broken
    off; tuned bw-black-circle-holes, s20-all P076): 小范 is a word, but a rare one (3), and
    a platform's name holds no proper name for it to be part of."""
    words = Vocabulary(look_alikes={"小": ("示",), "示": ("小",)},
                       words={"示范": 981, "小范": 3, "创新": 4681}, min_frequency=50)  # fmt: skip
    assert pl.word_near_miss("创新小范", words) is None  # a centre's name may hold 小范
    assert pl.word_near_miss("创新小范", words, common=True) == "示范"
    assert pl.word_near_miss("创新示范", words, common=True) is None

    def judged(key: str, name: str) -> list[tuple[Doubt, str]]:
        got = pl.plausibility(
            key, FieldType.NAME_LIST, name, [name], parsed=True, gaz=gazetteer(ALL), rules=RULES,
            normalize=NORMALIZE, vocabulary=vocabulary(ALL),
        )  # fmt: skip
        return [(d.cue, d.detail) for d in got.doubts]

    assert judged("platforms", "省级技术创新小范企业") == [(Doubt.NEAR_WORD, "示范")]
    for right in (
        "省级技术创新示范企业",
        "国家地方联合工程研究中心",
        "省级企业技术中心",
        "省级重点实验室",
        "省级工业设计中心",
        "省级工程技术研究中心",
        "国家级专精特新小巨人企业",
        "博士后科研工作站",
    ):
        assert judged("platforms", right) == [], right


def test_a_person_s_name_in_latin_letters_does_not_read_as_a_name() -> None:
    # 王玉兰 read EE on a 1-bit cover, sure (tuned bw-sideways, s18-all P054, session 19)
    for read in ("EE", "王E兰", "王玉1"):
        got = _plausibility("contact", FieldType.PERSON_NAME, read, read, True)
        assert [d.cue for d in got.doubts] == [Doubt.UNPARSED], read
    for name in ("王玉兰", "阿不都·热合曼", "阿不都・热合曼"):
        assert _plausibility("contact", FieldType.PERSON_NAME, name, name, True).doubts == ()


def test_an_address_whose_at_was_misread_is_doubted_and_an_invalid_one_is_kept() -> None:
    # the e-mail normaliser keeps any text: the reading counts as parsed
    got = _plausibility("email", FieldType.EMAIL, "zhou778a126.com", "zhou778a126.com", True)
    assert [(d.cue, d.detail) for d in got.doubts] == [(Doubt.UNPARSED, "@")]
    # no character in the @'s place makes it an address: kept as read (FIELD_INVALID)
    assert _plausibility("email", FieldType.EMAIL, "zhou778", "zhou778", True).doubts == ()
    assert (
        _plausibility("email", FieldType.EMAIL, "zhou@126.com", "zhou@126.com", True).doubts == ()
    )


def test_a_letter_beside_an_e_mail_s_digits_that_a_digit_looks_like_is_doubted() -> None:
    # he142 read hel42 at 0.999 (tuned pen-circle-strike, session 14)
    got = _plausibility("email", FieldType.EMAIL, "hel42@qq.com", "hel42@qq.com", True)
    assert [(d.cue, d.detail) for d in got.doubts] == [(Doubt.CHARACTER, "l")]
    for right in ("he142@qq.com", "liu42@qq.com", "zhao1988@163.com", "lily@126.com"):
        assert _plausibility("email", FieldType.EMAIL, right, right, True).doubts == ()


@pytest.mark.parametrize(
    ("read", "near"),
    [
        ("黔南工业和信息化局", "黔南州工业和信息化局"),  # 州 lost under the seal: 黔南 is a place
        ("安顺理工业和信息化局", "安顺市工业和信息化局"),
        ("贵阳市工业和信息化局", None),  # an authority of the campaign
        ("黔南布依族苗族自治州工业和信息化局", None),  # its long form
        ("贵阳市白云区工业和信息化局", None),  # another's, not a misread of one
    ],
)
def test_a_recommender_near_an_authority_but_not_it_goes_to_review(
    read: str, near: str | None
) -> None:
    doubts = _plausibility("recommender", FieldType.ORG_NAME, read, read, True).doubts or ()
    got = [d.detail for d in doubts if d.cue is Doubt.NEAR_CHOICE]
    assert got == ([near] if near else [])


GAZ = gazetteer(ALL)


@pytest.mark.parametrize(
    ("read", "fitted", "alone"),
    [
        ("黔西州工业和信息化局", "黔西南州工业和信息化局", True),  # 南 lost under the seal
        ("铜市工业和信息化局", "铜仁市工业和信息化局", True),
        ("义市工业和信息化局", "遵义市工业和信息化局", True),  # its start lost
        ("东南州工业和信息化局", "黔东南州工业和信息化局", True),
        # one lost of 黔南州…, two of 黔东南州… and 黔西南州…: proposed, not alone
        ("黔南州业和信息化局", "黔南州工业和信息化局", False),
        ("市工业和信息化局", None, False),  # two lost of six cities' authorities
        ("贵阳市工业和信息化局", None, False),  # an authority read whole: judged as before
        ("罗西南州工业和信息化局", None, False),  # a character misread, not lost
        ("毕书工业息化局", None, False),
        ("有色贵安新区经发展局", None, False),  # another field's words run in
    ],
)
def test_a_reading_that_lost_characters_of_one_authority_is_it(
    read: str, fitted: str | None, alone: bool
) -> None:
    assert pl.fitted_authority(read, GAZ, RULES) == fitted
    if fitted is not None:
        assert pl.fitted_alone(read, fitted, GAZ, RULES) is alone


@pytest.mark.parametrize(
    ("read", "name", "whole"),
    [
        ("贵阳市业和信息化局", "贵阳市工业和信息化局", True),
        ("黔东南州工业和息化局", "黔东南州工业和信息化局", True),
        ("黔东南工业和信息化局", "黔东南州工业和信息化局", False),  # 州 of its place lost
        ("铜市工业和信息化局", "铜仁市工业和信息化局", False),
        ("黔西州工业和信息化局", "黔西南州工业和信息化局", False),
        ("贵安新区经济发局", "贵安新区经济发展局", False),  # no ending shared but 局
    ],
)
def test_an_authority_s_place_is_read_whole_when_it_tells_it_from_the_others(
    read: str, name: str, whole: bool
) -> None:
    assert pl.place_read_whole(read, name, GAZ) is whole


@pytest.mark.parametrize(
    ("read", "name", "lettering", "agrees"),
    [
        ("黔西州工业和信息化局", "黔西南州工业和信息化局", "南州工信化局", True),  # shows 南
        ("铜市工业和信息化局", "铜仁市工业和信息化局", "铜仁工业和信息化制", True),
        ("义市工业和信息化局", "遵义市工业和信息化局", "遵义工业信息他", True),
        ("义市工业和信息化局", "遵义市工业和信息化局", "兴义市工业和信息化局", False),  # no 遵
        ("黔西州工业和信息化局", "黔西南州工业和信息化局", "贵安新区经济发局", False),
        ("铜市工业和信息化局", "铜仁市工业和信息化局", "息自仁味出工市进半", False),  # a garble
        ("黔西州工业和信息化局", "黔西南州工业和信息化局", "", False),
    ],
)
def test_a_seal_s_lettering_agrees_when_it_shows_what_the_reading_lost(
    read: str, name: str, lettering: str, agrees: bool
) -> None:
    assert pl.lettering_agrees(read, name, lettering, GAZ, RULES) is agrees


def test_a_reading_several_authorities_hold_with_two_lost_fits_each_of_them() -> None:
    got = pl.fitting_authorities("市工业和信息化局", GAZ, RULES)
    assert set(got) == {f"{c}市工业和信息化局" for c in ("贵阳", "遵义", "安顺", "毕节", "铜仁")}
    got = pl.fitting_authorities("黔南州业和信息化局", GAZ, RULES)
    assert set(got) == {f"{p}州工业和信息化局" for p in ("黔南", "黔东南", "黔西南")}


def test_a_reading_differing_only_in_the_forms_fixed_start_leaves_the_other_sure() -> None:
    """The centre's name read on the cover with 贵州省 under a seal (有精细…, 省辣椒…,
    贵州贵州省… with the seal's lettering before it): the table's reading, of the form
    贵州省…制造业创新中心, is not sent to review for it; a difference elsewhere still is."""
    kept = _reading("贵州省精细磷化工制造业创新中心", 0.99)
    for cover in (
        "有精细磷化工制造业创新中心",
        "省精细磷化工制造业创新中心",
        "贵州贵州省精细磷化工制造业创新中心",
    ):
        got = pl.combine_readings(kept, _reading(cover, 0.95), RULES, THRESHOLD, "center_name")
        assert got.confidence == 0.99, cover
    for cover in ("贵州省精细磷化制造业创新中心", "细磷化工制造业创新中心"):  # mid; 4 lost
        got = pl.combine_readings(kept, _reading(cover, 0.95), RULES, THRESHOLD, "center_name")
        assert got.confidence < THRESHOLD, cover
    # another field, or the kept reading not of the form: as before
    got = pl.combine_readings(kept, _reading("有精细磷化工制造业创新中心", 0.95), RULES, THRESHOLD)
    assert got.confidence < THRESHOLD
    odd = _reading("精细磷化工制造业创新中心", 0.99)
    got = pl.combine_readings(
        odd, _reading("有精细磷化工制造业创新中心", 0.95), RULES, THRESHOLD, "center_name"
    )
    assert got.confidence < THRESHOLD
    assert pl.fits_form("center_name", "贵州省精细磷化工制造业创新中心", RULES)
    assert not pl.fits_form("center_name", "有精细磷化工制造业创新中心", RULES)
    assert pl.fits_form("lead_org", "任何名称", RULES)


@pytest.mark.parametrize(
    ("key", "text", "completed"),
    [
        ("apply_date", "022年7月16日", ("2022-07-16", "2022年7月16日")),
        ("apply_date", "22年7月22日", ("2022-07-22", "2022年7月22日")),
        ("recommend_date", "20226月16", ("2022-06-16", "2022年6月16日")),  # 年 lost, day whole
        ("recommend_date", "2022無7月25日", ("2022-07-25", "2022年7月25日")),  # 年 misread
        ("recommend_date", "2022年7月1", None),  # a day without its 日, one digit: cut?
        ("recommend_date", "21年7月22日", None),  # not the call's year's end
        ("recommend_date", "2022年13月2日", None),  # no such date
        ("recommend_date", "2022年7月", None),  # no day
        ("founded", "22年7月22日", None),  # a range of many years: nothing to complete from
    ],
)
def test_a_date_read_in_part_is_completed_by_its_structure(
    key: str, text: str, completed: tuple[str, str] | None
) -> None:
    assert pl.completed_date(key, text, RULES, NORMALIZE) == completed


@pytest.mark.parametrize("name", ["冯明", "欧阳娜", "阿不都·热合曼", "覃雪梅", "龙泽宇"])
def test_a_name_beginning_with_a_surname_is_not_doubted_for_it(name: str) -> None:
    assert _plausibility("contact", FieldType.PERSON_NAME, name, name, True).doubts == ()


def test_the_surname_list_is_read_without_the_yaml_folds() -> None:
    assert " " not in RULES.surnames and "王" in RULES.surnames
    assert len(set(RULES.surnames)) == len(RULES.surnames)
