"""SMS through a provider interface; one HTTP implementation with Twilio's REST API shape.

Phone numbers are never logged: errors name the provider's status, not the recipient.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Protocol

import httpx

from logistics_ai.notify.errors import DeliveryError
from logistics_ai.settings import Settings, get_settings


class SmsProvider(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send one text; return the provider's message id. Raise DeliveryError on failure."""
        ...


def mask_phone(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return "***" + digits[-2:] if len(digits) > 2 else "***"


class TwilioSms:
    """POST {SMS_API_URL}/2010-04-01/Accounts/{sid}/Messages.json, form-encoded, basic auth."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        if not (settings.sms_account_sid and settings.sms_auth_token and settings.sms_from):
            raise DeliveryError(
                "SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM must be set for SMS_PROVIDER=twilio"
            )
        self._settings = settings
        self._client = httpx.Client(
            base_url=settings.sms_api_url.rstrip("/"),
            auth=(settings.sms_account_sid, settings.sms_auth_token),
            timeout=settings.smtp_timeout_seconds,
            follow_redirects=False,
            transport=transport,
        )

    def send(self, to: str, body: str) -> str:
        sid = self._settings.sms_account_sid
        try:
            response = self._client.post(
                f"/2010-04-01/Accounts/{sid}/Messages.json",
                data={"To": to, "From": self._settings.sms_from, "Body": body},
            )
        except httpx.HTTPError as error:
            raise DeliveryError(f"SMS API unreachable: {type(error).__name__}") from error
        if response.status_code in (200, 201):
            try:
                return str(response.json()["sid"])
            except (ValueError, KeyError) as error:
                raise DeliveryError("SMS API answered without a message sid") from error
        # 429 and 5xx are worth retrying; other 4xx (bad number, bad credentials) are not.
        permanent = 400 <= response.status_code < 500 and response.status_code != 429
        raise DeliveryError(f"SMS API answered {response.status_code}", permanent=permanent)


class FileSms:
    """Embedded default: JSON lines in MAIL_FILE_DIR/sms.jsonl with the number masked."""

    def __init__(self, settings: Settings) -> None:
        self._folder = Path(settings.mail_file_dir)

    def send(self, to: str, body: str) -> str:
        message_id = f"file-{uuid.uuid4().hex}"
        line = json.dumps({"id": message_id, "to": mask_phone(to), "body": body})
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            with (self._folder / "sms.jsonl").open("a", encoding="utf-8") as sink:
                sink.write(line + "\n")
        except OSError as error:
            raise DeliveryError(f"cannot write the SMS file: {error.strerror}") from error
        return message_id


def get_sms_provider(settings: Settings | None = None) -> SmsProvider:
    settings = settings or get_settings()
    return TwilioSms(settings) if settings.sms_provider == "twilio" else FileSms(settings)
