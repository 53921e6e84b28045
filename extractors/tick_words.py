"""The option whose printed words carry more ink than print: a tick cue read off the words.

Not every hand marks the box. Word's grey shading behind the chosen option's words, the
words typed bold, a pen ✓ drawn over them: a person sees at a glance which option's words
are darker than the others', though every box is empty. The page records how dark each
text line is along its length (``LineInk.shade``). Here each option's words are measured
there as ink per width (the mean darkness times the line's height: a taller OCR box round
shaded words holds more paper, not less ink), in units of what the page's printed lines of
the group's type size carry (their median), and compared with the group's other options,
printed alike.

The cue decides only when it is clear: one option's words well above their printed
expectation and well above every other option's, the others at print. Anything less
decides nothing; an option that stands out without being clear makes a blank unsure, and
the reviewer is told which cue (``Doubt.TICK_WORDS_INK``). Thresholds are data
(``rules/ticks.yaml``: ``words_ink``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, floor
from statistics import median

from extractors.normalize import Normalizer
from pipeline.config import Choice
from pipeline.marks.tick_boxes import char_extents
from pipeline.model import BBox, LineInk, Page, Span, TickBox
from pipeline.rulebook.ticks import WordsInk


@dataclass(frozen=True)
class WordsReading:
    """What the words' ink says of a group: the option it marks (and where its words are)
    when that is clear; ``unsure`` when an option's words stand out without being clear."""

    chosen: tuple[Choice, BBox] | None
    unsure: bool
    inks: tuple[float, ...] = ()  # each option's words' ink, in printed expectations
    tints: tuple[float, ...] = ()  # the ground behind each option's words (LineInk.tint)
    strokes: tuple[float, ...] = ()  # each option's strokes' width, in line heights
    colours: tuple[float, ...] = ()  # the share of each option's words' ink that is coloured
    # some option's words placed by its box alone (the OCR did not read them): only their
    # colour was judged, so no reading here confirms a box's ink
    placed: bool = False
    # on a greyscale scan, one option's words clearly lighter than every other's: words
    # printed in a colour the scan greys (red), or faded: a doubt, never a reading
    lighter: bool = False


def _find(read: str, name: str) -> tuple[int, int]:
    """Where ``name`` starts in ``read`` and how many characters of ``read`` it spans:
    exactly, else (names of three characters or more) with one character misread, else
    (names of four or more) with one character lost — a pen stroke over a word costs the
    OCR a character, misread or dropped (外企业 for 外资企业 under a ✓). (-1, 0) when
    nowhere."""
    if not name or len(read) < len(name) - 1:
        return -1, 0
    at = read.find(name)
    if at >= 0 or len(name) < 3:
        return at, len(name)
    for i in range(len(read) - len(name) + 1):
        if sum(a != b for a, b in zip(read[i : i + len(name)], name, strict=True)) <= 1:
            return i, len(name)
    if len(name) >= 4:
        for k in range(1, len(name) - 1):  # the first and last characters kept
            at = read.find(name[:k] + name[k + 1 :])
            if at >= 0:
                return at, len(name) - 1
    return -1, 0


def _words(
    option: Choice, y: float, start: float, page: Page, normalize: Normalizer
) -> tuple[int, Span] | None:
    """The text line (index in ``Page.lines``) through height ``y`` holding an option's
    printed words right of ``start``, and their x-range (characters spread by width over
    the line, ``char_extents``), or None."""
    names = [normalize.text(n) for n in (option.name, *option.aliases)]
    for index, line in sorted(enumerate(page.lines), key=lambda il: il[1].bbox[0]):
        x0, y0, x1, y1 = line.bbox
        if not (y0 <= y <= y1) or x1 <= start:
            continue
        extents = char_extents(line.text, x0, x1)
        read, where = "", []
        for i, char in enumerate(line.text):
            if extents[i][0] < start:
                continue
            folded = normalize.text(char)
            read += folded
            where += [i] * len(folded)
        for name in names:
            at, length = _find(read, name)
            if at >= 0:
                return index, (extents[where[at]][0], extents[where[at + length - 1]][1])
    return None


def _reaches(seal: BBox, part: BBox, ring: float) -> bool:
    """Whether a seal (the ellipse its box holds, its ring ``ring`` past it, in shares of
    the box's half sides) reaches into a part of a line (x0, y0, x1, y1)."""
    a, b = (seal[2] - seal[0]) / 2, (seal[3] - seal[1]) / 2
    if a <= 0 or b <= 0:
        return False
    cx, cy = seal[0] + a, seal[1] + b
    nx = min(max(cx, part[0]), part[2])
    ny = min(max(cy, part[1]), part[3])
    return bool(((nx - cx) / a) ** 2 + ((ny - cy) / b) ** 2 <= (1.0 + ring) ** 2)


def _mean(
    values: tuple[float, ...], ink: LineInk, span: Span, off: Sequence[BBox] = (), ring: float = 0.0
) -> float | None:
    """The mean of a line's profile over an x-range, or None when it holds no step; with
    seals (``off``), over the steps none of them reaches, None when fewer than half of
    the range's steps are left."""
    if ink.step <= 0 or not values:
        return None
    first = max(0, floor((span[0] - ink.bbox[0]) / ink.step))
    last = min(len(values), ceil((span[1] - ink.bbox[0]) / ink.step))
    if last <= first:
        return None
    y0, y1 = ink.bbox[1], ink.bbox[3]
    part = [
        values[k]
        for k in range(first, last)
        if not any(
            _reaches(
                s, (ink.bbox[0] + k * ink.step, y0, ink.bbox[0] + (k + 1) * ink.step, y1), ring
            )
            for s in off
        )
    ]
    if 2 * len(part) < last - first:
        return None
    return sum(part) / len(part)


def _ground(ink: LineInk, span: Span) -> float:
    """The mean tint of the ground (``LineInk.tint``) over an x-range's measured steps."""
    if ink.step <= 0 or not ink.tint:
        return 0.0
    first = max(0, floor((span[0] - ink.bbox[0]) / ink.step))
    last = min(len(ink.tint), ceil((span[1] - ink.bbox[0]) / ink.step))
    tints = [t for t in ink.tint[first:last] if t >= 0]
    return sum(tints) / len(tints) if tints else 0.0


def _stroke(ink: LineInk, span: Span) -> float | None:
    """The mean stroke width (``LineInk.stroke``) over an x-range's inked steps."""
    if ink.step <= 0 or not ink.stroke:
        return None
    first = max(0, floor((span[0] - ink.bbox[0]) / ink.step))
    last = min(len(ink.stroke), ceil((span[1] - ink.bbox[0]) / ink.step))
    widths = [w for w in ink.stroke[first:last] if w > 0]
    return sum(widths) / len(widths) if widths else None


def _printed(page: Page, height: float, rules: WordsInk) -> float | None:
    """The ink per width printed words of about ``height`` carry on the page: the median
    over its lines that tall (within ``same_size``) of each one's darkness over its own
    text times its height; None with fewer than ``min_lines`` such lines."""
    found = []
    for ink in page.line_ink:
        if abs(ink.height / height - 1.0) > rules.same_size:
            continue
        line = page.lines[ink.line]
        value = _mean(ink.shade, ink, (line.bbox[0], line.bbox[2]))
        if value is not None and value > 0:
            found.append(value * ink.height)
    if len(found) < rules.min_lines:
        return None
    return median(found)


def words_marked(
    group: Sequence[TickBox],
    pairs: Sequence[tuple[TickBox, Choice]],
    options: tuple[Choice, ...],
    label_end: float,
    page: Page,
    rules: WordsInk,
    normalize: Normalizer,
    seal_ring: float = 0.0,
) -> WordsReading | None:
    """The option whose words carry clearly more ink than print (grey shading behind
    them, bold type, a ✓ over them), judged against the page's printed words of their
    size and the group's other options. None when the page has no darkness profiles, has
    too few printed lines of the group's size, or not every option's words were found.

    A grey or black seal's ink is on the image the lines were measured on (a red seal's
    is off it): each option's words are measured only where no such seal (its ring
    ``seal_ring`` past its box's ellipse) reaches, and not at all (None) when it covers
    half of them or more."""
    if not page.line_ink or not any(i.shade for i in page.line_ink):
        return None
    inks = {i.line: i for i in page.line_ink}
    boxed = {id(o): b for b, o in pairs}
    rows = sorted({round((b.bbox[1] + b.bbox[3]) / 2, 4) for b in group})
    measured: list[tuple[Choice, int, Span]] = []
    placed: list[int] = []  # the options whose words were placed by their box alone
    for option in options:
        box = boxed.get(id(option))
        tries = (
            [((box.bbox[1] + box.bbox[3]) / 2, box.bbox[0] - (box.bbox[2] - box.bbox[0]))]
            if box is not None
            else [(y, label_end) for y in rows]
        )
        found = next(
            (w for y, start in tries if (w := _words(option, y, start, page, normalize))), None
        )
        if found is None and box is not None:
            # words the OCR did not read (printed red: red is off the image it reads)
            found = _after_box(option, box, group, page, normalize)
            placed.append(len(measured))
        if found is None or found[0] not in inks:
            return None
        measured.append((option, *found))
    # a copy's grey (or a black) seal's ink is on the lines, and no mark
    seals = [s.bbox for s in page.seals if s.colour != "red"]
    # The group's type size: its options' lines' (a line round shaded words is taller).
    expected = _printed(page, median(inks[line].height for _, line, _ in measured), rules)
    if expected is None:
        return None
    values: list[float] = []
    tints: list[float] = []
    strokes: list[float] = []
    colours: list[float] = []
    # the words' own colour, measured only where no seal of any colour reaches (a red
    # seal's ring crossing the words is no colour of theirs)
    printed_in: list[float | None] = []
    # a pen's colour over the words with the paper taken for white, off every seal too
    pens: list[float | None] = []
    every_seal = [s.bbox for s in page.seals]
    for _, line, span in measured:
        shade = _mean(inks[line].shade, inks[line], span, seals, seal_ring)
        if shade is None:
            return _tint_alone(measured, inks, page, rules)
        values.append(shade * inks[line].height / expected)
        tints.append(_ground(inks[line], span))
        strokes.append(_stroke(inks[line], span) or 0.0)
        colours.append(_mean(inks[line].colour, inks[line], span) or 0.0)
        printed_in.append(_mean(inks[line].chroma, inks[line], span, every_seal, seal_ring))
        pens.append(_mean(inks[line].pen, inks[line], span, every_seal, seal_ring))
    coloured, coloured_seen = _coloured_words(printed_in, rules)
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    top = values[order[0]]
    others = max((values[i] for i in order[1:]), default=0.0)
    picks = (
        # words placed by their box alone: only their colour is measured where they are
        {coloured}
        if placed and coloured is not None
        else set()
        if placed
        else {
            i
            for i in (
                order[0]
                if top >= rules.marked and top - others >= rules.margin and others <= rules.plain
                else None,
                _tinted(tints, rules),
                _heavier(values, strokes, rules),
                _coloured(colours, rules),
                _penned(pens, rules),
                coloured,
            )
            if i is not None
        }
    )
    if len(picks) == 1:
        (pick,) = picks
        option, line, (x0, x1) = measured[pick]
        y0, y1 = page.lines[line].bbox[1], page.lines[line].bbox[3]
        return WordsReading(
            (option, (x0, y0, x1, y1)),
            False,
            tuple(values),
            tuple(tints),
            tuple(strokes),
            tuple(colours),
            bool(placed),
        )
    # Not clear: two cues for two options, an option at ``marked`` (two of them shaded),
    # or one standing out.
    rest = median([values[i] for i in order[1:]]) if len(order) > 1 else 0.0
    unsure = (
        len(picks) > 1
        or coloured_seen
        or (
            not placed
            and (
                top >= rules.marked or (top >= rules.noticed and top - rest >= rules.noticed_margin)
            )
        )
    )
    lightest = min(range(len(values)), key=lambda i: values[i])
    lighter = (
        bool(page.greyscale)
        and not placed
        and len(values) > 1
        and values[lightest]
        <= rules.lighter * min(v for i, v in enumerate(values) if i != lightest)
    )
    return WordsReading(
        None,
        unsure,
        tuple(values),
        tuple(tints),
        tuple(strokes),
        tuple(colours),
        bool(placed),
        lighter,
    )


def _tint_alone(
    measured: Sequence[tuple[Choice, int, Span]],
    inks: dict[int, LineInk],
    page: Page,
    rules: WordsInk,
) -> WordsReading | None:
    """A seal over half of an option's words or more leaves their ink unmeasured (its
    ring and lettering are ink too), but not the ground between their strokes: each
    pixel row at its brightest within a fraction of a character (``LineInk.tint``) finds
    the paper between a ring's or lettering's strokes as between print's, while a
    highlighter or Word's shading lies under all of it. The one option on a clearly tinted
    ground (``_tinted``) is read; anything else decides nothing (None, as before)."""
    tints = [_ground(inks[line], span) for _, line, span in measured]
    pick = _tinted(tints, rules)
    if pick is None:
        return None
    option, line, (x0, x1) = measured[pick]
    y0, y1 = page.lines[line].bbox[1], page.lines[line].bbox[3]
    return WordsReading((option, (x0, y0, x1, y1)), False, tints=tuple(tints))


def _alone(values: Sequence[float]) -> tuple[int, float] | None:
    """The index of the greatest value and the greatest of the rest, or None when fewer
    than two."""
    if len(values) < 2:
        return None
    top = max(range(len(values)), key=lambda i: values[i])
    return top, max(v for i, v in enumerate(values) if i != top)


def _tinted(tints: Sequence[float], rules: WordsInk) -> int | None:
    """The one option whose words lie on a tinted ground the group's other options lack
    (a highlighter, a shading behind them): its ground at least ``tint_margin`` darker and
    ``tint_ratio`` times as dark as any other's."""
    found = _alone(tints)
    if found is None:
        return None
    top, rest = found
    clear = tints[top] - rest >= rules.tint_margin and tints[top] >= rules.tint_ratio * rest
    return top if clear else None


def _heavier(values: Sequence[float], strokes: Sequence[float], rules: WordsInk) -> int | None:
    """The one option whose words are heavier than the group's other options, printed
    alike: both the most ink (``heavier_ink`` times any other's, and ``heavier_print``
    printed inks at least: words only at print are no heavier than print, whatever the
    others' lightness says) and the thickest strokes (``heavier_stroke`` times any
    other's) — bold type, a pen over the words."""
    ink, stroke = _alone(values), _alone(strokes)
    if ink is None or stroke is None or ink[0] != stroke[0] or min(ink[1], stroke[1]) <= 0:
        return None  # not both measured on every option
    top = ink[0]
    heavy = values[top] >= rules.heavier_ink * ink[1] and values[top] >= rules.heavier_print
    thick = strokes[top] >= rules.heavier_stroke * stroke[1]
    return top if heavy and thick else None


def _coloured(colours: Sequence[float], rules: WordsInk) -> int | None:
    """The one option whose words carry coloured ink the group's other options lack (a
    pen's ✓ drawn over them on a colour scan; print is black): at least `colour_min` of
    its words' ink coloured and `colour_ratio` times any other option's share."""
    found = _alone(colours)
    if found is None:
        return None
    top, rest = found
    clear = colours[top] >= rules.colour_min and colours[top] >= rules.colour_ratio * rest
    return top if clear else None


def _penned(pens: Sequence[float | None], rules: WordsInk) -> int | None:
    """The one option whose words carry a pen's colour (``LineInk.pen``: the page's paper
    taken for white, so that black print under a phone photo's cast is black): at least
    ``pen_min`` of its words' ink coloured while every other option's words are at most
    ``pen_plain`` — the others print alone. None when any option's words lie under a seal
    (its ink is no pen's one can tell) or a second option carries colour too."""
    if len(pens) < 2 or any(v is None for v in pens):
        return None
    known = [v for v in pens if v is not None]
    top = max(range(len(known)), key=lambda i: known[i])
    rest = max(v for i, v in enumerate(known) if i != top)
    return top if known[top] >= rules.pen_min and rest <= rules.pen_plain else None


def _coloured_words(shares: Sequence[float | None], rules: WordsInk) -> tuple[int | None, bool]:
    """The one option whose words are printed in colour (the chosen words coloured red in
    Word): at least ``coloured_words`` of their ink coloured, every other option's words
    at most ``coloured_plain`` (black print), each measured off the seals (None where a
    seal covers them). Then whether the colour was seen without deciding: two options'
    words coloured, one short of clear, or coloured words beside words a seal keeps from
    being judged — a person would look, never a guess."""
    seen = any(v is not None and v > rules.coloured_plain for v in shares)
    if len(shares) < 2 or any(v is None for v in shares):
        return None, seen
    known = [v for v in shares if v is not None]
    top = max(range(len(known)), key=lambda i: known[i])
    rest = max(v for i, v in enumerate(known) if i != top)
    if known[top] >= rules.coloured_words and rest <= rules.coloured_plain:
        return top, False
    return None, seen


def _after_box(
    option: Choice, box: TickBox, group: Sequence[TickBox], page: Page, normalize: Normalizer
) -> tuple[int, Span] | None:
    """Where an option's printed words lie when the OCR did not read them: from just
    after its box, as wide as its name in box sides (a character is about a box wide),
    short of the next box on its row; on the measured line (``Page.line_ink``) through
    the box's middle that reaches furthest over them. None when no line does."""
    x0, y0, x1, y1 = box.bbox
    side, middle = x1 - x0, (y0 + y1) / 2
    name = normalize.text(option.name)
    width = sum(e - s for s, e in char_extents(name, 0.0, float(len(name)))) if name else 0.0
    begin = x1 + 0.2 * side
    end = min(
        [begin + width * side]
        + [
            b.bbox[0] - 0.2 * side
            for b in group
            if b.bbox[0] > x1 and b.bbox[1] <= middle <= b.bbox[3]
        ]
    )
    if end <= begin:
        return None
    best: tuple[float, int] | None = None
    for ink in page.line_ink:
        if not ink.bbox[1] <= middle <= ink.bbox[3]:
            continue
        cover = min(end, ink.bbox[2]) - max(begin, ink.bbox[0])
        if cover > 0 and (best is None or cover > best[0]):
            best = (cover, ink.line)
    if best is None or best[0] < 0.5 * (end - begin):
        return None
    return best[1], (begin, end)


def coloured_after_glyphs(
    options: tuple[Choice, ...],
    lines: Sequence[int],
    page: Page,
    rules: WordsInk,
    normalize: Normalizer,
    boxes: str,
    seal_ring: float = 0.0,
) -> WordsReading | None:
    """No box found, the OCR's □ read before the options' words: the one option whose
    words are printed in colour (``_coloured_words``). Red is off the image the OCR
    reads, so the chosen words may be missing from its text, leaving a □ with nothing
    after it (□企业型 □): when exactly one option's words were read nowhere in the
    group's ``lines`` (indices in ``Page.lines``) and exactly one □ stands bare, its
    words lie after it (as wide as its name in the □'s widths, past the line's end as
    far as the line's ink was measured). None when the options cannot all be placed so.
    ``boxes``: the characters the OCR reads a typed box as."""
    inks = {i.line: i for i in page.line_ink}
    if not inks or not any(i.chroma for i in page.line_ink):
        return None
    placed: dict[int, tuple[int, Span]] = {}
    bare: list[tuple[int, Span]] = []
    for index in lines:
        line = page.lines[index]
        if index not in inks:
            continue
        extents = char_extents(line.text, line.bbox[0], line.bbox[2])
        text = line.text
        for i, char in enumerate(text):
            if char not in boxes:
                continue
            rest = text[i + 1 :].lstrip()
            start = extents[i][1]
            found = None
            for k, option in enumerate(options):
                names = [normalize.text(n) for n in (option.name, *option.aliases)]
                if any(normalize.text(rest).startswith(n) for n in names):
                    found = k
                    break
            if found is not None:
                last = min(len(text) - 1, len(text) - len(rest) + len(options[found].name) - 1)
                placed.setdefault(found, (index, (start, extents[last][1])))
            elif not rest or rest[0] in boxes:
                bare.append((index, (start, extents[i][1] - extents[i][0])))
    missing = [k for k in range(len(options)) if k not in placed]
    if len(missing) != 1 or len(bare) != 1 or len(options) < 2:
        return None
    index, (start, side) = bare[0]
    name = normalize.text(options[missing[0]].name)
    width = sum(e - s for s, e in char_extents(name, 0.0, float(len(name)))) if name else 0.0
    placed[missing[0]] = (index, (start + 0.2 * side, start + (width + 0.2) * side))
    every_seal = [s.bbox for s in page.seals]
    shares = [
        _mean(inks[at].chroma, inks[at], span, every_seal, seal_ring)
        for at, span in (placed[k] for k in range(len(options)))
    ]
    pick, seen = _coloured_words(shares, rules)
    if pick is None:
        return WordsReading(None, seen, placed=True)
    at, (x0, x1) = placed[pick]
    y0, y1 = page.lines[at].bbox[1], page.lines[at].bbox[3]
    return WordsReading((options[pick], (x0, y0, x1, y1)), False, placed=True)
