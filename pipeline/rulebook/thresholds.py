"""The schemas of ``rules/seals.yaml``, ``rules/opinion.yaml`` and ``rules/matching.yaml``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from pipeline.config import Regex, Spec


class RowPieces(Spec):
    """When two lines of one row are read as one printed text run together."""

    row_overlap: float = Field(
        gt=0.0, le=1.0, description="share of the shorter line's height both must share"
    )
    gap: float = Field(ge=0.0, description="the most space between them, in line heights")
    overlap: float = Field(
        ge=0.0,
        description="how far (the left one's character widths) the right may start over it",
    )


class HiddenAnchor(Spec):
    """Where a slot's anchor is when its own seal hid all or part of it."""

    min_chars: int = Field(ge=1, description="the fewest characters of the anchor's start")
    max_extra: int = Field(ge=0, description="characters after them the seal's ink may add")
    lone_seal: bool = Field(
        description="on a page of one slot, its one seal stands in for an anchor read nowhere"
    )


class SlotGeometry(Spec):
    """How far from its （盖章） anchor a mark may sit, in seal sizes."""

    beside: float = Field(ge=0.0, description="to the left or right of the anchor line")
    above: float = Field(ge=0.0, description="above the anchor line")
    below: float = Field(ge=0.0, description="below the anchor line")
    anchor_match: float = Field(ge=0.0, le=100.0, description="partial_ratio for the anchor")
    anchor_pieces: RowPieces = Field(description="an anchor read in two pieces on its row")
    hidden_anchor: HiddenAnchor = Field(description="an anchor its own seal hid")
    nominal_seal: tuple[
        Annotated[float, Field(gt=0.0, le=1.0)], Annotated[float, Field(gt=0.0, le=1.0)]
    ] = Field(description="a seal's width and height (page fractions) when none is measured")


class MarkRules(Spec):
    min_confidence: float = Field(ge=0.0, le=1.0, description="a surer mark is a seal")
    unread_ink_min_overlap: float = Field(
        gt=0.0, le=1.0, description="share of an unread-ink blob inside a slot's zone"
    )
    unread_ink_min_size: float = Field(
        ge=0.0,
        le=1.0,
        description="share of a seal's size (both ways) unexplained ink must reach to be a "
        "seal the detector missed, not a printed mark the OCR missed",
    )
    unread_ink_pieces: float | None = Field(
        None,
        gt=0.0,
        description="pieces of unread ink within this many seal sizes of an arc of a ring "
        "(one piece unread_ink_min_size of a seal long one way) are one faded seal's, "
        "together unread_ink_min_size of one both ways; None: one piece must be so alone",
    )
    grey_absence: int | None = Field(
        None,
        ge=1,
        description="an empty slot of a grey copy is SEAL_MISSING when the copy shows at "
        "least this many whole seals elsewhere; None: always SEAL_UNVERIFIABLE",
    )
    official_colours: tuple[Literal["red", "blue", "black", "grey"], ...] = Field(
        ("red", "grey"),
        min_length=1,
        description="a seal in another ink on a colour scan is not taken as the official seal",
    )


class OwnerRules(Spec):
    """How a seal's lettering is matched to its expected owner."""

    min_text_chars: int = Field(ge=1)
    min_text_confidence: float = Field(ge=0.0, le=1.0)
    match: float = Field(ge=0.0, le=100.0, description="ratio for 'reads as this name'")
    margin: float = Field(ge=0.0, le=100.0, description="best name over the runner-up")
    not_owner: float = Field(ge=0.0, le=100.0, description="at most this: not the owner")
    stem_errors: float = Field(
        ge=0.0,
        le=0.5,
        description="share of a name's stem (the name without its ending) a misread ring "
        "may get wrong and still read as that name (at least one character)",
    )
    sure_confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="a reading that names no known organisation is another owner only "
        "when read at least this surely",
    )
    name_endings: tuple[str, ...] = Field(
        min_length=1,
        description="how an authority's name ends, besides entities.yaml's org_suffixes: "
        "a reading is built like a name when it ends so",
    )
    look_alike_cost: float = Field(
        ge=0.0, le=1.0, description="substituting a look-alike character (look_alikes.yaml)"
    )
    end_chars: int = Field(ge=0, description="a name's last characters, misread more often")
    end_cost: float = Field(ge=0.0, le=1.0, description="an edit among them costs this much")
    unreadable_red_is_unverifiable: bool = False
    misread_length: int = Field(
        ge=0,
        description="a reading of no one known that is as long as the owner's name, give or "
        "take this many characters, ...",
    )
    misread_keep: int = Field(
        ge=1,
        description="... and keeps its first and its last this many characters is the "
        "owner's ring misread in its middle: unverifiable, never another owner",
    )
    lost_chars: int = Field(
        ge=0,
        description="a reading that is the owner's name, or a part of it, with at most this "
        "many characters lost inside it cannot show the seal is another's",
    )

    @model_validator(mode="after")
    def _not_owner_below_match(self) -> OwnerRules:
        if self.not_owner >= self.match:
            raise ValueError("not_owner must be below match")
        if self.sure_confidence < self.min_text_confidence:
            raise ValueError("sure_confidence must not be below min_text_confidence")
        return self


class SealRules(Spec):
    """The schema of ``rules/seals.yaml``."""

    geometry: SlotGeometry
    marks: MarkRules
    owner: OwnerRules


class OpinionRules(Spec):
    """The schema of ``rules/opinion.yaml``."""

    printed_match: float = Field(ge=0.0, le=100.0)
    note_match: float = Field(ge=0.0, le=100.0)
    min_opinion_chars: int = Field(ge=1)
    seal_lettering_overlap: float = Field(gt=0.0, le=1.0)
    seal_lettering_max_chars: int = Field(ge=0)
    seal_lettering_match: float = Field(ge=0.0, le=100.0)
    date_line: Regex = Field(description="a line wholly matching it is the date, not opinion")
    misread_favourable: Regex = Field(
        description="an opinion read sure that recommends neither way but holds this: the "
        "favourable phrase with a character misread, for review, not a refusal"
    )
    refusal_marks: tuple[str, ...] = Field(
        description="characters of a refusal: an opinion holding one is not read as misread favour"
    )


class FuzzyStage(Spec):
    """One fuzzy stage of matching paper to online: a pair is taken at ``threshold`` or
    above, and only when it beats every rival (other filing, other paper) by ``margin``."""

    threshold: float = Field(gt=0.0, le=100.0, description="rapidfuzz ratio, 0–100")
    margin: float = Field(ge=0.0, lt=100.0, description="best over the runner-up, 0–100")

    @model_validator(mode="after")
    def _margin_below_threshold(self) -> FuzzyStage:
        if self.margin >= self.threshold:
            raise ValueError("margin must be below threshold")
        return self


class CopiesRule(Spec):
    """When two paper submissions of a batch are copies of one applicant's form (1式2份)."""

    name_threshold: float = Field(
        gt=0.0,
        le=100.0,
        description="rapidfuzz ratio (0–100) both the organisation and the centre names "
        "must reach (with the same sure USCC, or the names alone when a USCC is unsure)",
    )


class MatchingRules(Spec):
    """The schema of ``rules/matching.yaml``."""

    org_name: FuzzyStage
    center_name: FuzzyStage
    copies: CopiesRule
    unsure_names: bool = Field(
        description="names read below the review threshold still take part in fuzzy matching"
    )
