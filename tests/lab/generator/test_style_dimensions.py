"""Style families beyond the tick mark (issue 17): type, scanning and table rulings.

Each is data in ``styles.yaml``, checked when loaded, drawn once per submission from the
style's own stream, recorded in ``truth/styles.json``; the house draws none of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from pydantic import ValidationError
from shenbao_lab.generator import generate_corpus
from shenbao_lab.generator.applicant import make_applicant
from shenbao_lab.generator.corpus import Context
from shenbao_lab.generator.layout import GRID_MAX_PT, PAGE_H, THICK_RULE, FormLayout, PageLayout
from shenbao_lab.generator.scanner import (
    binding_shadow,
    photocopy,
    punched_holes,
    scan,
    transform_bbox,
    write_image_pdf,
)
from shenbao_lab.generator.styles import (
    HOUSE,
    ScanStyle,
    Style,
    StyleFamily,
    TickMark,
    TypeStyle,
    draw_style,
    load_styles,
    with_turned_page,
)
from shenbao_lab.generator.truth import StylesTruth

from pipeline.model import Annex
from tests.lab.scans import dark_bbox, scan_profile
from tests.rulebook import RULES

# --- the families as data ------------------------------------------------------------


def test_the_shipped_families_use_every_new_dimension_in_both_splits() -> None:
    styles = load_styles()
    for split in ("tuned", "withheld"):
        families = styles.of(split)
        assert any(f.type.spaced_labels != (False,) for f in families), split
        assert any(set(f.scan.modes) & {"greyscale", "bilevel"} for f in families), split
        assert any(f.scan.turns != (0,) for f in families), split
        assert any(f.tables.rules != ("house",) for f in families), split
        # session 13's: options broken at a narrow cell's edge, list lines, merged cells,
        # other hands, phone photos
        assert any(True in f.type.wrapped_options for f in families), split
        assert any("lines" in f.tables.lists for f in families), split
        assert any(True in f.tables.merged_cells for f in families), split
        assert any(f.handwriting.hands != ("house",) for f in families), split
        assert any(True in f.scan.phone_photo for f in families), split


def test_every_withheld_family_makes_a_choice_no_tuned_family_makes() -> None:
    styles = load_styles()

    def choices(f: StyleFamily) -> set[tuple[str, object]]:
        own: set[tuple[str, object]] = {("ticks", t) for t in f.ticks}
        own |= {("colon", c) for c in f.type.colons} | {("turn", t) for t in f.scan.turns}
        own |= {("rules", r) for r in f.tables.rules} | {("skew", f.scan.max_skew_deg)}
        own |= {("hand", h) for h in f.handwriting.hands}
        return own

    tuned = set().union(*(choices(f) for f in styles.of("tuned")))
    for f in styles.of("withheld"):
        assert choices(f) - tuned, f.name


_HOUSE = "{name: house, split: house, ticks: [house]}"
_WITHHELD = "{name: w, split: withheld, ticks: [pen_fill]}"


@pytest.mark.parametrize(
    ("tuned", "error"),
    [
        ("{name: t, split: tuned, ticks: [pen_cross], type: {sizes: [9]}}", "outside"),
        ("{name: t, split: tuned, ticks: [pen_cross], scan: {dpi: [600]}}", "outside"),
        ("{name: t, split: tuned, ticks: [pen_cross], scan: {modes: [sepia]}}", "modes"),
        ("{name: t, split: tuned, ticks: [pen_cross], scan: {turns: [45]}}", "turns"),
        ("{name: t, split: tuned, ticks: [pen_cross], tables: {rules: [dotted]}}", "rules"),
        ("{name: t, split: tuned, ticks: [pen_cross], type: {faces: [kai]}}", "faces"),
        ("{name: t, split: tuned, ticks: [pen_cross], type: {colons: [none, none]}}", "twice"),
        (
            "{name: t, split: tuned, ticks: [pen_cross], scan: {jpeg_quality: [70, 40]}}",
            "jpeg_quality",
        ),
        ("{name: t, split: tuned, ticks: [pen_slash], handwriting: {hands: [scrawl]}}", "hands"),
        ("{name: t, split: tuned, ticks: [pen_slash], handwriting: {inks: [red]}}", "inks"),
        ("{name: t, split: tuned, ticks: [pen_slash], tables: {lists: [bullets]}}", "lists"),
        ("{name: t, split: tuned, ticks: [pen_slash], tables: {merged_cells: [1, 2]}}", "merged"),
        ("{name: t, split: tuned, ticks: [pen_slash], scan: {phone_photo: [true, true]}}", "twice"),
        ("{name: t, split: tuned, ticks: [pen_slash], type: {wrapped_options: [x]}}", "wrapped"),
    ],
)
def test_malformed_dimensions_are_refused_when_loaded(
    tmp_path: Path, tuned: str, error: str
) -> None:
    path = tmp_path / "styles.yaml"
    path.write_text(f"families: [{_HOUSE}, {tuned}, {_WITHHELD}]\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=error):
        load_styles(path)


@pytest.mark.parametrize("choice", ["scan: {modes: [greyscale]}", "handwriting: {hands: [neat]}"])
def test_the_house_family_chooses_nothing_beyond_its_ticks(tmp_path: Path, choice: str) -> None:
    path = tmp_path / "styles.yaml"
    house = f"{{name: house, split: house, ticks: [house], {choice}}}"
    tuned = "{name: t, split: tuned, ticks: [pen_cross]}"
    path.write_text(f"families: [{house}, {tuned}, {_WITHHELD}]\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="house family chooses no"):
        load_styles(path)


def test_a_drawn_style_is_seeded_and_within_its_familys_choices() -> None:
    styles = load_styles()
    families = styles.of("all")
    for seed in (101, 7):
        for i in range(2 * len(families)):
            style = draw_style("all", seed, i)
            assert style == draw_style("all", seed, i)
            f = styles.family(style.family)
            assert style.ticks in f.ticks
            assert style.type.face in f.type.faces
            assert (style.type.size or "house") in f.type.sizes
            assert style.type.spaced_labels in f.type.spaced_labels
            assert style.type.colon in f.type.colons
            assert style.scan.mode in f.scan.modes
            assert (style.scan.dpi or "house") in f.scan.dpi
            assert style.scan.turn in f.scan.turns
            assert style.tables in f.tables.rules
            if f.scan.jpeg_quality is not None:
                low, high = f.scan.jpeg_quality
                assert style.scan.jpeg_quality is not None
                assert low <= style.scan.jpeg_quality <= high
            turned = with_turned_page(style, 8, seed, i)
            if style.scan.turn:
                assert turned.scan.turned_page is not None and 2 <= turned.scan.turned_page <= 8
            else:
                assert turned is style


# --- type and tables on the page ---------------------------------------------------------


def _layout(style: Style, annex: Annex = Annex.PILOT) -> dict[str, PageLayout]:
    ctx = Context(RULES.templates, RULES.campaign, RULES.export_columns)
    template = ctx.templates[annex]
    rng = np.random.default_rng([5, 0])
    applicant = make_applicant(1, annex, template, ctx.campaign, ctx.online_keys, rng)
    pages = FormLayout(applicant, template, ctx.campaign, paper=True, style=style).pages()
    return {p.id: p for p in pages}


def _styled(**changes: object) -> Style:
    return Style(family="t", split="tuned", ticks=TickMark.TYPED_CHECK).model_copy(update=changes)


def test_a_styles_face_size_spacing_and_colon_reach_every_label_and_value() -> None:
    type_ = TypeStyle(face="hei", size=13.0, spaced_labels=True, colon="ascii")
    pages = _layout(_styled(type=type_))
    basic = pages["basic_info"]
    labels = [t for t in basic.texts if t.role.startswith("label:")]
    values = [t for t in basic.texts if t.role.startswith(("value:", "option:"))]
    assert labels and values
    # the grid is set at most GRID_MAX_PT: larger, it would run off the sheet
    assert all(t.font == "hei" and t.size == GRID_MAX_PT for t in labels + values)
    texts = {t.text for t in labels}
    assert "单\u3000位\u3000性\u3000质:" in texts  # four characters: spaced out
    assert "统一社会信用代码:" in texts  # long labels are not
    cover = pages["cover"]
    cover_labels = [t for t in cover.texts if t.role.startswith("label:")]
    assert all(t.text.endswith(":") and t.size == 13.0 for t in cover_labels)
    for label in cover_labels:  # a wider label pushes its value right, never under it
        key = label.role.removeprefix("label:")
        after = [t for t in cover.texts if t.role in (f"value:{key}", f"option:{key}")]
        assert all(t.x >= label.box[2] for t in after)


@pytest.mark.parametrize("annex", [Annex.PILOT, Annex.CERTIFICATION])
def test_the_largest_type_stays_on_the_sheet(annex: Annex) -> None:
    type_ = TypeStyle(face="hei", size=14.0, spaced_labels=True, colon="fullwidth")
    for page in _layout(_styled(type=type_, tables="double"), annex).values():
        ink = [t.box[3] for t in page.texts if t.role != "page_number"]
        ink += [r.y1 for r in page.rules]
        assert max(ink, default=0.0) < PAGE_H - 16, page.id  # above the page number


def test_house_type_is_untouched_by_a_tick_only_style() -> None:
    house = _layout(HOUSE)
    ticks_only = _layout(_styled(ticks=TickMark.PEN_CROSS))
    for page_id, page in house.items():
        other = ticks_only[page_id]
        assert [(t.text, t.font, t.size, t.x, t.y) for t in page.texts] == [
            (t.text, t.font, t.size, t.x, t.y) for t in other.texts
        ]
        assert page.rules == other.rules


@pytest.mark.parametrize("rules", ["no_vertical", "thick", "double"])
def test_table_rulings(rules: str) -> None:
    house = _layout(HOUSE)
    styled = _layout(_styled(tables=rules))
    for page_id in ("basic_info", "members"):
        h, s = house[page_id].rules, styled[page_id].rules
        vertical = [r for r in s if r.x0 == r.x1]
        if rules == "no_vertical":
            assert not vertical and len(s) == len([r for r in h if r.x0 != r.x1])
        elif rules == "thick":
            assert len(s) == len(h) and {r.width for r in s} == {THICK_RULE}
        else:  # the frame's four sides doubled (and a table's header rule)
            assert len(s) == len(h) + (4 if page_id == "basic_info" else 5)
    assert [t.text for t in styled["members"].texts] == [t.text for t in house["members"].texts]


# --- the scanner -------------------------------------------------------------------------


@pytest.mark.parametrize("turn", [90, 270])
def test_a_page_fed_sideways_is_turned_and_its_boxes_with_it(turn: int) -> None:
    size = (400, 600)
    box = (10, 20, 60, 50)
    page = Image.new("RGB", size, "white")
    ImageDraw.Draw(page).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill="black")
    profile = scan_profile(quarter_turn=turn)
    scanned = scan(page, profile, np.random.default_rng(1))
    assert scanned.size == (600, 400)
    assert dark_bbox(scanned) == tuple(round(v) for v in transform_bbox(box, size, profile))
    if turn == 90:  # clockwise: the top-left corner goes to the top right
        assert dark_bbox(scanned)[0] > 500


def test_a_bilevel_scan_is_one_bit_and_written_as_a_bitmap(tmp_path: Path) -> None:
    page = Image.new("RGB", (300, 400), (245, 245, 240))
    ImageDraw.Draw(page).rectangle((50, 60, 149, 99), fill=(200, 30, 30))  # red ink
    scanned = scan(page, scan_profile(greyscale=True, bilevel=True), np.random.default_rng(1))
    assert scanned.mode == "1"
    assert dark_bbox(scanned) == (50, 60, 150, 100)  # red reads black, paper white
    path = tmp_path / "bw.pdf"
    write_image_pdf(
        [scanned, Image.new("L", (300, 400), 200)], path, dpi=[150, 200], jpeg_quality=70
    )
    pdf = pdfium.PdfDocument(path)
    try:
        assert pdf[0].get_size() == pytest.approx((144.0, 192.0))  # 300 px at 150 dpi
        assert pdf[1].get_size() == pytest.approx((108.0, 144.0))
        rendered = pdf[0].render(scale=150 / 72).to_pil()
    finally:
        pdf.close()
    assert dark_bbox(rendered) == (50, 60, 150, 100)
    assert b"/BitsPerComponent 1 /Filter /FlateDecode" in path.read_bytes()


def test_photocopy_shadow_and_holes() -> None:
    page = Image.new("RGB", (800, 1100), "white")
    ImageDraw.Draw(page).rectangle((300, 300, 500, 340), fill=(30, 40, 200))
    rng = np.random.default_rng(3)
    copied = photocopy(page, rng, dpi=100)
    rgb = np.asarray(copied, dtype=np.int16)
    assert (rgb[..., 0] == rgb[..., 2]).all()  # the copier prints black: no colour left
    grey = rgb[..., 0]
    assert grey[310:330, 320:480].mean() < 80  # the ink stays dark
    paper = grey[600:1000, 100:700]
    assert 200 < np.median(paper) < 250 and (paper < 128).any()  # greyish, with specks
    assert copied.tobytes() == photocopy(page, np.random.default_rng(3), dpi=100).tobytes()

    shaded = np.asarray(binding_shadow(page, np.random.default_rng(3), dpi=100).convert("L"))
    assert shaded[:, 0].mean() < 180 and shaded[:, 700].mean() == 255
    blank = Image.new("RGB", (800, 1100), "white")
    holed = np.asarray(punched_holes(blank, np.random.default_rng(3), dpi=100).convert("L"))
    dark_columns = np.nonzero((holed < 128).any(axis=0))[0]
    assert dark_columns.min() > 0 and dark_columns.max() < 100 / 25.4 * 20  # left margin
    rows = np.nonzero((holed < 128).any(axis=1))[0]
    assert rows.max() - rows.min() > 100 / 25.4 * 80  # two holes 80 mm apart


# --- the corpus ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_styled_corpus_records_every_choice_and_scans_as_it_says(tmp_path: Path) -> None:
    styles = load_styles()
    seed = next(s for s in range(200) if draw_style("tuned", s, 0).family == "bw-sideways")
    generate_corpus(tmp_path, count=1, seed=seed, styles="tuned")
    truth = StylesTruth.model_validate_json(
        (tmp_path / "truth/styles.json").read_text(encoding="utf-8")
    )
    (recorded,) = truth.applicants.values()
    assert recorded.family == "bw-sideways"
    assert recorded.scan.mode == "bilevel" and recorded.scan.turned_page is not None
    assert recorded.scan.turn in styles.family("bw-sideways").scan.turns
    assert recorded.type.face == "song" and recorded.tables == "thick"
    assert ScanStyle.model_validate(recorded.scan.model_dump()) == recorded.scan
    pdf = pdfium.PdfDocument(tmp_path / "batch/scan_0001.pdf")
    try:
        sizes = [pdf[i].get_size() for i in range(len(pdf))]
    finally:
        pdf.close()
    turned = recorded.scan.turned_page
    assert turned is not None
    for number, (w, h) in enumerate(sizes, start=1):  # A4, one page on its side if turned so
        sideways = number == turned and recorded.scan.turn in (90, 270)
        assert (w > h) == sideways
    assert (
        b"/BitsPerComponent 1 /Filter /FlateDecode"
        in (tmp_path / "batch/scan_0001.pdf").read_bytes()
    )
    page_truth = json.loads((tmp_path / "truth/P001.json").read_text())
    scan_truth = page_truth["sources"][0]
    assert scan_truth["tolerated_findings"] or not scan_truth["seals"]  # no red to see
