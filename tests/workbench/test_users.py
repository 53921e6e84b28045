"""Users in the store: names, passwords, argon2 hashes, and changes that are never lost."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError
from storage.base import ObjectStore
from tests.workbench.conftest import PASSWORD, put_users
from workbench.users import (
    USERS_KEY,
    Role,
    UserBook,
    UsersChangedError,
    add_user,
    change_users,
    check_name,
    check_password,
    hash_password,
    load_users,
    password_matches,
    remove_user,
    set_password,
)


@pytest.mark.parametrize("name", ["ada", "li.wei", "reviewer_2", "a-b", "z" * 32])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "a", "Ada", "1ada", "_ada", ".ada", "a/b", "a b", "张三", "z" * 33, "ada\n"]
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="invalid user name"):
        check_name(name)


def test_passwords_have_a_minimum_and_a_maximum_and_are_never_shown() -> None:
    assert check_password("0123456789", 10, 20) == "0123456789"
    for bad in ("012345678", "x" * 21, " " * 12):
        with pytest.raises(InputError) as caught:
            check_password(bad, 10, 20)
        assert bad not in str(caught.value)


def test_a_hash_is_argon2id_salted_and_checks_only_its_password() -> None:
    one, two = hash_password("one password"), hash_password("one password")
    assert one.startswith("$argon2id$") and one != two  # salted
    assert "one password" not in one


def test_the_stored_users(any_store: ObjectStore) -> None:
    assert load_users(any_store) == UserBook()  # none yet
    put_users(any_store)
    book = load_users(any_store)
    assert [(u.name, u.role) for u in book.users] == [
        ("ada", Role.ADMIN),
        ("rui", Role.REVIEWER),
        ("vic", Role.VIEWER),
    ]
    assert book.revision == 3
    raw = any_store.get_bytes(USERS_KEY).decode()
    assert PASSWORD not in raw
    data = json.loads(raw)
    # the shape other tools read: {"schema", "users": [{"name", "role", ...}]}
    assert data["schema"] == "shenbao.users/1"
    assert {"name": "rui", "role": "reviewer"}.items() <= data["users"][1].items()
    ada = book.find("ada")
    assert ada is not None and password_matches(ada, PASSWORD)
    assert not password_matches(ada, PASSWORD + "x")
    assert not password_matches(None, PASSWORD)
    assert ada.password_hash not in repr(ada)


def test_a_name_is_taken_once(local_store: ObjectStore) -> None:
    put_users(local_store)
    with pytest.raises(InputError, match="exists already"):
        add_user(local_store, "ada", Role.VIEWER, hash_password("another one!"))


def test_remove_and_passwd(any_store: ObjectStore) -> None:
    put_users(any_store)
    before = load_users(any_store).find("rui")
    assert before is not None
    set_password(any_store, "rui", hash_password("a new password"))
    after = load_users(any_store).find("rui")
    assert after is not None and after.password_changed > before.password_changed
    assert password_matches(after, "a new password") and not password_matches(after, PASSWORD)
    remove_user(any_store, "vic")
    assert [u.name for u in load_users(any_store).users] == ["ada", "rui"]
    with pytest.raises(InputError, match="no user"):
        remove_user(any_store, "vic")
    with pytest.raises(InputError, match="no user"):
        set_password(any_store, "nobody", hash_password("whatever pass"))


def test_role_order() -> None:
    assert Role.ADMIN.allows(Role.REVIEWER) and Role.ADMIN.allows(Role.VIEWER)
    assert Role.REVIEWER.allows(Role.VIEWER) and not Role.REVIEWER.allows(Role.ADMIN)
    assert not Role.VIEWER.allows(Role.REVIEWER)


class _Interfering:
    """A store where another writer changes the users at a chosen moment."""

    def __init__(self, store: ObjectStore, when: str) -> None:
        self.store = store
        self.when = when  # "before_write": between the read and the write; "after_write"
        self.reads = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def _other_writer(self) -> None:
        add_user(self.store, "other", Role.VIEWER, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")

    def get_bytes(self, key: str) -> bytes:
        self.reads += 1
        if self.when == "before_write" and self.reads == 1:
            data = self.store.get_bytes(key)
            self._other_writer()  # lands after the first read
            return data
        return self.store.get_bytes(key)

    def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
        self.store.put_bytes(key, data, content_type)
        if self.when == "after_write":
            self.when = ""
            self._other_writer()  # replaces this write


def test_a_change_made_meanwhile_is_kept(local_store: ObjectStore) -> None:
    put_users(local_store)
    interfering = _Interfering(local_store, "before_write")
    add_user(interfering, "new", Role.REVIEWER, hash_password("password one"))  # type: ignore[arg-type]
    names = [u.name for u in load_users(local_store).users]
    assert "other" in names and "new" in names


def test_a_write_replaced_at_once_is_reported_not_lost_silently(local_store: ObjectStore) -> None:
    put_users(local_store)
    interfering = _Interfering(local_store, "after_write")
    with pytest.raises(UsersChangedError, match="run the command again"):
        change_users(interfering, lambda book: book)  # type: ignore[arg-type]
