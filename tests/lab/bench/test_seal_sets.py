"""``bench seals`` on the real images and the augmentation set: the match rule, the
scoring of a tiny drawn case (found seals handed in: no detector, no OCR), the command's
options."""

from __future__ import annotations

from pathlib import Path

import pytest
from shenbao_lab.bench.seal_sets import (
    FoundSeal,
    PageSeals,
    RealFigures,
    StampedFigures,
    StampedImageOutcome,
    StampOutcome,
    at_seal,
    match,
    score_real_image,
)
from shenbao_lab.generator.real_images import load_real_images
from typer.testing import CliRunner

from flows.cli import app
from tests.lab.tiny_real import write_real_folder


def _found(
    box: tuple[float, float, float, float], colour: str = "red", text: str = ""
) -> FoundSeal:
    return FoundSeal(box=box, shape="round", colour=colour, confidence=0.9, text=text)


def test_a_seal_is_at_its_place_within_half_its_shorter_axis_and_twice_its_size() -> None:
    known = (100.0, 100.0, 300.0, 260.0)  # centre (200, 180); shorter semi-axis 80
    assert at_seal(known, known, 80)
    assert at_seal((135.0, 100.0, 335.0, 260.0), known, 80)  # 35 off: within 40
    assert not at_seal((145.0, 100.0, 345.0, 260.0), known, 80)  # 45 off
    assert not at_seal((180.0, 160.0, 220.0, 200.0), known, 80)  # same centre, far smaller
    # A seal cut by the edge: both boxes clipped, so their centres agree.
    assert at_seal((0.0, 100.0, 60.0, 200.0), (0.0, 100.0, 62.0, 200.0), 50)


def test_each_known_seal_takes_one_found_seal_the_nearest_first() -> None:
    left, right = (0.0, 0.0, 100.0, 100.0), (90.0, 0.0, 190.0, 100.0)
    found = [(95.0, 0.0, 195.0, 100.0), (2.0, 0.0, 102.0, 100.0)]
    assert match(found, [(left, 50.0), (right, 50.0)]) == [1, 0]
    assert match(found[:1], [(left, 50.0), (right, 50.0)]) == [None, 0]


def test_a_tiny_real_folder_is_scored_image_by_image(tmp_path: Path) -> None:
    images = {i.file: i for i in load_real_images(write_real_folder(tmp_path / "real"))}
    seal = score_real_image(
        images["seal.png"],
        PageSeals(
            width=400,
            height=400,
            seals_s=0.1,
            cpu_s=0.08,
            found=(
                _found((82.0, 78.0, 322.0, 318.0), text="测试有限公司"),  # at the seal
                _found((10.0, 10.0, 60.0, 60.0)),  # at no seal
            ),
        ),
    )
    blank = score_real_image(
        images["blank.png"],
        PageSeals(
            width=560,
            height=400,
            seals_s=0.3,
            cpu_s=0.12,
            found=(_found((60.0, 5.0, 120.0, 40.0)),),
        ),
    )
    assert [s.found is not None for s in seal.seals] == [True]
    assert (seal.red_found, seal.red_expected, seal.false) == (1, 1, 1)
    assert seal.seals[0].owner_exact  # the published ring, read as published
    figures = RealFigures(folder="tiny", images=(seal, blank))
    assert (figures.red_seals.right, figures.red_seals.total) == (1, 1)
    assert figures.false_seals == 2
    assert (figures.negatives_clean.right, figures.negatives_clean.total) == (0, 1)
    assert figures.by_kind["round red"].rate == 1.0
    assert figures.seal_work.mean_s == pytest.approx(0.2)
    assert figures.seal_work.cpu_mean_s == pytest.approx(0.1)  # the CPU time beside it
    assert figures.seal_work.met is False
    met = {t.measure: t.met for t in figures.targets}
    assert met["red seals found at their place"] and not met["negatives without a seal"]
    assert met["published owner read exactly"]
    again = RealFigures.model_validate_json(figures.model_dump_json())
    assert again.images == figures.images


def test_the_augmentation_set_is_scored_per_background_shape_and_case() -> None:
    hit, false = _found((0, 0, 10, 10)).model_copy(update={"matched": True}), _found((0, 0, 5, 5))

    def stamp(
        image: str, background: str, shape: str, case: str, found: FoundSeal | None
    ) -> StampOutcome:
        return StampOutcome(
            image=image, background=background, shape=shape, case=case, source="s#1", found=found
        )

    stamps = (
        stamp("a", "generated", "round", "plain", hit),
        stamp("a", "generated", "oval", "edge", None),
        stamp("b", "negative", "round", "overlap", hit),
    )
    images = (
        StampedImageOutcome(file="a", background="generated", seals_s=0.1, found=(hit,)),
        StampedImageOutcome(file="b", background="negative", seals_s=0.1, found=(hit, false)),
    )
    figures = StampedFigures(corpus="tiny", stamps=stamps, images=images)
    recall = {k: (v.right, v.total) for k, v in figures.recall.items()}
    assert recall["all"] == (2, 3) and recall["shape: oval"] == (0, 1)
    assert recall["case: edge"] == (0, 1) and recall["background: negative"] == (1, 1)
    precision = {k: (v.right, v.total) for k, v in figures.precision.items()}
    assert precision["all"] == (2, 3) and precision["background: generated"] == (1, 1)
    assert [t.met for t in figures.targets] == [False, False]


def test_the_command_offers_the_three_sets_apart() -> None:
    result = CliRunner().invoke(app, ["bench", "seals", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--real", "--no-real", "--stamped", "--stamp", "--no-generated", "--samples"):
        assert option in result.output
    result = CliRunner().invoke(app, ["samples", "stamped", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--out", "--count", "--seed", "--real"):
        assert option in result.output


def test_stamped_and_stamp_together_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["bench", "seals", "--no-generated", "--stamped", str(tmp_path), "--stamp", "2"]
    )
    assert result.exit_code != 0 and "not both" in result.output
