"""Accounts: creation, password login with lockout, and the Actor a session acts as."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, NoReturn

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints
from sqlmodel import Session, col, select

from logistics_ai.domain.actors import SYSTEM, Actor
from logistics_ai.domain.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    RateLimited,
    SecondFactorRequired,
)
from logistics_ai.domain.validation import Clean, bounded, fail, parse
from logistics_ai.models import Customer, Driver, Invitation, Role, User, saved_id, utcnow
from logistics_ai.security import login_throttle, refresh, totp
from logistics_ai.security.passwords import (
    WeakPasswordError,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit

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
    phone: Annotated[str, bounded(32), Clean] | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    payload: NewUser | dict,
    actor: Actor = SYSTEM,
    *,
    check_password: bool = True,
    email_verified: bool = True,
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
        email_verified_at=utcnow() if email_verified else None,
    )
    session.add(user)
    session.flush()
    if data.role == Role.customer:
        session.add(Customer(user_id=saved_id(user)))
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
    otp: str | None = None,
) -> User:
    """Check a sign-in. Failures are audited and make the next attempt from the same account
    and address wait longer (never a lock); answers are the same for unknown emails."""
    normalized = normalize_email(email)
    label = normalized[:120]
    wait = login_throttle.wait_seconds(normalized, ip)
    user = session.exec(select(User).where(User.email == normalized)).first()
    failed = Actor(
        user_id=user.id if user else None, role=None, label=label, ip=ip, user_agent=user_agent
    )
    if wait:
        audit.record(session, failed, "auth.login_throttled", "user", None, {"wait_s": wait})
        session.commit()  # evidence survives the raised error
        raise RateLimited(
            f"Too many failed sign-ins. Try again in {wait} seconds.", retry_after_s=wait
        )

    def refuse(reason: str, message: str = "Email or password is incorrect.") -> NoReturn:
        delay = login_throttle.record_failure(normalized, ip)
        details: dict[str, object] = {"reason": reason}
        if delay:
            details["next_attempt_in_s"] = delay
        audit.record(
            session, failed, "auth.login_failed", "user", user.id if user else None, details
        )
        session.commit()  # failures are evidence: keep them although the caller rolls back
        raise AuthenticationFailed(message)

    if user is None:
        verify_password(_TIMING_DUMMY_HASH, password)  # same cost as a known email
        refuse("unknown_email")
    if not verify_password(user.password_hash, password):
        refuse("bad_password")
    if not user.is_active or user.erased_at is not None:
        refuse("inactive")
    if user.email_verified_at is None:
        # Only someone holding the password learns this, so it reveals nothing to guessers.
        audit.record(
            session, failed, "auth.login_failed", "user", user.id, {"reason": "unconfirmed"}
        )
        session.commit()
        raise AuthenticationFailed("Confirm your email address first: follow the link we sent you.")
    if user.totp_enabled_at is not None:
        if not otp:
            raise SecondFactorRequired("Enter the 6-digit code from your authenticator app.")
        step = totp.verify(user.totp_secret or "", otp, last_step=user.totp_last_step)
        if step is None:
            refuse("bad_otp", "The authenticator code is incorrect or was already used.")
        user.totp_last_step = step
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    login_throttle.record_success(normalized, ip)
    user.last_login_at = utcnow()
    session.add(user)
    audit.record(
        session,
        actor_for(session, user, ip=ip, user_agent=user_agent),
        "auth.login",
        "user",
        user.id,
        {"second_factor": user.totp_enabled_at is not None},
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
    company_name: Annotated[str, bounded(120), Clean] | None = None


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
            user_id=saved_id(user),
            token_hash=_token_hash(token),
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
    for record in refresh.for_user(saved_id(user)):
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
        for record in refresh.for_user(saved_id(user)):
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
        session.add(Customer(user_id=saved_id(user)))
    if (
        user.role == Role.driver
        and session.exec(select(Driver).where(Driver.user_id == user.id)).first() is None
    ):
        session.add(Driver(user_id=saved_id(user)))
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_for_admin(session: Session, actor: Actor, user_id: int) -> User:
    require(actor, Action.user_manage)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} was not found.")
    return user
