"""The use cases' tests' store: a local folder and SeaweedFS S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.base import ObjectStore
from storage.local_store import LocalStore
from storage.minio_store import MinioStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "s3":
        s3: MinioStore = request.getfixturevalue("s3_store")
        return s3
    return LocalStore(tmp_path / "store")
