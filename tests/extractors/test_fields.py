"""Fields read by geometry off the electronic copies, against the corpus truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from shenbao.bench.extract import same_value as _same
from shenbao.extractors.fields import extract
from shenbao.pipeline.config import ReadMethod, load_campaign
from shenbao.pipeline.model import SourceKind
from shenbao.samples.generator.truth import Truth
from tests.readers import SAMPLES, TEMPLATES, read_electronic

CAMPAIGN = load_campaign()
TRUTHS = sorted((SAMPLES / "truth").glob("[PC]*.json"))


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_every_field_read_off_electronic_copies_is_the_truth(
    truth_file: Path, kind: SourceKind
) -> None:
    truth = Truth.model_validate_json(truth_file.read_text(encoding="utf-8"))
    source = next(s for s in truth.sources if s.kind is kind)
    fields = extract(read_electronic(SAMPLES / source.file), TEMPLATES, CAMPAIGN).fields
    template = TEMPLATES[truth.annex]
    expected = {
        f.key
        for p in template.pages
        for f in map(template.field, p.fields)
        if f.method is not ReadMethod.CHECKBOX
    }
    wrong = {
        k: (fields[k].value, source.fields[k].value)
        for k in expected & set(fields)
        if not _same(fields[k].value, source.fields[k].value)
    }
    assert not wrong
    unread = {k for k in expected - set(fields) if source.fields[k].value not in (None, [])}
    assert not unread
    for key, field in fields.items():
        assert field.page is not None and field.bbox is not None, key
        assert field.confidence == 1.0, key  # text layers and DOCX are read exactly
