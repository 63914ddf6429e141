"""Unguessable public tracking codes."""

from __future__ import annotations

import re
import secrets

# Crockford-style alphabet: no I, L, O, U, so codes survive being read aloud or retyped.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits of randomness: guessing one live code is hopeless at any rate limit
PREFIX = "LA"
CODE_PATTERN = re.compile(rf"^{PREFIX}[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_tracking_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_tracking_code(raw: str) -> str:
    return raw.strip().upper().replace("-", "").replace(" ", "")


def looks_like_tracking_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))
