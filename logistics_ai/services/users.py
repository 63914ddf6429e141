"""Accounts: creation, password login with lockout, and the Actor a session acts as."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints
from sqlmodel import Session, col, select

from logistics_ai.domain.actors import SYSTEM, Actor
from logistics_ai.domain.errors import AuthenticationFailed, Conflict, NotFound
from logistics_ai.domain.validation import Clean, fail, parse, text
from logistics_ai.models import Customer, Driver, Invitation, Role, User, utcnow
from logistics_ai.security import refresh
from logistics_ai.security.passwords import (
    WeakPasswordError,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit
from logistics_ai.settings import get_settings

# A hash of a random password, verified when the email is unknown so both paths cost the same.
_TIMING_DUMMY_HASH = hash_password("timing-equaliser-not-a-real-password")


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    password: Annotated[str, StringConstraints(max_length=256), Clean]
    role: Role = Role.customer
    phone: text(32) | None = None


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


def create_first_admin(session: Session, email: str, full_name: str, password: str) -> User:
    """Bootstrap of a fresh deployment (no demo seed in prod): the first admin account.

    Refused once any admin exists; later admins are invited from the admin pages, so this path
    can never be used to add accounts behind the admins' backs.
    """
    if session.exec(select(User).where(User.role == Role.admin)).first() is not None:
        raise Conflict("An admin already exists; invite more admins from Admin -> Users.")
    payload = NewUser(email=email, full_name=full_name, password=password, role=Role.admin)
    return create_user(session, payload, SYSTEM)


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


def current_user(session: Session, actor: Actor) -> User:
    """The signed-in user's own account (for /me and the account page)."""
    user = active_user(session, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise AuthenticationFailed("Your account is no longer active.")
    return user


def active_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


# --- Self-service sign-up and administration -------------------------------------------

INVITATION_TTL = timedelta(days=7)


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    password: Annotated[str, StringConstraints(max_length=256), Clean]
    company_name: text(120) | None = None


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    role: Role


@dataclass(frozen=True)
class InvitationLink:
    user: User
    token: str  # shown once to the admin, stored only as a hash


def register_customer(
    session: Session,
    payload: Registration | dict,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> User:
    """Customers sign themselves up; drivers and dispatchers only come in by invitation."""
    data = payload if isinstance(payload, Registration) else parse(Registration, payload)
    actor = Actor(
        user_id=None,
        role=None,
        label=normalize_email(str(data.email)),
        ip=ip,
        user_agent=user_agent,
    )
    user = create_user(
        session,
        NewUser(
            email=data.email, full_name=data.full_name, password=data.password, role=Role.customer
        ),
        actor,
    )
    if data.company_name:
        customer = session.exec(select(Customer).where(Customer.user_id == user.id)).one()
        customer.company_name = data.company_name
        session.add(customer)
    return user


def invite(session: Session, actor: Actor, payload: Invite | dict) -> InvitationLink:
    require(actor, Action.user_manage)
    data = payload if isinstance(payload, Invite) else parse(Invite, payload)
    placeholder = secrets.token_urlsafe(32)  # nobody knows it; the invitee sets their own
    user = create_user(
        session,
        NewUser(email=data.email, full_name=data.full_name, password=placeholder, role=data.role),
        actor,
        check_password=False,
    )
    user.is_active = False
    session.add(user)
    _ensure_profile(session, user)
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),  # type: ignore[arg-type]
            invited_by_id=actor.user_id,
            expires_at=utcnow() + INVITATION_TTL,
        )
    )
    audit.record(session, actor, "user.invited", "user", user.id, {"role": data.role.value})
    session.flush()
    return InvitationLink(user, token)


def accept_invitation(session: Session, token: str, password: str) -> User:
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).first()
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise NotFound(
            "This invitation link is invalid or has expired. Ask your admin for a new one."
        )
    user = session.get(User, invitation.user_id)
    if user is None:
        raise NotFound("This invitation link is invalid or has expired.")
    try:
        check_strength(password, email=user.email)
    except WeakPasswordError as error:
        raise fail({"password": str(error)}) from None
    user.password_hash = hash_password(password)
    user.is_active = True
    invitation.accepted_at = utcnow()
    session.add_all([user, invitation])
    audit.record(session, actor_for(session, user), "user.invitation_accepted", "user", user.id)
    return user


def list_users(session: Session, actor: Actor, role: Role | None = None) -> list[User]:
    require(actor, Action.user_manage)
    query = select(User).order_by(col(User.role), col(User.full_name))
    if role is not None:
        query = query.where(User.role == role)
    return list(session.exec(query).all())


def change_role(session: Session, actor: Actor, user_id: int, role: Role) -> User:
    require(actor, Action.user_manage)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} was not found.")
    if user.id == actor.user_id:
        raise Conflict("You cannot change your own role; ask another admin.")
    previous = user.role
    user.role = Role(role)
    session.add(user)
    _ensure_profile(session, user)
    # Access tokens carry the role: end the user's sessions so no token outlives the change.
    for record in refresh.for_user(user.id):  # type: ignore[arg-type]
        refresh.revoke(record)
    audit.record(
        session,
        actor,
        "user.role_changed",
        "user",
        user.id,
        {"from": previous, "to": Role(role).value},
    )
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    require(actor, Action.user_manage)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} was not found.")
    if user.id == actor.user_id and not active:
        raise Conflict("You cannot deactivate your own account.")
    user.is_active = active
    session.add(user)
    if not active:
        for record in refresh.for_user(user.id):  # type: ignore[arg-type]
            refresh.revoke(record)
    audit.record(
        session, actor, "user.activated" if active else "user.deactivated", "user", user.id
    )
    return user


def _ensure_profile(session: Session, user: User) -> None:
    session.flush()
    if (
        user.role == Role.customer
        and session.exec(select(Customer).where(Customer.user_id == user.id)).first() is None
    ):
        session.add(Customer(user_id=user.id))  # type: ignore[arg-type]
    if (
        user.role == Role.driver
        and session.exec(select(Driver).where(Driver.user_id == user.id)).first() is None
    ):
        session.add(Driver(user_id=user.id))  # type: ignore[arg-type]
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_for_admin(session: Session, actor: Actor, user_id: int) -> User:
    require(actor, Action.user_manage)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} was not found.")
    return user
