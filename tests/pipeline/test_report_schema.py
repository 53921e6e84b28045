"""The committed JSON schemas are what the models say: a drift fails with the remedy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(schema.SCHEMAS))
def test_committed_schema_matches_the_model(name: str) -> None:
    path = SCHEMA_DIR / name
    assert path.is_file(), f"{path} is missing: run `{schema.REGENERATE}` and commit it"
    committed = json.loads(path.read_text(encoding="utf-8"))
    expected = schema.schema_of(schema.SCHEMAS[name])
    assert committed == expected, (
        f"{path} has drifted from the {schema.SCHEMAS[name].__name__} model: run "
        f"`{schema.REGENERATE}`, review the diff and commit it"
    )


def test_report_schema_names_its_version() -> None:
    report = schema.schema_of(schema.SCHEMAS["report.schema.json"])
    assert report["properties"]["schema"]["const"] == "shenbao.report/1"
    assert "schema_" not in report["properties"]


def test_check_reports_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main(["--out", str(tmp_path), "--check"]) == 1
    assert "report.schema.json is out of date" in capsys.readouterr().err
    assert schema.main(["--out", str(tmp_path)]) == 0
    assert schema.main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "manifest.schema.json").write_text("{}", encoding="utf-8")
    assert schema.drifted(tmp_path) == ["manifest.schema.json"]
