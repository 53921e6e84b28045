"""extract(): how readings of one field on several pages are chosen between."""

from __future__ import annotations

from extractors.fields import extract
from pipeline.model import Submission
from tests.readers import SAMPLES, read_electronic
from tests.rulebook import RULES

CAMPAIGN = RULES.campaign


def _without_cover_value(submission: Submission, value: str) -> Submission:
    """The submission with the cover's line carrying ``value`` gone (hidden by a seal)."""
    cover, *rest = submission.pages
    lines = tuple(line for line in cover.lines if line.text != value)
    assert len(lines) == len(cover.lines) - 1
    return submission.model_copy(
        update={"pages": (cover.model_copy(update={"lines": lines}), *rest)}
    )


def test_a_blank_cover_reading_does_not_hide_the_tables_value() -> None:
    submission = read_electronic(SAMPLES / "electronic" / "P001.pdf")
    name = extract(submission, RULES).fields["center_name"]
    assert name.page == 1 and name.value  # the cover is read first, the table agrees

    hidden = extract(_without_cover_value(submission, str(name.value)), RULES)

    assert hidden.fields["center_name"].value == name.value
    assert hidden.fields["center_name"].page == 3
    assert not [f for f in hidden.findings if f.field == "center_name"]
