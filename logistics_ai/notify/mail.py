"""Email: SMTP (STARTTLS, implicit TLS or plain, optional AUTH) or a local .eml file sink.

The sink is the embedded default (no SMTP_HOST): every message lands in MAIL_FILE_DIR as a
standard .eml file that any mail client opens, so `make run` needs no mail server.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from logistics_ai.notify.errors import DeliveryError
from logistics_ai.settings import Settings, get_settings


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    # Extra headers, e.g. List-Unsubscribe. A stable Message-ID lets receivers drop a
    # duplicate if a worker died after the server accepted the message but before it noted so.
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None


class MailSender(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Hand the message over; return its Message-ID. Raise DeliveryError on failure."""
        ...


def build_message(email: OutgoingEmail, sender: str) -> EmailMessage:
    if any(ch in email.to + email.subject for ch in "\r\n"):
        raise DeliveryError("header injection attempt in recipient or subject", permanent=True)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    message["Message-ID"] = email.message_id or make_msgid(domain=domain)
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        host, port, timeout = s.smtp_host or "localhost", s.smtp_port, s.smtp_timeout_seconds
        context = ssl.create_default_context()
        if s.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
            if s.smtp_security == "starttls":
                client.starttls(context=context)
        if s.smtp_username:
            client.login(s.smtp_username, s.smtp_password or "")
        return client

    def send(self, email: OutgoingEmail) -> str:
        message = build_message(email, self._settings.mail_from)
        try:
            client = self._connect()
            try:
                client.send_message(message)
            finally:
                with contextlib.suppress(smtplib.SMTPException):
                    client.quit()
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError("the SMTP server refused the recipient", permanent=True) from error
        except smtplib.SMTPAuthenticationError as error:
            # A wrong password does not fix itself, but an operator can fix it: retry later.
            raise DeliveryError(f"SMTP authentication failed ({error.smtp_code})") from error
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryError(f"SMTP error {error.smtp_code}", permanent=permanent) from error
        except (OSError, smtplib.SMTPException) as error:  # refused, timeout, TLS, disconnect
            raise DeliveryError(f"SMTP server unreachable: {type(error).__name__}") from error
        return str(message["Message-ID"])


class FileSender:
    """Embedded default: one .eml file per message in MAIL_FILE_DIR."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, email: OutgoingEmail) -> str:
        message = build_message(email, self._settings.mail_from)
        folder = Path(self._settings.mail_file_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.as_bytes())
        except OSError as error:
            raise DeliveryError(f"cannot write the mail file: {error.strerror}") from error
        return str(message["Message-ID"])


def get_mail_sender(settings: Settings | None = None) -> MailSender:
    settings = settings or get_settings()
    return SmtpSender(settings) if settings.smtp_host else FileSender(settings)


def send_email(email: OutgoingEmail) -> str:
    """Send one email with the configured transport (blocking: call off the event loop)."""
    return get_mail_sender().send(email)
