"""The YAML data: the shipped files load, and malformed ones fail naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import load_template
from pipeline.errors import ConfigError, TemplateError
from pipeline.model import Annex
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.rulebook import RULES, rules_folder


def test_shipped_templates_cover_both_annexes_with_their_seal_slots() -> None:
    templates = RULES.templates
    assert set(templates) == {Annex.PILOT, Annex.CERTIFICATION}
    for template in templates.values():
        slots = {s.id for s in template.seal_slots}
        assert slots == {
            "lead_org_cover",
            "recommender_cover",
            "lead_org_commitment",
            "recommender_opinion",
        }
        assert template.pages[0].id == "cover"
    pilot = templates[Annex.PILOT]
    assert [s.heading for s in pilot.sections if s.parent == "plan"] == [
        "（一）领域现状与发展需求",
        "（二）定位与建设目标",
        "（三）重点研究方向与共性关键技术",
        "（四）组建方案与运行机制",
        "（五）建设内容与进度安排",
        "（六）投资预算与资金来源",
        "（七）预期成果与考核指标",
    ]
    kpis = templates[Annex.CERTIFICATION].table("kpis")
    assert len(kpis.rows) == 7


def test_every_basic_info_label_of_forms_md_is_in_the_pilot_template() -> None:
    pilot = RULES.templates[Annex.PILOT]
    labels = {pilot.field(k).label for k in pilot.page("basic_info").fields}
    assert {
        "统一社会信用代码",
        "隶属关系",
        "所在市（州）",
        "研发投入占营业收入比重（%）",
        "其中：自筹资金（万元）",
        "电子邮箱",
    } <= labels
    assert len(labels) == 21


def test_campaign_localities_and_exemptions() -> None:
    campaign = RULES.campaign
    assert len(campaign.localities) == 10
    assert campaign.locality("黔东南苗族侗族自治州").authority == "黔东南州工业和信息化局"
    assert campaign.locality("贵安新区").authority == "贵安新区经济发展局"
    assert set(campaign.exempt_affiliations) == {"省属企业", "中央在黔企业"}
    assert len(campaign.domains) == 12
    assert campaign.online_deadline.isoformat() == "2022-07-29T23:59:59+08:00"


def test_export_mapping_follows_forms_md_order() -> None:
    mapping = RULES.export_columns
    assert mapping.columns[0].header == "申报编号"
    assert mapping.columns[-1].key == "submitted_at"
    assert len(mapping.columns) == 27


def _broken_copy(tmp_path: Path, edit: callable) -> Path:  # type: ignore[valid-type]
    data = yaml.safe_load((RULES_DIR / "templates" / "pilot.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "names"),
    [
        (lambda d: d["fields"][7].update(type="telephone"), "fields.7.type"),
        (lambda d: d["fields"][0].update(colour="red"), "fields.0.colour"),
        (lambda d: d["seal_slots"][0].update(page="back_cover"), "seal_slots.lead_org_cover.page"),
        (lambda d: d["pages"][2]["fields"].append("turnover"), "pages.basic_info.fields"),
        (lambda d: d.pop("opinion"), "opinion"),
        (lambda d: d["fields"].append(dict(d["fields"][0])), "fields: 'center_name' appears twice"),
    ],
)
def test_a_malformed_template_names_the_file_and_the_key(
    tmp_path: Path, edit: object, names: str
) -> None:
    path = _broken_copy(tmp_path, edit)  # type: ignore[arg-type]
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(path) in str(caught.value)
    assert names in str(caught.value)


def test_invalid_yaml_and_missing_files_are_config_errors(tmp_path: Path) -> None:
    bad = rules_folder(tmp_path / "a", {"campaign.yaml": "name: [unclosed"})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rules(bad)
    absent = rules_folder(tmp_path / "b")
    (absent / "campaign.yaml").unlink()
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(absent)


def test_an_exemption_that_is_not_an_affiliation_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((RULES_DIR / "campaign.yaml").read_text(encoding="utf-8"))
    data["exempt_affiliations"].append("外资企业")
    with pytest.raises(ConfigError, match="exempt_affiliations: '外资企业' is not defined"):
        load_rules(rules_folder(tmp_path, {"campaign.yaml": data}))
