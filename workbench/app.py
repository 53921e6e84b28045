"""The reviewers' workbench: a FastAPI app over one store (``shenbao review``).

Server-rendered pages (Jinja2, autoescaped, Chinese text), a little CSS and JavaScript in
``static/``, no build chain. ``create_app(store)`` builds it; ``flows/cli.py`` serves it
with uvicorn. Every page, evidence crop and download needs a session; ``/healthz``,
``/login`` and ``/static`` do not.

How to add a page (for whoever builds the batch, submission and decision pages):

1. A template ``templates/NAME.html.j2`` that ``{% extends "base.html.j2" %}`` and fills
   ``{% block content %}``; every ``<form method="post">`` holds ``{{ csrf_field }}``.
2. A route in ``_routes`` (or a function taking the app and adding its own)::

       @app.get("/batches/{batch}", response_class=HTMLResponse)
       def batch_page(request: Request, batch: str,
                      user: User = Depends(current_user)) -> HTMLResponse:
           wb = workbench(request)
           key = security.batch_manifest(wb.store, batch)  # 404 unless stored
           return render(request, "batch.html.j2", {"batch": batch}, user=user)

   ``current_user`` sends an anonymous visitor to the login page; ``file_user`` answers
   401 instead (crops, downloads, anything fetched by a script); ``require_role(Role.
   REVIEWER)`` refuses viewers with 403. Ids from URLs go through ``security``'s checks
   (``batch_manifest``, ``submission_report``, ``evidence``…): a strict pattern, then the
   key must exist; ``NotStoredError`` becomes a 404.
3. A form's handler takes ``form: FormData = Depends(checked_form)``: the CSRF token is
   checked before the handler runs (403 when wrong) and the form is returned.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from pipeline.decision import Progress
from pipeline.errors import PipelineError, StorageError
from pipeline.model import Manifest, Status
from storage.base import ObjectMissingError, ObjectStore, report_key
from usecases.review import batch_level_progress, batch_progress
from workbench import security
from workbench.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    NotStoredError,
    Session,
    WorkbenchSettings,
)
from workbench.users import Role, User, UserBook, end_sessions, load_users, password_matches

HERE = Path(__file__).resolve().parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Pages of the app: scripts and styles of its own only.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Stored report.html / index.html: their own inline styles and data: images, no script.
STORED_PAGE_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass
class Workbench:
    """What the app serves and remembers: ``request.app.state.workbench``."""

    store: ObjectStore
    settings: WorkbenchSettings
    key: bytes = field(repr=False)
    secure_cookies: bool = False
    clock: Callable[[], float] = time.time
    throttle: LoginThrottle = field(init=False)
    _users: UserBook | None = field(default=None, init=False, repr=False)
    _users_read: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.throttle = LoginThrottle(self.settings.throttle)

    def users(self, *, fresh: bool = False) -> UserBook:
        """The store's users, read again when ``fresh`` or older than the recheck time."""
        now = time.monotonic()
        if (
            fresh
            or self._users is None
            or now - self._users_read >= self.settings.users_recheck_seconds
        ):
            self._users = load_users(self.store)
            self._users_read = now
        return self._users

    def forget_users(self) -> None:
        """Read the users again at the next request (this server changed them)."""
        self._users = None


class LoginRequiredError(Exception):
    """An anonymous visitor asked for a page: they are sent to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


# --- dependencies -----------------------------------------------------------------------


def workbench(request: Request) -> Workbench:
    """The app's state."""
    state: Workbench = request.app.state.workbench
    return state


def _session_user(request: Request) -> User | None:
    """The user of a genuine, unexpired session whose account still exists with the same
    password; remembered on the request (``request.state.session``)."""
    wb = workbench(request)
    session = security.read_session(wb.key, request.cookies.get(SESSION_COOKIE), wb.clock())
    if session is None:
        return None
    user = wb.users().find(session.user)
    if user is None or not user.accepts_session(session.password_changed, session.issued):
        return None
    request.state.session = session
    return user


def current_user(request: Request) -> User:
    """The logged-in user of a page; an anonymous visitor goes to the login page."""
    user = _session_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target)
    return user


def file_user(request: Request) -> User:
    """The logged-in user of a crop, a download or a script's request; 401 without one."""
    user = _session_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="需要登录")
    return user


def require_role(role: Role) -> Callable[..., User]:
    """A dependency: the logged-in user when their role allows ``role``'s actions, else
    403 (anonymous: to the login page)."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.role.allows(role):
            raise HTTPException(status_code=403, detail="权限不足")
        return user

    return dependency


def csrf_of(request: Request) -> str:
    """The CSRF token of this request's session (empty without one)."""
    session: Session | None = getattr(request.state, "session", None)
    return security.csrf_token(workbench(request).key, session.sid) if session else ""


def csrf_field(token: str) -> Markup:
    """The hidden input every form carries."""
    return Markup('<input type="hidden" name="csrf" value="{}">').format(token)


async def checked_form(request: Request) -> FormData:
    """The posted form of a logged-in user, its CSRF token checked (403 when wrong)."""
    await run_in_threadpool(file_user, request)  # sets request.state.session; may read the store
    form = await request.form()
    session: Session = request.state.session
    if not security.csrf_ok(workbench(request).key, session.sid, form.get("csrf")):
        raise HTTPException(status_code=403, detail="表单已失效，请刷新页面后重试")
    return form


# --- rendering --------------------------------------------------------------------------

_templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page: ``template`` with ``context``, the user and the CSRF field."""
    token = csrf_of(request)
    full = {"user": user, "csrf_token": token, "csrf_field": csrf_field(token)} | (context or {})
    return _templates.TemplateResponse(request, template, full, status_code=status_code)


def _set_cookie(request: Request, response: Response, name: str, value: str, **extra: Any) -> None:
    """A cookie as every cookie of the app is: HttpOnly, SameSite=Strict, Secure over
    https (or with ``--secure-cookies``)."""
    wb = workbench(request)
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=wb.secure_cookies or request.url.scheme == "https",
        **extra,
    )


def _drop_cookie(request: Request, response: Response, name: str, path: str) -> None:
    wb = workbench(request)
    response.delete_cookie(
        name,
        path=path,
        httponly=True,
        samesite="strict",
        secure=wb.secure_cookies or request.url.scheme == "https",
    )


# --- the batches ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewProgress:
    """How far review of a batch has got (findings decided / open)."""

    decided: int
    open: int
    stale: int = 0


def review_progress(store: ObjectStore, manifest: Manifest) -> ReviewProgress | None:
    """How far review of a batch has got, its submissions' findings and its own
    (``usecases.review.batch_progress`` summed, ``batch_level_progress``); None when the
    batch cannot be read."""
    try:
        total = sum(batch_progress(store, manifest.batch).values(), Progress())
        total += batch_level_progress(store, manifest)
    except PipelineError:
        return None
    return ReviewProgress(decided=total.decided, open=total.open, stale=total.stale)


@dataclass(frozen=True)
class BatchRow:
    """One line of the batches page."""

    batch: str
    files: int
    quarantined: int
    submissions: int
    statuses: dict[str, int]
    batch_findings: int
    has_summary: bool
    has_index: bool
    progress: ReviewProgress | None


def batch_rows(store: ObjectStore) -> list[BatchRow]:
    """Every batch the store holds (``batches/*/manifest.json``), by id.

    Each report's status is read from its report.json (only the ``status`` key); a
    report that is missing or unreadable counts as ``unreadable``.
    """
    rows = []
    for key in store.list("batches/"):
        parts = key.split("/")
        if len(parts) != 3 or parts[2] != "manifest.json":
            continue
        try:
            manifest = Manifest.model_validate_json(store.get_bytes(key))
        except (ValidationError, StorageError):
            continue
        statuses = dict.fromkeys([s.value for s in Status] + ["unreadable"], 0)
        submissions = [sid for entry in manifest.files for sid in entry.submissions]
        for sid in submissions:
            statuses[_stored_status(store, manifest.batch, sid)] += 1
        rows.append(
            BatchRow(
                batch=manifest.batch,
                files=len(manifest.files),
                quarantined=sum(e.state == "quarantined" for e in manifest.files),
                submissions=len(submissions),
                statuses=statuses,
                batch_findings=len(manifest.findings),
                has_summary=store.exists(f"batches/{manifest.batch}/summary.xlsx"),
                has_index=store.exists(f"batches/{manifest.batch}/index.html"),
                progress=review_progress(store, manifest),
            )
        )
    return sorted(rows, key=lambda r: r.batch)


def _stored_status(store: ObjectStore, batch: str, submission: str) -> str:
    try:
        status = json.loads(store.get_bytes(report_key(batch, submission))).get("status")
    except (ObjectMissingError, StorageError, ValueError, AttributeError):
        return "unreadable"
    return status if status in {s.value for s in Status} else "unreadable"


# --- the app ----------------------------------------------------------------------------


class _Headers(BaseHTTPMiddleware):
    """Headers of every answer: nothing cached (the evidence is applicants' data), no
    framing, no sniffing, a content policy."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        headers.setdefault("Cache-Control", "no-store")
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        return response


def create_app(
    store: ObjectStore,
    *,
    key: bytes,
    settings: WorkbenchSettings | None = None,
    secure_cookies: bool = False,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The workbench over ``store``, signing with ``key`` (``security.load_secret``).

    Args:
        secure_cookies: mark cookies Secure even when the request came over plain http
            (behind a proxy that ends TLS); over https they are Secure anyway.
        clock: Unix time, for sessions' expiry (tests move it).
    """
    app = FastAPI(title="申报材料复核", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workbench = Workbench(
        store=store,
        settings=settings or security.load_settings(),
        key=key,
        secure_cookies=secure_cookies,
        clock=clock,
    )
    app.add_middleware(_Headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _handlers(app)
    _routes(app)
    from workbench.pages import add_pages  # the pages use this module's dependencies

    add_pages(app)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequiredError)
    async def to_login(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.path, safe='/')}", status_code=303)

    @app.exception_handler(NotStoredError)
    async def not_stored(request: Request, exc: NotStoredError) -> Response:
        return PlainTextResponse("未找到", status_code=404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = {"WWW-Authenticate": 'Cookie realm="shenbao"'} if exc.status_code == 401 else {}
        if "text/html" in request.headers.get("accept", "") and exc.status_code in (403, 404):
            return render(
                request,
                "error.html.j2",
                {"status": exc.status_code, "message": str(exc.detail)},
                user=_session_user(request),
                status_code=exc.status_code,
            )
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=headers)


def _routes(app: FastAPI) -> None:
    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> Response:
        if _session_user(request) is not None:
            return RedirectResponse(security.safe_next(next), status_code=303)
        return _login_form(request, next)

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        wb = workbench(request)
        form = await request.form()
        name = str(form.get("name") or "").strip()
        password = str(form.get("password") or "")
        target = security.safe_next(str(form.get("next") or "/"))
        nonce = security.read_login_nonce(wb.key, request.cookies.get(LOGIN_COOKIE), wb.clock())
        if not security.csrf_ok(wb.key, f"login:{nonce}" if nonce else None, form.get("csrf")):
            return _login_form(request, target, "登录表单已失效，请重新登录。", 403)
        address = request.client.host if request.client else "unknown"
        wait = wb.throttle.locked_for(name, address)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            return _login_form(request, target, f"登录失败次数过多，请 {minutes} 分钟后再试。", 429)
        # the store read and the deliberately slow hash off the event loop; the checks
        # under way count against the throttle's limit meanwhile
        wb.throttle.begin(name, address)
        try:
            book = await run_in_threadpool(wb.users, fresh=True)
            user = book.find(name)
            too_long = len(password) > wb.settings.password_max_length
            right = not too_long and await run_in_threadpool(password_matches, user, password)
        except BaseException:
            wb.throttle.release(name, address)
            raise
        if not right:
            wb.throttle.failed(name, address)
            return _login_form(request, target, "用户名或密码错误。", 401)
        assert user is not None  # password_matches is False without a user
        wb.throttle.succeeded(name, address)
        session = security.new_session(
            user.name, user.password_stamp, wb.settings.session_hours, wb.clock()
        )
        response = RedirectResponse(target, status_code=303)
        _set_cookie(
            request,
            response,
            SESSION_COOKIE,
            security.session_cookie(wb.key, session),
            max_age=int(wb.settings.session_hours * 3600),
            path="/",
        )
        _drop_cookie(request, response, LOGIN_COOKIE, "/login")
        return response

    @app.post("/logout")
    def logout(request: Request, form: Annotated[FormData, Depends(checked_form)]) -> Response:
        wb = workbench(request)
        session: Session = request.state.session
        # every session begun before now ends, on every server (within their recheck time)
        when = dt.datetime.fromtimestamp(wb.clock(), dt.UTC)
        with contextlib.suppress(PipelineError):  # the cookie goes whatever the store says
            end_sessions(wb.store, session.user, when)
            wb.forget_users()
        response = RedirectResponse("/login", status_code=303)
        _drop_cookie(request, response, SESSION_COOKIE, "/")
        return response

    @app.get("/", response_class=HTMLResponse)
    def batches_page(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
        rows = batch_rows(workbench(request).store)
        return render(request, "batches.html.j2", {"rows": rows}, user=user)

    @app.get("/admin/users", response_class=HTMLResponse)
    def users_page(
        request: Request, user: Annotated[User, Depends(require_role(Role.ADMIN))]
    ) -> Response:
        book = workbench(request).users(fresh=True)
        return render(request, "users.html.j2", {"users": book.users}, user=user)

    # Stored files under /files/ mirror their store keys, so the stored pages' relative
    # links (index.html → ../../reports/B/S/report.html) lead to these routes too.
    @app.get("/files/batches/{batch}/summary.xlsx")
    def summary(
        request: Request, batch: str, user: Annotated[User, Depends(file_user)]
    ) -> Response:
        key = security.batch_summary(workbench(request).store, batch)
        return Response(
            workbench(request).store.get_bytes(key),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{batch}-summary.xlsx"'},
        )

    @app.get("/files/batches/{batch}/index.html")
    def index_html(
        request: Request, batch: str, user: Annotated[User, Depends(file_user)]
    ) -> Response:
        store = workbench(request).store
        security.batch_manifest(store, batch)
        key = security.stored_key(store, f"batches/{batch}/index.html")
        return _stored_page(store.get_bytes(key))

    @app.get("/files/reports/{batch}/{submission}/report.html")
    def report_page(
        request: Request, batch: str, submission: str, user: Annotated[User, Depends(file_user)]
    ) -> Response:
        store = workbench(request).store
        return _stored_page(store.get_bytes(security.report_html(store, batch, submission)))

    @app.get("/files/reports/{batch}/{submission}/evidence/{name}")
    def evidence_crop(
        request: Request,
        batch: str,
        submission: str,
        name: str,
        user: Annotated[User, Depends(file_user)],
    ) -> Response:
        store = workbench(request).store
        key = security.evidence(store, batch, submission, name)
        return Response(store.get_bytes(key), media_type="image/png")


def _stored_page(data: bytes) -> Response:
    return Response(
        data,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": STORED_PAGE_POLICY},
    )


def _login_form(
    request: Request, target: str, error: str | None = None, status_code: int = 200
) -> Response:
    wb = workbench(request)
    nonce = security.read_login_nonce(wb.key, request.cookies.get(LOGIN_COOKIE), wb.clock())
    fresh = nonce is None
    if nonce is None:
        nonce = secrets.token_hex(16)
    token = security.csrf_token(wb.key, f"login:{nonce}")
    response = _templates.TemplateResponse(
        request,
        "login.html.j2",
        {
            "user": None,
            "csrf_token": token,
            "csrf_field": csrf_field(token),
            "next": security.safe_next(target),
            "error": error,
        },
        status_code=status_code,
    )
    if fresh:
        _set_cookie(
            request,
            response,
            LOGIN_COOKIE,
            security.login_nonce_cookie(wb.key, nonce, wb.clock()),
            max_age=3600,
            path="/login",
        )
    return response
