"""Local protocol peers for notification tests: an SMTP server (aiosmtpd) and an SMS API.

Both speak the real protocol on a loopback port, so the app's own smtplib/httpx code runs
unchanged against them.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import ipaddress
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.services import free_port


@dataclass
class Inbox:
    """What the SMTP server accepted, plus hooks to stall or refuse a conversation."""

    messages: list[EmailMessage] = field(default_factory=list)
    received: threading.Condition = field(default_factory=threading.Condition)
    rcpt_seen: threading.Event = field(default_factory=threading.Event)
    stall_rcpt: threading.Event | None = None  # while set-and-not-released, RCPT waits
    release: threading.Event = field(default_factory=threading.Event)
    refuse_code: str | None = None  # e.g. "550 5.1.1 no such user"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        import asyncio

        self.inbox.rcpt_seen.set()
        if self.inbox.stall_rcpt is not None and self.inbox.stall_rcpt.is_set():
            while not self.inbox.release.is_set():
                await asyncio.sleep(0.05)
        if self.inbox.refuse_code:
            return self.inbox.refuse_code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.inbox.received:
            self.inbox.messages.append(message)  # type: ignore[arg-type]
            self.inbox.received.notify_all()
        return "250 Message accepted"


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def smtp_server(
    *, tls_cert: tuple[Path, Path] | None = None, credentials: tuple[str, str] | None = None
) -> Iterator[tuple[int, Inbox]]:
    """aiosmtpd on a free port; with `tls_cert` it offers STARTTLS, with `credentials` AUTH."""
    import ssl

    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    if tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, tls_cert))
        kwargs.update(tls_context=context, require_starttls=True)
    if credentials:

        def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
            ok = (
                isinstance(auth_data, LoginPassword)
                and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                )
                == credentials
            )
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True)
    port = free_port()
    controller = Controller(_Handler(inbox), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port, inbox
    finally:
        inbox.release.set()
        controller.stop()


@dataclass
class SmsRequest:
    path: str
    authorization: str
    form: dict[str, str]


@dataclass
class SmsApi:
    requests: list[SmsRequest] = field(default_factory=list)
    status: int = 201  # what the next answers use

    def basic(self, sid: str, token: str) -> str:
        return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


@contextmanager
def sms_api() -> Iterator[tuple[str, SmsApi]]:
    """A tiny HTTP server with Twilio's Messages.json request and response shape."""
    api = SmsApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            api.requests.append(SmsRequest(self.path, self.headers.get("authorization", ""), form))
            body = (
                {"sid": f"SM{len(api.requests):032d}", "status": "queued", "to": form.get("To")}
                if api.status == 201
                else {"code": 20500, "message": "error", "status": api.status}
            )
            data = json.dumps(body).encode()
            self.send_response(api.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", api
    finally:
        server.shutdown()
        server.server_close()
