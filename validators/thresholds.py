"""The validators' thresholds as data (``rules/*.yaml``), checked at load."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import load_yaml
from pipeline.rulebook.thresholds import (
    MatchingRules,
    OpinionRules,
    SealRules,
)
from rules import RULES_DIR

DEFAULT_SEAL_RULES_PATH = RULES_DIR / "seals.yaml"
DEFAULT_OPINION_RULES_PATH = RULES_DIR / "opinion.yaml"


def load_seal_rules(path: Path = DEFAULT_SEAL_RULES_PATH) -> SealRules:
    """Load and check ``seals.yaml``; a malformed one raises ``ConfigError``."""
    return load_yaml(path, SealRules)


def load_opinion_rules(path: Path = DEFAULT_OPINION_RULES_PATH) -> OpinionRules:
    """Load and check ``opinion.yaml``; a malformed one raises ``ConfigError``."""
    return load_yaml(path, OpinionRules)


DEFAULT_MATCHING_RULES_PATH = RULES_DIR / "matching.yaml"


def load_matching_rules(path: Path = DEFAULT_MATCHING_RULES_PATH) -> MatchingRules:
    """Load and check ``matching.yaml``; a malformed one raises ``ConfigError``."""
    return load_yaml(path, MatchingRules)
