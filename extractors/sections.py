"""Which annex a submission is, and which of its sections are there, robust to OCR noise.

Headings are matched on normalised text (NFKC, brackets and spaces folded), so
``(五）建设内容`` finds ``（五）建设内容``; a line is a heading when it starts with the
heading (or one of its aliases), or is a short line ending with it (``四、推荐意见``), or
reads as it within a small edit distance. A required section that is absent, or a
narrative one whose body is (nearly) empty, is a SECTION_MISSING finding.

Each page is recognised as the template page whose section headings it carries (the
first heading read on it decides between two), which gives the order the pages were bound
in: a missing page is no inversion, only a page that comes after one it should precede.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz

from extractors.normalize import Normalizer
from pipeline.config import SectionKind, SectionSpec, TemplateSpec
from pipeline.model import (
    Annex,
    BBox,
    Finding,
    FindingCode,
    Page,
    PageOrder,
    Submission,
)

HEADING_MATCH = 88.0  # rapidfuzz ratio a line's start must reach against a heading
SHORT_LINE_SLACK = 4  # a short line may carry this many characters besides the heading
MIN_BODY_CHARS = 10  # a narrative section with less text than this is empty
MIN_KEYWORD_HITS = 2  # classification by keywords needs at least this many


@dataclass(frozen=True)
class SectionHit:
    """Where a section's heading was read."""

    section: str
    page: int
    line: int
    bbox: BBox
    body_chars: int = 0


def _variants(section: SectionSpec, normalize: Normalizer) -> list[str]:
    return [v for v in (normalize.text(h) for h in (section.heading, *section.aliases)) if v]


def is_heading(text: str, section: SectionSpec, normalize: Normalizer) -> bool:
    """Whether one read line is this section's heading."""
    line = normalize.text(text)
    if not line:
        return False
    for heading in _variants(section, normalize):
        if line.startswith(heading):
            return True
        if line.endswith(heading) and len(line) <= len(heading) + SHORT_LINE_SLACK:
            return True
        # A misread heading: close to it, on a line that is not much more than it (a long
        # line opening like a heading is prose, e.g. the instructions' 四、试点建设目标…应逐项填写).
        if (
            len(heading) >= 4
            and len(line) <= len(heading) + SHORT_LINE_SLACK
            and fuzz.ratio(line[: len(heading)], heading) >= HEADING_MATCH
        ):
            return True
    return False


def find_sections(
    submission: Submission, template: TemplateSpec, normalize: Normalizer
) -> dict[str, SectionHit]:
    """The first heading of every section found, in page order, with its body's size."""
    lines = [
        (page.number, index, line)
        for page in submission.pages
        for index, line in enumerate(page.lines)
    ]
    hits: dict[str, SectionHit] = {}
    order: list[tuple[int, str]] = []  # (position in lines, section id)
    for position, (page, index, line) in enumerate(lines):
        for section in template.sections:
            if section.id not in hits and is_heading(line.text, section, normalize):
                hits[section.id] = SectionHit(section.id, page, index, line.bbox)
                order.append((position, section.id))
                break
    # A section's body runs from its heading to the next heading found.
    ends = [position for position, _ in order[1:]] + [len(lines)]
    for (start, section_id), end in zip(order, ends[: len(order)], strict=True):
        body = sum(len(normalize.text(lines[i][2].text)) for i in range(start + 1, end))
        hit = hits[section_id]
        hits[section_id] = SectionHit(hit.section, hit.page, hit.line, hit.bbox, body)
    return hits


def classify(
    submission: Submission, templates: dict[Annex, TemplateSpec], normalize: Normalizer
) -> Annex:
    """The annex: the cover's when splitting found one, else by keywords on every page."""
    if submission.annex is not Annex.UNKNOWN:
        return submission.annex
    text = normalize.text("".join(line.text for page in submission.pages for line in page.lines))
    scores = sorted(
        (
            (sum(normalize.text(k) in text for k in t.classify_keywords), annex)
            for annex, t in templates.items()
        ),
        reverse=True,
    )
    best, runner_up = scores[0], scores[1] if len(scores) > 1 else (0, Annex.UNKNOWN)
    if best[0] >= MIN_KEYWORD_HITS and best[0] > runner_up[0]:
        return best[1]
    return Annex.UNKNOWN


def _has_body(section: SectionSpec, hit: SectionHit, template: TemplateSpec) -> bool:
    if section.kind is not SectionKind.NARRATIVE:
        return True
    has_parts = any(s.parent == section.id for s in template.sections)
    return has_parts or hit.body_chars >= MIN_BODY_CHARS


def check_sections(
    submission: Submission, templates: dict[Annex, TemplateSpec], normalize: Normalizer
) -> Submission:
    """The submission with its annex decided and ANNEX_UNKNOWN / SECTION_MISSING findings."""
    annex = classify(submission, templates, normalize)
    findings = list(submission.findings)
    if annex is Annex.UNKNOWN:
        if not any(f.code is FindingCode.ANNEX_UNKNOWN for f in findings):
            findings.append(
                Finding.of(
                    FindingCode.ANNEX_UNKNOWN,
                    "无法判断材料属于附件1（建设试点申报书）还是附件2（认定申请书）",
                )
            )
        return submission.model_copy(update={"annex": annex, "findings": tuple(findings)})
    template = templates[annex]
    hits = find_sections(submission, template, normalize)
    for section in template.sections:
        if not section.required:
            continue
        hit = hits.get(section.id)
        if hit is None:
            findings.append(
                Finding.of(
                    FindingCode.SECTION_MISSING, f"缺少章节：{section.heading}", section=section.id
                )
            )
        elif not _has_body(section, hit, template):
            findings.append(
                Finding.of(
                    FindingCode.SECTION_MISSING,
                    f"章节内容为空：{section.heading}",
                    section=section.id,
                    page=hit.page,
                    bbox=hit.bbox,
                )
            )
    return submission.model_copy(update={"annex": annex, "findings": tuple(findings)})


def recognise_page(page: Page, template: TemplateSpec, normalize: Normalizer) -> str | None:
    """The template page a page is, by the section headings read on it; None when none is.

    Every heading read votes for the page its section is printed on; the most votes win,
    and a tie goes to the page whose heading comes first (the page's own title is on top).
    """
    votes: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, line in enumerate(page.lines):
        for section in template.sections:
            if is_heading(line.text, section, normalize):
                votes[section.page] = votes.get(section.page, 0) + 1
                first.setdefault(section.page, index)
                break
    if not votes:
        return None
    return max(votes, key=lambda page_id: (votes[page_id], -first[page_id]))


def page_order(
    submission: Submission, template: TemplateSpec, normalize: Normalizer
) -> tuple[Submission, PageOrder]:
    """The submission with each page's ``template_page`` set, and the order it was bound in.

    Pages are in order when the template pages recognised never step back: unrecognised
    pages (copies of attachments, a blank page) and missing pages are no inversion.
    """
    expected = tuple(p.id for p in template.pages)
    rank = {page_id: i for i, page_id in enumerate(expected)}
    pages = tuple(
        page.model_copy(update={"template_page": recognise_page(page, template, normalize)})
        for page in submission.pages
    )
    found = tuple(page.template_page for page in pages)
    ranks = [rank[page_id] for page_id in found if page_id is not None]
    order = PageOrder(
        in_order=all(a <= b for a, b in pairwise(ranks)),
        found=found,
        expected=expected,
    )
    return submission.model_copy(update={"pages": pages, "page_order": order}), order
