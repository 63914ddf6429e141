"""The test suite's own RFC 6238 implementation agrees with the RFC's published vectors, so the
codes it computes for the app are independent evidence, not a copy of the app's helper."""

from __future__ import annotations

import base64

import pytest

from tests.support import totp

# RFC 6238 appendix B, SHA-1, key "12345678901234567890", 8 digits.
SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_rfc6238_vectors(at: int, expected: str) -> None:
    assert totp.code(SECRET, at=at, digits=8) == expected
