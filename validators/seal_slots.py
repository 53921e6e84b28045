"""Seal slots: each slot of the template satisfied by the right organisation's seal.

The pages carry the seal-like marks found while reading (``Page.seals``); here each mark
is given to at most one slot, and each slot is judged (FORMS.md §3–§4, DESIGN.md codes):

- **Where.** A slot's seal sits over or beside its printed （盖章） anchor on the slot's
  page: the mark overlaps the anchor line grown by about one seal size to the left, the
  right and above, and a quarter below (``rules/seals.yaml``; below is kept short because
  the next line down is usually the next slot's anchor). When a mark could serve two
  slots, the nearer anchor wins: marks go to slots nearest pair first, one each.
- **Whose.** ``lead_org`` slots expect the extracted lead organisation; ``recommender``
  slots the authority of the applicant's locality, and none at all when the applicant is
  exempt. The lettering is matched with rapidfuzz on normalised names against the
  owner and against every other name the campaign knows (other authorities, the lead
  organisation, member units): it matches when it reads as the owner by a margin, and is a
  mismatch only when it reads clearly as someone else — a reading that is short, unsure,
  a fragment of the owner's name or close to two names decides nothing.
- **Greyscale.** Without colour a seal is found by shape only: a mark whose lettering
  does not read as the owner is SEAL_UNVERIFIABLE. An empty slot is SEAL_MISSING only when
  the copy shows rings found elsewhere (``marks.grey_absence``) and no ink no line explains
  lies in the slot; otherwise SEAL_UNVERIFIABLE.
- **Hidden anchors.** A seal as dark as the type hides its own anchor: a line reading as
  the anchor's start with a seal within reach, or on a page of one slot its one seal,
  stands in for it (``geometry.hidden_anchor``).
- **Colour.** An official seal is red (``rules/seals.yaml``: ``official_colours``); a
  blue or black seal on a colour scan fills its slot but is SEAL_UNVERIFIABLE (a copy, or
  a stamp of another kind), its owner not matched.
- **Page edges.** A half seal at a page's edge (骑缝章 across the binding, ``SealMark.
  edge``) is reported in the page's seals but fills no slot.
- **Scans only.** Electronic copies (text-layer PDF, DOCX) carry no seals by nature.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Prefix

from pipeline.config import SealSlotSpec, SectionKind, TemplateSpec
from pipeline.model import (
    BBox,
    Finding,
    FindingCode,
    Page,
    Seal,
    SealMark,
    SourceKind,
    Submission,
    TextLine,
)
from pipeline.rulebook.thresholds import OwnerRules, RowPieces, SealRules
from validators.applicant import Applicant, applicant_of, authority_names
from validators.registry import Context, validator
from validators.seal_names import Alike, similarity, start_distance


@dataclass(frozen=True)
class OwnerVerdict:
    """What a seal's lettering says about its owner."""

    match: bool | None
    read_as: str | None = None
    score: float = 0.0
    doubtful: bool = False
    """Undecided on a legible reading that is not the owner's name nor a part of it, nor
    clearly anyone else's: a misread ring, or one close to two names. A person looks."""


@dataclass(frozen=True)
class SlotReading:
    """One seal slot as found on the submission."""

    slot: SealSlotSpec
    page: Page | None
    anchor: TextLine | None
    mark: SealMark | None
    required: bool | None
    owner: tuple[str, ...]
    verdict: OwnerVerdict


# --- geometry --------------------------------------------------------------------------


def page_of(submission: Submission, page_id: str) -> Page | None:
    """The first page recognised as the template page ``page_id``."""
    return next((p for p in submission.pages if p.template_page == page_id), None)


def text_score(printed: str, line: str) -> float:
    """How well a line reads as a printed text: partial when the line is longer (a label
    run together with its value), plain ratio when shorter (so 盖章 alone is no anchor)."""
    if not printed or not line:
        return 0.0
    if len(line) >= len(printed):
        return fuzz.partial_ratio(printed, line)
    return fuzz.ratio(printed, line)


def find_line(
    page: Page,
    printed: Iterable[str],
    context: Context,
    threshold: float,
    pieces: RowPieces | None = None,
) -> TextLine | None:
    """The page's line that best reads as one of the printed texts, if any reaches it.

    With ``pieces``, also each line run together with the next on its row: a printed
    label a seal was stamped over the middle of is read in two pieces (推荐单 | 盖章)),
    and the two read as the label again (the line returned then spans both)."""
    wanted = [context.normalize_org(p) for p in printed if p]
    best: tuple[float, TextLine] | None = None
    lines = page.lines if pieces is None else (*page.lines, *_joined(page.lines, pieces))
    for line in lines:
        text = context.normalize_org(line.text)
        score = max((text_score(w, text) for w in wanted), default=0.0)
        if score >= threshold and (best is None or score > best[0]):
            best = (score, line)
    return best[1] if best else None


def _another_slots_anchor(
    line: TextLine, slot: SealSlotSpec, template: TemplateSpec, context: Context
) -> bool:
    """Whether the line found as the slot's anchor reads better as another slot's anchor
    on its page (推荐单位（盖章） scores 86 against 牵头单位（盖章）, whose own line the OCR
    split in two): it is that slot's, and this slot's anchor was not found."""
    text = context.normalize_org(line.text)

    def score(printed: tuple[str, ...]) -> float:
        return max(text_score(context.normalize_org(p), text) for p in printed if p)

    own = score((slot.anchor, *slot.anchor_aliases))
    return any(
        score((other.anchor, *other.anchor_aliases)) > own
        for other in template.seal_slots
        if other.page == slot.page and other.anchor != slot.anchor
    )


def hidden_anchor(
    page: Page, slot: SealSlotSpec, template: TemplateSpec, context: Context, rules: SealRules
) -> TextLine | None:
    """Where the slot's anchor is when its own seal hid it (``rules/seals.yaml``
    ``hidden_anchor``): a line reading as the anchor's start only (牵头单位, 推荐), with a
    seal found on the page within the slot's reach of it, and that start no other slot's
    of the page; else, on a page of this slot alone, its one whole seal (the anchor read
    nowhere: the seal is taken for it, a line of no text over it)."""
    r = rules.geometry.hidden_anchor
    marks = [m for m in page.seals if m.edge is None and _area(m.bbox) > 0]
    if not marks:
        return None
    siblings = [o for o in template.seal_slots if o.page == slot.page and o.id != slot.id]
    own = [context.normalize_org(p) for p in (slot.anchor, *slot.anchor_aliases) if p]
    others = [
        context.normalize_org(p) for o in siblings for p in (o.anchor, *o.anchor_aliases) if p
    ]
    found: list[tuple[int, TextLine]] = []
    for line in page.lines:
        text = context.normalize_org(line.text)
        start = max((Prefix.similarity(text, p) for p in own), default=0)
        if start < r.min_chars or len(text) - start > r.max_extra:
            continue
        if any(Prefix.similarity(text, p) >= start for p in others):
            continue  # as much another slot's anchor: not this one's
        near = any(_overlaps(slot_zone(line.bbox, _size(m.bbox), rules), m.bbox) for m in marks)
        if near:
            found.append((start, line))
    if found:
        return max(found, key=lambda f: f[0])[1]
    if r.lone_seal and not siblings and len(marks) == 1:
        return TextLine(text="", bbox=marks[0].bbox)
    return None


def _joined(lines: tuple[TextLine, ...], rules: RowPieces) -> list[TextLine]:
    """Each line with the nearest line right of it on its row, run together, when the gap
    between them is at most ``rules.gap`` of the line's height."""
    joined = []
    for left in lines:
        height = left.bbox[3] - left.bbox[1]
        # the OCR's boxes of two pieces may overlap: by up to `overlap` of the left
        # piece's character width
        right = min(
            (
                t
                for t in lines
                if t is not left
                and left.shares_row(t, rules.row_overlap)
                and t.bbox[0] > left.bbox[0]
                and t.bbox[0] >= left.bbox[2] - rules.overlap * left.char_width
                and t.bbox[0] - left.bbox[2] <= rules.gap * height
            ),
            key=lambda t: t.bbox[0],
            default=None,
        )
        if right is not None:
            joined.append(
                TextLine(
                    text=left.text + right.text,
                    bbox=(
                        left.bbox[0],
                        min(left.bbox[1], right.bbox[1]),
                        right.bbox[2],
                        max(left.bbox[3], right.bbox[3]),
                    ),
                    confidence=min(left.confidence, right.confidence),
                )
            )
    return joined


def _size(mark: BBox) -> tuple[float, float]:
    return mark[2] - mark[0], mark[3] - mark[1]


def slot_zone(anchor: BBox, size: tuple[float, float], rules: SealRules) -> BBox:
    """The anchor line grown by seal sizes: a mark overlapping it may satisfy the slot."""
    w, h = size
    g = rules.geometry
    return (
        max(0.0, anchor[0] - g.beside * w),
        max(0.0, anchor[1] - g.above * h),
        min(1.0, anchor[2] + g.beside * w),
        min(1.0, anchor[3] + g.below * h),
    )


def overlap_area(a: BBox, b: BBox) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _area(box: BBox) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _distance(anchor: BBox, mark: BBox) -> tuple[float, float]:
    """Gap between the boxes in seal sizes (0 when they overlap), then centre distance."""
    w, h = _size(mark)
    dx = max(0.0, anchor[0] - mark[2], mark[0] - anchor[2]) / w
    dy = max(0.0, anchor[1] - mark[3], mark[1] - anchor[3]) / h
    cx = ((anchor[0] + anchor[2]) - (mark[0] + mark[2])) / 2 / w
    cy = ((anchor[1] + anchor[3]) - (mark[1] + mark[3])) / 2 / h
    return math.hypot(dx, dy), math.hypot(cx, cy)


def assign_marks(
    pages: dict[str, Page],
    anchors: dict[str, TextLine],
    slots: tuple[SealSlotSpec, ...],
    rules: SealRules,
) -> dict[str, SealMark]:
    """Marks to slots, nearest pair first, each mark and each slot used once."""
    pairs: list[tuple[tuple[float, float], int, str, int]] = []
    for order, slot in enumerate(slots):
        page, anchor = pages.get(slot.id), anchors.get(slot.id)
        if page is None or anchor is None:
            continue
        for index, mark in enumerate(page.seals):
            w, h = _size(mark.bbox)
            if w <= 0 or h <= 0 or mark.edge is not None:
                continue  # no seal, or half of a 骑缝章: no slot's seal
            if _overlaps(slot_zone(anchor.bbox, (w, h), rules), mark.bbox):
                pairs.append((_distance(anchor.bbox, mark.bbox), order, slot.id, index))
    taken: dict[str, SealMark] = {}
    used: set[tuple[int, int]] = set()
    for _, _, slot_id, index in sorted(pairs):
        page = pages[slot_id]
        key = (page.number, index)
        if slot_id in taken or key in used:
            continue
        taken[slot_id] = page.seals[index]
        used.add(key)
    return taken


# --- owners ----------------------------------------------------------------------------


def _rotations(text: str) -> tuple[str, ...]:
    """The lettering read from every start round the ring: a ring has no first character,
    and one read from the wrong place (公司仁花溪汽车科技有限责任) is still its name."""
    return tuple(text[i:] + text[:i] for i in range(len(text))) or (text,)


def _endings(context: Context) -> tuple[str, ...]:
    """How organisations' and authorities' names end, normalised, longest first."""
    entities, owner = context.rules.entities, context.seal_rules.owner
    endings = {context.normalize_org(e) for e in (*entities.org_suffixes, *owner.name_endings)}
    return tuple(sorted((e for e in endings if e), key=len, reverse=True))


def _stem(name: str, endings: tuple[str, ...]) -> str:
    """A name without its ending: what tells two names apart."""
    ending = next((e for e in endings if name.endswith(e) and len(name) > len(e)), "")
    return name[: len(name) - len(ending)]


def _reads_as(
    readings: tuple[str, ...],
    name: str,
    endings: tuple[str, ...],
    rules: OwnerRules,
    alike: Alike,
) -> tuple[float, bool]:
    """How well the lettering reads as a name: the whole names' similarity (the weighted
    edit distance of ``validators.seal_names``: look-alike characters and the name's end
    cost less), and whether the name's stem (the name without its ending) is at the
    reading's start with no more errors than a misread ring makes. Two companies sharing
    a long ending (贵州织金电子科技有限责任公司 and 贵州花溪电子科技有限责任公司: 86 as
    wholes) differ in two of their stem's eight characters: not one name misread."""
    stem = _stem(name, endings)
    allowed = max(1, math.floor(rules.stem_errors * len(stem)))
    score = max(similarity(r, name, alike, rules) for r in readings)
    same = any(start_distance(r, stem, alike, rules) <= allowed for r in readings)
    return score, same


def names_an_organisation(text: str, context: Context) -> bool:
    """Whether a normalised reading is built like an organisation's name: a known place
    first (the province, its places, the campaign's 市（州）), an organisation's or an
    authority's ending last, something between. A misread ring seldom is."""
    entities = context.rules.entities
    places = (
        entities.province.name,
        *entities.province.aliases,
        *entities.places,
        *entities.short_forms(),
        *(n for loc in context.campaign.localities for n in (loc.city, *loc.aliases)),
    )
    starts = [len(p) for p in map(context.normalize_org, places) if p and text.startswith(p)]
    ends = [len(e) for e in _endings(context) if text.endswith(e)]
    return bool(starts and ends) and max(starts) + max(ends) < len(text)


def judge_owner(
    mark: SealMark,
    owner: tuple[str, ...],
    others: tuple[str, ...],
    rules: OwnerRules,
    context: Context,
) -> OwnerVerdict:
    """Does the lettering read as the owner (True), clearly as someone else (False), or
    can it not be told (None: unreadable, too short, unsure, or the owner unknown)?

    Someone else means a name the campaign knows (another authority, the lead
    organisation, a member unit) read clearly, or a well-formed name of no one known,
    read surely and far from the owner's; a garble is never someone else.
    """
    text = context.normalize_org(mark.text)
    if len(text) < rules.min_text_chars or mark.text_confidence < rules.min_text_confidence:
        return OwnerVerdict(None)
    if not owner:
        return OwnerVerdict(None)
    readings, endings = _rotations(text), _endings(context)
    alike = context.rules.look_alikes.lookup
    owned = {context.normalize_org(n) for n in owner}
    owner_score, owner_stem = max(_reads_as(readings, n, endings, rules, alike) for n in owned)
    best_other, other_stem, other_name = 0.0, False, None
    for name in others:
        normalised = context.normalize_org(name)
        if normalised in owned:
            continue
        score, same = _reads_as(readings, normalised, endings, rules, alike)
        if score > best_other:
            best_other, other_stem, other_name = score, same, name
    if owner_score >= rules.match and owner_stem and owner_score - best_other >= rules.margin:
        return OwnerVerdict(True, None, owner_score)
    # a reading wholly inside the owner's name (南州工业和信息化 of 黔西南州工业和信息化局, a
    # ring read only in part), or the name with a character lost (黔南州工业和信息化局),
    # cannot show the seal is another's, however much closer it is to a shorter name
    # (黔南州工业和信息化局) that holds it too
    part_of_owner = any(lost_from(text, n, rules.lost_chars) for n in owned)
    if (
        best_other >= rules.match
        and other_stem
        and best_other - owner_score >= rules.margin
        and not part_of_owner
    ):
        return OwnerVerdict(False, other_name, owner_score)
    # a fragment of the owner's name (a ring read only in part: shorter than the name)
    # is not "someone else" and raises no doubt;
    # nor is a poor reading of a greyscale ring, read through the print under it
    # (贵州乌江治练集有公司201 for 贵州乌江冶炼集团有限公司), nor a garble: there only a
    # clear reading as another known name is a mismatch
    fragment = any(len(text) < len(n) and fuzz.partial_ratio(text, n) >= rules.match for n in owned)
    if (
        owner_score <= rules.not_owner
        and not fragment
        and not any(misread_of(text, n, rules) for n in owned)
        and best_other < rules.match
        and mark.colour != "grey"
        and mark.text_confidence >= rules.sure_confidence
        and names_an_organisation(text, context)
    ):
        return OwnerVerdict(False, mark.text, owner_score)
    return OwnerVerdict(None, None, owner_score, doubtful=not fragment)


def lost_from(text: str, name: str, lost: int) -> bool:
    """Whether a reading is a name with characters lost: a part of it (a ring read in
    part: the whole name, or a run of it) with at most ``lost`` characters dropped inside
    that part, the rest in order. 黔南州工业和信息化 is 黔西南州工业和信息化局's ring read
    to 化 with 西 lost (a greyscale opinion page turned 90°, session 20)."""
    if len(text) >= len(name) or not text:
        return False
    for start, char in enumerate(name):
        if char != text[0]:
            continue
        end = start  # the earliest end of the part that holds the reading from here
        for c in text[1:]:
            end = name.find(c, end + 1)
            if end < 0:
                break
        else:
            if end - start + 1 - len(text) <= lost:
                return True
    return False


def misread_of(text: str, name: str, rules: OwnerRules) -> bool:
    """Whether a reading keeps a name's shape — about as long, the same first and last
    characters — so that it is that name misread in its middle, not another's name."""
    keep = rules.misread_keep
    return (
        abs(len(text) - len(name)) <= rules.misread_length
        and len(name) > 2 * keep
        and text[:keep] == name[:keep]
        and text[-keep:] == name[-keep:]
    )


def owners_of(
    slot: SealSlotSpec, applicant: Applicant, context: Context
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The slot's owner's names, and the other names its lettering may be mistaken for."""
    if slot.owner == "lead_org":
        owner = (applicant.lead_org,) if applicant.lead_org else ()
        return owner, (*authority_names(context.campaign), *applicant.members)
    others = authority_names(context.campaign, but=applicant.locality)
    if applicant.locality is None:
        others = ()  # which authority is right is not known: none is "another"
    lead = (applicant.lead_org,) if applicant.lead_org else ()
    return applicant.authority_names, (*others, *lead)


def required(slot: SealSlotSpec, applicant: Applicant) -> bool | None:
    """Whether the slot must be sealed; None when that hangs on an unsure exemption."""
    if slot.required == "always":
        return True
    return None if applicant.exempt is None else not applicant.exempt


def is_scan(page: Page) -> bool:
    return page.kind is SourceKind.SCAN


def is_greyscale(submission: Submission) -> bool:
    """A greyscale scan, where seals are found by shape only.

    Judged for the whole submission, not page by page: a colour scan of a page that
    carries no coloured ink (an opinion page left blank) has equal channels too, while
    one red seal anywhere shows the scanner was in colour. So: every scanned page
    without colour (``Page.greyscale``); for pages read before that flag existed, a seal
    the detector marked ``grey``.
    """
    flags = [p.greyscale for p in submission.pages if p.greyscale is not None]
    if flags:
        return all(flags)
    return any(m.colour == "grey" for p in submission.pages for m in p.seals)


def read_slots(submission: Submission, context: Context) -> tuple[SlotReading, ...]:
    """Every seal slot of the submission's template on its scanned page, as found."""
    template = context.template(submission)
    if template is None:
        return ()
    applicant = applicant_of(submission, context)
    rules = context.seal_rules
    pages: dict[str, Page] = {}
    anchors: dict[str, TextLine] = {}
    for slot in template.seal_slots:
        page = page_of(submission, slot.page)
        if page is None or not is_scan(page):
            continue
        pages[slot.id] = page
        anchor = find_line(
            page,
            (slot.anchor, *slot.anchor_aliases),
            context,
            rules.geometry.anchor_match,
            rules.geometry.anchor_pieces,
        )
        if anchor is not None and _another_slots_anchor(anchor, slot, template, context):
            anchor = None
        if anchor is None:
            anchor = hidden_anchor(page, slot, template, context, rules)
        if anchor is not None:
            anchors[slot.id] = anchor
    marks = assign_marks(pages, anchors, template.seal_slots, rules)
    readings = []
    for slot in template.seal_slots:
        if slot.id not in pages:
            continue
        owner, others = owners_of(slot, applicant, context)
        mark = marks.get(slot.id)
        verdict = (
            judge_owner(mark, owner, others, rules.owner, context)
            if mark and mark.colour in rules.marks.official_colours
            else OwnerVerdict(None)  # no seal, or not an official seal's ink: not matched
        )
        if mark is not None and verdict.match is False:
            # a seal stamped over its own slot's label hides it: the seal then lies nearest
            # another slot's label, and reading as the hidden slot's owner it is that
            # slot's seal, not a wrong one here (a photocopied cover, session 14)
            for other in template.seal_slots:
                if other.page != slot.page or other.id == slot.id or other.id in anchors:
                    continue
                their, rest = owners_of(other, applicant, context)
                if judge_owner(mark, their, rest, rules.owner, context).match is True:
                    mark, verdict = None, OwnerVerdict(None)
                    break
        readings.append(
            SlotReading(
                slot=slot,
                page=pages[slot.id],
                anchor=anchors.get(slot.id),
                mark=mark,
                required=required(slot, applicant),
                owner=owner,
                verdict=verdict,
            )
        )
    return tuple(readings)


def reading_of(submission: Submission, context: Context, slot_id: str) -> SlotReading | None:
    return next((r for r in read_slots(submission, context) if r.slot.id == slot_id), None)


# --- findings --------------------------------------------------------------------------


def place_of(template: TemplateSpec, reading: SlotReading) -> str:
    """Where a slot is, for reviewers: 封面“牵头单位（盖章）”处 / 三、申报单位承诺页（第7页）…"""
    assert reading.page is not None
    covers = {s.page for s in template.sections if s.kind is SectionKind.COVER}
    where = (
        "封面"
        if reading.slot.page in covers
        else f"“{template.page(reading.slot.page).title}”页（第{reading.page.number}页）"
    )
    return f"{where}“{reading.slot.anchor}”处"


def owner_label(reading: SlotReading) -> str:
    kind = "牵头单位" if reading.slot.owner == "lead_org" else "属地推荐单位"
    return f"{kind}“{reading.owner[0]}”" if reading.owner else kind


def _unread_ink_at(page: Page, zone: BBox, seal: tuple[float, float], rules: SealRules) -> bool:
    """Seal-sized ink no line explains in the slot's zone: a seal the detector missed.

    One piece of it a seal's size (``marks.unread_ink_min_size`` of one, both ways), or
    (``marks.unread_ink_pieces``) the remains of a faded impression on a 1-bit or
    photocopied page: an arc of its ring at least that share of a seal long one way, and
    with the other pieces round it, all within one seal's size, that share both ways (a
    ring left only on one side, its lettering read as a line or lost)."""
    least = rules.marks.unread_ink_min_size
    pieces = [
        ink.bbox
        for ink in page.unread
        if _area(ink.bbox) > 0
        and overlap_area(zone, ink.bbox) >= rules.marks.unread_ink_min_overlap * _area(ink.bbox)
    ]

    def spans(box: BBox, share: float) -> tuple[bool, bool]:
        w, h = _size(box)
        return w >= share * seal[0], h >= share * seal[1]

    if any(all(spans(box, least)) for box in pieces):
        return True
    within = rules.marks.unread_ink_pieces
    if within is None:
        return False
    for arc in (box for box in pieces if any(spans(box, least))):
        near = [box for box in pieces if not any(spans(_joint((arc, box)), within)) or box is arc]
        joint = _joint(near)
        if len(near) >= 2 and all(spans(joint, least)) and not any(spans(joint, within)):
            return True
    return False


def _joint(boxes: Sequence[BBox]) -> BBox:
    """The box round all of them."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _nominal_size(submission: Submission, rules: SealRules) -> tuple[float, float]:
    """The largest seal the submission shows, else the configured size of one."""
    sizes = [_size(m.bbox) for p in submission.pages for m in p.seals]
    if not sizes:
        return rules.geometry.nominal_seal
    return max(s[0] for s in sizes), max(s[1] for s in sizes)


def _grey_absence_seen(submission: Submission, rules: SealRules) -> bool:
    """Whether an empty slot of a greyscale or 1-bit copy is a seal seen absent: a ring is
    found by its shape whatever the ink, so where rings were found on the copy's other
    slots and no unexplained ink lies in this one, a person sees no seal there
    (``rules/seals.yaml`` ``marks.grey_absence``)."""
    least = rules.marks.grey_absence
    if least is None:
        return False
    found = sum(1 for p in submission.pages for m in p.seals if m.edge is None)
    return found >= least


# The inks of seals, for reviewers.
_INK_NAMES = {"red": "红色", "blue": "蓝色", "black": "黑色", "grey": "灰色"}


def slot_findings(
    reading: SlotReading, template: TemplateSpec, submission: Submission, context: Context
) -> list[Finding]:
    """The findings of one slot (none when it is satisfied by the right owner)."""
    if reading.required is False or reading.page is None:
        return []
    rules = context.seal_rules
    place = place_of(template, reading)
    page = reading.page
    greyscale = is_greyscale(submission)

    def finding(code: FindingCode, message: str, bbox: BBox | None) -> list[Finding]:
        return [Finding.of(code, message, slot=reading.slot.id, page=page.number, bbox=bbox)]

    def unverifiable(why: str, bbox: BBox | None) -> list[Finding]:
        return finding(FindingCode.SEAL_UNVERIFIABLE, f"{place}{why}", bbox)

    if reading.anchor is None:
        return unverifiable(f"：第{page.number}页未能找到该字样，无法核对公章", None)
    mark = reading.mark
    if mark is None:
        seal = _nominal_size(submission, rules)
        zone = slot_zone(reading.anchor.bbox, seal, rules)
        if _unread_ink_at(page, zone, seal, rules):
            return unverifiable("有未能识别的印迹，无法确认是否加盖公章", zone)
        if greyscale and not _grey_absence_seen(submission, rules):
            return unverifiable("未能确认公章（黑白扫描件，仅能凭形状识别）", zone)
        if reading.required is None:
            return unverifiable("未见公章；隶属关系未能确认，无法判断是否须加盖", zone)
        return finding(FindingCode.SEAL_MISSING, f"{place}未见公章", zone)
    if mark.confidence < rules.marks.min_confidence:
        return unverifiable(f"的印迹未能确认为公章（置信度{mark.confidence:.2f}）", mark.bbox)
    if mark.colour not in rules.marks.official_colours:
        ink = _INK_NAMES.get(mark.colour, mark.colour)
        return unverifiable(
            f"的印章为{ink}印迹（公章应为红色），可能为复印件或其他印章，"
            f"未能核对是否为{owner_label(reading)}的公章",
            mark.bbox,
        )
    verdict = reading.verdict
    if verdict.match is True:
        return []
    if verdict.match is False:
        return finding(
            FindingCode.SEAL_OWNER_MISMATCH,
            f"{place}公章为“{verdict.read_as}”，应为{owner_label(reading)}的公章",
            mark.bbox,
        )
    if reading.required is None:
        return unverifiable("公章未能核对：隶属关系未能确认，无法判断是否须加盖", mark.bbox)
    read = f"“{mark.text}”" if mark.text else "无法辨认"
    if mark.colour == "grey":
        return unverifiable(
            f"的公章仅凭形状识别（黑白扫描件），印文{read}，"
            f"未能核对是否为{owner_label(reading)}的公章",
            mark.bbox,
        )
    if verdict.doubtful:
        return unverifiable(
            f"的公章印文读作{read}，未能确认是否为{owner_label(reading)}的公章", mark.bbox
        )
    if rules.owner.unreadable_red_is_unverifiable:
        return unverifiable(
            f"的公章印文{read}，未能核对是否为{owner_label(reading)}的公章", mark.bbox
        )
    return []


@validator("seals")
def check_seals(submission: Submission, context: Context) -> list[Finding]:
    """SEAL_MISSING / SEAL_OWNER_MISMATCH / SEAL_UNVERIFIABLE for each slot of a scan."""
    template = context.template(submission)
    if template is None:
        return []
    findings: list[Finding] = []
    for reading in read_slots(submission, context):
        findings += slot_findings(reading, template, submission, context)
    return findings


def seal_records(submission: Submission, context: Context) -> tuple[Seal, ...]:
    """The report's ``seals``: each scanned page's marks, with the slot each satisfies and
    whether its lettering reads as that slot's owner (None: not known, or no slot)."""
    by_mark = {
        (r.page.number, id(r.mark)): r
        for r in read_slots(submission, context)
        if r.page is not None and r.mark is not None
    }
    records: list[Seal] = []
    for page in submission.pages:
        if not is_scan(page):
            continue
        for mark in page.seals:
            reading = by_mark.get((page.number, id(mark)))
            records.append(
                Seal(
                    slot=reading.slot.id if reading else None,
                    page=page.number,
                    bbox=mark.bbox,
                    text=mark.text,
                    owner_match=reading.verdict.match if reading else None,
                    confidence=mark.confidence,
                    colour=mark.colour,
                    edge=mark.edge,
                )
            )
    return tuple(records)
