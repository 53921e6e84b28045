"""The ``shenbao`` command line (DESIGN.md, "Command line").

Exit status: 0 when the batch ran, quarantined files and findings included; 1 when the
run itself failed, told in one line (a traceback only for what nobody expected).

``run``, ``reconcile``, ``serve``, ``inspect``, ``users`` and ``review`` (the reviewers'
workbench) are here; other command groups (the lab's ``samples`` and ``bench``) join from
the ``shenbao.commands`` entry points of what is installed.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from flows import prefect_env
from flows.console import (
    console,
    error_console,
    expected_errors_without_traceback,
    fail,
    progress_shown,
    say,
)
from pipeline.errors import PipelineError
from pipeline.model import Manifest, MemberCell, Report
from pipeline.settings import Settings

if TYPE_CHECKING:
    from flows.artifacts import SubmissionRow
    from storage.base import ObjectStore

COMMAND_GROUPS = "shenbao.commands"
"""The entry-point group through which installed packages add command groups."""

app = typer.Typer(
    help="申报材料核验: check stamped paper applications against their online filings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="files and folders of scanned submissions")],
    online: Annotated[Path | None, typer.Option(help="the online platform's export")] = None,
    batch: Annotated[
        str | None,
        typer.Option(help="batch id; by default derived from the inputs, the same on re-runs"),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="store URI: a path, file:///abs/path, s3://bucket or s3://bucket/prefix "
            "(default: SHENBAO_STORE or var/store)"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="threads of the flow: submissions checked and files published at once "
            "(default 4; pages are read on one process per core)",
        ),
    ] = None,
    received: Annotated[
        str | None,
        typer.Option(
            help="the day the batch's paper was received (YYYY-MM-DD): checked against the "
            "paper deadline; without it that deadline is not checked"
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            help="run pages and submissions on the Dask cluster whose scheduler is at this "
            "address (tcp://host:8786)"
        ),
    ] = None,
    dask_workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="run pages and submissions on a local Dask cluster of N worker processes"
        ),
    ] = None,
) -> None:
    """Run a batch: every file under PATH into the store, with a summary table."""
    store_uri = store or Settings().store
    arguments: dict[str, Any] = {
        "paths": [str(p) for p in paths],
        "online": str(online) if online else None,
        "batch": batch,
        "received": received,
    }
    # Prefect's server boots while Prefect (seconds to import; only the commands running
    # flows need it) is imported and the inputs checked.
    server = prefect_env.start_server()
    from flows.batch import FLOW_THREADS, process_batch, task_runner
    from usecases.read import check_run

    try:
        # Checked before the flow waits for Prefect's server, so a typo fails at once.
        object_store, _ = check_run(**arguments, store=store_uri)
        runner = task_runner(workers or FLOW_THREADS, dask, dask_workers)
        flow = process_batch.with_options(task_runner=runner)
        prefect_env.api_ready(server)
        with expected_errors_without_traceback(), progress_shown():
            result = flow(**arguments, store=store_uri)
        tables = _batch_tables(object_store, result.manifest_key)
    except PipelineError as exc:
        fail(exc)
    for table in tables:
        console.print(table)
    console.print(
        f"{result.files} files: {result.processed} processed, {result.quarantined} quarantined"
    )
    if result.online is not None:
        say(f"online export: {result.online.file} (sha256 {result.online.sha256[:12]}…, recorded)")
    say(f"manifest: {result.manifest_location}")
    say(f"index: {result.index_location}")


@app.command()
def reconcile(
    batch: Annotated[str, typer.Option(help="the id of a batch the store holds")],
    online: Annotated[Path, typer.Option(help="the newer online platform's export")],
    store: Annotated[
        str | None,
        typer.Option(help="store URI, as for run (default: SHENBAO_STORE or var/store)"),
    ] = None,
) -> None:
    """Re-check a stored batch against a newer online export, without reading any page."""
    store_uri = store or Settings().store
    server = prefect_env.start_server()  # boots while Prefect is imported
    from flows.progress import Stage
    from flows.reconcile import reconcile_batch
    from usecases.reconcile import check_reconcile

    try:
        # Checked before the flow waits for Prefect's server, so a typo fails at once.
        object_store, _, _ = check_reconcile(batch, str(online), store_uri)
        prefect_env.api_ready(server)
        # no page is read again: files and submissions only
        with (
            expected_errors_without_traceback(),
            progress_shown((Stage.FILES, Stage.SUBMISSIONS)),
        ):
            result = reconcile_batch(batch=batch, online=str(online), store=store_uri)
        tables = _batch_tables(object_store, result.manifest_key)
    except PipelineError as exc:
        fail(exc)
    for table in tables:
        console.print(table)
    say(f"reconciled with {online.name}: {result.written} objects written (changed only)")
    say(f"manifest: {result.manifest_location}")
    say(f"index: {result.index_location}")


@app.command()
def serve(
    cron: Annotated[
        str | None,
        typer.Option(
            help="when reconcile-latest runs, a cron in TIMEZONE "
            "(default: SHENBAO_RECONCILE_CRON or '0 2 * * *', nightly at 02:00)"
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="IANA time zone of the cron (default: SHENBAO_RECONCILE_TIMEZONE or Asia/Shanghai)"
        ),
    ] = None,
    exports: Annotated[
        Path | None,
        typer.Option(
            help="folder the online exports are dropped into; the newest is reconciled "
            "(default: SHENBAO_EXPORTS_DIR or var/exports)"
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="store URI both deployments use, as for run (default: SHENBAO_STORE or var/store)"
        ),
    ] = None,
) -> None:
    """Register the deployments (process-batch on demand, reconcile-latest on the cron)
    with the Prefect server (PREFECT_API_URL, or a temporary one) and serve them until
    Ctrl-C."""
    store_uri = store or Settings().store
    server = prefect_env.start_server()  # boots while Prefect is imported
    from flows.deploy import load_deploy_settings, serve_all
    from storage.local_store import open_store

    try:
        # Checked before waiting for Prefect's server, so a typo fails at once.
        settings = load_deploy_settings(cron=cron, timezone=timezone, exports=exports)
        open_store(store_uri).check_writable()  # both deployments write to it
        prefect_env.api_ready(server)
    except PipelineError as exc:
        fail(exc)
    if not settings.exports_dir.is_dir():
        error_console.print(
            Text(
                f"warning: the exports folder {settings.exports_dir} does not exist yet: "
                "reconcile-latest fails until it does",
                style="yellow",
            ),
            soft_wrap=True,
        )
    serve_all(settings, store=store_uri)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="one input file (PDF, TIFF, JPEG, PNG, DOCX)")],
    online: Annotated[
        Path | None,
        typer.Option(help="the online export (xlsx/csv/json) to match the file's submissions to"),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="print the report(s) as JSON on stdout")
    ] = False,
) -> None:
    """One file through the pipeline without a store: its report(s)."""
    from pipeline.ocr.cache import cached_engine
    from pipeline.rulebook import load_rules
    from pipeline.run import PageCache, inspect_file
    from usecases.check import check_batch, checker
    from usecases.read import load_export

    settings = Settings()
    try:
        engine = cached_engine(settings.ocr, settings.cache_dir)
        rules = load_rules(settings.rules_dir)
        cache = PageCache(settings.cache_dir / "pages", rules)
        reports = inspect_file(
            file,
            settings,
            engine,
            rules,
            cache=cache,
            check=checker(rules),
        )
        records = load_export(online, rules).records if online is not None else None
        # one file is not a batch: filings without paper here are not findings
        reports, _ = check_batch(reports, records, rules)
    except PipelineError as exc:
        fail(exc)
    if json_output:
        data = [r.model_dump(mode="json", by_alias=True) for r in reports]
        payload = data if len(data) > 1 else data[0]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for report in reports:
        console.print(_report_summary(report))


users_app = typer.Typer(
    help="The reviewers' workbench accounts, kept in the store (auth/users.json).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

_STORE_HELP = "store URI, as for run (default: SHENBAO_STORE or var/store)"


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _new_password_hash(password_stdin: bool) -> str:
    """The hash of a new password: one line of standard input, or typed twice, hidden;
    checked first (the password itself is never kept nor shown)."""
    from workbench.security import load_settings
    from workbench.users import check_password, hash_password

    settings = load_settings()
    if password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    check_password(password, settings.password_min_length, settings.password_max_length)
    return hash_password(password)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="2-32 of a-z 0-9 _ . -, starting with a letter")],
    role: Annotated[str, typer.Option(help="viewer (reads), reviewer (decides), admin (users)")],
    password_stdin: PasswordStdin = False,
    store: Annotated[str | None, typer.Option(help=_STORE_HELP)] = None,
) -> None:
    """Add a user of the workbench (asks the password twice, hidden)."""
    from storage.local_store import open_store
    from workbench.users import Role, add_user, check_name

    try:
        if role not in {r.value for r in Role}:
            from pipeline.errors import InputError

            raise InputError(f"invalid role {role!r}: use viewer, reviewer or admin")
        check_name(name)
        object_store = open_store(store or Settings().store)
        add_user(object_store, name, Role(role), _new_password_hash(password_stdin))
    except PipelineError as exc:
        fail(exc)
    say(f"user {name} added ({role})")


@users_app.command("list")
def users_list(store: Annotated[str | None, typer.Option(help=_STORE_HELP)] = None) -> None:
    """The users: name, role, created, password changed (never a password or hash)."""
    from storage.local_store import open_store
    from workbench.users import load_users

    try:
        book = load_users(open_store(store or Settings().store))
    except PipelineError as exc:
        fail(exc)
    table = Table(title="users", title_justify="left")
    for column in ("name", "role", "created", "password changed"):
        table.add_column(column)
    for user in book.users:
        table.add_row(
            user.name,
            user.role.value,
            f"{user.created:%Y-%m-%d %H:%M}",
            f"{user.password_changed:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    if not book.users:
        say("no user yet: add one with shenbao users add NAME --role admin")


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="the user's name")],
    store: Annotated[str | None, typer.Option(help=_STORE_HELP)] = None,
) -> None:
    """Remove a user; their sessions end."""
    from storage.local_store import open_store
    from workbench.users import remove_user

    try:
        remove_user(open_store(store or Settings().store), name)
    except PipelineError as exc:
        fail(exc)
    say(f"user {name} removed")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="the user's name")],
    password_stdin: PasswordStdin = False,
    store: Annotated[str | None, typer.Option(help=_STORE_HELP)] = None,
) -> None:
    """Set a user's password; their sessions end."""
    from storage.local_store import open_store
    from workbench.users import load_users, set_password

    try:
        object_store = open_store(store or Settings().store)
        if load_users(object_store).find(name) is None:
            from pipeline.errors import InputError

            raise InputError(f"no user {name!r}")
        set_password(object_store, name, _new_password_hash(password_stdin))
    except PipelineError as exc:
        fail(exc)
    say(f"password of {name} changed")


review_app = typer.Typer(
    help="The reviewers' workbench. Without a sub-command: serve it (a web app) on the store "
    "until Ctrl-C; it needs a user first (shenbao users add).",
    invoke_without_command=True,
)
app.add_typer(review_app, name="review")


@review_app.callback()
def review(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option(help=_STORE_HELP)] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8700,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="mark cookies Secure although served over http: behind a proxy ending TLS",
        ),
    ] = False,
) -> None:
    """Serve the reviewers' workbench (a web app) on the store, until Ctrl-C.

    Needs at least one user (``shenbao users add``). The signing secret is
    SHENBAO_REVIEW_SECRET, or one kept in the store (auth/secret) so several servers of
    one store share it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from storage.local_store import open_store
    from workbench.users import load_users

    store_uri = store or Settings().store
    try:
        object_store = open_store(store_uri)
        if not load_users(object_store).users:
            from pipeline.errors import ConfigError

            raise ConfigError(
                "the store has no user: add one first with\n"
                f"  shenbao users add NAME --role admin --store {_quoted(store_uri)}"
            )
        import uvicorn

        from workbench.app import create_app
        from workbench.security import load_secret

        web_app = create_app(
            object_store, key=load_secret(object_store), secure_cookies=secure_cookies
        )
    except PipelineError as exc:
        fail(exc)
    say(f"serving the store {store_uri} on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(web_app, host=host, port=port, server_header=False, log_level="info")


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _report_summary(report: Report) -> Table:
    from reports.shown import visible

    first, last = report.source.pages
    table = Table(
        title=f"{visible(report.submission_id)}  {report.annex.value}  pages {first}–{last}  "
        f"{report.status.value}",
        title_justify="left",
    )
    table.add_column("page", justify="right")
    table.add_column("kind")
    table.add_column("lines", justify="right")
    table.add_column("first line")
    for page in report.pages:
        table.add_row(
            str(page.number),
            page.kind.value + (f" ↻{page.rotation}°" if page.rotation else ""),
            str(len(page.lines)),
            Text(visible(page.lines[0].text) if page.lines else ""),
        )
    for finding in report.findings:
        table.add_row("", Text(finding.code.value, style="red"), "", Text(visible(finding.message)))
    return table


def _manifest_table(manifest: Manifest) -> Table:
    from reports.shown import visible

    table = Table(title=f"batch {manifest.batch}", title_justify="left")
    # names, ids and reasons folded, never cut with an ellipsis: they are copied from here
    table.add_column("file", overflow="fold")
    table.add_column("state", min_width=len("quarantined"))
    table.add_column("pages", justify="right")
    table.add_column("submissions", overflow="fold")
    table.add_column("reason", overflow="fold")
    for entry in manifest.files:
        style = "red" if entry.state == "quarantined" else "green"
        table.add_row(
            Text(visible(entry.file)),
            Text(entry.state, style=style),
            "" if entry.pages is None else str(entry.pages),
            Text(visible("\n".join(entry.submissions))),
            Text(visible(entry.reason or "")),
        )
    return table


_STATUS_STYLES = {"pass": "green", "needs_review": "yellow", "fail": "red"}


def _batch_tables(store: ObjectStore, manifest_key: str) -> tuple[Table, Table]:
    """A stored batch as run and reconcile show it: its files, then its submissions."""
    manifest = Manifest.model_validate_json(store.get_bytes(manifest_key))
    return _manifest_table(manifest), _submissions_table(
        manifest.batch, _stored_rows(store, manifest)
    )


def _stored_rows(store: ObjectStore, manifest: Manifest) -> list[SubmissionRow]:
    """The summary row of each report the store now holds for the batch, in manifest order,
    one report in memory at a time (a report with its pages is large). A report that
    cannot be read has no row: reconcile skipped it and the manifest's findings name it.

    Raises:
        InputError: a submission the manifest lists has no report.
    """
    from pydantic import ValidationError

    from flows.artifacts import row_of
    from pipeline.errors import InputError
    from storage.base import ObjectMissingError, report_key

    rows = []
    for entry in manifest.files:
        for sid in entry.submissions:
            key = report_key(manifest.batch, sid)
            try:
                rows.append(row_of(Report.model_validate_json(store.get_bytes(key))))
            except ObjectMissingError:
                raise InputError(f"the manifest lists {sid} but the store has no {key}") from None
            except ValidationError:
                continue
    return rows


def _submissions_table(batch: str, rows: list[SubmissionRow]) -> Table:
    """Per submission: id, annex, status, errors, warnings, the online filing matched."""
    from reports.shown import visible

    table = Table(title=f"submissions of batch {batch}", title_justify="left")
    table.add_column("submission", overflow="fold")  # copied from here: never cut
    table.add_column("annex")
    table.add_column("status")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    table.add_column("online record", overflow="fold")
    for row in rows:
        table.add_row(
            Text(visible(row.submission)),
            row.annex.value,
            Text(row.status.value, style=_STATUS_STYLES[row.status.value]),
            str(row.errors),
            str(row.warnings),
            Text(visible(row.online or "—")),
        )
    return table


def _check_reviewer(store: ObjectStore, name: str) -> None:
    """That the store's users hold ``name`` with a role that decides (reviewer, admin).

    Raises:
        InputError: the store has no users yet, the name is not one of them, or a viewer's.
    """
    from pipeline.errors import InputError
    from workbench.users import Role, load_users

    book = load_users(store)
    if not book.users:
        raise InputError(
            "存储中尚无用户：请先用 shenbao users add NAME --role reviewer 添加复核人 / "
            "the store has no users: add one with `shenbao users add NAME --role reviewer`"
        )
    user = book.find(name)
    if user is None:
        raise InputError(f"用户 {name} 不存在 / no user {name!r} (shenbao users list)")
    if not user.role.allows(Role.REVIEWER):
        raise InputError(
            f"用户 {name} 的角色为 {user.role}，只能查看，不能复核 / a {user.role} cannot decide"
        )


def _member_cell(row: int | None, column: str | None) -> MemberCell | None:
    """The member's cell --row and --column name; None when neither is given.

    Raises:
        InputError: one without the other, or a column the members table has not.
    """
    from pydantic import ValidationError

    from pipeline.errors import InputError

    if row is None and column is None:
        return None
    if row is None or column is None:
        raise InputError("--row and --column go together: the member's row and its column")
    try:
        return MemberCell.model_validate({"row": row, "column": column})
    except ValidationError:
        raise InputError(f"--column must be name, type or uscc, not {column!r}") from None


@review_app.command("decide")
def review_decide(
    batch: Annotated[str, typer.Option(help="the id of a batch the store holds")],
    finding: Annotated[
        str,
        typer.Option(
            help="the finding's id (12 hex, in report.json; in manifest.json for "
            "one of the batch's own findings)"
        ),
    ],
    action: Annotated[
        str, typer.Option(help="confirm (it stands), dismiss (a reason needed), correct")
    ],
    user: Annotated[str, typer.Option(help="who decides: a reviewer or admin of the store")],
    submission: Annotated[
        str | None,
        typer.Option(
            help="the submission's id (申报编号); leave it out for one of the batch's own "
            "findings (manifest.json's: PAPER_MISSING …), which take confirm or dismiss"
        ),
    ] = None,
    reason: Annotated[str, typer.Option(help="why (required for dismiss)")] = "",
    value: Annotated[
        str | None,
        typer.Option(help="correct: the field's right value (or the member's cell's), as written"),
    ] = None,
    row: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="correct, on the members table: the member's row (序号; one past the last "
            "adds a member); a finding about one cell names it already",
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(help="correct, on the members table: name, type or uscc"),
    ] = None,
    online: Annotated[
        Path | None,
        typer.Option(help="correct: the batch's online export, when the store does not keep it"),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(help="store URI, as for run (default: SHENBAO_STORE or var/store)"),
    ] = None,
) -> None:
    """Record a decision on one finding; a correction re-runs that field's checks (on the
    members table: one member's cell, --row and --column). Without --submission the
    finding is one of the batch's own (its decision under decisions/{batch}/_batch/)."""
    from pipeline.decision import REVIEW_STATUS_LABELS, Action
    from pipeline.errors import InputError
    from pipeline.rulebook import load_rules
    from storage.base import decision_key, report_key
    from storage.local_store import open_store
    from usecases.review import Stored, StoredManifest, batch_level_progress, decide

    settings = Settings()
    try:
        try:
            chosen = Action(action)
        except ValueError:
            raise InputError(
                f"--action must be confirm, dismiss or correct, not {action!r}"
            ) from None
        cell = _member_cell(row, column)
        object_store = open_store(store or settings.store)
        _check_reviewer(object_store, user)
        with expected_errors_without_traceback():
            made = decide(
                object_store,
                load_rules(settings.rules_dir),
                settings,
                batch=batch,
                submission=submission,
                finding=finding,
                action=chosen,
                user=user,
                reason=reason,
                value=value,
                cell=cell,
                online=online,
            )
        if submission is None:
            manifest = StoredManifest(object_store, batch).manifest
            progress = batch_level_progress(object_store, manifest)
        else:
            report = Stored(object_store, batch, submission).report
    except PipelineError as exc:
        fail(exc)
    key = decision_key(batch, made.submission, made.stamp, made.id)
    say(f"decision {made.id} ({made.action}) recorded: {object_store.location(key)}")
    if submission is None:
        say(
            f"batch {batch}'s own findings: {progress.decided} decided, {progress.open} open"
            + (f" ({progress.stale} to re-review)" if progress.stale else "")
        )
        return
    review = report.review
    status = REVIEW_STATUS_LABELS[review.status] if review else report.status.value
    say(f"report {object_store.location(report_key(batch, submission))}: {status}")


@review_app.command("log")
def review_log(
    batch: Annotated[str, typer.Option(help="the id of a batch the store holds")],
    store: Annotated[
        str | None,
        typer.Option(help="store URI, as for run (default: SHENBAO_STORE or var/store)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="every decision as JSON (shenbao.decision/1)")
    ] = False,
) -> None:
    """Every decision on a batch, in time order: the audit log."""
    from pipeline import ingest
    from pipeline.decision import ACTION_LABELS
    from pipeline.rulebook import load_rules
    from reports.labels import member_column_labels
    from reports.shown import visible
    from storage.local_store import open_store
    from usecases.review import decision_log

    try:
        ingest.check_batch_id(batch)
        decisions = decision_log(open_store(store or Settings().store), batch)
    except PipelineError as exc:
        fail(exc)
    if as_json:
        payload = [d.model_dump(mode="json", by_alias=True) for d in decisions]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"批次 {batch} 复核记录（{len(decisions)}）")
    for column in ("时间（UTC）", "复核人", "申报编号", "问题", "决定", "更正值", "理由", "取代"):
        table.add_column(column)
    columns = member_column_labels(load_rules(Settings().rules_dir).templates)
    for d in decisions:
        value = "" if d.value is None else str(d.value)
        if d.cell is not None:  # a member's cell: 第6行·单位名称：贵州大学
            value = f"第{d.cell.row}行·{columns.get(d.cell.column, d.cell.column)}：{value}"
        table.add_row(
            d.time.strftime("%Y-%m-%d %H:%M:%S"),
            Text(visible(d.user)),
            "（批次）" if d.batch_level else d.submission,
            f"{d.finding} {d.seen.code.value}",
            ACTION_LABELS[d.action],
            Text(visible(value)),
            Text(visible(d.reason)),
            d.supersedes or "",
        )
    console.print(table)


def _add_installed_command_groups() -> None:
    """The command groups other installed packages offer (the lab's ``samples`` and
    ``bench``), each under its entry point's name; loading one imports only its commands."""
    for entry in entry_points(group=COMMAND_GROUPS):
        app.add_typer(entry.load(), name=entry.name)


_add_installed_command_groups()


def main() -> None:
    """The ``shenbao`` console script: Prefect's settings first (before Prefect is
    imported), then the command."""
    prefect_env.apply_defaults()
    app()


if __name__ == "__main__":  # BATCH_RUN_COMMAND: python -m flows.cli
    main()
