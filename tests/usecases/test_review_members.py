"""Corrections of the members table (成员单位表): a decision names one member's cell, the
submission is rebuilt with it and its checks (the cells', the online comparison of the
members) run again, on the local store and on S3 (SeaweedFS).

The batch is the sample P001 (six members read off its text layer) run as in
``test_review``, its pages or its export changed so that the table has a finding.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.decision import Action, Decision, ReviewStatus
from pipeline.errors import InputError
from pipeline.model import Finding, FindingCode, Member, MemberCell, Report, identified
from reports.xlsx import SHEET_DECISIONS
from storage.base import ObjectStore, decisions_prefix, report_key
from storage.local_store import LocalStore
from tests.readers import SETTINGS
from tests.rulebook import RULES
from tests.usecases.test_review import BATCH, P001, export_with, publish, stored_report
from usecases.review import corrections_in_force, decide

SECOND_USCC = "915202004618874330"  # 贵州花溪茶业有限公司, row 2
FOURTH_USCC = "91520600529822688N"  # 铜仁黔源茶业股份有限公司, row 4
SIXTH = "贵州师范大学"  # row 6


def without_lines(*texts: str) -> Callable[[Report], Report]:
    """The report as if the lines ``texts`` had not been printed (blank cells)."""

    def edit(report: Report) -> Report:
        pages = []
        for page in report.pages:
            lines = tuple(line for line in page.lines if line.text not in texts)
            pages.append(page.model_copy(update={"lines": lines}))
        return report.model_copy(update={"pages": tuple(pages)})

    return edit


def unsure(text: str) -> Callable[[Report], Report]:
    """The report as if the line ``text`` had been read unsure."""

    def edit(report: Report) -> Report:
        pages = []
        for page in report.pages:
            lines = tuple(
                line.model_copy(update={"confidence": 0.3, "char_confidences": None})
                if line.text == text
                else line
                for line in page.lines
            )
            pages.append(page.model_copy(update={"lines": lines}))
        return report.model_copy(update={"pages": tuple(pages)})

    return edit


def members_export(tmp_path: Path, replace: str, by: str) -> Path:
    """The sample export with one member of P001's filing named otherwise."""
    plain = export_with(tmp_path)
    text = plain.read_bytes().decode("gb18030").replace(replace, by, 1)
    path = tmp_path / "export-members.csv"
    path.write_bytes(text.encode("gb18030"))
    return path


def correct(
    store: ObjectStore, finding: str | None, value: str, cell: MemberCell | None = None
) -> Decision:
    """li.na's correction of ``finding`` of P001 to ``value`` (of ``cell``)."""
    assert finding is not None
    return decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=finding,
        action=Action.CORRECT,
        value=value,
        cell=cell,
        user="li.na",
    )


def table_findings(report: Report, code: FindingCode) -> list[Finding]:
    return [f for f in report.findings if f.code is code and f.field == "members"]


def member(report: Report, row: int) -> Member:
    value = report.fields["members"].value
    assert isinstance(value, list)
    found = value[row - 1]
    assert isinstance(found, Member)
    return found


def test_a_member_named_otherwise_online_is_corrected_by_its_cell(
    store: ObjectStore, tmp_path: Path
) -> None:
    publish(store, tmp_path, members_export(tmp_path, SIXTH, "贵州大学"))
    (mismatch,) = table_findings(stored_report(store), FindingCode.FIELD_MISMATCH)
    assert mismatch.id is not None and stored_report(store).status == "fail"

    made = decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=mismatch.id,
        action=Action.CORRECT,
        value=" 贵州 大学",
        cell=MemberCell(row=6, column="name"),
        reason="纸质材料第6行为贵州大学",
        user="li.na",
    )

    after = stored_report(store)
    assert member(after, 6) == Member(name="贵州大学", type="高校", uscc="12520400842757851P")
    assert member(after, 1).name == "贵州花溪农产品开发有限责任公司"  # the others as read
    assert table_findings(after, FindingCode.FIELD_MISMATCH) == []
    assert after.status == "pass"
    assert after.review is not None and after.review.status is ReviewStatus.PASS_REVIEWED
    shown = after.review.decisions[0]
    assert (shown.cell, shown.value) == (MemberCell(row=6, column="name"), "贵州大学")
    # the decision object: the cell and its value normalised (no spaces), the version made
    (key,) = store.list(decisions_prefix(BATCH, P001))
    stored = json.loads(store.get_bytes(key))
    assert stored["cell"] == {"row": 6, "column": "name"} and stored["value"] == "贵州大学"
    assert Decision.model_validate(stored) == made and made.report_version is not None
    html = store.get_bytes(f"reports/{BATCH}/{P001}/report.html").decode()
    assert "成员单位第6行·单位名称" in html and "贵州大学" in html
    book = load_workbook(io.BytesIO(store.get_bytes(f"batches/{BATCH}/summary.xlsx")))
    (row,) = book[SHEET_DECISIONS].iter_rows(min_row=2, values_only=True)
    assert row[3:6] == ("成员单位第6行·单位名称", "更正", "贵州大学")


def test_a_blank_cell_is_corrected_from_its_own_finding_and_the_other_stays_open(
    store: ObjectStore, tmp_path: Path
) -> None:
    publish(store, tmp_path, export_with(tmp_path), edit=without_lines(SECOND_USCC, FOURTH_USCC))
    before = stored_report(store)
    blanks = table_findings(before, FindingCode.FIELD_MISSING)
    # two blank cells: two findings, each keyed by its cell, with ids of their own
    assert [f.key for f in blanks] == ["2.uscc", "4.uscc"]
    assert len({f.id for f in blanks}) == 2
    second, fourth = blanks
    assert second.id is not None and fourth.id is not None

    correct(store, second.id, SECOND_USCC.lower())

    after = stored_report(store)
    assert member(after, 2).uscc == SECOND_USCC
    left = table_findings(after, FindingCode.FIELD_MISSING)
    assert [(f.id, f.key) for f in left] == [(fourth.id, "4.uscc")]  # still open, its id kept
    assert after.review is not None and after.review.status is ReviewStatus.FAIL
    assert (after.review.decided, after.review.open) == (1, 1)

    correct(store, fourth.id, FOURTH_USCC)
    done = stored_report(store)
    assert (member(done, 2).uscc, member(done, 4).uscc) == (SECOND_USCC, FOURTH_USCC)
    assert done.status == "pass"
    assert done.review is not None and done.review.status is ReviewStatus.PASS_REVIEWED
    assert done.review.decided == 2


def test_the_tables_doubt_is_answered_by_a_correction_made_on_it(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path), edit=unsure("贵州花溪茶业有限公司"))
    (doubt,) = table_findings(stored_report(store), FindingCode.FIELD_LOW_CONFIDENCE)
    assert doubt.id is not None
    common = {"batch": BATCH, "submission": P001, "finding": doubt.id, "user": "li.na"}
    # the table's doubt is about no one cell: the reviewer names it
    with pytest.raises(InputError, match="give the member's cell"):
        decide(store, RULES, SETTINGS, action=Action.CORRECT, value="贵州", **common)
    made = decide(
        store,
        RULES,
        SETTINGS,
        action=Action.CORRECT,
        value="贵州花溪茶叶有限公司",
        cell=MemberCell(row=2, column="name"),
        **common,
    )
    after = stored_report(store)
    assert table_findings(after, FindingCode.FIELD_LOW_CONFIDENCE) == []
    assert after.fields["members"].confidence == 1.0
    assert member(after, 2).name == "贵州花溪茶叶有限公司"
    # the online filing lists 贵州花溪茶业有限公司: the comparison ran again and says so
    (raised,) = table_findings(after, FindingCode.FIELD_MISMATCH)
    assert "贵州花溪茶叶有限公司" in str(raised.paper)
    assert after.review is not None and after.review.status is ReviewStatus.FAIL
    assert corrections_in_force([made]).answered == {"members"}


def test_a_cell_correction_on_a_cells_finding_leaves_the_tables_doubt_standing(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path), edit=without_lines(SECOND_USCC))
    (blank,) = table_findings(stored_report(store), FindingCode.FIELD_MISSING)
    assert blank.id is not None
    correct(store, blank.id, SECOND_USCC)
    # a re-run reading the table unsure besides: the corrected cell is applied again, the
    # table's own doubt (which no correction answered) is for review
    publish(
        store,
        tmp_path,
        export_with(tmp_path),
        edit=lambda r: unsure("贵州师范大学")(without_lines(SECOND_USCC)(r)),
    )
    again = stored_report(store)
    assert member(again, 2).uscc == SECOND_USCC
    assert len(table_findings(again, FindingCode.FIELD_LOW_CONFIDENCE)) == 1
    assert again.status == "needs_review"


def test_a_rerun_applies_a_cell_correction_again(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    export = members_export(tmp_path, SIXTH, "贵州大学")
    publish(store, tmp_path, export)
    (mismatch,) = table_findings(stored_report(store), FindingCode.FIELD_MISMATCH)
    assert mismatch.id is not None
    correct(store, mismatch.id, "贵州大学", MemberCell(row=6, column="name"))
    publish(store, tmp_path, export)  # read as before: 贵州师范大学 on the paper
    again = stored_report(store)
    assert member(again, 6).name == "贵州大学" and again.status == "pass"
    assert again.review is not None and again.review.status is ReviewStatus.PASS_REVIEWED
    assert json.loads(store.get_bytes(report_key(BATCH, P001)))["review"]["decided"] == 1


def test_a_member_the_reading_lost_is_added_as_the_next_row(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, members_export(tmp_path, SIXTH, f"{SIXTH}；贵州大学"))
    (mismatch,) = table_findings(stored_report(store), FindingCode.FIELD_MISMATCH)
    assert mismatch.id is not None
    correct(store, mismatch.id, "贵州大学", MemberCell(row=7, column="name"))
    after = stored_report(store)
    assert member(after, 7) == Member(name="贵州大学", type="", uscc="")
    assert table_findings(after, FindingCode.FIELD_MISMATCH) == []
    # its type and code are blank: two findings of their own, for the reviewer to fill in
    assert [f.key for f in table_findings(after, FindingCode.FIELD_MISSING)] == [
        "7.type",
        "7.uscc",
    ]


def test_wrong_member_corrections_are_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, members_export(tmp_path, SIXTH, "贵州大学"))
    report = stored_report(store)
    (mismatch,) = table_findings(report, FindingCode.FIELD_MISMATCH)
    assert mismatch.id is not None
    common = {
        "batch": BATCH,
        "submission": P001,
        "finding": mismatch.id,
        "user": "li.na",
        "action": Action.CORRECT,
    }
    eighth, sixth_type = MemberCell(row=8, column="name"), MemberCell(row=6, column="type")
    with pytest.raises(InputError, match="has 6 rows"):
        decide(store, RULES, SETTINGS, value="贵州大学", cell=eighth, **common)
    with pytest.raises(InputError, match="does not read as"):
        decide(store, RULES, SETTINGS, value="公司", cell=sixth_type, **common)
    with pytest.raises(InputError, match="takes no value"):
        decide(
            store,
            RULES,
            SETTINGS,
            batch=BATCH,
            submission=P001,
            finding=mismatch.id,
            user="li.na",
            action=Action.CONFIRM,
            cell=MemberCell(row=6, column="name"),
        )
    assert store.list(decisions_prefix(BATCH)) == []
    # a member's type is one of the printed choices, by any of its names
    made = decide(store, RULES, SETTINGS, value="高等院校", cell=sixth_type, **common)
    assert made.value == "高校"


def test_a_report_stored_before_cells_were_keyed_is_corrected_without_a_doubled_finding(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path), edit=without_lines(SECOND_USCC, FOURTH_USCC))
    # as stored before session 20: the blank cells' findings without their cell
    data = json.loads(store.get_bytes(report_key(BATCH, P001)))
    for finding in data["findings"]:
        if finding["field"] == "members":
            finding["key"] = None
    old = Report.model_validate(data)
    old = old.model_copy(
        update={
            "findings": identified([f.model_copy(update={"id": None}) for f in old.findings], P001)
        }
    )
    store.put_bytes(
        report_key(BATCH, P001), old.model_dump_json(by_alias=True).encode(), "application/json"
    )
    first = table_findings(old, FindingCode.FIELD_MISSING)[0]

    correct(store, first.id, SECOND_USCC, MemberCell(row=2, column="uscc"))

    after = stored_report(store)
    assert [f.key for f in table_findings(after, FindingCode.FIELD_MISSING)] == ["4.uscc"]
