"""The real stamped images (``tests/pipeline/real/``): their labels and where their seals lie.

``labels.json`` is the upstream record (per image: seals, shapes, colours, texts, whether
it is a negative); ``places.json`` is ours, one ellipse per seal in ``labels.json``'s
order, marked by eye. The augmentation set cuts its impressions out of these images and
the seal bench scores the detector on them; both read them through here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import InputError

REAL_DIR = Path("tests") / "pipeline" / "real"
"""Where the real images are in a checkout (relative to its root)."""


class Place(BaseModel):
    """Where a seal lies: an axis-parallel ellipse in fractions of the image's sides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cx: float
    cy: float
    rx: float = Field(gt=0, description="semi-axis along x, a fraction of the width")
    ry: float = Field(gt=0, description="semi-axis along y, a fraction of the height")


class RealSeal(BaseModel):
    """One labelled seal of a real image."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shape: str
    colour: str
    text: str | None = Field(description="the lines joined with ' / '; None: not legible")
    text_kind: Literal["published", "visual"] | None
    place: Place


class RealImage(BaseModel):
    """A real image with its labelled seals (none for a negative)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    negative: bool
    seals: tuple[RealSeal, ...]

    @property
    def red_seals(self) -> tuple[RealSeal, ...]:
        return tuple(s for s in self.seals if s.colour == "red")


class _Label(BaseModel):
    """An entry of ``labels.json`` as received (extra keys such as ``notes`` ignored)."""

    model_config = ConfigDict(extra="ignore")

    seals: int
    shapes: list[str]
    colors: list[str]
    texts: list[str | None]
    text_kind: Literal["published", "visual"] | None
    negative: bool


def load_real_images(folder: Path) -> list[RealImage]:
    """The labelled images of ``folder`` (those ``labels.json`` lists), by file name.

    Raises:
        InputError: the folder has no ``labels.json`` or ``places.json``, an image is
            missing, or a seal has no place.
    """
    try:
        labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        places = json.loads((folder / "places.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: no readable labels.json and places.json ({exc})") from exc
    images: list[RealImage] = []
    for name, entry in sorted(labels.items()):
        label = _Label.model_validate(entry)
        marked = places.get(name, [])
        if not (folder / name).is_file():
            raise InputError(f"{folder}: {name} is labelled but not there")
        if len(marked) != label.seals:
            raise InputError(f"{folder}: {name} has {label.seals} seals, {len(marked)} places")
        seals = tuple(
            RealSeal(
                shape=shape,
                colour=colour,
                text=text,
                text_kind=label.text_kind,
                place=Place(cx=p[0], cy=p[1], rx=p[2], ry=p[3]),
            )
            for shape, colour, text, p in zip(
                label.shapes, label.colors, label.texts, marked, strict=True
            )
        )
        images.append(RealImage(file=name, negative=label.negative, seals=seals))
    return images
