"""The app through FastAPI's TestClient, on the local store and on SeaweedFS S3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from storage.base import ObjectStore
from tests.workbench.conftest import (
    BATCH,
    PASSWORD,
    PNG,
    REPORT_HTML,
    SUBMISSIONS,
    XLSX_BYTES,
    Clock,
    csrf_of,
    log_in,
)
from workbench.app import checked_form, require_role
from workbench.security import SESSION_COOKIE, WorkbenchSettings
from workbench.users import Role, User, hash_password, remove_user, set_password

MakeClient = Callable[..., TestClient]
CROP = f"/files/reports/{BATCH}/{SUBMISSIONS[0]}/evidence/finding-01.png"
REPORT = f"/files/reports/{BATCH}/{SUBMISSIONS[0]}/report.html"
SUMMARY = f"/files/batches/{BATCH}/summary.xlsx"
INDEX = f"/files/batches/{BATCH}/index.html"


def test_health_needs_no_login(make_client: MakeClient, local_store: ObjectStore) -> None:
    answer = make_client(local_store).get("/healthz")
    assert answer.status_code == 200 and answer.text == "ok"


def test_anonymous_pages_go_to_login_files_are_refused(
    make_client: MakeClient, any_store: ObjectStore
) -> None:
    client = make_client(any_store)
    for page in ("/", "/admin/users"):
        answer = client.get(page)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={page}"
    for file in (CROP, REPORT, SUMMARY, INDEX):
        answer = client.get(file)
        assert answer.status_code == 401, file
        assert PNG not in answer.content and b"summary" not in answer.content


def test_log_in_see_the_batches_get_the_files_log_out(
    make_client: MakeClient, any_store: ObjectStore
) -> None:
    client = make_client(any_store)
    login = client.get("/login")
    assert login.status_code == 200 and "登录" in login.text
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert log_in(client, "rui") == 303
    session = next(h for h in client.cookies.jar if h.name == SESSION_COOKIE)
    assert session.has_nonstandard_attr("HttpOnly")
    page = client.get("/")
    assert page.status_code == 200
    assert BATCH in page.text and "rui" in page.text
    # 2 submissions: one failing, one passing; one quarantined file; the downloads
    assert '<td class="submissions">2</td>' in page.text
    assert '<td class="status-fail">1' in page.text and '<td class="status-pass">1' in page.text
    assert "隔离 1" in page.text and SUMMARY in page.text
    assert client.get(CROP).content == PNG
    assert client.get(CROP).headers["content-type"] == "image/png"
    stored = client.get(REPORT)
    assert stored.text == REPORT_HTML
    assert "script-src" not in stored.headers["content-security-policy"]
    assert "default-src 'none'" in stored.headers["content-security-policy"]
    download = client.get(SUMMARY)
    assert download.content == XLSX_BYTES
    assert "attachment" in download.headers["content-disposition"]
    assert client.get(INDEX).status_code == 200
    # logging out
    answer = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/").status_code == 303
    assert client.get(CROP).status_code == 401


def test_a_wrong_password_is_refused(make_client: MakeClient, any_store: ObjectStore) -> None:
    client = make_client(any_store)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": "rui", "password": "wrong!", "csrf": token})
    assert answer.status_code == 401 and "用户名或密码错误" in answer.text
    assert SESSION_COOKIE not in client.cookies
    answer = client.post("/login", data={"name": "nobody", "password": PASSWORD, "csrf": token})
    assert answer.status_code == 401 and "用户名或密码错误" in answer.text  # same words


def test_a_wrong_csrf_token_is_refused(make_client: MakeClient, local_store: ObjectStore) -> None:
    client = make_client(local_store)
    client.get("/login")
    for token in ("", "forged", csrf_of(make_client(local_store).get("/login").text)):
        answer = client.post("/login", data={"name": "rui", "password": PASSWORD, "csrf": token})
        assert answer.status_code == 403
    assert SESSION_COOKIE not in client.cookies
    assert log_in(client, "rui") == 303
    other = make_client(local_store)
    assert log_in(other, "rui") == 303
    another_sessions = csrf_of(other.get("/").text)
    login_forms = csrf_of(make_client(local_store).get("/login").text)
    for token in ("", "forged", another_sessions, login_forms):
        answer = client.post("/logout", data={"csrf": token})
        assert answer.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_a_login_form_of_another_site_is_refused(
    make_client: MakeClient, local_store: ObjectStore
) -> None:
    # no login cookie (a page elsewhere posting to /login): refused whatever the token
    client = make_client(local_store)
    token = csrf_of(client.get("/login").text)
    client.cookies.clear()
    answer = client.post("/login", data={"name": "rui", "password": PASSWORD, "csrf": token})
    assert answer.status_code == 403


def test_roles(make_client: MakeClient, local_store: ObjectStore) -> None:
    viewer = make_client(local_store)
    assert log_in(viewer, "vic") == 303
    assert viewer.get("/").status_code == 200  # viewers read
    assert viewer.get(CROP).status_code == 200
    assert viewer.get("/admin/users", headers={"accept": "text/html"}).status_code == 403
    assert "用户管理" not in viewer.get("/").text
    admin = make_client(local_store)
    assert log_in(admin, "ada") == 303
    users = admin.get("/admin/users")
    assert users.status_code == 200
    assert all(name in users.text for name in ("ada", "rui", "vic"))
    assert "argon2" not in users.text


def test_after_login_to_the_page_asked_for_never_another_site(
    make_client: MakeClient, local_store: ObjectStore
) -> None:
    client = make_client(local_store)
    token = csrf_of(client.get(f"/login?next={SUMMARY}").text)
    data = {"name": "rui", "password": PASSWORD, "csrf": token, "next": SUMMARY}
    assert client.post("/login", data=data).headers["location"] == SUMMARY
    client = make_client(local_store)
    token = csrf_of(client.get("/login").text)
    data = data | {"csrf": token, "next": "//evil.example/"}
    assert client.post("/login", data=data).headers["location"] == "/"


def test_an_expired_session_is_refused(
    make_client: MakeClient, local_store: ObjectStore, clock: Clock
) -> None:
    client = make_client(local_store)
    assert log_in(client, "rui") == 303
    clock.now += 11 * 3600
    assert client.get("/").status_code == 200
    clock.now += 1 * 3600
    assert client.get("/").status_code == 303
    assert client.get(CROP).status_code == 401


def test_a_forged_or_altered_cookie_is_refused(
    make_client: MakeClient, local_store: ObjectStore
) -> None:
    client = make_client(local_store)
    assert log_in(client, "vic") == 303
    cookie = client.cookies[SESSION_COOKIE]
    body, _, mac = cookie.partition(".")
    import base64
    import json

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["user"] = "ada"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    client.cookies.set(SESSION_COOKIE, f"{forged}.{mac}")
    assert client.get("/admin/users").status_code == 303


def test_a_changed_password_or_a_removed_user_ends_the_sessions(
    make_client: MakeClient, any_store: ObjectStore, settings: WorkbenchSettings
) -> None:
    eager = settings.model_copy(update={"users_recheck_seconds": 0})
    client, other = make_client(any_store, settings=eager), make_client(any_store, settings=eager)
    assert log_in(client, "rui") == 303 and log_in(other, "vic") == 303
    set_password(any_store, "rui", hash_password("a brand new one"))
    assert client.get("/").status_code == 303
    assert log_in(client, "rui") == 401
    assert log_in(client, "rui", "a brand new one") == 303
    remove_user(any_store, "vic")
    assert other.get(CROP).status_code == 401


def test_throttling_after_n_failures(make_client: MakeClient, local_store: ObjectStore) -> None:
    client = make_client(local_store)
    for _ in range(10):
        token = csrf_of(client.get("/login").text)
        data = {"name": "rui", "password": "not it at all", "csrf": token}
        assert client.post("/login", data=data).status_code == 401
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": "rui", "password": PASSWORD, "csrf": token})
    assert answer.status_code == 429 and "分钟后再试" in answer.text
    assert SESSION_COOKIE not in client.cookies
    assert log_in(client, "vic") == 303  # another user from the same address is not locked


def test_ids_in_urls_are_checked(make_client: MakeClient, any_store: ObjectStore) -> None:
    client = make_client(any_store)
    assert log_in(client, "rui") == 303
    base = f"/files/reports/{BATCH}/{SUBMISSIONS[0]}"
    for url in (
        f"{base}/evidence/finding-09.png",
        f"{base}/evidence/..%2freport.json",
        f"{base}/evidence/%2e%2e",
        f"/files/reports/{BATCH}/..%2f..%2fauth/evidence/users.json",
        f"/files/reports/{BATCH}/%2e%2e/report.html",
        f"/files/reports/{BATCH}/{SUBMISSIONS[1]}/report.html",
        "/files/batches/..%2fauth/summary.xlsx",
        "/files/batches/nope/summary.xlsx",
        "/files/reports/nope/x/evidence/finding-01.png",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert b"argon2" not in answer.content


def test_cookies_are_secure_when_asked_or_over_https(
    make_client: MakeClient, local_store: ObjectStore
) -> None:
    client = make_client(local_store, secure_cookies=True)
    assert "Secure" in client.get("/login").headers["set-cookie"]
    over_https = make_client(local_store)
    over_https.base_url = over_https.base_url.copy_with(scheme="https")
    assert "Secure" in over_https.get("/login").headers["set-cookie"]


def test_every_answer_has_the_safety_headers(
    make_client: MakeClient, local_store: ObjectStore
) -> None:
    client = make_client(local_store)
    for url in ("/login", "/healthz", "/"):
        headers = client.get(url).headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x>'])
def test_what_the_page_shows_is_escaped(
    make_client: MakeClient, local_store: ObjectStore, hostile: str
) -> None:
    client = make_client(local_store)
    answer = client.get("/login", params={"next": f"/{hostile}"})
    assert hostile not in answer.text


def test_a_logout_ends_a_copied_cookie_on_every_server(
    make_client: MakeClient, any_store: ObjectStore, clock: Clock, settings: WorkbenchSettings
) -> None:
    eager = settings.model_copy(update={"users_recheck_seconds": 0})
    client = make_client(any_store, settings=eager)
    assert log_in(client, "rui") == 303
    copied = client.cookies[SESSION_COOKIE]
    second_server = make_client(any_store, settings=eager)  # another instance, same store
    second_server.cookies.set(SESSION_COOKIE, copied)
    assert second_server.get("/").status_code == 200
    clock.now += 1
    page = client.get("/")
    assert client.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    assert second_server.get("/").status_code == 303
    assert second_server.get(CROP).status_code == 401
    client.cookies.set(SESSION_COOKIE, copied)
    assert client.get("/").status_code == 303
    clock.now += 1
    client.cookies.clear()
    assert log_in(client, "rui") == 303  # a new login works
    assert client.get("/").status_code == 200


def test_the_helpers_a_decision_form_will_use(
    make_client: MakeClient, local_store: ObjectStore
) -> None:
    # what the next pages build on: require_role, checked_form and the CSRF field
    client = make_client(local_store)

    @client.app.post("/probe")  # type: ignore[attr-defined]
    def probe(
        user: Annotated[User, Depends(require_role(Role.REVIEWER))],
        form: Annotated[FormData, Depends(checked_form)],
    ) -> PlainTextResponse:
        return PlainTextResponse(f"{user.name}:{form.get('value')}")

    assert client.post("/probe", data={"value": "x"}).status_code == 303  # anonymous
    assert log_in(client, "rui") == 303
    token = csrf_of(client.get("/").text)
    answer = client.post("/probe", data={"value": "x", "csrf": token})
    assert answer.status_code == 200 and answer.text == "rui:x"
    assert client.post("/probe", data={"value": "x", "csrf": "nope"}).status_code == 403
    viewer = TestClient(client.app, follow_redirects=False)
    assert log_in(viewer, "vic") == 303
    token = csrf_of(viewer.get("/").text)
    assert viewer.post("/probe", data={"value": "x", "csrf": token}).status_code == 403
