"""The driver app's signature pad sends `canvas.toDataURL('image/png')`: decoded or refused."""

from __future__ import annotations

import base64

import pytest

from logistics_ai.domain.errors import ValidationFailed
from logistics_ai.services.proof import MAX_SIGNATURE_BYTES, signature_from_data_url

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_a_png_data_url_gives_its_bytes_and_empty_means_none() -> None:
    data = PNG_MAGIC + b"rest of the image"
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    assert signature_from_data_url(url) == data
    assert signature_from_data_url("") is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("data:image/svg+xml;base64,PHN2Zz4=", "PNG drawing"),
        ("javascript:alert(1)", "PNG drawing"),
        ("data:image/png;base64,@@not-base64@@", "damaged"),
        ("data:image/png;base64," + "A" * (MAX_SIGNATURE_BYTES * 2), "too large"),
    ],
)
def test_anything_else_is_a_field_error(url: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        signature_from_data_url(url)
    assert message in caught.value.field_errors["signature"]
