"""The real-seal augmentation set (``shenbao samples stamped``): real impressions stamped,
with truth, onto generated pages and onto the real negatives.

The impressions are the real images' red seals cut out (``seal_cutouts``). Each image gets
one to three stamps at a random scale (25–50 mm across on an A4 page; on a real negative
as if it were A4 across its long side, which is also how the pipeline guesses the dpi of
an image that declares none), rotation, strength and fading, and place; some images put
a stamp across the page's edge (part of it off the page), some put two stamps touching
or half over each other. The ink multiplies onto the page (``ink.stamp``): it darkens,
never lightens. A generated page is the paper form rasterised, stamped, then fed through
the scanner (skew, light, blur, noise); a negative is stamped as it is.

Layout of the output folder::

    images/stamped_NNNN.jpg   the stamped pages (JPEG q90, at most 1600 px a side)
    truth.json                per image: the stamps' ellipses, shape, colour, source, cases

Every image draws from its own random stream (seed, index): the set is the same for a
seed, and one image does not depend on another.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image
from pydantic import Field

from pipeline.errors import InputError
from pipeline.model import Annex
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from shenbao_lab.generator.applicant import make_applicant
from shenbao_lab.generator.corpus import Context
from shenbao_lab.generator.ink import stamp
from shenbao_lab.generator.layout import PAGE_H, FormLayout
from shenbao_lab.generator.paper import rasterise
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.real_images import RealImage
from shenbao_lab.generator.scanner import random_profile, scan, transform_bbox
from shenbao_lab.generator.seal_cutouts import CutOut, cut_outs, negatives
from shenbao_lab.generator.truth import TruthModel, dump

Background = Literal["generated", "negative"]
Case = Literal["plain", "edge", "overlap"]

SEAL_MM = (30.0, 50.0)
"""Across the seal's longer axis, on an A4 page. The real impressions whose image has a
believable dpi measure 42 mm (seal-02, seal-04); official round seals are 38-45 mm, an
invoice seal's oval 40 mm long. (It was 25-50 mm: a round seal under the detector's
``min_round_mm`` of 28 mm is a loop of handwriting by design, not a seal a person would
call an official one.)"""
FAINTEST_RING = 0.17
"""The faintest real impression's ring, as red ink strength (absorbance of green minus
that of red, the 95th percentile over the ring band): the cut-outs at full strength range
0.17 (seal-03#3, seal-04#2) to 0.77 (seal-01), the real images themselves 0.19-0.77
(seal-05#2, on green ticket paper, 0.06, is not cut out). A stamp is weakened (opacity,
fading) at most down to this on average: the cut-outs are already real, sometimes faded,
impressions, and weakening the faintest by 0.7 and fading 0.4 again made stamps of 0.07-
0.10, fainter than any real one."""
GENERATED_DPI = (110, 125, 136)
"""Generated pages' scan resolutions: A4 at 136 dpi is 1589 px long."""
JPEG_QUALITY = 90
LONG_SIDE_MAX = 1600
NEGATIVE_SHARE = 0.4
"""Of the images, those stamped on a real negative."""
CASES: tuple[tuple[Case, float], ...] = (("plain", 0.45), ("edge", 0.25), ("overlap", 0.30))
"""How an image's stamps are laid out, and how often."""


class StampTruth(TruthModel):
    """One stamp as it landed, in pixels of the image as written."""

    centre: tuple[float, float] = Field(description="the outline's centre (x, y)")
    axes: tuple[float, float] = Field(description="semi-axes (a, b), a ≥ b")
    angle_deg: float = Field(description="direction of a, clockwise on screen from +x")
    shape: str
    colour: str
    source: str = Field(description="the cut-out: <real image>#<seal>")
    text: str | None = Field(None, description="the source seal's published text, if any")
    strength: float = Field(description="ink strength 0-1 (opacity times fading, on average)")
    inside: float = Field(description="share of the outline's area on the page")
    edge_cut: bool = Field(description="part of the seal is off the page")
    overlap: bool = Field(description="touches or overlaps another stamp")

    @property
    def case(self) -> Case:
        return "overlap" if self.overlap else "edge" if self.edge_cut else "plain"

    def bbox(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The axis-parallel box round the outline, clipped to the page (pixels)."""
        return ellipse_box(self.centre, self.axes, self.angle_deg, width, height)


class StampedImage(TruthModel):
    file: str = Field(description="relative to the set's folder")
    background: Background
    page: str = Field(description="the generated page's template page, or the negative's file")
    width: int
    height: int
    dpi: float = Field(description="as written into the file (generated) or as the A4 guess")
    stamps: tuple[StampTruth, ...]


class StampedSet(TruthModel):
    seed: int
    count: int
    real: str = Field(description="the folder the impressions were cut from")
    sources: tuple[str, ...] = Field(description="the cut-outs used")
    skipped: tuple[str, ...] = Field(description="labelled red seals not cut out, and why")
    images: tuple[StampedImage, ...]


def ellipse_box(
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    width: int,
    height: int,
) -> tuple[float, float, float, float]:
    """The axis-parallel box round an ellipse, clipped to a ``width``×``height`` page."""
    a, b = axes
    t = math.radians(angle_deg)
    half_w = math.hypot(a * math.cos(t), b * math.sin(t))
    half_h = math.hypot(a * math.sin(t), b * math.cos(t))
    x, y = centre
    return (
        max(0.0, x - half_w),
        max(0.0, y - half_h),
        min(float(width), x + half_w),
        min(float(height), y + half_h),
    )


def _ellipse_points(
    centre: tuple[float, float], axes: tuple[float, float], angle_deg: float, grow: float = 1.0
) -> np.ndarray:
    """A regular grid of points filling the ellipse (N×2), for areas and overlaps."""
    u = (np.arange(24) + 0.5) / 24 * 2 - 1
    gx, gy = np.meshgrid(u, u)
    disc = np.column_stack([gx.ravel(), gy.ravel()])
    disc = disc[(disc**2).sum(axis=1) <= 1]
    t = math.radians(angle_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return np.asarray(disc * np.asarray(axes) * grow @ rot.T + np.asarray(centre))


def _inside_share(points: np.ndarray, width: int, height: int) -> float:
    x, y = points[:, 0], points[:, 1]
    return float(((x >= 0) & (x < width) & (y >= 0) & (y < height)).mean())


def _in_ellipse(
    points: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], angle: float
) -> np.ndarray:
    t = math.radians(angle)
    d = points - np.asarray(centre)
    u = d[:, 0] * math.cos(t) + d[:, 1] * math.sin(t)
    v = -d[:, 0] * math.sin(t) + d[:, 1] * math.cos(t)
    return np.asarray((u / axes[0]) ** 2 + (v / axes[1]) ** 2 <= 1.0)


@dataclass(frozen=True)
class _Plan:
    """Where one stamp goes: the truth outline before the scanner, and its ink."""

    cut: CutOut
    centre: tuple[float, float]
    a: float  # the outline's longer semi-axis, px
    rotation: float  # counter-clockwise, degrees (``ink.stamp``)
    strength: float
    fading: float

    @property
    def scale(self) -> float:
        return self.a / self.cut.axes[0]

    @property
    def axes(self) -> tuple[float, float]:
        return (self.a, self.cut.axes[1] * self.scale)

    @property
    def angle_deg(self) -> float:
        # A counter-clockwise turn lowers a clockwise angle.
        return (self.cut.angle_deg - self.rotation) % 180


def ring_strength(cut: CutOut) -> float:
    """The cut-out's ring as red ink strength (``FAINTEST_RING``): the 95th percentile of
    its alpha in the ring band (0.8-1.05 of the outline), times its colour's red less green
    transmittance (= green absorbance less red at full alpha)."""
    h, w = cut.alpha.shape
    ys, xs = np.mgrid[0:h, 0:w]
    t = math.radians(cut.angle_deg)
    dx, dy = xs + 0.5 - cut.centre[0], ys + 0.5 - cut.centre[1]
    u = (dx * math.cos(t) + dy * math.sin(t)) / cut.axes[0]
    v = (-dx * math.sin(t) + dy * math.cos(t)) / cut.axes[1]
    r = np.sqrt(u * u + v * v)
    ring = (r >= 0.8) & (r <= 1.05)
    if not ring.any():
        return 0.0
    return float(np.percentile(cut.alpha[ring], 95)) * (cut.colour[0] - cut.colour[1])


def _weakened(cut: CutOut, opacity: float, fading: float) -> tuple[float, float]:
    """Opacity and fading as drawn, raised (opacity first, then less fading) so that the
    stamp's ring on average (opacity × (1 - fading / 2)) is no fainter than the faintest
    real impression's (``FAINTEST_RING``); a cut-out fainter than that stays as it is."""
    own = ring_strength(cut)
    if own <= FAINTEST_RING:
        return 1.0, 0.0
    least = FAINTEST_RING / own  # the mean strength it may be weakened to
    if opacity * (1 - fading / 2) >= least:
        return opacity, fading
    opacity = min(1.0, least / (1 - fading / 2))
    fading = min(fading, 2 * (1 - least / opacity))
    return opacity, fading


def _faded(cut: CutOut, fading: float, rng: np.random.Generator) -> np.ndarray:
    """The cut-out's alpha, unevenly pressed: weaker in patches by up to ``fading``."""
    h, w = cut.alpha.shape
    cell = max(h, w) / 3
    grid = rng.random((max(2, math.ceil(h / cell) + 2), max(2, math.ceil(w / cell) + 2)))
    field = cv2.resize(grid.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.asarray(cut.alpha * np.clip(1.0 - fading * field, 0.0, 1.0), dtype=np.float32)


def _put(page: Image.Image, plan: _Plan, rng: np.random.Generator) -> Image.Image:
    """Stamp one planned impression (multiply: ink only darkens the page)."""
    cut = plan.cut
    h, w = cut.alpha.shape
    size = (max(1, round(w * plan.scale)), max(1, round(h * plan.scale)))
    ink = Image.fromarray(
        np.dstack(
            [
                np.broadcast_to(np.rint(np.asarray(cut.colour) * 255), (h, w, 3)),
                np.rint(_faded(cut, plan.fading, rng) * 255),
            ]
        ).astype(np.uint8),
        "RGBA",
    ).resize(size, Image.Resampling.LANCZOS)
    # The ink image's centre goes where the outline's centre falls once scaled and turned.
    offset = (np.asarray(cut.centre) - (w / 2, h / 2)) * plan.scale
    t = math.radians(plan.rotation)
    turned = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]]) @ offset
    centre = (plan.centre[0] - float(turned[0]), plan.centre[1] - float(turned[1]))
    stamped, _ = stamp(
        page, ink, center=centre, angle_deg=plan.rotation, rng=rng, opacity=plan.strength
    )
    return stamped


def _draw_case(rng: np.random.Generator) -> Case:
    names = [c for c, _ in CASES]
    weights = np.asarray([w for _, w in CASES])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _plan_stamps(
    cuts: list[CutOut],
    case: Case,
    size: tuple[int, int],
    px_per_mm: float,
    rng: np.random.Generator,
) -> list[_Plan]:
    """The stamps of one image: one or two apart (plain), one across an edge (and maybe
    one more apart), or two touching or half over each other."""
    width, height = size

    def draw(centre: tuple[float, float] | None = None, a: float | None = None) -> _Plan:
        cut = cuts[int(rng.integers(len(cuts)))]
        major = a if a is not None else float(rng.uniform(*SEAL_MM)) * px_per_mm / 2
        margin = major * 1.05
        where = centre or (
            float(rng.uniform(margin, max(margin + 1, width - margin))),
            float(rng.uniform(margin, max(margin + 1, height - margin))),
        )
        rotation = float(rng.uniform(0, 360))
        opacity, fading = _weakened(cut, float(rng.uniform(0.7, 1.0)), float(rng.uniform(0.0, 0.4)))
        return _Plan(
            cut=cut, centre=where, a=major, rotation=rotation, strength=opacity, fading=fading
        )

    def apart(plan: _Plan, others: list[_Plan]) -> bool:
        return all(math.dist(plan.centre, o.centre) > 1.2 * (plan.a + o.a) for o in others)

    plans: list[_Plan] = []
    if case == "edge":
        first = draw()
        side = int(rng.integers(4))
        # The centre stays on the page; up to half the seal goes off it.
        depth = float(rng.uniform(0.0, 0.7)) * first.a
        x, y = first.centre
        x, y = ((depth, y), (width - depth, y), (x, depth), (x, height - depth))[side]
        plans.append(replace(first, centre=(x, y)))
    elif case == "overlap":
        first = draw()
        second = draw()
        # Touching (1.0) to half over each other (0.5): the centres' distance against
        # the sum of the semi-axes; a random direction that keeps both on the page.
        for _ in range(20):
            spread = float(rng.uniform(0.5, 1.0)) * (first.a + second.a)
            turn = float(rng.uniform(0, 2 * math.pi))
            x = first.centre[0] + spread * math.cos(turn)
            y = first.centre[1] + spread * math.sin(turn)
            if second.a <= x <= width - second.a and second.a <= y <= height - second.a:
                plans += [first, replace(second, centre=(x, y))]
                break
        else:
            plans.append(first)
    count = {"plain": int(rng.integers(1, 3)), "edge": int(rng.integers(0, 2)), "overlap": 0}
    for _ in range(count[case]):
        for _ in range(20):
            plan = draw()
            if apart(plan, plans):
                plans.append(plan)
                break
    return plans


def _truths(
    plans: list[_Plan],
    size: tuple[int, int],
    moved: list[tuple[tuple[float, float], float]],
) -> tuple[StampTruth, ...]:
    """The stamps' truth on the written page: ``moved`` is each outline's centre and angle
    after the scanner; edge and overlap measured on the outlines."""
    width, height = size
    outlines = [(c, p.axes, a) for p, (c, a) in zip(plans, moved, strict=True)]
    truths = []
    for index, (plan, (centre, axes, angle)) in enumerate(zip(plans, outlines, strict=True)):
        points = _ellipse_points(centre, axes, angle)
        inside = _inside_share(points, width, height)
        grown = _ellipse_points(centre, axes, angle, grow=1.03)
        overlap = any(
            _in_ellipse(grown, c, (ax[0] * 1.03, ax[1] * 1.03), an).any()
            for other, (c, ax, an) in enumerate(outlines)
            if other != index
        )
        truths.append(
            StampTruth(
                centre=(round(centre[0], 1), round(centre[1], 1)),
                axes=(round(axes[0], 1), round(axes[1], 1)),
                angle_deg=round(angle % 180, 1),
                shape=plan.cut.shape,
                colour=plan.cut.colour_name,
                source=plan.cut.source,
                text=plan.cut.text,
                strength=round(plan.strength * (1 - plan.fading / 2), 3),
                inside=round(inside, 3),
                edge_cut=inside < 0.999,
                overlap=overlap,
            )
        )
    return tuple(truths)


class _Printed:
    """Makes generated pages: a page of an applicant's paper form as printed, no ink."""

    def __init__(self) -> None:
        rules = load_rules(RULES_DIR)  # the forms the corpus is made for
        self.ctx = Context(rules.templates, rules.campaign, rules.export_columns)

    def page(self, rng: np.random.Generator, dpi: int) -> tuple[Image.Image, str]:
        ctx = self.ctx
        annex = Annex.PILOT if rng.random() < 0.6 else Annex.CERTIFICATION
        template = ctx.templates[annex]
        applicant = make_applicant(
            int(rng.integers(1, 999)), annex, template, ctx.campaign, ctx.online_keys, rng
        )
        layouts = FormLayout(applicant, template, ctx.campaign, paper=True).pages()
        number = int(rng.integers(len(layouts)))
        pdf = render_pdf([layouts[number]], title=template.title)
        (image,) = rasterise(pdf, dpi)
        return image, layouts[number].id


def _jpeg(image: Image.Image, dpi: float) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(
        buf, "JPEG", quality=JPEG_QUALITY, dpi=(round(dpi), round(dpi)), optimize=False
    )
    return buf.getvalue()


def _on_negative(
    image: RealImage, folder: Path, cuts: list[CutOut], rng: np.random.Generator
) -> tuple[Image.Image, float, tuple[StampTruth, ...]]:
    page = Image.open(folder / image.file).convert("RGB")
    if max(page.size) > LONG_SIDE_MAX:
        k = LONG_SIDE_MAX / max(page.size)
        page = page.resize(
            (round(page.width * k), round(page.height * k)), Image.Resampling.LANCZOS
        )
    px_per_mm = max(page.size) / PAGE_H
    plans = _plan_stamps(cuts, _draw_case(rng), page.size, px_per_mm, rng)
    for plan in plans:
        page = _put(page, plan, rng)
    moved = [(p.centre, p.angle_deg) for p in plans]
    return page, px_per_mm * 25.4, _truths(plans, page.size, moved)


def _on_generated(
    printed: _Printed, cuts: list[CutOut], rng: np.random.Generator
) -> tuple[Image.Image, str, int, tuple[StampTruth, ...]]:
    dpi = int(rng.choice(GENERATED_DPI))
    page, page_id = printed.page(rng, dpi)
    plans = _plan_stamps(cuts, _draw_case(rng), page.size, dpi / 25.4, rng)
    for plan in plans:
        page = _put(page, plan, rng)
    profile = random_profile(rng, dpi=dpi, degraded=bool(rng.random() < 0.3))
    scanned = scan(page, profile, rng)
    moved = []
    for plan in plans:
        x, y = plan.centre
        x0, y0, x1, y1 = transform_bbox((x, y, x, y), page.size, profile)
        # The scanner turns the page counter-clockwise by its skew.
        moved.append((((x0 + x1) / 2, (y0 + y1) / 2), plan.angle_deg - profile.skew_deg))
    return scanned, page_id, dpi, _truths(plans, page.size, moved)


def generate_stamped(out: Path, count: int, seed: int, real: Path) -> StampedSet:
    """Write ``count`` stamped images and their truth into ``out`` (created).

    Raises:
        InputError: ``real`` holds no red seal that can be cut out, or no negatives.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    cuts, skipped = cut_outs(real)
    backgrounds = negatives(real)
    if not cuts:
        raise InputError(f"{real}: no red seal could be cut out")
    (out / "images").mkdir(parents=True, exist_ok=True)
    printed = _Printed()
    images: list[StampedImage] = []
    for index in range(count):
        rng = np.random.default_rng([seed, index])
        name = f"images/stamped_{index + 1:04d}.jpg"
        if backgrounds and rng.random() < NEGATIVE_SHARE:
            negative = backgrounds[int(rng.integers(len(backgrounds)))]
            page, dpi, stamps = _on_negative(negative, real, cuts, rng)
            background: Background = "negative"
            source_page = negative.file
        else:
            page, source_page, dpi_int, stamps = _on_generated(printed, cuts, rng)
            dpi = float(dpi_int)
            background = "generated"
        (out / name).write_bytes(_jpeg(page, dpi))
        images.append(
            StampedImage(
                file=name,
                background=background,
                page=source_page,
                width=page.width,
                height=page.height,
                dpi=round(dpi, 2),
                stamps=stamps,
            )
        )
    truth = StampedSet(
        seed=seed,
        count=count,
        real=str(real),
        sources=tuple(c.source for c in cuts),
        skipped=tuple(f"{s.source}: {s.reason}" for s in skipped),
        images=tuple(images),
    )
    (out / "truth.json").write_text(dump(truth), encoding="utf-8")
    return truth


def load_stamped(folder: Path) -> StampedSet:
    """A set written by ``generate_stamped``.

    Raises:
        InputError: the folder has no ``truth.json`` of a stamped set.
    """
    try:
        return StampedSet.model_validate_json((folder / "truth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: not a stamped set made by `samples stamped` ({exc})") from exc
