"""The spaCy zh pipeline: entities and opinion phrases from the rules, rules checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from extractors import nlp
from extractors.nlp import Stance
from extractors.normalize import normalizer
from pipeline.config import load_yaml
from pipeline.errors import ConfigError
from pipeline.rulebook import load_rules
from pipeline.rulebook.nlp import MatcherRules
from rules import RULES_DIR
from tests.rulebook import RULES, rules_folder


@pytest.fixture(scope="module")
def pipeline() -> nlp.Pipeline:
    return nlp.pipeline(RULES)


def _labelled(text: str, pipeline: nlp.Pipeline) -> list[tuple[str, str]]:
    return [(e.label, e.text) for e in nlp.entities(text, pipeline)]


def test_the_pipeline_is_built_once_per_process(pipeline: nlp.Pipeline) -> None:
    assert nlp.pipeline(RULES) is pipeline
    assert pipeline.nlp.lang == "zh"
    assert pipeline.nlp.tokenizer.segmenter == "jieba"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        "贵州黔源建材有限责任公司",
        "毕节黔峰冶金科技股份有限公司",
        "黔西南乌江智能装备研究院",
        "贵安新区湄潭农产品开发研究院有限公司",
        "贵州大学",
        "六盘水市工业和信息化局",
        "黔东南苗族侗族自治州工业和信息化局",
    ],
)
def test_organisations_are_found_by_their_suffix(name: str, pipeline: nlp.Pipeline) -> None:
    assert _labelled(name, pipeline) == [("ORG", name)]


def test_an_organisation_is_found_inside_a_sentence(pipeline: nlp.Pipeline) -> None:
    found = _labelled("牵头单位：贵州云岭药业有限公司，", pipeline)
    assert ("ORG", "贵州云岭药业有限公司") in [
        (label, text.split("：")[-1]) for label, text in found
    ]


def test_every_locality_of_the_campaign_and_the_province_are_places(
    pipeline: nlp.Pipeline,
) -> None:
    for loc in RULES.campaign.localities:
        for name in (loc.city, *loc.aliases):
            assert _labelled(name, pipeline) == [("GPE", name)], name
    assert _labelled("贵州省", pipeline) == [("GPE", "贵州省")]
    address = _labelled("贵州省贵阳市乌当区林城西路84号", pipeline)
    assert address[:2] == [("GPE", "贵州省"), ("GPE", "贵阳市")]


@pytest.mark.parametrize(
    ("text", "label", "span"),
    [
        ("2022年6月16日", "DATE", "2022年6月16日"),
        ("二〇二二年六月", "DATE", "二〇二二年六月"),
        ("2022-07-05", "DATE", "2022-07-05"),
        ("2022.7.5", "DATE", "2022.7.5"),
        ("123,456.78万元", "MONEY", "123,456.78万元"),
        ("人民币1234.5元", "MONEY", "人民币1234.5元"),
        ("壹佰贰拾叁万元整", "MONEY", "壹佰贰拾叁万元整"),
        ("5.23%", "PERCENT", "5.23%"),
        ("５.２３％", "PERCENT", "5.23%"),  # matched after NFKC
    ],
)
def test_dates_money_and_percentages_are_found_by_shape(
    text: str, label: str, span: str, pipeline: nlp.Pipeline
) -> None:
    assert _labelled(text, pipeline) == [(label, span)]


@pytest.mark.parametrize(
    ("opinion", "stance"),
    [
        ("经审核，该单位申报材料真实有效，符合申报条件，同意推荐。", Stance.FAVOURABLE),
        ("情况属实，予以推荐。", Stance.FAVOURABLE),
        ("同意 推荐", Stance.FAVOURABLE),
        ("经审核，不同意推荐。", Stance.UNFAVOURABLE),
        ("该单位不符合条件，不同意推荐", Stance.UNFAVOURABLE),
        ("材料不全，不予推荐。", Stance.UNFAVOURABLE),
        ("建议暂缓推荐", Stance.UNFAVOURABLE),
        ("材料不全，暂不推荐", Stance.UNFAVOURABLE),
        ("经研究，不同意。", Stance.UNFAVOURABLE),
        ("经审核，材料真实有效。", Stance.NONE),
        ("", Stance.NONE),
    ],
)
def test_the_recommendation_opinion_reads_with_its_negation(
    opinion: str, stance: Stance, pipeline: nlp.Pipeline
) -> None:
    assert nlp.recommendation_stance(opinion, pipeline) is stance


def test_a_negated_recommendation_is_not_also_a_favourable_one(pipeline: nlp.Pipeline) -> None:
    labels = {m.label for m in nlp.matches("经审核，不同意推荐。", pipeline)}
    assert labels == {"RECOMMEND_UNFAVOURABLE"}


def test_the_gazetteer_holds_localities_short_forms_and_the_province() -> None:
    gaz = nlp.gazetteer(RULES)
    assert {"贵州省", "贵州", "贵阳市", "贵阳", "黔西南州", "黔西南布依族苗族自治州"} <= set(
        gaz.places
    )
    assert "有限公司" in gaz.org_suffixes


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _entities_yaml() -> dict[str, object]:
    return yaml.safe_load((RULES_DIR / "entities.yaml").read_text(encoding="utf-8"))


def _matcher_yaml() -> dict[str, object]:
    return yaml.safe_load((RULES_DIR / "matcher.yaml").read_text(encoding="utf-8"))


def test_the_packaged_rules_load() -> None:
    rules = load_rules(RULES_DIR)
    assert rules.entities.org_suffixes
    assert "RECOMMEND_FAVOURABLE" in rules.matcher.patterns


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["patterns"]["DATE"][0][0].update({"TXET": "x"}), "TXET"),
        (lambda d: d["patterns"]["DATE"][0][0].update({"OP": "++"}), "OP"),
        (lambda d: d["patterns"]["MONEY"][0][0].update({"TEXT": {"REGEX": "("}}), "REGEX"),
        (lambda d: d["patterns"]["MONEY"][0][0].update({"TEXT": {"IN": [], "REGEX": "a"}}), "IN"),
        (lambda d: d["patterns"].update({"EVENT": [[{"TEXT": "x"}]]}), "EVENT"),
        (lambda d: d["patterns"].update({"DATE": [[]]}), "at least one token"),
        (lambda d: d.update({"org_suffixes": ["有限 公司"]}), "normalised"),
        (lambda d: d.update({"org_suffixes": []}), "org_suffixes"),
        (lambda d: d.pop("province"), "province"),
    ],
)
def test_a_malformed_entities_file_fails_at_load_naming_the_key(
    tmp_path: Path, change: object, complaint: str
) -> None:
    data = _entities_yaml()
    change(data)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=complaint):
        load_rules(rules_folder(tmp_path, {"entities.yaml": data}))


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["negated_by"].update({"RECOMMEND_FAVOURABLE": "NEGATION"}), "NEGATION"),
        (lambda d: d["patterns"].update({"lower_case": [[{"TEXT": "x"}]]}), "upper case"),
        (lambda d: d["patterns"]["RECOMMEND_FAVOURABLE"][0][0].update({"POS": "VERB"}), "POS"),
    ],
)
def test_a_malformed_matcher_file_fails_at_load_naming_the_key(
    tmp_path: Path, change: object, complaint: str
) -> None:
    data = _matcher_yaml()
    change(data)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=complaint):
        load_yaml(_write(tmp_path, data), MatcherRules)


def test_a_pipeline_builds_from_other_rules(tmp_path: Path) -> None:
    data = _matcher_yaml()
    data["patterns"] = {"THANKS": [[{"TEXT": "谢谢"}]]}
    data["negated_by"] = {}
    built = nlp.build_pipeline(
        RULES.entities,
        load_yaml(_write(tmp_path, data), MatcherRules),
        nlp.gazetteer(RULES),
        normalizer(RULES),
    )
    assert [m.label for m in nlp.matches("非常谢谢", built)] == ["THANKS"]
    assert nlp.recommendation_stance("同意推荐", built) is Stance.NONE
