"""Integration API keys: `lai_<prefix>_<secret>`; only the prefix and a hash are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from logistics_ai.settings import get_settings

KEY_PREFIX = "lai_"


def generate() -> tuple[str, str, str]:
    """Returns (full key shown once, public prefix, hash to store)."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    full = f"{KEY_PREFIX}{prefix}_{secret}"
    return full, prefix, hash_key(full)


def hash_key(full_key: str) -> str:
    # Keys carry 256 random bits, so a keyed fast hash is enough (no password stretching).
    pepper = get_settings().secret_key.encode()
    return hmac.new(pepper, full_key.encode(), hashlib.sha256).hexdigest()


def parse_prefix(full_key: str) -> str | None:
    if not full_key.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = full_key[len(KEY_PREFIX) :].partition("_")
    return prefix if sep and len(prefix) == 8 and secret else None


def matches(full_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(full_key), stored_hash)
