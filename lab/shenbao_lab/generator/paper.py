"""The paper copy: the printed form, inked by hand and by seal, then fed through a scanner.

The printed pages are the paper layout rendered to PDF and rasterised with pypdfium2;
then the applicant's pen (ticks, the legal representative's signature), the authority's
pen (the opinion and its date) and the seals go on; then the scanner's profile. Every
text line and seal is carried through the scanner's geometry into the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from shenbao_lab.generator.applicant import Applicant
from shenbao_lab.generator.fonts import fonts
from shenbao_lab.generator.ink import (
    HANDS,
    HOUSE_INK,
    INKS,
    RED_PEN_INK,
    HandParams,
    cover,
    render_check_stamp,
    render_handwriting,
    render_highlighter,
    render_lifted_tick,
    render_marker_tick,
    render_pen_mark,
    render_pencil_tick,
    render_seal,
    render_tape,
    render_tick,
    stamp,
)
from shenbao_lab.generator.layout import PAGE_H, PAGE_W, PageLayout, TickBox
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.scanner import (
    ScanProfile,
    binding_shadow,
    phone_photo,
    photocopy,
    punched_holes,
    random_profile,
    scan,
    transform_bbox,
    warp_box,
)
from shenbao_lab.generator.styles import Hand, Ink, ScanStyle, TickMark
from shenbao_lab.generator.truth import TruthLine, TruthPage, TruthSeal

SEAL_MM = 42.0  # 公章: 40–42 mm across
# pen_check_corrected: the share of ticked groups where another option was ticked first,
# then scratched out
CORRECTED_SHARE = 0.5
# pen_check_taped: the share of ticked groups where another option was ticked first,
# then hidden under correction tape
TAPED_SHARE = 0.5
PX_BOX = tuple[float, float, float, float]


@dataclass(frozen=True)
class ScanPlan:
    """How one submission's paper is scanned."""

    dpi: int
    greyscale: bool
    degraded: bool
    upside_down_page: int | None  # 1-based page fed upside down
    style: ScanStyle = field(default_factory=ScanStyle)  # the style family's scanner, paper
    hand: Hand = Hand.HOUSE  # whose hand writes the opinion and its date
    ink: Ink = "house"  # and with what pen


@dataclass(frozen=True)
class ScannedPage:
    image: Image.Image
    profile: ScanProfile
    truth: TruthPage
    seals: tuple[TruthSeal, ...]


class _Paper:
    """Puts ink on one rasterised page and records where every piece of text went."""

    def __init__(self, image: Image.Image, dpi: int) -> None:
        self.image = image
        self.dpi = dpi
        self.lines: list[tuple[str, PX_BOX, bool]] = []
        self.seals: list[tuple[str, str, PX_BOX, float]] = []

    def px(self, mm: float) -> float:
        return mm / 25.4 * self.dpi

    def box_px(self, box: tuple[float, float, float, float]) -> PX_BOX:
        return (self.px(box[0]), self.px(box[1]), self.px(box[2]), self.px(box[3]))

    def handwrite(
        self,
        text: str,
        left: float,
        top: float,
        *,
        char_mm: float,
        width_mm: float,
        rng: np.random.Generator,
        hand: HandParams = HANDS["house"],
        colour: tuple[int, int, int] = HOUSE_INK,
    ) -> PX_BOX:
        """Write ``text`` with its top-left near (left, top) mm; return the ink's px box."""
        ink, lines = render_handwriting(
            text,
            char_px=round(self.px(char_mm)),
            max_width_px=round(self.px(width_mm)),
            rng=rng,
            font_path=fonts().hei_otf,
            ink=colour,
            hand=hand,
        )
        x0, y0 = self.px(left), self.px(top)
        centre = (x0 + ink.width / 2, y0 + ink.height / 2)
        self.image, box = stamp(self.image, ink, center=centre, angle_deg=0.0, rng=rng, opacity=1.0)
        for text_line, (lx0, ly0, lx1, ly1) in lines:
            if lx1 > lx0:
                self.lines.append((text_line, (x0 + lx0, y0 + ly0, x0 + lx1, y0 + ly1), True))
        return box

    def tick(self, box_mm: tuple[float, float, float], rng: np.random.Generator) -> None:
        x, y, size = box_mm
        tick = render_tick(round(self.px(size * 1.35)), rng)
        centre = (self.px(x + size * 0.55), self.px(y + size * 0.4))
        self.image, _ = stamp(
            self.image,
            tick,
            center=centre,
            angle_deg=float(rng.uniform(-8, 8)),
            rng=rng,
            opacity=1.0,
        )

    def mark(self, box: TickBox, rng: np.random.Generator) -> None:
        """The chosen box marked by pen, the way the submission's style says."""
        x, y, size = box.x, box.y, box.size
        if box.mark is TickMark.HOUSE:
            self.tick((x, y, size), rng)
            return
        if box.mark is TickMark.PEN_STRIKE_OTHERS:
            return  # the chosen option is the one left standing: nothing on it
        if box.mark is TickMark.PEN_HIGHLIGHT:
            self.highlight(box, rng)
            return
        if box.mark is TickMark.PEN_LASSO_WORDS:
            self.lasso(box, rng)
            return
        if box.mark is TickMark.PEN_CHECK_ABOVE:
            self.check_above(box, rng)
            return
        angle = float(rng.uniform(-8, 8))
        opacity = 1.0
        if box.mark is TickMark.PEN_CHECK_LARGE:
            # twice the box: the turn inside it, the flick out past its top edge
            ink = render_tick(round(self.px(size * 2.3)), rng)
            centre = (x + size * 0.85, y + size * 0.05)
        elif box.mark is TickMark.PEN_BESIDE:
            # just after the option's words, in the gap before the next option's box
            ink = render_tick(round(self.px(size)), rng)
            centre = (x + size + 1.0 + box.label_w + 0.3 + size * 0.5, y + size * 0.4)
        elif box.mark in (TickMark.PEN_CIRCLE, TickMark.PEN_CIRCLE_STRIKE):
            wide = size + 1.0 + box.label_w + 4.0
            ink = render_pen_mark("circle", round(self.px(wide)), round(self.px(size * 2.0)), rng)
            centre = (x + (size + 1.0 + box.label_w) / 2, y + size / 2)
            angle = float(rng.uniform(-3, 3))
        elif box.mark is TickMark.PEN_UNDERLINE:
            # under the option's words, just below their line
            wide = box.label_w + 1.0
            ink = render_pen_mark("underline", round(self.px(wide)), round(self.px(1.6)), rng)
            centre = (x + size + 1.0 + box.label_w / 2, y + size + 0.9)
            angle = float(rng.uniform(-2, 2))
        elif box.mark is TickMark.PEN_CROSS:
            side = round(self.px(size * 1.3))
            ink = render_pen_mark("cross", side, side, rng)
            centre = (x + size / 2, y + size / 2)
        elif box.mark is TickMark.PEN_CROSS_OVERSHOOT:
            # a big × drawn with a sweep: twice the box or more, its four arms running out
            # past every side of it
            side = round(self.px(size * float(rng.uniform(2.0, 2.5))))
            ink = render_pen_mark("cross", side, side, rng)
            centre = (x + size / 2, y + size / 2)
        elif box.mark is TickMark.PEN_CHECK_WORDS:
            # a ✓ over the chosen option's words (their first part, where they run on), the
            # box left empty: taller than the words, its turn on their lower half
            tall = size * float(rng.uniform(1.7, 2.1))
            ink = render_tick(round(self.px(tall)), rng)
            words_mid = x + size + 1.0 + box.label_w / 2
            centre = (words_mid + float(rng.uniform(-0.15, 0.15)) * box.label_w, y + size * 0.3)
        elif box.mark is TickMark.PEN_SCRIBBLE:
            # an open zig-zag scribbled over the box, a little past its sides, slanted
            side = round(self.px(size * float(rng.uniform(1.1, 1.3))))
            ink = render_pen_mark("scribble", side, side, rng)
            centre = (x + size / 2, y + size / 2)
            angle = float(rng.choice([-1.0, 1.0]) * rng.uniform(20, 40))
        elif box.mark is TickMark.PEN_DOT:
            # a heavy dot pressed into the box, 0.55–0.75 of its side, about its middle
            side = round(self.px(size * float(rng.uniform(0.55, 0.75))))
            ink = render_pen_mark("dot", side, side, rng)
            centre = (
                x + size * float(rng.uniform(0.43, 0.57)),
                y + size * float(rng.uniform(0.43, 0.57)),
            )
        elif box.mark is TickMark.PEN_HATCH:
            # three to five parallel strokes laid across the box, reaching its sides
            side = round(self.px(size * float(rng.uniform(1.0, 1.12))))
            ink = render_pen_mark("hatch", side, side, rng)
            centre = (x + size / 2, y + size / 2)
            angle = float(rng.uniform(-6, 6))
        elif box.mark is TickMark.PEN_CHECK_RED:
            # a ✓ in red ballpoint, a little larger than the box: its turn in the box's
            # lower half, its flick out past the top right corner
            ink = render_tick(round(self.px(size * float(rng.uniform(1.3, 1.5)))), rng, RED_PEN_INK)
            centre = (x + size * 0.6, y + size * 0.35)
        elif box.mark is TickMark.PEN_CHECK_PENCIL:
            # a ✓ in pencil, larger than the box: its turn in the box's lower
            # half, its flick out past the top right corner
            ink = render_pencil_tick(round(self.px(size * float(rng.uniform(1.3, 1.55)))), rng)
            centre = (x + size * 0.6, y + size * 0.35)
        elif box.mark is TickMark.PEN_CHECK_CORRECTED:
            # the final choice: a plain pen ✓ (the mistaken one is scratched out elsewhere)
            ink = render_tick(round(self.px(size * float(rng.uniform(1.2, 1.5)))), rng)
            centre = (x + size * 0.6, y + size * 0.35)
        elif box.mark is TickMark.PEN_RING_BOX:
            # a small oval round the box alone, the box left empty; it passes through the
            # gap before the words (pen_circle's takes the words in too)
            wide = size * float(rng.uniform(1.85, 2.1))
            tall = size * float(rng.uniform(1.7, 1.95))
            ink = render_pen_mark("circle", round(self.px(wide)), round(self.px(tall)), rng)
            centre = (x + size / 2, y + size / 2)
            angle = float(rng.uniform(-10, 10))
        elif box.mark is TickMark.PEN_CHECK_MARKER:
            # a broad felt-tip ✓, 1.7–2 of the box: set down at the box's left edge, its
            # turn in the box's lower half, its flick out past the top right corner; its
            # broad stroke lies over the box's rules where it crosses them
            ink = render_marker_tick(round(self.px(size * float(rng.uniform(1.7, 2.0)))), rng)
            centre = (x + size * 0.62, y + size * 0.22)
        elif box.mark is TickMark.PEN_CHECK_LIFTED:
            # a ✓ in two strokes, the pen lifted at its foot: the short one down into the
            # box's lower half, the long one up past the top right corner
            ink = render_lifted_tick(round(self.px(size * float(rng.uniform(1.6, 1.9)))), rng)
            centre = (x + size * 0.62, y + size * 0.25)
        elif box.mark is TickMark.STAMP_CHECK:
            # a ✓ rubber stamp pressed on the box, aimed at its middle: the ring 2–2.3 of
            # the box across (its ✓ about the box's size), turned as the hand held it
            side = round(self.px(size * float(rng.uniform(2.0, 2.3))))
            ink = render_check_stamp(side, rng)
            centre = (x + size / 2, y + size / 2)
            angle = float(rng.uniform(-15, 15))
        elif box.mark is TickMark.PEN_CHECK_TAPED:
            # the final choice: a plain pen ✓ (the mistaken one is under tape elsewhere)
            ink = render_tick(round(self.px(size * float(rng.uniform(1.2, 1.5)))), rng)
            centre = (x + size * 0.6, y + size * 0.35)
        elif box.mark is TickMark.PEN_FILL:
            side = round(self.px(size * 0.95))
            ink = render_pen_mark("fill", side, side, rng)
            centre = (x + size / 2, y + size / 2)
            angle = float(rng.uniform(-4, 4))
        elif box.mark is TickMark.PEN_SLASH:
            # one quick stroke through the box, a little longer than its side
            side = round(self.px(size * float(rng.uniform(1.3, 1.7))))
            ink = render_pen_mark("slash", side, side, rng)
            centre = (x + size / 2, y + size / 2)
            angle = float(rng.uniform(-6, 6))
        elif box.mark is TickMark.PEN_CHECK_FAINT:
            # small, inside the box, with a light hand on a pen running dry
            r, g, b = (int(v) for v in rng.integers((80, 95, 140), (120, 130, 185)))
            faint = (r, g, b)
            ink = render_tick(round(self.px(size * float(rng.uniform(0.6, 0.8)))), rng, faint)
            centre = (x + size * 0.5, y + size * 0.5)
            opacity = float(rng.uniform(0.45, 0.65))
        else:
            raise ValueError(f"{box.mark} is not a pen mark")
        jitter = rng.normal(0.0, 0.06 * size, 2)
        self.image, _ = stamp(
            self.image,
            ink,
            center=(self.px(centre[0] + jitter[0]), self.px(centre[1] + jitter[1])),
            angle_deg=angle,
            rng=rng,
            opacity=opacity,
        )

    def scratched_tick(self, box: TickBox, rng: np.random.Generator) -> None:
        """A pen ✓ put in ``box`` by mistake, then scratched out: a dense zig-zag over
        the whole tick, a little past it on every side (the box under it blacked out)."""
        x, y, size = box.x, box.y, box.size
        tick = render_tick(round(self.px(size * float(rng.uniform(1.2, 1.5)))), rng)
        jitter = rng.normal(0.0, 0.06 * size, 2)
        centre = (x + size * 0.6 + jitter[0], y + size * 0.35 + jitter[1])
        self.image, _ = stamp(
            self.image,
            tick,
            center=(self.px(centre[0]), self.px(centre[1])),
            angle_deg=float(rng.uniform(-8, 8)),
            rng=rng,
            opacity=1.0,
        )
        wide = size * float(rng.uniform(1.5, 1.75))
        tall = size * float(rng.uniform(1.3, 1.5))
        scratch = render_pen_mark("scratch", round(self.px(wide)), round(self.px(tall)), rng)
        self.image, _ = stamp(
            self.image,
            scratch,
            center=(self.px(centre[0]), self.px(centre[1] + 0.05 * size)),
            angle_deg=float(rng.uniform(-8, 8)),
            rng=rng,
            opacity=1.0,
        )

    def taped_tick(self, box: TickBox, rng: np.random.Generator) -> None:
        """A pen ✓ put in ``box`` by mistake, then hidden under correction tape: one strip
        run along the line over the box and the ✓, from 1.5–2.5 mm before the box to just
        past it (short of the words), 1.2–1.3 of the box tall (a 5 mm tape on a 12 pt
        form's box), the box's rules hidden with the ✓ (a faint ghost of them shows)."""
        x, y, size = box.x, box.y, box.size
        tick = render_tick(round(self.px(size * float(rng.uniform(0.95, 1.1)))), rng)
        jitter = rng.normal(0.0, 0.03 * size, 2)
        centre = (x + size * 0.5 + jitter[0], y + size * 0.5 + jitter[1])
        self.image, _ = stamp(
            self.image,
            tick,
            center=(self.px(centre[0]), self.px(centre[1])),
            angle_deg=float(rng.uniform(-8, 8)),
            rng=rng,
            opacity=1.0,
        )
        start = x - float(rng.uniform(1.5, 2.5))
        end = x + size + float(rng.uniform(0.3, 0.7))
        tall = size * float(rng.uniform(1.2, 1.3))
        tape = render_tape(round(self.px(end - start)), round(self.px(tall)), rng)
        middle = y + size / 2 + float(rng.normal(0.0, 0.02 * size))
        self.image, _ = cover(
            self.image,
            tape,
            center=(self.px((start + end) / 2), self.px(middle)),
            angle_deg=float(rng.uniform(-1.5, 1.5)),
        )

    def highlight(self, box: TickBox, rng: np.random.Generator) -> None:
        """The chosen option's words run over with a highlighter (and the rest of them
        where they run on at the next line's start), the box left empty: one stroke a
        run, from just before the words to just past them, as tall as their line."""
        runs = [(box.x + box.size + 1.0, box.y, box.label_w)]
        if box.run_on is not None:
            runs.append(box.run_on)
        em = box.size / 0.95  # the words' size (a box is 0.95 of it)
        for x, y, width in runs:
            start = x - float(rng.uniform(0.2, 0.7))
            end = x + width + float(rng.uniform(0.2, 0.9))
            tall = em * float(rng.uniform(1.05, 1.2))
            ink = render_highlighter(round(self.px(end - start)), round(self.px(tall)), rng)
            # the words' middle: their line's top is 0.15 of the box above the box's top
            middle = y - 0.15 * box.size + 0.5 * em + float(rng.normal(0.0, 0.04 * em))
            self.image, _ = stamp(
                self.image,
                ink,
                center=(self.px((start + end) / 2), self.px(middle)),
                angle_deg=float(rng.uniform(-1.2, 1.2)),
                rng=rng,
                opacity=1.0,
            )

    def lasso(self, box: TickBox, rng: np.random.Generator) -> None:
        """The chosen option's words looped round by hand, the box left empty: one loop a
        run of the words (both parts where they run on at the next line), its left end
        0.3–0.6 mm before the words (in the gap after the box, at most on the box's right
        rule), its right end 1.5–3.2 mm past them (short of the next option's box, 4 mm
        on), its top and bottom arcs 1.1–1.4 of the words' size from their middle, so they
        run through the rows above and below (a wrapped group's other options, or the
        cell's rules). pen_circle's oval takes the box in and stays on the line."""
        runs = [(box.x + box.size + 1.0, box.y, box.label_w)]
        if box.run_on is not None:
            runs.append(box.run_on)
        em = box.size / 0.95  # the words' size (a box is 0.95 of it)
        for x, y, width in runs:
            left = x - float(rng.uniform(0.3, 0.6))
            right = x + width + float(rng.uniform(1.5, 3.2))
            half = em * float(rng.uniform(1.1, 1.4))
            # the loop's nominal ends are 0.4 of its canvas from the middle across, 0.36
            # up and down (the rest: the arcs' wander, the tail, the pen)
            wide, tall = (right - left) / 0.8, half / 0.36
            ink = render_pen_mark("lasso", round(self.px(wide)), round(self.px(tall)), rng)
            # the words' middle: their line's top is 0.15 of the box above the box's top
            middle = y - 0.15 * box.size + 0.5 * em + float(rng.normal(0.0, 0.04 * em))
            self.image, _ = stamp(
                self.image,
                ink,
                center=(self.px((left + right) / 2), self.px(middle)),
                angle_deg=float(rng.uniform(-2.5, 2.5)),
                rng=rng,
                opacity=1.0,
            )

    def check_above(self, box: TickBox, rng: np.random.Generator) -> None:
        """A small pen √ written above the chosen option's words, in the space between
        their line and the one above, the box left empty: 0.75–0.95 of the box's side, its
        foot 0.1–0.4 mm above the top of the words' line, over their middle (±20 % of
        their width; the first part where they run on). On a table cell's first line it
        runs up over the cell's top rule, short of the text in the cell above.
        pen_check_words's ✓ is twice as tall and lies on the words."""
        size = box.size
        side = size * float(rng.uniform(0.75, 0.95))
        ink = render_tick(round(self.px(side)), rng)
        words_mid = box.x + size + 1.0 + box.label_w / 2
        x = words_mid + float(rng.uniform(-0.2, 0.2)) * box.label_w
        # a tick's foot is about 0.95 of its square down: the square's centre 0.45 above
        top = box.y - 0.15 * size  # the words' line
        y = top - float(rng.uniform(0.1, 0.4)) - 0.45 * side
        self.image, _ = stamp(
            self.image,
            ink,
            center=(self.px(x), self.px(y)),
            angle_deg=float(rng.uniform(-8, 8)),
            rng=rng,
            opacity=1.0,
        )

    def strike(self, box: TickBox, rng: np.random.Generator) -> None:
        """An option not chosen struck out by pen: a line through its words (and through
        the rest of them where they run on at the next line's start)."""
        runs = [(box.x + box.size + 1.0, box.y, box.label_w)]
        if box.run_on is not None:
            runs.append(box.run_on)
        for x, y, width in runs:
            # the pen starts a little before the words or just inside them, ends past them
            start = x - float(rng.uniform(-0.3, 0.8))
            end = x + width + float(rng.uniform(0.0, 1.2))
            ink = render_pen_mark(
                "strike", round(self.px(end - start)), round(self.px(box.size * 0.8)), rng
            )
            centre = (self.px((start + end) / 2), self.px(y + box.size * 0.42))
            self.image, _ = stamp(
                self.image,
                ink,
                center=(centre[0], centre[1] + float(rng.normal(0.0, self.px(0.15)))),
                angle_deg=float(rng.uniform(-2, 2)),
                rng=rng,
                opacity=1.0,
            )

    def seal(
        self,
        slot: str,
        owner: str,
        anchor: tuple[float, float, float, float],
        rng: np.random.Generator,
    ) -> None:
        ink = render_seal(
            owner, diameter_px=round(self.px(SEAL_MM)), rng=rng, font_path=fonts().song_otf
        )
        cx = self.px(anchor[2] + float(rng.uniform(-12, 18)))
        cy = self.px((anchor[1] + anchor[3]) / 2 + float(rng.uniform(-6, 8)))
        angle = (
            float(rng.uniform(-30, 30)) if rng.random() < 0.85 else float(rng.uniform(-180, 180))
        )
        self.image, box = stamp(self.image, ink, center=(cx, cy), angle_deg=angle, rng=rng)
        self.seals.append((slot, owner, box, angle))


def rasterise(pdf: bytes, dpi: int) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            document[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(document))
        ]
    finally:
        document.close()


def _date_parts(date: dt.date) -> dict[str, str]:
    return {"年": str(date.year), "月": str(date.month), "日": str(date.day)}


def mark_boxes(paper: _Paper, boxes: list[TickBox], rng: np.random.Generator) -> None:
    """The pen on a page's tick groups: each chosen box marked the style's way, and where
    the style strikes the other options out, those struck (a group left blank is left
    alone). Where the style corrects, some groups first had another option ticked, then
    scratched out or hidden under correction tape, before the chosen one was ticked."""
    corrected = [b for b in boxes if b.ticked and b.mark is TickMark.PEN_CHECK_CORRECTED]
    for chosen in corrected:
        if rng.random() < CORRECTED_SHARE:
            others = [b for b in boxes if b.field == chosen.field and not b.ticked]
            if others:
                paper.scratched_tick(others[int(rng.integers(len(others)))], rng)
    taped = [b for b in boxes if b.ticked and b.mark is TickMark.PEN_CHECK_TAPED]
    for chosen in taped:
        if rng.random() < TAPED_SHARE:
            others = [b for b in boxes if b.field == chosen.field and not b.ticked]
            if others:
                paper.taped_tick(others[int(rng.integers(len(others)))], rng)
    for box in boxes:
        if box.ticked and not box.printed_tick:
            paper.mark(box, rng)
    struck = {b.field for b in boxes if b.ticked and b.mark.strikes_others}
    for box in boxes:
        if not box.ticked and box.field in struck:
            paper.strike(box, rng)


def _ink_page(
    paper: _Paper,
    layout: PageLayout,
    applicant: Applicant,
    rng: np.random.Generator,
    *,
    hand: Hand = Hand.HOUSE,
    ink: Ink = "house",
) -> None:
    mark_boxes(paper, layout.boxes, rng)
    writer, colour = HANDS[hand.value], INKS[ink]
    if layout.signature_spot is not None:
        x0, y0, x1, _ = layout.signature_spot
        paper.handwrite(applicant.signature, x0 + 2, y0, char_mm=7.5, width_mm=x1 - x0, rng=rng)
    opinion = applicant.opinion
    if layout.opinion_area is not None and opinion.text:
        x0, y0, x1, _ = layout.opinion_area
        paper.handwrite(
            opinion.text,
            x0 + float(rng.uniform(0, 8)),
            y0 + float(rng.uniform(0, 6)),
            char_mm=5.6,
            width_mm=x1 - x0 - 10,
            rng=rng,
            hand=writer,
            colour=colour,
        )
    if layout.date_marks and opinion.date is not None:
        for mark, part in _date_parts(opinion.date).items():
            mx0, my0, _, _ = layout.date_marks[mark]
            width = 3.0 * len(part) + 2
            # Room for the widest hand: a day or month never wraps onto a second line (a
            # 12 written as 1 over 2 reads as neither, and the truth would say 12).
            paper.handwrite(
                part,
                mx0 - width - 0.5,
                my0 - 1.5,
                char_mm=5.0,
                width_mm=width + 14,
                rng=rng,
                hand=writer,
                colour=colour,
            )
    for slot, anchor in layout.seal_anchors.items():
        owner = applicant.seal_owners.get(slot)
        if owner:
            paper.seal(slot, owner, anchor, rng)


def scan_submission(
    applicant: Applicant,
    layouts: list[PageLayout],
    plan: ScanPlan,
    rng: np.random.Generator,
    *,
    title: str,
) -> list[ScannedPage]:
    """The paper copy of one submission as the office scanner produces it."""
    printed = rasterise(render_pdf(layouts, title=title), plan.dpi)
    pages: list[ScannedPage] = []
    style = plan.style
    # the style's own draws come from a stream of their own (``style_rng``), so a house
    # submission draws exactly what it always did
    style_rng = np.random.default_rng(rng.integers(2**63)) if not style.house else None
    for number, (layout, image) in enumerate(zip(layouts, printed, strict=True), start=1):
        paper = _Paper(image, plan.dpi)
        for text in layout.texts:
            paper.lines.append((text.text, paper.box_px(text.box), False))
        _ink_page(paper, layout, applicant, rng, hand=plan.hand, ink=plan.ink)
        profile = random_profile(
            rng,
            dpi=plan.dpi,
            greyscale=plan.greyscale,
            upside_down=plan.upside_down_page == number,
            degraded=plan.degraded,
        )
        if style_rng is not None:
            paper.image, profile = _styled(paper.image, profile, style, number, style_rng)
            if style.phone_photo:
                paper.image, homography = phone_photo(paper.image, style_rng, dpi=plan.dpi)
                paper.lines = [(t, warp_box(b, homography), w) for t, b, w in paper.lines]
                paper.seals = [
                    (slot, owner, warp_box(b, homography), angle)
                    for slot, owner, b, angle in paper.seals
                ]
        clean_size = paper.image.size
        scanned = scan(paper.image, profile, rng)
        size = scanned.size

        def fraction(
            box: PX_BOX,
            size: tuple[int, int] = size,
            clean_size: tuple[int, int] = clean_size,
            profile: ScanProfile = profile,
        ) -> tuple[float, float, float, float]:
            x0, y0, x1, y1 = transform_bbox(box, clean_size, profile)
            w, h = size
            return (max(0.0, x0 / w), max(0.0, y0 / h), min(1.0, x1 / w), min(1.0, y1 / h))

        truth = TruthPage(
            number=number,
            file_page=number,
            template_page=layout.id,
            upside_down=profile.upside_down,
            skew_deg=round(profile.skew_deg, 3),
            greyscale=profile.greyscale or style.photocopy,
            degraded=plan.degraded,
            dpi=plan.dpi,
            lines=tuple(
                TruthLine(text=t, bbox=_rounded(fraction(b)), handwritten=hand)
                for t, b, hand in paper.lines
            ),
        )
        seals = tuple(
            TruthSeal(
                slot=slot,
                page=number,
                owner=owner,
                bbox=_rounded(fraction(box)),
                angle_deg=round(angle, 2),
            )
            for slot, owner, box, angle in paper.seals
        )
        pages.append(ScannedPage(scanned, profile, truth, seals))
    return pages


def _styled(
    image: Image.Image,
    profile: ScanProfile,
    style: ScanStyle,
    number: int,
    rng: np.random.Generator,
) -> tuple[Image.Image, ScanProfile]:
    """The paper and the scanner as the submission's style family has them."""
    dpi = profile.dpi
    if style.photocopy:
        image = photocopy(image, rng, dpi=dpi)
    if style.binding_shadow:
        image = binding_shadow(image, rng, dpi=dpi)
    if style.punched_holes:
        image = punched_holes(image, rng, dpi=dpi)
    update: dict[str, object] = {}
    if style.mode != "house":
        update["greyscale"] = True
    if style.mode == "bilevel":
        update["bilevel"] = True
        update["threshold"] = int(rng.integers(125, 160))
    if style.jpeg_quality is not None:
        update["jpeg_quality"] = style.jpeg_quality
    if style.skew_deg is not None:
        update["skew_deg"] = round(float(rng.uniform(-style.skew_deg, style.skew_deg)), 3)
    if style.turned_page == number:
        update["upside_down"] = style.turn == 180
        if style.turn in (90, 270):
            update["quarter_turn"] = style.turn
    return image, profile.model_copy(update=update)


def _rounded(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (round(v, 4) for v in box)
    return (x0, y0, max(x0, x1), max(y0, y1))


def page_fractions(layout: PageLayout) -> list[TruthLine]:
    """Text truth of a born-digital page: the layout's own boxes as page fractions."""
    return [
        TruthLine(
            text=t.text,
            bbox=_rounded(
                (
                    t.box[0] / PAGE_W,
                    t.box[1] / PAGE_H,
                    min(1.0, t.box[2] / PAGE_W),
                    min(1.0, t.box[3] / PAGE_H),
                )
            ),
        )
        for t in layout.texts
    ]
