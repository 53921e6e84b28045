"""``report.json`` checked against the report schema before it is written.

The schema is ``schemas/report.schema.json``; the test suite keeps that file equal to the
``Report`` model's schema (``tests/pipeline/test_report_schema.py``), so it is generated
from the model here, which also works where the package is installed without the
repository's ``schemas/`` folder.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, cast

from jsonschema import Draft202012Validator

from pipeline.errors import PipelineError
from pipeline.model import Report
from pipeline.schema import schema_of


class InvalidReportError(PipelineError):
    """A report does not conform to ``shenbao.report/1``: a bug, never retried."""


@cache
def _validator() -> Draft202012Validator:
    schema = schema_of(Report)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def check_report_json(data: bytes) -> dict[str, Any]:
    """The stored bytes of a report, parsed and validated against the report schema.

    Raises:
        InvalidReportError: the bytes are not JSON or break the schema (every violation
            is listed, each with its path in the document).
    """
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise InvalidReportError(f"report.json is not JSON: {exc}") from exc
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        problems = "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]
        )
        raise InvalidReportError(
            f"report {document.get('submission_id', '?')!r} breaks the report schema: {problems}"
        )
    return cast("dict[str, Any]", document)
