"""The committed JSON schemas of the stored documents, generated from the models.

``python -m pipeline.schema`` writes ``schemas/*.schema.json``; with ``--check``
it only reports which committed files have drifted from the models (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from pipeline.decision import Decision
from pipeline.model import Manifest, Report

SCHEMAS: dict[str, type[BaseModel]] = {
    "report.schema.json": Report,
    "manifest.schema.json": Manifest,
    "decision.schema.json": Decision,
}
DEFAULT_DIR = Path("schemas")
REGENERATE = "python -m pipeline.schema"


def schema_of(model: type[BaseModel]) -> dict[str, object]:
    """The JSON schema of a stored document, keys as they are stored (by alias)."""
    return model.model_json_schema(by_alias=True)


def render(model: type[BaseModel]) -> str:
    """The schema as committed: readable Chinese, sorted keys, indented."""
    return json.dumps(schema_of(model), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def write(directory: Path = DEFAULT_DIR) -> list[Path]:
    """Write every schema into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = directory / name
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


def drifted(directory: Path = DEFAULT_DIR) -> list[str]:
    """Names of the committed schemas that are missing or differ from the models."""
    stale = []
    for name, model in SCHEMAS.items():
        path = directory / name
        try:
            committed = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stale.append(name)
            continue
        if committed != schema_of(model):
            stale.append(name)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="schema folder")
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    options = parser.parse_args(argv)
    if options.check:
        stale = drifted(options.out)
        for name in stale:
            sys.stderr.write(f"{options.out / name} is out of date: run {REGENERATE}\n")
        return 1 if stale else 0
    for path in write(options.out):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
