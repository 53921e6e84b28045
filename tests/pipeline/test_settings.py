"""Settings come from the environment, and secrets stay secret."""

from __future__ import annotations

import pytest

from pipeline.settings import MinioSettings, Settings
from rules import RULES_DIR


def test_defaults() -> None:
    settings = Settings()
    assert settings.store == "var/store"
    assert settings.rules_dir == RULES_DIR
    assert settings.max_pixels == 100_000_000


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHENBAO_STORE", "file:///srv/shenbao")
    monkeypatch.setenv("SHENBAO_MAX_FILE_BYTES", "1024")
    settings = Settings()
    assert settings.store == "file:///srv/shenbao"
    assert settings.max_file_bytes == 1024


def test_minio_secrets_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIO_ENDPOINT", "minio.local:9000")
    monkeypatch.setenv("MINIO_ACCESS_KEY", "the-access-key")
    monkeypatch.setenv("MINIO_SECRET_KEY", "the-secret-key")
    monkeypatch.setenv("MINIO_SECURE", "false")
    minio = MinioSettings()
    assert minio.endpoint == "minio.local:9000" and minio.secure is False
    assert minio.secret_key.get_secret_value() == "the-secret-key"
    shown = f"{minio!r} {minio} {minio.model_dump_json()}"
    assert "the-secret-key" not in shown and "the-access-key" not in shown
