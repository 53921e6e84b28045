"""Prefect as the command line runs it: its settings, its API, its temporary server.

``shenbao run`` works called directly, not only through ``make``: the command gives
Prefect the settings the Makefile used to (``defaults``: state under ``./var/prefect``, no
analytics, a patient start of its temporary server, warnings only), each unless the user
set it. Prefect reads its settings once, when first imported, so ``apply_defaults`` runs
before anything imports it (``flows.cli.main``).

A command that runs flows starts Prefect's temporary server itself, first thing
(``start_server``), unless ``PREFECT_API_URL`` names a server (in the environment, a
Prefect profile, ``prefect.toml``, ``pyproject.toml`` or ``.env``): it boots (seconds: it
imports Prefect's whole server and migrates its database) while the command imports
Prefect's client and checks its inputs, and the command never imports the server's code
(seconds more, on the one core it has). ``api_ready`` waits for it before the first
flow; a Prefect that cannot start is ``PrefectUnavailableError``, one line on the console,
not a traceback from inside the flow. The server, and every other process the command
starts, ends with the command however it ends (``lifeline``).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from flows import lifeline
from pipeline.errors import PipelineError

STARTUP_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
SETTLE_S = 10.0
"""How long a stopping temporary server is given to record what the flows sent it."""
SETTLE_LOOK_S = 0.25
SETTLE_LOOKS = 2
"""Looks in a row the counts must hold still for: the recorder may lag its counts."""
UNFINISHED = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING")
"""A task run's states that are not final (Prefect's ``StateType``)."""


def defaults(cwd: Path) -> dict[str, str]:
    """Prefect's settings for a command run in ``cwd``.

    ``PREFECT_HOME`` beside the store (``var/``): its database stays with the working
    folder. Its temporary server answers only once it has imported Prefect's server and
    migrated its database: up to a minute on a busy machine, where Prefect's own 20 s timed
    out. Analytics off: a batch of applications phones nobody.
    """
    return {
        "PREFECT_HOME": str(cwd / "var" / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        STARTUP_TIMEOUT: "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


def apply_defaults(environ: MutableMapping[str, str] | None = None) -> None:
    """Set each of ``defaults`` the user has not set, and create ``PREFECT_HOME`` (Prefect
    creates only its last folder, and its server then cannot open its database).

    To be called before Prefect is first imported: it would not see them after.
    """
    environ = os.environ if environ is None else environ
    for name, value in defaults(Path.cwd()).items():
        environ.setdefault(name, value)
    # if it cannot be made, Prefect warns on import and api_ready tells its server failed
    with contextlib.suppress(OSError):
        Path(environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)


class PrefectUnavailableError(PipelineError):
    """Prefect's API cannot be reached: no flow can run."""


class TemporaryServer:
    """Prefect's temporary API server, started the way Prefect starts it
    (``prefect.server.api.server.SubprocessASGIServer``: uvicorn on
    ``create_app``, ephemeral, no UI), without importing Prefect: on a socket bound here,
    so its address is known before it listens and no other process can take its port."""

    def __init__(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listening:
            self.port: int = listening.getsockname()[1]
            prefect = importlib.util.find_spec("prefect")
            assert prefect is not None and prefect.origin is not None, "prefect not installed"
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--app-dir",
                    str(Path(prefect.origin).parent.parent),
                    "--factory",
                    "prefect.server.api.server:create_app",
                    "--fd",
                    str(listening.fileno()),
                    "--log-level",
                    "error",
                    "--lifespan",
                    "on",
                ],
                env={
                    **os.environ,
                    "PREFECT_UI_ENABLED": "0",
                    "PREFECT__SERVER_EPHEMERAL": "1",
                    "PREFECT__SERVER_FINAL": "1",
                },
                pass_fds=(listening.fileno(),),
            )
        self.started = time.monotonic()
        self.started_at = time.time()
        self.ready = False
        # Stopped after Prefect's clients have sent their last logs and events (they drain
        # at the interpreter's shutdown, before atexit); a killed command: lifeline.
        atexit.register(self.stop)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait(self, timeout_s: float) -> None:
        """Return once the server answers.

        Raises:
            PrefectUnavailableError: it exited, or did not answer within ``timeout_s`` of
                its start.
        """
        deadline = self.started + timeout_s
        while True:
            if self.process.poll() is not None:
                raise PrefectUnavailableError(
                    f"Prefect's temporary server exited with code {self.process.returncode} "
                    "as it started (its messages are above)"
                )
            left = max(0.1, deadline - time.monotonic())
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=left) as answer:
                    if answer.status == 200:
                        self.ready = True
                        return
            except OSError:  # not listening yet, or not answering in time
                pass
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        self.stop()
        raise PrefectUnavailableError(
            f"Prefect's temporary server did not start within {timeout_s:g} s "
            f"({STARTUP_TIMEOUT}): give it longer, or set PREFECT_API_URL to a running "
            "Prefect server"
        )

    def settle(self, within_s: float = SETTLE_S) -> None:
        """Return once the server has recorded what this command's flows sent it, or after
        ``within_s``.

        A task run's states reach the server as events, recorded by its task-run recorder
        after they arrive: the client has sent its last when it exits, the server may still
        be writing them. Stopped then, its recorder's write is cancelled mid-way, logged as
        an error with ``CancelledError`` tracebacks on the console (and written again at
        its shutdown: nothing is lost but the console's calm). Settled: every task run of
        the flow runs since the server started is in a final state, and their number did
        not change over two more looks.
        """
        since = dt.datetime.fromtimestamp(self.started_at, dt.UTC).isoformat()
        runs = {"flow_runs": {"start_time": {"after_": since}}}
        unfinished = {"task_runs": {"state": {"type": {"any_": list(UNFINISHED)}}}}
        deadline = time.monotonic() + within_s
        seen, steady = None, 0
        while time.monotonic() < deadline:
            try:
                counted = (self._count(runs), self._count({**runs, **unfinished}))
            except OSError:
                return  # not answering: nothing more will be recorded
            # steady over two more looks: on a busy machine the recorder may still hold
            # an event of a run whose final state is already counted
            steady = steady + 1 if counted[1] == 0 and counted == seen else 0
            if steady >= SETTLE_LOOKS:
                return
            seen = counted
            time.sleep(SETTLE_LOOK_S)

    def _count(self, body: Mapping[str, object]) -> int:
        request = urllib.request.Request(
            f"{self.api_url}/task_runs/count",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=SETTLE_LOOK_S * 4) as answer:
            return int(json.load(answer))

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.ready:
                self.settle()
            self.process.terminate()
            try:
                self.process.wait(timeout=lifeline.GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def api_url_configured_in_files(cwd: Path, environ: Mapping[str, str]) -> bool:
    """Whether a file Prefect reads its settings from names its API: the active profile
    of ``profiles.toml`` (``PREFECT_PROFILES_PATH``, else under ``PREFECT_HOME``),
    ``prefect.toml``, ``pyproject.toml``'s ``[tool.prefect]`` or ``.env`` in ``cwd``.

    Then the server is the user's and Prefect is left to find it (``api_ready`` asks it),
    rather than a temporary one set over it. Read without importing Prefect; a file that
    cannot be read or parsed names nothing here (Prefect warns of it itself).
    """
    home = Path(environ.get("PREFECT_HOME", "~/.prefect")).expanduser()
    profiles_path = Path(environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml"))
    profiles = _toml(profiles_path.expanduser())
    active = environ.get("PREFECT_PROFILE") or profiles.get("active")
    profile = profiles.get("profiles", {}).get(active, {}) if isinstance(active, str) else {}
    if isinstance(profile, dict) and profile.get("PREFECT_API_URL"):
        return True
    if _nested(_toml(cwd / "prefect.toml"), "api", "url"):
        return True
    if _nested(_toml(cwd / "pyproject.toml"), "tool", "prefect", "api", "url"):
        return True
    try:
        lines = (cwd / ".env").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return any(
        line.strip().removeprefix("export ").split("=", 1)[0].strip() == "PREFECT_API_URL"
        for line in lines
    )


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _nested(table: dict[str, Any], *keys: str) -> object:
    value: object = table
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def start_server() -> TemporaryServer | None:
    """Prefect's temporary server for this command's flows, started now, its address set
    as ``PREFECT_API_URL`` for Prefect to read when imported; None when Prefect is to be
    left to itself: ``PREFECT_API_URL`` names a server, or Prefect is already imported here
    (a test, a library caller), too late for it to read the address.

    From here on, the processes this one starts end with it (``lifeline.keep``).
    """
    lifeline.keep()
    if (
        os.environ.get("PREFECT_API_URL")
        or "prefect" in sys.modules
        or api_url_configured_in_files(Path.cwd(), os.environ)
    ):
        return None
    server = TemporaryServer()
    os.environ["PREFECT_API_URL"] = server.api_url
    return server


def api_ready(server: TemporaryServer | None) -> None:
    """Prefect's API answers: ``server`` has started, or the server Prefect is set to use
    answers, or Prefect's own temporary server has started.

    Raises:
        PrefectUnavailableError: it does not.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    timeout_s = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    if server is not None:
        server.wait(timeout_s)
        return
    url = PREFECT_API_URL.value()
    if url:
        from prefect._internal.urls import strip_auth_from_url
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            error = client.api_healthcheck()
        if error is not None:
            raise PrefectUnavailableError(
                f"the Prefect server at {strip_auth_from_url(url)} (PREFECT_API_URL) does not "
                f"answer: {error or type(error).__name__}"
            )
        return
    from prefect.server.api.server import SubprocessASGIServer

    try:
        SubprocessASGIServer().start()  # the one Prefect's clients use, started now
    except RuntimeError as exc:
        raise PrefectUnavailableError(
            f"Prefect's temporary server did not start within {timeout_s:g} s "
            f"({STARTUP_TIMEOUT}): give it longer, or set PREFECT_API_URL to a running "
            "Prefect server"
        ) from exc
