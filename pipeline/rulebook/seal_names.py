"""The schema of ``rules/look_alikes.yaml``: characters an OCR may take for each other."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from pydantic import Field, field_validator

from pipeline.config import Spec


class Alike:
    """Look-alike pairs (both orders), hashed and compared by identity: a cache keyed on
    them (``validators.seal_names``) never compares thousands of pairs to find an entry,
    as it would for two equal frozensets loaded apart (a bench's rules beside the
    tests')."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.pairs = frozenset(pairs)

    def __contains__(self, pair: object) -> bool:
        return pair in self.pairs


class LookAlikes(Spec):
    """Pairs of look-alike characters (``shenbao bench look-alikes`` writes them)."""

    pairs: tuple[str, ...] = Field(description="each two distinct characters")

    @field_validator("pairs")
    @classmethod
    def _two_distinct(cls, pairs: tuple[str, ...]) -> tuple[str, ...]:
        for pair in pairs:
            if len(pair) != 2 or pair[0] == pair[1]:
                raise ValueError(f"{pair!r}: a pair is two distinct characters")
        return pairs

    @cached_property
    def lookup(self) -> Alike:
        """Both orders of every pair."""
        return Alike([(p[0], p[1]) for p in self.pairs] + [(p[1], p[0]) for p in self.pairs])

    def alike(self, a: str, b: str) -> bool:
        return (a, b) in self.lookup
