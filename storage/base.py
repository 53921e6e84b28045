"""The object store contract and its keys (DESIGN.md, "Object layout").

Both backends hold the same keys: ``batches/{batch}/manifest.json``,
``reports/{batch}/{submission}/report.json``, ``originals/{sha256}``. Keys are built
only through ``safe_key``, so no path taken from input can climb out of the store.
``put_versioned`` keeps what a new report replaces under ``versions/`` beside it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel

from pipeline.errors import StorageError

MAX_KEY_PART_BYTES = 200
MAX_KEY_BYTES = 900  # S3 allows 1024 bytes: room is left for a store's own prefix

# The object a store writes and removes to learn that it can be written (``check_writable``):
# a dot-name, so the store's own and never a key (``check_key`` refuses dot-names).
WRITE_PROBE = ".shenbao-write-probe"

# Slashes that NFKC leaves alone but a reader takes for one.
_SEPARATOR_LOOK_ALIKES = frozenset("/\\\u2044\u2215\u2216\u29f8\u29f9\ufe68\uff0f\uff3c")


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

    def check_writable(self) -> None:
        """Write and remove a small object of the store's own (``WRITE_PROBE``), so that a
        read-only or full store fails a run before it reads any page, not when it
        publishes; raises ``StorageError`` naming the cause."""
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
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise StorageError(f"object key {key[:60]!r}… is longer than {MAX_KEY_BYTES} bytes")
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
    # Names are NFKC-normalised elsewhere (DESIGN.md), and a browser, a file system or an
    # archive tool may fold look-alikes too: ．．／ must not become ../ one step later.
    folded = unicodedata.normalize("NFKC", part)
    if folded.startswith(".") or any(ch in _SEPARATOR_LOOK_ALIKES for ch in folded):
        return "holds a look-alike of a dot or path separator (e.g. full-width ．or ／)"
    return None


class VersionedWrite(NamedTuple):
    """What ``put_versioned`` did."""

    key: str
    written: bool  # False: the key already held these bytes, nothing was written
    kept_as: str | None  # where the object it replaced is kept; None when there was none


def versions_key(key: str, number: int, digest: str) -> str:
    """Where version ``number`` of ``key`` is kept: a ``versions/`` folder beside it.

    ``reports/b/s/report.json`` → ``reports/b/s/versions/report-0001-<sha8>.json``; the
    stem keeps ``report.json`` and ``report.html`` apart, the hash names the content.
    """
    folder, stem, suffix = _versions_parts(key)
    return check_key(f"{folder}{stem}-{number:04d}-{digest[:8]}{suffix}")


def versions_of(store: ObjectStore, key: str) -> list[str]:
    """The kept versions of ``key``, oldest first (the current object is ``key`` itself)."""
    folder, stem, suffix = _versions_parts(key)
    pattern = re.compile(rf"{re.escape(stem)}-(\d{{4,}})-[0-9a-f]{{8}}{re.escape(suffix)}")
    numbered: list[tuple[int, str]] = []
    for candidate in store.list(f"{folder}{stem}-"):
        match = pattern.fullmatch(candidate.removeprefix(folder))
        if match:
            numbered.append((int(match.group(1)), candidate))
    return [candidate for _, candidate in sorted(numbered)]


def _versions_parts(key: str) -> tuple[str, str, str]:
    """``a/b/report.json`` → (``a/b/versions/``, ``report``, ``.json``)."""
    folder, _, name = check_key(key).rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    return f"{folder}/versions/" if folder else "versions/", stem, dot + extension


def put_versioned(
    store: ObjectStore, key: str, data: bytes, content_type: str = "application/octet-stream"
) -> VersionedWrite:
    """Make ``data`` the current object under ``key``, keeping what it replaces.

    Unchanged bytes write nothing. Changed bytes first keep the current object as the next
    numbered version beside it (``versions_key``; kept versions are never rewritten), and
    only then replace it. A run that died between the two steps is completed by the next:
    the current object, already kept as the latest version, is not kept twice.

    Reports are small, so the current object is read to compare; large objects (originals)
    are stored once by hash and never versioned.

    Raises:
        StorageError: the key is unsafe or the store failed.
    """
    check_key(key)
    try:
        current: bytes | None = store.get_bytes(key)
    except ObjectMissingError:
        current = None
    if current == data:
        return VersionedWrite(key, written=False, kept_as=None)
    kept_as = None if current is None else _keep_version(store, key, current, content_type)
    store.put_bytes(key, data, content_type)
    return VersionedWrite(key, written=True, kept_as=kept_as)


def _keep_version(store: ObjectStore, key: str, current: bytes, content_type: str) -> str:
    digest = hashlib.sha256(current).hexdigest()
    kept = versions_of(store, key)
    # The latest kept version holding this content means a run died before replacing the
    # current object: it is kept already (the hash in the name, confirmed by the bytes).
    if (
        kept
        and kept[-1] == versions_key(key, _version_number(kept[-1]), digest)
        and store.get_bytes(kept[-1]) == current
    ):
        return kept[-1]
    number = _version_number(kept[-1]) + 1 if kept else 1
    # The name carries the content's hash, so a kept version is never replaced by other
    # bytes: writing the same name again writes the same content (a no-op in both stores).
    version = versions_key(key, number, digest)
    store.put_bytes(version, current, content_type)
    return version


def _version_number(version_key: str) -> int:
    return int(version_key.rpartition("/")[2].rsplit("-", 2)[1])


def manifest_key(batch: str) -> str:
    """``batches/{batch}/manifest.json``."""
    return safe_key("batches", batch, "manifest.json")


def report_key(batch: str, submission: str) -> str:
    """``reports/{batch}/{submission}/report.json``."""
    return safe_key("reports", batch, submission, "report.json")


def report_html_key(batch: str, submission: str) -> str:
    """``reports/{batch}/{submission}/report.html``."""
    return safe_key("reports", batch, submission, "report.html")


def evidence_key(batch: str, submission: str, name: str) -> str:
    """``reports/{batch}/{submission}/evidence/{name}``."""
    return safe_key("reports", batch, submission, "evidence", name)


def index_key(batch: str) -> str:
    """``batches/{batch}/index.html``."""
    return safe_key("batches", batch, "index.html")


def summary_key(batch: str) -> str:
    """``batches/{batch}/summary.xlsx``."""
    return safe_key("batches", batch, "summary.xlsx")


def original_key(sha256: str) -> str:
    """``originals/{sha256}``."""
    return safe_key("originals", sha256)


def json_bytes(document: BaseModel) -> bytes:
    """A model as stored: by alias, Chinese kept readable, keys sorted, indented.

    The same model always gives the same bytes, which keeps writes idempotent.
    """
    payload = document.model_dump(mode="json", by_alias=True)
    return (json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def decisions_prefix(batch: str, submission: str | None = None) -> str:
    """``decisions/{batch}/`` or ``decisions/{batch}/{submission}/``: what to list."""
    parts = ("decisions", batch) if submission is None else ("decisions", batch, submission)
    return safe_key(*parts) + "/"


def decision_key(batch: str, submission: str, stamp: str, decision_id: str) -> str:
    """``decisions/{batch}/{submission}/{stamp}-{id}.json``: one object per decision,
    written once (the time first, so a listing is in time order)."""
    return safe_key("decisions", batch, submission, f"{stamp}-{decision_id}.json")
