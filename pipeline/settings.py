"""Run settings, read from the environment once at the edge and passed in explicitly.

Stages never read these as globals: the command line (or a deployment) builds a
``Settings`` and hands it down. Credentials live in ``MinioSettings`` as ``SecretStr``,
so they never show up in a repr, a log line or a report.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.ocr.engine import OcrSettings
from rules import RULES_DIR


class Settings(BaseSettings):
    """What a run may touch and how much it may swallow (env prefix ``SHENBAO_``)."""

    model_config = SettingsConfigDict(
        env_prefix="SHENBAO_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    store: str = Field(
        "var/store",
        description="object store URI: a relative path, file:///abs/path or s3://bucket[/prefix]",
    )
    rules_dir: Path = Field(
        RULES_DIR,
        description="the rules folder: form templates (templates/), the campaign, the export "
        "mapping and every stage's thresholds (YAML, loaded once per command: load_rules)",
    )
    cache_dir: Path = Field(
        Path("var/cache"), description="OCR results by page-image hash: a page is read once"
    )
    ocr: OcrSettings = Field(
        default_factory=OcrSettings,
        description="the OCR engine and its tuning (e.g. SHENBAO_OCR__DET_LIMIT_SIDE=1280)",
    )
    max_pixels: int = Field(
        20000 * 20000 // 4,
        gt=0,
        description="largest image (width × height) decoded; beyond it a file is a bomb",
    )
    max_file_bytes: int = Field(
        500 * 1024 * 1024,
        gt=0,
        description="largest input file, and the largest a DOCX may unpack to",
    )
    max_pages: int = Field(
        200,
        gt=0,
        description="most pages one input file may hold; beyond it the file is quarantined "
        "before a page is read (a form with its attachments runs to a few dozen pages, a "
        "scanner stream holds several forms: raise it for longer streams)",
    )
    page_timeout_s: float = Field(
        120.0,
        gt=0,
        description="longest one scanned page may take to read (normalisation, OCR, seals); "
        "beyond it the page is PAGE_UNREADABLE and the batch goes on",
    )


class MinioSettings(BaseSettings):
    """The S3-compatible store's endpoint and credentials (env prefix ``MINIO_``)."""

    model_config = SettingsConfigDict(env_prefix="MINIO_", frozen=True, extra="ignore")

    endpoint: str = Field("localhost:9000", description="host:port of the S3 API")
    access_key: SecretStr = SecretStr("")
    secret_key: SecretStr = SecretStr("")
    secure: bool = Field(True, description="use HTTPS")
    ca_file: Path | None = Field(
        None, description="CA bundle for a server with a private certificate authority"
    )
    region: str | None = Field(
        None, description="the buckets' region; unset, it is asked of the server once per bucket"
    )
    attempts: int = Field(
        5,
        ge=1,
        le=20,
        description="tries per request when the failure is transient (connection refused or "
        "reset, timeouts, 5xx, SlowDown); permanent failures are never retried",
    )
    backoff_s: float = Field(
        0.5, gt=0, description="wait before the second try; doubled for each further try"
    )
    backoff_max_s: float = Field(10.0, gt=0, description="longest wait between two tries")
    connect_timeout_s: float = Field(5.0, gt=0, description="time allowed to connect")
    read_timeout_s: float = Field(60.0, gt=0, description="time allowed for a response")
    part_size: int = Field(
        16 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        le=5 * 1024 * 1024 * 1024,
        description="multipart part size in bytes: larger objects are uploaded in parts",
    )
    link_expiry_s: int = Field(
        7 * 24 * 3600,
        ge=1,
        le=7 * 24 * 3600,
        description="lifetime of presigned links (S3 allows at most seven days)",
    )
