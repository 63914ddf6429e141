"""Browser sessions: sign in, verify and sign out the credential the session cookie carries.

The HTTP routes that set and clear the cookie (`logistics_ai/api/web_session.py`) and the
Reflex state that reads it from the websocket handshake both come here, so the rules live once.
The credential is an opaque random value (`<session id>.<secret>`, 43 random characters of
secret) naming a server-side session record; only the secret's digest is stored. Signing out
revokes the record, so a copied cookie stops working everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session

from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed, PermissionDenied, Unavailable
from logistics_ai.kvstore import StoreUnavailable
from logistics_ai.models import Role, User
from logistics_ai.security import refresh
from logistics_ai.services import account_security, auth, limits, users
from logistics_ai.settings import get_settings

SessionRecord = refresh.SessionRecord  # what `auth.list_sessions` returns, for the UI's rows
COOKIE_NAME = "lai_session"
# `__Host-`: the browser accepts it only Secure, from the origin itself, with Path=/ and no
# Domain, so neither a sibling subdomain nor a plain-HTTP page can plant or overwrite it.
SECURE_COOKIE_NAME = "__Host-lai_session"
# The HTTP routes the login form and the "Log out" button post to.
LOGIN_PATH = "/api/web/login"
LOGOUT_PATH = "/api/web/logout"
# Where staff who must use two-factor sign-in (STAFF_TOTP) are sent until they have.
SECOND_FACTOR_SETUP_PATH = account_security.SETUP_PATH
# A failed sign-in's message for the login page, for a few seconds (set by the server only).
FLASH_COOKIE = "lai_login_error"
FLASH_SECONDS = 30
# Where each role lands after signing in.
HOME_BY_ROLE = {
    Role.customer: "/customer",
    Role.driver: "/driver",
    Role.dispatcher: "/dispatch",
    Role.admin: "/dispatch",
}


@dataclass(frozen=True)
class WebUser:
    """The verified user behind a browser credential."""

    actor: Actor
    name: str
    session_id: str
    # Staff who must use two-factor sign-in (STAFF_TOTP) and whose session has none yet.
    needs_second_factor: bool = False


def uses_https() -> bool:
    return get_settings().public_base_url.startswith("https://")


def cookie_name() -> str:
    return SECURE_COOKIE_NAME if uses_https() else COOKIE_NAME


def public_origin() -> str:
    """scheme://host[:port] of PUBLIC_BASE_URL: the one origin browsers may call us from."""
    parts = urlsplit(get_settings().public_base_url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins() -> list[str]:
    """The public origin; on a loopback host also its localhost/127.0.0.1 twin (make run)."""
    origin = public_origin()
    parts = urlsplit(origin)
    twins = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
    if parts.hostname in twins:
        port = f":{parts.port}" if parts.port else ""
        return [origin, f"{parts.scheme}://{twins[parts.hostname]}{port}"]
    return [origin]


def sign_in(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    user_agent: str | None,
    otp: str | None = None,
) -> tuple[str, User]:
    """Rate limits per client address and per account, then the password (and TOTP) check."""
    limits.auth_by_ip(ip)
    limits.auth_by_account(email)
    login = auth.web_login(session, email, password, ip=ip, user_agent=user_agent, otp=otp)
    return login.token, login.user


def landing_page(user: User) -> str:
    """Where a fresh sign-in goes: the role's home, or the two-factor set-up for staff who
    must use it (STAFF_TOTP) and have not set it up (having it means the code was given)."""
    role = Role(user.role)
    if account_security.second_factor_missing(role, user.totp_enabled_at is not None):
        return SECOND_FACTOR_SETUP_PATH
    return HOME_BY_ROLE[role]


def verify(
    session: Session,
    credential: str,
    *,
    roles: tuple[Role, ...] | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    second_factor_setup: bool = False,
) -> WebUser:
    """The live session and current user behind a browser credential, with the role checked.

    Staff who must use two-factor sign-in and have not are refused (`SecondFactorSetupRequired`)
    unless `second_factor_setup`: the enrolment page's own work.
    """
    record = _live_record(credential)
    user = users.active_user(session, record.user_id)
    if user is None:
        raise AuthenticationFailed("Your session has ended. Please sign in again.")
    role = Role(user.role)
    if roles is not None and role not in roles:
        raise PermissionDenied("Your account cannot open this page.")
    missing = account_security.second_factor_missing(role, record.second_factor)
    if missing and not second_factor_setup:
        account_security.require_second_factor(role, record.second_factor)
    actor = users.actor_for(session, user, ip=ip, user_agent=user_agent)
    return WebUser(actor, user.full_name, record.session_id, needs_second_factor=missing)


def _live_record(credential: str) -> refresh.SessionRecord:
    if not credential:
        raise AuthenticationFailed("Please sign in.")
    try:
        record = refresh.web_session(credential)
    except StoreUnavailable:
        # Not a sign-out: the tab keeps its state and the next event tries again.
        raise Unavailable("Sign-in cannot be checked right now. Try again shortly.") from None
    if record is None:
        raise AuthenticationFailed("Your session has ended. Please sign in again.")
    return record


def sign_out(session: Session, credential: str, *, ip: str | None, user_agent: str | None) -> bool:
    """Revoke the browser session through `auth.web_logout` (audited). False if it had ended."""
    try:
        record = _live_record(credential)
    except (AuthenticationFailed, Unavailable):
        return False
    user = users.active_user(session, record.user_id)
    if user is None:
        refresh.revoke(record)
        return False
    auth.web_logout(session, users.actor_for(session, user, ip=ip, user_agent=user_agent), record)
    return True
