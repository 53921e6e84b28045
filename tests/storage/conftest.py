"""The storage suite runs once per backend: the local directory and S3 (SeaweedFS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.local_store import LocalStore
from storage.minio_store import MinioStore


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> LocalStore | MinioStore:
    """Each backend in turn: the same suite runs against both."""
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    return request.getfixturevalue("s3_store")
