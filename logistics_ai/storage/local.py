"""Local disk store (embedded default): files under STORAGE_DIR, never served statically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from logistics_ai.storage.base import StorageError, check_key


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"unsafe storage key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a crash never leaves a half-written file under the real key.
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(temp, 0o600)
            os.replace(temp, path)
        except OSError as error:
            raise StorageError(f"cannot write to the file store: {error.strerror}") from error

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as error:
            raise KeyError(key) from error
        except OSError as error:
            raise StorageError(f"cannot read the file store: {error.strerror}") from error

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(f"cannot delete from the file store: {error.strerror}") from error

    def presigned_url(self, key: str, ttl_seconds: int) -> str | None:
        return None
