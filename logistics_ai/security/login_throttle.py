"""Progressive delays after failed sign-ins, instead of locking accounts.

A hard lock lets anyone keep an admin out by typing wrong passwords. Here each failure only
makes the *next* attempt wait, and the wait is tracked separately for:

- the account from this address (the common case: one client guessing one account),
- the address across all accounts (one client spraying many accounts),
- the account from anywhere (a botnet guessing one account), capped low, and skipped for
  addresses this account has recently signed in from, so a distributed attacker cannot keep
  the owner out either.

The answer while waiting is the same for known and unknown emails. Bursts of parallel attempts
are bounded by the per-IP and per-account rate limits that run before this.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass

from logistics_ai.kvstore import get_store
from logistics_ai.settings import get_settings

KNOWN_ADDRESS_TTL_S = 30 * 86400


@dataclass(frozen=True)
class Scope:
    key: str
    free: int  # failures allowed before any delay
    max_delay_s: float


def _digest(value: str) -> str:
    # Keys never contain the email in clear (Redis dumps, MONITOR).
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _scopes(email: str, ip: str | None) -> list[Scope]:
    s = get_settings()
    account, address = _digest(email.strip().lower()), ip or "unknown"
    return [
        Scope(f"login:pair:{account}:{address}", s.login_free_failures, s.login_max_delay_seconds),
        Scope(f"login:ip:{address}", s.login_free_failures * 4, s.login_max_delay_seconds),
        Scope(
            f"login:acct:{account}", s.login_free_failures * 4, s.login_account_max_delay_seconds
        ),
    ]


def delay_after(failures: int, free: int, max_delay_s: float) -> float:
    """0 for the first `free` failures, then base, 2 x base, 4 x base ... up to the cap."""
    if failures <= free:
        return 0.0
    base = get_settings().login_delay_base_seconds
    return min(max_delay_s, base * 2 ** (failures - free - 1))


def _load(key: str) -> tuple[int, float]:
    raw = get_store().get(key)
    if not raw:
        return 0, 0.0
    data = json.loads(raw)
    return int(data["n"]), float(data["next"])


def _is_known_address(email: str, ip: str | None) -> bool:
    return bool(ip) and ip in get_store().members(f"login:known:{_digest(email.strip().lower())}")


def wait_seconds(email: str, ip: str | None, now: float | None = None) -> int:
    """How long this client must wait before its next attempt (0: go ahead)."""
    now = time.time() if now is None else now
    known = _is_known_address(email, ip)
    waits = []
    for scope in _scopes(email, ip):
        if known and scope.key.startswith("login:acct:"):
            continue
        _, next_at = _load(scope.key)
        waits.append(next_at - now)
    longest = max(waits, default=0.0)
    return math.ceil(longest) if longest > 0 else 0


def record_failure(email: str, ip: str | None, now: float | None = None) -> int:
    """Count one failure in every scope; returns the wait it imposes on this client."""
    now = time.time() if now is None else now
    window = get_settings().login_failure_window_seconds
    for scope in _scopes(email, ip):
        failures, _ = _load(scope.key)
        failures += 1
        next_at = now + delay_after(failures, scope.free, scope.max_delay_s)
        get_store().set(scope.key, json.dumps({"n": failures, "next": next_at}), window)
    return wait_seconds(email, ip, now)


def record_success(email: str, ip: str | None) -> None:
    """The owner got in: forget this account's failures and remember the address."""
    store = get_store()
    for scope in _scopes(email, ip):
        if not scope.key.startswith("login:ip:"):  # an address's sprayed failures still count
            store.delete(scope.key)
    if ip:
        store.add_to_set(f"login:known:{_digest(email.strip().lower())}", ip, KNOWN_ADDRESS_TTL_S)
