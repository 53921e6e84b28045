"""``shenbao bench seals`` on images with seals where they are known: the real images
(``tests/pipeline/real/``) and the real-seal augmentation set (``samples stamped``).

Each image is read as the pipeline reads an image file: the image reader (its dpi, or
the A4 guess), the normalised page, then the seals found and their lettering read
(``read_seals``, as ``pipeline.read`` does). The seals found are mapped back onto the
image as written and matched to the known ones:

- **match rule**: a known seal's outline is an ellipse in the image's pixels (real
  images: ``places.json``, marked by eye to about a tenth of the seal; the augmentation
  set: the stamp's truth). Its box and the found seal's box are both clipped to the
  image (the detector's box is; a seal cut by the edge is only seen in part). A found
  seal is *at* a known one when the two boxes' centres are at most half the known
  seal's shorter semi-axis apart and the found box's size (the square root of its area)
  is between half and twice the known box's. Each known seal takes at most one found
  seal, the nearest first; a found seal at no known seal is *false*.
- **time**: seconds in ``read_seals`` per page (detection and lettering): the seal work
  a page costs; normalisation and the page's OCR are not counted. Wall time, and the
  process's CPU time beside it (every thread's: OpenCV's and ONNX Runtime's), which
  another process on the machine disturbs far less.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from pydantic import BaseModel, Field, computed_field

from pipeline.errors import InputError
from pipeline.ingest import discover, sniff
from pipeline.marks.seal_lettering import read_seals
from pipeline.model import SourceKind
from pipeline.ocr.engine import OcrEngine
from pipeline.pages import SourcePage, iter_pages
from pipeline.pool import as_a_reader
from pipeline.preprocess import normalise_page
from pipeline.rulebook import Rules
from pipeline.settings import Settings
from shenbao_lab.bench.corpus import Score, Target
from shenbao_lab.bench.seals import SealFigures
from shenbao_lab.generator.real_images import RealImage, load_real_images
from shenbao_lab.generator.stamped import StampedSet, ellipse_box

Box = tuple[float, float, float, float]
T = TypeVar("T")
SEAL_SECONDS_GOAL = 0.15
"""The issue's bound on the seal work per page, on average."""


class FoundSeal(BaseModel):
    """A seal the pipeline found, on the image as written (pixels)."""

    box: Box
    shape: str
    colour: str
    confidence: float
    text: str = ""
    inner: str = Field("", description="the inner lines, when the page's seal record has them")
    matched: bool = Field(False, description="at a known seal")


class PageSeals(BaseModel):
    """What the seal work found on one image, and how long it took."""

    width: int
    height: int
    seals_s: float
    cpu_s: float = Field(0.0, description="process CPU time in read_seals (all threads)")
    found: tuple[FoundSeal, ...]


def page_seals(source: SourcePage, rules: Rules, engine: OcrEngine) -> PageSeals:
    """The seals of one scanned page, read as ``pipeline.read`` reads them: the normalised
    page, then ``read_seals`` (timed), the boxes mapped back onto the page as written.

    Raises:
        InputError: the page is broken (no pixels).
    """
    if source.image is None:
        raise InputError(f"page {source.file_page}: {source.error_en or 'no pixels'}")
    normalised = normalise_page(source.image, source.dpi or 200.0)  # as pipeline.read does
    started, cpu_started = time.perf_counter(), time.process_time()
    marks = read_seals(normalised.image, normalised.dpi, engine, rules.seal_detection)
    seals_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    width, height = normalised.source_size
    seals = []
    for mark in marks:
        x0, y0, x1, y1 = normalised.box_to_source(mark.bbox)
        record = mark.model_dump()  # the record may carry more (``inner``) than it did
        seals.append(
            FoundSeal(
                box=(x0 * width, y0 * height, x1 * width, y1 * height),
                shape=mark.shape,
                colour=mark.colour,
                confidence=mark.confidence,
                text=mark.text,
                inner=str(record.get("inner") or ""),
            )
        )
    return PageSeals(
        width=width,
        height=height,
        seals_s=round(seals_s, 4),
        cpu_s=round(cpu_s, 4),
        found=tuple(seals),
    )


def _scanned_pages(path: Path, settings: Settings, rules: Rules) -> Iterator[SourcePage]:
    """A file's pages as the pipeline reads them (an image's through the image reader,
    its dpi or the A4 guess), the scanned ones only."""
    (found,) = discover([path])
    sniffed = sniff(found, settings)
    if sniffed.quarantined:
        raise InputError(f"{path.name} was not accepted: {sniffed.entry.reason_en}")
    for source in iter_pages(path, sniffed.kind, settings, rules):
        if source.kind is SourceKind.SCAN:
            yield source


def read_image_seals(path: Path, settings: Settings, rules: Rules, engine: OcrEngine) -> PageSeals:
    """The seals of an image file's (first) page.

    Raises:
        InputError: the file is not an image the pipeline accepts, or its page is broken.
    """
    for source in _scanned_pages(path, settings, rules):
        return page_seals(source, rules, engine)
    raise InputError(f"{path.name}: no scanned page")


class SealWork(BaseModel):
    """Seconds of seal work (detection and lettering) per page, over some pages: wall
    time (the goal's measure) and the process's CPU time (steadier on a shared machine)."""

    pages: int
    mean_s: float
    max_s: float
    cpu_mean_s: float | None = Field(None, description="mean process CPU s per page")

    @classmethod
    def of(cls, seconds: Sequence[float], cpu: Sequence[float] | None = None) -> SealWork:
        return cls(
            pages=len(seconds),
            mean_s=round(sum(seconds) / max(1, len(seconds)), 4),
            max_s=round(max(seconds, default=0.0), 4),
            cpu_mean_s=None if cpu is None else round(sum(cpu) / max(1, len(cpu)), 4),
        )

    @property
    def met(self) -> bool | None:
        return None if not self.pages else self.mean_s < SEAL_SECONDS_GOAL


def seal_work(
    files: Iterable[Path], settings: Settings, rules: Rules, engine: OcrEngine, *, pages: int
) -> SealWork:
    """The seal work on the first ``pages`` scanned pages of ``files`` (a generated
    corpus's batch: its page cache keeps no seal timings)."""
    seconds: list[float] = []
    cpu: list[float] = []
    for path in files:
        for source in _scanned_pages(path, settings, rules):
            if len(seconds) >= pages:
                return SealWork.of(seconds, cpu)
            page = page_seals(source, rules, engine)
            seconds.append(page.seals_s)
            cpu.append(page.cpu_s)
    return SealWork.of(seconds, cpu)


def warm_up(engine: OcrEngine) -> None:
    """One reading of a line of print, untimed: the engine's first calls load its models
    and set up detection and recognition (blank paper would skip the recognition), so the
    first page timed does not carry the start-up. The process is then set up as a reader
    process of the pool (``as_a_reader``: OpenCV on one thread), so the seal work is timed
    as a run does it."""
    as_a_reader()
    line = np.full((64, 360, 3), 255, dtype=np.uint8)
    cv2.putText(line, "SHENBAO 2026 12", (10, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3)
    engine.recognize(line)


def _centre(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _size(box: Box) -> float:
    return math.sqrt(max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1]))


def at_seal(found: Box, known: Box, shorter_axis: float) -> bool:
    """The match rule (module docstring): centres within half the known seal's shorter
    semi-axis, sizes within a factor of two (both boxes clipped to the image)."""
    near = math.dist(_centre(found), _centre(known)) <= shorter_axis / 2
    ratio = _size(found) / max(_size(known), 1e-9)
    return near and 0.5 <= ratio <= 2.0


def match(found: Sequence[Box], known: Sequence[tuple[Box, float]]) -> list[int | None]:
    """For each known seal (its clipped box and shorter semi-axis), the index of the found
    seal at it, or None: one found seal per known seal, the nearest pairs first."""
    pairs = sorted(
        (math.dist(_centre(f), _centre(k)), ki, fi)
        for ki, (k, axis) in enumerate(known)
        for fi, f in enumerate(found)
        if at_seal(f, k, axis)
    )
    taken: list[int | None] = [None] * len(known)
    used: set[int] = set()
    for _, ki, fi in pairs:
        if taken[ki] is None and fi not in used:
            taken[ki] = fi
            used.add(fi)
    return taken


def _matched(page: PageSeals, taken: list[int | None]) -> tuple[FoundSeal, ...]:
    used = {i for i in taken if i is not None}
    return tuple(f.model_copy(update={"matched": i in used}) for i, f in enumerate(page.found))


def _ring_and_inner(text: str | None) -> tuple[str, str]:
    parts = [p.strip() for p in (text or "").split("/")]
    return parts[0], parts[1] if len(parts) > 1 else ""


def _plain(text: str) -> str:
    return "".join(text.split())


def _read_exactly(found: FoundSeal, published: str | None) -> bool:
    """The ring read as published, spaces aside."""
    ring, _ = _ring_and_inner(published)
    return bool(ring) and _plain(found.text) == _plain(ring)


def _score(rows: Iterable[T], right: Callable[[T], object]) -> Score:
    counted = list(rows)
    return Score(right=sum(bool(right(r)) for r in counted), total=len(counted))


# ---------------------------------------------------------------------------------------
# The real images
# ---------------------------------------------------------------------------------------


class RealSealOutcome(BaseModel):
    """One labelled seal of a real image, found or not."""

    number: int = Field(description="1-based, in labels.json's order")
    shape: str
    colour: str
    found: FoundSeal | None
    published: str | None = Field(None, description="the ring / inner text, when published")

    @property
    def owner_exact(self) -> bool:
        return self.found is not None and _read_exactly(self.found, self.published)

    @property
    def colour_right(self) -> bool:
        """Reported in its colour (a black seal may be reported grey)."""
        alike = (self.colour, "grey") if self.colour == "black" else (self.colour,)
        return self.found is not None and self.found.colour in alike


class RealImageOutcome(BaseModel):
    file: str
    negative: bool
    seals_s: float
    cpu_s: float = 0.0
    seals: tuple[RealSealOutcome, ...]
    found: tuple[FoundSeal, ...] = Field(description="every seal found, matched or not")

    @property
    def red_expected(self) -> int:
        return sum(s.colour == "red" for s in self.seals)

    @property
    def red_found(self) -> int:
        return sum(s.colour == "red" and s.found is not None for s in self.seals)

    @property
    def false(self) -> int:
        return sum(not f.matched for f in self.found)

    @property
    def red_reported(self) -> int:
        return sum(f.colour == "red" for f in self.found)


class RealFigures(BaseModel):
    """What ``bench seals`` measured on the real images."""

    folder: str
    images: tuple[RealImageOutcome, ...]

    def _seals(self) -> list[RealSealOutcome]:
        return [s for i in self.images for s in i.seals]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def red_seals(self) -> Score:
        """Red seals found at their place."""
        return _score((s for s in self._seals() if s.colour == "red"), lambda s: s.found)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def false_seals(self) -> int:
        return sum(i.false for i in self.images)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def negatives_clean(self) -> Score:
        return _score((i for i in self.images if i.negative), lambda i: not i.found)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def no_red_on_other_colours(self) -> Score:
        """Images whose seals are all of another colour (black, blue) with no red seal
        reported."""
        return _score(
            (i for i in self.images if i.seals and not i.red_expected),
            lambda i: not i.red_reported,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_kind(self) -> dict[str, Score]:
        """Shape and colour → labelled seals found at their place."""
        kinds = sorted({(s.shape, s.colour) for s in self._seals()})
        return {
            f"{shape} {colour}": _score(
                (s for s in self._seals() if (s.shape, s.colour) == (shape, colour)),
                lambda s: s.found,
            )
            for shape, colour in kinds
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def colour_right(self) -> Score:
        """Of the seals found, those reported in their colour (black is reported grey)."""
        return _score(
            (s for s in self._seals() if s.found is not None),
            lambda s: s.colour_right,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def owner_exact(self) -> Score:
        """Of the seals whose text is published, those whose ring was read exactly."""
        return _score((s for s in self._seals() if s.published), lambda s: s.owner_exact)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seal_work(self) -> SealWork:
        return SealWork.of([i.seals_s for i in self.images], [i.cpu_s for i in self.images])

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Target, ...]:
        """Issue 16's "done when" on the real images."""
        return (
            Target(measure="red seals found at their place", goal=0.9, score=self.red_seals),
            Target(measure="negatives without a seal", goal=1.0, score=self.negatives_clean),
            Target(
                measure="no red seal on black or blue seals' images",
                goal=1.0,
                score=self.no_red_on_other_colours,
            ),
            Target(measure="published owner read exactly", goal=1.0, score=self.owner_exact),
        )


def score_real_image(image: RealImage, page: PageSeals) -> RealImageOutcome:
    """One real image's labelled seals against what was found on it."""
    w, h = page.width, page.height
    known = []
    for seal in image.seals:
        p = seal.place
        centre, axes = (p.cx * w, p.cy * h), (p.rx * w, p.ry * h)
        known.append((ellipse_box(centre, axes, 0.0, w, h), min(axes)))
    taken = match([f.box for f in page.found], known)
    found = _matched(page, taken)
    return RealImageOutcome(
        file=image.file,
        negative=image.negative,
        seals_s=page.seals_s,
        cpu_s=page.cpu_s,
        seals=tuple(
            RealSealOutcome(
                number=n,
                shape=seal.shape,
                colour=seal.colour,
                found=found[i] if i is not None else None,
                published=seal.text if seal.text_kind == "published" else None,
            )
            for n, (seal, i) in enumerate(zip(image.seals, taken, strict=True), start=1)
        ),
        found=found,
    )


def bench_real(folder: Path, settings: Settings, rules: Rules, engine: OcrEngine) -> RealFigures:
    """Every labelled image of ``folder`` read and scored (``labels.json``, ``places.json``)."""
    images = load_real_images(folder)
    return RealFigures(
        folder=str(folder),
        images=tuple(
            score_real_image(i, read_image_seals(folder / i.file, settings, rules, engine))
            for i in images
        ),
    )


# ---------------------------------------------------------------------------------------
# The augmentation set
# ---------------------------------------------------------------------------------------


class StampOutcome(BaseModel):
    image: str
    background: str
    shape: str
    case: str
    source: str
    found: FoundSeal | None
    published: str | None = None


class StampedImageOutcome(BaseModel):
    file: str
    background: str
    seals_s: float
    cpu_s: float = 0.0
    found: tuple[FoundSeal, ...]


class StampedFigures(BaseModel):
    """What ``bench seals`` measured on the augmentation set."""

    corpus: str
    stamps: tuple[StampOutcome, ...]
    images: tuple[StampedImageOutcome, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> dict[str, Score]:
        """All, per background, per shape, per case → stamps found at their place."""
        table = {"all": _score(self.stamps, lambda s: s.found)}
        for attribute in ("background", "shape", "case"):
            for value in sorted({getattr(s, attribute) for s in self.stamps}):
                table[f"{attribute}: {value}"] = _score(
                    (s for s in self.stamps if getattr(s, attribute) == value), lambda s: s.found
                )
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> dict[str, Score]:
        """All, per background, per shape reported → found seals at a stamp."""
        found = [(i.background, f) for i in self.images for f in i.found]
        table = {"all": _score(found, lambda bf: bf[1].matched)}
        for background in sorted({i.background for i in self.images}):
            table[f"background: {background}"] = _score(
                (bf for bf in found if bf[0] == background), lambda bf: bf[1].matched
            )
        for shape in sorted({f.shape for _, f in found}):
            table[f"shape: {shape}"] = _score(
                (bf for bf in found if bf[1].shape == shape), lambda bf: bf[1].matched
            )
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def owner_exact(self) -> Score:
        """Stamps from a seal whose text is published, found, ring read exactly."""
        return _score(
            (s for s in self.stamps if s.published),
            lambda s: s.found is not None and _read_exactly(s.found, s.published),
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seal_work(self) -> SealWork:
        return SealWork.of([i.seals_s for i in self.images], [i.cpu_s for i in self.images])

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Target, ...]:
        """Issue 16's "done when" on the augmentation set."""
        return (
            Target(measure="detection recall", goal=0.97, score=self.recall["all"]),
            Target(measure="detection precision", goal=0.99, score=self.precision["all"]),
        )


def bench_stamped(
    folder: Path,
    stamped: StampedSet,
    settings: Settings,
    rules: Rules,
    engine: OcrEngine,
    *,
    corpus: str | None = None,
) -> StampedFigures:
    """Every image of an augmentation set read and its stamps scored."""
    stamps: list[StampOutcome] = []
    images: list[StampedImageOutcome] = []
    for image in stamped.images:
        page = read_image_seals(folder / image.file, settings, rules, engine)
        known = [(s.bbox(page.width, page.height), min(s.axes)) for s in image.stamps]
        taken = match([f.box for f in page.found], known)
        found = _matched(page, taken)
        images.append(
            StampedImageOutcome(
                file=image.file,
                background=image.background,
                seals_s=page.seals_s,
                cpu_s=page.cpu_s,
                found=found,
            )
        )
        stamps += [
            StampOutcome(
                image=image.file,
                background=image.background,
                shape=s.shape,
                case=s.case,
                source=s.source,
                found=found[i] if i is not None else None,
                published=s.text,
            )
            for s, i in zip(image.stamps, taken, strict=True)
        ]
    return StampedFigures(corpus=corpus or str(folder), stamps=tuple(stamps), images=tuple(images))


class SealBenchFigures(BaseModel):
    """Everything one ``bench seals`` run measured; ``model_dump_json`` is its ``--json``."""

    generated: SealFigures | None = Field(None, description="the generated corpus, per slot")
    generated_seal_work: SealWork | None = Field(
        None, description="on the first scanned pages of the generated corpus"
    )
    real: RealFigures | None = None
    stamped: StampedFigures | None = None
