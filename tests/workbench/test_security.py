"""Signed tokens, sessions, CSRF, throttling, the secret, and ids from URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from storage.base import ObjectStore
from tests.workbench.conftest import BATCH, SUBMISSIONS, Clock, put_batch
from workbench import security
from workbench.security import (
    LoginThrottle,
    NotStoredError,
    ThrottleSettings,
    WorkbenchSettings,
    load_secret,
    load_settings,
)

KEY = b"s" * 40


def test_a_signed_payload_comes_back_only_with_its_key_and_purpose() -> None:
    token = security.sign(KEY, "session", {"user": "ada", "n": 1})
    assert security.unsign(KEY, "session", token) == {"user": "ada", "n": 1}
    assert security.unsign(b"t" * 40, "session", token) is None  # another key
    assert security.unsign(KEY, "login", token) is None  # another purpose
    body, _, mac = token.partition(".")
    forged = security.sign(KEY, "session", {"user": "root", "n": 1}).partition(".")[0]
    assert security.unsign(KEY, "session", f"{forged}.{mac}") is None  # body swapped
    assert security.unsign(KEY, "session", f"{body}.{mac[:-2]}AA") is None  # mac altered
    for junk in ("", ".", "abc", "a.b.c", "%%%.%%%", "x" * 5000):
        assert security.unsign(KEY, "session", junk) is None


def test_a_session_cookie_expires() -> None:
    clock = Clock()
    session = security.new_session("ada", "2026-01-01T00:00:00+00:00", 12, clock())
    cookie = security.session_cookie(KEY, session)
    assert security.read_session(KEY, cookie, clock()) == session
    assert security.read_session(KEY, cookie, clock() + 12 * 3600 - 1) == session
    assert security.read_session(KEY, cookie, clock() + 12 * 3600) is None
    assert security.read_session(KEY, None, clock()) is None
    # a login nonce's token is no session
    nonce = security.login_nonce_cookie(KEY, "n1", clock())
    assert security.read_session(KEY, nonce, clock()) is None


def test_two_sessions_of_one_user_differ() -> None:
    one = security.new_session("ada", "x", 1, 0)
    two = security.new_session("ada", "x", 1, 0)
    assert one.sid != two.sid
    assert security.csrf_token(KEY, one.sid) != security.csrf_token(KEY, two.sid)


def test_the_csrf_token_is_the_sessions_own() -> None:
    token = security.csrf_token(KEY, "a" * 32)
    assert security.csrf_ok(KEY, "a" * 32, token)
    assert not security.csrf_ok(KEY, "b" * 32, token)
    assert not security.csrf_ok(b"t" * 40, "a" * 32, token)
    for wrong in (None, "", token[:-1], token + "x", 12, "é"):
        assert not security.csrf_ok(KEY, "a" * 32, wrong)
    assert not security.csrf_ok(KEY, None, token)


def test_a_login_nonce_expires() -> None:
    cookie = security.login_nonce_cookie(KEY, "n1", 1000.0, minutes=1)
    assert security.read_login_nonce(KEY, cookie, 1059.0) == "n1"
    assert security.read_login_nonce(KEY, cookie, 1060.0) is None
    assert security.read_login_nonce(KEY, "forged.cookie", 1000.0) is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/", "/"),
        ("/files/batches/b/summary.xlsx?x=1", "/files/batches/b/summary.xlsx?x=1"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_login_only_a_path_of_this_site(given: str | None, kept: str) -> None:
    assert security.safe_next(given) == kept


THROTTLE = ThrottleSettings(
    window_seconds=60, max_failures_per_user=3, max_failures_per_address=5, lockout_seconds=120
)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fail(throttle: LoginThrottle, user: str, address: str) -> None:
    throttle.begin(user, address)
    throttle.failed(user, address)


def test_checks_under_way_count_against_the_limit() -> None:
    # guesses sent at once get no more tries than guesses sent one by one (limit 3)
    throttle = LoginThrottle(THROTTLE, clock=Ticks())
    for _ in range(3):
        assert throttle.locked_for("ada", "10.0.0.1") == 0
        throttle.begin("ada", "10.0.0.1")
    assert throttle.locked_for("ada", "10.0.0.1") > 0  # the fourth waits
    throttle.failed("ada", "10.0.0.1")
    throttle.failed("ada", "10.0.0.1")
    assert throttle.locked_for("ada", "10.0.0.1") > 0  # one still under way
    throttle.release("ada", "10.0.0.1")  # the store failed: no answer, no count
    assert throttle.locked_for("ada", "10.0.0.1") == 0
    _fail(throttle, "ada", "10.0.0.1")
    assert throttle.locked_for("ada", "10.0.0.1") == 120


def test_a_user_is_locked_after_n_failures_and_free_after_the_lockout() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(THROTTLE, clock=ticks)
    for _ in range(2):
        _fail(throttle, "ada", "10.0.0.1")
    assert throttle.locked_for("ada", "10.0.0.1") == 0
    _fail(throttle, "ADA", "10.0.0.2")  # the name is one whatever its case or address
    assert throttle.locked_for("ada", "10.0.0.9") == 120
    assert throttle.locked_for("rui", "10.0.0.9") == 0  # another user is not
    ticks.now = 119.0
    assert throttle.locked_for("ada", "10.0.0.9") == pytest.approx(1.0)
    ticks.now = 120.0
    assert throttle.locked_for("ada", "10.0.0.9") == 0


def test_failures_outside_the_window_do_not_count() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(THROTTLE, clock=ticks)
    for step in range(6):
        ticks.now = step * 31.0  # two per window at most
        _fail(throttle, "ada", f"10.0.0.{step}")
    assert throttle.locked_for("ada", "10.0.0.1") == 0


def test_an_address_guessing_many_names_is_locked() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(THROTTLE, clock=ticks)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        _fail(throttle, name, "10.0.0.7")
    assert throttle.locked_for("someone", "10.0.0.7") == 120
    assert throttle.locked_for("someone", "10.0.0.8") == 0


def test_a_success_clears_the_users_failures_not_the_addresses() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(THROTTLE, clock=ticks)
    for name in ("ada", "ada", "x", "y"):
        _fail(throttle, name, "10.0.0.7")
    throttle.begin("ada", "10.0.0.7")
    throttle.succeeded("ada", "10.0.0.7")
    _fail(throttle, "ada", "10.0.0.8")
    _fail(throttle, "ada", "10.0.0.8")
    assert throttle.locked_for("ada", "10.0.0.8") == 0  # 2 since the success
    _fail(throttle, "z", "10.0.0.7")  # the address's fifth
    assert throttle.locked_for("ada", "10.0.0.7") == 120


def test_the_secret_from_the_environment(local_store: ObjectStore) -> None:
    secret = "e" * 40
    assert load_secret(local_store, {security.SECRET_ENV: secret}) == secret.encode()
    assert not local_store.exists(security.SECRET_KEY)
    with pytest.raises(ConfigError, match="too short"):
        load_secret(local_store, {security.SECRET_ENV: "short"})


def test_the_secret_is_made_once_and_shared_through_the_store(any_store: ObjectStore) -> None:
    first = load_secret(any_store, {})
    assert len(first) >= security.SECRET_MIN_CHARS
    assert any_store.exists(security.SECRET_KEY)
    assert load_secret(any_store, {}) == first  # a second instance signs alike


def test_ids_from_urls_must_match_and_exist(any_store: ObjectStore) -> None:
    put_batch(any_store)
    assert security.batch_manifest(any_store, BATCH) == f"batches/{BATCH}/manifest.json"
    assert security.evidence(any_store, BATCH, SUBMISSIONS[0], "finding-01.png").endswith(
        "evidence/finding-01.png"
    )
    refused = [
        (BATCH, SUBMISSIONS[0], "finding-02.png"),  # well formed, not stored
        (BATCH, SUBMISSIONS[0], "../report.json"),
        (BATCH, SUBMISSIONS[0], "..%2freport.json"),
        (BATCH, SUBMISSIONS[0], ".finding-01.png"),
        (BATCH, SUBMISSIONS[0], "finding-01.png/"),
        (BATCH, "..", "finding-01.png"),
        (BATCH, f"{SUBMISSIONS[0]}/evidence", "finding-01.png"),
        (BATCH, "．．", "finding-01.png"),
        ("..", SUBMISSIONS[0], "finding-01.png"),
        ("nope", SUBMISSIONS[0], "finding-01.png"),
        (BATCH, SUBMISSIONS[1], "finding-01.png"),  # another submission's name
    ]
    for batch, submission, name in refused:
        with pytest.raises(NotStoredError):
            security.evidence(any_store, batch, submission, name)
    with pytest.raises(NotStoredError):
        security.report_html(any_store, BATCH, SUBMISSIONS[1])  # no report.html stored
    with pytest.raises(NotStoredError):
        security.batch_summary(any_store, "b-other")


def test_the_shipped_settings_load(settings: WorkbenchSettings) -> None:
    assert settings.password_min_length >= 8
    assert settings.throttle.max_failures_per_user >= 1


def test_a_wrong_setting_is_named(tmp_path: Path) -> None:
    path = tmp_path / "workbench.yaml"
    text = security.SETTINGS_PATH.read_text(encoding="utf-8")
    path.write_text(text.replace("max_failures_per_user: 10", "max_failures_per_user: 0"))
    with pytest.raises(ConfigError, match=r"throttle\.max_failures_per_user"):
        load_settings(path)
