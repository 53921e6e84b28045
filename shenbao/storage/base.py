"""The object store contract and its keys (DESIGN.md, "Object layout").

Both backends hold the same keys: ``batches/{batch}/manifest.json``,
``reports/{batch}/{submission}/report.json``, ``originals/{sha256}``. Keys are built
only through ``safe_key``, so no path taken from input can climb out of the store.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from shenbao.pipeline.errors import StorageError

MAX_KEY_PART_BYTES = 200


class ObjectMissingError(StorageError):
    """The key holds no object."""


@runtime_checkable
class ObjectStore(Protocol):
    """Where batches, reports and originals are kept. Writes are idempotent."""

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Store ``data`` under ``key``; identical bytes already there are left alone."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """The object under ``key``; raises ``ObjectMissingError`` when there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Every key starting with ``prefix``, sorted."""
        ...

    def location(self, key: str) -> str:
        """Where a person finds the object: a file path or an ``s3://`` URL."""
        ...


def safe_key(*parts: str) -> str:
    """Join key parts with ``/``, refusing any part that could escape or confuse the layout.

    Raises:
        StorageError: a part is empty, ``.``/``..`` or starts with a dot, holds ``/`` or
            ``\\``, a control character, or is longer than ``MAX_KEY_PART_BYTES``.
    """
    if not parts:
        raise StorageError("an object key needs at least one part")
    for part in parts:
        check_key_part(part)
    return "/".join(parts)


def check_key_part(part: str) -> str:
    """One component of a key, checked (see ``safe_key``)."""
    problem = _key_part_problem(part)
    if problem:
        raise StorageError(f"unsafe object key part {part!r}: {problem}")
    return part


def check_key(key: str) -> str:
    """A whole key, checked part by part: what backends accept from callers."""
    if not key:
        raise StorageError("empty object key")
    for part in key.split("/"):
        check_key_part(part)
    return key


def _key_part_problem(part: str) -> str | None:
    if not part:
        return "empty"
    if part.startswith("."):
        return "starts with a dot (covers . and ..; dot-names are the store's own)"
    if "/" in part or "\\" in part:
        return "holds a path separator"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in part):
        return "holds a control character"
    if len(part.encode("utf-8")) > MAX_KEY_PART_BYTES:
        return f"longer than {MAX_KEY_PART_BYTES} bytes"
    return None


def manifest_key(batch: str) -> str:
    """``batches/{batch}/manifest.json``."""
    return safe_key("batches", batch, "manifest.json")


def report_key(batch: str, submission: str) -> str:
    """``reports/{batch}/{submission}/report.json``."""
    return safe_key("reports", batch, submission, "report.json")


def json_bytes(document: BaseModel) -> bytes:
    """A model as stored: by alias, Chinese kept readable, keys sorted, indented.

    The same model always gives the same bytes, which keeps writes idempotent.
    """
    payload = document.model_dump(mode="json", by_alias=True)
    return (json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
