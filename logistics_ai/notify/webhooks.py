"""Outbound webhook HTTP: HMAC signatures and a request that cannot be turned against us.

Signature header (one `v1` per valid secret, two during a rotation):

    Logistics-Signature: t=1733050000,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

SSRF guard: the host is resolved once, every address must be public (no private, loopback,
link-local, multicast, reserved or unspecified ranges) unless WEBHOOK_ALLOW_PRIVATE is set,
and the request is sent to that checked address (Host header and TLS SNI keep the name), so a
second DNS answer cannot point it elsewhere. Redirects are never followed; every request has
a timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from logistics_ai.settings import get_settings

SIGNATURE_HEADER = "Logistics-Signature"
USER_AGENT = "LogisticsAI-Webhooks/1"


class UnsafeUrl(ValueError):
    """The URL is not acceptable as a webhook target; the message is safe to show."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets)])


def _address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_url(url: str) -> tuple[str, int, str]:
    """(scheme, port, host) of an acceptable URL, without resolving it."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise UnsafeUrl("use an https:// (or http://) URL")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not allowed; use the signing secret")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeUrl("the URL has an invalid port") from error
    return parts.scheme, port, parts.hostname


def resolve_checked(url: str) -> str:
    """The IP address to connect to, after checking every address the host resolves to."""
    _scheme, port, host = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"the host {host} does not resolve") from error
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if not get_settings().webhook_allow_private:
        blocked = [a for a in addresses if not _address_allowed(a)]
        if blocked:
            raise UnsafeUrl(
                f"the host {host} resolves to a private, loopback or link-local address"
            )
    return str(sorted(addresses, key=lambda a: (a.version, int(a)))[0])


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST the body once to the checked address. Never raises for network trouble."""
    try:
        address = resolve_checked(url)
    except UnsafeUrl as error:
        return Outcome(False, None, str(error))
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = host + (f":{parts.port}" if parts.port else "")
    timeout = get_settings().webhook_timeout_seconds
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(
                target,
                content=body,
                headers={
                    **headers,
                    "Host": host_header,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                },
                extensions={"sni_hostname": host},
            )
    except httpx.TimeoutException:
        return Outcome(False, None, "timed out")
    except httpx.HTTPError as error:
        return Outcome(False, None, f"connection failed: {type(error).__name__}")
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, None)
    if 300 <= response.status_code < 400:
        return Outcome(False, response.status_code, "redirects are not followed")
    return Outcome(False, response.status_code, f"answered {response.status_code}")
