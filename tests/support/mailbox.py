"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

from tests.support.services import free_port


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if address in m.get("X-Envelope-To", "")]

    def wait_for(self, address: str, count: int = 1, timeout_s: float = 15) -> list[Message]:
        """Mail is sent after commit on a background thread: wait (bounded) for it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} email(s) to {address}, got {self.to(address)}")


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(message.get_payload())


def link_path(message: Message, prefix: str) -> str:
    """The token at the end of the first link to `prefix` (e.g. /reset) in the email."""
    match = re.search(rf"https?://[^\s]+{re.escape(prefix)}/([A-Za-z0-9_\-]+)", body(message))
    assert match, body(message)
    return match.group(1)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
