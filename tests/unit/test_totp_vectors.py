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


def test_the_set_up_qr_code_is_an_svg_data_uri_without_network_or_image_library() -> None:
    import base64 as b64
    import xml.etree.ElementTree as ET

    from logistics_ai.security import totp as app_totp

    uri = (
        "otpauth://totp/Logistics%20AI:d%40x.example?secret=JBSWY3DPEHPK3PXP&issuer=Logistics%20AI"
    )
    data = app_totp.qr_data_uri(uri)
    prefix = "data:image/svg+xml;base64,"
    assert data.startswith(prefix)
    root = ET.fromstring(b64.b64decode(data[len(prefix) :]))
    assert root.tag.endswith("svg")
    assert any(child.tag.endswith("path") for child in root)  # the modules are drawn
