"""The store interface shared by the local and S3 back ends."""

from __future__ import annotations

import re
from typing import Protocol

KEY = re.compile(r"^[a-z0-9][a-z0-9/_.-]{0,250}$")


class StorageError(Exception):
    """The store could not be reached or refused the operation."""


def check_key(key: str) -> str:
    if not KEY.fullmatch(key) or ".." in key or "//" in key:
        raise ValueError(f"unsafe storage key {key!r}")
    return key


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def presigned_url(self, key: str, ttl_seconds: int) -> str | None:
        """A short-lived URL to read the object directly, or None (serve through the app)."""
        ...
