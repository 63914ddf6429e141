"""Login, logout and the per-request user check that every other state builds on."""

from __future__ import annotations

from collections.abc import Iterable

import reflex as rx
from sqlmodel import Session

from logistics_ai.db import session_scope
from logistics_ai.domain.actors import Actor
from logistics_ai.domain.errors import AuthenticationFailed, DomainError, PermissionDenied
from logistics_ai.models import Role
from logistics_ai.security import refresh, tokens
from logistics_ai.services import auth, limits, users
from logistics_ai.settings import get_settings

HOME_BY_ROLE = {
    Role.customer: "/customer",
    Role.driver: "/driver",
    Role.dispatcher: "/dispatch",
    Role.admin: "/dispatch",
}


class AuthState(rx.State):
    session_token: str = rx.Cookie(
        "",
        name="lai_session",
        same_site="strict",
        max_age=get_settings().session_ttl_seconds,
        # Behind HTTPS the cookie never travels in clear text.
        secure=get_settings().public_base_url.startswith("https://"),
    )
    user_name: str = ""
    user_role: str = ""
    login_error: str = ""
    login_pending: bool = False

    def _actor(self, session: Session, roles: Iterable[Role] | None = None) -> Actor:
        """Re-check the signed-in user against the database; client state is never trusted."""
        if not self.session_token:
            raise AuthenticationFailed("Please sign in.")
        try:
            user, _ = auth.user_for_access_token(
                session, self.session_token, audience=tokens.WEB_AUDIENCE
            )
        except AuthenticationFailed:
            raise AuthenticationFailed("Your session has ended. Please sign in again.") from None
        if roles is not None and Role(user.role) not in set(roles):
            raise PermissionDenied("Your account cannot open this page.")
        return users.actor_for(
            session,
            user,
            ip=self.router.session.client_ip or None,
            user_agent=self.router.headers.user_agent or None,
        )

    def _guard(self, roles: Iterable[Role]) -> rx.event.EventSpec | None:
        """On page load: send strangers to the login page and others to their own area."""
        try:
            with session_scope() as session:
                actor = self._actor(session)
                user = users.active_user(session, actor.user_id)  # type: ignore[arg-type]
                self.user_name = user.full_name if user else ""
                self.user_role = actor.role.value if actor.role else ""
        except AuthenticationFailed:
            self.user_role = ""
            return rx.redirect("/login")
        if Role(self.user_role) not in set(roles):
            return rx.redirect(HOME_BY_ROLE[Role(self.user_role)])
        return None

    @rx.event
    def login(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        email = (form_data.get("email") or "").strip()
        password = form_data.get("password") or ""
        if not email or not password:
            self.login_error = "Enter your email and password."
            return None
        try:
            ip = self.router.session.client_ip or None
            limits.auth_by_ip(ip)
            limits.auth_by_account(email)
            with session_scope() as session:
                login = auth.web_login(
                    session,
                    email,
                    password,
                    ip=ip,
                    user_agent=self.router.headers.user_agent or None,
                )
                token = login.token
                role, name = Role(login.user.role), login.user.full_name
        except DomainError as error:
            self.login_error = error.message
            return None
        self.login_error = ""
        self.session_token = token
        self.user_name = name
        self.user_role = role.value
        return rx.redirect(HOME_BY_ROLE[role])

    @rx.event
    def logout(self):  # type: ignore[no-untyped-def]
        try:
            claims = tokens.decode(self.session_token, audience=tokens.WEB_AUDIENCE)
            record = refresh.load(claims.session_id)
            if record is not None:
                refresh.revoke(record)
        except tokens.InvalidToken:
            pass  # already invalid: nothing to revoke server-side
        self.session_token = ""
        self.user_name = ""
        self.user_role = ""
        return rx.redirect("/login")

    @rx.event
    def redirect_home(self):  # type: ignore[no-untyped-def]
        """The landing page: signed-in users go to their area, others to the login page."""
        try:
            with session_scope() as session:
                actor = self._actor(session)
        except AuthenticationFailed:
            return rx.redirect("/login")
        return rx.redirect(HOME_BY_ROLE[actor.role])  # type: ignore[index]

    @rx.event
    def open_login(self):  # type: ignore[no-untyped-def]
        """Login page load: skip the form when a valid session already exists."""
        self.login_pending = False
        try:
            with session_scope() as session:
                actor = self._actor(session)
        except AuthenticationFailed:
            return None
        return rx.redirect(HOME_BY_ROLE[actor.role])  # type: ignore[index]
