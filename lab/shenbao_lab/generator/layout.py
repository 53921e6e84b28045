"""Lays an applicant's form out on A4 pages, driven by the template's labels and sections.

The layout is a list of drawing primitives in millimetres from the page's top-left,
so one layout renders to a born-digital PDF (``pdf.py``) and, rasterised and stamped, to
the scanned paper (``scan.py``); and every piece of text knows its box, which becomes the
OCR ground truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.config import Campaign, FieldSpec, ReadMethod, TemplateSpec
from pipeline.model import Annex, Member
from shenbao_lab.generator.applicant import Applicant
from shenbao_lab.generator.fonts import fonts
from shenbao_lab.generator.styles import (
    HOUSE,
    ListLines,
    Style,
    TableRules,
    TickMark,
    TypeStyle,
)

PAGE_W, PAGE_H = 210.0, 297.0
LABEL_SPACED_MAX = 4  # labels up to this many characters are spaced out by a style
THICK_RULE = 1.6  # points: a style's thick table rules
DOUBLE_GAP = 0.7  # mm between the two rules of a doubled frame
# The basic-information grid is set no larger than this: at 13–14 pt it runs off an A4
# sheet (a typist's form would go on to a second sheet, which the generator does not draw).
GRID_MAX_PT = 12.0
# The basic-information grid's label column, mm: the house's, and a style's wider one
# (its option cells narrower, so tick groups' options break at the cell's edge).
LABEL_COLUMN, WIDE_LABEL_COLUMN = 55.0, 80.0
LIST_SEPARATORS = "；、"  # how a list value is joined when printed as one run
OPENING, CLOSING = "（(“《", "）)”》、，。；："  # a line never ends / starts with these
MARGIN = 25.0
AFTER_GAP = 0.3  # mm between an option's words and a √ typed after them (no space typed)
# Word's character shading (底纹) behind a chosen option's words: 25 % grey ("深色 25%"),
# over the line's height (from a little above the em box to below the descenders)
SHADING_GREY = 0.75  # 0 black, 1 white
SHADING_ABOVE, SHADING_BELOW = 0.12, 1.12  # of the em, from the top of the em box
# Word's underline under a chosen option's words typed bold: below the baseline (at 0.88
# of the em from the top, see pdf.ASCENT), as thick as a bold face's underline
UNDERLINE_AT = 1.08  # of the em, from the top of the em box (a gap under the ideographs)
UNDERLINE_PT = 0.075  # of the size in points: 0.8 pt at 10.5 pt
# Word's font colour 红色 (standard red, FF0000) given to a chosen option's words, as a
# colour laser prints it (RGB 0–1: a little darker and less pure than the screen's red);
# its strokes about 90 of 255 at their darkest in greyscale, where black print is about 10
WORD_RED = (0.9, 0.11, 0.14)
PT = 25.4 / 72  # mm per point
BODY, SMALL, HEADING = 10.5, 9.0, 14.0
BoxMM = tuple[float, float, float, float]


@cache
def register_fonts() -> None:
    """Register the generator's TrueType faces with reportlab (once per process)."""
    faces = fonts()
    pdfmetrics.registerFont(TTFont("song", str(faces.song)))
    pdfmetrics.registerFont(TTFont("hei", str(faces.hei)))


# Word sets ☑ ☒ ✔ in a symbol font; the generator's CJK faces (a GB 2312 subset) have none.
SYMBOL = "sym"
SYMBOL_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@cache
def register_symbol_font() -> None:
    """Register the symbol face, only when a style types its marks in it (house never does,
    so its PDFs stay byte-identical)."""
    if not SYMBOL_FONT.exists():
        raise FileNotFoundError(f"symbol font for typed ☑/☒/✔ marks not found: {SYMBOL_FONT}")
    pdfmetrics.registerFont(TTFont(SYMBOL, str(SYMBOL_FONT)))


def text_width(text: str, font: str, size: float) -> float:
    """Width in mm of ``text`` set in ``font`` at ``size`` points."""
    register_fonts()
    if font == SYMBOL:
        register_symbol_font()
    return pdfmetrics.stringWidth(text, font, size) * PT


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # top of the line box
    text: str
    font: str
    size: float
    role: str = ""
    bold: bool = False  # Word's bold for a face with no bold: the outline stroked too
    colour: tuple[float, float, float] | None = None  # Word's font colour (RGB 0–1); None: black

    @property
    def box(self) -> BoxMM:
        return (
            self.x,
            self.y,
            self.x + text_width(self.text, self.font, self.size),
            self.y + self.size * PT,
        )


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.6  # points


@dataclass(frozen=True)
class Shade:
    """A grey area printed behind text (Word's character shading); ``grey`` 0 black, 1 white."""

    x0: float
    y0: float
    x1: float
    y1: float
    grey: float = SHADING_GREY


@dataclass(frozen=True)
class TickBox:
    """A printed □ of a tick-box group; ``printed_tick`` when the tick is typed, not penned.

    ``mark`` says how the chosen box is marked (the submission's style); ``label_w`` is the
    width of the option's words after the box (where a pen circles or ticks beside them);
    ``run_on`` (x, y, width), when the words were broken at the cell's edge: where the rest
    of them runs on at the start of the next line (y as ``y``: the top of a box there).
    """

    x: float
    y: float
    size: float
    ticked: bool
    printed_tick: bool
    field: str
    option: str
    mark: TickMark = TickMark.HOUSE
    label_w: float = 0.0
    run_on: tuple[float, float, float] | None = None


@dataclass
class PageLayout:
    """One page: primitives plus the spots the paper gets ink on (seals, pen)."""

    id: str
    texts: list[Text] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    boxes: list[TickBox] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    seal_anchors: dict[str, BoxMM] = field(default_factory=dict)
    opinion_area: BoxMM | None = None
    date_marks: dict[str, BoxMM] = field(default_factory=dict)  # 年/月/日 of a hand-written date
    signature_spot: BoxMM | None = None

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: str = "song",
        size: float = BODY,
        role: str = "",
        bold: bool = False,
        colour: tuple[float, float, float] | None = None,
    ) -> Text:
        run = Text(x, y, text, font, size, role, bold, colour)
        if text:
            self.texts.append(run)
        return run

    def centred(
        self, y: float, text: str, *, font: str = "hei", size: float = HEADING, role: str = ""
    ) -> Text:
        return self.text(
            (PAGE_W - text_width(text, font, size)) / 2, y, text, font=font, size=size, role=role
        )

    def rule(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.6) -> None:
        self.rules.append(Rule(x0, y0, x1, y1, width))

    def rect(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> None:
        for a, b, c, d in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)):
            self.rule(a, b, c, d, width)

    def paragraph(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        *,
        size: float = BODY,
        font: str = "song",
        leading: float = 1.75,
        indent: int = 2,
        role: str = "",
    ) -> float:
        """Set ``text`` wrapped to ``width`` (first line indented); return the y below it."""
        step = size * PT * leading
        for line_x, line in wrap(text, width, font, size, x=x, indent=indent):
            self.text(line_x, y, line, font=font, size=size, role=role)
            y += step
        return y

    def tick_group(
        self,
        x: float,
        y: float,
        width: float,
        spec: FieldSpec,
        options: list[str],
        chosen: str | None,
        *,
        printed_tick: bool,
        size: float = BODY,
        mark: TickMark = TickMark.HOUSE,
        font: str = "song",
        break_words: bool = False,
    ) -> float:
        """□option □option … wrapped to ``width``; return the y below the last row.

        With a ``mark`` whose boxes are typed glyphs, each box is the character □ (the
        chosen one ■, √, ×, ●, ◎, ☑ or ☒; or left □ with a √ typed just after its words,
        or with its words shaded grey, typed bold and underlined, or coloured red) instead
        of a ruled
        square; with a boxless mark there is no box, only a ✔ typed where the chosen
        option's box would be. A mark that deletes the others leaves the chosen option's
        words alone where the group began (a group left blank keeps every □). With
        ``break_words``, an option that does not fit at a line's end is broken there (as
        Word does in a narrow cell): its box and first characters at the end of the line,
        the rest of its words at the start of the next.
        """
        box = size * PT * 0.95
        step = size * PT * 1.75
        cx = x
        glyph_font = SYMBOL if mark.symbol_font else font
        if mark.deletes_others and chosen in options:
            options = [chosen]  # the others deleted in Word, their boxes with them
        for option in options:
            ticked = option == chosen
            # the chosen option left alone in the cell: its words where its box was
            bare = ticked and mark.deletes_others
            label_w = text_width(option, font, size)
            # a √ typed after the chosen option's words takes its room on the line
            after = ticked and mark.typed_after_words
            after_w = AFTER_GAP + text_width("√", font, size) if after else 0.0
            needed = (0.0 if bare else box + 1.0) + label_w + after_w + 4.0
            words = [(option, label_w)]
            run_on: tuple[float, float, float] | None = None
            if cx + needed > x + width and cx > x:
                room = x + width - (cx if bare else cx + box + 1.0)
                head = _head_fitting(option, room, font, size)
                if break_words and 0 < len(head) < len(option):
                    tail = option[len(head) :]
                    tail_w = text_width(tail, font, size)
                    words = [(head, text_width(head, font, size)), (tail, tail_w)]
                    run_on = (x, y + step + 0.15 * box, tail_w)
                elif not (break_words and head == option and not after):
                    cx, y = x, y + step
            words_x = cx if bare else cx + box + 1.0
            self.boxes.append(
                TickBox(
                    cx,
                    y + 0.15 * box,
                    box,
                    ticked,
                    printed_tick,
                    spec.key,
                    option,
                    mark,
                    words[0][1],
                    run_on,
                )
            )
            if (mark.glyph_boxes and not bare) or (mark.boxless and ticked):
                glyph = "□"
                if ticked and not after and not mark.marks_words:
                    glyph = {
                        TickMark.TYPED_BLACK_SQUARE: "■",
                        TickMark.TYPED_CROSS_GLYPH: "×",
                        TickMark.TYPED_BALLOT_CHECK: "☑",
                        TickMark.TYPED_BALLOT_CROSS: "☒",
                        TickMark.TYPED_CHECK_BEFORE: "✔",
                        TickMark.TYPED_BLACK_CIRCLE: "●",
                        TickMark.TYPED_DOUBLE_CIRCLE: "◎",
                    }.get(mark, "√")
                self.text(cx, y, glyph, font=glyph_font, size=size, role=f"box:{spec.key}")
            # the chosen option's words set apart in Word (shaded, bold and underlined, or
            # coloured red)
            set_apart = ticked and mark.marks_words
            bold = set_apart and mark is TickMark.TYPED_BOLD_UNDERLINE
            colour = WORD_RED if set_apart and mark is TickMark.TYPED_RED_WORDS else None
            parts = [(words_x, y, words[0])]
            role = f"option:{spec.key}"
            self.text(
                words_x, y, words[0][0], font=font, size=size, role=role, bold=bold, colour=colour
            )
            if run_on is None:
                words_end = words_x + words[0][1]
                cx += needed
            else:  # the rest of the words at the start of the next line
                y += step
                self.text(
                    x, y, words[1][0], font=font, size=size, role=role, bold=bold, colour=colour
                )
                parts.append((x, y, words[1]))
                words_end = x + words[1][1]
                cx = x + words[1][1] + after_w + 4.0
            if after:  # √ typed just after the (last of the) chosen option's words
                self.text(
                    words_end + AFTER_GAP, y, "√", font=font, size=size, role=f"box:{spec.key}"
                )
            if set_apart:
                em = size * PT
                for px, py, (_, pw) in parts:
                    if mark is TickMark.TYPED_SHADING:
                        top, bottom = py - SHADING_ABOVE * em, py + SHADING_BELOW * em
                        self.shades.append(Shade(px, top, px + pw, bottom))
                    elif mark is TickMark.TYPED_BOLD_UNDERLINE:
                        under = py + UNDERLINE_AT * em
                        self.rule(px, under, px + pw, under, UNDERLINE_PT * size)
        return y + step


def _head_fitting(text: str, room: float, font: str, size: float) -> str:
    """The longest start of ``text`` no wider than ``room`` mm that Word would end a line
    with: never an opening bracket at its end, never a closing one left to start the rest."""
    head = ""
    for ch in text:
        if text_width(head + ch, font, size) > room:
            break
        head += ch
    while head and head != text and (head[-1] in OPENING or text[len(head)] in CLOSING):
        head = head[:-1]
    return head


def wrap(
    text: str, width: float, font: str, size: float, *, x: float = 0.0, indent: int = 0
) -> list[tuple[float, str]]:
    """Break ``text`` into lines no wider than ``width`` mm, character by character."""
    lines: list[tuple[float, str]] = []
    em = size * PT
    line_x, line, used = x + indent * em, "", indent * em
    for ch in text:
        w = text_width(ch, font, size)
        if used + w > width and line:
            lines.append((line_x, line))
            line_x, line, used = x, "", 0.0
        line += ch
        used += w
    if line:
        lines.append((line_x, line))
    return lines


class FormLayout:
    """Builds every page of one applicant's form from its template."""

    def __init__(
        self,
        applicant: Applicant,
        template: TemplateSpec,
        campaign: Campaign,
        *,
        paper: bool,
        style: Style = HOUSE,
    ) -> None:
        self.a = applicant
        self.t = template
        self.c = campaign
        self.paper = paper
        # a style marks, sets and rules the paper its own way; electronic copies keep the
        # house habits
        self.mark = style.ticks if paper else TickMark.HOUSE
        self.type = style.type if paper else TypeStyle()
        self.table_rules: TableRules = style.tables if paper else "house"
        self.lists: ListLines = style.lists if paper else "house"
        self.merge_repeats = style.merged_cells if paper else False
        self.annex_label = "附件1" if template.annex is Annex.PILOT else "附件2"

    def pages(self) -> list[PageLayout]:
        builders = {
            "cover": self._cover,
            "instructions": self._instructions,
            "basic_info": self._basic_info,
            "members": self._members,
            "kpis": self._kpis,
            "commitment": self._commitment,
            "opinion": self._opinion,
            "attachments": self._attachments,
        }
        pages: list[PageLayout] = []
        for number, spec in enumerate(self.t.pages, start=1):
            page = PageLayout(spec.id)
            builders.get(spec.id, self._narrative)(page)
            if number > 1:
                page.centred(
                    PAGE_H - 15, f"— {number} —", font="song", size=SMALL, role="page_number"
                )
            pages.append(page)
        return pages

    # --- helpers ---------------------------------------------------------------------

    def _options(self, spec: FieldSpec) -> list[str]:
        if spec.options:
            return [o.name for o in spec.options]
        assert spec.options_from is not None
        return [o.name for o in self.c.choices(spec.options_from)]

    def _printed_tick(self) -> bool:
        if self.mark is not TickMark.HOUSE:
            return self.mark.typed
        return not (self.paper and self.a.hand_ticked)

    def _value(self, key: str) -> str:
        return self.a.printed.get(key, "")

    def _face(self, house: str) -> str:
        """The face body text is set in: the style's one face, else the house's."""
        return house if self.type.face == "house" else self.type.face

    def _size(self, house: float) -> float:
        return house if self.type.size is None else self.type.size

    def _label(self, text: str, *, house_colon: str) -> str:
        """A label as the style prints it: spaced out (单　位　性　质: a short label a typist
        spreads towards the width of the long ones) and with its colon."""
        if self.type.spaced_labels and len(text) <= LABEL_SPACED_MAX and text.isalpha():
            text = "\u3000".join(text)
        colon = {"house": house_colon, "fullwidth": "：", "ascii": ":", "none": ""}
        return text + colon[self.type.colon]

    def _rule_width(self, width: float) -> float:
        return THICK_RULE if self.table_rules == "thick" else width

    def _hrule(self, page: PageLayout, x0: float, y: float, x1: float, *, frame: bool) -> None:
        """A table's horizontal rule; doubled when the style doubles the frame."""
        page.rule(x0, y, x1, y, self._rule_width(0.6))
        if frame and self.table_rules == "double":
            page.rule(x0, y + DOUBLE_GAP, x1, y + DOUBLE_GAP, 0.6)

    def _vrule(self, page: PageLayout, x: float, y0: float, y1: float, *, frame: int = 0) -> None:
        """A table's vertical rule (``frame`` -1/1: the left/right edge of the frame)."""
        if self.table_rules == "no_vertical":
            return
        page.rule(x, y0, x, y1, self._rule_width(0.6))
        if frame and self.table_rules == "double":
            page.rule(x - frame * DOUBLE_GAP, y0, x - frame * DOUBLE_GAP, y1, 0.6)

    def _heading(
        self,
        page: PageLayout,
        section_id: str,
        y: float,
        *,
        centred: bool = False,
        size: float = HEADING,
    ) -> float:
        heading = self.t.section(section_id).heading
        if centred:
            page.centred(y, heading, size=size, role=f"heading:{section_id}")
        else:
            page.text(MARGIN, y, heading, font="hei", size=size, role=f"heading:{section_id}")
        return y + size * PT * 2.2

    # --- pages -----------------------------------------------------------------------

    def _cover(self, page: PageLayout) -> None:
        page.text(MARGIN, 20, self.annex_label, font="hei", size=HEADING, role="annex_label")
        y = 62.0
        for line in self.t.cover_lines:
            page.centred(y, line, size=24, role="title")
            y += 16
        slots = {s.owner: s for s in self.t.seal_slots if s.page == "cover"}
        x, right = 36.0, PAGE_W - 30
        y = 128.0
        for key in self.t.pages[0].fields:
            spec = self.t.field(key)
            slot = slots.get(key)  # type: ignore[call-overload]
            label = slot.anchor + self._label("", house_colon="：") if slot else spec.label
            if not slot:
                label = self._label(label, house_colon="：")
            size = self._size(12)
            label_run = page.text(
                x, y, label, font=self._face("hei"), size=size, role=f"label:{key}"
            )
            if slot:
                page.seal_anchors[slot.id] = label_run.box
            # a label set wider than the house's pushes its value right, as a typist would
            value_x = max(82.0, label_run.box[2] + 2.0)
            if spec.method is ReadMethod.CHECKBOX:
                page.tick_group(
                    value_x,
                    y,
                    right - value_x,
                    spec,
                    self._options(spec),
                    str(self.a.values.get(key)),
                    printed_tick=self._printed_tick(),
                    size=size,
                    mark=self.mark,
                    font=self._face("song"),
                )
            else:
                page.text(
                    value_x,
                    y,
                    self._value(key),
                    font=self._face("song"),
                    size=size,
                    role=f"value:{key}",
                )
                page.rule(value_x, y + 6.0, right, y + 6.0, 0.5)
            y += 13.0
        page.centred(250, self.t.footer[0], font="song", size=14, role="footer")
        page.centred(259, self.t.footer[1], font="song", size=14, role="footer")

    def _instructions(self, page: PageLayout) -> None:
        section = self.t.section("instructions")
        y = self._heading(page, "instructions", 30, centred=True, size=16)
        for item in section.fixed_text:
            y = (
                page.paragraph(
                    MARGIN, y, PAGE_W - 2 * MARGIN, item, size=12, indent=0, role="instructions"
                )
                + 3
            )

    def _basic_info(self, page: PageLayout) -> None:
        y = self._heading(page, "basic_info", 22, centred=True)
        column = WIDE_LABEL_COLUMN if self.type.wrapped_options else LABEL_COLUMN
        x0, split, x1 = MARGIN, MARGIN + column, PAGE_W - MARGIN
        size = min(self._size(10.0), GRID_MAX_PT)
        face = self._face("song")
        step = size * PT * 1.6
        self._hrule(page, x0, y, x1, frame=True)
        fields = self.t.page("basic_info").fields
        for n, key in enumerate(fields, start=1):
            spec = self.t.field(key)
            top = y
            label = self._label(spec.label, house_colon="")
            label_lines = wrap(label, split - x0 - 3, face, size)
            if spec.method is ReadMethod.CHECKBOX:
                bottom = (
                    page.tick_group(
                        split + 2,
                        y + 1.6,
                        x1 - split - 3,
                        spec,
                        self._options(spec),
                        str(self.a.values.get(key)),
                        printed_tick=self._printed_tick(),
                        size=size,
                        mark=self.mark,
                        font=face,
                        break_words=self.type.wrapped_options,
                    )
                    + 0.4
                )
            else:
                value_lines = self._cell_lines(spec, self._value(key), x1 - split - 4, face, size)
                for i, (_, line) in enumerate(value_lines):
                    page.text(
                        split + 2,
                        y + 1.8 + i * step,
                        line,
                        font=face,
                        size=size,
                        role=f"value:{key}",
                    )
                bottom = y + max(1, len(value_lines)) * step + 2.4
            bottom = max(bottom, y + len(label_lines) * step + 2.4, y + 8.0)
            for i, (_, line) in enumerate(label_lines):
                page.text(
                    x0 + 2, top + 1.8 + i * step, line, font=face, size=size, role=f"label:{key}"
                )
            self._hrule(page, x0, bottom, x1, frame=n == len(fields))
            self._vrule(page, split, top, bottom)
            y = bottom
        top = self._heading_bottom(page, "basic_info")
        self._vrule(page, x0, top, y, frame=-1)
        self._vrule(page, x1, top, y, frame=1)

    def _cell_lines(
        self, spec: FieldSpec, value: str, width: float, face: str, size: float
    ) -> list[tuple[float, str]]:
        """A value cell's lines: wrapped at its edge, or for a list a style sets one item
        a line, each item on a line of its own (wrapped if it is longer than the cell)."""
        if self.lists == "lines" and spec.type == "name_list" and value:
            items = [i for i in re.split(f"[{LIST_SEPARATORS}]", value) if i]
            return [line for item in items for line in wrap(item, width, face, size)]
        return wrap(value, width, face, size)

    def _heading_bottom(self, page: PageLayout, section_id: str) -> float:
        heading = next(t for t in page.texts if t.role == f"heading:{section_id}")
        return heading.y + heading.size * PT * 2.2

    def _table(
        self,
        page: PageLayout,
        y: float,
        widths: list[float],
        header: list[str],
        rows: list[list[str]],
        roles: list[str],
        *,
        size: float = 10.0,
        merge: tuple[int, ...] = (),
    ) -> float:
        """A ruled grid with a header row; cells wrap. Returns the y below the table.

        In the ``merge`` columns, a run of body rows holding the same text shares one
        merged cell: the text once, centred across the run, no rule between its rows.
        """
        size = self._size(size)
        face = self._face("song")
        step = size * PT * 1.6
        xs = [MARGIN]
        for w in widths:
            xs.append(xs[-1] + w)
        top = y
        table = [header, *rows]
        # the first row of a merged run -> its last row, and the rows a run covers
        runs: dict[tuple[int, int], int] = {}
        covered: set[tuple[int, int]] = set()
        for i in merge:
            r = 1
            while r < len(table):
                end = r
                while end + 1 < len(table) and table[end + 1][i] == table[r][i]:
                    end += 1
                if end > r:
                    runs[(r, i)] = end
                    covered.update((k, i) for k in range(r, end + 1))
                r = end + 1
        layout = []
        for r, cells in enumerate(table):
            font = "hei" if r == 0 else face
            # the house wraps and centres every cell by its 宋体 width, the header's too
            measure = "song" if self.type.face == "house" else font
            wrapped = [wrap(cell, widths[i] - 3, measure, size) for i, cell in enumerate(cells)]
            height = max(8.0, max(len(w) for w in wrapped) * step + 2.4)
            layout.append((font, measure, wrapped, height))
        self._hrule(page, xs[0], y, xs[-1], frame=True)
        for r, (font, measure, wrapped, height) in enumerate(layout):
            for i, lines in enumerate(wrapped):
                offset = 0.0
                if (r, i) in runs:  # centred across the merged run
                    span = sum(layout[k][3] for k in range(r, runs[(r, i)] + 1))
                    offset = (span - height) / 2
                elif (r, i) in covered:
                    continue  # written once, at the run's first row
                for j, (_, line) in enumerate(lines):
                    role = "table_header" if r == 0 else roles[i]
                    lw = text_width(line, measure, size)
                    page.text(
                        xs[i] + (widths[i] - lw) / 2,
                        y + offset + 1.8 + j * step,
                        line,
                        font=font,
                        size=size,
                        role=role,
                    )
            y += height
            gaps = [i for i in merge if (r, i) in covered and (r + 1, i) in covered]
            gaps = [i for i in gaps if not any(r + 1 == start for start, c in runs if c == i)]
            if not gaps:
                self._hrule(page, xs[0], y, xs[-1], frame=r in (0, len(rows)))
            else:  # the rule stops at a merged cell and goes on after it
                edges = [xs[0]] + [x for i in sorted(gaps) for x in (xs[i], xs[i + 1])] + [xs[-1]]
                for a, b in zip(edges[::2], edges[1::2], strict=True):
                    if b > a:
                        self._hrule(page, a, y, b, frame=False)
        for i, x in enumerate(xs):
            self._vrule(page, x, top, y, frame=-1 if i == 0 else 1 if i == len(xs) - 1 else 0)
        return y

    def _members(self, page: PageLayout) -> None:
        table = self.t.table("members")
        y = self._heading(page, "members", 22, centred=True)
        members = [m for m in self.a.values.get("members") or [] if isinstance(m, Member)]
        rows = [[str(i), m.name, m.type, m.uscc] for i, m in enumerate(members, start=1)]
        roles = [f"members.{c.key}" for c in table.columns]
        merge = (2,) if self.merge_repeats else ()  # the member type's column
        self._table(
            page, y, [14, 68, 36, 42], [c.label for c in table.columns], rows, roles, merge=merge
        )

    def _narrative(self, page: PageLayout) -> None:
        spec = self.t.page(page.id)
        y = 22.0
        for section_id in spec.sections:
            section = self.t.section(section_id)
            if section.parent is None:
                if page.id.endswith("_1") or len(spec.sections) == 1:
                    y = self._heading(page, section_id, y)
                continue
            body = self.a.narratives.get(section_id)
            if body is None:
                continue  # a missing section: neither heading nor text
            y = self._heading(page, section_id, y, size=12) - 1
            y = page.paragraph(MARGIN, y, PAGE_W - 2 * MARGIN, body, role=f"body:{section_id}") + 4

    def _kpis(self, page: PageLayout) -> None:
        table = self.t.table("kpis")
        y = self._heading(page, "kpis", 22)
        rows = [
            [row.label, self._value(f"{row.key}_target"), self._value(f"{row.key}_actual")]
            for row in table.rows
        ]
        roles = ["kpi.label", "kpi.target", "kpi.actual"]
        y = self._table(page, y, [70, 45, 45], [c.label for c in table.columns], rows, roles) + 10
        body = self.a.narratives.get("self_eval")
        if body is not None:
            y = self._heading(page, "self_eval", y)
            page.paragraph(MARGIN, y, PAGE_W - 2 * MARGIN, body, role="body:self_eval")

    def _signature_block(
        self, page: PageLayout, y: float, anchor: str, slot: str, date_key: str, *, typed_date: bool
    ) -> None:
        run = page.text(112, y, anchor, size=12, role=f"anchor:{slot}")
        page.seal_anchors[slot] = run.box
        if typed_date and self._value(date_key):
            page.text(112, y + 12, self._value(date_key), size=12, role=f"value:{date_key}")
        else:
            x = 118.0
            for mark in "年月日":
                run = page.text(x, y + 12, mark, size=12, role="date_mark")
                page.date_marks[mark] = run.box
                x += 16.0

    def _commitment(self, page: PageLayout) -> None:
        section = self.t.section("commitment")
        y = self._heading(page, "commitment", 30, centred=True)
        for item in section.fixed_text:
            y = (
                page.paragraph(MARGIN, y, PAGE_W - 2 * MARGIN, item, size=12, role="commitment")
                + 20
            )
        run = page.text(MARGIN + 10, y, "法定代表人（签字）：", size=12, role="label:signature")
        page.signature_spot = (run.box[2] + 2, run.box[1] - 3, run.box[2] + 45, run.box[3] + 3)
        slot = next(s for s in self.t.seal_slots if s.page == "commitment")
        self._signature_block(page, y + 22, slot.anchor, slot.id, "commit_date", typed_date=True)

    def _opinion(self, page: PageLayout) -> None:
        opinion = self.t.opinion
        y = self._heading(page, opinion.section, 30, centred=True)
        top, bottom = y, y + 150
        page.rect(MARGIN, top, PAGE_W - MARGIN, bottom)
        page.text(MARGIN + 4, top + 5, opinion.heading, font="hei", size=12, role="opinion_heading")
        page.opinion_area = (MARGIN + 8, top + 18, PAGE_W - MARGIN - 8, bottom - 45)
        slot = next(s for s in self.t.seal_slots if s.page == "opinion")
        self._signature_block(
            page, bottom - 35, opinion.signature, slot.id, opinion.date_field, typed_date=False
        )
        page.paragraph(
            MARGIN,
            bottom + 4,
            PAGE_W - 2 * MARGIN,
            opinion.note,
            size=SMALL,
            indent=0,
            role="opinion_note",
        )

    def _attachments(self, page: PageLayout) -> None:
        section = self.t.section("attachments")
        y = self._heading(page, "attachments", 30, centred=True)
        for i, item in enumerate(section.fixed_text, start=1):
            page.text(MARGIN + 8, y, f"{i}. {item}", size=12, role="attachment")
            y += 10
