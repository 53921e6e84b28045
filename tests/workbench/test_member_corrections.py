"""Corrections of the members table in the workbench: the correct form of a finding of the
table asks for the member's row and column (chosen beforehand when the finding is about
one cell), and posts them to ``usecases.review.decide``; on the local store and S3.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.model import FindingCode, Member, MemberCell
from storage.base import ObjectStore
from storage.local_store import LocalStore
from tests.usecases.test_review import export_with, publish
from tests.usecases.test_review_members import SECOND_USCC, SIXTH, members_export, without_lines
from tests.workbench.conftest import Clock, csrf_of, put_users
from tests.workbench.test_decisions import (
    PAGE,
    client_of,
    decisions_in,
    post,
    report_of,
    settle,
)
from workbench.security import WorkbenchSettings

NAME = {"column": "name"}
SIXTH_NAME = {"row": "6"} | NAME


@pytest.fixture
def store(any_store: ObjectStore) -> ObjectStore:
    """The local store and S3, with the test users."""
    put_users(any_store)
    return any_store


def finding_item(page: str, finding: str) -> str:
    item = page[page.index(f'id="finding-{finding}"') :]
    return item[: item.index("</li>")]


def member_finding(store: ObjectStore, code: FindingCode) -> str:
    (finding,) = [f for f in report_of(store).findings if f.code is code and f.field == "members"]
    assert finding.id is not None
    return finding.id


def test_a_member_is_corrected_by_its_row_and_column(
    store: ObjectStore, tmp_path: Path, settings: WorkbenchSettings, clock: Clock
) -> None:
    publish(store, tmp_path, members_export(tmp_path, SIXTH, "贵州大学"))
    client = client_of(store, settings, clock, "rui")
    finding = member_finding(store, FindingCode.FIELD_MISMATCH)
    item = finding_item(client.get(PAGE).text, finding)
    # the rows read (and one to add a member), the columns; nothing chosen for a finding
    # about the whole table
    assert '<select name="row"' in item and '<select name="column"' in item
    assert re.search(r'<option value="6">第6 贵州师范大学</option>', item)
    assert re.search(r'<option value="7">第7（补充一家成员单位）</option>', item)
    assert '<option value="" selected>选择行</option>' in item
    assert '<option value="uscc">统一社会信用代码</option>' in item

    unchosen = post(client, {"finding": finding, "action": "correct", "value": "贵州大学"})
    assert unchosen.status_code == 400  # type: ignore[attr-defined]
    assert "请指定要更正的成员单位所在行和列" in unchosen.text  # type: ignore[attr-defined]
    wrong = post(
        client,
        {"finding": finding, "action": "correct", "value": "x", "row": "6", "column": "phone"},
    )
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert "请选择要更正的成员单位所在行和列" in wrong.text  # type: ignore[attr-defined]
    assert decisions_in(store) == []

    answer = post(
        client,
        {"finding": finding, "action": "correct", "value": "贵州大学"} | SIXTH_NAME,
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    after = report_of(store)
    members = after.fields["members"].value
    assert isinstance(members, list) and members[5] == Member(
        name="贵州大学", type="高校", uscc="12520400842757851P"
    )
    assert after.status == "pass"
    (decision,) = decisions_in(store)
    assert (decision.cell, decision.value) == (MemberCell(row=6, column="name"), "贵州大学")
    settle(client)
    page = client.get(PAGE).text
    assert "通过（已复核）" in page and "成员单位第6行·单位名称" in page


def test_a_blank_cells_finding_chooses_its_cell(
    store: ObjectStore, tmp_path: Path, settings: WorkbenchSettings, clock: Clock
) -> None:
    publish(store, tmp_path, export_with(tmp_path), edit=without_lines(SECOND_USCC))
    client = client_of(store, settings, clock, "rui")
    finding = member_finding(store, FindingCode.FIELD_MISSING)
    page = client.get(PAGE).text
    item = finding_item(page, finding)
    assert re.search(r'<option value="2" selected>第2 贵州花溪茶业有限公司</option>', item)
    assert '<option value="uscc" selected>统一社会信用代码</option>' in item
    # the form as the page fills it: its chosen row and column posted with the value
    answer = client.post(
        f"{PAGE}/decisions",
        data={
            "csrf": csrf_of(page),
            "finding": finding,
            "action": "correct",
            "row": "2",
            "column": "uscc",
            "value": SECOND_USCC,
        },
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    after = report_of(store)
    assert not [f for f in after.findings if f.field == "members"]
    assert after.status == "pass"


def test_a_field_that_is_no_table_has_no_cell_to_choose(
    tmp_path: Path, settings: WorkbenchSettings, clock: Clock
) -> None:
    store = LocalStore(tmp_path / "store")
    put_users(store)
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    client: TestClient = client_of(store, settings, clock, "rui")
    (finding,) = [f for f in report_of(store).findings if f.code is FindingCode.FIELD_MISMATCH]
    assert finding.id is not None
    item = finding_item(client.get(PAGE).text, finding.id)
    assert 'class="correct"' in item and '<select name="row"' not in item
    refused = post(
        client,
        {"finding": finding.id, "action": "correct", "value": "王大明", "row": "1"} | NAME,
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "不是成员单位表" in refused.text  # type: ignore[attr-defined]
    assert decisions_in(store) == []
