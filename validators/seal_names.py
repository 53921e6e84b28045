"""How far a seal's lettering is from a name: an edit distance that knows OCR's errors.

A ring read by OCR has characters swapped for look-alikes (州/洲, 息/急: the pairs of
``rules/look_alikes.yaml``, found by ``shenbao bench look-alikes``), and its last
characters, squeezed where the ring closes, misread more often than the rest
(剧南州工业和售急化爬 for 黔南州工业和信息化局). So the distance weighs:

- substituting a look-alike costs ``owner.look_alike_cost`` instead of 1;
- an edit among the name's last ``owner.end_chars`` characters costs ``owner.end_cost``
  times as much;
- a name's stem (the name without its ending, what tells two names apart) is matched
  against the start of the reading, where a ring's lettering begins.
"""

from __future__ import annotations

from functools import lru_cache

from pipeline.rulebook.seal_names import Alike
from pipeline.rulebook.thresholds import OwnerRules

__all__ = ["Alike", "distance", "similarity", "start_distance"]


@lru_cache(maxsize=1 << 18)
def _table(
    reading: str, name: str, alike: Alike, look_alike_cost: float, end_chars: int, end_cost: float
) -> tuple[float, ...]:
    """The last row of the weighted edit table: the cost of the whole of ``name`` against
    each prefix of ``reading`` (index i: its first i characters)."""
    k = len(name)
    weights = [end_cost if j >= k - end_chars else 1.0 for j in range(k)]
    # previous[j]: reading prefix of i-1 characters against name[:j]
    previous = [0.0] * (k + 1)
    for j in range(k):
        previous[j + 1] = previous[j] + weights[j]
    last = [previous[k]]
    for char in reading:
        current = [previous[0] + 1.0]
        for j in range(k):
            w = weights[j]
            theirs = name[j]
            if theirs == char:
                swap = 0.0
            elif (char, theirs) in alike:
                swap = look_alike_cost * w
            else:
                swap = w
            # name[j] misread, the reading's character extra (weighed like name[j] it
            # follows), or name[j] left out
            current.append(min(previous[j] + swap, previous[j + 1] + w, current[j] + w))
        previous = current
        last.append(previous[k])
    return tuple(last)


def distance(reading: str, name: str, alike: Alike, rules: OwnerRules) -> float:
    """The weighted edit distance from the reading to the name."""
    if not name:
        return float(len(reading))
    table = _table(reading, name, alike, rules.look_alike_cost, rules.end_chars, rules.end_cost)
    return table[-1]


def start_distance(reading: str, stem: str, alike: Alike, rules: OwnerRules) -> float:
    """The stem against the start of the reading: the least weighted distance from any
    prefix of the reading to the stem (no end weighting: a stem has no ending)."""
    if not stem:
        return 0.0
    return min(_table(reading, stem, alike, rules.look_alike_cost, 0, 1.0))


def similarity(reading: str, name: str, alike: Alike, rules: OwnerRules) -> float:
    """0–100, like rapidfuzz's ratio: 100 less the distance per character of the longer."""
    longest = max(len(reading), len(name))
    if not longest:
        return 100.0
    return max(0.0, 100.0 * (1.0 - distance(reading, name, alike, rules) / longest))
