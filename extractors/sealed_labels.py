"""A label a seal hid the end of: the start the OCR read, and a seal where the rest is.

On a greyscale or 1-bit copy a seal's ring and lettering are as dark as the type, and a
seal stamped over a row of the cover hides what it covers: the OCR reads 组建 for 组 建 模 式,
申报日 for 申报日期, 所属产业领场 for 所属产业领域 (its last character under the ring). A
person reads the row's label all the same: the start is there, and the seal is where the
rest would be. Such a line is taken as the label when (``rules/plausibility.yaml``
``label_remnant``):

- it reads as the first ``min_chars`` or more characters of a variant of the label and no
  more than ``max_extra`` others (the ring's ink read as a character) — and is not the
  whole label (a whole label is found the ordinary way);
- no other field's label of the template begins as long alike (创新中心 begins both
  创新中心名称 and 创新中心类型: no one's label);
- a seal found on the page crosses the line's row and begins before the place the label's
  missing characters would end (at the line's own character pitch, spaced labels too),
  and ends right of the line (it hid the end, not the start).
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import Prefix

from extractors.normalize import Normalizer
from pipeline.model import Page, TextLine
from pipeline.rulebook.plausibility import LabelRemnantRules


def remnant_start(
    line: TextLine,
    variants: Iterable[str],
    others: Iterable[str],
    normalize: Normalizer,
    rules: LabelRemnantRules,
) -> tuple[int, int] | None:
    """(characters of the label read, characters of it missing) when the line reads as
    the start of one of ``variants`` (normalised) and of none of ``others`` as far."""
    separators = "".join(normalize.rules.label_separators)
    text = normalize.text(line.text).rstrip(separators)
    if not text:
        return None
    best: tuple[int, int] | None = None
    for variant in variants:
        start = Prefix.similarity(text, variant)
        if start < rules.min_chars or start >= len(variant):
            continue
        if len(text) - start > rules.max_extra:
            continue
        if best is None or start > best[0]:
            best = (start, len(variant) - start)
    if best is None:
        return None
    if any(Prefix.similarity(text, other) >= best[0] for other in others):
        return None
    return best


def sealed_remnant(
    line: TextLine,
    variants: Iterable[str],
    others: Iterable[str],
    page: Page,
    normalize: Normalizer,
    rules: LabelRemnantRules,
) -> bool:
    """Whether the line is a label's start with a found seal over where its end was."""
    if not page.seals:
        return False
    found = remnant_start(line, variants, others, normalize, rules)
    if found is None:
        return False
    _, missing = found
    return seal_over_end(line, missing, page, normalize, rules)


def seal_over_end(
    line: TextLine, missing: int, page: Page, normalize: Normalizer, rules: LabelRemnantRules
) -> bool:
    """Whether a found seal crosses the line's row, begins before where ``missing`` more
    characters at the line's pitch (and ``slack_chars``) would end, and ends right of the
    line: the seal hid the rest of a label the line begins."""
    x0, y0, x1, y1 = line.bbox
    chars = max(1, len(normalize.text(line.text)))
    pitch = (x1 - x0) / chars
    reach = x1 + (missing + rules.slack_chars) * pitch
    middle = (y0 + y1) / 2
    return any(
        s.bbox[1] <= middle <= s.bbox[3] and s.bbox[0] <= reach and s.bbox[2] > x1
        for s in page.seals
        if s.edge is None
    )
