"""The demo city seeds through the real services; logins lock out after repeated failures."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import Session, select

from logistics_ai.db import session_scope
from logistics_ai.domain.errors import AuthenticationFailed, RateLimited
from logistics_ai.models import AuditEvent, Driver, Shipment, User
from logistics_ai.services import demo_seed, users
from logistics_ai.settings import get_settings

DEMO_EMAILS = [
    "admin@example.com",
    "dispatcher@example.com",
    "driver@example.com",
    "driver2@example.com",
    "customer@example.com",
    "customer2@example.com",
]


def test_demo_city(clean_db: None, session: Session) -> None:
    with session_scope() as s:
        report = demo_seed.seed_demo(s, "logistics-demo")
    assert report.shipments == 200
    assert len(session.exec(select(Driver)).all()) == 10
    statuses = Counter(s.status for s in session.exec(select(Shipment)).all())
    assert set(statuses) == {
        "requested",
        "scheduled",
        "assigned",
        "picked_up",
        "in_transit",
        "delivered",
        "failed",
        "cancelled",
    }
    assert sum(statuses.values()) == 200
    emails = {u.email for u in session.exec(select(User)).all()}
    assert set(DEMO_EMAILS) <= emails
    with session_scope() as s:
        for email in DEMO_EMAILS:
            assert users.authenticate(s, email, "logistics-demo").email == email


def test_repeated_failures_delay_the_next_attempt_instead_of_locking(
    clean_db: None, session: Session
) -> None:
    with session_scope() as s:
        users.create_user(
            s,
            {
                "email": "lock@test.example.com",
                "full_name": "Lock",
                "password": "a-long-enough-password",
            },
        )
    free = get_settings().login_free_failures
    for _ in range(free + 1):
        with pytest.raises(AuthenticationFailed, match="incorrect"), session_scope() as s:
            users.authenticate(s, "lock@test.example.com", "wrong-password", ip="198.51.100.7")
    with pytest.raises(RateLimited, match="Try again in") as waited, session_scope() as s:
        users.authenticate(s, "lock@test.example.com", "a-long-enough-password", ip="198.51.100.7")
    assert waited.value.retry_after_s >= 1
    failures = session.exec(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).all()
    assert len(failures) == free + 1
    assert all("wrong-password" not in str(f.details) for f in failures)
    assert {f.details["reason"] for f in failures} == {"bad_password"}
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.login_throttled")).one()
    # The account itself is never locked: from another address the owner signs in at once.
    with session_scope() as s:
        users.authenticate(s, "lock@test.example.com", "a-long-enough-password", ip="192.0.2.1")


def test_unknown_email_is_audited_without_revealing_it_exists(
    clean_db: None, session: Session
) -> None:
    with (
        pytest.raises(AuthenticationFailed, match="Email or password is incorrect"),
        session_scope() as s,
    ):
        users.authenticate(s, "nobody@test.example.com", "whatever-password")
    failure = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).one()
    assert failure.details == {"reason": "unknown_email"}


def test_login_rehashes_passwords_made_with_old_parameters(
    clean_db: None, session: Session
) -> None:
    from argon2 import PasswordHasher

    from logistics_ai.security.passwords import ARGON2_MEMORY_KIB

    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
    with session_scope() as s:
        user = users.create_user(
            s,
            {
                "email": "old@test.example.com",
                "full_name": "Old",
                "password": "a-long-gone-era-password",
            },
        )
        user.password_hash = old.hash("a-long-gone-era-password")
        s.add(user)
    with session_scope() as s:
        users.authenticate(s, "old@test.example.com", "a-long-gone-era-password")
    session.expire_all()
    stored = session.exec(select(User).where(User.email == "old@test.example.com")).one()
    assert f"m={ARGON2_MEMORY_KIB}," in stored.password_hash
