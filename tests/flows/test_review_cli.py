"""``shenbao review decide`` and ``shenbao review log``: scripting and audits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.model import FindingCode, Manifest, Member, Report
from storage.base import decisions_prefix, manifest_key, report_key
from storage.local_store import LocalStore
from tests.usecases.test_review import BATCH, P001, export_with, publish
from tests.usecases.test_review_members import SIXTH, members_export
from workbench.users import Role, add_user, hash_password

runner = CliRunner()


@pytest.fixture
def stored(tmp_path: Path) -> tuple[str, str]:
    """A batch ``b1`` whose P001 carries a FIELD_MISMATCH (legal_rep), and its id."""
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    report = Report.model_validate_json(store.get_bytes(report_key(BATCH, P001)))
    (mismatch,) = [f.id for f in report.findings if f.code is FindingCode.FIELD_MISMATCH]
    assert mismatch is not None
    return str(tmp_path / "store"), mismatch


def with_users(store: str, *users: tuple[str, str]) -> None:
    """The store's users (``shenbao users add``), each with a password of no use here."""
    hashed = hash_password("not used by these tests")
    for name, role in users:
        add_user(LocalStore(Path(store)), name, Role(role), hashed)


def decide(store: str, finding: str, *extra: str) -> list[str]:
    return [
        "review",
        "decide",
        "--store",
        store,
        "--batch",
        BATCH,
        "--submission",
        P001,
        "--finding",
        finding,
        *extra,
    ]


def test_without_users_nobody_decides_and_the_message_says_how_to_add_one(
    stored: tuple[str, str],
) -> None:
    store, finding = stored
    result = runner.invoke(app, decide(store, finding, "--action", "confirm", "--user", "li.na"))
    assert result.exit_code == 1
    assert "shenbao users add" in result.output
    assert LocalStore(Path(store)).list(decisions_prefix(BATCH)) == []


def test_a_viewer_and_an_unknown_user_cannot_decide(stored: tuple[str, str]) -> None:
    store, finding = stored
    with_users(store, ("zhao.liu", "viewer"))
    for user in ("zhao.liu", "nobody"):
        result = runner.invoke(app, decide(store, finding, "--action", "confirm", "--user", user))
        assert result.exit_code == 1, result.output
    assert LocalStore(Path(store)).list(decisions_prefix(BATCH)) == []


def test_a_reviewer_dismisses_then_corrects_and_the_log_has_both_in_order(
    stored: tuple[str, str],
) -> None:
    store, finding = stored
    with_users(store, ("li.na", "reviewer"), ("wang.wu", "admin"))
    refused = runner.invoke(app, decide(store, finding, "--action", "dismiss", "--user", "li.na"))
    assert refused.exit_code == 1 and "reason" in refused.output

    dismissed = runner.invoke(
        app,
        decide(
            store, finding, "--action", "dismiss", "--reason", "网上填报有误", "--user", "li.na"
        ),
    )
    assert dismissed.exit_code == 0, dismissed.output
    assert "通过（已复核）" in dismissed.output
    corrected = runner.invoke(
        app,
        decide(store, finding, "--action", "correct", "--value", "王大明", "--user", "wang.wu"),
    )
    assert corrected.exit_code == 0, corrected.output

    logged = runner.invoke(app, ["review", "log", "--store", store, "--batch", BATCH, "--json"])
    assert logged.exit_code == 0, logged.output
    entries = json.loads(logged.output)
    assert [(e["user"], e["action"]) for e in entries] == [
        ("li.na", "dismiss"),
        ("wang.wu", "correct"),
    ]
    assert entries[1]["supersedes"] == entries[0]["id"]
    assert entries[1]["value"] == "王大明" and entries[0]["schema"] == "shenbao.decision/1"
    table = runner.invoke(app, ["review", "log", "--store", store, "--batch", BATCH])
    assert table.exit_code == 0 and "驳回" in table.output and "更正" in table.output


def test_a_batch_finding_is_decided_without_submission_and_logged(
    stored: tuple[str, str],
) -> None:
    store, _ = stored
    with_users(store, ("li.na", "reviewer"))
    manifest = Manifest.model_validate_json(LocalStore(Path(store)).get_bytes(manifest_key(BATCH)))
    own = next(f.id for f in manifest.findings if f.key == "GZ2022-0115")
    assert own is not None
    base = ["review", "decide", "--store", store, "--batch", BATCH, "--finding", own]
    refused = runner.invoke(app, [*base, "--action", "correct", "--value", "x", "--user", "li.na"])
    assert refused.exit_code == 1 and "no --value" in refused.output
    reserved = runner.invoke(
        app, [*base, "--submission", "_batch", "--action", "confirm", "--user", "li.na"]
    )
    assert reserved.exit_code == 1 and "leave out --submission" in reserved.output

    confirmed = runner.invoke(app, [*base, "--action", "confirm", "--user", "li.na"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "decisions/b1/_batch/" in confirmed.output
    assert f"1 decided, {len(manifest.findings) - 1} open" in confirmed.output

    logged = runner.invoke(app, ["review", "log", "--store", store, "--batch", BATCH, "--json"])
    (entry,) = json.loads(logged.output)
    assert (entry["submission"], entry["finding"], entry["action"]) == ("_batch", own, "confirm")
    assert entry["seen"]["key"] == "GZ2022-0115"
    table = runner.invoke(app, ["review", "log", "--store", store, "--batch", BATCH])
    assert table.exit_code == 0 and "（批次）" in table.output and "确认" in table.output


def test_a_member_is_corrected_by_row_and_column(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store = LocalStore(store_dir)
    publish(store, tmp_path, members_export(tmp_path, SIXTH, "贵州大学"))
    report = Report.model_validate_json(store.get_bytes(report_key(BATCH, P001)))
    (mismatch,) = [
        f.id
        for f in report.findings
        if f.code is FindingCode.FIELD_MISMATCH and f.field == "members"
    ]
    assert mismatch is not None
    with_users(str(store_dir), ("wang.wu", "admin"))
    correct = decide(str(store_dir), mismatch, "--action", "correct", "--user", "wang.wu")

    alone = runner.invoke(app, [*correct, "--value", "贵州大学", "--row", "6"])
    assert alone.exit_code == 1 and "--row and --column go together" in alone.output
    unknown = runner.invoke(app, [*correct, "--value", "x", "--row", "6", "--column", "phone"])
    assert unknown.exit_code == 1 and "name, type or uscc" in unknown.output
    uncelled = runner.invoke(app, [*correct, "--value", "贵州大学"])
    assert uncelled.exit_code == 1 and "--row N --column" in uncelled.output
    assert store.list(decisions_prefix(BATCH)) == []

    done = runner.invoke(app, [*correct, "--value", "贵州大学", "--row", "6", "--column", "name"])
    assert done.exit_code == 0, done.output
    assert "通过（已复核）" in done.output
    after = Report.model_validate_json(store.get_bytes(report_key(BATCH, P001)))
    members = after.fields["members"].value
    assert isinstance(members, list) and isinstance(members[5], Member)
    assert members[5].name == "贵州大学"
    log = ["review", "log", "--store", str(store_dir), "--batch", BATCH]
    logged = runner.invoke(app, [*log, "--json"])
    assert logged.exit_code == 0, logged.output
    (entry,) = json.loads(logged.output)
    assert entry["cell"] == {"row": 6, "column": "name"} and entry["value"] == "贵州大学"
    table = runner.invoke(app, log)
    assert table.exit_code == 0 and "第6行" in "".join(table.output.split())


def test_a_correction_of_a_field_takes_no_cell(stored: tuple[str, str]) -> None:
    store, finding = stored
    with_users(store, ("li.na", "reviewer"))
    result = runner.invoke(
        app,
        [
            *decide(store, finding, "--action", "correct", "--value", "王大明"),
            *("--user", "li.na", "--row", "1", "--column", "name"),
        ],
    )
    assert result.exit_code == 1 and "a cell is not taken" in result.output
    assert LocalStore(Path(store)).list(decisions_prefix(BATCH)) == []
