"""``shenbao.decision/1``: the model, the decision in force, a report's effective status."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.decision import (
    BATCH_LEVEL,
    Action,
    Decision,
    Progress,
    ReviewStatus,
    Seen,
    effective,
    progress_of,
    review_of,
    still_applies,
)
from pipeline.model import ExtractedField, Finding, FindingCode, Member, MemberCell, identified

T0 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
SHA = "a" * 64

MISMATCH, LOW, SEAL = identified(
    (
        Finding.of(
            FindingCode.FIELD_MISMATCH, "不一致", field="legal_rep", paper="余晓燕", online="王五"
        ),
        Finding.of(FindingCode.FIELD_LOW_CONFIDENCE, "存疑", field="contact", paper="何永刚"),
        Finding.of(FindingCode.SEAL_MISSING, "缺章", slot="applicant"),
    ),
    "P001-p001-009",
)


def decision(
    finding: Finding,
    action: Action = Action.CONFIRM,
    *,
    minutes: int = 0,
    value: object = None,
    reason: str = "",
    decision_id: str = "0123456789ab",
    seen: Seen | None = None,
) -> Decision:
    return Decision.model_validate(
        {
            "id": decision_id,
            "batch": "b1",
            "submission": "P001-p001-009",
            "finding": finding.id,
            "action": action,
            "value": value,
            "reason": reason,
            "user": "li.na",
            "time": T0 + dt.timedelta(minutes=minutes),
            "report_sha256": SHA,
            "seen": seen or Seen.of(finding),
        }
    )


def test_a_decision_round_trips_through_its_json_with_its_schema_id() -> None:
    made = decision(MISMATCH, Action.CORRECT, value="王五")
    again = Decision.model_validate_json(made.to_json())
    assert again == made
    assert '"schema": "shenbao.decision/1"' in made.to_json()
    assert made.stamp == "20261205T090000000000Z"


def test_dismiss_needs_a_reason_and_correct_a_value_of_a_field_reading() -> None:
    with pytest.raises(ValidationError, match="dismiss needs a reason"):
        decision(MISMATCH, Action.DISMISS, reason="  ")
    with pytest.raises(ValidationError, match="correct needs the right value"):
        decision(MISMATCH, Action.CORRECT)
    with pytest.raises(ValidationError, match="cannot be corrected"):
        decision(SEAL, Action.CORRECT, value="x")
    with pytest.raises(ValidationError, match="takes no value"):
        decision(MISMATCH, Action.CONFIRM, value="x")


def test_times_are_kept_in_utc_and_a_naive_time_is_refused() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    made = decision(LOW).model_copy()
    moved = Decision.model_validate(
        made.model_dump(by_alias=True) | {"time": dt.datetime(2026, 12, 5, 17, 0, tzinfo=beijing)}
    )
    assert moved.time == T0 and moved.time.tzinfo == dt.UTC
    with pytest.raises(ValidationError, match="time zone"):
        Decision.model_validate(made.model_dump(by_alias=True) | {"time": dt.datetime(2026, 1, 1)})


def test_ids_and_users_are_checked_so_keys_are_built_from_valid_parts() -> None:
    data = decision(LOW).model_dump(by_alias=True)
    for key, bad in (
        ("batch", "../b1"),
        ("submission", "a/b"),
        ("id", "XYZ"),
        ("finding", "12"),
        ("user", "a b"),
    ):
        with pytest.raises(ValidationError):
            Decision.model_validate(data | {key: bad})


@given(st.permutations(range(5)))
def test_the_latest_decision_is_in_force_whatever_order_they_come_in(order: list[int]) -> None:
    made = [
        decision(MISMATCH, Action.DISMISS, minutes=m, reason=f"r{m}", decision_id=f"{m:012x}")
        for m in range(5)
    ]
    assert effective(made[i] for i in order)[MISMATCH.id or ""].reason == "r4"


def test_a_decision_no_longer_applies_when_its_findings_evidence_changed() -> None:
    made = decision(MISMATCH, Action.DISMISS, reason="扫描件读错")
    assert still_applies(made, MISMATCH)
    assert not still_applies(made, MISMATCH.model_copy(update={"online": "赵六"}))
    assert not still_applies(made, MISMATCH.model_copy(update={"page": 3}))
    assert still_applies(made, MISMATCH.model_copy(update={"message": "换了措辞"}))


(PAPER,) = identified(
    (
        Finding.of(
            FindingCode.PAPER_MISSING,
            "网上填报记录 GZ2022-0115（试点，牵头单位「黔源建材」）没有对应的纸质材料",
            key="GZ2022-0115",
        ),
    ),
    None,
)


def test_a_batch_findings_decision_holds_its_key_and_message_as_evidence() -> None:
    seen = Seen.of(PAPER, batch_level=True)
    assert (seen.key, seen.message) == (PAPER.key, PAPER.message)
    assert (Seen.of(MISMATCH).key, Seen.of(MISMATCH).message) == (None, None)
    made = Decision.model_validate(
        decision(PAPER, seen=seen).model_dump(by_alias=True) | {"submission": BATCH_LEVEL}
    )
    assert made.batch_level and not decision(MISMATCH).batch_level
    assert still_applies(made, PAPER)
    # the filing names another lead organisation: the same finding (id), other evidence
    assert not still_applies(made, PAPER.model_copy(update={"message": "牵头单位「另一家」"}))
    review = review_of((PAPER,), [made])
    assert review is not None and review.status is ReviewStatus.FAIL  # a confirmed error stands
    assert progress_of((PAPER,), review) == Progress(decided=1)
    with pytest.raises(ValidationError, match="cannot be corrected"):
        decision(PAPER, Action.CORRECT, value="x", seen=seen)


def test_no_decision_no_review() -> None:
    assert review_of((MISMATCH, LOW), ()) is None
    assert progress_of((MISMATCH, LOW), None).open == 2


def test_every_error_dismissed_or_corrected_and_nothing_open_is_pass_reviewed() -> None:
    findings = (MISMATCH, LOW, SEAL)
    dismissed = decision(SEAL, Action.DISMISS, reason="章在第 9 页", decision_id="000000000001")
    corrected = decision(MISMATCH, Action.CORRECT, value="王五", decision_id="000000000002")
    confirmed = decision(LOW, Action.CONFIRM, decision_id="000000000003")

    partly = review_of(findings, (dismissed,))
    assert partly is not None and partly.status is ReviewStatus.FAIL  # the mismatch stands
    assert (partly.decided, partly.open) == (1, 2)
    nearly = review_of(findings, (dismissed, corrected))
    assert nearly is not None and nearly.status is ReviewStatus.NEEDS_REVIEW  # LOW is open
    done = review_of(findings, (dismissed, corrected, confirmed))
    assert done is not None and done.status is ReviewStatus.PASS_REVIEWED
    assert (done.decided, done.open, done.stale) == (3, 0, 0)
    assert progress_of(findings, done) + progress_of(findings, partly) == progress_of(
        findings, done
    ).model_copy(update={"decided": 4, "open": 2})


def test_a_confirmed_error_keeps_the_report_failed() -> None:
    review = review_of((SEAL,), (decision(SEAL, Action.CONFIRM),))
    assert review is not None and review.status is ReviewStatus.FAIL and review.decided == 1


def test_a_changed_finding_goes_back_to_review() -> None:
    dismissed = decision(MISMATCH, Action.DISMISS, reason="读错")
    changed = MISMATCH.model_copy(update={"online": "赵六"})
    review = review_of((changed,), (dismissed,))
    assert review is not None
    assert review.status is ReviewStatus.FAIL and (review.open, review.stale) == (1, 1)
    assert review.decisions[0].stale


def test_a_correction_that_cleared_its_finding_shows_while_the_field_holds_its_value() -> None:
    corrected = decision(MISMATCH, Action.CORRECT, value="王五")
    holds = {"legal_rep": ExtractedField(value="王五", raw="王五", confidence=1.0)}
    review = review_of((), (corrected,), holds)
    assert review is not None and review.status is ReviewStatus.PASS_REVIEWED
    assert not review.decisions[0].stale
    other = {"legal_rep": ExtractedField(value="余晓燕", raw="余晓燕", confidence=1.0)}
    changed = review_of((), (corrected,), other)
    assert changed is not None and changed.decisions[0].stale and changed.stale == 1
    assert changed.status is ReviewStatus.NEEDS_REVIEW


(BLANK_USCC,) = identified(
    (
        Finding.of(
            FindingCode.FIELD_MISSING, "第2行统一社会信用代码未填写", field="members", key="2.uscc"
        ),
    ),
    "P001-p001-009",
)


def members(*uscc: str) -> dict[str, ExtractedField]:
    rows = [Member(name=f"单位{n}", type="企业", uscc=code) for n, code in enumerate(uscc, 1)]
    return {"members": ExtractedField(value=rows, raw="", confidence=1.0)}


def test_a_correction_of_a_members_cell_names_its_cell_and_serialises_it_only_then() -> None:
    cell = MemberCell(row=2, column="uscc")
    made = decision(BLANK_USCC, Action.CORRECT, value="915202004618874330").model_copy(
        update={"cell": cell}
    )
    again = Decision.model_validate_json(made.to_json())
    assert again == made and again.cell == cell
    assert '"cell"' not in decision(MISMATCH, Action.CORRECT, value="王五").to_json()
    with pytest.raises(ValidationError, match="takes no value"):
        Decision.model_validate(
            decision(BLANK_USCC).model_dump(by_alias=True) | {"cell": cell.model_dump()}
        )
    with pytest.raises(ValidationError, match="one text"):
        Decision.model_validate(
            decision(BLANK_USCC, Action.CORRECT, value=["a", "b"]).model_dump(by_alias=True)
            | {"cell": cell.model_dump()}
        )
    assert MemberCell.from_key(BLANK_USCC.key) == cell and MemberCell.from_key("2.phone") is None


def test_a_members_cell_correction_holds_while_that_cell_holds_its_value() -> None:
    corrected = decision(BLANK_USCC, Action.CORRECT, value="915202004618874330").model_copy(
        update={"cell": MemberCell(row=2, column="uscc")}
    )
    review = review_of((), (corrected,), members("91520300277218969X", "915202004618874330"))
    assert review is not None and review.status is ReviewStatus.PASS_REVIEWED
    assert review.decisions[0].cell == corrected.cell and not review.decisions[0].stale
    # the row read otherwise, or lost: to review again
    for fields in (members("91520300277218969X", "915202004618874331"), members("9152")):
        changed = review_of((), (corrected,), fields)
        assert changed is not None and changed.decisions[0].stale
        assert changed.status is ReviewStatus.NEEDS_REVIEW
