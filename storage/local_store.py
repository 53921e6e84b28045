"""The embedded backend: a local directory with the same key layout as the S3 store.

Writes are atomic (a temporary file, then a rename over the key), every path stays inside
the root, and writing the bytes a key already holds leaves the file untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.errors import StorageError
from pipeline.files import write_atomic
from pipeline.settings import MinioSettings
from storage.base import WRITE_PROBE, ObjectMissingError, ObjectStore, check_key
from storage.minio_store import open_minio_store

_URI_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Why a folder cannot be written, in the words a person acts on.
_WRITE_FAILURES = {
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied (operation not permitted)",
}


class LocalStore:
    """An ``ObjectStore`` on a local directory.

    Files keep no content type: the S3 backend records it, here the key's suffix says it.
    Names starting with a dot are the store's own (temporary files) and never keys.
    """

    def __init__(self, root: Path) -> None:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create store folder {root}: {exc.strerror}") from exc
        self.root = root.resolve()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Write ``data`` under ``key`` atomically, unless it already holds exactly that."""
        path = self._path(key)
        try:
            if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            self._confine(path, key)  # again: the folders now exist and may be links
            write_atomic(path, data, durable=True)
        except OSError as exc:
            raise StorageError(
                f"cannot write {key!r} in {self.root}: {exc.strerror or exc}", file=key
            ) from exc

    def get_bytes(self, key: str) -> bytes:
        """The bytes under ``key``.

        Raises:
            ObjectMissingError: no object has that key.
        """
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectMissingError(f"no object {key!r} in {self.root}", file=key) from exc
        except OSError as exc:
            raise StorageError(
                f"cannot read {key!r} in {self.root}: {exc.strerror or exc}", file=key
            ) from exc

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        """Every key that starts with ``prefix`` (a plain string prefix, as in S3), sorted."""
        folder, _, _ = prefix.rpartition("/")
        start = self._path(folder) if folder else self.root
        keys: list[str] = []
        for current, folders, files in os.walk(start):
            folders[:] = [f for f in folders if not f.startswith(".")]
            base = Path(current).relative_to(self.root)
            for name in files:
                if name.startswith(".") or (Path(current) / name).is_symlink():
                    continue
                key = (base / name).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def location(self, key: str) -> str:
        """The file that holds ``key``."""
        return str(self._path(key))

    def check_writable(self) -> None:
        """Write a probe file as every object is written (atomic, synced: a full disk may
        refuse only the data), then remove it.

        Raises:
            StorageError: the folder cannot be written; the message names why.
        """
        # A name of its own per call: two runs starting together do not share one.
        probe = self.root / f"{WRITE_PROBE}-{secrets.token_hex(4)}"
        try:
            write_atomic(probe, b"shenbao write probe\n", durable=True)
        except OSError as exc:
            cause = _WRITE_FAILURES.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
            raise StorageError(f"the store {self.root} cannot be written: {cause}") from exc
        finally:
            with contextlib.suppress(OSError):  # it was never written
                probe.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key).split("/"))
        self._confine(path, key)
        return path

    def _confine(self, path: Path, key: str) -> None:
        if not path.resolve().is_relative_to(self.root):
            raise StorageError(f"object key {key!r} leads outside the store {self.root}", file=key)


def open_store(uri: str, settings: MinioSettings | None = None) -> ObjectStore:
    """The store a URI names: a relative or absolute path, ``file:///abs``, ``s3://bucket``.

    Args:
        uri: the store URI (``Settings.store`` or ``--store``).
        settings: the S3 endpoint and credentials, for ``s3://`` URIs; by default read
            from the ``MINIO_*`` environment.

    Raises:
        StorageError: the URI is empty or malformed, names a backend not available, or the
            S3 server refuses the credentials.
        TransientStorageError: the S3 server is not reachable.
    """
    if not uri.strip():
        raise StorageError("empty store URI: give a path, file:///abs/path or s3://bucket")
    scheme = _URI_SCHEME.match(uri)
    if scheme is None:
        return LocalStore(Path(uri))
    match scheme.group(1).lower():
        case "file":
            parts = urlsplit(uri)
            if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
                raise StorageError(
                    f"file store URIs need an absolute path (file:///abs/path), "
                    f"got {uri!r}; use a plain path for a relative folder"
                )
            return LocalStore(Path(unquote(parts.path)))
        case "s3":
            return open_minio_store(uri, settings if settings is not None else MinioSettings())
        case other:
            raise StorageError(
                f"unsupported store URI scheme {other!r}: use a path, "
                "file:///abs/path or s3://bucket[/prefix]"
            )
