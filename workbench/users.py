"""The workbench's users, kept in the store at ``auth/users.json`` (``shenbao.users/1``).

Each user has a name, a role (viewer reads, reviewer also decides, admin also manages
users), an argon2id hash of the password, when it was created and when its password last
changed. There is no default account: ``shenbao users add`` makes the first.

Several servers and commands may change one store's users. The ``ObjectStore`` has no
conditional write (neither backend offers compare-and-swap through it), so a change is a
read-modify-write guarded as far as it can be: the file carries a ``revision``; the
change is applied to what was read, the file is read again just before writing and the
change re-applied if it moved meanwhile, and read once more after writing — a concurrent
write that replaced this one is then reported (``UsersChangedError``), never silently
lost. What remains is the window of one write between the last read and the put.

Passwords and hashes are never printed nor logged: ``User.__repr__`` hides the hash.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import InputError, StorageError
from storage.base import ObjectMissingError, ObjectStore, json_bytes

USERS_KEY = "auth/users.json"
USERS_SCHEMA_ID: Literal["shenbao.users/1"] = "shenbao.users/1"
# A user name: 2-32 of a-z 0-9 _ . -, starting with a letter (lower case: names are
# compared as typed, and Zhang and zhang must not be two accounts).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{1,31}")
_WRITE_ATTEMPTS = 3

_hasher = PasswordHasher()  # argon2id, RFC 9106's low-memory profile (argon2-cffi's default)
# Checked when a name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class Role(StrEnum):
    """What a user may do; each role includes the ones before it."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


class User(BaseModel):
    """One account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME_PATTERN.pattern)
    role: Role
    password_hash: str = Field(repr=False, description="argon2id, encoded (PHC string)")
    created: dt.datetime
    password_changed: dt.datetime
    sessions_ended: dt.datetime | None = Field(
        None,
        description="when the user last logged out: every session begun before it is "
        "refused by every server of the store (a copied cookie dies with the logout)",
    )

    @property
    def password_stamp(self) -> str:
        """When the password last changed, as sessions record it."""
        return self.password_changed.isoformat()

    def accepts_session(self, password_stamp: str, issued: float) -> bool:
        """Whether a session begun at ``issued`` (Unix time) under ``password_stamp`` is
        still this user's: same password, not ended by a logout since."""
        if password_stamp != self.password_stamp:
            return False
        return self.sessions_ended is None or issued > self.sessions_ended.timestamp()


class UserBook(BaseModel):
    """``auth/users.json``: every user of a store."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal["shenbao.users/1"] = Field(USERS_SCHEMA_ID, alias="schema")
    revision: int = Field(0, ge=0, description="raised by one at every change")
    users: tuple[User, ...] = ()

    def find(self, name: str) -> User | None:
        """The user called ``name``, if any."""
        return next((u for u in self.users if u.name == name), None)


class UsersChangedError(StorageError):
    """Someone else changed the users at the same moment: this change was not kept."""


def check_name(name: str) -> str:
    """A user name, checked.

    Raises:
        InputError: it is not 2-32 of a-z 0-9 _ . - starting with a letter.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"invalid user name {name!r}: use 2-32 of a-z 0-9 _ . - starting with a letter"
        )
    return name


def check_password(password: str, min_length: int, max_length: int) -> str:
    """A new password, checked (never shown in the message).

    Raises:
        InputError: too short, too long, or only spaces.
    """
    if len(password) < min_length:
        raise InputError(f"the password is too short: use at least {min_length} characters")
    if len(password) > max_length:
        raise InputError(f"the password is too long: use at most {max_length} characters")
    if not password.strip():
        raise InputError("the password cannot be only spaces")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; as slow for no user as for a wrong password."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and (
            user is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def load_users(store: ObjectStore) -> UserBook:
    """The store's users; an empty book when it has none yet.

    Raises:
        StorageError: the file cannot be read or is not ``shenbao.users/1``.
    """
    try:
        data = store.get_bytes(USERS_KEY)
    except ObjectMissingError:
        return UserBook()
    try:
        return UserBook.model_validate_json(data)
    except ValidationError as exc:
        raise StorageError(
            f"{store.location(USERS_KEY)} is not a valid {USERS_SCHEMA_ID} file "
            f"({exc.error_count()} errors)",
            file=USERS_KEY,
        ) from None


def change_users(store: ObjectStore, change: Callable[[UserBook], UserBook]) -> UserBook:
    """Apply ``change`` to the stored users and store the result (see the module's note on
    concurrent writers). ``change`` may raise ``InputError`` to refuse.

    Raises:
        UsersChangedError: another writer changed the users at the same moment, even
            after ``_WRITE_ATTEMPTS`` tries, or replaced this write: try again.
        InputError: ``change`` refused.
        StorageError: the store failed.
    """
    for _ in range(_WRITE_ATTEMPTS):
        before = load_users(store)
        changed = change(before)
        written = changed.model_copy(update={"revision": before.revision + 1})
        data = json_bytes(written)
        if load_users(store) != before:
            continue  # moved while the change was made: apply it to the newer users
        store.put_bytes(USERS_KEY, data, "application/json")
        if store.get_bytes(USERS_KEY) != data:
            raise UsersChangedError(
                "the users were changed by someone else at the same moment and this change "
                "was not kept: run the command again"
            )
        return written
    raise UsersChangedError("the users keep changing under this command: run it again")


def end_sessions(store: ObjectStore, name: str, when: dt.datetime) -> None:
    """End every session of ``name`` begun before ``when`` (a logout), on every server.

    Raises:
        InputError: no such user.
    """

    def update(book: UserBook) -> UserBook:
        user = book.find(name)
        if user is None:
            raise InputError(f"no user {name!r}")
        ended = user.model_copy(update={"sessions_ended": when})
        return book.model_copy(
            update={"users": tuple(ended if u.name == name else u for u in book.users)}
        )

    change_users(store, update)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def add_user(store: ObjectStore, name: str, role: Role, password_hash: str) -> User:
    """Add a user (``password_hash`` from ``hash_password``).

    Raises:
        InputError: the name is invalid or taken.
    """
    check_name(name)
    now = _now()
    user = User(
        name=name, role=role, password_hash=password_hash, created=now, password_changed=now
    )

    def add(book: UserBook) -> UserBook:
        if book.find(name):
            raise InputError(f"user {name!r} exists already")
        return book.model_copy(update={"users": (*book.users, user)})

    change_users(store, add)
    return user


def remove_user(store: ObjectStore, name: str) -> None:
    """Remove a user; their sessions end at their next request.

    Raises:
        InputError: no such user.
    """

    def remove(book: UserBook) -> UserBook:
        if not book.find(name):
            raise InputError(f"no user {name!r}")
        return book.model_copy(update={"users": tuple(u for u in book.users if u.name != name)})

    change_users(store, remove)


def set_password(store: ObjectStore, name: str, password_hash: str) -> None:
    """Change a user's password; every session they had ends.

    Raises:
        InputError: no such user.
    """
    now = _now()

    def update(book: UserBook) -> UserBook:
        user = book.find(name)
        if user is None:
            raise InputError(f"no user {name!r}")
        # a second change within the same second still ends the sessions made before it
        changed = max(now, user.password_changed + dt.timedelta(seconds=1))
        renewed = user.model_copy(
            update={"password_hash": password_hash, "password_changed": changed}
        )
        return book.model_copy(
            update={"users": tuple(renewed if u.name == name else u for u in book.users)}
        )

    change_users(store, update)
