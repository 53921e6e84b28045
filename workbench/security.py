"""The workbench's security: signed session cookies, CSRF tokens, login throttling and the
checks on ids taken from URLs. Pure functions and small classes, no web framework here:
``workbench/app.py`` wires them into requests.

- The signing secret comes from ``SHENBAO_REVIEW_SECRET`` or, without it, from the store
  (``auth/secret``, generated on first use), so every instance serving a store signs
  alike. It is never logged nor shown.
- A session is a signed token (HMAC-SHA256, a purpose string mixed in so a CSRF token or
  a login nonce can never pass for a session) holding the user's name, a random session
  id, when it began, its expiry and when the user's password last changed: a changed
  password ends every session made before it, and so does a logout (the user's
  ``sessions_ended`` in the store), on every server of the store.
- The CSRF token of a form is an HMAC of the session id (or of the login page's nonce):
  a page of another site cannot know it, and it needs no server-side state.
- Throttling counts failed logins per user name and per client address in this process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError, StorageError
from storage.base import (
    ObjectMissingError,
    ObjectStore,
    evidence_key,
    manifest_key,
    report_html_key,
    report_key,
    summary_key,
)

SETTINGS_PATH = Path(__file__).resolve().parent / "workbench.yaml"
SECRET_ENV = "SHENBAO_REVIEW_SECRET"
SECRET_KEY = "auth/secret"
SECRET_MIN_CHARS = 32  # a secret from the environment: at least 32 characters

# Ids as they appear in URLs: the batch id pattern of pipeline/ingest.py, submission ids
# as pipeline/model.py has them but starting with a letter or digit (no dot-names), and
# the evidence crops' file names (reports/evidence.py: finding-01.png, field-NAME.png).
BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
SUBMISSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,119}")
EVIDENCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}\.png")


class ThrottleSettings(BaseModel):
    """``throttle`` in workbench.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_seconds: float = Field(gt=0)
    max_failures_per_user: int = Field(ge=1)
    max_failures_per_address: int = Field(ge=1)
    lockout_seconds: float = Field(gt=0)


class PageImageSettings(BaseModel):
    """workbench.yaml's ``page_images``: how the submission page's page images are drawn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dpi: int = Field(ge=36, le=300)
    max_pixels: int = Field(gt=0)
    jpeg_quality: int = Field(ge=30, le=100)
    cache_pages: int = Field(ge=0)


class WorkbenchSettings(BaseModel):
    """workbench.yaml: sessions, passwords, throttling (each value's reason is there)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_hours: float = Field(gt=0, le=24 * 30)
    password_min_length: int = Field(ge=8)
    password_max_length: int = Field(ge=16, le=4096)
    throttle: ThrottleSettings
    users_recheck_seconds: float = Field(ge=0)
    page_images: PageImageSettings
    online_exports: int = Field(ge=0)


def load_settings(path: Path = SETTINGS_PATH) -> WorkbenchSettings:
    """The workbench's settings, validated.

    Raises:
        ConfigError: the file cannot be read or holds a wrong value (named).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}", file=str(path)) from exc
    try:
        return WorkbenchSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}", file=str(path)) from exc


# --- the signing secret -----------------------------------------------------------------


def load_secret(store: ObjectStore, environ: Mapping[str, str] | None = None) -> bytes:
    """The key sessions and CSRF tokens are signed with.

    ``SHENBAO_REVIEW_SECRET`` when set; otherwise ``auth/secret`` in the store, generated
    (256 random bits) when absent. After writing a new one it is read back, so of two
    instances starting at once on an empty store both keep the one that was stored last
    (the store has no conditional write; the window is the few milliseconds between them).

    Raises:
        ConfigError: the environment's secret is shorter than 32 characters.
        StorageError: the store cannot be read or written.
    """
    env = os.environ if environ is None else environ
    given = env.get(SECRET_ENV)
    if given:
        if len(given) < SECRET_MIN_CHARS:
            raise ConfigError(f"{SECRET_ENV} is too short: give at least {SECRET_MIN_CHARS} chars")
        return given.encode("utf-8")
    try:
        stored = store.get_bytes(SECRET_KEY).strip()
    except ObjectMissingError:
        stored = b""
    if len(stored) >= SECRET_MIN_CHARS:
        return stored
    store.put_bytes(SECRET_KEY, secrets.token_urlsafe(32).encode("ascii") + b"\n", "text/plain")
    stored = store.get_bytes(SECRET_KEY).strip()
    if len(stored) < SECRET_MIN_CHARS:
        raise StorageError(f"the store's {SECRET_KEY} could not be written whole")
    return stored


# --- signed tokens ----------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> bytes:
    return hmac.new(key, f"shenbao.{purpose}|{body}".encode(), hashlib.sha256).digest()


def sign(key: bytes, purpose: str, payload: Mapping[str, object]) -> str:
    """``payload`` as a token only ``key`` can have made, for ``purpose`` only."""
    body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_b64(_mac(key, purpose, body))}"


def unsign(key: bytes, purpose: str, token: str) -> dict[str, object] | None:
    """The payload of a token ``sign`` made with ``key`` for ``purpose``; None for any
    other (forged, altered, another purpose's, malformed)."""
    body, dot, mac = token.partition(".")
    if not dot or len(token) > 4096:
        return None
    try:
        given = _unb64(mac)
        if not hmac.compare_digest(given, _mac(key, purpose, body)):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


# --- sessions ---------------------------------------------------------------------------

SESSION_COOKIE = "shenbao_session"
LOGIN_COOKIE = "shenbao_login"  # the login form's nonce, before there is a session


class Session(BaseModel):
    """What a session cookie holds (signed, not secret: no password, no hash)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str
    sid: str = Field(pattern=r"^[0-9a-f]{32}$")
    issued: float = Field(description="Unix time the session began (a logout ends it)")
    expires: int = Field(description="Unix time after which the cookie is refused")
    password_changed: str = Field(
        description="the user's password_changed when the session began: a later change "
        "ends the session"
    )


def new_session(user: str, password_changed: str, hours: float, now: float) -> Session:
    """A fresh session for ``user``, lasting ``hours`` from ``now``."""
    return Session(
        user=user,
        sid=secrets.token_hex(16),
        issued=now,
        expires=int(now + hours * 3600),
        password_changed=password_changed,
    )


def session_cookie(key: bytes, session: Session) -> str:
    """The cookie's value for ``session``."""
    return sign(key, "session", session.model_dump())


def read_session(key: bytes, cookie: str | None, now: float) -> Session | None:
    """The session a cookie holds when it is genuine and not expired; else None."""
    if not cookie:
        return None
    payload = unsign(key, "session", cookie)
    if payload is None:
        return None
    try:
        session = Session.model_validate(payload)
    except ValidationError:
        return None
    return session if session.expires > now else None


def csrf_token(key: bytes, sid: str) -> str:
    """The CSRF token of every form of session ``sid`` (or of a login nonce)."""
    return _b64(_mac(key, "csrf", sid))


def csrf_ok(key: bytes, sid: str | None, token: object) -> bool:
    """Whether ``token`` is the CSRF token of ``sid`` (compared in constant time)."""
    if not sid or not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(token.encode("ascii", "replace"), csrf_token(key, sid).encode())


def login_nonce_cookie(key: bytes, nonce: str, now: float, minutes: float = 60) -> str:
    """The login page's cookie: a nonce its form's CSRF token is made from."""
    return sign(key, "login", {"nonce": nonce, "expires": int(now + minutes * 60)})


def read_login_nonce(key: bytes, cookie: str | None, now: float) -> str | None:
    """The nonce of a genuine, unexpired login cookie; else None."""
    payload = unsign(key, "login", cookie) if cookie else None
    if payload is None:
        return None
    nonce, expires = payload.get("nonce"), payload.get("expires")
    if not isinstance(nonce, str) or not isinstance(expires, int) or expires <= now:
        return None
    return nonce


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never ``//host`` nor
    ``/\\host``, which browsers take for another site), else the start page."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ch in target for ch in "\\\r\n\t")
        or len(target) > 1000
    ):
        return "/"
    return target


# --- login throttling -------------------------------------------------------------------


@dataclass
class LoginThrottle:
    """Failed logins per user name and per client address, in this process.

    A login calls ``locked_for`` (seconds it must wait; 0: go on), then ``begin`` before
    its password is checked and ``failed`` or ``succeeded`` after: checks under way
    count against the limit, so many guesses sent at once get no more tries than guesses
    sent one by one. A success clears the user's count (not the address's: one success
    must not reset a guesser's tally). Meant for one event loop (no locking).
    """

    settings: ThrottleSettings
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _pending: Counter[str] = field(default_factory=Counter)

    def locked_for(self, user: str, address: str) -> float:
        """Seconds before a login for ``user`` from ``address`` is checked; 0: now."""
        now = self.clock()
        waits = [0.0]
        for key, limit in self._limits(user, address):
            waits.append(self._locked_until.get(key, 0.0) - now)
            if len(self._recent(key, now)) + self._pending[key] >= limit:
                waits.append(1.0)  # the checks under way may use the last tries: wait for them
        return max(waits)

    def begin(self, user: str, address: str) -> None:
        """A password check starts."""
        for key, _ in self._limits(user, address):
            self._pending[key] += 1

    def failed(self, user: str, address: str) -> None:
        """The check ended: a wrong password (or a name nobody has)."""
        self.release(user, address)
        now = self.clock()
        for key, limit in self._limits(user, address):
            times = self._recent(key, now)
            times.append(now)
            if len(times) >= limit:
                self._locked_until[key] = now + self.settings.lockout_seconds
                times.clear()
        self._forget_old(now)

    def succeeded(self, user: str, address: str) -> None:
        """The check ended: the right password; the user's failures are forgotten."""
        self.release(user, address)
        self._failures.pop(self._limits(user, address)[0][0], None)

    def release(self, user: str, address: str) -> None:
        """The check ended without an answer (the store failed): it counts no more."""
        for key, _ in self._limits(user, address):
            self._pending[key] -= 1
            if self._pending[key] <= 0:
                del self._pending[key]

    def _limits(self, user: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
        return (
            (f"user:{user.casefold()}", self.settings.max_failures_per_user),
            (f"addr:{address}", self.settings.max_failures_per_address),
        )

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.settings.window_seconds:
            times.popleft()
        return times

    def _forget_old(self, now: float) -> None:
        # Bounded memory under a spray of names: drop what no longer counts.
        if len(self._failures) < 10_000:
            return
        horizon = now - self.settings.window_seconds
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= horizon]:
            del self._failures[key]
        for key in [k for k, t in self._locked_until.items() if t <= now]:
            del self._locked_until[key]


# --- ids from URLs ----------------------------------------------------------------------


class NotStoredError(LookupError):
    """An id from a URL is malformed or names nothing the store holds (shown as 404)."""


def stored_key(store: ObjectStore, key: str) -> str:
    """``key`` when the store holds it; else ``NotStoredError``."""
    try:
        found = store.exists(key)
    except StorageError:
        found = False
    if not found:
        raise NotStoredError(key)
    return key


def _checked(pattern: re.Pattern[str], value: str) -> str:
    if not pattern.fullmatch(value):
        raise NotStoredError(value)
    return value


def batch_manifest(store: ObjectStore, batch: str) -> str:
    """The key of a stored batch's manifest, from a batch id given in a URL."""
    return stored_key(store, manifest_key(_checked(BATCH_ID, batch)))


def submission_report(store: ObjectStore, batch: str, submission: str) -> str:
    """The key of a stored report.json, from the batch and submission ids of a URL."""
    batch_manifest(store, batch)
    return stored_key(store, report_key(batch, _checked(SUBMISSION_ID, submission)))


def report_html(store: ObjectStore, batch: str, submission: str) -> str:
    """The key of a stored report.html."""
    submission_report(store, batch, submission)
    return stored_key(store, report_html_key(batch, submission))


def evidence(store: ObjectStore, batch: str, submission: str, name: str) -> str:
    """The key of a stored evidence crop."""
    submission_report(store, batch, submission)
    return stored_key(store, evidence_key(batch, submission, _checked(EVIDENCE_NAME, name)))


def batch_summary(store: ObjectStore, batch: str) -> str:
    """The key of a stored batch's summary.xlsx."""
    batch_manifest(store, batch)
    return stored_key(store, summary_key(batch))
