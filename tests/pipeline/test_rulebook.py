"""The rules as one object: every file of a folder validated once, and against each other."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, TemplateError
from pipeline.model import Annex
from pipeline.rulebook import PAGE_READING_FILES, RULE_FILES, Rules, load_rules
from rules import RULES_DIR
from tests.rulebook import rules_folder


def test_the_shipped_rules_load_whole(rules: Rules) -> None:
    assert set(rules.templates) == {Annex.PILOT, Annex.CERTIFICATION}
    assert 0.0 < rules.review.review_threshold < 1.0
    assert set(RULE_FILES) | {"templates", "page_reading_digest"} == set(Rules.model_fields)
    shipped = {p.name for p in RULES_DIR.glob("*.yaml")}
    assert shipped == {name for name, _ in RULE_FILES.values()}


def test_the_page_reading_digest_is_of_the_files_bytes(rules: Rules) -> None:
    digest = hashlib.sha256()
    for name in PAGE_READING_FILES:
        digest.update(hashlib.sha256((RULES_DIR / name).read_bytes()).digest())
    assert rules.page_reading_digest == digest.hexdigest()[:16]


def test_editing_a_page_reading_file_changes_the_digest(tmp_path: Path, rules: Rules) -> None:
    folder = rules_folder(tmp_path)
    path = folder / "tick_boxes.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_rules(folder).page_reading_digest != rules.page_reading_digest


def test_a_missing_file_fails_naming_it(tmp_path: Path) -> None:
    folder = rules_folder(tmp_path)
    (folder / "compare.yaml").unlink()
    with pytest.raises(ConfigError, match=r"compare\.yaml: cannot read"):
        load_rules(folder)


def test_a_malformed_file_fails_naming_the_file_and_key(tmp_path: Path) -> None:
    folder = rules_folder(tmp_path)
    path = folder / "review.yaml"
    path.write_text("review_threshold: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"review\.yaml: review_threshold"):
        load_rules(folder)


def test_a_malformed_template_fails_as_a_template(tmp_path: Path) -> None:
    folder = rules_folder(tmp_path)
    (folder / "templates" / "pilot.yaml").write_text("annex: 9\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"pilot\.yaml"):
        load_rules(folder)


def test_tick_confidences_are_checked_against_the_review_threshold(tmp_path: Path) -> None:
    folder = rules_folder(tmp_path)
    (folder / "review.yaml").write_text("review_threshold: 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ticks\.yaml: confidence\.\w+: must be below"):
        load_rules(folder)
