"""Password hashing with Argon2id, strength rules and rehash-on-login."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from logistics_ai.security.breached import is_common
from logistics_ai.settings import get_settings

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 25 ms per check
# on one core here, against 240 ms for the library default (64 MiB, 3 passes, 4 lanes) that
# would let a few parallel logins saturate a small server. Hashes made with other parameters
# are upgraded on the next successful login (`needs_rehash`).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


class WeakPasswordError(ValueError):
    """The password breaks a strength rule; the message says which one."""


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        problems.append("must not start or end with spaces")
    if len(set(password)) < 4:
        problems.append("must use at least 4 different characters")
    if email and email.split("@")[0].lower() in password.lower() and len(email.split("@")[0]) >= 3:
        problems.append("must not contain your email name")
    if is_common(password):
        problems.append("is too common: it appears in lists of breached passwords")
    return problems


def check_strength(password: str, *, email: str | None = None) -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise WeakPasswordError("Password " + "; ".join(problems) + ".")


_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


@contextmanager
def hashing_slot() -> Iterator[None]:
    """One of `SIGN_IN_CONCURRENCY` Argon2 computations at once in this process.

    Only the hash itself is bounded: a sign-in's database and Redis round trips overlap with
    other sign-ins' hashes, while Argon2 still takes at most that many cores (reads keep
    theirs), whichever path asks for a hash (API, web app, jobs).
    """
    global _slots
    if _slots is None:
        with _slots_lock:
            if _slots is None:
                _slots = threading.BoundedSemaphore(get_settings().sign_in_concurrency)
    with _slots:
        yield


def hash_password(password: str) -> str:
    with hashing_slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with hashing_slot():
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash used older parameters; re-hash it on the next good login."""
    return _hasher.check_needs_rehash(password_hash)
