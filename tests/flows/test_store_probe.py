"""A store that cannot be written fails a run before any page is read, in one line.

Before, a batch read every page for minutes and then failed to publish: the write probe in
``check_run`` and ``check_reconcile`` (checked before Prefect starts its server) finds a
read-only, refused or full store at once.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

# Prefect sets up its console logging on first import, on whatever stderr is current (see
# test_cli.py): imported here, not first inside CliRunner.
import flows.batch as batch_module
from flows import reconcile as reconcile_module
from flows.cli import app
from pipeline.errors import StorageError
from pipeline.model import Manifest
from storage import local_store
from storage.base import json_bytes, manifest_key
from storage.local_store import LocalStore
from storage.minio_store import MinioStore
from tests.readers import SAMPLES
from tests.seaweed import SECRET_KEY, SeaweedServer
from tests.storage.unwritable import WAYS, deny_writes, unwritable

EXPORT = SAMPLES / "online" / "export.csv"


class _NeverStarted:
    """Stands for the batch flow: the run must fail before it starts."""

    def with_options(self, **_: object) -> object:
        raise AssertionError("the batch flow started: the store was not checked first")

    def __call__(self, *_: object, **__: object) -> object:
        raise AssertionError("the batch flow started: the store was not checked first")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "P001.pdf").write_bytes((SAMPLES / "electronic" / "P001.pdf").read_bytes())
    return folder


@pytest.fixture
def never_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_module, "process_batch", _NeverStarted())
    monkeypatch.setattr(reconcile_module, "reconcile_batch", _NeverStarted())


def _one_line_failure(arguments: list[str]) -> str:
    result = CliRunner().invoke(app, arguments)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("way", WAYS)
def test_a_read_only_local_store_fails_the_run_at_once(
    inputs: Path, tmp_path: Path, way: str, never_started: None
) -> None:
    store = LocalStore(tmp_path / "store")
    with unwritable(store.root, way):
        with pytest.raises(StorageError, match="cannot be written"):
            batch_module.check_run([str(inputs)], None, None, str(store.root))
        output = _one_line_failure(["run", str(inputs), "--store", str(store.root)])
    assert "cannot be written" in output and "permission denied" in output


def test_a_full_local_store_fails_the_run_at_once_saying_so(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, never_started: None
) -> None:
    def full(path: Path, data: bytes, *, durable: bool = False) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(local_store, "write_atomic", full)
    output = _one_line_failure(["run", str(inputs), "--store", str(tmp_path / "store")])
    assert "cannot be written: no space left on device" in output


@pytest.mark.parametrize("way", WAYS)
def test_a_read_only_store_fails_serve_at_once(
    tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prefect

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the deployments were served: the store was not checked first")

    monkeypatch.setattr(prefect, "serve", refuse)
    store = LocalStore(tmp_path / "store")
    with unwritable(store.root, way):
        output = _one_line_failure(["serve", "--store", str(store.root)])
    assert "cannot be written" in output


@pytest.mark.parametrize("way", WAYS)
def test_a_read_only_store_fails_the_reconcile_at_once(
    tmp_path: Path, way: str, never_started: None
) -> None:
    store = LocalStore(tmp_path / "store")
    store.put_bytes(manifest_key("b1"), json_bytes(Manifest(batch="b1", files=())))
    folder = store.root / "batches" / "b1"
    # the probe is written at the store's root: that is the folder made unwritable
    with unwritable(store.root, way):
        with pytest.raises(StorageError, match="cannot be written"):
            reconcile_module.check_reconcile("b1", str(EXPORT), str(store.root))
        arguments = ["reconcile", "--batch", "b1", "--online", str(EXPORT)]
        output = _one_line_failure([*arguments, "--store", str(store.root)])
    assert "cannot be written" in output
    assert [p.name for p in folder.iterdir()] == ["manifest.json"]


def test_an_s3_bucket_refusing_writes_fails_the_run_at_once(
    inputs: Path,
    seaweed: SeaweedServer,
    bucket_name: str,
    monkeypatch: pytest.MonkeyPatch,
    never_started: None,
) -> None:
    """Read-only for these credentials (the bucket's policy denies puts)."""
    settings = seaweed.settings()
    MinioStore(bucket_name, settings)  # the bucket, created
    deny_writes(seaweed.client(), bucket_name)
    monkeypatch.setenv("MINIO_ENDPOINT", settings.endpoint)
    monkeypatch.setenv("MINIO_ACCESS_KEY", settings.access_key.get_secret_value())
    monkeypatch.setenv("MINIO_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("MINIO_SECURE", "false")
    output = _one_line_failure(["run", str(inputs), "--store", f"s3://{bucket_name}"])
    assert "denied access" in output and "write probe" in output
    assert SECRET_KEY not in output
