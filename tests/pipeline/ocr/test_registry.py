"""Engines by registry: a kind names a factory, an unknown kind names the known ones, the
optional engine loads only when chosen, and the OCR modules import no one in a loop."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

import pipeline.ocr
from pipeline.errors import ConfigError, UnknownEngineError
from pipeline.ocr.engine import EngineKind, OcrSettings
from pipeline.ocr.registry import ENGINES, create_engine, engine_factory

OCR_PACKAGE = Path(pipeline.ocr.__file__).parent


def test_every_kind_the_settings_accept_has_a_factory_and_no_other() -> None:
    assert set(ENGINES) == set(get_args(EngineKind))
    for kind in ENGINES:
        assert OcrSettings.model_validate({"kind": kind}).kind == kind
    with pytest.raises(ValidationError):
        OcrSettings.model_validate({"kind": "tesseract"})


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(UnknownEngineError) as raised:
        engine_factory("tesseract")
    message = str(raised.value)
    assert "'tesseract'" in message
    assert all(kind in message for kind in ("rapidocr", "paddleocr", "replay"))
    assert isinstance(raised.value, ConfigError) and not raised.value.retryable


def test_settings_changed_around_validation_still_meet_the_registry() -> None:
    unchecked = OcrSettings().model_copy(update={"kind": "tesseract"})
    with pytest.raises(UnknownEngineError, match="known kinds: rapidocr, paddleocr, replay"):
        create_engine(unchecked)


def test_the_optional_engine_is_imported_only_when_chosen() -> None:
    code = (
        "import sys\n"
        "from pipeline.ocr.cache import cached_engine\n"
        "from pipeline.ocr.engine import OcrSettings\n"
        "from pipeline.ocr.registry import create_engine\n"
        "create_engine(OcrSettings())\n"
        "assert 'pipeline.ocr.paddle' not in sys.modules, 'paddle imported'\n"
        "assert 'pipeline.ocr.replay' not in sys.modules, 'replay imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _ocr_imports(path: Path) -> set[str]:
    """The ``pipeline.ocr`` modules a module imports, at its top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n.removeprefix("pipeline.ocr.") for n in names if n.startswith("pipeline.ocr.")}


def test_no_ocr_module_imports_one_that_imports_it_back() -> None:
    modules = {p.stem for p in OCR_PACKAGE.glob("*.py") if p.stem != "__init__"}
    imports = {m: _ocr_imports(OCR_PACKAGE / f"{m}.py") & modules for m in modules}
    assert "registry" in imports["cache"]  # the walk sees the imports it must

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for name in imports[start] - seen:
            seen.add(name)
            if name == goal or reaches(name, goal, seen):
                return True
        return False

    loops = sorted(m for m in modules if reaches(m, m, set()))
    assert loops == [], f"OCR modules in an import loop: {loops}"
