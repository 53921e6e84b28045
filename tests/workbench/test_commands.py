"""``shenbao users …`` and ``shenbao review``: thin commands over the store's users."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

from flows.cli import app
from storage.local_store import LocalStore
from workbench.users import USERS_KEY, load_users, password_matches

runner = CliRunner()
PASSWORD = "a long enough one"


def _add(store: Path, name: str, role: str = "reviewer", password: str = PASSWORD) -> object:
    return runner.invoke(
        app,
        ["users", "add", name, "--role", role, "--password-stdin", "--store", str(store)],
        input=password + "\n",
    )


def test_add_list_passwd_remove(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = _add(store, "rui")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    user = load_users(LocalStore(store)).find("rui")
    assert user is not None and password_matches(user, PASSWORD)
    listed = runner.invoke(app, ["users", "list", "--store", str(store)])
    assert listed.exit_code == 0 and "rui" in listed.output and "reviewer" in listed.output
    assert "argon2" not in listed.output and PASSWORD not in listed.output
    changed = runner.invoke(
        app,
        ["users", "passwd", "rui", "--password-stdin", "--store", str(store)],
        input="another long one\n",
    )
    assert changed.exit_code == 0, changed.output
    user = load_users(LocalStore(store)).find("rui")
    assert user is not None and password_matches(user, "another long one")
    removed = runner.invoke(app, ["users", "remove", "rui", "--store", str(store)])
    assert removed.exit_code == 0 and load_users(LocalStore(store)).users == ()


def test_the_password_is_asked_twice_hidden(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = runner.invoke(
        app,
        ["users", "add", "ada", "--role", "admin", "--store", str(store)],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden
    assert load_users(LocalStore(store)).find("ada") is not None


def test_refusals_say_why_and_never_show_the_password(tmp_path: Path) -> None:
    store = tmp_path / "store"
    short = _add(store, "rui", password="short")
    assert short.exit_code == 1 and "too short" in short.output  # type: ignore[attr-defined]
    assert "short\n" not in short.output.replace("too short", "")  # type: ignore[attr-defined]
    bad_name = _add(store, "Rui")
    assert bad_name.exit_code == 1 and "invalid user name" in bad_name.output  # type: ignore[attr-defined]
    bad_role = _add(store, "rui", role="root")
    assert bad_role.exit_code == 1 and "invalid role" in bad_role.output  # type: ignore[attr-defined]
    assert not (store / USERS_KEY).exists()
    assert _add(store, "rui").exit_code == 0  # type: ignore[attr-defined]
    taken = _add(store, "rui")
    assert taken.exit_code == 1 and "exists already" in taken.output  # type: ignore[attr-defined]
    nobody = runner.invoke(app, ["users", "remove", "nobody", "--store", str(store)])
    assert nobody.exit_code == 1 and "no user" in nobody.output
    data = json.loads((store / USERS_KEY).read_text())
    assert [u["name"] for u in data["users"]] == ["rui"]


def test_review_refuses_to_serve_without_a_user_and_says_how_to_add_one(tmp_path: Path) -> None:
    store = tmp_path / "my store"
    with mock.patch("uvicorn.run") as served:
        result = runner.invoke(app, ["review", "--store", str(store)])
    assert result.exit_code == 1
    assert f"shenbao users add NAME --role admin --store '{store}'" in result.output
    served.assert_not_called()


def test_review_serves_the_app_on_the_host_and_port(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert _add(store, "ada", role="admin").exit_code == 0  # type: ignore[attr-defined]
    with mock.patch("uvicorn.run") as served:
        result = runner.invoke(
            app, ["review", "--store", str(store), "--host", "127.0.0.1", "--port", "8799"]
        )
    assert result.exit_code == 0, result.output
    (web_app,), options = served.call_args
    assert options["host"] == "127.0.0.1" and options["port"] == 8799
    assert web_app.state.workbench.store.root == store.resolve()
    assert (store / "auth" / "secret").is_file()  # made once, shared by every instance
