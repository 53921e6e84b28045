"""Style families (issue 17): loaded and checked as data, drawn per submission, and each
tick mark drawn where a person would put it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError
from shenbao_lab.generator import generate_corpus
from shenbao_lab.generator.layout import SYMBOL, PageLayout, TickBox
from shenbao_lab.generator.paper import _Paper
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.styles import (
    HOUSE,
    STYLES_FILE,
    TickMark,
    draw_style,
    load_styles,
)
from shenbao_lab.generator.truth import StylesTruth

from tests.rulebook import RULES

DPI = 200


def test_the_shipped_families_load_with_a_tuned_and_a_withheld_split() -> None:
    styles = load_styles()
    splits = {f.split for f in styles.families}
    assert splits == {"house", "tuned", "withheld"}
    marks = {m for f in styles.families for m in f.ticks}
    assert marks == set(TickMark)  # every mark the generator draws is in some family
    tuned = {m for f in styles.of("tuned") for m in f.ticks}
    withheld = {m for f in styles.of("withheld") for m in f.ticks}
    assert not tuned & withheld  # a withheld mark is never seen while tuning


@pytest.mark.parametrize(
    ("families", "error"),
    [
        (
            "[{name: house, split: house, ticks: [house]}, {name: house, split: tuned, "
            "ticks: [pen_cross]}, {name: w, split: withheld, ticks: [pen_fill]}]",
            "unique",
        ),
        (
            "[{name: house, split: house, ticks: [house]}, {name: t, split: tuned, "
            "ticks: [house]}, {name: w, split: withheld, ticks: [pen_fill]}]",
            "house way",
        ),
        (
            "[{name: house, split: house, ticks: [house]}, {name: t, split: tuned, "
            "ticks: [pen_cross]}]",
            "no withheld",
        ),
        (
            "[{name: house, split: house, ticks: [house]}, {name: t, split: tuned, "
            "ticks: [pen_smudge]}, {name: w, split: withheld, ticks: [pen_fill]}]",
            "ticks",
        ),
    ],
)
def test_malformed_families_are_refused_when_loaded(
    tmp_path: Path, families: str, error: str
) -> None:
    path = tmp_path / "styles.yaml"
    path.write_text(f"families: {families}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=error):
        load_styles(path)
    assert STYLES_FILE.exists()


def test_house_draws_nothing_and_the_families_take_turns() -> None:
    assert draw_style("house", 5, 3) is HOUSE
    families = load_styles().of("all")
    drawn = [draw_style("all", 5, i) for i in range(len(families))]
    assert sorted(s.family for s in drawn) == sorted(f.name for f in families)
    assert drawn == [draw_style("all", 5, i) for i in range(len(families))]  # seeded
    assert {draw_style("withheld", 5, i).split for i in range(10)} == {"withheld"}
    assert [draw_style("all", 6, i) for i in range(len(families))] != drawn


_NAMED = (
    "[{name: house, split: house, ticks: [house]}, {name: t1, split: tuned, ticks: "
    "[pen_cross]}, {name: t2, split: tuned, ticks: [pen_fill]}, {name: w, split: withheld, "
    "ticks: [pen_slash]}]"
)


def test_tuned_families_can_be_named_and_withheld_ones_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "styles.yaml"
    path.write_text(f"families: {_NAMED}\n", encoding="utf-8")
    styles = load_styles(path)
    assert [f.name for f in styles.of("t2, t1")] == ["t2", "t1"]
    assert [f.name for f in styles.of("t1")] == ["t1"]
    drawn = {draw_style("t1,t2", 3, i, styles).family for i in range(6)}
    assert drawn == {"t1", "t2"}
    assert {draw_style("t1,t2", 3, i, styles).split for i in range(6)} == {"tuned"}
    with pytest.raises(ValueError, match="only tuned families"):
        styles.of("t1,w")
    with pytest.raises(ValueError, match="only tuned families"):
        styles.of("house,t1")
    with pytest.raises(ValueError, match="no style family named nope"):
        styles.of("t1,nope")
    with pytest.raises(ValueError, match="named twice"):
        styles.of("t1,t1")
    with pytest.raises(ValueError, match="one of"):
        styles.of(",")


def test_the_command_line_refuses_a_withheld_family_by_name(tmp_path: Path) -> None:
    from shenbao_lab.cli import samples_app
    from typer.testing import CliRunner

    withheld = load_styles().of("withheld")[0].name
    result = CliRunner().invoke(
        samples_app, ["generate", "--out", str(tmp_path / "c"), "--styles", withheld]
    )
    assert result.exit_code != 0
    assert "only tuned families" in result.output
    assert not (tmp_path / "c").exists()


def _ink(image: Image.Image) -> np.ndarray:
    """Where the pen wrote: blue ink on the white page."""
    rgb = np.asarray(image, dtype=np.int16)
    return (rgb[..., 2] - rgb[..., 0]) > 40


def _marked(mark: TickMark) -> tuple[np.ndarray, TickBox, _Paper]:
    paper = _Paper(Image.new("RGB", (800, 400), "white"), DPI)
    box = TickBox(30.0, 20.0, 3.5, True, False, "org_nature", "国有企业", mark, 14.0)
    paper.mark(box, np.random.default_rng(1))
    return _ink(paper.image), box, paper


def _px_box(paper: _Paper, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
    return slice(round(paper.px(y0)), round(paper.px(y1))), slice(
        round(paper.px(x0)), round(paper.px(x1))
    )


@pytest.mark.parametrize("mark", [TickMark.PEN_CHECK_LARGE, TickMark.PEN_CROSS, TickMark.PEN_FILL])
def test_pen_marks_in_the_box_put_ink_inside_it(mark: TickMark) -> None:
    ink, box, paper = _marked(mark)
    inside = ink[
        _px_box(paper, box.x + 0.2, box.y + 0.2, box.x + box.size - 0.2, box.y + box.size - 0.2)
    ]
    assert inside.mean() > (0.5 if mark is TickMark.PEN_FILL else 0.04)
    if mark is TickMark.PEN_CHECK_LARGE:  # it runs out past the box's top edge
        above = ink[_px_box(paper, box.x, box.y - 3 * box.size, box.x + 3 * box.size, box.y)]
        assert above.any()


def test_a_circled_option_leaves_its_box_empty_and_rings_the_words() -> None:
    ink, box, paper = _marked(TickMark.PEN_CIRCLE)
    inside = ink[
        _px_box(paper, box.x + 0.4, box.y + 0.4, box.x + box.size - 0.4, box.y + box.size - 0.4)
    ]
    assert inside.mean() < 0.02
    ys, xs = np.nonzero(ink)
    assert xs.min() < paper.px(box.x) and xs.max() > paper.px(box.x + box.size + 1 + box.label_w)
    assert ys.min() < paper.px(box.y) and ys.max() > paper.px(box.y + box.size)


def test_an_underline_runs_under_the_words_and_leaves_the_box_empty() -> None:
    ink, box, paper = _marked(TickMark.PEN_UNDERLINE)
    ys, xs = np.nonzero(ink)
    words = (box.x + box.size + 1, box.x + box.size + 1 + box.label_w)
    assert xs.min() >= paper.px(words[0] - 1.0) and xs.max() <= paper.px(words[1] + 1.0)
    assert ys.min() >= paper.px(box.y + box.size - 0.5)  # under the line of the words
    assert xs.max() - xs.min() > paper.px(0.8 * box.label_w)


def test_a_mark_beside_sits_after_the_words_before_the_next_box() -> None:
    ink, box, paper = _marked(TickMark.PEN_BESIDE)
    _, xs = np.nonzero(ink)
    words_end = box.x + box.size + 1 + box.label_w
    assert xs.min() >= paper.px(words_end - 0.5)
    assert xs.max() <= paper.px(words_end + 4.0 + 0.5)  # the next option's box starts there


def test_typed_glyph_boxes_are_characters_not_ruled_squares() -> None:
    for mark, chosen in (
        (TickMark.TYPED_BLACK_SQUARE, "■"),
        (TickMark.TYPED_CHECK_GLYPH, "√"),
        (TickMark.TYPED_CROSS_GLYPH, "×"),
        (TickMark.TYPED_BALLOT_CHECK, "☑"),
        (TickMark.TYPED_BALLOT_CROSS, "☒"),
    ):
        page = PageLayout("basic_info")
        spec = RULES.templates[next(iter(RULES.templates))].field("org_nature")
        page.tick_group(
            30, 20, 150, spec, ["国有企业", "民营企业"], "民营企业", printed_tick=True, mark=mark
        )
        assert [t.text for t in page.texts if t.role.startswith("box:")] == ["□", chosen]
        assert all(b.mark is mark for b in page.boxes)


def test_ballot_glyphs_are_typed_in_a_symbol_font_and_a_check_before_has_no_box() -> None:
    spec = RULES.templates[next(iter(RULES.templates))].field("org_nature")

    def group(mark: TickMark) -> PageLayout:
        page = PageLayout("basic_info")
        page.tick_group(
            30, 20, 150, spec, ["国有企业", "民营企业"], "民营企业", printed_tick=True, mark=mark
        )
        return page

    page = group(TickMark.TYPED_BALLOT_CROSS)
    assert {t.font for t in page.texts if t.role.startswith("box:")} == {SYMBOL}
    page = group(TickMark.TYPED_CHECK_BEFORE)
    typed = [t for t in page.texts if t.role.startswith("box:")]
    assert [t.text for t in typed] == ["✔"]  # before the chosen words only
    words = next(t for t in page.texts if t.text == "民营企业")
    assert typed[0].x < words.x < typed[0].x + 6
    pdf = render_pdf([page], title="t")
    assert b"/DejaVuSans" in pdf or b"DejaVu" in pdf  # the glyph's own face, embedded
    assert not any(b.mark.glyph_boxes for b in page.boxes)  # nothing ruled, nothing typed


def test_a_styled_corpus_says_each_submissions_style_and_keeps_its_content(
    tmp_path: Path,
) -> None:
    generate_corpus(tmp_path / "house", count=1, seed=11)
    generate_corpus(tmp_path / "styled", count=1, seed=11, styles="withheld")
    styled = StylesTruth.model_validate_json(
        (tmp_path / "styled/truth/styles.json").read_text(encoding="utf-8")
    )
    assert {s.split for s in styled.applicants.values()} == {"withheld"}
    assert not (tmp_path / "house/truth/styles.json").exists()
    house = json.loads((tmp_path / "house/truth/P001.json").read_text(encoding="utf-8"))
    other = json.loads((tmp_path / "styled/truth/P001.json").read_text(encoding="utf-8"))
    assert house["sources"][0]["fields"] == other["sources"][0]["fields"]
    assert "--styles withheld" in (tmp_path / "styled/README.md").read_text(encoding="utf-8")
