"""The "running late" template: sent under the customer's ETA switch, in both languages."""

from __future__ import annotations

import pytest

from logistics_ai.notify.render import render

CONTEXT = {
    "tracking_code": "LA12345678",
    "name": "Ana",
    "eta": "15:40",
    "service_date": "2026-12-01",
    "reason": "-",
    "recipient": None,
    "lang": "en",
    "tracking_url": "https://example.test/track/LA12345678",
    "proof_url": "https://example.test/customer?shipment=1",
    "unsubscribe_url": "https://example.test/u",
}


@pytest.mark.parametrize(
    "language,subject,line",
    [
        ("en", "Running late: LA12345678", "New expected arrival: around 15:40."),
        ("es", "Con retraso: LA12345678", "Nueva llegada prevista: hacia las 15:40."),
    ],
)
def test_delay_notice_names_the_new_eta(language: str, subject: str, line: str) -> None:
    rendered = render("delayed", language, {**CONTEXT, "lang": language})
    assert rendered.subject == subject
    assert line in rendered.text
    assert "15:40" in rendered.sms and "https://example.test/u" in rendered.sms
    assert "<strong>" in rendered.html


def test_delay_notice_without_an_eta_promises_one() -> None:
    rendered = render("delayed", "en", {**CONTEXT, "eta": None})
    assert "We will send the new arrival time" in rendered.text
    assert "around" not in rendered.sms
