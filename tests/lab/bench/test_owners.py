"""``shenbao bench owners``: seal-owner verdicts on a set of ring readings (no OCR)."""

from __future__ import annotations

from pathlib import Path

from shenbao_lab.bench.owners import (
    READINGS,
    SealReading,
    bench_owners,
    judge_set,
    load_readings,
    owner_tables,
    write_readings,
)
from typer.testing import CliRunner

from flows.cli import app
from tests.rulebook import RULES
from usecases.check import validation_context

CONTEXT = validation_context(RULES)
LEAD = "贵阳都匀农产品开发研究院有限公司"
OTHER_LEAD = "安顺筑城电子科技有限公司"


def _reading(printed: str, read: str, confidence: float = 0.95) -> SealReading:
    return SealReading(printed=printed, read=read, confidence=confidence, colour="red", source="t")


def test_each_reading_is_judged_as_its_owners_seal_and_as_anothers() -> None:
    readings = [
        _reading(LEAD, LEAD),  # read exactly
        _reading(OTHER_LEAD, OTHER_LEAD),
        _reading(LEAD, "武州鹏民码化有限责任公司"),  # a garble: never anyone's
        _reading("贵阳市工业和信息化局", "贵阳市工业和信息化局"),
        _reading("黔南州工业和信息化局", "黔南州工业和信息化局"),
    ]
    figures = judge_set(readings, CONTEXT, RULES.seals.owner)
    # as their own: the exact ones confirmed, the garble unverifiable, no mismatch
    assert (figures.own.n, figures.own.true, figures.own.none, figures.own.false) == (5, 4, 1, 0)
    # as another's: the two lead organisations' exact names are well-formed names of
    # someone else, 贵阳市's authority reads as the next one's (遵义市) neighbour; 黔南州's is
    # the next one's (黔西南州) name with 西 lost, which cannot show the seal is another's
    # (``lost_chars``), and the garble decides nothing
    assert (figures.other.n, figures.other.false, figures.other.none) == (5, 3, 2)
    assert figures.other.true == 0
    assert figures.false_mismatches == () and figures.wrong_accepts == ()


def test_the_committed_set_has_no_false_mismatch_under_the_shipped_rules() -> None:
    readings = load_readings(READINGS)
    assert readings, "the committed set of readings is empty"
    bench = bench_owners(readings, RULES)
    assert bench.chosen.false_mismatches == ()
    assert bench.chosen.wrong_accepts == ()
    # the sweep holds the shipped thresholds among its choices, and only valid ones
    owner = RULES.seals.owner
    assert all(f.not_owner < owner.match for f in bench.sweep)
    assert any(
        (f.not_owner, f.sure_confidence) == (owner.not_owner, owner.sure_confidence)
        for f in bench.sweep
    )
    assert [t.title for t in owner_tables(bench)]


def test_a_set_round_trips_through_its_file(tmp_path: Path) -> None:
    readings = [_reading(LEAD, "贵阳都匀农产品开发研究院有公司", 0.81)]
    write_readings(readings, tmp_path / "set.jsonl")
    assert load_readings(tmp_path / "set.jsonl") == readings


def test_the_command_prints_the_verdicts_and_the_sweep(tmp_path: Path) -> None:
    write_readings([_reading(LEAD, LEAD), _reading(OTHER_LEAD, OTHER_LEAD)], tmp_path / "s.jsonl")
    result = CliRunner().invoke(app, ["bench", "owners", "--readings", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0, result.output
    assert "2 seal readings" in result.output and "sweep" in result.output
