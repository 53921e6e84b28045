"""A copy of the shipped rules folder with one file changed: for tests of a refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from pipeline.rulebook import load_rules
from rules import RULES_DIR


def rules_folder(tmp_path: Path, changed: dict[str, object] | None = None) -> Path:
    """The shipped rules under ``tmp_path``, each file named in ``changed`` replaced by its
    content (text as is, anything else written as YAML)."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name, content in (changed or {}).items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


RULES = load_rules(RULES_DIR)
"""The shipped rules, loaded once for the tests (the ``rules`` fixture is the same)."""
