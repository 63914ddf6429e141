"""Account protection: sign-up confirmed by email, password change and reset by one-time link,
TOTP for staff. Every step is audited, and nothing here tells a stranger whether an email has
an account: sign-up and reset requests get the same answer either way, and the difference
only ever reaches the mailbox's owner.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select, update

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    SecondFactorSetupRequired,
)
from logistics_ai.domain.validation import fail, parse
from logistics_ai.models import AccountToken, Role, User, saved_id, utcnow
from logistics_ai.security import login_throttle, refresh, totp
from logistics_ai.security.passwords import (
    WeakPasswordError,
    check_strength,
    hash_password,
    verify_password,
)
from logistics_ai.security.policy import Action, require
from logistics_ai.services import audit, mail
from logistics_ai.services.users import (
    NewUser,
    Registration,
    actor_for,
    create_user,
    normalize_email,
)
from logistics_ai.settings import get_settings

CONFIRM_EMAIL = "confirm_email"
PASSWORD_RESET = "password_reset"
TOKEN_TTL = {CONFIRM_EMAIL: timedelta(days=2), PASSWORD_RESET: timedelta(minutes=30)}
LINK_PATH = {CONFIRM_EMAIL: "/confirm", PASSWORD_RESET: "/reset"}
STAFF = (Role.dispatcher, Role.admin)

# The one answer to a sign-up or reset request, whatever the email.
REGISTRATION_ACCEPTED = (
    "Check your inbox: we sent a link to confirm the address. It expires in 48 hours."
)
RESET_ACCEPTED = "If an account uses this address, we sent it a link to choose a new password."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _anonymous(email: str, ip: str | None, user_agent: str | None) -> Actor:
    return Actor(user_id=None, role=None, label=email[:120], ip=ip, user_agent=user_agent)


def _issue_link(session: Session, user: User, purpose: str) -> str:
    """A new one-time link; earlier unused links for the same purpose stop working."""
    now = utcnow()
    session.exec(
        update(AccountToken)
        .where(
            col(AccountToken.user_id) == user.id,
            col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=saved_id(user),
            purpose=purpose,
            token_hash=_hash(token),
            expires_at=now + TOKEN_TTL[purpose],
        )
    )
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}{LINK_PATH[purpose]}/{token}"


def _redeem(session: Session, token: str, purpose: str) -> User:
    row = session.exec(
        select(AccountToken).where(
            AccountToken.token_hash == _hash(token), AccountToken.purpose == purpose
        )
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound("This link is invalid, was already used or has expired.")
    user = session.get(User, row.user_id)
    if user is None or user.erased_at is not None:
        raise NotFound("This link is invalid, was already used or has expired.")
    row.used_at = utcnow()
    session.add(row)
    return user


def _strong(password: str, email: str) -> None:
    try:
        check_strength(password, email=email)
    except WeakPasswordError as error:
        raise fail({"password": str(error)}) from None


def _revoke_sessions(user_id: int, keep: str | None = None) -> int:
    revoked = 0
    for record in refresh.for_user(user_id):
        if record.session_id != keep:
            refresh.revoke(record)
            revoked += 1
    return revoked


# --- Sign-up ---------------------------------------------------------------------------


def register(
    session: Session,
    payload: Registration | dict,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Customer sign-up. Returns the same message whether or not the email had an account."""
    data = payload if isinstance(payload, Registration) else parse(Registration, payload)
    email = normalize_email(str(data.email))
    _strong(data.password, email)  # input rules first: they say nothing about existence
    actor = _anonymous(email, ip, user_agent)
    existing = session.exec(select(User).where(User.email == email)).first()
    if existing is not None:
        audit.record(session, actor, "auth.registration_existing_email", "user", existing.id)
        mail.queue(
            session,
            email,
            "Someone tried to create an account with your email",
            "Someone (perhaps you) tried to create a Logistics AI account with this address, "
            "which already has one. If it was you, sign in or reset your password from the "
            "sign-in page. If not, you can ignore this email: nothing was changed.",
        )
        return REGISTRATION_ACCEPTED
    user = create_user(
        session,
        NewUser(email=email, full_name=data.full_name, password=data.password, role=Role.customer),
        actor,
        email_verified=False,
    )
    if data.company_name:
        from logistics_ai.models import Customer

        customer = session.exec(select(Customer).where(Customer.user_id == user.id)).one()
        customer.company_name = data.company_name
        session.add(customer)
    link = _issue_link(session, user, CONFIRM_EMAIL)
    audit.record(session, actor, "auth.confirmation_sent", "user", user.id)
    mail.queue(
        session,
        email,
        "Confirm your Logistics AI account",
        f"Welcome, {data.full_name}.\n\nOpen this link to confirm your email address and "
        f"activate your account (it expires in 48 hours):\n\n{link}\n\n"
        "If you did not sign up, ignore this email and the account will not be activated.",
    )
    return REGISTRATION_ACCEPTED


def confirm_email(session: Session, token: str) -> User:
    user = _redeem(session, token, CONFIRM_EMAIL)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.add(user)
    audit.record(session, actor_for(session, user), "auth.email_confirmed", "user", user.id)
    return user


# --- Passwords -------------------------------------------------------------------------


def request_password_reset(
    session: Session, email: str, *, ip: str | None = None, user_agent: str | None = None
) -> str:
    normalized = normalize_email(email)
    user = session.exec(select(User).where(User.email == normalized)).first()
    actor = _anonymous(normalized, ip, user_agent)
    if user is None or not user.is_active or user.erased_at is not None:
        audit.record(
            session, actor, "auth.password_reset_requested", "user", None, {"known": False}
        )
        return RESET_ACCEPTED
    link = _issue_link(session, user, PASSWORD_RESET)
    audit.record(session, actor, "auth.password_reset_requested", "user", user.id, {"known": True})
    mail.queue(
        session,
        user.email,
        "Reset your Logistics AI password",
        f"Open this link within 30 minutes to choose a new password:\n\n{link}\n\n"
        "It works once. If you did not ask for it, ignore this email: your password stays "
        "as it is.",
    )
    return RESET_ACCEPTED


def reset_password(session: Session, token: str, new_password: str) -> User:
    user = _redeem(session, token, PASSWORD_RESET)
    _strong(new_password, user.email)
    user.password_hash = hash_password(new_password)
    # Following the emailed link proves the mailbox, as confirmation would.
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    revoked = _revoke_sessions(saved_id(user))
    login_throttle.record_success(user.email, None)
    audit.record(
        session,
        actor_for(session, user),
        "auth.password_reset",
        "user",
        user.id,
        {"sessions_revoked": revoked},
    )
    mail.queue(session, user.email, "Your password was changed", _CHANGED_NOTICE)
    return user


_CHANGED_NOTICE = (
    "The password of your Logistics AI account was just changed and every other session was "
    "signed out. If this was not you, reset your password from the sign-in page now and tell "
    "your administrator."
)


def change_password(
    session: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    *,
    keep_session_id: str | None = None,
) -> None:
    require(actor, Action.session_manage)
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Account not found.")
    if not verify_password(user.password_hash, current_password):
        audit.record(session, actor, "auth.password_change_failed", "user", user.id)
        session.commit()  # evidence survives the error
        raise AuthenticationFailed("Your current password is incorrect.")
    if secrets.compare_digest(current_password.encode(), new_password.encode()):
        raise fail({"new_password": "Choose a password different from the current one."})
    try:
        check_strength(new_password, email=user.email)
    except WeakPasswordError as error:
        raise fail({"new_password": str(error)}) from None
    user.password_hash = hash_password(new_password)
    session.add(user)
    revoked = _revoke_sessions(saved_id(user), keep=keep_session_id)
    audit.record(
        session, actor, "auth.password_changed", "user", user.id, {"sessions_revoked": revoked}
    )
    mail.queue(session, user.email, "Your password was changed", _CHANGED_NOTICE)


# --- TOTP for staff --------------------------------------------------------------------

SETUP_PATH = "/account/security"  # where the web app sends staff who must enrol first
SECOND_FACTOR_MESSAGE = (
    "Two-factor sign-in is required for dispatcher and admin accounts. Set it up "
    f"(web: {SETUP_PATH}; API: POST /api/v1/me/totp/setup, then /api/v1/me/totp/enable), "
    "then sign in again with your authenticator code."
)


def second_factor_missing(role: Role | None, session_has_second_factor: bool) -> bool:
    """STAFF_TOTP says staff must use two-factor sign-in and this session was opened without."""
    return role in STAFF and get_settings().staff_totp_required and not session_has_second_factor


def require_second_factor(role: Role | None, session_has_second_factor: bool) -> None:
    if second_factor_missing(role, session_has_second_factor):
        raise SecondFactorSetupRequired(SECOND_FACTOR_MESSAGE)


@dataclass(frozen=True)
class SecurityOverview:
    """What the account-settings page shows about sign-in protection."""

    is_staff: bool
    totp_enabled: bool
    totp_required: bool  # STAFF_TOTP makes it mandatory for this account
    # This session was opened without a code although one is needed now (TOTP was turned on
    # from another session): signing in again is the way forward.
    sign_in_again: bool = False


def security_overview(
    session: Session, actor: Actor, current_session_id: str | None = None
) -> SecurityOverview:
    require(actor, Action.session_manage)
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Account not found.")
    is_staff = Role(user.role) in STAFF
    enabled = user.totp_enabled_at is not None
    record = refresh.load(current_session_id) if current_session_id else None
    verified = record is not None and record.second_factor
    return SecurityOverview(
        is_staff=is_staff,
        totp_enabled=enabled,
        totp_required=is_staff and get_settings().staff_totp_required,
        sign_in_again=enabled and second_factor_missing(Role(user.role), verified),
    )


@dataclass(frozen=True)
class TotpEnrollment:
    secret: str  # shown once, to type or scan into the authenticator app
    uri: str  # otpauth:// URI for a QR code
    qr: str = ""  # that URI as a QR code (SVG data URI), for the web page


def _staff_user(session: Session, actor: Actor) -> User:
    require(actor, Action.session_manage)
    if actor.role not in STAFF:
        raise PermissionDenied("Two-factor sign-in is for dispatchers and admins.")
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Account not found.")
    return user


def begin_totp(session: Session, actor: Actor) -> TotpEnrollment:
    user = _staff_user(session, actor)
    if user.totp_enabled_at is not None:
        raise fail({"code": "Two-factor sign-in is already on. Turn it off first."})
    secret = totp.new_secret()
    user.totp_secret = secret
    session.add(user)
    audit.record(session, actor, "auth.totp_enrollment_started", "user", user.id)
    uri = totp.provisioning_uri(secret, user.email)
    return TotpEnrollment(secret, uri, totp.qr_data_uri(uri))


def enable_totp(
    session: Session, actor: Actor, code: str, *, current_session_id: str | None = None
) -> None:
    """Turn TOTP on with a first code. The session it was done from counts as signed in with
    the second factor (its owner just proved the code); other sessions sign in again."""
    user = _staff_user(session, actor)
    step = totp.verify(user.totp_secret or "", code, last_step=user.totp_last_step)
    if user.totp_secret is None or step is None:
        audit.record(session, actor, "auth.totp_enable_failed", "user", user.id)
        session.commit()
        raise fail({"code": "That code does not match. Check the app's clock and try again."})
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.add(user)
    if current_session_id is not None:
        refresh.mark_second_factor(current_session_id)
    audit.record(session, actor, "auth.totp_enabled", "user", user.id)
    mail.queue(
        session,
        user.email,
        "Two-factor sign-in is on",
        "Two-factor sign-in was turned on for your Logistics AI account. If this was not "
        "you, tell your administrator now.",
    )


def disable_totp(session: Session, actor: Actor, password: str, code: str) -> None:
    user = _staff_user(session, actor)
    if get_settings().staff_totp_required:
        raise PermissionDenied(
            "Two-factor sign-in is required for staff accounts here and cannot be turned off."
        )
    step = totp.verify(user.totp_secret or "", code, last_step=user.totp_last_step)
    if not verify_password(user.password_hash, password) or step is None:
        audit.record(session, actor, "auth.totp_disable_failed", "user", user.id)
        session.commit()
        raise AuthenticationFailed("The password or the code is incorrect.")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    audit.record(session, actor, "auth.totp_disabled", "user", user.id)
    mail.queue(
        session,
        user.email,
        "Two-factor sign-in is off",
        "Two-factor sign-in was turned off for your Logistics AI account. If this was not "
        "you, reset your password and tell your administrator now.",
    )
