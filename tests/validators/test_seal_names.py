"""The weighted edit distance of seal lettering against names (validators/seal_names.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from tests.rulebook import RULES
from validators.seal_names import Alike, distance, similarity, start_distance

OWNER = RULES.seals.owner
ALIKE = RULES.look_alikes.lookup
NONE = Alike()
PLAIN = OWNER.model_copy(update={"look_alike_cost": 1.0, "end_chars": 0, "end_cost": 1.0})

names = st.text(alphabet="黔南州贵阳工业和信息化局有限公司息急", max_size=9)


@settings(max_examples=200, deadline=None)
@given(names, names)
def test_without_weights_it_is_levenshtein(a: str, b: str) -> None:
    assert distance(a, b, NONE, PLAIN) == Levenshtein.distance(a, b)


@settings(max_examples=200, deadline=None)
@given(names, names)
def test_weights_only_lower_the_distance(a: str, b: str) -> None:
    weighted = distance(a, b, ALIKE, OWNER)
    assert 0.0 <= weighted <= Levenshtein.distance(a, b)
    assert (weighted == 0.0) == (a == b)
    assert 0.0 <= similarity(a, b, ALIKE, OWNER) <= 100.0


def test_a_look_alike_costs_less() -> None:
    assert ("息", "急") in ALIKE
    assert distance("工业和信急化局", "工业和信息化局", ALIKE, OWNER) == OWNER.look_alike_cost
    assert distance("工业和信X化局", "工业和信息化局", ALIKE, OWNER) == 1.0


def test_the_end_of_a_name_costs_less() -> None:
    name = "黔南州工业和信息化局"
    assert distance("黔南州工业和信息化爬", name, NONE, OWNER) == OWNER.end_cost
    assert distance("黔南州工业和X息化局", name, NONE, OWNER) == 1.0


def test_the_stem_is_matched_against_the_reading_start() -> None:
    assert start_distance("贵州黔润磷化有限责任公司", "贵州黔润磷化", NONE, OWNER) == 0.0
    assert start_distance("贵州黔X磷化有限责任公司", "贵州黔润磷化", NONE, OWNER) == 1.0
    assert start_distance("有限责任公司贵州黔润磷化", "贵州黔润磷化", NONE, OWNER) >= 6.0


def test_the_committed_misreadings_are_never_another_owner() -> None:
    """`shenbao bench owners` on its committed set: no own seal judged another's, no
    other's seal accepted, no two distinct known names judged the same."""
    from shenbao_lab.bench.owners import bench_owners, load_readings

    bench = bench_owners(load_readings(), RULES)
    assert bench.chosen.own.false == 0
    assert bench.chosen.other.true == 0
    assert not bench.distinct_same
    assert bench.chosen.own.true >= 105


def test_the_held_out_misreadings_are_never_another_owner() -> None:
    from shenbao_lab.bench.owners import HELD_OUT, bench_owners, load_readings

    bench = bench_owners(load_readings(HELD_OUT), RULES)
    assert bench.chosen.own.false == 0
    assert bench.chosen.other.true == 0
    assert not bench.distinct_same
