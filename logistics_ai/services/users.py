"""Accounts: creation, password login with lockout, and the Actor a session acts as."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints
from sqlmodel import Session, select

from logistics_ai.models import Customer, Driver, Role, User, utcnow
from logistics_ai.security.passwords import (
    WeakPasswordError,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from logistics_ai.services import audit
from logistics_ai.services.actors import SYSTEM, Actor
from logistics_ai.services.errors import AuthenticationFailed, Conflict
from logistics_ai.services.validation import fail, parse
from logistics_ai.settings import get_settings

# A hash of a random password, verified when the email is unknown so both paths cost the same.
_TIMING_DUMMY_HASH = hash_password("timing-equaliser-not-a-real-password")


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    password: Annotated[str, StringConstraints(max_length=256)]
    role: Role = Role.customer
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, payload: NewUser | dict, actor: Actor = SYSTEM, *, check_password: bool = True
) -> User:
    data = payload if isinstance(payload, NewUser) else parse(NewUser, payload)
    email = normalize_email(str(data.email))
    if check_password:
        try:
            check_strength(data.password, email=email)
        except WeakPasswordError as error:
            raise fail({"password": str(error)}) from None
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise Conflict("An account with this email already exists.")
    user = User(
        email=email,
        full_name=data.full_name,
        phone=data.phone,
        role=data.role,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    if data.role == Role.customer:
        session.add(Customer(user_id=user.id))  # type: ignore[arg-type]
    audit.record(session, actor, "user.created", "user", user.id, {"role": data.role.value})
    session.flush()
    return user


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> User:
    """Check a password login. Failures are audited and count towards a temporary lockout."""
    settings = get_settings()
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    now = utcnow()
    label = normalize_email(email)[:120]
    failed = Actor(
        user_id=user.id if user else None, role=None, label=label, ip=ip, user_agent=user_agent
    )
    if user is None:
        verify_password(_TIMING_DUMMY_HASH, password)
        audit.record(
            session, failed, "auth.login_failed", "user", None, {"reason": "unknown_email"}
        )
        session.commit()  # failures are evidence: keep them although the caller rolls back
        raise AuthenticationFailed("Email or password is incorrect.")
    if user.locked_until and user.locked_until > now:
        audit.record(session, failed, "auth.login_failed", "user", user.id, {"reason": "locked"})
        session.commit()
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AuthenticationFailed(
            f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
    if not verify_password(user.password_hash, password) or not user.is_active:
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(seconds=settings.login_lockout_seconds)
            user.failed_logins = 0
        session.add(user)
        reason = "inactive" if user.is_active is False else "bad_password"
        audit.record(session, failed, "auth.login_failed", "user", user.id, {"reason": reason})
        session.commit()  # the counter and the audit row must survive the raised error
        raise AuthenticationFailed("Email or password is incorrect.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    audit.record(
        session,
        actor_for(session, user, ip=ip, user_agent=user_agent),
        "auth.login",
        "user",
        user.id,
    )
    return user


def actor_for(
    session: Session, user: User, *, ip: str | None = None, user_agent: str | None = None
) -> Actor:
    customer_id = driver_id = None
    if user.role == Role.customer:
        customer = session.exec(select(Customer).where(Customer.user_id == user.id)).first()
        customer_id = customer.id if customer else None
    elif user.role == Role.driver:
        driver = session.exec(select(Driver).where(Driver.user_id == user.id)).first()
        driver_id = driver.id if driver else None
    return Actor(
        user_id=user.id,
        role=Role(user.role),
        label=user.email,
        customer_id=customer_id,
        driver_id=driver_id,
        ip=ip,
        user_agent=user_agent,
    )


def active_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
