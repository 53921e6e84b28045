"""Two paper copies of one applicant's form compared (COPIES_DIFFER, FORMS.md §1: 1式2份).

``matching.copy_groups`` finds the copies in a batch; here each copy is compared with every
other copy of its group, field by field, with the notion of "same meaning" paper and
online share (``compare.difference``): full/half width, separators, date styles, list
order and the like are not differences; a changed digit, a unit slip, another name, a
member on one copy only, a value on one copy only are.

A field is compared only where both copies read it sure (an unsure reading carries
FIELD_LOW_CONFIDENCE already and decides nothing). Each copy gets its own finding, with its
own reading as the evidence (``paper``, ``page``, ``bbox``) and the other copy named in the
message and in ``key`` (the other submission's id).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.model import Finding, FindingCode, Submission
from validators.compare import (
    compared_fields,
    describe,
    difference,
    label_and_unit,
    paper_value,
)
from validators.registry import Context


def copies_differ(copies: Sequence[Submission], context: Context) -> dict[str, list[Finding]]:
    """COPIES_DIFFER per copy (by submission id) for a group of copies of one form."""
    return {
        one.id: [
            f for other in copies if other is not one for f in _differences(one, other, context)
        ]
        for one in copies
    }


def _differences(one: Submission, other: Submission, context: Context) -> list[Finding]:
    """``one``'s findings against ``other``: each with ``one``'s reading as evidence."""
    template = context.template(one)
    if template is None or other.annex is not one.annex:
        return []
    rules = context.rules.compare
    out = []
    for spec in compared_fields(template, context):
        if spec.key in rules.skip:
            continue
        mine, theirs = context.sure(one, spec.key), context.sure(other, spec.key)
        if mine is None or theirs is None:
            continue
        found = difference(
            spec.key,
            spec.type,
            paper_value(spec.type, mine, context),
            paper_value(spec.type, theirs, context),
            rules,
            context.normalize_org,
        )
        if found is None:
            continue
        name, unit = label_and_unit(spec.label, spec.type, rules)
        sides = ("本份纸质材料", f"另一份纸质材料（{other.source.file} 第{theirs.page}页）")
        out.append(
            Finding.of(
                FindingCode.COPIES_DIFFER,
                describe(found, name, unit, rules, sides=sides),
                field=spec.key,
                key=other.id,
                paper=found.a,
                page=mine.page,
                bbox=mine.bbox,
            )
        )
    return out
