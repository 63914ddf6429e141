"""RFC 6238 TOTP computed here, independently of the app's own helper (which uses pyotp):
what a person's authenticator app would show."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def code(secret_b32: str, *, at: float | None = None, step_s: int = 30, digits: int = 6) -> str:
    """The code for the time step containing `at` (now by default): HOTP(K, T) of RFC 4226/6238."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step_s)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def wrong(secret_b32: str) -> str:
    """A 6-digit code that is not valid for the steps around now (the app accepts +/- 1)."""
    valid = {code(secret_b32, at=time.time() + k * 30) for k in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "123456", "999999", "424242") if c not in valid)
